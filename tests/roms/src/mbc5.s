; mbc5.s -- MBC5 with 8 MiB ROM (512 banks) and 128 KiB RAM (16 banks): 9-bit ROM banking
; (bank 0 selectable), RAM banking, RAM enable.
;
; Build: python tests/roms/build_roms.py (cartridge type 0x1A MBC5+RAM, 512 x 16 KiB ROM,
; 128 KiB RAM; banks 1-511 from bank.s). Result protocol: common.inc; signatures: mbc.inc.
; Runs with the LCD off and interrupts disabled; finishes within a few frames.
;
; Facts (Pan Docs, "MBC5"):
;   * 2000-2FFF: low 8 bits of the ROM bank number; 3000-3FFF: its 9th bit. Writing 0 gives
;     bank 0 (unlike MBC1/MBC3).
;   * 4000-5FFF: RAM bank 0x00-0x0F.
;   * 0000-1FFF: 0x0A enables RAM, 0x00 disables it.
;   (The power-up bank is not documented there, so it is not checked.)
;
; Checks (number: what):
;   01 0000-3FFF holds bank 0's signature (at 0x3FFC)
;   03 every bank 0x000-0x1FF (low byte to 0x2000, bit 8 to 0x3000): 4000-7FFF holds that
;      bank, at 0x4000 and 0x7FFC; bank 0 shows bank 0's signature at 0x7FFC
;   04 the two registers are independent: 0x3000 <- 1, 0x2000 <- 0x23 gives 0x123; then
;      0x3000 <- 0 gives 0x023; 0x2FFF <- 0x45 gives 0x045 (top of the low register's range)
;   20-22 cartridge RAM, 16 banks (mbc_code.inc, ram_check)
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

    ; 03: all 512 banks. Bank 0 has no signature at its start (its vectors are there), so
    ; for it only 0x7FFC is compared.
    ld de, #0
1$: ld a, e
    ld (0x2000), a
    ld a, d
    ld (0x3000), a
    ld b, #0x03
    ld a, d
    or e
    jr z, 2$
    ld hl, #0x4000
    call check_sig
2$: ld hl, #0x7FFC
    call check_sig
    inc de
    ld a, d
    cp #0x02
    jr nz, 1$

    ; 04: register independence.
    ld b, #0x04
    ld a, #1
    ld (0x3000), a
    ld a, #0x23
    ld (0x2000), a
    ld de, #0x123
    ld hl, #0x7FFC
    call check_sig
    xor a
    ld (0x3000), a
    ld de, #0x023
    call check_sig
    ld a, #0x45
    ld (0x2FFF), a
    ld de, #0x045
    call check_sig

    ; 20-22: RAM, 16 banks.
    ld a, #16
    ld b, #0x20
    call ram_check

    jp pass

    .include "runtime.inc"
    .include "mbc_code.inc"

    .org 0x3FFC
    BANK_SIGNATURE 0
