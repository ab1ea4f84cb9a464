; music.s -- a small music driver playing a repeating tune on all four channels from the
; VBlank interrupt, the CPU halted in between: the input for recording tests.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB). No pass/fail result: it plays
; forever. Serial: nothing (unless a trap fires: "FAIL FD/FE ..", see common.inc).
;
; The tune: 16 steps of 8 frames (128 frames, about 2.14 s, per loop), repeated forever.
;   CH1 melody (duty 50 %, NR12 0xF3): E5 D5 C5 D5 E5 E5 E5 - D5 D5 D5 - E5 G5 G5 -
;       ("-": rest = NR12 0x08 + retrigger, the DAC stays on). On the 7 frames between steps
;       NR13 gets a small vibrato (period low byte + 0, 1, 2, 1, 0, -1, -2), no trigger.
;   CH2 harmony (duty 25 %, NR22 0xA5) on steps 0, 4, 8, 12: G4 G4 B4 G4.
;   CH3 bass (triangle wave, 100 %) on even steps: C3 G2 C3 G2 G2 D3 C3 G2; before each
;       trigger its DAC is switched off and on so the channel is never retriggered while
;       playing (Pan Docs, "NR34": that can corrupt wave RAM on DMG).
;   CH4 drums every step: kick (NR42 0xC1, NR43 0x71) on 0, 4, 8, 12; snare (0xB2, 0x33)
;       on 2, 6, 10, 14; hi-hat (0x51, 0x00) on odd steps.
; Periods from Pan Docs ("Audio Registers"): pulse f = 131072 / (2048 - p), wave
; f = 65536 / (2048 - p), rounded for A4 = 440 Hz equal temperament.
;
; Register writes per frame: step frames (every 8th, starting with the first VBlank):
; CH1 NR11 NR12 NR13 NR14 (or NR12 NR14 for a rest), CH2 NR21 NR22 NR23 NR24 when it plays,
; CH3 NR30 NR30 NR32 NR33 NR34 when it plays, CH4 NR42 NR43 NR44. Other frames: NR13.
; Init (before the first VBlank): NR52 0x80, NR50 0x77, NR51 0xFF, NR10 0x00, NR30 0x00,
; wave RAM FF30-FF3F, NR30 0x80, NR32 0x20.
;
; Memory: DATA+0/+1 (0xC010) VBlanks handled (16-bit little-endian), +2 next step (0-15),
; +3 completed loops (wraps), +4 frame within the step (0-7). RESULT (0xC000) stays 0.

    .include "common.inc"

FRAMES   = DATA + 0     ; 16-bit
STEP     = DATA + 2
LOOPS    = DATA + 3
SUBFRAME = DATA + 4
CUR_LO   = DATA + 5     ; CH1 period low byte of the current note

STEPS = 16

    .area _ROM0 (ABS)

    RST_TRAPS
    .org 0x0040
    jp vblank
    IRQ_TRAP 0x0048
    IRQ_TRAP 0x0050
    IRQ_TRAP 0x0058
    IRQ_TRAP 0x0060

    ENTRY

main:
    call test_init
    ; sound on, full volume both sides, every channel to both sides
    ld a, #0x80
    ldh (rNR52), a
    ld a, #0x77
    ldh (rNR50), a
    ld a, #0xFF
    ldh (rNR51), a
    xor a
    ldh (rNR10), a          ; no sweep
    ldh (rNR30), a          ; CH3 DAC off while wave RAM is written
    ld hl, #wave
    ld de, #rWAVE
1$: ld a, (hl+)
    ld (de), a
    inc e
    ld a, e
    cp #<(rWAVE + 16)
    jr nz, 1$
    ld a, #0x80
    ldh (rNR30), a
    ld a, #0x20
    ldh (rNR32), a
    ; the LCD must be on for VBlank interrupts
    ldh a, (rLCDC)
    or #0x80
    ldh (rLCDC), a
    ld a, #IRQ_VBLANK
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ei
2$: halt
    nop
    jr 2$

vblank:
    push af
    push bc
    push de
    push hl
    ld hl, #FRAMES
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, (SUBFRAME)
    or a
    jr nz, 2$
    call play_step
    jr 3$
2$: ld e, a                 ; vibrato on CH1: NR13 = note low byte + offset
    ld d, #0
    ld hl, #vibrato
    add hl, de
    ld a, (CUR_LO)
    add a, (hl)
    ldh (rNR13), a
3$: ld a, (SUBFRAME)
    inc a
    and #7
    ld (SUBFRAME), a
    pop hl
    pop de
    pop bc
    pop af
    reti

; play_step: write this step's notes, advance STEP (and LOOPS).
play_step:
    ld a, (STEP)
    ld e, a
    ld d, #0
    ; CH1 melody: period (2 bytes, little-endian), 0 = rest
    ld hl, #melody
    add hl, de
    add hl, de
    ld a, (hl+)
    ld c, a
    ld a, (hl)
    or a
    jr z, 1$
    ld b, a
    ld a, #0x80
    ldh (rNR11), a
    ld a, #0xF3
    ldh (rNR12), a
    ld a, c
    ld (CUR_LO), a
    ldh (rNR13), a
    ld a, b
    or #0x80
    ldh (rNR14), a
    jr 2$
1$: ld a, #0x08             ; rest: volume 0, DAC on, retrigger
    ldh (rNR12), a
    ld a, #0x80
    ldh (rNR14), a
    ; CH2 harmony: period, 0 = nothing this step
2$: ld hl, #harmony
    add hl, de
    add hl, de
    ld a, (hl+)
    ld c, a
    ld a, (hl)
    or a
    jr z, 3$
    ld b, a
    ld a, #0x40
    ldh (rNR21), a
    ld a, #0xA5
    ldh (rNR22), a
    ld a, c
    ldh (rNR23), a
    ld a, b
    or #0x80
    ldh (rNR24), a
    ; CH3 bass: period, 0 = nothing this step
3$: ld hl, #bass
    add hl, de
    add hl, de
    ld a, (hl+)
    ld c, a
    ld a, (hl)
    or a
    jr z, 4$
    ld b, a
    xor a
    ldh (rNR30), a          ; DAC off: stops the channel
    ld a, #0x80
    ldh (rNR30), a          ; DAC on again
    ld a, #0x20
    ldh (rNR32), a
    ld a, c
    ldh (rNR33), a
    ld a, b
    or #0x80
    ldh (rNR34), a
    ; CH4 drums: NR42, NR43
4$: ld hl, #drums
    add hl, de
    add hl, de
    ld a, (hl+)
    ldh (rNR42), a
    ld a, (hl)
    ldh (rNR43), a
    ld a, #0x80
    ldh (rNR44), a
    ; next step
    ld a, e
    inc a
    cp #STEPS
    jr nz, 5$
    ld hl, #LOOPS
    inc (hl)
    xor a
5$: ld (STEP), a
    ret

; Periods: pulse p = 2048 - 131072 / f.
C5 = 0x706
D5 = 0x721
E5 = 0x739
G5 = 0x759
G4 = 0x6B2
B4 = 0x6F7
; Wave p = 2048 - 65536 / f.
C3 = 0x60B
D3 = 0x642
G2 = 0x563

melody:
    .dw E5, D5, C5, D5, E5, E5, E5, 0
    .dw D5, D5, D5, 0, E5, G5, G5, 0
harmony:
    .dw G4, 0, 0, 0, G4, 0, 0, 0
    .dw B4, 0, 0, 0, G4, 0, 0, 0
bass:
    .dw C3, 0, G2, 0, C3, 0, G2, 0
    .dw G2, 0, D3, 0, C3, 0, G2, 0
drums:                      ; NR42, NR43
    .db 0xC1, 0x71, 0x51, 0x00, 0xB2, 0x33, 0x51, 0x00
    .db 0xC1, 0x71, 0x51, 0x00, 0xB2, 0x33, 0x51, 0x00
    .db 0xC1, 0x71, 0x51, 0x00, 0xB2, 0x33, 0x51, 0x00
    .db 0xC1, 0x71, 0x51, 0x00, 0xB2, 0x33, 0x51, 0x00
vibrato:                    ; index 1-7 used (0 is the step frame)
    .db 0, 0, 1, 2, 1, 0, 0xFF, 0xFE
wave:                       ; triangle, 32 samples
    .db 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF
    .db 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10

    .include "runtime.inc"
