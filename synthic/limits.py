"""How large each kind of input may be: the documented limits every reader checks.

Everything Synthic reads comes from the user's disk and is untrusted. A reader checks the size
an input declares (a zip member's header, a length field) against these limits before it
allocates anything, and stops reading at the limit, so a small hostile file can never make it
allocate gigabytes. The limits are far above what real files need:

- a ROM is at most 8 MiB (MBC5: 512 banks of 16 KiB, the largest DMG cartridge);
- a GBS file is a 0x70-byte header followed by at most a ROM's worth of code and data;
- a VGM (after gunzip, for a .vgz) is at most 64 MiB: three bytes per write, so more than
  20 million writes, hours of the densest Game Boy driver;
- a recording (.events, .events.txt, the original formats, or what a VGM decodes to) holds at
  most 20 million writes (about 200 MB in memory) and lasts at most 24 hours; its files are at
  most 256 MiB (binary) and 1 GiB (text);
- a recording's metadata (JSON) nests at most 32 levels deep: real metadata nests 3;
- the emulator stops a recording (with the reason in its metadata) when a game writes to the
  sound hardware more often than 20,000 times a second of game time on average over a step:
  real drivers write 460-1,460 times a second, sample-playback drivers a few thousand.
"""

from __future__ import annotations

MiB = 1 << 20

MAX_ROM_BYTES = 8 * MiB
GBS_HEADER_BYTES = 0x70
MAX_GBS_BYTES = GBS_HEADER_BYTES + MAX_ROM_BYTES
MAX_VGM_BYTES = 64 * MiB  # a .vgm, or a .vgz after gunzip (and the .vgz itself)
MAX_EVENTS_BYTES = 256 * MiB  # a native binary recording, and the original binary format
MAX_TEXT_BYTES = 1024 * MiB  # a native text recording, and the original text format

MAX_RECORDING_WRITES = 20_000_000
MAX_RECORDING_SECONDS = 24 * 3600
MAX_META_DEPTH = 32  # lists and objects inside a recording's metadata
MAX_WRITES_PER_SECOND = 20_000  # emulated recording: more than this (per step) stops it

# The largest file of each input kind (the keys are synthic.collection's kinds).
MAX_INPUT_BYTES = {
    "rom": MAX_ROM_BYTES,
    "gbs": MAX_GBS_BYTES,
    "vgm": MAX_VGM_BYTES,
    "events": MAX_TEXT_BYTES,
}
