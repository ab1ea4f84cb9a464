"""GBS files: the header is parsed and checked; a song becomes a runnable cartridge image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthic.errors import FormatError
from synthic.events.registers import CLOCK_HZ
from synthic.gb.gbs import IDLE_LOOP, gbs_header, parse_gbs, player_image, read_gbs
from synthic.gb.header import parse_header
from tools.asm import assemble, sdcc_available

NIGHTMODE = Path("/usr/share/doc/gbsplay/examples/nightmode.gbs")
GBS_SOURCES = Path(__file__).parent / "gbs"
TICKER = GBS_SOURCES / "ticker.s"  # init sets CH1 up; play writes NR13 = ++counter

needs_sdcc = pytest.mark.skipif(not sdcc_available(), reason="sdcc (sdasgb, sdldgb) not installed")


def make_gbs(code=b"\xc9" * 64, count=3, first=1, load=0x400, init=0x400, play=0x401, tac=0):
    head = gbs_header(
        songs=count,
        first=first,
        load=load,
        init=init,
        play=play,
        tac=tac,
        title="Title",
        author="Author",
        copyright="(c) nobody",
    )
    return head + code


def gbs_from_source(
    source: Path = TICKER,
    *,
    songs: int = 1,
    tma: int = 0,
    tac: int = 0,
    title: str = "Ticker",
    author: str = "synthic tests",
    defines: dict[str, int] | None = None,
) -> bytes:
    """A GBS file of our own: `source` (code at 0x0400, labels init:: and play::) assembled by
    tools/asm.py, behind a GBS 1 header."""
    mem, symbols, _ = assemble(source, defines={"EI_IN_INIT": 0, **(defines or {})})
    load = 0x0400
    code = bytes(mem.get(a, 0) for a in range(load, max(mem) + 1))
    head = gbs_header(
        songs=songs,
        load=load,
        init=symbols["init"],
        play=symbols["play"],
        tma=tma,
        tac=tac,
        title=title,
        author=author,
        copyright="public domain",
    )
    return head + code


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
    entry = image[0x100:IDLE_LOOP]
    assert entry[:4] == bytes((0xF3, 0x31, 0xFE, 0xFF))  # di ; ld sp, FFFE
    # TMA, then TIMA = TMA (the first timer period is a full 256 - TMA ticks), then TAC
    assert entry[4:14] == bytes((0x3E, 0x00, 0xE0, 0x06, 0xE0, 0x05, 0x3E, 0x00, 0xE0, 0x07))
    assert entry[14:19] == bytes((0x3E, 2, 0xCD, 0x00, 0x04))  # ld a, song ; call init
    # IF = 0 before IE: an init that leaves IME set must not take a stale request at once
    assert entry[19:28] == bytes((0xAF, 0xE0, 0x0F, 0x3E, 0x01, 0xE0, 0xFF, 0xFB, 0xC3))
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


@needs_sdcc
@pytest.mark.parametrize(
    "tac, tma",
    [
        (0x04, 0xBB),  # 4096 Hz / 69 = 59.36 Hz
        (0x06, 0x80),  # 65536 Hz / 128 = 512 Hz
        (0x05, 0x00),  # 262144 Hz / 256 = 1024 Hz
    ],
)
def test_timer_driven_gbs_calls_play_at_the_timer_rate(tac, tma):
    """Play runs at TAC clock / (256 - TMA), from the first call on: the player loads TIMA
    with TMA, so the first overflow takes 256 - TMA ticks like every later one."""
    from synthic.gb import Emulator

    data = gbs_from_source(tma=tma, tac=tac)
    gbs = parse_gbs(data)
    assert gbs.timer_driven
    emu = Emulator.from_gbs(data, 0)
    emu.run(seconds=1)
    rec = emu.recording()
    calls = rec.t_cycles[rec.address == 0xFF13][1:]  # init's NR13 = 0 first
    assert rec.value[rec.address == 0xFF13][1:4].tolist() == [1, 2, 3]
    tick_t = CLOCK_HZ // (4096, 262144, 65536, 16384)[tac & 3]
    period_t = (256 - tma) * tick_t
    assert set(np.diff(calls).tolist()) == {period_t}
    assert abs(len(calls) - gbs.play_rate_hz) <= 1  # calls in the first second
    # The first call: one period after the timer starts, give or take where the first tick falls
    # (up to one tick) plus the stub's and play's own cycles (under 200 T-cycles).
    assert period_t <= calls[0] < period_t + tick_t + 200, (calls[0], period_t)
    assert emu.lockup is None


@needs_sdcc
def test_vblank_driven_gbs_play_starts_at_the_first_vblank():
    """An init that enables interrupts itself (as nightmode's does) must not get play early:
    the stub clears IF (VBlank is pending at power-on) before it sets IE."""
    from synthic.gb import Emulator
    from synthic.gb.ppu import FRAME_T, LINE_T, POST_BOOT_DOT, VBLANK_LINE

    data = gbs_from_source(defines={"EI_IN_INIT": 1})
    emu = Emulator.from_gbs(data, 0)
    emu.run(frames=10)
    rec = emu.recording()
    calls = rec.t_cycles[rec.address == 0xFF13][1:]
    first_vblank = (LINE_T - POST_BOOT_DOT) + VBLANK_LINE * LINE_T
    assert first_vblank <= calls[0] < first_vblank + 200, calls[0]
    assert set(np.diff(calls).tolist()) == {FRAME_T}


@needs_sdcc
def test_record_command_writes_one_recording_per_song(cli, tmp_path):
    """`synthic record tune.gbs` plays every song: NAME.songNN.events, with the GBS's title,
    author and the song number (from 1) in each one's metadata."""
    from synthic import events

    path = tmp_path / "tune.gbs"
    path.write_bytes(gbs_from_source(songs=2, tma=0xBB, tac=0x04, title="Tick", author="Tock"))
    status, out, err = cli("record", path, "-o", tmp_path / "out", "--seconds", "2")
    assert status == 0, err
    assert "recorded 2 file(s)" in out
    for song in (1, 2):
        rec = events.read(tmp_path / "out" / f"tune.song{song:02d}.events")
        assert (rec.meta["title"], rec.meta["author"], rec.meta["song"]) == ("Tick", "Tock", song)
        assert rec.meta["source"] == "tune.gbs" and rec.length_cycles == 2 * CLOCK_HZ
        assert rec.value[rec.address == 0xFF11].tolist() == [(song - 1) << 6]  # its song number
        assert len(rec.t_cycles[rec.address == 0xFF13]) == 1 + 118  # init, 2 s of 59.36 Hz calls
    bad = tmp_path / "bad.gbs"
    bad.write_bytes(path.read_bytes()[:0x50])
    status, _, err = cli("record", bad, "-o", tmp_path / "out")
    assert status != 0 and "bad.gbs" in err and "truncated header" in err
