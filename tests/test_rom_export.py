"""`synthic rom`: any recording as a playable ROM (the register-stream player): the timing
quantised to the player's tick, the data across MBC5 banks, the ROM played to its end in PyBoy,
and the exact round trip through Synthic's emulator (when it exists)."""

from __future__ import annotations

import argparse
import io

import numpy as np
import pytest

from synthic import demo, events
from synthic.errors import SynthicError
from synthic.events.recording import Recording
from synthic.jukebox import images, rom

try:
    from pyboy import PyBoy
except ImportError:  # pragma: no cover - optional development tool
    PyBoy = None

needs_pyboy = pytest.mark.skipif(PyBoy is None, reason="pyboy not installed")
TICK = rom.DEFAULT_TICK_CYCLES
# WRAM of the player (driver/stream.s).
ST_STATE, ST_TICKS = 0xC002, 0xC003
ENDED = 2


def recording(writes, length=None, **meta) -> Recording:
    return Recording.from_writes(writes, length_cycles=length, meta=meta)


def test_timer_settings():
    assert rom.timer_setting(4096) == (0x04, 0xFC)  # 4 counts of 1,024 T-cycles
    assert rom.timer_setting(16) == (0x05, 0xFF)
    assert rom.timer_setting(1024 * 256) == (0x04, 0x00)
    assert rom.timer_setting(64 * 3) == (0x06, 0xFD)
    for bad in (0, 100, 1024 * 257):
        with pytest.raises(SynthicError, match="tick of"):
            rom.timer_setting(bad)


def test_quantise_rounds_to_the_nearest_tick_and_spills_bursts():
    writes = [(0, 0xFF26, 0x80), (2047, 0xFF12, 0xF0), (2048, 0xFF13, 0x10), (9000, 0xFF14, 0x87)]
    assert rom.quantise(recording(writes)) == [
        (0, 0xFF26, 0x80),
        (0, 0xFF12, 0xF0),
        (1, 0xFF13, 0x10),
        (2, 0xFF14, 0x87),
    ]
    burst = recording([(5000, 0xFF30 + i % 16, i) for i in range(70)])
    ticks = [t for t, _, _ in rom.quantise(burst)]
    assert ticks == [1] * 32 + [2] * 32 + [3] * 6  # order kept, at most 32 a tick
    assert rom.total_ticks(recording(writes, length=10 * TICK)) == 10
    assert rom.total_ticks(recording(writes)) == 3


def test_export_and_read_back_give_the_quantised_writes():
    rec = demo.render("ode_to_joy")
    image = rom.export_rom(rec)
    tick, writes, total = rom.read_stream(image)
    assert tick == TICK
    assert writes == rom.quantise(rec)
    assert total == rom.total_ticks(rec) == -(-rec.length_cycles // TICK)
    assert image[:0x100] == images.STREAM_IMAGE.read_bytes()[:0x100]
    assert image[0x134:0x143] == b"ODE TO JOY".ljust(15, b"\0")
    assert image[0x147] == 0x19
    assert rom.export_rom(rec) == image  # deterministic


def test_large_recordings_span_banks():
    rng = np.random.default_rng(1)
    n = 30_000  # 30,000 writes, 2 bytes each and a record byte a tick: several banks
    t = np.sort(rng.integers(0, 600 * TICK, n))
    a = rng.integers(0xFF10, 0xFF27, n)
    v = rng.integers(0, 256, n)
    rec = Recording(t, a, v, length_cycles=int(t[-1]) + TICK)
    image = rom.export_rom(rec, title="big")
    assert len(image) // rom.BANK_SIZE >= 4
    assert image[0x148] == (len(image) // rom.BANK_SIZE).bit_length() - 2
    _, writes, total = rom.read_stream(image)
    assert writes == rom.quantise(rec) and total == rom.total_ticks(rec)


def test_other_ticks_and_bad_input():
    rec = demo.render("twinkle")
    image = rom.export_rom(rec, tick_cycles=1024 * 68)  # about a frame
    tick, writes, _ = rom.read_stream(image)
    assert tick == 1024 * 68 and writes == rom.quantise(rec, tick)
    with pytest.raises(SynthicError, match="not a Synthic stream ROM"):
        rom.read_stream(bytes(0x8000))


def _cli():
    from synthic.cli import HelpFormatter
    from synthic.commands import rom as rom_command

    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    rom_command.add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_rom_command_writes_a_rom(tmp_path, capsys):
    src = tmp_path / "ode.vgm"
    events.write(demo.render("ode_to_joy"), str(src))
    out = tmp_path / "ode.gb"
    args = _cli().parse_args(["rom", str(src), "-o", str(out)])
    assert args.run(args) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    _, writes, _ = rom.read_stream(out.read_bytes())
    assert len(writes) == len(events.read(str(src)))


def test_rom_command_is_registered(cli, tmp_path):
    from synthic import cli as cli_module

    if "rom" not in cli_module.COMMANDS:
        pytest.skip("synthic.cli.COMMANDS does not list rom yet")
    src = tmp_path / "t.events.txt"
    events.write(demo.render("twinkle"), str(src))
    status, out, _ = cli("rom", src, "-o", tmp_path / "t.gb")
    assert status == 0 and "wrote" in out
    status, _, err = cli("rom", tmp_path / "missing.vgm", "-o", tmp_path / "x.gb")
    assert status == 2 and "error" in err


@needs_pyboy
@pytest.mark.parametrize("image_of", ["demo", "committed"])
def test_stream_rom_plays_to_its_end_in_pyboy(image_of):
    if image_of == "demo":
        rec = demo.render("frere_jacques").between(0, 4 * 4_194_304)
        image = rom.export_rom(rec)
    else:
        image = images.STREAM_IMAGE.read_bytes()
    _, want, total = rom.read_stream(image)
    # hook the player's `ldh (c), a`: `ld a, (hl+); ld c, a; ld a, (hl+); ldh (c), a`
    at = image.find(bytes.fromhex("2a4f2ae2"), 0x150, 0x4000) + 3
    pyboy = PyBoy(io.BytesIO(image), window="null", sound_emulated=False)
    m = pyboy.memory
    got = []

    def hook(_):
        tick = m[ST_TICKS] | m[ST_TICKS + 1] << 8 | m[ST_TICKS + 2] << 16
        got.append((tick, 0xFF00 | pyboy.register_file.C, pyboy.register_file.A))

    pyboy.hook_register(0, at, hook, None)
    try:
        frames = 0
        while m[ST_STATE] != ENDED and frames < 60 * 120:
            pyboy.tick(30, False)
            frames += 30
        assert m[ST_STATE] == ENDED
        assert m[ST_TICKS] | m[ST_TICKS + 1] << 8 | m[ST_TICKS + 2] << 16 == total
        assert got == want  # every write, on its tick
        seconds = total * rom.DEFAULT_TICK_CYCLES / 4_194_304
        assert frames / 59.7275 == pytest.approx(seconds + 1.1, abs=1.0)  # PyBoy's boot ~1 s
    finally:
        pyboy.stop(save=False)


def _emulator():
    gb = pytest.importorskip("synthic.gb")
    if not hasattr(gb, "Emulator"):
        pytest.skip("synthic.gb.Emulator is not written yet")
    return gb.Emulator


@pytest.mark.parametrize("name", ["ode_to_joy", "twinkle"])
def test_round_trip_through_the_emulator(name):
    """Recording the exported ROM gives back the same writes, each on its tick."""
    Emulator = _emulator()
    rec = demo.render(name)
    image = rom.export_rom(rec)
    emu = Emulator(image)
    emu.run(seconds=rec.length_cycles / 4_194_304 + 0.5)
    got = emu.recording()
    want = rom.quantise(rec)
    assert list(zip(got.address.tolist(), got.value.tolist(), strict=True)) == [
        (a, v) for _, a, v in want
    ]
    # ticks: counted from the first write, which lands on its own tick (the player starts after
    # the emulator's start-up); every write lands within its tick (a tick's writes take under
    # 1,500 T-cycles, far less than half a tick)
    t0 = int(got.t_cycles[0])
    ticks = np.floor((got.t_cycles - t0) / TICK + 0.5).astype(np.int64) + want[0][0]
    assert ticks.tolist() == [t for t, _, _ in want]
