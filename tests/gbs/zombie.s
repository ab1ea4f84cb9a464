; A tiny GBS of our own (code at 0x0400): CH1 holds one 50 % pulse note (p = 0x6D6, 440 Hz)
; and fades it in with "zombie mode" writes: every STEP_FRAMES play calls, NR12 = 0x08 (volume 0,
; increase, period 0), which raises the volume by one step on a running channel (15 -> 0 wraps).
; Its register writes are reconstructed in tests/test_apu_reference.py: keep the two in step.
STEP_FRAMES = 6

        .area _GBS (ABS)
        .org 0x0400
init::
        ld a, #0x80
        ldh (0x26), a           ; NR52: power on
        ld a, #0x77
        ldh (0x24), a           ; NR50: full volume both sides
        ld a, #0x11
        ldh (0x25), a           ; NR51: CH1 left and right
        ld a, #0x80
        ldh (0x11), a           ; NR11: duty 50 %, length 0
        ld a, #0x18
        ldh (0x12), a           ; NR12: volume 1, increase, period 0 (no envelope)
        ld a, #0xD6
        ldh (0x13), a           ; NR13: p low
        ld a, #0x86
        ldh (0x14), a           ; NR14: trigger, no length, p high = 6
        xor a
        ldh (0x80), a           ; frame counter
        ret
play::
        ldh a, (0x80)
        inc a
        cp #STEP_FRAMES
        jr nz, 1$
        ld a, #0x08
        ldh (0x12), a           ; NR12 written while playing: volume + 1
        xor a
1$:
        ldh (0x80), a
        ret
