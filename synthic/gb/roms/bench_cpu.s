; bench_cpu.s -- CPU-bound benchmark ROM for Synthic's emulator: it never halts.
;
; Written by the Synthic project in SM83 assembly (sdasgb syntax); build with
;     python tests/roms/build_roms.py bench_cpu
; (tools/asm.py: assemble with sdasgb, link with sdldgb, lay out with makebin, header and
; checksums fixed up in Python). 32 KiB, no MBC. Includes hardware.inc (register names, from
; synthic/jukebox/driver).
;
; What it does, forever, with interrupts disabled:
;   * a work block (about 15,000 M-cycles, close to a frame's 17,556) that mixes what game code does: a 256-byte copy
;     ROM -> WRAM, a pass over the copy with 8-bit ALU ops (add, adc, sub, sbc, and, or, xor,
;     cp, inc, dec), CB-prefixed ops on registers and on (hl) (rlc, rrc, rl, rr, sla, sra,
;     srl, swap, bit, set, res), 16-bit arithmetic (add hl, inc/dec rr), calls with
;     push/pop, conditional jumps, and a 16-bit xorshift generator;
;   * between the four phases of a block it polls IF bit 0 (the PPU sets it at each VBlank
;     even with the interrupt disabled, Pan Docs "Interrupts"); once per frame it clears it
;     and plays:
;     every frame a CH1 note (NR12, NR13, NR14 with trigger) from an 8-note arpeggio, every
;     4th frame a CH4 hi-hat (NR42, NR43, NR44), every 16th frame a CH2 note (NR21-NR24),
;     every 32nd frame a CH3 note (NR30 off/on, NR32, NR33, NR34).
;
; Memory (WRAM): 0xC000-0xC003 work blocks done (32-bit little-endian), 0xC004-0xC005
; frames played (16-bit), 0xC006 running checksum of the work, 0xC007-0xC008 generator
; state; 0xC100-0xC1FF the copy buffer. Nothing is sent over serial.

    .include "hardware.inc"

BLOCKS   = 0xC000       ; 32-bit
FRAMES   = 0xC004       ; 16-bit
CHECKSUM = 0xC006
RNG      = 0xC007       ; 16-bit
BUFFER   = 0xC100       ; 256 bytes, page-aligned

    .area _ROM0 (ABS)

    ; interrupt vectors: never used (IME stays 0), but harmless if reached
    .org 0x0040
    reti
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
    ; clear the variables
    xor a
    ld hl, #BLOCKS
    ld b, #9
1$: ld (hl+), a
    dec b
    jr nz, 1$
    ld a, #0xAC
    ld (RNG), a
    ld a, #0xE1
    ld (RNG + 1), a
    xor a
    ldh (rIE), a
    ; sound on
    ld a, #0x80
    ldh (rNR52), a
    ld a, #0x77
    ldh (rNR50), a
    ld a, #0xFF
    ldh (rNR51), a
    xor a
    ldh (rNR10), a
    ldh (rNR30), a
    ld hl, #wave
    ld de, #rWAVE
2$: ld a, (hl+)
    ld (de), a
    inc e
    ld a, e
    cp #<(rWAVE + 16)
    jr nz, 2$
    ; the LCD must run for IF bit 0 to be set at VBlank
    ldh a, (rLCDC)
    or #0x80
    ldh (rLCDC), a
    xor a
    ldh (rIF), a

main_loop:
    call work_block
    ld hl, #BLOCKS
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: call poll_vblank
    jr main_loop

; poll_vblank: if IF bit 0 is set (a VBlank began since the last look), clear it and play
; this frame's notes. Clobbers A, C, DE, HL.
poll_vblank:
    ldh a, (rIF)
    rrca
    ret nc
    ldh a, (rIF)
    and #0xFE
    ldh (rIF), a
    jp play_frame

; work_block: copy, ALU pass, CB pass, generator, calls.
work_block:
    ; copy 256 bytes of ROM data to the buffer
    ld hl, #table
    ld de, #BUFFER
1$: ld a, (hl+)
    ld (de), a
    inc e
    jr nz, 1$
    call poll_vblank
    ; ALU pass over the buffer, mixing in the generator
    call xorshift           ; HL = new state
    ld d, h
    ld e, l
    ld hl, #BUFFER
    ld a, (CHECKSUM)
    ld c, a
    ld b, #0
2$: ld a, (hl)
    add a, e
    adc a, c
    xor d
    sub a, b
    sbc a, #0x11
    and #0xF7
    or #0x21
    cp #0x80
    jr c, 3$
    inc c
    jr 4$
3$: dec c
4$: ld (hl+), a
    add a, c
    ld c, a
    dec b
    jr nz, 2$
    ld a, c
    ld (CHECKSUM), a
    call poll_vblank
    ; CB pass over the first 64 bytes: rotate, shift, swap, bit tests
    ld hl, #BUFFER
    ld b, #64
5$: rlc (hl)
    ld a, (hl)
    swap a
    srl a
    rr c
    sla e
    rl d
    sra a
    rrc a
    bit 3, a
    jr z, 6$
    set 7, (hl)
    res 0, a
    jr 7$
6$: res 7, (hl)
    set 0, a
7$: xor (hl)
    ld (hl+), a
    dec b
    jr nz, 5$
    call poll_vblank
    ; 16-bit work through calls
    ld b, #16
8$: push bc
    ld a, b
    call mul8               ; HL = A * 37
    ld d, h
    ld e, l
    call xorshift
    add hl, de
    ld a, (CHECKSUM)
    add a, l
    xor h
    ld (CHECKSUM), a
    pop bc
    dec b
    jr nz, 8$
    jp poll_vblank

; mul8: HL = A * 37 by shift-and-add. Clobbers A, DE.
mul8:
    push bc
    ld hl, #0
    ld d, #0
    ld e, #37
    ld b, #8
1$: srl a
    jr nc, 2$
    add hl, de
2$: sla e
    rl d
    dec b
    jr nz, 1$
    pop bc
    ret

; xorshift: 16-bit xorshift (7, 9, 8) on RNG; returns HL = new state. Clobbers A.
xorshift:
    ld a, (RNG)
    ld l, a
    ld a, (RNG + 1)
    ld h, a
    ; x ^= x << 7
    ld a, h
    rra
    ld a, l
    rra
    xor h
    ld h, a
    ld a, l
    rra
    ld a, #0
    rra
    xor l
    ld l, a
    ; x ^= x >> 9
    ld a, h
    rra
    xor l
    ld l, a
    ; x ^= x << 8
    ld a, l
    xor h
    ld h, a
    ld a, l
    ld (RNG), a
    ld a, h
    ld (RNG + 1), a
    ret

; play_frame: this frame's sound register writes.
play_frame:
    ld hl, #FRAMES
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, (FRAMES)
    ld c, a                 ; C = frame number (low byte)
    ; CH1 every frame: arpeggio note C & 7
    and #7
    add a, a
    ld e, a
    ld d, #0
    ld hl, #arpeggio
    add hl, de
    ld a, #0x80
    ldh (rNR11), a
    ld a, #0xA2
    ldh (rNR12), a
    ld a, (hl+)
    ldh (rNR13), a
    ld a, (hl)
    or #0x80
    ldh (rNR14), a
    ; CH4 every 4th frame
    ld a, c
    and #3
    jr nz, 2$
    ld a, #0x61
    ldh (rNR42), a
    ld a, c
    and #0x10
    ldh (rNR43), a          ; alternate two noise settings
    ld a, #0x80
    ldh (rNR44), a
    ; CH2 every 16th frame
2$: ld a, c
    and #15
    jr nz, 3$
    ld a, #0x40
    ldh (rNR21), a
    ld a, #0x94
    ldh (rNR22), a
    ld a, #<0x6B2           ; G4
    ldh (rNR23), a
    ld a, #(>0x6B2) | 0x80
    ldh (rNR24), a
    ; CH3 every 32nd frame
3$: ld a, c
    and #31
    ret nz
    xor a
    ldh (rNR30), a
    ld a, #0x80
    ldh (rNR30), a
    ld a, #0x20
    ldh (rNR32), a
    ld a, #<0x60B           ; C3
    ldh (rNR33), a
    ld a, #(>0x60B) | 0x80
    ldh (rNR34), a
    ret

; C5 E5 G5 C6 G5 E5 C5 G4 (pulse periods, p = 2048 - 131072 / f)
arpeggio:
    .dw 0x706, 0x739, 0x759, 0x783, 0x759, 0x739, 0x706, 0x6B2

wave:
    .db 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF
    .db 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10

; 256 bytes of data for the copy: i * 7 + 3 (mod 256)
table:
    n = 0
    .rept 256
    .db (n * 7 + 3) & 0xFF
    n = n + 1
    .endm
