; mbc3.s -- MBC3 with 2 MiB ROM (128 banks) and 32 KiB RAM (4 banks): ROM banking, RAM
; banking, RAM enable. (The real-time clock is not tested.)
;
; Build: python tests/roms/build_roms.py (cartridge type 0x12 MBC3+RAM, 128 x 16 KiB ROM,
; 32 KiB RAM; banks 1-127 from bank.s). Result protocol: common.inc; signatures: mbc.inc.
; Runs with the LCD off and interrupts disabled; finishes within a few frames.
;
; Facts (Pan Docs, "MBC3"):
;   * 2000-3FFF: 7-bit ROM bank number, written directly; 0 selects bank 1, every other
;     value 0x01-0x7F selects that bank (so banks 0x20, 0x40, 0x60 are reachable).
;   * 4000-5FFF: 0x00-0x03 select the RAM bank at A000-BFFF (0x08-0x0C: RTC registers).
;   * 0000-1FFF: 0x0A enables RAM (and the RTC), 0x00 disables it.
;
; Checks (number: what):
;   01 0000-3FFF holds bank 0's signature (at 0x3FFC)
;   03 every value 0x00-0x7F written to 0x2000: 4000-7FFF holds that bank (0 -> 1), both at
;      0x4000 and at 0x7FFC (CUR_BANK shows the bank expected when it fails)
;   04 0x05 written at 0x3FFF (top of the register's range) selects bank 5
;   20-22 cartridge RAM, 4 banks (mbc_code.inc, ram_check)
;
; DATA (0xC010..): see mbc.inc.

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

    ; 03: all bank numbers.
    ld de, #0
1$: ld a, e
    ld (0x2000), a
    push de
    or a
    jr nz, 2$
    inc e                   ; 0 selects bank 1
2$: ld b, #0x03
    ld hl, #0x4000
    call check_sig
    ld hl, #0x7FFC
    call check_sig
    pop de
    inc e
    ld a, e
    cp #128
    jr nz, 1$

    ; 04: the whole 2000-3FFF range is the register.
    ld a, #0x05
    ld (0x3FFF), a
    ld de, #5
    ld b, #0x04
    ld hl, #0x7FFC
    call check_sig

    ; 20-22: RAM, 4 banks.
    ld a, #4
    ld b, #0x20
    call ram_check

    jp pass

    .include "runtime.inc"
    .include "mbc_code.inc"

    .org 0x3FFC
    BANK_SIGNATURE 0
