; halt.s -- HALT: waking with IME = 1 (dispatch), with IME = 0 (no dispatch), the halt bug.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB).  Result protocol: common.inc.
; Runs with the LCD off; the wake-up source is the timer. Finishes within a few frames.
;
; Facts (Pan Docs, "halt"; "Interrupts"; "Timer and Divider Registers"):
;   * HALT stops the CPU until IE & IF != 0. With IME = 1 the interrupt is then dispatched and
;     the handler returns to the instruction after HALT.
;   * With IME = 0 and nothing pending, HALT waits the same way and then simply continues with
;     the next instruction; nothing is dispatched and IF keeps the request.
;   * With IME = 0 and an interrupt already pending (IE & IF != 0), HALT does not wait and PC
;     fails to advance past it: the byte after HALT is read twice ("halt bug"). Here that
;     byte is `inc a` (0x3C), so it runs twice.
;   * The timer: with TAC = 0x07 TIMA counts every 64 M-cycles, the same events that advance
;     DIV. Starting from TIMA = 0xF0 right after a DIV reset, TIMA overflows on the 16th
;     increment, i.e. when DIV goes from 15 to 16 (1,024 M-cycles later).
;
; Checks (number: what, expected):
;   01 IME = 1: the timer handler ran once by the time HALT is left    1
;   02 ... it ran before the instruction after HALT (MARK seen by it)   0
;   03 ... DIV when the handler ran: HALT waited for the overflow       16..17
;   04 IME = 0, nothing pending: HALT returned, no handler ran          0
;   05 ... the request is still in IF                                   0x04
;   06 ... DIV after waking                                              16..17
;   07 a request that IE masks out is not "pending" (IE & IF = 0): HALT waits for the
;      timer, no bug: `xor a; halt; inc a` gives                          1
;   08 halt bug: `xor a; halt; inc a` with IE & IF != 0 and IME = 0: no handler ran   0
;   09 ... IF keeps the request                                           0x04
;   0A ... `inc a` ran twice: A =                                         2
;      (the halt bug comes last so that an emulator without it, such as PyBoy 2.x, still
;      exercises every other check: it reports "FAIL 0A 01 02")
;
; DATA (0xC010..): +0 handler count, +1 MARK seen by the handler, +2 DIV in the handler,
; +3 DIV after the IME = 0 wake-up, +4 A after check 07, +5 A after the halt bug.

    .include "common.inc"

HITS     = DATA + 0
SEENMARK = DATA + 1
SEENDIV  = DATA + 2
DIV_IME0 = DATA + 3
NOBUG_A  = DATA + 4
BUG_A    = DATA + 5
MARK     = 0xC0F0

    .area _ROM0 (ABS)

    RST_TRAPS
    IRQ_TRAP 0x0040
    IRQ_TRAP 0x0048
    .org 0x0050
    jp timer_handler
    IRQ_TRAP 0x0058
    IRQ_TRAP 0x0060

    ENTRY

main:
    call test_init
    call lcd_off

    ; 01-03: IME = 1.
    call arm_timer          ; overflow 1,024 M-cycles after its DIV reset
    ld hl, #MARK
    ei
    halt
    inc (hl)
    di
    ld a, (HITS)
    EXPECT 0x01, 1
    ld a, (SEENMARK)
    EXPECT 0x02, 0
    ld a, (SEENDIV)
    EXPECT_RANGE 0x03, 16, 17

    ; 04-06: IME = 0, nothing pending.
    xor a
    ld (HITS), a
    call arm_timer
    halt
    ldh a, (rDIV)
    ld (DIV_IME0), a
    ld a, (HITS)
    EXPECT 0x04, 0
    ldh a, (rIF)
    and #IRQ_TIMER
    EXPECT 0x05, 0x04
    ld a, (DIV_IME0)
    EXPECT_RANGE 0x06, 16, 17

    ; 07: a request that IE masks out is not "pending": no bug, HALT waits for the timer.
    call arm_timer          ; IE = timer, IF = 0
    ld a, #IRQ_VBLANK
    ldh (rIF), a            ; requested, but not enabled in IE
    xor a
    halt
    inc a
    ld (NOBUG_A), a
    EXPECT 0x07, 1

    ; 08-0A: the halt bug: the timer request is written to IF by software.
    xor a
    ldh (rTAC), a
    ld (HITS), a
    ld a, #IRQ_TIMER
    ldh (rIE), a
    ldh (rIF), a
    xor a
    halt                    ; IME = 0, IE & IF != 0
    inc a                   ; executed twice
    ld (BUG_A), a
    ld a, (HITS)
    EXPECT 0x08, 0
    ldh a, (rIF)
    and #IRQ_TIMER
    EXPECT 0x09, 0x04
    ld a, (BUG_A)
    EXPECT 0x0A, 2

    jp pass

; arm_timer: IE = timer only, IF = 0, TMA = 0, TIMA = 0xF0, TAC = 0x07 started right after a
; DIV reset: TIMA overflows after 16 x 64 = 1,024 M-cycles. Clobbers A.
arm_timer:
    xor a
    ldh (rTAC), a
    ldh (rTMA), a
    ldh (rIF), a
    ld a, #0xF0
    ldh (rTIMA), a
    ld a, #IRQ_TIMER
    ldh (rIE), a
    ld a, #0x07
    ldh (rDIV), a
    ldh (rTAC), a
    ret

timer_handler:
    push af
    ldh a, (rDIV)
    ld (SEENDIV), a
    ld a, (MARK)
    ld (SEENMARK), a
    ld a, (HITS)
    inc a
    ld (HITS), a
    pop af
    reti

    .include "runtime.inc"
