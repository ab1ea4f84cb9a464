"""`synthic bench render`: seconds of audio rendered per wall second, one core.

Renders a dense synthetic stream (music-like traffic on all four channels, at least 1,000
writes per second of music) with Synthic's APU model. Target (the sound issue): at least 3,000x
real time. The comparison with libgme (a reference player, not a dependency) is a slow test,
tests/test_audio.py::test_render_speed_against_libgme.

Each figure is also given per second of this thread's CPU time, which other processes on a
shared machine disturb far less than the wall clock (the target is the wall-clock figure).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from synthic.events.registers import CLOCK_HZ

TARGET = 3000.0


def median_wall_and_cpu(fn, repeat: int) -> tuple[float, float]:
    """Median wall and thread-CPU seconds of `repeat` calls of fn (after one warm-up call)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.thread_time()
        fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall), statistics.median(cpu)


def add_arguments(p) -> None:
    from synthic.cli import positive_seconds

    p.add_argument(
        "--seconds", type=positive_seconds, default=60.0, help="seconds of music per render"
    )
    p.add_argument("--rate", type=int, default=44100, choices=[44100, 48000], help="sample rate")
    p.add_argument("--writes-per-second", type=int, default=1200, help="density of the stream")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")


def run(args) -> int:
    from synthic.apu import render
    from synthic.apu.bench import dense_stream

    t, a, v = dense_stream(args.seconds, writes_per_second=args.writes_per_second)
    length = int(args.seconds * CLOCK_HZ)
    density = np.count_nonzero(t < length) / args.seconds
    print(f"synthic bench render: {args.seconds:g} s of music, {density:,.0f} writes/s, "
          f"{args.rate} Hz, median of {args.repeat} runs")  # fmt: skip
    wall, cpu = median_wall_and_cpu(lambda: render(t, a, v, length, args.rate), args.repeat)
    ours, ours_cpu = args.seconds / wall, args.seconds / max(cpu, 1e-9)
    verdict = "meets" if ours >= TARGET else "MISSES"
    print(f"synthic APU:  {ours:8,.0f}x real time ({verdict} the {TARGET:,.0f}x target);"
          f" {ours_cpu:,.0f}x per CPU second")  # fmt: skip
    return 0
