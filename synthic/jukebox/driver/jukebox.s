; jukebox.s -- Synthic's music driver and jukebox shell (bank 0 of every jukebox ROM).
;
; Written by the Synthic project in SM83 assembly (sdasgb syntax). Rebuild the committed image
; jukebox.gb with `python -m synthic.jukebox.images`; Python lays new songs next to this code
; without an assembler (synthic/jukebox/build.py).
;
; Like a game: the CPU sleeps in HALT; the VBlank interrupt (59.73 Hz, Pan Docs "Interrupts")
; wakes it; once per frame the main loop reads the joypad, acts on new presses, plays the
; current sound effect and advances the music. The formats and the WRAM layout are in
; layout.inc.
;
; Music: four channel streams interpreted in parallel. A tempo accumulator (16-bit, ticks
; per frame x 65536) turns frames into ticks; on a tick every channel counts down its current
; note and reads its next commands. Every frame each sounding note runs its effects: the
; arpeggio (note, +x, +y semitones, one per frame), vibrato (8 phases, depth relative to the
; frequency) and, on the noise channel, the drum's second noise setting (a pitch drop).
; Notes on the pulse channels write NRx1-NRx4; on the wave channel, NR30 off then on (so a
; playing channel is never retriggered: Pan Docs "NR34" warns that this corrupts wave RAM on
; the DMG), the wave table when it changes, NR32-NR34; drums NR42-NR44. Rests turn the DAC off.
;
; Buttons (new presses):
;   Right  next song        Left   previous song       Start  restart the song
;   A      sound effect 1 on CH1 (a rising chime with sweep)
;   B      sound effect 2 on CH4 (a noise burst)
;   Select sound effect 3 on CH2 (a short blip)
;   Up, Down: nothing.
; A sound effect owns its channel while it plays: the music keeps its place there but writes
; nothing to that channel until the effect ends and the next note comes.
; A song that ends is followed by GAP_FRAMES of silence and the next song (after the last,
; the first), so running the ROM plays the whole collection.

    .include "hardware.inc"
    .include "layout.inc"

    .area _ROM0 (ABS)

; ---- Vectors ----------------------------------------------------------------------------------
    .org 0x0000
    jp crash
    .org 0x0008
    jp crash
    .org 0x0010
    jp crash
    .org 0x0018
    jp crash
    .org 0x0020
    jp crash
    .org 0x0028
    jp crash
    .org 0x0030
    jp crash
    .org 0x0038
    jp crash
    .org 0x0040
    jp vblank
    .org 0x0048
    reti
    .org 0x0050
    reti
    .org 0x0058
    reti
    .org 0x0060
    reti

    .org 0x0100
    nop
    jp start

; ---- Start-up -----------------------------------------------------------------------------------
    .org 0x0150
start:
    di
    ld sp, #STACK_TOP
    ; clear the driver's WRAM 0xC000-0xC0FF
    ld hl, #JB_MAGIC
    xor a
    ld b, a
1$: ld (hl+), a
    dec b
    jr nz, 1$
    ; sound on, full volume, every channel to both sides
    ld a, #0x80
    ldh (rNR52), a
    ld a, #0x77
    ldh (rNR50), a
    ld a, #0xFF
    ldh (rNR51), a
    xor a
    ldh (rNR10), a
    ld a, #0xFF
    ld (JB_WAVE), a
    ; the channels' register bases
    ld hl, #JB_CHANNELS + C_REG
    ld de, #reg_bases
    ld b, #4
2$: ld a, (de)
    inc de
    ld (hl), a
    ld a, l
    add a, #CH_SIZE
    ld l, a
    dec b
    jr nz, 2$
    ; the directory: "SYNJ" in bank 1, else no songs
    call map_directory
    ld hl, #DIR_ADDR
    ld de, #magic
    ld b, #4
3$: ld a, (de)
    inc de
    cp (hl)
    jr nz, 4$
    inc hl
    dec b
    jr nz, 3$
    ld a, (DIR_COUNT)
    ld (JB_COUNT), a
    or a
    jr z, 4$
    xor a
    ld (JB_SONG), a
    ld a, #CAUSE_POWER_ON
    call song_start
4$: ld a, #'J
    ld (JB_MAGIC), a
    ld a, #'B
    ld (JB_MAGIC + 1), a
    ; background off, LCD on: VBlank interrupts need the LCD running
    ld a, #0x80
    ldh (rLCDC), a
    ld a, #IRQ_VBLANK
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ei

main_loop:
    halt
    nop
    ld a, (JB_VBLANK)
    or a
    jr z, main_loop
    xor a
    ld (JB_VBLANK), a
    call read_joypad
    call handle_buttons
    call sfx_update
    call music_update
    jr main_loop

vblank:
    push af
    push hl
    ld hl, #JB_FRAME
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, #1
    ld (JB_VBLANK), a
    pop hl
    pop af
    reti

crash:
    di
    jr .

magic:
    .ascii "SYNJ"

; Low byte of NRx1 for CH1-CH4: NRx2 = +1, NRx3 = +2, NRx4 = +3 on every channel.
reg_bases:
    .db 0x11, 0x16, 0x1B, 0x20

; ---- Joypad (Pan Docs, "Joypad Input") -----------------------------------------------------
read_joypad:
    ld a, #0x20             ; bit 4 = 0: the d-pad
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    cpl
    and #0x0F               ; Down Up Left Right
    ld b, a
    ld a, #0x10             ; bit 5 = 0: the buttons
    ldh (rP1), a
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    ldh a, (rP1)
    cpl
    and #0x0F               ; Start Select B A
    swap a
    or b
    ld b, a
    ld a, #0x30
    ldh (rP1), a
    ld a, (JB_KEYS)
    cpl
    and b
    ld (JB_PRESSED), a
    ld a, b
    ld (JB_KEYS), a
    ret

handle_buttons:
    ld a, (JB_PRESSED)
    or a
    ret z
    ld b, a
    ld a, (JB_COUNT)
    or a
    jr z, 4$                ; no songs: only the sound effects
    ld c, a                 ; C = song count
    bit KEY_RIGHT, b
    jr z, 1$
    ld a, (JB_SONG)
    inc a
    cp c
    jr c, 0$
    xor a
0$: ld (JB_SONG), a
    ld a, #CAUSE_RIGHT
    jr 3$
1$: bit KEY_LEFT, b
    jr z, 2$
    ld a, (JB_SONG)
    or a
    jr nz, 10$
    ld a, c
10$:
    dec a
    ld (JB_SONG), a
    ld a, #CAUSE_LEFT
    jr 3$
2$: bit KEY_START, b
    jr z, 4$
    ld a, #CAUSE_START
3$: push bc
    call song_start
    pop bc
4$: xor a
    bit KEY_A, b
    jr nz, 5$
    inc a
    bit KEY_B, b
    jr nz, 5$
    inc a
    bit KEY_SELECT, b
    ret z
5$: jp sfx_start

; ---- Songs ----------------------------------------------------------------------------------

map_directory:
    ld a, #DIR_BANK
    ld (MBC5_BANK_LO), a
    xor a
    ld (MBC5_BANK_HI), a
    ret

; song_start: start song JB_SONG; A = the cause (CAUSE_*). Silences everything first and
; stops any sound effect.
song_start:
    ld (JB_CAUSE), a
    ld hl, #JB_CHANGES
    inc (hl)
    xor a
    ld (JB_SFX), a
    call silence_all
    ld a, #0xFF
    ld (JB_WAVE), a
    ; directory entry: bank (2 bytes), address (2 bytes)
    call map_directory
    ld a, (JB_SONG)
    ld l, a
    ld h, #0
    add hl, hl
    add hl, hl
    ld de, #DIR_ENTRIES
    add hl, de
    ld a, (hl+)
    ld c, a
    ld a, (hl+)
    ld b, a
    ld a, (hl+)
    ld e, a
    ld d, (hl)
    ld a, c
    ld (JB_SONG_BANK), a
    ld (MBC5_BANK_LO), a
    ld a, b
    ld (JB_SONG_BANK + 1), a
    ld (MBC5_BANK_HI), a
    ; the header at DE
    ld h, d
    ld l, e
    ld a, (hl+)
    ld (JB_TEMPO), a
    ld a, (hl+)
    ld (JB_TEMPO + 1), a
    ld a, (hl+)
    ldh (rNR50), a
    ld a, (hl+)
    ldh (rNR51), a
    ; four stream pointers into the channel records
    ld de, #JB_CHANNELS
    ld b, #4
1$: ld a, (hl+)
    ld (de), a              ; C_PTR
    ld c, a
    inc de
    ld a, (hl+)
    ld (de), a
    or c                    ; pointer 0: the channel stays silent
    jr z, 2$
    ld a, #1 << F_ACTIVE
2$: push hl
    ld h, d
    ld l, e
    inc hl
    ld (hl), #1             ; C_WAIT: read on the first tick
    inc hl
    ld (hl), #1             ; C_LEN
    inc hl
    ld (hl), #0             ; C_INST
    inc hl
    ld (hl), #0             ; C_NOTE
    inc hl
    ld (hl+), a             ; C_FLAGS
    xor a
    ld (hl+), a             ; C_ARP
    ld (hl+), a             ; C_ARPPOS
    ld (hl+), a             ; C_VIBT
    ld (hl+), a             ; C_VIBPOS
    ld (hl+), a             ; C_VIBCNT
    ld (hl+), a             ; C_DRUMT
    ld (hl), a              ; C_DRUM2
    ld a, e
    add a, #CH_SIZE - 1
    ld e, a
    pop hl
    dec b
    jr nz, 1$
    ld a, (hl+)
    ld (JB_INST_PTR), a
    ld a, (hl+)
    ld (JB_INST_PTR + 1), a
    ld a, (hl+)
    ld (JB_WAVE_PTR), a
    ld a, (hl)
    ld (JB_WAVE_PTR + 1), a
    ; every channel starts with instrument 0
    ld hl, #JB_CHANNELS + C_DUTY
    ld b, #4
3$: push hl
    push bc
    xor a
    call inst_fields
    pop bc
    pop hl
    ld a, l
    add a, #CH_SIZE
    ld l, a
    dec b
    jr nz, 3$
    ; the first frame ticks at once
    ld a, #0xFF
    ld (JB_ACC), a
    ld (JB_ACC + 1), a
    xor a
    ld (JB_TICK), a
    ld (JB_TICK + 1), a
    ld a, #STATE_PLAYING
    ld (JB_STATE), a
    ret

; inst_fields: copy instrument A's duty, envelope and vibrato bytes to HL.. (HL+2).
inst_fields:
    push hl
    ld l, a
    ld h, #0
    add hl, hl
    add hl, hl
    ld a, (JB_INST_PTR)
    ld e, a
    ld a, (JB_INST_PTR + 1)
    ld d, a
    add hl, de
    ld d, h
    ld e, l
    pop hl
    ld a, (de)
    ld (hl+), a
    inc de
    ld a, (de)
    ld (hl+), a
    inc de
    ld a, (de)
    ld (hl), a
    ret

silence_all:
    xor a
    ldh (rNR10), a
    ldh (rNR12), a
    ldh (rNR22), a
    ldh (rNR30), a
    ldh (rNR42), a
    ret

; music_update: once per frame.
music_update:
    ld a, (JB_STATE)
    cp #STATE_PLAYING
    jr z, 1$
    cp #STATE_GAP
    ret nz
    ld hl, #JB_GAP
    dec (hl)
    ret nz
    ld a, (JB_COUNT)
    ld c, a
    ld a, (JB_SONG)
    inc a
    cp c
    jr c, 0$
    xor a
0$: ld (JB_SONG), a
    ld a, #CAUSE_END
    jp song_start
1$: ; tempo: a carry out of the accumulator is a tick
    ld hl, #JB_ACC
    ld a, (JB_TEMPO)
    add a, (hl)
    ld (hl+), a
    ld a, (JB_TEMPO + 1)
    adc a, (hl)
    ld (hl), a
    jr nc, 2$
    ld hl, #JB_TICK
    inc (hl)
    jr nz, 10$
    inc hl
    inc (hl)
10$:
    ld hl, #channel_tick
    call each_channel
2$: ld hl, #channel_frame
    call each_channel
    ; all four ended: pause, then the next song
    ld hl, #JB_CHANNELS + C_FLAGS
    ld b, #4
3$: bit F_ACTIVE, (hl)
    ret nz
    ld a, l
    add a, #CH_SIZE
    ld l, a
    dec b
    jr nz, 3$
    ld a, #GAP_FRAMES
    ld (JB_GAP), a
    ld a, #STATE_GAP
    ld (JB_STATE), a
    ret

; each_channel: call HL for channels 0-3, each with its record copied to JB_WORK (and back).
each_channel:
    xor a
1$: ld (JB_CUR), a
    push hl
    ld c, #0                ; copy in
    call copy_record
    pop hl
    push hl
    call call_hl
    ld c, #1                ; copy out
    call copy_record
    pop hl
    ld a, (JB_CUR)
    inc a
    cp #4
    jr nz, 1$
    ret

call_hl:
    jp (hl)

; copy_record: C = 0: channel JB_CUR's record to JB_WORK; C = 1: back.
copy_record:
    ld a, (JB_CUR)
    swap a
    add a, a                ; x 32
    add a, #<JB_CHANNELS
    ld l, a
    ld h, #>JB_CHANNELS
    ld de, #JB_WORK
    ld a, c
    or a
    jr z, 1$
    ld a, l                 ; swap HL and DE
    ld l, e
    ld e, a
    ld a, h
    ld h, d
    ld d, a
1$: ld b, #CH_SIZE
2$: ld a, (hl+)
    ld (de), a
    inc de
    dec b
    jr nz, 2$
    ret

; wr: write A to 0xFF00 + C unless a sound effect owns the channel.
wr:
    push af
    ld a, (W_FLAGS)
    bit F_MUTED, a
    jr nz, 1$
    pop af
    ldh (c), a
    ret
1$: pop af
    ret

; channel_tick: count down; when the note is over, read commands up to the next note, rest,
; wait or end.
channel_tick:
    ld a, (W_FLAGS)
    bit F_ACTIVE, a
    ret z
    ld hl, #W_WAIT
    dec (hl)
    ret nz
    ld a, (W_PTR)
    ld l, a
    ld a, (W_PTR + 1)
    ld h, a
read:
    ld a, (hl+)
    cp #NOTE_COUNT
    jp c, cmd_note
    cp #CMD_END + 1
    jr c, 1$
    ld a, #CMD_END          ; an unknown command ends the channel
1$: sub #NOTE_COUNT
    push hl
    add a, a
    ld e, a
    ld d, #0
    ld hl, #commands
    add hl, de
    ld a, (hl+)
    ld h, (hl)
    ld l, a
    jp (hl)

commands:
    .dw cmd_rest, cmd_wait, cmd_len, cmd_inst, cmd_arp, cmd_tempo, cmd_jump, cmd_end

cmd_len:
    pop hl
    ld a, (hl+)
    ld (W_LEN), a
    jr read

cmd_inst:
    pop hl
    ld a, (hl+)
    ld (W_INST), a
    push hl
    ld hl, #W_DUTY
    call inst_fields
    pop hl
    jr read

cmd_arp:
    pop hl
    ld a, (hl+)
    ld (W_ARP), a
    jr read

cmd_tempo:
    pop hl
    ld a, (hl+)
    ld (JB_TEMPO), a
    ld a, (hl+)
    ld (JB_TEMPO + 1), a
    jr read

cmd_jump:
    pop hl
    ld a, (hl+)
    ld h, (hl)
    ld l, a
    jr read

cmd_wait:
    pop hl
    jp store_and_wait

cmd_rest:
    pop hl
    call store_and_wait
    ld hl, #W_FLAGS
    res F_NOTE, (hl)
    jp silence

cmd_end:
    pop hl
    dec hl                  ; stay on END
    call store_ptr
    ld hl, #W_FLAGS
    res F_NOTE, (hl)
    res F_ACTIVE, (hl)
    jp silence

store_and_wait:
    ld a, (W_LEN)
    ld (W_WAIT), a
store_ptr:
    ld a, l
    ld (W_PTR), a
    ld a, h
    ld (W_PTR + 1), a
    ret

; silence: turn the channel's DAC off (NRx2 = 0; CH3: NR30 = 0).
silence:
    ld a, (JB_CUR)
    cp #2
    ld c, #<rNR30
    jr z, 1$
    ld a, (W_REG)
    inc a
    ld c, a
1$: xor a
    jp wr

cmd_note:
    ld (W_NOTE), a
    call store_and_wait
    xor a
    ld (W_ARPPOS), a
    ld (W_VIBT), a
    ld (W_VIBPOS), a
    ld (W_VIBCNT), a
    ld hl, #W_FLAGS
    set F_NOTE, (hl)
    ld a, (JB_CUR)
    cp #2
    jr z, wave_note
    jp nc, noise_note
    ; pulse: NRx1 duty, NRx2 envelope, NRx3/NRx4 period with trigger
    ld a, (W_NOTE)
    call period_of
    ld a, (W_REG)
    ld c, a
    ld a, (W_DUTY)
    call wr
    inc c
    ld a, (W_ENV)
    call wr
    inc c
    ld a, e
    call wr
    inc c
    ld a, d
    or #0x80
    jp wr

wave_note:
    ld c, #<rNR30
    xor a
    call wr                 ; DAC off: the channel stops
    ld a, (W_FLAGS)
    bit F_MUTED, a
    jr nz, 1$
    ld a, (W_DUTY)
    ld hl, #JB_WAVE
    cp (hl)
    call nz, load_wave
1$: ld c, #<rNR30
    ld a, #0x80
    call wr
    inc c
    inc c
    ld a, (W_ENV)
    call wr                 ; NR32
    ld a, (W_NOTE)
    call period_of
    inc c
    ld a, e
    call wr                 ; NR33
    inc c
    ld a, d
    or #0x80
    jp wr                   ; NR34

; load_wave: copy wave table A (0-7 built in, 0x80 + n the song's n) to wave RAM.
load_wave:
    ld (JB_WAVE), a
    bit 7, a
    jr nz, 1$
    ld hl, #waves
    jr 2$
1$: and #0x7F
    ld hl, #JB_WAVE_PTR
    ld e, (hl)
    inc hl
    ld d, (hl)
    ld h, d
    ld l, e
2$: swap a                  ; x 16
    ld e, a
    ld d, #0
    add hl, de
    ld c, #<rWAVE
3$: ld a, (hl+)
    ldh (c), a
    inc c
    ld a, c
    cp #<(rWAVE + 16)
    jr nz, 3$
    ret

noise_note:
    ld a, (W_NOTE)
    and #0x0F
    add a, a
    add a, a
    ld e, a
    ld d, #0
    ld hl, #drums
    add hl, de
    ld c, #<rNR42
    ld a, (hl+)
    call wr                 ; NR42
    inc c
    ld a, (hl+)
    call wr                 ; NR43
    ld a, (hl+)
    ld (W_DRUMT), a
    ld a, (hl)
    ld (W_DRUM2), a
    inc c
    ld a, #0x80
    jp wr                   ; NR44: trigger

; period_of: DE = period table entry for note A (clamped to the table).
period_of:
    cp #NOTE_COUNT
    jr c, 1$
    ld a, #NOTE_COUNT - 1
1$: ld l, a
    ld h, #0
    add hl, hl
    ld de, #periods
    add hl, de
    ld e, (hl)
    inc hl
    ld d, (hl)
    ret

; channel_frame: per-frame effects of the sounding note.
channel_frame:
    ld a, (W_FLAGS)
    and #1 << F_NOTE
    ret z
    ld hl, #W_VIBT
    ld a, (hl)
    inc a
    jr z, 0$
    ld (hl), a
0$: dec a
    ret z                   ; the note's own frame: nothing more
    ld a, (JB_CUR)
    cp #3
    jr nz, 2$
    ; noise: the drum's second setting
    ld hl, #W_DRUMT
    ld a, (hl)
    or a
    ret z
    dec (hl)
    ret nz
    ld a, (W_DRUM2)
    ld c, #<rNR43
    jp wr
2$: ld b, #0                ; B = 1 when the period must be written
    ld a, (W_NOTE)
    ld e, a
    ld a, (W_ARP)
    or a
    jr z, 4$
    ld d, a
    inc b
    ld hl, #W_ARPPOS
    ld a, (hl)
    inc a
    cp #3
    jr c, 3$
    xor a
3$: ld (hl), a
    or a
    jr z, 4$                ; step 0: the note itself
    dec a
    ld a, d
    jr nz, 30$
    swap a                  ; step 1: x (high nibble)
30$:
    and #0x0F
    add a, e
    ld e, a
4$: ; E = note with the arpeggio step; D = vibrato byte
    ld a, (W_VIB)
    ld d, a
    or a
    jr z, 6$
    and #0xF0
    rrca
    rrca                    ; delay x 4 frames
    ld c, a
    ld a, (W_VIBT)
    cp c
    jr c, 6$                ; not yet
    ld hl, #W_VIBCNT
    ld a, (hl)
    or a
    jr z, 40$
    dec (hl)
    jr 6$
40$:
    inc b                   ; a new phase: write the period
    ld a, d
    and #0x03
    ld (hl), a              ; frames until the next phase
    ld hl, #W_VIBPOS
    ld a, (hl)
    inc a
    and #7
    ld (hl), a
6$: ld a, b
    or a
    ret z
    ld a, e
    push de                 ; D = vibrato byte
    call period_of          ; DE = period
    pop bc                  ; B = vibrato byte
    ld a, b
    or a
    jr z, 9$
    ld a, (W_VIBT)
    ld c, a
    ld a, b
    and #0xF0
    rrca
    rrca
    cp c
    jr z, 7$
    jr nc, 9$               ; still in the delay
7$: ; H:L = (2048 - period) >> (5 + depth)
    xor a
    sub e
    ld l, a
    ld a, #0x08
    sbc a, d
    ld h, a
    ld a, b
    rrca
    rrca
    and #0x03
    add a, #5
    ld c, a
8$: srl h
    rr l
    dec c
    jr nz, 8$
    ld a, (W_VIBPOS)
    and #3
    jr z, 9$                ; phases 0 and 4: the note's own period
    cp #2
    jr z, 80$
    srl h                   ; phases 1, 3, 5, 7: half the swing
    rr l
80$:
    ld a, (W_VIBPOS)
    cp #4
    jr c, 81$
    ; phases 5-7: period - swing
    ld a, e
    sub l
    ld e, a
    ld a, d
    sbc a, h
    ld d, a
    jr nc, 9$
    ld de, #0
    jr 9$
81$: ; phases 1-3: period + swing (at most 0x7FF)
    ld a, e
    add a, l
    ld e, a
    ld a, d
    adc a, h
    ld d, a
    cp #0x08
    jr c, 9$
    ld de, #0x07FF
9$: ld a, (W_REG)
    add a, #2
    ld c, a
    ld a, e
    call wr                 ; NRx3
    inc c
    ld a, d
    and #0x07
    jp wr                   ; NRx4: no trigger

; ---- Sound effects --------------------------------------------------------------------------
; An effect is a list of steps: frames (1-255; 0 ends), count, then count pairs (register low
; byte, value) written at once; the next step comes that many frames later.

; sfx_start: start effect A (0-2) on its channel, ending any effect playing.
sfx_start:
    ld b, a                 ; B = effect number
    ld a, (JB_SFX)
    or a
    jr z, 1$
    push bc
    call sfx_stop
    pop bc
1$: ld a, b
    inc a
    ld (JB_SFX), a
    ld a, b
    add a, a
    add a, b                ; x 3
    ld e, a
    ld d, #0
    ld hl, #sfx_table
    add hl, de
    ld a, (hl+)
    ld (JB_SFX_CH), a
    ld c, a
    ld a, (hl+)
    ld (JB_SFX_PTR), a
    ld a, (hl)
    ld (JB_SFX_PTR + 1), a
    ld a, #1
    ld (JB_SFX_WAIT), a     ; the first step plays on this frame
    ld a, c
    call record_flags
    set F_MUTED, (hl)
    ret

; record_flags: HL = address of channel A's C_FLAGS.
record_flags:
    swap a
    add a, a
    add a, #<(JB_CHANNELS + C_FLAGS)
    ld l, a
    ld h, #>JB_CHANNELS
    ret

sfx_update:
    ld a, (JB_SFX)
    or a
    ret z
    ld hl, #JB_SFX_WAIT
    dec (hl)
    ret nz
    ld a, (JB_SFX_PTR)
    ld l, a
    ld a, (JB_SFX_PTR + 1)
    ld h, a
    ld a, (hl+)
    or a
    jr z, sfx_stop
    ld (JB_SFX_WAIT), a
    ld b, (hl)
    inc hl
1$: ld a, (hl+)
    ld c, a
    ld a, (hl+)
    ldh (c), a
    dec b
    jr nz, 1$
    ld a, l
    ld (JB_SFX_PTR), a
    ld a, h
    ld (JB_SFX_PTR + 1), a
    ret

; sfx_stop: silence the effect's channel and give it back to the music.
sfx_stop:
    xor a
    ld (JB_SFX), a
    ld a, (JB_SFX_CH)
    ld e, a
    ld d, #0
    ld hl, #dac_regs
    add hl, de
    ld c, (hl)
    xor a
    ldh (c), a
    ldh (rNR10), a          ; no sweep left behind on CH1
    ld a, e
    call record_flags
    res F_MUTED, (hl)
    res F_NOTE, (hl)        ; silent until its next note
    ret

dac_regs:
    .db <rNR12, <rNR22, <rNR30, <rNR42

sfx_table:                  ; channel, address
    .db 0
    .dw sfx_chime
    .db 3
    .dw sfx_burst
    .db 1
    .dw sfx_blip

sfx_chime:                  ; CH1: B5 then E6, rising sweep
    .db 4, 5, <rNR10, 0x16, <rNR11, 0x80, <rNR12, 0xF2, <rNR13, 0x83, <rNR14, 0x87
    .db 12, 3, <rNR12, 0xF3, <rNR13, 0xA2, <rNR14, 0x87
    .db 0
sfx_burst:                  ; CH4: a falling noise burst
    .db 3, 3, <rNR42, 0xF2, <rNR43, 0x34, <rNR44, 0x80
    .db 6, 1, <rNR43, 0x46
    .db 10, 1, <rNR43, 0x57
    .db 0
sfx_blip:                   ; CH2: two short high notes
    .db 3, 4, <rNR21, 0x40, <rNR22, 0xC1, <rNR23, 0x0B, <rNR24, 0x87
    .db 5, 3, <rNR22, 0xA1, <rNR23, 0x63, <rNR24, 0x87
    .db 0

; ---- Tables (at fixed addresses: synthic/jukebox/model.py reads them from the image) --------
    .org KIT_ADDR

; Drum kit for CH4 (note n = drum n): NR42, NR43, frames until the second NR43, second NR43.
; NR43: clock shift << 4 | 7-bit width << 3 | divider (Pan Docs, "NR43"): lower values hiss.
drums:
    .db 0xC1, 0x54, 2, 0x76     ; 0 kick: a thump that drops
    .db 0x81, 0x54, 2, 0x76     ; 1 soft kick
    .db 0xB2, 0x32, 3, 0x43     ; 2 snare
    .db 0x72, 0x32, 3, 0x43     ; 3 soft snare
    .db 0x61, 0x00, 0, 0x00     ; 4 closed hi-hat
    .db 0x93, 0x01, 0, 0x00     ; 5 open hi-hat
    .db 0xA5, 0x13, 8, 0x24     ; 6 crash
    .db 0x92, 0x2D, 0, 0x00     ; 7 rim (7-bit noise: a pitched click)
    .db 0xA2, 0x5C, 4, 0x6C     ; 8 low tom
    .db 0xA2, 0x3C, 4, 0x4C     ; 9 high tom
    .db 0x31, 0x01, 0, 0x00     ; 10 shaker
    .db 0x51, 0x00, 0, 0x00     ; 11 soft closed hi-hat
    .db 0xC1, 0x54, 2, 0x76     ; 12-15: as 0
    .db 0xC1, 0x54, 2, 0x76
    .db 0xC1, 0x54, 2, 0x76
    .db 0xC1, 0x54, 2, 0x76

; Built-in wave tables (32 4-bit samples each, high nibble first).
    .org WAVES_ADDR
waves:
    .db 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF  ; 0 triangle
    .db 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10
    .db 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77  ; 1 sawtooth
    .db 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF
    .db 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF  ; 2 square
    .db 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
    .db 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00  ; 3 pulse 25 %
    .db 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
    .db 0x8A, 0xBD, 0xEE, 0xFF, 0xFF, 0xEE, 0xDB, 0xA8  ; 4 sine
    .db 0x75, 0x42, 0x11, 0x00, 0x00, 0x11, 0x24, 0x57
    .db 0x9C, 0xEF, 0xFE, 0xC9, 0x8A, 0xBB, 0xA8, 0x53  ; 5 organ: fundamental + octave
    .db 0xAC, 0xDD, 0xC9, 0x64, 0x21, 0x01, 0x23, 0x46
    .db 0x8B, 0xDE, 0xFF, 0xFF, 0xFF, 0xFE, 0xDB, 0x86  ; 6 rounded square (soft bass)
    .db 0x41, 0x00, 0x00, 0x00, 0x00, 0x01, 0x24, 0x79
    .db 0x8B, 0xDE, 0xFF, 0xED, 0xB8, 0x88, 0x88, 0x88  ; 7 half sine
    .db 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88

    .org PERIODS_ADDR
    .include "periods.inc"

; ---- Driver information (read by synthic/jukebox/build.py) -------------------------------
    .org INFO_ADDR
    .ascii "SYNJ"
    .db DRIVER_VERSION
