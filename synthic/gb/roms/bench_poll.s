; bench_poll.s -- benchmark ROM for Synthic's emulator shaped like a game that never halts:
; its main loop busy-waits for VBlank by reading LY, as many games do, then reads the joypad
; and plays the frame's sound. Most of its instructions are I/O reads, so it measures the
; emulator's slow memory path (registers that devices compute from the T-cycle).
;
; Written by the Synthic project in SM83 assembly (sdasgb syntax); build with
;     python tests/roms/build_roms.py bench_poll
; 32 KiB, no MBC. Includes hardware.inc (register names, from
; synthic/jukebox/driver) and bench_music.inc (the music, shared with bench_halt.s).
;
; Per frame, with interrupts disabled:
;   * wait until LY = 144 (`ldh a, (rLY)` / `cp #144` / `jr nz`), about 1,000 reads a frame;
;   * read the joypad the usual way (select the d-pad, read P1 twice, select the buttons,
;     read P1 four times, deselect) into JOYPAD;
;   * play the frame (bench_music.inc: CH1 vibrato every frame, a CH1 note and a CH4 drum
;     every 8th frame, a CH2 note and NR50 every 32nd frame);
;   * wait until LY leaves 144, so that each frame plays once.
;
; Memory (WRAM): 0xC000-0xC001 frames played (16-bit little-endian), 0xC002 sequence
; position (0-15), 0xC003 current CH1 low byte, 0xC004 the last joypad byte. Nothing is sent
; over serial.

    .include "hardware.inc"

FRAMES = 0xC000         ; 16-bit
POS    = 0xC002
CUR_LO = 0xC003
JOYPAD = 0xC004

    .area _ROM0 (ABS)

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
    ld (JOYPAD), a
    ldh (rIE), a
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
    ; the LCD must run for LY to count
    ldh a, (rLCDC)
    or #0x80
    ldh (rLCDC), a
main_loop:
1$: ldh a, (rLY)            ; wait for VBlank
    cp #144
    jr nz, 1$
    ld a, #0x20             ; the d-pad
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    and #0x0F
    swap a
    ld b, a
    ld a, #0x10             ; the buttons
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    and #0x0F
    or b
    cpl
    ld (JOYPAD), a
    ld a, #0x30
    ldh (rP1), a
    call play_frame         ; counts the frame too
3$: ldh a, (rLY)            ; wait for the end of line 144
    cp #144
    jr z, 3$
    jr main_loop

    .include "bench_music.inc"
