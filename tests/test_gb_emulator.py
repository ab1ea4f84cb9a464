"""The Emulator API: recordings (exact cycles, draining, markers, determinism), GBS songs, button
scripts, bad ROMs (clear errors, never a crash, random code included) and `synthic run`."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic import events
from synthic.errors import FormatError, SynthicError
from synthic.events.registers import CLOCK_HZ
from synthic.events.registers import FRAME_T_CYCLES as FRAME_T
from synthic.gb.buttons import parse_script
from synthic.gb.cpu_state import ILLEGAL_OPCODES, INSTRUCTIONS
from synthic.gb.gbs import gbs_header
from tests.gb_helpers import DI, IDLE, RETI, make_rom, poke, store

ROMS = Path(__file__).resolve().parent / "roms"


@pytest.fixture(scope="module")
def Emulator():
    from synthic.gb import Emulator

    return Emulator


def test_sound_writes_are_recorded_at_the_t_cycle_they_reach_the_bus(Emulator):
    # nop ; jp 0150 (20 T) ; ld a,80 (8) ; ldh (26),a: its write is the 3rd M-cycle, T = 36
    emu = Emulator(make_rom(poke(0x26, 0x80) + poke(0x24, 0x77) + poke(0x30, 0x12) + IDLE))
    emu.run(frames=1)
    rec = emu.recording()
    assert list(
        zip(rec.t_cycles.tolist(), rec.address.tolist(), rec.value.tolist(), strict=True)
    ) == [
        (36, 0xFF26, 0x80),
        (56, 0xFF24, 0x77),
        (76, 0xFF30, 0x12),
    ]
    assert emu.write_count == 3
    assert emu.read(0xFF24) == 0x77  # the APU model took them


def test_the_log_drains_when_full(Emulator):
    small = Emulator(ROMS / "music.gb", log_capacity=32)
    big = Emulator(ROMS / "music.gb")
    small.run(seconds=3)
    big.run(seconds=3)
    assert len(big.recording()) > 300  # many drains of the small log
    assert small.recording().equals(big.recording())


def test_same_rom_script_and_seed_give_the_same_recording(Emulator):
    script = "5 press start; 7 release start; 1s press a+right; 1.5s release a+right"

    def record(seed):
        emu = Emulator(ROMS / "music.gb", buttons=script, seed=seed)
        emu.run(seconds=2.5)
        return emu.recording(), emu

    a, _ = record(None)
    b, _ = record(None)
    assert a.equals(b) and len(a) > 0
    c, emu_c = record(7)
    d, emu_d = record(7)
    assert c.equals(d)
    _, emu_e = record(8)
    assert emu_c.read(0xD800) == emu_d.read(0xD800)  # RAM filled from the seed
    assert [emu_c.read(0xD800 + i) for i in range(64)] != [
        emu_e.read(0xD800 + i) for i in range(64)
    ]


def test_run_cycles_keeps_to_the_timeline(Emulator):
    emu = Emulator(make_rom())
    for _ in range(100):
        emu.run_cycles(1001)
    assert 100_100 <= emu.t_cycles < 100_100 + 24
    emu.run(seconds=0.5)
    assert abs(emu.seconds - (100_100 / CLOCK_HZ + 0.5)) < 24 / CLOCK_HZ
    with pytest.raises(ValueError):
        emu.run(seconds=1, frames=2)


def test_presses_leave_markers(Emulator):
    emu = Emulator(ROMS / "music.gb")
    emu.run(seconds=1)
    emu.press(["right"])
    t = emu.t_cycles
    emu.run(seconds=0.2)
    emu.release("right")
    emu.press("a+b")
    emu.run(seconds=0.1)
    markers = emu.recording().meta["markers"]
    assert markers[0]["start"] == t and markers[0]["label"] == "button right"
    assert abs(markers[0]["end"] - t - 0.2 * CLOCK_HZ) < 24
    assert [m["label"] for m in markers] == ["button right", "button a", "button b"]
    assert markers[1]["end"] == emu.t_cycles  # still held: ends with the recording


def test_memory_views(Emulator):
    emu = Emulator(make_rom(bytes((DI,)) + bytes((0x3E, 0x42)) + store(0xC000) + IDLE))
    emu.run(frames=1)
    assert emu.read(0xC000) == 0x42
    assert emu.memory[0xC000] == 0x42
    assert emu.memory[0xC000:0xC002] == bytes((0x42, 0))
    assert emu.memory[0xE000] == 0x42  # echo RAM
    assert emu.memory[0x0101] == 0xC3
    with pytest.raises(ValueError):
        emu.read(0x10000)


# -- GBS ---------------------------------------------------------------------------------------


def make_gbs(*, tac: int = 0, tma: int = 0, songs: int = 2) -> bytes:
    """init (0400): C000 = song, NR52 = 80, NR50 = 77; play (0410): NR13 = ++C001."""
    init = bytes((0xEA, 0x00, 0xC0)) + poke(0x26, 0x80) + poke(0x24, 0x77) + bytes((0xC9,))
    play = bytes((0xFA, 0x01, 0xC0, 0x3C, 0xEA, 0x01, 0xC0, 0xE0, 0x13, 0xC9))
    code = init.ljust(0x10, b"\0") + play
    header = gbs_header(
        songs=songs,
        init=0x400,
        play=0x410,
        tma=tma,
        tac=tac,
        title="Test tune",
        author="Someone",
        copyright="(c) nobody",
    )
    return header + code


def test_gbs_songs_play_at_vblank_rate(Emulator, tmp_path):
    path = tmp_path / "tune.gbs"
    path.write_bytes(make_gbs())
    emu = Emulator.from_gbs(path, 1)
    emu.run(seconds=1)
    rec = emu.recording()
    assert emu.read(0xC000) == 1  # init got the 0-based song number in A
    assert rec.meta["title"] == "Test tune" and rec.meta["author"] == "Someone"
    assert rec.meta["song"] == 2 and rec.meta["source"] == "tune.gbs"
    assert len(rec.meta["sha1"]) == 40
    nr13 = rec.t_cycles[rec.address == 0xFF13]
    assert len(nr13) in (59, 60)
    assert set(np.diff(nr13).tolist()) == {FRAME_T}
    assert rec.value[rec.address == 0xFF13].tolist()[:3] == [1, 2, 3]
    assert emu.lockup is None


def test_gbs_songs_play_from_the_timer(Emulator):
    emu = Emulator.from_gbs(make_gbs(tac=0x04, tma=0xC0), 0)  # 4096 Hz / 64 = 64 Hz
    emu.run(seconds=1)
    nr13 = emu.recording().t_cycles
    nr13 = nr13[emu.recording().address == 0xFF13]
    assert nr13[0] == 64 * 1024 + 148  # TIMA starts at TMA = C0: the first overflow takes 64 ticks
    assert set(np.diff(nr13).tolist()) == {CLOCK_HZ // 64}  # then TMA = C0: 64 ticks each


# -- button scripts ----------------------------------------------------------------------------


def test_button_scripts():
    actions = parse_script("# a comment\n10 press a; 1.5s press start+RIGHT, 20:release a\n")
    assert [(a.t_cycles, a.action, a.buttons) for a in actions] == [
        (10 * FRAME_T, "press", ("a",)),
        (20 * FRAME_T, "release", ("a",)),
        (round(1.5 * CLOCK_HZ), "press", ("right", "start")),
    ]
    for bad in ("10 press turbo", "soon press a", "10 hold a", "1.5 press a"):
        with pytest.raises(SynthicError, match="button script"):
            parse_script(bad)


# -- bad ROMs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r[:0x100], "truncated"),
        (lambda r: r[:0x6000], "truncated"),
        (lambda r: r[:0x147] + b"\x20" + r[0x148:], "unsupported cartridge type 0x20"),
        (lambda r: r[:0x147] + b"\x42" + r[0x148:], "unsupported cartridge type 0x42"),
        (lambda r: r[:0x143] + b"\xc0" + r[0x144:], "Color-only"),
        (lambda r: r[:0x148] + b"\x09" + r[0x149:], "ROM size code 0x09"),
        (lambda r: r[:0x148] + b"\x02" + r[0x149:], "declares 128 KiB"),
        (lambda r: np.random.default_rng(1).bytes(100), "truncated"),
    ],
)
def test_bad_roms_give_a_clear_error(Emulator, mutate, message):
    with pytest.raises(FormatError, match=message):
        Emulator(mutate(make_rom()))


def test_random_bytes_as_a_rom_give_an_error_or_run(Emulator):
    rng = np.random.default_rng(0)
    for _ in range(20):
        data = rng.integers(0, 256, 0x8000, dtype=np.uint8).tobytes()
        try:
            emu = Emulator(data)
        except FormatError:
            continue
        emu.run(seconds=0.1)


CARTRIDGES = [  # (type, ROM size code, RAM size code): every mapper, with and without RAM
    (0x00, 0, 0), (0x01, 2, 0), (0x03, 3, 3), (0x06, 1, 0), (0x13, 2, 3), (0x10, 1, 2),
    (0x1B, 3, 4), (0x1E, 2, 3), (0x09, 0, 2), (0x02, 5, 1),
]  # fmt: skip


def random_code_rom(seed: int, cartridge: int | None = None) -> bytes:
    """Random code and data around a valid header, for one of CARTRIDGES."""
    rng = np.random.default_rng(seed)
    cart_type, size_code, ram_code = CARTRIDGES[seed % len(CARTRIDGES) if cartridge is None
                                                else cartridge]  # fmt: skip
    image = bytearray(rng.bytes((2 << size_code) * 0x4000))
    header = make_rom(cart_type=cart_type, size_code=size_code, ram_code=ram_code)
    image[0x100:0x150] = header[0x100:0x150]
    if seed % 3:
        image[0x40:0x68] = bytes((RETI,)) * 0x28  # let interrupts return sometimes
    if seed % 4 == 1:  # fewer lock-ups: illegal opcodes become NOPs
        code = np.frombuffer(image, np.uint8).copy()
        code[np.isin(code, list(ILLEGAL_OPCODES))] = 0
        image = bytearray(code.tobytes())
        image[0x100:0x150] = header[0x100:0x150]
    return bytes(image)


def run_random_rom(Emulator, rom: bytes, seconds: float) -> int:
    """Run random code: any status is fine, an exception or a crash is not. Returns the
    instructions executed."""
    emu = Emulator(rom)
    emu.run(seconds=seconds)
    assert emu.status in ("ok", "locked", "halted forever", "stopped")
    if emu.status == "stopped":
        emu.press("a+start+up")  # wake it if a row is selected, and go on
        emu.run(seconds=seconds)
    rec = emu.recording()  # the columns pass Recording's checks
    assert rec.length_cycles >= seconds * CLOCK_HZ
    emu.memory[0xFE00:0x10000]  # OAM, the unusable area, I/O and HRAM all read
    return int(emu.cpu[INSTRUCTIONS])


def test_random_code_runs_without_a_crash(Emulator):
    total = sum(run_random_rom(Emulator, random_code_rom(seed), 0.5) for seed in range(30))
    assert total > 1_000_000


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cartridge=st.integers(0, len(CARTRIDGES) - 1))
def test_random_code_property(Emulator, seed, cartridge):
    run_random_rom(Emulator, random_code_rom(seed, cartridge), 0.2)


@pytest.mark.slow
def test_random_code_runs_for_hundreds_of_millions_of_instructions(Emulator):
    total = sum(run_random_rom(Emulator, random_code_rom(seed), 10.0) for seed in range(1000, 1400))
    assert total > 100_000_000


# -- synthic run -------------------------------------------------------------------------------


def _cli():
    from synthic.cli import HelpFormatter
    from synthic.commands import run as run_command

    parser = argparse.ArgumentParser(prog="synthic", formatter_class=HelpFormatter)
    run_command.add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_run_command_records_and_prints_serial(tmp_path, capsys):
    out = tmp_path / "timer.events"
    args = _cli().parse_args(
        ["run", str(ROMS / "timer.gb"), "--seconds", "0.5", "--serial", "-o", str(out)]
    )
    assert args.run(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "PASS\n"
    assert f"wrote {out}" in captured.err
    rec = events.read(out)
    assert rec.meta["source"] == "timer.gb" and rec.length_cycles >= CLOCK_HZ // 2


def test_run_command_with_a_script_file_and_a_gbs(tmp_path, capsys):
    script = tmp_path / "buttons.txt"
    script.write_text("10 press a\n20 release a\n30 press right\n40 release right\n")
    args = _cli().parse_args(
        ["run", str(ROMS / "joypad.gb"), "--seconds", "1", "--buttons", str(script), "--serial"]
    )
    assert args.run(args) == 0
    assert capsys.readouterr().out == "PASS\n"
    gbs = tmp_path / "tune.gbs"
    gbs.write_bytes(make_gbs())
    out = tmp_path / "tune.events.txt"
    args = _cli().parse_args(["run", str(gbs), "--song", "2", "--seconds", "0.2", "-o", str(out)])
    assert args.run(args) == 0
    rec = events.read(out)
    assert rec.meta["song"] == 2 and 0xFF13 in rec.address.tolist()
    args = _cli().parse_args(["run", str(gbs), "--song", "3"])
    with pytest.raises(SynthicError, match="song 3"):
        args.run(args)


def test_run_command_help_documents_the_script_format(capsys):
    with pytest.raises(SystemExit):
        _cli().parse_args(["run", "--help"])
    assert "WHEN ACTION BUTTONS" in capsys.readouterr().out


def test_bench_emulator_runs(capsys):
    """`synthic bench emulator` on a short budget (no cold compile, no PyBoy)."""
    from synthic.bench import emulator as bench

    args = argparse.Namespace(seconds=0.5, repeat=1, no_compile=True, no_pyboy=True)
    assert bench.run(args) == 0
    out = capsys.readouterr().out
    assert "start-up with a warm cache" in out
    assert "bench_cpu.gb" in out and "bench_halt.gb" in out and "bench_poll.gb" in out


def test_the_numba_cache_guard_covers_the_sound_chip():
    """sm83.run links the APU's functions in: a change to synthic/apu must flush it too."""
    from synthic.gb import jit_cache
    from tools import gen_sm83

    files = jit_cache.source_files(gen_sm83.OUTPUT, "synthic.gb")
    names = {f"{p.parent.name}/{p.name}" for p in files}
    assert {"gb/sm83.py", "gb/bus.py", "gb/timer.py", "gb/ppu.py", "apu/apu.py"} <= names
    assert "gb/header.py" not in names


@pytest.mark.parametrize("rom", ["bench_poll.gb", "bench_cpu.gb"])
def test_quiet_io_reads_match_the_slow_path(rom):
    """The CPU reads LY, STAT, IF, P1 and DIV through `bus.read_quiet` without leaving its
    inner loop; with the bus's TRACE bit set it cannot (every I/O read goes to read_slow). Both
    runs, with a button held for a while, must record the same writes at the same T-cycles and
    end in the same state."""
    from synthic.gb import Emulator
    from synthic.gb.bus import TRACE
    from synthic.gb.slots import BUS_MODE

    path = Path(__file__).parents[1] / "synthic" / "gb" / "roms" / rom
    quiet, slow = Emulator(path), Emulator(path)
    slow.bus.state[BUS_MODE] |= TRACE  # the trace buffer is full at once: reads still go slow
    for emu in (quiet, slow):
        emu.run(seconds=0.5)
        emu.press("start+left")
        emu.run(seconds=0.25)
        emu.release("start+left")
        emu.run(seconds=0.5)
    a, b = quiet.recording(), slow.recording()
    assert len(a.t_cycles) > 50
    assert a.same_writes(b)
    assert np.array_equal(quiet.cpu, slow.cpu)
    assert np.array_equal(quiet.bus.mem[0xC000:0xE000], slow.bus.mem[0xC000:0xE000])


def test_emulator_compiles_without_reference_counting():
    """Every numba function of the emulator is compiled with
    synthic.numba_cache.jit (no reference counting: an I/O access would cost ~10x more)."""
    import importlib
    import pkgutil

    from numba.core.dispatcher import Dispatcher

    import synthic.gb
    from synthic.numba_cache import NRT

    if NRT:
        pytest.skip("SYNTHIC_NRT=1 asks for reference counting")
    found = []
    for info in pkgutil.iter_modules(synthic.gb.__path__):
        module = importlib.import_module(f"synthic.gb.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                found.append((module.__name__, value.py_func.__name__, value.targetoptions))
    assert len(found) > 40
    assert [(m, f) for m, f, options in found if options.get("_nrt") is not False] == []
