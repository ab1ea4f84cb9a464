; joypad.s -- P1/JOYP (FF00) reads with each select bit, and the joypad interrupt, driven by
; button presses from the host.
;
; Build: python tests/roms/build_roms.py (ROM only, 32 KiB).  Result protocol: common.inc.
; The LCD stays on: the ROM counts frames with the VBlank interrupt (for timeouts) and HALTs
; between events.
;
; BUTTON PROTOCOL. The host presses and releases buttons; STATE (0xC010) says what the ROM is
; waiting for. Either follow STATE (press when it shows the value), or use this schedule,
; counted in frames from power-on (the ROM reaches STATE 1 within its first 2 frames):
;     frame 10: press A        (STATE 1: waiting for A)
;     frame 20: release A      (STATE 2: waiting for the release)
;     frame 30: press RIGHT    (STATE 3: waiting for RIGHT)
;     frame 40: release RIGHT  (STATE 4: waiting for the release)
; and expect the result by frame 45 ("PASS\n", RESULT = 0x01). Press nothing else and hold
; each button at least 2 frames. Each wait times out after 600 frames (10 s) with a FAIL.
;
; Facts (Pan Docs, "Joypad Input"; "Interrupts"; "Interrupt Sources"):
;   * Writing P1 bit 5 = 0 selects the buttons (Start, Select, B, A in bits 3-0), bit 4 = 0
;     the d-pad (Down, Up, Left, Right). A pressed key reads 0. With neither selected the low
;     nibble reads 0xF. Bits 7-6 are unused and read 1; bits 5-4 read back as written.
;   * The joypad interrupt (IF bit 4, vector 0x60) is requested when one of the P1 input
;     lines goes from high to low, i.e. when a key of a selected group is pressed.
;
; Checks (number: what, expected):
;   01-03 nothing pressed: low nibble of P1 with 0x20, 0x10, 0x00 written    0xF
;   04 A held: buttons selected (0x10 written), low nibble                0xE
;   05 ... d-pad selected (0x20): A is not visible                        0xF
;   06 RIGHT held: d-pad selected                                         0xE
;   07 ... buttons selected: RIGHT is not visible                         0xF
;   08-0A (last, nothing pressed) the whole byte: 0x30, 0x20, 0x10 written read
;      0xFF, 0xEF, 0xDF (bits 7-6 read 1, bits 5-4 read back as written). PyBoy 2.x
;      reads bits 5-4 as 0, so it reports "FAIL 08 CF FF" after passing everything else.
;   10 timeout: no joypad interrupt while waiting for A (GOT = P1 with buttons selected)
;   11 timeout: A not released
;   12 timeout: no joypad interrupt while waiting for RIGHT (GOT = P1 with d-pad selected)
;   13 timeout: RIGHT not released
;   14 A seen pressed (polling, two frames running) but no joypad interrupt came
;   15 RIGHT seen pressed (polling, two frames running) but no joypad interrupt came
;
; DATA (0xC010..): +0 STATE, +1 joypad interrupts taken, +2/+3 frame counter (little-endian),
; +4 frame when A was seen, +5 frame when RIGHT was seen (low bytes).

    .include "common.inc"

STATE    = DATA + 0
JOYIRQS  = DATA + 1
FRAMES   = DATA + 2     ; 16-bit
SEEN_A   = DATA + 4
SEEN_R   = DATA + 5
WAITED   = 0xC0F0       ; frames spent in the current wait (16-bit)
POLLHITS = 0xC0F2       ; consecutive frames the awaited key was seen by polling
TIMEOUT  = 600

SEL_NONE    = 0x30
SEL_DPAD    = 0x20
SEL_BUTTONS = 0x10
SEL_BOTH    = 0x00

    .area _ROM0 (ABS)

    RST_TRAPS
    .org 0x0040
    jp vblank_handler
    IRQ_TRAP 0x0048
    IRQ_TRAP 0x0050
    IRQ_TRAP 0x0058
    .org 0x0060
    jp joypad_handler

    ENTRY

main:
    call test_init

    ; 01-03: nothing pressed.
    ld a, #SEL_DPAD
    call read_p1
    and #0x0F
    EXPECT 0x01, 0xF
    ld a, #SEL_BUTTONS
    call read_p1
    and #0x0F
    EXPECT 0x02, 0xF
    ld a, #SEL_BOTH
    call read_p1
    and #0x0F
    EXPECT 0x03, 0xF

    ; Frame counting and the joypad interrupt from here on.
    ld a, #IRQ_VBLANK | IRQ_JOYPAD
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ei

    ; STATE 1: wait for A (buttons selected).
    ld a, #SEL_BUTTONS
    ldh (rP1), a
    ld a, #1
    ld (STATE), a
    ld c, #SEL_BUTTONS
    ld d, #0x0E             ; low nibble with only A pressed
    ld b, #0x10             ; timeout check
    call wait_joypad_irq
    ld a, (FRAMES)
    ld (SEEN_A), a
    ld a, #SEL_BUTTONS
    call read_p1
    and #0x0F
    EXPECT 0x04, 0xE
    ld a, #SEL_DPAD
    call read_p1
    and #0x0F
    EXPECT 0x05, 0xF

    ; STATE 2: wait for the release.
    ld a, #2
    ld (STATE), a
    ld c, #SEL_BUTTONS
    ld b, #0x11
    call wait_release

    ; STATE 3: wait for RIGHT (d-pad selected).
    ld a, #SEL_DPAD
    ldh (rP1), a
    ld a, #3
    ld (STATE), a
    ld c, #SEL_DPAD
    ld d, #0x0E             ; low nibble with only RIGHT pressed
    ld b, #0x12
    call wait_joypad_irq
    ld a, (FRAMES)
    ld (SEEN_R), a
    ld a, #SEL_DPAD
    call read_p1
    and #0x0F
    EXPECT 0x06, 0xE
    ld a, #SEL_BUTTONS
    call read_p1
    and #0x0F
    EXPECT 0x07, 0xF

    ; STATE 4: wait for the release.
    ld a, #4
    ld (STATE), a
    ld c, #SEL_DPAD
    ld b, #0x13
    call wait_release

    ld a, #5
    ld (STATE), a

    ; 08-0A: the whole register.
    ld a, #SEL_NONE
    call read_p1
    EXPECT 0x08, 0xFF
    ld a, #SEL_DPAD
    call read_p1
    EXPECT 0x09, 0xEF
    ld a, #SEL_BUTTONS
    call read_p1
    EXPECT 0x0A, 0xDF

    jp pass

; read_p1: write A to P1, read it back four times (the first reads let the lines settle, as
; Pan Docs recommends), return the last read in A.
read_p1:
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    ret

; wait_joypad_irq: JOYIRQS = 0, then HALT until the joypad handler has run. C = the select
; value (already written to P1), D = the low nibble the awaited key gives, B = timeout check
; number (B + 4 when the key is seen by polling in two frames running without an interrupt).
wait_joypad_irq:
    di
    xor a
    ld (JOYIRQS), a
    ld (WAITED), a
    ld (WAITED + 1), a
    ld (POLLHITS), a
    ei
1$: halt
    nop
    ld a, (JOYIRQS)
    or a
    ret nz
    ; woken by VBlank: poll the key, count the frame
    ldh a, (rP1)
    ldh a, (rP1)
    and #0x0F
    cp d
    jr nz, 2$
    ld a, (POLLHITS)
    inc a
    ld (POLLHITS), a
    cp #2
    jr c, 3$
    ld a, b
    add a, #4
    ld b, a
    ldh a, (rP1)
    ld c, #0
    jp fail
2$: xor a
    ld (POLLHITS), a
3$: call count_wait
    jr c, 1$
    ld a, c
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    ld c, #0
    jp fail                 ; timeout

; wait_release: HALT frame by frame until the low nibble of P1 (select value C) is 0xF.
; B = timeout check number.
wait_release:
    di
    xor a
    ld (WAITED), a
    ld (WAITED + 1), a
    ei
1$: ld a, c
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    and #0x0F
    cp #0x0F
    ret z
    halt
    nop
    call count_wait
    jr c, 1$
    ldh a, (rP1)
    ld c, #0x0F
    jp fail                 ; timeout

; count_wait: WAITED += 1; carry set while WAITED < TIMEOUT. Clobbers A, HL.
count_wait:
    ld hl, #WAITED
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, (WAITED + 1)
    cp #>TIMEOUT
    ret nz                  ; carry from the compare of the high bytes
    ld a, (WAITED)
    cp #<TIMEOUT
    ret

vblank_handler:
    push af
    push hl
    ld hl, #FRAMES
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: pop hl
    pop af
    reti

joypad_handler:
    push af
    ld a, (JOYIRQS)
    inc a
    ld (JOYIRQS), a
    pop af
    reti

    .include "runtime.inc"
