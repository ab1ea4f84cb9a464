; bench_halt.s -- benchmark ROM for Synthic's emulator shaped like a game's music driver:
; the CPU idles in HALT and a VBlank interrupt handler writes a few sound registers per frame.
;
; Written by the Synthic project in SM83 assembly (sdasgb syntax); build with
;     python tests/roms/build_roms.py bench_halt
; 32 KiB, no MBC. Includes hardware.inc (register names, from
; synthic/jukebox/driver) and bench_music.inc (the music, shared with bench_poll.s).
;
; Per VBlank (Pan Docs "Interrupts": vector 0x40) the handler calls play_frame
; (bench_music.inc):
;   * every frame: CH1 vibrato, NR13 = note low byte + a small offset (no trigger);
;   * every 8th frame: a new CH1 note (NR12, NR13, NR14 with trigger) from a 16-note
;     sequence, and CH4 (NR42, NR43, NR44) alternating kick and hi-hat;
;   * every 32nd frame: a CH2 note (NR21-NR24) and NR50 alternating 0x77 / 0x55.
; Between interrupts the main loop is `halt` / `nop` / `jr`.
;
; Memory (WRAM): 0xC000-0xC001 VBlanks handled (16-bit little-endian), 0xC002 sequence
; position (0-15), 0xC003 current CH1 low byte. Nothing is sent over serial.

    .include "hardware.inc"

FRAMES = 0xC000         ; 16-bit
POS    = 0xC002
CUR_LO = 0xC003

    .area _ROM0 (ABS)

    .org 0x0040
    jp vblank
    .org 0x0048
    reti
    .org 0x0050
    reti
    .org 0x0058
    reti
    .org 0x0060
    reti

    .org 0x0100
    nop
    jp 0x0150

    .org 0x0150
    di
    ld sp, #0xE000
    xor a
    ld (FRAMES), a
    ld (FRAMES + 1), a
    ld (POS), a
    ld (CUR_LO), a
    ld a, #0x80
    ldh (rNR52), a
    ld a, #0x77
    ldh (rNR50), a
    ld a, #0xFF
    ldh (rNR51), a
    xor a
    ldh (rNR10), a
    ld a, #0x80
    ldh (rNR11), a
    ld a, #0x40
    ldh (rNR21), a
    ; the LCD must run for VBlank interrupts
    ldh a, (rLCDC)
    or #0x80
    ldh (rLCDC), a
    ld a, #0x01
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ei
idle:
    halt
    nop
    jr idle

vblank:
    push af
    push bc
    push de
    push hl
    call play_frame
    pop hl
    pop de
    pop bc
    pop af
    reti

    .include "bench_music.inc"
