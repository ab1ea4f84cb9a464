"""`synthic compile`: build (or load) numba's machine code for the emulator and the renderer."""

from __future__ import annotations

import time

import numba


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "compile",
        help="compile the emulator and the sound renderer into numba's disk cache",
        description="Compile the emulator (by running a project-built ROM for a few frames) and "
        "the WAV renderer (by rendering what it recorded) into numba's on-disk cache, or load "
        "them from it, and say how long each took. On a fresh machine compiling takes about two "
        "CPU-minutes; afterwards a `synthic record` or `synthic wav` process starts in about "
        "two seconds. The workflow runs this once before the first recording, so that "
        "parallel jobs do not each compile the same code.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("-o", "--output", help="also write the report to this file (atomically)")
    p.set_defaults(run=run)


def compile_all() -> list[str]:
    """Compile or load the emulator and the renderer; one report line each."""
    from synthic.audio import render_recording
    from synthic.bench.emulator import rom_path
    from synthic.gb import Emulator

    lines = []
    start = time.perf_counter()
    with rom_path("bench_halt.gb") as rom:
        emu = Emulator(str(rom))
        emu.run(frames=8)
    rec = emu.recording()
    lines.append(f"emulator: ready in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    render_recording(rec)
    lines.append(f"renderer: ready in {time.perf_counter() - start:.1f} s")
    cache = numba.config.CACHE_DIR or "next to the code"
    lines.append(f"numba {numba.__version__}, cache: {cache}")
    return lines


def run(args) -> int:
    lines = compile_all()
    print("\n".join(lines))
    if args.output:
        from synthic.events.atomic import atomic_output

        with atomic_output(args.output, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return 0
