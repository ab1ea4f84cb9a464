"""The jukebox: public-domain music played by Synthic's own sound driver inside real ROMs.

The embedded default data of the pipeline. Scores from the corpus that ships inside music21
(Bach chorales, Ryan's Mammoth Collection, O'Neill's 1850, the Essen folksongs) and MIDI files
are arranged for the Game Boy's channels and compiled for a music driver written by the
project in SM83 assembly; many songs share one MBC5 ROM. Running such a ROM in an emulator is
like running a game: the driver wakes on VBlank, writes the sound registers, reacts to buttons.

Modules, in the order the data flows:

- `sources`: named sources -> pieces (deterministic selection) -> `arrange.Score`
- `arrange`: a score -> a `song.Song` (notes per channel on a tick grid, tempo, instruments)
- `song`: that intermediate representation and the driver's constants (period table, kit)
- `compile`: a `Song` -> the driver's song bytes, and back
- `build`: songs -> a jukebox ROM image, with no assembler (the committed driver in bank 0)
- `collection`: sources -> a folder of jukebox ROMs and their song list; statistics
- `model`: the driver's writes, frame by frame, predicted in Python
- `rom`: any recording -> a ROM of the register-stream player (`synthic rom`)
- `images`: the committed driver images and how sdcc rebuilds them

The driver (driver/jukebox.s, formats and addresses in driver/layout.inc):

- Per frame (VBlank, the CPU in HALT between): joypad, buttons, sound effect, music. A 16-bit
  tempo accumulator (ticks per frame x 65536) makes ticks; on a tick each channel counts down
  and reads its stream; each frame the sounding notes run their arpeggio (note, +x, +y), their
  vibrato (8 phases, depth a fixed fraction of the frequency) and drum pitch drops.
- Song format: a 20-byte header (tempo, NR50, NR51, four stream pointers, instrument and wave
  tables, text, length), 4-byte instruments (duty or wave, envelope or level, vibrato), and
  one stream per channel of one-byte commands: NOTE n (0x00-0x5F, sticky length), REST,
  WAIT, LEN n, INST i, ARP xy, TEMPO w, JUMP a, END.
- Directory: bank 1 at 0x4000, "SYNJ", version, count, then (bank, address) per song.
- WRAM: 0xC004 current song, 0xC005 song count, 0xC006 state (1 playing, 2 pause between
  songs), 0xC007 songs started, 0xC008 why (0 power-on, 1 Right, 2 Left, 3 Start, 4 the last
  song ended), 0xC009 buttons held, 0xC00B sound effect playing, 0xC00E ticks of the song.
- Buttons: Right next song, Left previous, Start restart; A, B, Select play sound effects on
  CH1, CH4 and CH2 (the effect owns its channel until it ends); Up and Down do nothing. A song
  that ends is followed by one second of silence and the next song.
"""
