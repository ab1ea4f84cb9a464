; A table-driven GBS of our own (code at 0x0400): each call (init is call 0, then one play call
; per VBlank) makes the next entry's sound register writes. The test appends the table after the
; code, at `table`: per call, zero or more (register, value) byte pairs, then 0x00; 0xFF ends the
; table (later calls write nothing). Registers are FF00-relative bytes (0x12 = NR12). The same
; table gives the writes' schedule in Python (call k at T-cycle k * 70224), so no reconstruction
; has to be kept in step with the assembly.
        .area _GBS (ABS)
        .org 0x0400
init::
        ld hl, #table
        jr run_call
play::
        ldh a, (0x80)
        ld l, a
        ldh a, (0x81)
        ld h, a
run_call:
        ld a, (hl+)
        or a
        jr z, 2$                ; end of this call's writes
        cp #0xFF
        jr z, 1$                ; end of the table: stay on it
        ld c, a
        ld a, (hl+)
        ldh (c), a
        jr run_call
1$:
        dec hl
2$:
        ld a, l
        ldh (0x80), a
        ld a, h
        ldh (0x81), a
        ret
table::
