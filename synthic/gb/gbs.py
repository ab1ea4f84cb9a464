"""GBS files (Game Boy Sound System, GBS 1.02 specification): music ripped from a game together
with its sound driver, played by running that driver in the emulator.

A GBS holds code loaded at `load_address` (0x0400 or above), an `init` routine called once with
the 0-based song number in A, and a `play` routine called at every VBlank, or from the timer
interrupt when bit 2 of its TAC byte is set (rate = TAC clock / (256 - TMA)). We turn it into
a cartridge image the emulator runs like any game: the code at its load address (later banks
selected by writes to 0x2000-0x3FFF, as the GBS spec says), and a small player of our own in
the first 0x400 bytes, which the GBS leaves free:

    0x0000-0x0038  RST n -> jp load_address + n     (the spec's RST relocation)
    0x0040         VBlank:  call play ; reti
    0x0050         Timer:   call play ; reti
    0x0100         entry:   di ; ld sp, SP ; TMA, TIMA = TMA, TAC ; ld a, song ; call init ;
                            IF = 0 ; IE = VBlank or Timer ; ei ; halt loop
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from synthic.errors import FormatError
from synthic.events.registers import FRAME_HZ
from synthic.gb.header import header_checksum
from synthic.limits import MAX_GBS_BYTES

HEADER_BYTES = 0x70
BANK_BYTES = 0x4000
MAX_BANKS = 256  # a GBS selects banks with one byte written to 0x2000-0x3FFF
IDLE_LOOP = 0x0120  # where the player's halt loop sits (the PC between calls of play)


@dataclass(frozen=True)
class GbsFile:
    path: str | None
    song_count: int
    first_song: int  # 1-based, as stored
    load_address: int
    init_address: int
    play_address: int
    stack_pointer: int
    tma: int
    tac: int
    title: str
    author: str
    copyright: str
    code: bytes

    @property
    def timer_driven(self) -> bool:
        """Play is called from the timer interrupt (TAC bit 2), else at every VBlank."""
        return bool(self.tac & 0x04)

    @property
    def play_rate_hz(self) -> float:
        if not self.timer_driven:
            return FRAME_HZ
        clock = (4096, 262144, 65536, 16384)[self.tac & 0x03]
        return clock / (256 - self.tma)


def _text(raw: bytes) -> str:
    return raw.split(b"\0")[0].decode("latin-1").strip()


def parse_gbs(data: bytes, path: str | os.PathLike | None = None) -> GbsFile:
    path = None if path is None else os.fspath(path)
    if len(data) > MAX_GBS_BYTES:
        raise FormatError(path, f"{len(data)} bytes is larger than any GBS can be "
                          f"({MAX_GBS_BYTES} bytes)", offset=MAX_GBS_BYTES)  # fmt: skip
    if len(data) < 3 or data[:3] != b"GBS":
        raise FormatError(path, "not a GBS file (bad magic number)", offset=0)
    if len(data) < HEADER_BYTES:
        raise FormatError(path, f"truncated header ({len(data)} of {HEADER_BYTES} bytes)",
                          offset=len(data))  # fmt: skip
    version, count, first = data[3], data[4], data[5]
    load, init, play, sp = struct.unpack_from("<HHHH", data, 6)
    tma, tac = data[0x0E], data[0x0F]
    if version != 1:
        raise FormatError(path, f"unsupported GBS version {version}", offset=3)
    if count == 0:
        raise FormatError(path, "the file holds no songs (count 0)", offset=4)
    if not 1 <= first <= count:
        raise FormatError(path, f"first song {first} is not between 1 and {count}", offset=5)
    if not 0x0400 <= load < 0x8000:
        raise FormatError(path, f"load address 0x{load:04X} outside 0x0400-0x7FFF", offset=6)
    code = data[HEADER_BYTES:]
    if not code:
        raise FormatError(path, "truncated: no code after the header", offset=HEADER_BYTES)
    end = load + len(code)
    if end > MAX_BANKS * BANK_BYTES:
        raise FormatError(path, f"code of {len(code)} bytes does not fit in {MAX_BANKS} banks",
                          offset=HEADER_BYTES)  # fmt: skip
    for name, address, at in (("init", init, 8), ("play", play, 10)):
        if not load <= address < min(end, 0x8000):
            raise FormatError(
                path, f"{name} address 0x{address:04X} outside the loaded code "
                f"(0x{load:04X}-0x{min(end, 0x8000) - 1:04X})", offset=at,
            )  # fmt: skip
    if tac & 0x80:
        raise FormatError(path, "needs the Game Boy Color's double-speed mode (TAC bit 7)",
                          offset=0x0F)  # fmt: skip
    return GbsFile(
        path, count, first, load, init, play, sp, tma, tac,
        _text(data[0x10:0x30]), _text(data[0x30:0x50]), _text(data[0x50:0x70]), bytes(code),
    )  # fmt: skip


def gbs_header(
    *,
    songs: int,
    init: int,
    play: int,
    first: int = 1,
    load: int = 0x0400,
    stack_pointer: int = 0xFFFE,
    tma: int = 0,
    tac: int = 0,
    title: str = "",
    author: str = "",
    copyright: str = "",
) -> bytes:
    """The 0x70-byte GBS 1 header that `parse_gbs` reads; the code to load follows it."""
    head = b"GBS" + bytes((1, songs, first))
    head += struct.pack("<HHHH", load, init, play, stack_pointer) + bytes((tma, tac))
    for text in (title, author, copyright):
        head += text.encode("latin-1")[:32].ljust(32, b"\0")
    return head


def read_gbs(path: str | os.PathLike) -> GbsFile:
    from synthic.collection import read_file

    size = os.stat(path).st_size
    if size > MAX_GBS_BYTES:  # checked before reading, not only by parse_gbs
        raise FormatError(path, f"{size} bytes is larger than any GBS can be "
                          f"({MAX_GBS_BYTES} bytes)", offset=MAX_GBS_BYTES)  # fmt: skip
    return parse_gbs(read_file(path, MAX_GBS_BYTES), path)


def player_image(gbs: GbsFile, song: int) -> bytes:
    """A cartridge image that plays `song` (0-based) of `gbs` when run from 0x0100.

    The image's first bank holds our player and the GBS code up to 0x3FFF; further code
    fills banks 1, 2, ... in order (bank 0 written to 0x2000 selects bank 1, as on MBC1).
    """
    if not 0 <= song < gbs.song_count:
        raise ValueError(f"song {song} out of range (0-{gbs.song_count - 1})")
    end = gbs.load_address + len(gbs.code)
    banks = 1 << max(1, (-(-end // BANK_BYTES) - 1).bit_length())  # a power of two, >= 2
    image = bytearray(b"\xff" * (banks * BANK_BYTES))
    image[gbs.load_address : end] = gbs.code
    for n in range(0, 0x40, 8):  # RST vectors jump into the GBS code (spec: load + n)
        target = gbs.load_address + n
        image[n : n + 3] = bytes((0xC3, target & 0xFF, target >> 8))

    def call_play_reti() -> bytes:
        return bytes((0xCD, gbs.play_address & 0xFF, gbs.play_address >> 8, 0xD9))

    image[0x40:0x44] = call_play_reti()  # VBlank
    image[0x48] = image[0x58] = image[0x60] = 0xD9  # STAT, serial, joypad: reti
    image[0x50:0x54] = call_play_reti()  # timer
    ie = 0x04 if gbs.timer_driven else 0x01
    entry = bytes(
        (
            0xF3,  # di
            0x31, gbs.stack_pointer & 0xFF, gbs.stack_pointer >> 8,  # ld sp, SP
            0x3E, gbs.tma, 0xE0, 0x06,  # ld a, TMA ; ldh (TMA), a
            0xE0, 0x05,  # ldh (TIMA), a: the first period is a full one, 256 - TMA ticks
            0x3E, gbs.tac & 0x07, 0xE0, 0x07,  # ld a, TAC ; ldh (TAC), a
            0x3E, song,  # ld a, song
            0xCD, gbs.init_address & 0xFF, gbs.init_address >> 8,  # call init
            0xAF, 0xE0, 0x0F,  # xor a ; ldh (IF), a: drop requests raised before play runs
            0x3E, ie, 0xE0, 0xFF,  # ld a, IE ; ldh (IE), a (init may have left IME set: IF first)
            0xFB,  # ei
            0xC3, IDLE_LOOP & 0xFF, IDLE_LOOP >> 8,  # jp idle
        )
    )  # fmt: skip
    image[0x100 : 0x100 + len(entry)] = entry
    image[IDLE_LOOP : IDLE_LOOP + 3] = bytes((0x76, 0x18, 0xFD))  # halt ; jr -3
    # A cartridge header the emulator accepts: title, MBC1-style banking, ROM size, checksum.
    image[0x134:0x150] = bytes(0x1C)
    title = gbs.title.encode("ascii", errors="replace")[:15]
    image[0x134 : 0x134 + len(title)] = title
    image[0x147] = 0x01 if banks > 2 else 0x00
    image[0x148] = banks.bit_length() - 2
    image[0x14D] = header_checksum(image)
    return bytes(image)
