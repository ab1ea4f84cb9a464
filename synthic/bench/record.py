"""`synthic bench record`: emulated minutes per wall second of `synthic record` on our ROMs.

The ROMs are the project's own: jukebox ROMs (the committed driver image
synthic/jukebox/driver/jukebox.gb with its demo songs, and ROM 1 of the default jukebox
collection with --songs songs, built once into a temporary folder by synthic.jukebox; skipped
with a note when that fails, e.g. without music21), the benchmark ROMs synthic/gb/roms/*.gb, and
the test ROM that plays music, tests/roms/music.gb (when run from a checkout). Each ROM is
recorded by the real command line, `python -m synthic record ROM -o DIR --seconds S` (random
button windows and all), one fresh process per ROM, so every figure includes a process start-up
with a warm numba cache (an untimed recording of each ROM first warms it). A pool of 1, then 2
worker processes records the whole set; the figure is emulated minutes (as recorded: a ROM that
stops early counts what it recorded) per wall second of the whole set, the median of --repeat
rounds; a round runs each pool size once in turn so that a busy machine slows them alike, and
the speed-up is the median of the per-round ratios. Per ROM: emulated minutes per wall second of
its own process and its wall time, medians over the 1-worker rounds. The start-up alone (the
median wall time of recording one frame) is printed first: most of a ROM's wall time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import synthic
from synthic.events.registers import CLOCK_HZ

PACKAGE = Path(synthic.__file__).resolve().parent
CHECKOUT = PACKAGE.parent
MUSIC_TEST_ROMS = ("music.gb",)  # tests/roms: the others check hardware and play no music


def add_arguments(p) -> None:
    from synthic.cli import positive_seconds

    p.add_argument(
        "--seconds", type=positive_seconds, default=600.0, help="game time recorded per ROM"
    )
    p.add_argument("--repeat", type=int, default=3, help="rounds per figure (median shown)")
    p.add_argument("--workers", default="1,2", help="comma-separated pool sizes to measure")
    p.add_argument("--songs", type=int, default=5, help="songs in the jukebox ROM built")
    p.add_argument("--no-build", action="store_true", help="skip building a jukebox ROM")


def build_jukebox(folder: Path, songs: int) -> tuple[Path | None, str]:
    """Jukebox ROM 1 of the default collection in `folder`; (None, why) when it cannot."""
    from synthic.errors import SynthicError
    from synthic.jukebox.collection import build_rom

    try:
        path, _, _ = build_rom(folder, 1, songs_per_rom=songs)
    except (SynthicError, ImportError, OSError) as e:
        return None, str(e).splitlines()[0]
    return path, ""


def project_roms() -> list[Path]:
    """The committed ROMs that play music: jukebox driver images, benchmark ROMs, test ROMs."""
    driver = PACKAGE / "jukebox" / "driver"
    roms = [driver / "jukebox.gb"]  # (stream.gb, with no stream laid in, halts at once)
    roms += sorted((PACKAGE / "gb" / "roms").glob("*.gb"))
    roms += [CHECKOUT / "tests" / "roms" / name for name in MUSIC_TEST_ROMS]
    return [p for p in roms if p.is_file()]


def _env() -> dict[str, str]:
    """The environment of a worker: this synthic importable whatever pip installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    return env


def record_one(rom: Path, outdir: Path, seconds: float) -> tuple[float, float]:
    """Record `rom` with `synthic record` in a fresh process: (wall s, emulated s recorded)."""
    from synthic.events import native

    out = outdir / rom.stem
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "synthic", "record", str(rom), "-o", str(out),
         "--seconds", f"{seconds:g}"],
        env=_env(), capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"synthic record {rom.name} failed: {err}")
    emulated = sum(native.read_meta(f)[2] for f in out.glob("*.events")) / CLOCK_HZ
    return wall, emulated


def record_set(roms: list[Path], workers: int, seconds: float) -> tuple[float, list]:
    """Record every ROM with a pool of `workers` processes: (wall s, [(wall, emulated)])."""
    with tempfile.TemporaryDirectory(prefix="synthic-bench-record-") as tmp:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda rom: record_one(rom, Path(tmp), seconds), roms))
        return time.perf_counter() - start, results


def run(args) -> int:
    pools = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="synthic-bench-jukebox-") as built:
        roms = project_roms()
        if not args.no_build:
            path, why = build_jukebox(Path(built), args.songs)
            if path is None:
                print(f"no jukebox ROM built ({why}); using the committed images only")
            else:
                roms.insert(1, path)
        print(
            f"synthic bench record: {len(roms)} ROMs x {args.seconds:g} s of game time, "
            f"`synthic record` per ROM (a fresh process, warm numba cache), pools of "
            f"{', '.join(map(str, pools))} worker(s), median of {args.repeat} rounds "
            f"({os.cpu_count()} CPUs)"
        )
        with tempfile.TemporaryDirectory() as tmp:
            for rom in roms:  # each ROM once: numba compiles per cartridge kind, caches it
                record_one(rom, Path(tmp), 1.0)
            startup = statistics.median(
                record_one(roms[0], Path(tmp), 1 / 60)[0] for _ in range(args.repeat)
            )
        print(f"start-up: `synthic record` of one frame takes {startup:.2f} s (median)")
        rounds: dict[int, list[float]] = {w: [] for w in pools}
        per_rom: list[list[tuple[float, float]]] = [[] for _ in roms]
        for _ in range(args.repeat):
            for w in pools:
                wall, results = record_set(roms, w, args.seconds)
                rounds[w].append(sum(e for _, e in results) / 60 / wall)
                if w == pools[0]:
                    for k, result in enumerate(results):
                        per_rom[k].append(result)
        label = f"ROM ({pools[0]} worker pool)"
        print(f"{label:<22} {'emulated min / wall s':>22} {'wall s':>8}")
        for rom, runs in zip(roms, per_rom, strict=True):
            speed = statistics.median(e / 60 / wall for wall, e in runs)
            wall = statistics.median(wall for wall, _ in runs)
            print(f"{rom.name:<22} {speed:>22.3f} {wall:>8.1f}")
        print(f"{'workers':<22} {'emulated min / wall s':>22} {'speed-up':>9}")
        base = rounds[pools[0]]
        for w in pools:
            ratio = statistics.median(a / b for a, b in zip(rounds[w], base, strict=True))
            print(f"{w:<22} {statistics.median(rounds[w]):>22.3f} {ratio:>8.2f}x")
    return 0
