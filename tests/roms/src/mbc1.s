; mbc1.s -- MBC1 with 1 MiB ROM (64 banks) and 8 KiB RAM: ROM banking including the
; large-ROM wiring and banking mode 1, cartridge RAM.
;
; Build: python tests/roms/build_roms.py (cartridge type 0x02 MBC1+RAM, 64 x 16 KiB ROM,
; 8 KiB RAM; banks 1-63 from bank.s). Result protocol: common.inc; bank signatures: mbc.inc.
; Runs with the LCD off and interrupts disabled; finishes within a few frames.
;
; Facts (Pan Docs, "MBC1"):
;   * 2000-3FFF: 5-bit ROM bank register (higher bits of the value written are discarded);
;     0 behaves as 1 (only the 5-bit register is looked at, so 0x20, 0x40, 0x60 give 0x21...).
;   * 4000-5FFF: 2-bit register; on carts of 1 MiB or more it supplies ROM bank bits 5-6
;     (these carts have at most 8 KiB of RAM). Bank = (reg2 << 5) | reg1.
;   * 6000-7FFF: banking mode. Mode 1 also applies the 2-bit register to 0000-3FFF, which
;     then shows bank 0x20 (reg2 = 1). Mode 0: 0000-3FFF is bank 0.
;   * 0000-1FFF: RAM enable (0x0A enables, 0x00 disables); when disabled, writes are ignored.
;   * All registers are 0 at power-up, so 4000-7FFF starts as bank 1.
;
; Checks (number: what):
;   01 0000-3FFF holds bank 0's signature (at 0x3FFC)
;   02 4000-7FFF holds bank 1 before any register write (0x4000 and 0x7FFC)
;   03 every (reg2, reg1) pair from 0 to 63: 4000-7FFF holds bank reg2 << 5 | reg1, or
;      that + 1 when reg1 = 0 (CUR_BANK shows the bank expected when it fails)
;   04 0xE3 written at 0x3FFF (the top of the register's range) selects bank 3
;   05 mode 1, reg2 = 1: 0000-3FFF shows bank 0x20 (read by code running from WRAM)
;   06 ... and 4000-7FFF shows bank 0x22 (reg1 = 2) in either mode
;   07 back in mode 0, 0000-3FFF is bank 0 again
;   20-22 cartridge RAM (mbc_code.inc, ram_check, one bank)
;
; DATA (0xC010..): see mbc.inc (current bank, RAM banks verified, probe buffer).

    .include "common.inc"
    .include "mbc.inc"

    .area _ROM0 (ABS)

    RST_TRAPS
    IRQ_TRAP 0x0040
    IRQ_TRAP 0x0048
    IRQ_TRAP 0x0050
    IRQ_TRAP 0x0058
    IRQ_TRAP 0x0060

    ENTRY

main:
    call test_init
    call lcd_off

    ; 01: bank 0.
    ld hl, #0x3FFC
    ld de, #0
    ld b, #0x01
    call check_sig

    ; 02: power-up bank.
    ld de, #1
    ld b, #0x02
    ld hl, #0x4000
    call check_sig
    ld hl, #0x7FFC
    call check_sig

    ; 03: all register pairs.
    ld de, #0
1$: ld a, e
    and #0x1F
    ld (0x2000), a          ; reg1
    ld a, e
    rlca
    rlca
    rlca
    and #0x03
    ld (0x4000), a          ; reg2 = n >> 5
    push de
    ld a, e
    and #0x1F
    jr nz, 2$
    inc e                   ; reg1 = 0 reads as 1
2$: ld b, #0x03
    ld hl, #0x4000
    call check_sig
    ld hl, #0x7FFC
    call check_sig
    pop de
    inc e
    ld a, e
    cp #64
    jr nz, 1$

    ; 04: upper bits of the value discarded; the whole 2000-3FFF range is the register.
    xor a
    ld (0x4000), a
    ld a, #0xE3
    ld (0x3FFF), a
    ld de, #3
    ld b, #0x04
    ld hl, #0x7FFC
    call check_sig

    ; 05-07: banking mode 1 remaps 0000-3FFF, so the probe runs from WRAM.
    ld a, #1
    ld (0x4000), a          ; reg2 = 1
    ld a, #2
    ld (0x2000), a          ; reg1 = 2: bank 0x22 at 4000-7FFF
    ld hl, #probe
    ld de, #SCRATCH
    ld b, #probe_end - probe
3$: ld a, (hl+)
    ld (de), a
    inc de
    dec b
    jr nz, 3$
    call SCRATCH
    ld hl, #PROBE_BUF
    ld de, #0x20
    ld b, #0x05
    call check_sig
    ld hl, #PROBE_BUF + 4
    ld de, #0x22
    ld b, #0x06
    call check_sig
    ld hl, #0x3FFC
    ld de, #0
    ld b, #0x07
    call check_sig
    ld hl, #0x7FFC
    ld de, #0x22
    ld b, #0x06
    call check_sig
    xor a
    ld (0x4000), a
    inc a
    ld (0x2000), a

    ; 20-22: RAM.
    ld a, #1
    ld b, #0x20
    call ram_check

    jp pass

; probe: copied to WRAM and run there. Enters mode 1, copies the signatures at 0x3FFC and
; 0x7FFC to PROBE_BUF, returns to mode 0. Position-independent (relative jumps only).
probe:
    ld a, #1
    ld (0x6000), a
    ld de, #PROBE_BUF
    ld hl, #0x3FFC
    ld b, #4
1$: ld a, (hl+)
    ld (de), a
    inc de
    dec b
    jr nz, 1$
    ld hl, #0x7FFC
    ld b, #4
2$: ld a, (hl+)
    ld (de), a
    inc de
    dec b
    jr nz, 2$
    xor a
    ld (0x6000), a
    ret
probe_end:

    .include "runtime.inc"
    .include "mbc_code.inc"

    .org 0x3FFC
    BANK_SIGNATURE 0
