"""`synthic bench emulator`: emulated seconds per wall second, compile and start-up times.

Three ROMs built by the project (synthic/gb/roms): `bench_cpu.gb` never halts (CPU-bound),
`bench_halt.gb` idles in HALT between VBlank interrupts, like a game's music driver, and
`bench_poll.gb` busy-waits for VBlank reading LY, as many games do (mostly I/O reads). Each runs
with recording on, on one core; the figure is the median over repeated runs of emulated seconds
per wall second ("x real time"). When PyBoy is installed, it runs the same ROMs in the same
process (window "null", no frame limit, no rendering, with and without its sound emulation),
in rounds that run each emulator once in turn, so that a busy machine slows them alike; each
ratio is the median of the per-round ratios. Cold compile: a fresh process with an empty
temporary numba cache loads a ROM and runs a frame; start-up: the same with the cache warm.

Targets (the emulator issue): at least 2x PyBoy on bench_cpu and bench_halt (bench_poll is held
to the same figure); start-up with a warm cache under 2 seconds.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources

from synthic.events.registers import FRAME_HZ

ROMS = ("bench_cpu.gb", "bench_halt.gb", "bench_poll.gb")
SPEED_TARGET = 2.0  # x PyBoy
STARTUP_TARGET_S = 2.0
# What a fresh process does to measure compile and start-up: load a ROM, run a frame, record.
STARTUP_SCRIPT = """\
import sys, time
t = time.perf_counter()
from synthic.gb import Emulator
emu = Emulator(sys.argv[1])
emu.run(frames=1)
emu.recording()
print(time.perf_counter() - t)
"""


def add_arguments(p) -> None:
    from synthic.cli import positive_seconds

    p.add_argument(
        "--seconds", type=positive_seconds, default=30.0, help="emulated seconds per timed run"
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median shown)")
    p.add_argument("--no-compile", action="store_true", help="skip the cold compile timing")
    p.add_argument("--no-pyboy", action="store_true", help="skip PyBoy even if installed")


def rom_path(name: str):
    """The packaged benchmark ROM `name` (a context manager giving a real file path)."""
    return resources.as_file(resources.files("synthic.gb").joinpath("roms", name))


class SynthicRunner:
    """Synthic's emulator on one ROM, recording on; `timed(seconds)` returns x real time."""

    def __init__(self, path: str) -> None:
        from synthic.gb import Emulator

        self.emu = Emulator(path)
        self.emu.run(seconds=1.0)  # compiled (or loaded) and warm

    def timed(self, seconds: float) -> float:
        start = time.perf_counter()
        self.emu.run(seconds=seconds)
        speed = seconds / (time.perf_counter() - start)
        assert self.emu.lockup is None, self.emu.lockup
        return speed

    def close(self) -> None:
        pass


class PyBoyRunner:
    """PyBoy on one ROM: no window, no frame limit, no rendering; sound emulated or not."""

    def __init__(self, path: str, sound: bool) -> None:
        from pyboy import PyBoy

        self.pyboy = PyBoy(path, window="null", sound_emulated=sound)
        self.pyboy.set_emulation_speed(0)
        self.pyboy.tick(60, False)

    def timed(self, seconds: float) -> float:
        frames = max(1, round(seconds * FRAME_HZ))
        start = time.perf_counter()
        self.pyboy.tick(frames, False)
        return frames / FRAME_HZ / (time.perf_counter() - start)

    def close(self) -> None:
        self.pyboy.stop(save=False)


def interleaved(runners: dict, seconds: float, repeat: int) -> dict[str, list[float]]:
    """x real time of each runner, in rounds that run each once, so that a busy machine slows
    them alike and the ratios stay fair."""
    speeds: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeat):
        for name, runner in runners.items():
            speeds[name].append(runner.timed(seconds))
    return speeds


def startup_seconds(path: str, cache_dir: str | None) -> float:
    """Wall time of a fresh process that loads `path` and runs a frame (numba cache_dir, or the
    default cache when None)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", STARTUP_SCRIPT, path],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _have_pyboy() -> bool:
    try:
        import pyboy  # noqa: F401
    except ImportError:
        return False
    return True


def run(args) -> int:
    pyboy = not args.no_pyboy and _have_pyboy()
    print(
        f"synthic bench emulator: {args.seconds:g} emulated s per run, median of {args.repeat}, "
        "one core, recording on"
    )
    with contextlib.ExitStack() as stack:
        paths = {name: str(stack.enter_context(rom_path(name))) for name in ROMS}
        if not args.no_compile:
            with tempfile.TemporaryDirectory() as cache:
                cold = startup_seconds(paths["bench_halt.gb"], cache)
            print(f"cold compile (empty numba cache, fresh process): {cold:.1f} s")
        startup_seconds(paths["bench_halt.gb"], None)  # make sure the cache is warm
        warm = statistics.median(startup_seconds(paths["bench_halt.gb"], None) for _ in range(3))
        verdict = "meets" if warm < STARTUP_TARGET_S else "MISSES"
        print(
            f"start-up with a warm cache (fresh process, load + 1 frame): {warm:.2f} s "
            f"({verdict} the {STARTUP_TARGET_S:g} s target)"
        )
        header = f"{'ROM':<14} {'Synthic x real time':>20}"
        if pyboy:
            header += f" {'PyBoy sound on':>15} {'ratio':>6} {'PyBoy sound off':>16} {'ratio':>6}"
        print(header)
        verdicts = []
        for name, path in paths.items():
            runners = {"synthic": SynthicRunner(path)}
            if pyboy:
                runners["on"] = PyBoyRunner(path, sound=True)
                runners["off"] = PyBoyRunner(path, sound=False)
            try:
                speeds = interleaved(runners, args.seconds, args.repeat)
            finally:
                for runner in runners.values():
                    runner.close()
            ours = statistics.median(speeds["synthic"])
            line = f"{name:<14} {ours:>20,.1f}"
            if pyboy:
                ratios = {}
                for key in ("on", "off"):  # median of the per-round ratios
                    ratios[key] = statistics.median(
                        a / b for a, b in zip(speeds["synthic"], speeds[key], strict=True)
                    )
                    line += f" {statistics.median(speeds[key]):>15,.1f} {ratios[key]:>5.2f}x"
                    line = line.replace(" x", "x")
                verdicts.append((name, ratios["on"], ratios["off"]))
            print(line)
    for name, on, off in verdicts:
        meets = "meets" if min(on, off) >= SPEED_TARGET else "MISSES"
        print(f"{name}: {min(on, off):.2f}x PyBoy at worst ({meets} the {SPEED_TARGET:g}x target)")
    if not pyboy:
        print("PyBoy not installed (pip install pyboy): no ratios")
    return 0
