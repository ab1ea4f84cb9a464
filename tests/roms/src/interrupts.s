; interrupts.s -- IE/IF dispatch: priority order, vector addresses, IF acknowledge, IME,
; EI delay, RET vs RETI, a real timer interrupt.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB).  Result protocol: common.inc.
; Runs with the LCD off (so no VBlank/STAT requests appear by themselves); finishes within a
; few frames.
;
; Facts (Pan Docs, "Interrupts"):
;   * An interrupt is dispatched when IME = 1 and IE & IF != 0; the CPU clears IME and the IF
;     bit, pushes PC and jumps to the vector: bit 0 VBlank 0x40, bit 1 STAT 0x48, bit 2 Timer
;     0x50, bit 3 Serial 0x58, bit 4 Joypad 0x60. With several requested, bit 0 is served
;     first, bit 4 last.
;   * Writing IF requests (or discards) interrupts by software. IF bits 7-5 read as 1.
;   * `ei` takes effect after the following instruction; `ei` then `di` lets no interrupt in.
;   * `reti` returns and sets IME (like `ei` + `ret`, so IME is 1 as soon as it has returned);
;     `ret` leaves IME = 0.
;
; Every handler logs an entry: the vector it was entered by, IF & 0x1F on entry, and the
; value of the MARK byte (the main code increments MARK between instructions, which shows
; where a dispatch happened). Handlers end with `reti`, or `ret` when RETMODE != 0.
;
; Checks (number: what, expected):
;   01 IF reads 0xE0 after writing 0                                   0xE0
;   02 IME = 0: IE = IF = 0x1F requests nothing be dispatched (log count) 0
;   03 ... and IF is unchanged (0xE0 | 0x1F)                            0xFF
;   04 IME = 1 with all five requested: five dispatches                 5
;   05-09 vectors in priority order: 40 48 50 58 60
;   0A-0E IF on entry to each: 1E 1C 18 10 00 (each acknowledged in turn, the rest pending)
;   0F-13 MARK seen by each: 1 (the instruction after `ei` ran once, then all five handlers
;         ran back to back: `reti` re-enabled interrupts with no instruction in between)
;   14 IF afterwards                                                      0xE0
;   15 IE masks: IE = 0x14 with IF = 0x1F dispatches two                  2
;   16-17 ... timer then joypad                                           0x50, 0x60
;   18 ... and leaves IF = 0xE0 | 0x0B                                    0xEB
;   19 EI delay: `ei; inc (hl)` -> the handler sees MARK = 1             1
;   1A `ei; di` with a request pending: no dispatch (log count)           0
;   1B ... the request stays in IF (bit 0)                                0x01
;   1C `ret` ends a handler without re-enabling: one of two dispatched    1
;   1D ... it was the VBlank one                                          0x40
;   1E ... timer request still pending                                    0x04
;   1F after a new `ei`, the timer one is dispatched: count               2
;   20 ... vector                                                         0x50
;   21 a real timer overflow (TIMA 0xFE -> 0x00) dispatches to 0x50: count 1
;   22 ... vector                                                         0x50
;
; DATA (0xC010..): +0 log count, +1..+15 log of vectors, +0x10 (0xC020).. IF on entry,
; +0x20 (0xC030).. MARK seen. MARK at 0xC0F0, RETMODE at 0xC0F1.

    .include "common.inc"

LOGCNT  = DATA          ; number of dispatches logged
LOGVEC  = DATA + 1      ; 15 entries
LOGIF   = DATA + 0x11
LOGMARK = DATA + 0x21
LOGMAX  = 15
MARK    = 0xC0F0
RETMODE = 0xC0F1

    .area _ROM0 (ABS)

    RST_TRAPS

    .org 0x0040
    push af
    ld a, #0x40
    jp handler
    .org 0x0048
    push af
    ld a, #0x48
    jp handler
    .org 0x0050
    push af
    ld a, #0x50
    jp handler
    .org 0x0058
    push af
    ld a, #0x58
    jp handler
    .org 0x0060
    push af
    ld a, #0x60
    jp handler

    ENTRY

main:
    call test_init
    call lcd_off

    ; 01: IF unused bits.
    xor a
    ldh (rIF), a
    ldh a, (rIF)
    EXPECT 0x01, 0xE0

    ; 02-03: IME = 0 blocks dispatch.
    call reset_log
    ld a, #0x1F
    ldh (rIE), a
    ldh (rIF), a
    nop
    nop
    nop
    ld a, (LOGCNT)
    EXPECT 0x02, 0
    ldh a, (rIF)
    EXPECT 0x03, 0xFF

    ; 04-14: all five pending (IF = 0x1F still), IME = 1: priority order.
    ld hl, #MARK
    ei
    inc (hl)                ; runs before the first dispatch (EI delay)
    inc (hl)                ; runs after all five handlers
    di
    ld a, (LOGCNT)
    EXPECT 0x04, 5
    ld hl, #expect_order
    ld de, #LOGVEC
    ld b, #0x05
    call compare_log
    ld hl, #expect_if
    ld de, #LOGIF
    ld b, #0x0A
    call compare_log
    ld hl, #expect_mark
    ld de, #LOGMARK
    ld b, #0x0F
    call compare_log
    ldh a, (rIF)
    EXPECT 0x14, 0xE0

    ; 15-18: IE masks requests.
    call reset_log
    ld a, #IRQ_TIMER | IRQ_JOYPAD
    ldh (rIE), a
    ld a, #0x1F
    ldh (rIF), a
    ei
    nop
    nop
    di
    ld a, (LOGCNT)
    EXPECT 0x15, 2
    ld a, (LOGVEC + 0)
    EXPECT 0x16, 0x50
    ld a, (LOGVEC + 1)
    EXPECT 0x17, 0x60
    ldh a, (rIF)
    EXPECT 0x18, 0xEB

    ; 19: EI delay: exactly one instruction runs before the dispatch.
    call reset_log
    ld a, #IRQ_VBLANK
    ldh (rIE), a
    ldh (rIF), a
    ld hl, #MARK
    ei
    inc (hl)
    inc (hl)
    inc (hl)
    di
    ld a, (LOGMARK)
    EXPECT 0x19, 1

    ; 1A-1B: ei; di lets nothing in.
    call reset_log
    ld a, #IRQ_VBLANK
    ldh (rIE), a
    ldh (rIF), a
    ei
    di
    nop
    nop
    ld a, (LOGCNT)
    EXPECT 0x1A, 0
    ldh a, (rIF)
    and #0x1F
    EXPECT 0x1B, 0x01

    ; 1C-20: a handler ending in `ret` leaves IME = 0.
    call reset_log
    ld a, #1
    ld (RETMODE), a
    ld a, #IRQ_VBLANK | IRQ_TIMER
    ldh (rIE), a
    ldh (rIF), a
    ei
    nop
    nop
    nop
    nop
    ld a, (LOGCNT)
    EXPECT 0x1C, 1
    ld a, (LOGVEC + 0)
    EXPECT 0x1D, 0x40
    ldh a, (rIF)
    and #0x1F
    EXPECT 0x1E, 0x04
    ei
    nop
    nop
    di
    ld a, (LOGCNT)
    EXPECT 0x1F, 2
    ld a, (LOGVEC + 1)
    EXPECT 0x20, 0x50
    xor a
    ld (RETMODE), a

    ; 21-22: a real timer interrupt (TIMA overflow, Pan Docs "Timer and Divider Registers").
    call reset_log
    xor a
    ldh (rTAC), a
    ldh (rTMA), a
    ld a, #0xFE
    ldh (rTIMA), a
    xor a
    ldh (rIF), a
    ld a, #IRQ_TIMER
    ldh (rIE), a
    ld a, #0x05             ; every 4 M-cycles: overflow after about 8
    ldh (rTAC), a
    ei
    ld b, #0
1$: ld a, (LOGCNT)          ; wait (bounded) for the handler
    or a
    jr nz, 2$
    dec b
    jr nz, 1$
2$: di
    xor a
    ldh (rTAC), a
    ld a, (LOGCNT)
    EXPECT 0x21, 1
    ld a, (LOGVEC + 0)
    EXPECT 0x22, 0x50

    jp pass

; handler: common body of the five interrupt vectors; A = vector, the caller's AF pushed.
handler:
    push bc
    push hl
    ld b, a
    ld hl, #LOGCNT
    ld a, (hl)
    cp #LOGMAX
    jr nc, 9$               ; runaway interrupts: fail
    inc (hl)
    ld c, a                 ; C = index
    ld a, #<LOGVEC
    add a, c
    ld l, a
    ld h, #>LOGVEC          ; the log stays within page 0xC0
    ld (hl), b
    ld a, l
    add a, #0x10
    ld l, a
    ldh a, (rIF)
    and #0x1F
    ld (hl), a              ; LOGIF[index]
    ld a, l
    add a, #0x10
    ld l, a
    ld a, (MARK)
    ld (hl), a              ; LOGMARK[index]
    ld a, (RETMODE)
    or a
    pop hl
    pop bc
    jr nz, 1$
    pop af
    reti
1$: pop af
    ret
9$: ld a, b
    ld b, #0x7F             ; check 7F: more than LOGMAX dispatches
    ld c, #0
    jp fail

; reset_log: IME off, IE = IF = 0, log and MARK cleared. Clobbers A, B, HL.
reset_log:
    di
    xor a
    ldh (rIE), a
    ldh (rIF), a
    ld (MARK), a
    ld hl, #LOGCNT
    ld b, #0x31
1$: ld (hl+), a
    dec b
    jr nz, 1$
    ret

; compare_log: compare 5 bytes at DE with 5 expected at HL; check numbers B, B+1, ...
compare_log:
    ld c, #5
1$: push bc
    ld a, (hl+)
    ld c, a                 ; want
    ld a, (de)              ; got
    inc de
    call expect_a
    pop bc
    inc b
    dec c
    jr nz, 1$
    ret

expect_order:
    .db 0x40, 0x48, 0x50, 0x58, 0x60
expect_if:
    .db 0x1E, 0x1C, 0x18, 0x10, 0x00
expect_mark:
    .db 1, 1, 1, 1, 1

    .include "runtime.inc"
