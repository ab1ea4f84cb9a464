"""Jukebox ROMs from songs, without an assembler: the committed driver plus songs in MBC5 banks.

Bank 0 is taken from the committed image `driver/jukebox.gb` (built from `driver/jukebox.s`
by `python -m synthic.jukebox.images`); this module writes the song directory at the start of
bank 1 (driver/layout.inc: "SYNJ", version, count, then bank and address of every song) and
lays the compiled songs after it, in order, each whole in one bank (a song that does not fit in
what is left of a bank starts the next). Then the header: title, cartridge type 0x19 (MBC5),
ROM size, checksums. The same songs always give the same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from synthic.errors import SynthicError
from synthic.gb.header import BANK_BYTES as BANK_SIZE
from synthic.gb.header import fix_checksums, rom_size_code
from synthic.jukebox.compile import compile_song
from synthic.jukebox.images import JUKEBOX_IMAGE
from synthic.jukebox.song import Song

DRIVER_VERSION = 1
INFO_ADDR = 0x3FF0
DIR_MAGIC = b"SYNJ"
DIR_VERSION = 1
DIR_HEADER_SIZE = 8
MAX_SONGS = 255
MAX_BANKS = 512
MBC5 = 0x19
TITLE_ADDR, TITLE_MAX = 0x134, 15
CART_TYPE_ADDR, ROM_SIZE_ADDR, RAM_SIZE_ADDR = 0x147, 0x148, 0x149
WINDOW = 0x4000  # CPU address of the switchable bank


@dataclass(frozen=True)
class Placement:
    """Where a song lies: its ROM bank, its CPU address there, its size in bytes."""

    bank: int
    address: int
    size: int


def driver_bank() -> bytes:
    """Bank 0 of the committed driver image, checked against the version this module writes."""
    try:
        image = JUKEBOX_IMAGE.read_bytes()
    except OSError as e:
        raise SynthicError(f"the jukebox driver image is missing: {JUKEBOX_IMAGE} ({e})") from e
    info = image[INFO_ADDR : INFO_ADDR + 5]
    if info[:4] != DIR_MAGIC or info[4] != DRIVER_VERSION:
        raise SynthicError(
            f"{JUKEBOX_IMAGE}: driver information block {info.hex()} is not version "
            f"{DRIVER_VERSION}; rebuild it with python -m synthic.jukebox.images"
        )
    return image[:BANK_SIZE]


def place(sizes: Sequence[int]) -> list[Placement]:
    """Lay songs of these sizes in banks 1.., after the directory, in order."""
    if not 1 <= len(sizes) <= MAX_SONGS:
        raise SynthicError(f"a jukebox ROM holds 1 to {MAX_SONGS} songs, got {len(sizes)}")
    bank, used = 1, DIR_HEADER_SIZE + 4 * len(sizes)
    out = []
    for size in sizes:
        if size > BANK_SIZE:
            raise SynthicError(f"a song of {size} bytes does not fit in a 16 KiB bank")
        if used + size > BANK_SIZE:
            bank, used = bank + 1, 0
        out.append(Placement(bank, WINDOW + used, size))
        used += size
    if bank >= MAX_BANKS:
        raise SynthicError(f"the songs need {bank + 1} banks; MBC5 has at most {MAX_BANKS}")
    return out


def directory(placements: Sequence[Placement]) -> bytes:
    head = DIR_MAGIC + bytes((DIR_VERSION, len(placements), 0, 0))
    return head + b"".join(
        struct.pack("<BBH", p.bank & 0xFF, p.bank >> 8, p.address) for p in placements
    )


def build_jukebox(songs: Sequence[Song], *, title: str = "SYNTHIC JUKEBOX") -> bytes:
    """A jukebox ROM image playing `songs` in order (see the module docstring)."""
    try:
        sizes = [len(compile_song(s, WINDOW)) for s in songs]
    except ValueError as e:  # CompileError, or a malformed Song
        raise SynthicError(str(e)) from e
    placements = place(sizes)
    banks = max(p.bank for p in placements) + 1
    rom_banks = 2
    while rom_banks < banks:
        rom_banks *= 2
    image = bytearray(driver_bank() + b"\xff" * (BANK_SIZE * (rom_banks - 1)))
    dir_bytes = directory(placements)
    image[BANK_SIZE : BANK_SIZE + len(dir_bytes)] = dir_bytes
    for song, p in zip(songs, placements, strict=True):
        data = compile_song(song, p.address)
        offset = p.bank * BANK_SIZE + (p.address - WINDOW)
        image[offset : offset + len(data)] = data
    encoded = title.encode("ascii", errors="replace")[:TITLE_MAX]
    image[TITLE_ADDR : TITLE_ADDR + TITLE_MAX] = encoded.ljust(TITLE_MAX, b"\0")
    image[CART_TYPE_ADDR] = MBC5
    image[ROM_SIZE_ADDR] = rom_size_code(rom_banks)
    image[RAM_SIZE_ADDR] = 0
    fix_checksums(image)
    return bytes(image)


def read_directory(image: bytes) -> list[Placement]:
    """The songs of a jukebox ROM image: bank and address of each (size 0: unknown)."""
    head = image[BANK_SIZE : BANK_SIZE + DIR_HEADER_SIZE]
    if len(head) < DIR_HEADER_SIZE or head[:4] != DIR_MAGIC:
        raise SynthicError("not a Synthic jukebox ROM: no song directory in bank 1")
    count = head[5]
    out = []
    for i in range(count):
        lo, hi, address = struct.unpack_from("<BBH", image, BANK_SIZE + DIR_HEADER_SIZE + 4 * i)
        out.append(Placement(lo | hi << 8, address, 0))
    return out


def song_bytes(image: bytes, placement: Placement) -> bytes:
    """The rest of the song's bank from its start (enough to decode the song)."""
    start = placement.bank * BANK_SIZE + (placement.address - WINDOW)
    return image[start : (placement.bank + 1) * BANK_SIZE]


def song_titles(image: bytes) -> list[dict[str, str]]:
    """Title, author and source of every song of a jukebox ROM (from the songs' text)."""
    out = []
    for p in read_directory(image):
        data = song_bytes(image, p)
        text_ptr = struct.unpack_from("<H", data, 16)[0]
        parts = data[text_ptr - p.address :].split(b"\0")[:3]
        title, author, source = (s.decode("ascii", errors="replace") for s in parts)
        out.append({"title": title, "author": author, "source": source})
    return out
