"""`synthic bench formats`: read and write throughput of the native formats, in writes/s.

Target (the foundation issue): native binary read at least 20 million writes per second on
one core. The data is synthetic but shaped like music: bursts of writes on nearby cycles,
then a gap of about a frame.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from synthic import events
from synthic.bench import median_seconds
from synthic.events.recording import Recording
from synthic.events.registers import FRAME_T_CYCLES

READ_TARGET = 20e6


def add_arguments(p) -> None:
    p.add_argument("--writes", type=int, default=2_000_000, help="writes in the test recording")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median shown)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic recording")


def synthetic_recording(n: int, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    burst = rng.random(n) < 0.9  # 90 % of writes follow the previous one within a few cycles
    deltas = np.where(
        burst, rng.integers(0, 24, n), rng.integers(FRAME_T_CYCLES // 2, 2 * FRAME_T_CYCLES, n)
    )
    t = np.cumsum(deltas)
    address = rng.integers(0xFF10, 0xFF40, n)
    value = rng.integers(0, 256, n)
    return Recording(t, address, value, meta={"title": "benchmark", "source": "synthetic"})


def run(args) -> int:
    rec = synthetic_recording(args.writes, args.seed)
    print(f"synthic bench formats: {len(rec):,} writes, median of {args.repeat} runs, one process")
    print(f"{'format':<12} {'read writes/s':>15} {'write writes/s':>15} {'bytes/write':>12}")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, ext in (("events", ".events"), ("events-text", ".events.txt")):
            path = os.path.join(tmp, "bench" + ext)
            t_write = median_seconds(lambda p=path, f=fmt: events.write(rec, p, f), args.repeat)
            t_read = median_seconds(lambda p=path, f=fmt: events.read(p, f), args.repeat)
            assert events.read(path, fmt).same_writes(rec)
            size = os.path.getsize(path) / len(rec)
            rows[fmt] = len(rec) / t_read
            print(
                f"{fmt:<12} {len(rec) / t_read:>15,.0f} {len(rec) / t_write:>15,.0f} {size:>12.2f}"
            )
    verdict = "meets" if rows["events"] >= READ_TARGET else "MISSES"
    print(
        f"native binary read: {rows['events'] / 1e6:.1f} M writes/s ({verdict} the 20 M/s target)"
    )
    return 0
