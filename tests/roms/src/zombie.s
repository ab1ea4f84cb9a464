; zombie.s -- "zombie mode": NRx2 written while CH1 or CH2 plays, for comparing our APU with a
; reference emulator (tests/test_apu_libretro.py runs it in Gambatte and in our emulator).
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB). No pass/fail result: it plays its
; table once, then stays silent. Serial: nothing (unless a trap fires, see common.inc).
;
; The rule (Pan Docs "Audio Details", Obscure Behavior; gbdev wiki "Gameboy sound hardware"):
; an NRx2 write on a playing channel that keeps its DAC on changes the volume:
;   1. old pace (bits 0-2) 0 and the envelope still running: volume + 1;
;   2. otherwise, old direction (bit 3) decrease: volume + 2;
;   3. direction changed: volume = 16 - volume;  4. volume & 15.
;
; The VBlank handler makes one frame's writes per VBlank from `table` (at 0x1000, read by the
; test as well): per frame, (register, value) byte pairs, the register FF00-relative (0x12 =
; NR12), then 0x00; or 0xFE n: end of this frame, and the next n - 1 frames write nothing;
; 0xFF: the end of the table (no more writes). Frame 0 is the first VBlank.
;
; Frames (CH1 440 Hz, period 0x6D6; CH2 659 Hz, period 0x739; both duty 50 %):
;     0  APU power cycle (NR52 0, 0x80), NR50 0x77, NR51 0x33, NR10 0, duties and periods
;     2  calibration: CH1 NR12 0xF0, trigger (volume 15, no envelope), 24 frames
;    26  calibration: CH1 off (NR12 0); CH2 NR22 0xF0, trigger, 24 frames
;    50  CH2 off; silence
;    56  control: CH1 NR12 0xF3, trigger (15 down to 0, pace 3), 48 frames, no NR12 writes
;   104  control: CH1 off; CH2 NR22 0x1D, trigger (1 up to 15, pace 5), 78 frames
;   182  CH2 off; silence
;   188  zombie fade: CH1 NR12 0x18, trigger (volume 1, increase, pace 0); then NR12 0x08 at
;        frames 194, 200, ..., 296 (every 6, 18 writes): +1 each, so 2, 3, ..., 15, 0, 1, 2, 3
;   302  CH1 off; zombie direction flips and +2 steps: CH2 NR22 0x40, trigger (4, decrease,
;        pace 0); then every 8 frames (310 .. 374) one burst of writes, the volume after it:
;          0x48: 16 - (4 + 1) = 11        0x40: 16 - (11 + 1) = 4      0x48: 11     0x40: 4
;          0x41 0x41 0x40: 5, 7, 9         0x41 0x40: 10, 12
;          0x49 0x48: 16 - 13 = 3, 3 (old pace 1, increase: unchanged)
;          0x40: 16 - (3 + 1) = 12         0x41 0x41 0x41 0x40: 13, 15, 1, 3
;        (a burst is a few microseconds long and ends on pace 0, so no envelope step falls
;        in it or follows it)
;   382  CH2 off; the end of the table
;
; Memory: DATA+0/+1 (0xC010) VBlanks handled (16-bit little-endian), +2/+3 the table pointer,
; +4 frames left to wait. RESULT (0xC000) stays 0.

    .include "common.inc"

FRAMES  = DATA + 0      ; 16-bit
POINTER = DATA + 2      ; 16-bit, little-endian
WAITING = DATA + 4

; Table entries.
.macro W reg, value
    .db reg, value
.endm
.macro WAIT n
    .db 0xFE, n
.endm

P1 = 0x6D6              ; 131072 / (2048 - 0x6D6) = 439.8 Hz
P2 = 0x739              ; 131072 / (2048 - 0x739) = 658.6 Hz
TRIGGER = 0x80
P1_LO = P1 & 0xFF
P1_HI = P1 >> 8
P2_LO = P2 & 0xFF
P2_HI = P2 >> 8
GO1 = TRIGGER | P1_HI      ; NR14: trigger, period high bits
GO2 = TRIGGER | P2_HI      ; NR24

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
    ld a, #<table
    ld (POINTER), a
    ld a, #>table
    ld (POINTER + 1), a
    ; the LCD must be on for VBlank interrupts
    ldh a, (rLCDC)
    or #0x80
    ldh (rLCDC), a
    ld a, #IRQ_VBLANK
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ei
1$: halt
    nop
    jr 1$

vblank:
    push af
    push bc
    push hl
    ld hl, #FRAMES
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, (WAITING)
    or a
    jr z, 2$
    dec a
    ld (WAITING), a
    jr 7$
2$: ld a, (POINTER)
    ld l, a
    ld a, (POINTER + 1)
    ld h, a
3$: ld a, (hl+)
    or a
    jr z, 6$                ; end of this frame's writes
    cp #0xFF
    jr z, 5$                ; end of the table: stay on it
    cp #0xFE
    jr z, 4$
    ld c, a
    ld a, (hl+)
    ldh (c), a
    jr 3$
4$: ld a, (hl+)             ; wait: this frame and n - 1 more
    dec a
    ld (WAITING), a
    jr 6$
5$: dec hl
6$: ld a, l
    ld (POINTER), a
    ld a, h
    ld (POINTER + 1), a
7$: pop hl
    pop bc
    pop af
    reti

    .include "runtime.inc"

    .org 0x1000
table:
    ; 0: set-up
    W 0x26, 0x00
    W 0x26, 0x80
    W 0x24, 0x77
    W 0x25, 0x33
    W 0x10, 0x00
    W 0x11, 0x80
    W 0x13, P1_LO
    W 0x16, 0x80
    W 0x18, P2_LO
    WAIT 2
    ; 2: calibration, CH1 at 15
    W 0x12, 0xF0
    W 0x14, GO1
    WAIT 24
    ; 26: calibration, CH2 at 15
    W 0x12, 0x00
    W 0x17, 0xF0
    W 0x19, GO2
    WAIT 24
    ; 50
    W 0x17, 0x00
    WAIT 6
    ; 56: control, CH1 envelope down
    W 0x12, 0xF3
    W 0x14, GO1
    WAIT 48
    ; 104: control, CH2 envelope up
    W 0x12, 0x00
    W 0x17, 0x1D
    W 0x19, GO2
    WAIT 78
    ; 182
    W 0x17, 0x00
    WAIT 6
    ; 188: zombie fade on CH1
    W 0x12, 0x18
    W 0x14, GO1
    WAIT 6
    ; 194 .. 296: 18 zombie writes
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    W 0x12, 0x08
    WAIT 6
    ; 302: zombie flips and +2 steps on CH2
    W 0x12, 0x00
    W 0x17, 0x40
    W 0x19, GO2
    WAIT 8
    W 0x17, 0x48
    WAIT 8
    W 0x17, 0x40
    WAIT 8
    W 0x17, 0x48
    WAIT 8
    W 0x17, 0x40
    WAIT 8
    W 0x17, 0x41
    W 0x17, 0x41
    W 0x17, 0x40
    WAIT 8
    W 0x17, 0x41
    W 0x17, 0x40
    WAIT 8
    W 0x17, 0x49
    W 0x17, 0x48
    WAIT 8
    W 0x17, 0x40
    WAIT 8
    W 0x17, 0x41
    W 0x17, 0x41
    W 0x17, 0x41
    W 0x17, 0x40
    WAIT 8
    ; 382: the end
    W 0x17, 0x00
    .db 0x00
    .db 0xFF
