"""Record: every input of a collection becomes recordings of its sound-register writes.

A ROM is run in our emulator for N minutes of game time while `explore` presses buttons; a
GBS file is played song by song; a VGM (or a recording in a native format) is imported. Each
recording is written as `OUTDIR/<name>.events` (GBS: `<name>.song01.events`, ...).
"""

from synthic.record.recorder import record_file

__all__ = ["record_file"]
