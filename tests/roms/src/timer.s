; timer.s -- DIV and TIMA: counting rates, reset by writing DIV, overflow, reload, IF bit 2.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB).  Result protocol: common.inc.
; Runs with the LCD off and interrupts disabled; finishes within a few frames.
;
; Facts (Pan Docs, "Timer and Divider Registers"; "Timer Obscure Behaviour"):
;   * DIV is the upper byte of a 16-bit counter that counts T-cycles: +1 every 256 T-cycles
;     (64 M-cycles, 16384 Hz). Writing any value to DIV resets the whole counter to 0.
;   * TAC bit 2 enables TIMA; bits 1-0 select its clock: 00 = 4096 Hz (every 256 M-cycles),
;     01 = 262144 Hz (every 4), 10 = 65536 Hz (every 16), 11 = 16384 Hz (every 64). TIMA
;     counts the falling edges of one bit of the same counter, so resetting DIV also restarts
;     the TIMA prescaler: the first increment comes one full period after the DIV write.
;   * On overflow TIMA is reloaded from TMA and IF bit 2 (timer) is set.
;   * Unused bits read as 1: TAC reads 0xF8 | value.
;
; Measurement method: stop the timer, TIMA = 0, write DIV (t = 0), enable the timer 3
; M-cycles later, wait with a cycle-exact loop, read TIMA at t = W M-cycles. The expected
; count is floor(W / period). Every window W is chosen half a period away from an increment,
; so being a cycle or two off in when a write or a read takes effect cannot change the count
; (the tightest margin is 2 M-cycles, for the 4-M-cycle clock).
;
; Checks (number: what, expected):
;   01 TAC reads back 0xF8 | written value (wrote 0x05)            0xFD
;   02 DIV after W = 2336 M-cycles (36.5 periods of 64)             36  (0x24)
;   03 DIV immediately after writing DIV                            0
;   04 TIMA, TAC=0x05 (every 4 M),   W = 386  (96.5 periods)        96  (0x60)
;   05 TIMA, TAC=0x06 (every 16 M),  W = 1576 (98.5 periods)        98  (0x62)
;   06 TIMA, TAC=0x07 (every 64 M),  W = 2976 (46.5 periods)        46  (0x2E)
;   07 TIMA, TAC=0x04 (every 256 M), W = 6784 (26.5 periods)        26  (0x1A)
;   08 TIMA, TAC=0x01 (disabled),    W = 386                         0
;   09 IF bit 2 clear 6 M-cycles after starting at TIMA=0xFE (1 tick) 0x00
;   10 TIMA after 6 ticks from 0xFE with TMA=0xF0: FE FF [F0] F1 F2 F3 F4   0xF4
;   11 IF bit 2 set after the overflow                                0x04
;   12 IF bit 2 stays clear when TIMA does not overflow (TIMA 0x00, 6 ticks) 0x00
;
; DATA (0xC010..): +0 DIV (check 02), +1..+4 TIMA for TAC 05, 06, 07, 04, +5 TIMA after
; overflow (check 10).

    .include "common.inc"

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

    ; 01: TAC unused bits read as 1.
    ld a, #0x05
    ldh (rTAC), a
    ldh a, (rTAC)
    EXPECT 0x01, 0xFD
    xor a
    ldh (rTAC), a

    ; 02: DIV rate. W = 3 (ldh write->ldh read overhead) + (7 * 332 + 9) = 2336 = 36.5 * 64.
    ld bc, #332
    ldh (rDIV), a           ; t = 0
    call delay_bc           ; 7 * BC + 9
    ldh a, (rDIV)           ; read at t = 7 * BC + 12
    ld (DATA + 0), a
    EXPECT 0x02, 36

    ; 03: writing DIV resets it.
    ldh (rDIV), a
    ldh a, (rDIV)
    EXPECT 0x03, 0

    ; 04-07: TIMA rate for each clock. measure_tima: W = 7 * BC + 15.
    ld a, #0x05
    ld bc, #53              ; W = 386 = 96.5 * 4
    call measure_tima
    ld (DATA + 1), a
    EXPECT 0x04, 96

    ld a, #0x06
    ld bc, #223             ; W = 1576 = 98.5 * 16
    call measure_tima
    ld (DATA + 2), a
    EXPECT 0x05, 98

    ld a, #0x07
    ld bc, #423             ; W = 2976 = 46.5 * 64
    call measure_tima
    ld (DATA + 3), a
    EXPECT 0x06, 46

    ld a, #0x04
    ld bc, #967             ; W = 6784 = 26.5 * 256
    call measure_tima
    ld (DATA + 4), a
    EXPECT 0x07, 26

    ; 08: TAC bit 2 clear: TIMA does not count.
    ld a, #0x01
    ld bc, #53
    call measure_tima
    EXPECT 0x08, 0

    ; 09-11: overflow. TMA = 0xF0, TIMA = 0xFE, clock every 4 M-cycles. Increments at
    ; t = 4 (FF), 8 (overflow: reload F0, IF bit 2), 12 (F1), 16, 20, 24 (F4).
    xor a
    ldh (rTAC), a
    ld a, #0xF0
    ldh (rTMA), a
    ld a, #0xFE
    ldh (rTIMA), a
    xor a
    ldh (rIF), a
    ld a, #0x05
    ld bc, #1
    ldh (rDIV), a           ; t = 0
    ldh (rTAC), a           ; t = 3: start
    ldh a, (rIF)            ; t = 6: one increment so far (TIMA = FF)
    ld h, a                 ; t = 7
    call delay_bc           ; 16 M-cycles
    ldh a, (rTIMA)          ; t = 26 = 6.5 * 4: six increments
    ld l, a
    ldh a, (rIF)
    ld d, a
    xor a
    ldh (rTAC), a
    ld a, l
    ld (DATA + 5), a
    ld a, h
    and #IRQ_TIMER
    EXPECT 0x09, 0x00
    ld a, l
    EXPECT 0x0A, 0xF4
    ld a, d
    and #IRQ_TIMER
    EXPECT 0x0B, 0x04

    ; 12: no overflow, no request.
    xor a
    ldh (rTIMA), a
    ldh (rIF), a
    ld a, #0x05
    ld bc, #1
    ldh (rDIV), a
    ldh (rTAC), a
    call delay_bc
    ldh a, (rIF)
    and #IRQ_TIMER
    EXPECT 0x0C, 0x00
    xor a
    ldh (rTAC), a

    jp pass

; measure_tima: A = TAC value, BC = delay count. Returns A = TIMA read W = 7 * BC + 15
; M-cycles after DIV was reset (the timer is started 3 M-cycles after the reset).
measure_tima:
    ld d, a
    xor a
    ldh (rTAC), a           ; stop (a TAC write may bump TIMA once: TIMA is cleared next)
    ldh (rTIMA), a
    ld a, d
    ldh (rDIV), a           ; t = 0: counter and prescaler reset
    ldh (rTAC), a           ; t = 3
    call delay_bc           ; t = 3 + 7 * BC + 9
    ldh a, (rTIMA)          ; read at t = 7 * BC + 15
    ld d, a
    xor a
    ldh (rTAC), a
    ld a, d
    ret

    .include "runtime.inc"
