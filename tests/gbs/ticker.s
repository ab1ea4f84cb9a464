; A tiny GBS of our own (code at 0x0400) for the player's timing and the collection tests.
; init (A = 0-based song): sound on, CH1 at full volume, duty = song (NR11 = song * 0x40),
; trigger; play: NR13 = ++counter, one write per call, so every call shows in a recording.
; Timer-driven or VBlank-driven is the header's business (TAC bit 2), not the code's.
; Assemble with EI_IN_INIT = 0 or 1 (tools/asm.py defines); with 1, init returns with interrupts
; enabled, as some drivers' init does (gbsplay's nightmode.gbs).

        .area _GBS (ABS)
        .org 0x0400
init::
        ld b, a
        ld a, #0x80
        ldh (0x26), a           ; NR52: power on
        ld a, #0x77
        ldh (0x24), a           ; NR50: full volume both sides
        ld a, #0x11
        ldh (0x25), a           ; NR51: CH1 left and right
        ld a, b
        rrca
        rrca
        ldh (0x11), a           ; NR11: duty = song (bits 6-7), length 0
        ld a, #0xF0
        ldh (0x12), a           ; NR12: volume 15, no envelope
        xor a
        ldh (0x80), a           ; the play counter
        ldh (0x13), a           ; NR13: p low = 0
        ld a, #0x87
        ldh (0x14), a           ; NR14: trigger, p high = 7
        .if EI_IN_INIT
        ei
        .endif
        ret
play::
        ldh a, (0x80)
        inc a
        ldh (0x80), a
        ldh (0x13), a           ; NR13 = counter: one write per call
        ret
