"""Reference Game Boy sound players, used by the tests to check Synthic against real
implementations (test helpers: not part of the installed package).

- `gbsplay` (Debian package): plays .gbs files; dumps the register writes it emulates
  (`-o iodumper`) and its PCM (`-o stdout`).
- `gme` (libgme0, Game_Music_Emu, through ctypes): an accurate band-limited GB APU.
- `libretro` (a ctypes libretro frontend of our own): runs a ROM in the Gambatte core (Debian
  package libretro-gambatte, unpacked without RetroArch by tests/install.sh), which has the
  APU's "zombie mode", and returns its audio.

None is a dependency of Synthic: each module says whether its program is installed, and the
tests skip with that reason when it is not.
"""
