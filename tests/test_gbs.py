"""GBS files: the header is parsed and checked; a song becomes a runnable cartridge image."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from synthic.errors import FormatError
from synthic.gb.gbs import IDLE_LOOP, parse_gbs, player_image, read_gbs
from synthic.gb.header import parse_header

NIGHTMODE = Path("/usr/share/doc/gbsplay/examples/nightmode.gbs")


def make_gbs(code=b"\xc9" * 64, count=3, first=1, load=0x400, init=0x400, play=0x401, tac=0):
    head = b"GBS" + bytes((1, count, first)) + struct.pack("<HHHH", load, init, play, 0xFFFE)
    head += bytes((0, tac)) + b"Title".ljust(32, b"\0") + b"Author".ljust(32, b"\0")
    return head + b"(c) nobody".ljust(32, b"\0") + code


def test_parses_fields():
    g = parse_gbs(make_gbs())
    assert (g.song_count, g.first_song, g.load_address, g.title, g.author) == (
        3,
        1,
        0x400,
        "Title",
        "Author",
    )
    assert not g.timer_driven and g.play_rate_hz == pytest.approx(59.7275, abs=1e-3)
    t = parse_gbs(make_gbs(tac=0x04 | 0x02))  # timer at 65536 Hz, TMA 0 -> 256 Hz
    assert t.timer_driven and t.play_rate_hz == 256


@pytest.mark.parametrize(
    "data, message, offset",
    [
        (b"GBX" + bytes(200), "bad magic", 0),
        (make_gbs()[:50], "truncated header", 50),
        (make_gbs(count=0), "no songs", 4),
        (make_gbs(first=4), "first song 4", 5),
        (make_gbs(load=0x100, init=0x100, play=0x100), "load address 0x0100", 6),
        (make_gbs(init=0x7000), "init address 0x7000", 8),
        (make_gbs(code=b""), "no code", 0x70),
        (make_gbs(tac=0x80), "double-speed", 0x0F),
    ],
)
def test_bad_headers_name_the_byte(data, message, offset):
    with pytest.raises(FormatError, match=message) as e:
        parse_gbs(data, "x.gbs")
    assert e.value.offset == offset and "x.gbs" in str(e.value)


def test_player_image_layout():
    g = parse_gbs(make_gbs(code=b"\x00" * 0x5000))
    image = player_image(g, 2)
    assert len(image) == 0x8000  # 0x400 + 0x5000 bytes: two banks
    assert image[0x08:0x0B] == bytes((0xC3, 0x08, 0x04))  # RST 08 -> load + 8
    assert image[0x40:0x44] == bytes((0xCD, 0x01, 0x04, 0xD9))  # VBlank: call play ; reti
    assert image[0x10C:0x10E] == bytes((0x3E, 2))  # ld a, song
    assert image[IDLE_LOOP : IDLE_LOOP + 3] == bytes((0x76, 0x18, 0xFD))
    h = parse_header(image)
    assert h.header_checksum_ok and h.rom_banks == 2
    big = player_image(parse_gbs(make_gbs(code=b"\x00" * 0x9000)), 0)
    assert len(big) == 4 * 0x4000 and parse_header(big).mapper == "MBC1"


def test_reads_gbsplays_example():
    if not NIGHTMODE.exists():
        pytest.skip("gbsplay's example nightmode.gbs is not installed (apt-get install gbsplay)")
    g = read_gbs(NIGHTMODE)
    assert g.title == "Nightmode" and g.author == "Laxity" and g.song_count == 1
    assert parse_header(player_image(g, 0)).title == "Nightmode"
