; demo_songs.s -- bank 1 of the committed jukebox.gb: the song directory and two short songs
; written by hand, which together use every command of the song format (layout.inc).
; Python-built jukebox ROMs replace this bank (synthic/jukebox/build.py).
;
; Song 0, "Scale": CH1 a C major scale with vibrato, then a tempo change; CH2 arpeggiated
; chords; CH3 a bass switching between two wave tables (built in and the song's own); CH4 a
; kick/hat/snare pattern. Every channel ends: the song is over after about 7 seconds.
; Song 1, "Loop": a two-bar phrase on all four channels repeated forever (JUMP).
;
; Note numbers: pulse n = MIDI 36 + n (C4 = 24), wave n = MIDI 24 + n (C2 = 12).

    .include "layout.inc"

    .area _ROMX (ABS)
    .org DIR_ADDR
    .ascii "SYNJ"
    .db 1, 2, 0, 0
    .db BANK, 0
    .dw scale
    .db BANK, 0
    .dw loop

; ---- Song 0 -----------------------------------------------------------------------------------
scale:
    .dw 0x4000              ; tempo: a tick every 4 frames
    .db 0x77, 0xFF
    .dw scale_ch1, scale_ch2, scale_ch3, scale_ch4
    .dw instruments, waves
    .dw scale_text
    .dw 64
scale_text:
    .asciz "Scale"
    .asciz "Synthic"
    .asciz "demo_songs.s"

instruments:
    .db 0x80, 0xC3, 0x15, 0     ; 0 lead: duty 50 %, decaying, vibrato after 4 frames
    .db 0x40, 0x90, 0x00, 0     ; 1 chords: duty 25 %, steady, no vibrato
    .db 0x00, 0x20, 0x00, 0     ; 2 bass: triangle, 100 %
    .db 0x80, 0x40, 0x00, 0     ; 3 bass: the song's wave 0, 50 %
    .db 0x00, 0x00, 0x00, 0     ; 4 drums (the kit sets the envelope)

waves:                          ; the song's wave 0: a steep sawtooth
    .db 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10
    .db 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10

scale_ch1:
    .db CMD_INST, 0, CMD_LEN, 2
    .db 24, 26, 28, 29, 31, 33, 35, 36     ; C4 ... C5
    .db CMD_TEMPO
    .dw 0x8000                  ; twice as fast
    .db CMD_LEN, 4, 36, 35, 33, 31, 29, 28, 26, 24
    .db CMD_LEN, 16, CMD_WAIT
    .db CMD_END

scale_ch2:
    .db CMD_INST, 1, CMD_LEN, 8
    .db CMD_ARP, 0x47, 12       ; C3 major
    .db CMD_ARP, 0x38, 17       ; F3 minor 6/4 shape
    .db CMD_ARP, 0x37, 19       ; G3 minor
    .db CMD_ARP, 0x00, CMD_LEN, 16, 12
    .db CMD_LEN, 8, CMD_REST
    .db CMD_END

scale_ch3:
    .db CMD_INST, 2, CMD_LEN, 4
    .db 12, 19, 12, 19          ; C2 G2
    .db CMD_INST, 3
    .db 17, 24, 19, 26          ; F2 C3 G2 D3
    .db CMD_INST, 2, CMD_LEN, 24, 12
    .db CMD_END

scale_ch4:
    .db CMD_INST, 4, CMD_LEN, 2
    .db 0, 4, 2, 4, 0, 4, 2, 4, 0, 4, 2, 5
    .db CMD_LEN, 8, 6, CMD_WAIT
    .db CMD_END

; ---- Song 1 -----------------------------------------------------------------------------------
loop:
    .dw 0x3000
    .db 0x77, 0xED              ; CH2 left only, CH1 right only (NR51)
    .dw loop_ch1, loop_ch2, loop_ch3, loop_ch4
    .dw instruments, waves
    .dw loop_text
    .dw 0                       ; endless
loop_text:
    .asciz "Loop"
    .asciz "Synthic"
    .asciz "demo_songs.s"

loop_ch1:
    .db CMD_INST, 0, CMD_LEN, 3
1$: .db 31, 28, 24, 28, 29, 26, 23, 26
    .db CMD_JUMP
    .dw 1$
loop_ch2:
    .db CMD_INST, 1, CMD_LEN, 12
2$: .db CMD_ARP, 0x47, 12, CMD_ARP, 0x37, 14
    .db CMD_JUMP
    .dw 2$
loop_ch3:
    .db CMD_INST, 2, CMD_LEN, 6
3$: .db 12, 12, 14, 19
    .db CMD_JUMP
    .dw 3$
loop_ch4:
    .db CMD_INST, 4, CMD_LEN, 3
4$: .db 0, 4, 2, 4, 0, 0, 2, 11
    .db CMD_JUMP
    .dw 4$
