; apu_regs.s -- sound registers seen from the CPU: read masks, wave RAM, NR52 channel status
; (trigger, DAC off, length expiry), APU power off.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB).  Result protocol: common.inc.
; Runs with the LCD off and interrupts disabled; takes about 40 frames (waits for length
; timers).
;
; Facts (Pan Docs, "Audio Registers"; "Audio Details"; "Hardware Registers"):
;   * Reading a sound register returns the written bits OR a fixed mask (write-only and
;     unused bits read 1): NR10 80, NR11 3F, NR12 00, NR13 FF, NR14 BF, FF15 FF, NR21 3F,
;     NR22 00, NR23 FF, NR24 BF, NR30 7F, NR31 FF, NR32 9F, NR33 FF, NR34 BF, FF1F FF,
;     NR41 FF, NR42 00, NR43 00, NR44 BF, NR50 00, NR51 00, NR52 70, FF27-FF2F FF.
;   * Wave RAM (FF30-FF3F) reads back normally while CH3 is not active.
;   * NR52 bits 3-0 report channels 4-1 on. Triggering (NRx4 bit 7) turns a channel on,
;     unless its DAC is off. DAC on iff NRx2 & 0xF8 != 0 (CH3: NR30 bit 7); turning the
;     DAC off turns the channel off. With length enabled (NRx4 bit 6) the length timer,
;     clocked at 256 Hz, turns the channel off after 64 - NRx1[5:0] ticks (CH3: 256 - NR31).
;     Without length enabled the channel keeps playing.
;   * NR52 bit 7 = 0 powers the APU off: all registers are cleared and ignore writes until
;     it is powered on again (except NR52 and, on DMG, the NRx1 length bits).
;
; Checks (number: what):
;   01 NR52 after a power cycle (off, then 0x80)                                0xF0
;   10-2F register FF10 + (n - 0x10) after writing 00, FF, 5A and A5 in turn (NR52 excluded):
;      reads value | mask. PATTERN (DATA + 0) shows the value written when one fails.
;   30 wave RAM FF30-FF3F reads back 16 written bytes (DATA + 1: index)
;   40 CH1 triggered (DAC on, no length)       NR52 = 0xF1
;   41 CH2 triggered                            0xF3
;   42 CH3 triggered                            0xF7
;   43 CH4 triggered                            0xFF
;   44 200 ms later, length disabled: all on    0xFF
;   45 NR12 = 0x00 (CH1 DAC off)                0xFE
;   46 NR22 = 0x08 (volume 0 but envelope up: DAC stays on) 0xFE
;   47 NR30 = 0x00 (CH3 DAC off)                0xFA
;   48 NR42 = 0x00 (CH4 DAC off)                0xF2
;   49 NR22 = 0x00 (CH2 DAC off)                0xF0
;   4A trigger CH1 with its DAC off: stays off  0xF0
;   50 CH2, length 32 ticks (125 ms), triggered with length: NR52 & 0x0F right away    0x02
;   51 ... after 60 ms                          0x02
;   52 ... after 180 ms                         0x00
;   53 CH1, length 1 tick (NR11 = 0x3F), after 10 ms      0x00
;   54 CH3, length 16 ticks (NR31 = 0xF0), after 20 ms     0x04
;   55 ... after 100 ms                         0x00
;   56 CH4, length 16 ticks (NR41 = 0x30), after 20 ms     0x08
;   57 ... after 100 ms                         0x00
;   60 power off: NR52                          0x70
;   61-76 power off: FF10-FF25 read their masks only (the registers were cleared)
;   78 while off, NR50 = 0x77 is ignored        0x00
;   79 while off, NR12 = 0xF0 is ignored        0x00
;   7A while off, NR51 = 0xFF is ignored        0x00
;   7B power on again: NR52                     0xF0
;   7C ... NR50 still 0                         0x00
;   7D ... NR51 still 0                         0x00
;
; DATA (0xC010..): +0 pattern being written in checks 10-2F, +1 wave RAM index.

    .include "common.inc"

PATTERN = DATA + 0
WAVEIDX = DATA + 1

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

    ; 01: power cycle.
    call power_cycle
    ldh a, (rNR52)
    EXPECT 0x01, 0xF0

    ; 10-2F: read masks with four patterns.
    ld a, #0x00
    call mask_pass
    ld a, #0xFF
    call mask_pass
    ld a, #0x5A
    call mask_pass
    ld a, #0xA5
    call mask_pass

    ; 30: wave RAM, CH3 off.
    call power_cycle
    xor a
    ldh (rNR30), a
    ld hl, #rWAVE
    ld c, #0
1$: ld a, c
    call wave_byte
    ld (hl+), a
    inc c
    ld a, c
    cp #16
    jr nz, 1$
    ld hl, #rWAVE
    ld c, #0
2$: ld a, c
    ld (WAVEIDX), a
    call wave_byte
    ld e, a
    ld a, (hl+)
    push bc
    ld c, e
    ld b, #0x30
    call expect_a
    pop bc
    inc c
    ld a, c
    cp #16
    jr nz, 2$

    ; 40-4A: channel status bits.
    call power_cycle
    xor a
    ldh (rNR10), a
    ld a, #0x80
    ldh (rNR11), a          ; duty 50 %, length 0
    ld a, #0xF0
    ldh (rNR12), a          ; volume 15: DAC on
    xor a
    ldh (rNR13), a
    ld a, #0x87
    ldh (rNR14), a          ; trigger, no length
    ldh a, (rNR52)
    EXPECT 0x40, 0xF1
    ld a, #0x80
    ldh (rNR21), a
    ld a, #0xF0
    ldh (rNR22), a
    xor a
    ldh (rNR23), a
    ld a, #0x87
    ldh (rNR24), a
    ldh a, (rNR52)
    EXPECT 0x41, 0xF3
    ld a, #0x80
    ldh (rNR30), a          ; CH3 DAC on
    xor a
    ldh (rNR31), a
    ld a, #0x20
    ldh (rNR32), a          ; 100 %
    xor a
    ldh (rNR33), a
    ld a, #0x87
    ldh (rNR34), a
    ldh a, (rNR52)
    EXPECT 0x42, 0xF7
    xor a
    ldh (rNR41), a
    ld a, #0xF0
    ldh (rNR42), a
    xor a
    ldh (rNR43), a
    ld a, #0x80
    ldh (rNR44), a
    ldh a, (rNR52)
    EXPECT 0x43, 0xFF
    ld a, #200
    call delay_ms
    ldh a, (rNR52)
    EXPECT 0x44, 0xFF
    xor a
    ldh (rNR12), a
    ldh a, (rNR52)
    EXPECT 0x45, 0xFE
    ld a, #0x08
    ldh (rNR22), a
    ldh a, (rNR52)
    EXPECT 0x46, 0xFE
    xor a
    ldh (rNR30), a
    ldh a, (rNR52)
    EXPECT 0x47, 0xFA
    xor a
    ldh (rNR42), a
    ldh a, (rNR52)
    EXPECT 0x48, 0xF2
    xor a
    ldh (rNR22), a
    ldh a, (rNR52)
    EXPECT 0x49, 0xF0
    ld a, #0x80
    ldh (rNR14), a          ; NR12 is 0: the trigger cannot turn CH1 on
    ldh a, (rNR52)
    EXPECT 0x4A, 0xF0

    ; 50-52: CH2 length timer, 32 ticks of 1/256 s = 125 ms.
    call power_cycle
    ld a, #0x20
    ldh (rNR21), a          ; length 32 -> 64 - 32 = 32 ticks
    ld a, #0xF0
    ldh (rNR22), a
    xor a
    ldh (rNR23), a
    ld a, #0xC7
    ldh (rNR24), a          ; trigger + length enable
    call nr52_low
    EXPECT 0x50, 0x02
    ld a, #60
    call delay_ms
    call nr52_low
    EXPECT 0x51, 0x02
    ld a, #120
    call delay_ms
    call nr52_low
    EXPECT 0x52, 0x00

    ; 53: CH1 with one tick of length.
    call power_cycle
    ld a, #0x3F
    ldh (rNR11), a
    ld a, #0xF0
    ldh (rNR12), a
    ld a, #0xC7
    ldh (rNR14), a
    ld a, #10
    call delay_ms
    call nr52_low
    EXPECT 0x53, 0x00

    ; 54-55: CH3, 256 - 0xF0 = 16 ticks (62.5 ms).
    call power_cycle
    ld a, #0x80
    ldh (rNR30), a
    ld a, #0xF0
    ldh (rNR31), a
    ld a, #0x20
    ldh (rNR32), a
    ld a, #0xC7
    ldh (rNR34), a
    ld a, #20
    call delay_ms
    call nr52_low
    EXPECT 0x54, 0x04
    ld a, #80
    call delay_ms
    call nr52_low
    EXPECT 0x55, 0x00

    ; 56-57: CH4, 64 - 0x30 = 16 ticks.
    call power_cycle
    ld a, #0x30
    ldh (rNR41), a
    ld a, #0xF0
    ldh (rNR42), a
    ld a, #0xC0
    ldh (rNR44), a
    ld a, #20
    call delay_ms
    call nr52_low
    EXPECT 0x56, 0x08
    ld a, #80
    call delay_ms
    call nr52_low
    EXPECT 0x57, 0x00

    ; 60-7D: power off.
    call power_cycle
    ld hl, #power_values    ; fill FF10-FF25 with non-zero values (triggers some channels)
    ld de, #rNR10
3$: ld a, (hl+)
    ld (de), a
    inc e
    ld a, e
    cp #<rNR52
    jr nz, 3$
    xor a
    ldh (rNR52), a          ; power off
    ldh a, (rNR52)
    EXPECT 0x60, 0x70
    ld hl, #read_masks
    ld de, #rNR10
4$: ld a, (hl+)
    ld c, a                 ; want: the mask alone
    ld a, e
    add a, #0x61 - 0x10
    ld b, a                 ; check 61 + register index
    ld a, (de)
    call expect_a
    inc e
    ld a, e
    cp #<rNR52
    jr nz, 4$
    ld a, #0x77
    ldh (rNR50), a
    ldh a, (rNR50)
    EXPECT 0x78, 0x00
    ld a, #0xF0
    ldh (rNR12), a
    ldh a, (rNR12)
    EXPECT 0x79, 0x00
    ld a, #0xFF
    ldh (rNR51), a
    ldh a, (rNR51)
    EXPECT 0x7A, 0x00
    ld a, #0x80
    ldh (rNR52), a
    ldh a, (rNR52)
    EXPECT 0x7B, 0xF0
    ldh a, (rNR50)
    EXPECT 0x7C, 0x00
    ldh a, (rNR51)
    EXPECT 0x7D, 0x00

    jp pass

; power_cycle: NR52 = 0x00 then 0x80 (all registers cleared, channels off). Clobbers A.
power_cycle:
    xor a
    ldh (rNR52), a
    ld a, #0x80
    ldh (rNR52), a
    ret

; nr52_low: A = NR52 & 0x0F (channel status bits).
nr52_low:
    ldh a, (rNR52)
    and #0x0F
    ret

; wave_byte: A = the test pattern for wave RAM byte A (A * 0x11 ^ 0x96).
wave_byte:
    push bc
    ld b, a
    swap a
    or b
    xor #0x96
    pop bc
    ret

; mask_pass: power cycle, then for each register FF10-FF2F except NR52: write A, read it
; back, expect A | mask. Check number = low byte of the address.
mask_pass:
    ld (PATTERN), a
    call power_cycle
    ld hl, #read_masks
    ld de, #rNR10
1$: ld a, e
    cp #<rNR52
    jr z, 2$                ; skip NR52 (bit 7 would power the APU off)
    ld a, (PATTERN)
    ld (de), a
    ld b, a
    ld a, (hl)
    or b
    ld c, a                 ; want = pattern | mask
    ld b, e                 ; check number = address low byte (0x10-0x2F)
    ld a, (de)
    call expect_a
2$: inc hl
    inc e
    ld a, e
    cp #0x30
    jr nz, 1$
    ret

; Read masks of FF10-FF2F (Pan Docs), NR52 (FF26) included.
read_masks:
    .db 0x80, 0x3F, 0x00, 0xFF, 0xBF            ; NR10-NR14
    .db 0xFF, 0x3F, 0x00, 0xFF, 0xBF            ; FF15, NR21-NR24
    .db 0x7F, 0xFF, 0x9F, 0xFF, 0xBF            ; NR30-NR34
    .db 0xFF, 0xFF, 0x00, 0x00, 0xBF            ; FF1F, NR41-NR44
    .db 0x00, 0x00, 0x70                        ; NR50-NR52
    .db 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF    ; FF27-FF2F

; Values written to FF10-FF25 before the power-off test.
power_values:
    .db 0x7F, 0xC0, 0xF3, 0x55, 0x87            ; NR10-NR14 (trigger)
    .db 0xFF, 0x80, 0xA5, 0x66, 0x87            ; FF15, NR21-NR24 (trigger)
    .db 0x80, 0x10, 0x60, 0x77, 0x87            ; NR30-NR34 (trigger)
    .db 0xFF, 0x21, 0x5A, 0xA5, 0x80            ; FF1F, NR41-NR44 (trigger)
    .db 0x77, 0xFF                              ; NR50, NR51

    .include "runtime.inc"
