"""The cartridge header (0x100-0x14F): parsed, validated, explained (Pan Docs, "The Cartridge
Header").

A ROM the emulator cannot run is refused here with the reason and the offending byte in hex:
an unsupported mapper, a CGB-only game, a size field that disagrees with the file. A bad header
checksum is only a warning: the boot ROM would refuse it, but we run without one, and
hardware past the boot ROM ignores it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from synthic.errors import FormatError, SynthicError
from synthic.limits import MAX_ROM_BYTES

HEADER_END = 0x150
BANK_BYTES = 0x4000  # one 16 KiB ROM bank
ROM_SIZE_ADDR = 0x148
RAM_SIZE_ADDR = 0x149
HEADER_CHECKSUM_ADDR = 0x14D
GLOBAL_CHECKSUM_ADDR = 0x14E  # big-endian word, 0x14E-0x14F

# 0x147: cartridge type -> (mapper, has RAM, has battery, has clock). Supported mappers only;
# the others are named in UNSUPPORTED so the refusal can say what the cartridge is.
CART_TYPES: dict[int, tuple[str, bool, bool, bool]] = {
    0x00: ("ROM", False, False, False),
    0x01: ("MBC1", False, False, False),
    0x02: ("MBC1", True, False, False),
    0x03: ("MBC1", True, True, False),
    0x05: ("MBC2", True, False, False),  # 512 x 4 bits of RAM built into the mapper
    0x06: ("MBC2", True, True, False),
    0x08: ("ROM", True, False, False),
    0x09: ("ROM", True, True, False),
    0x0F: ("MBC3", False, True, True),
    0x10: ("MBC3", True, True, True),
    0x11: ("MBC3", False, False, False),
    0x12: ("MBC3", True, False, False),
    0x13: ("MBC3", True, True, False),
    0x19: ("MBC5", False, False, False),
    0x1A: ("MBC5", True, False, False),
    0x1B: ("MBC5", True, True, False),
    0x1C: ("MBC5", False, False, False),  # rumble: the motor bit is ignored
    0x1D: ("MBC5", True, False, False),
    0x1E: ("MBC5", True, True, False),
}
UNSUPPORTED = {
    0x0B: "MMM01", 0x0C: "MMM01+RAM", 0x0D: "MMM01+RAM+BATTERY", 0x20: "MBC6",
    0x22: "MBC7 (accelerometer)", 0xFC: "Pocket Camera", 0xFD: "Bandai TAMA5", 0xFE: "HuC3",
    0xFF: "HuC1",
}  # fmt: skip
# 0x148: ROM size in 16 KiB banks (32 KiB << n).
ROM_BANKS = {n: 2 << n for n in range(9)}
# 0x149: external RAM size in bytes (0x01 is listed as unused; treated as 2 KiB as some
# emulators do).
RAM_BYTES = {0x00: 0, 0x01: 0x800, 0x02: 0x2000, 0x03: 0x8000, 0x04: 0x20000, 0x05: 0x10000}
NINTENDO_LOGO = bytes.fromhex(
    "CEED6666CC0D000B03730083000C000D0008111F8889000EDCCC6EE6DDDDD999"
    "BBBB67636E0EECCCDDDC999FBBB9333E"
)


@dataclass(frozen=True)
class CartridgeHeader:
    title: str
    cgb_flag: int  # 0x143: 0x80 CGB-enhanced (runs on DMG), 0xC0 CGB only
    cart_type: int  # 0x147
    mapper: str  # "ROM", "MBC1", "MBC2", "MBC3", "MBC5"
    has_ram: bool
    has_battery: bool
    has_clock: bool
    rom_banks: int  # 16 KiB banks declared at 0x148
    ram_bytes: int  # external RAM declared at 0x149 (MBC2: its built-in 512 half-bytes)
    header_checksum_ok: bool
    warnings: tuple[str, ...] = field(default=())


def header_checksum(rom: bytes) -> int:
    """The byte at 0x14D: 0 - sum(rom[0x134:0x14D] + 1) mod 256 (Pan Docs)."""
    x = 0
    for b in rom[0x134:0x14D]:
        x = (x - b - 1) & 0xFF
    return x


def global_checksum(rom: bytes) -> int:
    """The big-endian word at 0x14E: the sum of every other byte of the ROM, mod 65536."""
    return (sum(rom) - rom[0x14E] - rom[0x14F]) & 0xFFFF


def rom_size_code(rom_banks: int) -> int:
    """Header byte 0x148 for a ROM of `rom_banks` 16 KiB banks (2, 4, 8, ..., 512): the inverse
    of ROM_BANKS."""
    if rom_banks < 2 or rom_banks > 512 or rom_banks & (rom_banks - 1):
        raise SynthicError(f"rom_banks must be a power of two from 2 to 512, got {rom_banks}")
    return rom_banks.bit_length() - 2


def ram_size_code(ram_kib: int) -> int:
    """Header byte 0x149 for `ram_kib` KiB of cartridge RAM (0, 8, 32, 64 or 128): the inverse
    of RAM_BYTES without the unused code 0x01. MBC2's built-in 512 x 4 bits is declared as 0."""
    codes = {size >> 10: code for code, size in RAM_BYTES.items() if code != 0x01}
    try:
        return codes[ram_kib]
    except KeyError:
        sizes = ", ".join(str(k) for k in sorted(codes))
        raise SynthicError(f"ram_kib must be one of {sizes}, got {ram_kib}") from None


def fix_checksums(image: bytearray) -> None:
    """Recompute the header checksum (0x14D) and then the global checksum (0x14E-0x14F), after
    the header or the banks of `image` changed."""
    if len(image) < HEADER_END:
        raise SynthicError("image too small to hold a cartridge header")
    image[HEADER_CHECKSUM_ADDR] = header_checksum(image)
    checksum = global_checksum(image)
    image[GLOBAL_CHECKSUM_ADDR : GLOBAL_CHECKSUM_ADDR + 2] = checksum.to_bytes(2, "big")


def parse_header(rom: bytes, path: str | os.PathLike | None = None) -> CartridgeHeader:
    """Check that `rom` is a DMG cartridge this emulator runs; raise FormatError if not (also
    for more than `synthic.limits.MAX_ROM_BYTES`, 8 MiB, the largest MBC5 cartridge)."""
    path = None if path is None else os.fspath(path)
    if len(rom) < HEADER_END:
        raise FormatError(
            path, f"truncated: {len(rom)} bytes, but a ROM's header alone ends at 0x14F",
            offset=len(rom),
        )  # fmt: skip
    if len(rom) > MAX_ROM_BYTES:
        raise FormatError(
            path, f"{len(rom)} bytes, larger than any DMG cartridge ({MAX_ROM_BYTES >> 20} MiB)",
            offset=MAX_ROM_BYTES,
        )  # fmt: skip
    warnings = []
    cgb = rom[0x143]
    if cgb == 0xC0:
        raise FormatError(path, "a Game Boy Color-only game (0x143 = 0xC0); Synthic emulates "
                          "the original Game Boy (DMG)", offset=0x143)  # fmt: skip
    kind = rom[0x147]
    if kind not in CART_TYPES:
        name = UNSUPPORTED.get(kind, "unknown")
        raise FormatError(path, f"unsupported cartridge type 0x{kind:02X} ({name}); supported: "
                          "ROM only, MBC1, MBC2, MBC3, MBC5", offset=0x147)  # fmt: skip
    mapper, has_ram, battery, clock = CART_TYPES[kind]
    size_code = rom[0x148]
    if size_code not in ROM_BANKS:
        raise FormatError(path, f"unknown ROM size code 0x{size_code:02X}", offset=0x148)
    banks = ROM_BANKS[size_code]
    if len(rom) < banks * BANK_BYTES:
        raise FormatError(
            path,
            f"truncated: the header declares {banks * 16} KiB (0x148 = 0x{size_code:02X}) but the "
            f"file holds {len(rom)} bytes",
            offset=len(rom),
        )
    if len(rom) > banks * BANK_BYTES:
        warnings.append(
            f"file is {len(rom)} bytes, larger than the {banks * 16} KiB the header declares "
            "(0x148); the extra bytes are ignored"
        )
    ram_code = rom[0x149]
    if ram_code not in RAM_BYTES:
        raise FormatError(path, f"unknown RAM size code 0x{ram_code:02X}", offset=0x149)
    ram = RAM_BYTES[ram_code] if has_ram else 0
    if mapper == "MBC2":
        ram = 512
    elif has_ram and ram == 0:
        warnings.append(f"cartridge type 0x{kind:02X} has RAM but 0x149 declares none")
    ok = header_checksum(rom) == rom[0x14D]
    if not ok:
        warnings.append(
            f"header checksum mismatch at 0x14D (0x{rom[0x14D]:02X}, computed "
            f"0x{header_checksum(rom):02X}); a real boot ROM would refuse this cartridge"
        )
    if rom[0x104:0x134] != NINTENDO_LOGO:
        warnings.append("the Nintendo logo at 0x104 is wrong; a real boot ROM would lock up")
    raw_title = rom[0x134 : 0x143 if cgb & 0x80 else 0x144]
    title = raw_title.split(b"\0")[0].decode("ascii", errors="replace").strip()
    return CartridgeHeader(
        title, cgb, kind, mapper, has_ram, battery, clock, banks, ram, ok, tuple(warnings)
    )


def read_rom(path: str | os.PathLike) -> bytes:
    """A ROM file's bytes, refused (FormatError) before reading when it is larger than
    `synthic.limits.MAX_ROM_BYTES`, so a huge file is never read into memory."""
    from synthic.collection import read_file

    size = os.stat(path).st_size
    if size > MAX_ROM_BYTES:
        raise FormatError(
            path, f"{size} bytes, larger than any DMG cartridge ({MAX_ROM_BYTES >> 20} MiB)",
            offset=MAX_ROM_BYTES,
        )  # fmt: skip
    return read_file(path, MAX_ROM_BYTES)  # a regular file only, never more than the limit
