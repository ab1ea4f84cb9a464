"""The cartridge header: supported cartridges parse, bad ones are refused with the reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic.errors import FormatError
from synthic.gb.header import NINTENDO_LOGO, global_checksum, header_checksum, parse_header


def make_rom(kind=0x00, rom_code=0x00, ram_code=0x00, cgb=0x00, title=b"SYNTHIC", banks=None):
    size = (banks if banks is not None else 2 << rom_code) * 0x4000
    rom = bytearray(size)
    rom[0x104:0x134] = NINTENDO_LOGO
    rom[0x134 : 0x134 + len(title)] = title
    rom[0x143], rom[0x147], rom[0x148], rom[0x149] = cgb, kind, rom_code, ram_code
    rom[0x14D] = header_checksum(rom)
    g = global_checksum(rom)
    rom[0x14E], rom[0x14F] = g >> 8, g & 0xFF
    return bytes(rom)


@pytest.mark.parametrize(
    "kind, mapper", [(0x00, "ROM"), (0x03, "MBC1"), (0x06, "MBC2"), (0x13, "MBC3"), (0x1B, "MBC5")]
)
def test_supported_cartridges(kind, mapper):
    h = parse_header(make_rom(kind=kind, rom_code=0x02, ram_code=0x03))
    assert h.mapper == mapper and h.rom_banks == 8 and h.title == "SYNTHIC"
    assert h.header_checksum_ok and not h.warnings


def test_cgb_enhanced_game_runs_but_cgb_only_is_refused():
    assert parse_header(make_rom(cgb=0x80)).cgb_flag == 0x80
    with pytest.raises(FormatError, match=r"Color-only .*0x143 = 0xC0") as e:
        parse_header(make_rom(cgb=0xC0), "game.gbc")
    assert e.value.offset == 0x143 and "game.gbc" in str(e.value)


def test_unsupported_mapper_named_in_hex():
    with pytest.raises(FormatError, match=r"unsupported cartridge type 0x20 \(MBC6\)") as e:
        parse_header(make_rom(kind=0x20))
    assert e.value.offset == 0x147


def test_truncated_file():
    rom = make_rom(rom_code=0x03)
    with pytest.raises(FormatError, match="truncated: the header declares 256 KiB"):
        parse_header(rom[:100_000])
    with pytest.raises(FormatError, match="header alone ends at 0x14F"):
        parse_header(rom[:0x100])


def test_wrong_size_fields():
    with pytest.raises(FormatError, match="unknown ROM size code 0x42") as e:
        parse_header(make_rom(rom_code=0x42, banks=2))
    assert e.value.offset == 0x148
    with pytest.raises(FormatError, match="unknown RAM size code 0x09"):
        parse_header(make_rom(ram_code=0x09))
    h = parse_header(make_rom(banks=4))  # 64 KiB file, header says 32 KiB
    assert any("larger than" in w for w in h.warnings)


def test_bad_header_checksum_is_only_a_warning():
    rom = bytearray(make_rom())
    rom[0x14D] ^= 0xFF
    h = parse_header(bytes(rom))
    assert not h.header_checksum_ok
    assert any("0x14D" in w for w in h.warnings)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=0x400))
def test_random_bytes_never_crash_the_parser(data):
    try:
        parse_header(data)
    except FormatError as e:
        assert e.offset is not None
