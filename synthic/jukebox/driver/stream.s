; stream.s -- Synthic's register-stream player: bank 0 of the ROMs made by `synthic rom`.
;
; Written by the Synthic project in SM83 assembly (sdasgb syntax). Rebuild the committed image
; stream.gb with `python -m synthic.jukebox.images`; synthic/jukebox/rom.py lays a recording's
; writes in banks 1 and up without an assembler.
;
; It replays a list of sound-register writes on a fixed tick from the timer interrupt: TIMA
; counts at the TAC clock and overflows every 256 - TMA counts (Pan Docs, "Timer and Divider
; Registers"); the data header gives TAC and TMA (the default, TAC 0x04 and TMA 0xFC, is a
; tick every 4 x 1,024 = 4,096 T-cycles: 1,024 Hz). The timer interrupt only counts ticks; the
; main loop, woken from HALT, plays one record per tick, so a tick that takes long delays the
; next ones without losing them. The player writes nothing to the sound hardware of its own:
; every write comes from the data (the APU is on after boot, Pan Docs "Power Up Sequence").
;
; Data, from bank 1 at 0x4000 (MBC5, banks 1-511):
;   +0 "SYNS", +4 format version (1), +5 TAC, +6 TMA, +7 reserved, +8 u32 ticks (for tools),
;   +12 four bytes reserved; records from +16:
;   0x01-0x7F  n writes on this tick: n pairs (register low byte 0x10-0x3F, value)
;   0x81-0xFF  no writes for (byte - 0x80) ticks, this one included
;   0x80       the data goes on at 0x4000 of the next bank (takes no tick)
;   0x00       the end: the player stops (no tick)
;
; WRAM: 0xC000 "ST" once started; 0xC002 state (0 starting, 1 playing, 2 ended, 3 no data);
; 0xC003 u32 ticks played (little-endian); 0xC007 ticks pending (counted by the interrupt);
; 0xC008 ticks left in a wait record; 0xC009 u16 read pointer; 0xC00B u16 bank.

    .include "hardware.inc"

ST_MAGIC   = 0xC000
ST_STATE   = 0xC002
ST_TICKS   = 0xC003     ; u32
ST_PENDING = 0xC007
ST_WAIT    = 0xC008
ST_PTR     = 0xC009     ; u16
ST_BANK    = 0xC00B     ; u16

STATE_PLAYING = 1
STATE_ENDED   = 2
STATE_NO_DATA = 3

DATA_ADDR    = 0x4000
DATA_TAC     = 0x4005
DATA_TMA     = 0x4006
DATA_RECORDS = 0x4010

    .area _ROM0 (ABS)

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
    reti
    .org 0x0048
    reti
    .org 0x0050
    jp timer
    .org 0x0058
    reti
    .org 0x0060
    reti

    .org 0x0100
    nop
    jp start

    .org 0x0150
start:
    di
    ld sp, #STACK_TOP
    ld hl, #ST_MAGIC
    xor a
    ld b, #16
1$: ld (hl+), a
    dec b
    jr nz, 1$
    ld a, #'S
    ld (ST_MAGIC), a
    ld a, #'T
    ld (ST_MAGIC + 1), a
    ; bank 1: the header
    ld a, #1
    ld (ST_BANK), a
    ld (MBC5_BANK_LO), a
    xor a
    ld (MBC5_BANK_HI), a
    ld hl, #DATA_ADDR
    ld de, #magic
    ld b, #4
2$: ld a, (de)
    inc de
    cp (hl)
    jr nz, no_data
    inc hl
    dec b
    jr nz, 2$
    ld a, #<DATA_RECORDS
    ld (ST_PTR), a
    ld a, #>DATA_RECORDS
    ld (ST_PTR + 1), a
    ld a, #STATE_PLAYING
    ld (ST_STATE), a
    ; the timer: TIMA starts at TMA, the first tick comes one period from now
    xor a
    ldh (rTAC), a
    ld a, (DATA_TMA)
    ldh (rTMA), a
    ldh (rTIMA), a
    ld a, #IRQ_TIMER
    ldh (rIE), a
    xor a
    ldh (rIF), a
    ld a, (DATA_TAC)
    or #0x04                ; enabled
    ldh (rTAC), a
    ei

main_loop:
    halt
    nop
1$: ld a, (ST_PENDING)
    or a
    jr z, main_loop
    ld hl, #ST_PENDING
    dec (hl)                ; one instruction: the interrupt cannot split it
    call tick
    ld a, (ST_STATE)
    cp #STATE_PLAYING
    jr z, 1$
stop:
    di
    xor a
    ldh (rTAC), a
    ldh (rIE), a
    halt                    ; nothing can wake it: the end
    nop
    jr stop

no_data:
    ld a, #STATE_NO_DATA
    ld (ST_STATE), a
    jr stop

timer:
    push hl
    ld hl, #ST_PENDING
    inc (hl)
    pop hl
    reti

crash:
    di
    jr .

magic:
    .ascii "SYNS"

; tick: play one tick's record.
tick:
    ld hl, #ST_WAIT
    ld a, (hl)
    or a
    jr z, 1$
    dec (hl)                ; inside a wait record
    jr count
1$: ld a, (ST_PTR)
    ld l, a
    ld a, (ST_PTR + 1)
    ld h, a
read:
    ld a, (hl+)
    or a
    jr z, ended
    cp #0x80
    jr z, next_bank
    jr nc, wait
    ld b, a                 ; B writes: register, value
2$: ld a, (hl+)
    ld c, a
    ld a, (hl+)
    ldh (c), a
    dec b
    jr nz, 2$
    jr store
wait:
    and #0x7F
    dec a                   ; this tick is the first
    ld (ST_WAIT), a
store:
    ld a, l
    ld (ST_PTR), a
    ld a, h
    ld (ST_PTR + 1), a
count:
    ld hl, #ST_TICKS
    inc (hl)
    ret nz
    inc hl
    inc (hl)
    ret nz
    inc hl
    inc (hl)
    ret nz
    inc hl
    inc (hl)
    ret

next_bank:
    ld hl, #ST_BANK
    inc (hl)
    jr nz, 1$
    inc hl
    inc (hl)
1$: ld a, (ST_BANK)
    ld (MBC5_BANK_LO), a
    ld a, (ST_BANK + 1)
    ld (MBC5_BANK_HI), a
    ld hl, #DATA_ADDR
    jr read

ended:
    ld a, #STATE_ENDED
    ld (ST_STATE), a
    ret
