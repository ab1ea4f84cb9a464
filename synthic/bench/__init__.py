"""Benchmarks that print figures (`synthic bench TARGET`); never timed tests.

Each target module defines `add_arguments(parser)` and `run(args) -> int` and prints medians
of repeated runs, so noisy shared machines still give comparable numbers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

TARGETS = ["formats", "emulator", "render", "record", "train", "generate", "original"]


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls of `fn` (after one untimed warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
