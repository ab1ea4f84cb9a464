"""Render speed: a dense synthetic write stream and a timer (for `synthic bench render`).

`dense_stream` makes music-like register traffic for all four channels: notes on a 16th-note
grid with envelopes, vibrato (a period write per channel per frame), zombie-mode volume writes,
panning changes, wave RAM reloads and drums, about `writes_per_second` writes per second.
`bench_render` renders it and reports seconds of audio per wall-clock second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from synthic.apu.state import DEFAULT_RATE_HZ
from synthic.events.registers import CLOCK_HZ
from synthic.events.registers import FRAME_T_CYCLES as FRAME_T  # drivers write once per frame


def dense_stream(
    seconds: float, writes_per_second: int = 1200, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t_cycles int64, address uint16, value uint8) of a busy four-channel song.

    Per video frame, like a music driver: vibrato on the three tonal channels (NRx3), panning
    (NR51), and on every 8th frame a new note on every channel (CH3 reloads wave RAM every 64th);
    the rest of the budget goes to further pitch writes, zombie-mode fades (NRx2 = 08) and noise
    changes (NR43), so that the stream averages `writes_per_second`.
    """
    rng = np.random.default_rng(seed)
    n_frames = int(seconds * CLOCK_HZ / FRAME_T)
    per_frame = writes_per_second * FRAME_T / CLOCK_HZ
    rows: list[tuple[int, int, int]] = [(0, 0xFF26, 0x80), (0, 0xFF24, 0x77), (0, 0xFF25, 0xFF)]
    period = [1750, 1600, 1700, 0]
    tonal = ((0, 0xFF10), (1, 0xFF15), (2, 0xFF1A))
    for frame in range(n_frames):
        t = frame * FRAME_T
        writes: list[tuple[int, int]] = []
        if frame % 8 == 0:  # a new note on every channel (16th notes at ~112 BPM)
            for c, base in tonal[:2]:
                period[c] = int(rng.integers(1024, 2000))
                writes += [
                    (base + 1, int(rng.integers(0, 4)) << 6),
                    (base + 2, 0xF0 | int(rng.integers(1, 4))),
                    (base + 3, period[c] & 0xFF),
                    (base + 4, 0x80 | (period[c] >> 8)),
                ]
            period[2] = int(rng.integers(600, 1900))
            if frame % 64 == 0:
                writes.append((0xFF1A, 0x00))
                writes += [(0xFF30 + k, int(v)) for k, v in enumerate(rng.integers(0, 256, 16))]
            writes += [
                (0xFF1A, 0x80),
                (0xFF1C, 0x20),
                (0xFF1D, period[2] & 0xFF),
                (0xFF1E, 0x80 | (period[2] >> 8)),
            ]
            drum = int(rng.choice([0x00, 0x11, 0x22, 0x45, 0x56, 0x67, 0x0B, 0x3C]))
            writes += [(0xFF21, 0xF2), (0xFF22, drum), (0xFF23, 0x80)]
        writes.append((0xFF25, int(rng.choice([0xFF, 0xF7, 0xDE, 0xBF, 0x7D]))))
        budget = rng.poisson(per_frame)
        while len(writes) < budget:
            kind = int(rng.integers(0, 4))
            if kind <= 1:  # vibrato / slide
                c, base = tonal[int(rng.integers(0, 3))]
                p = min(2047, max(0, period[c] + int(rng.integers(-3, 4))))
                writes.append((base + 3, p & 0xFF))
            elif kind == 2:  # zombie-mode fade-in step on a pulse channel
                writes.append((int(rng.choice([0xFF12, 0xFF17])), 0x08))
            else:  # the drum's pitch moves
                writes.append((0xFF22, int(rng.integers(0, 0x80))))
        for j, (a, v) in enumerate(writes):
            rows.append((t + 16 * j, a, v))
    t_arr = np.array([r[0] for r in rows], np.int64)
    a_arr = np.array([r[1] for r in rows], np.uint16)
    v_arr = np.array([r[2] for r in rows], np.uint8)
    return t_arr, a_arr, v_arr


@dataclass(frozen=True)
class BenchResult:
    seconds_audio: float
    n_writes: int
    wall_seconds: float

    @property
    def realtime_factor(self) -> float:
        return self.seconds_audio / self.wall_seconds

    @property
    def writes_per_second(self) -> float:
        return self.n_writes / self.seconds_audio


def bench_render(
    seconds: float = 60.0, rate_hz: int = DEFAULT_RATE_HZ, repeats: int = 3, seed: int = 0
) -> BenchResult:
    """Best of `repeats` renders of a dense stream (after one warm-up render)."""
    from synthic.apu.render import render

    t, a, v = dense_stream(seconds, seed=seed)
    length = int(seconds * CLOCK_HZ)
    render(t[:10], a[:10], v[:10], 1000, rate_hz)  # compile or load the cache
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        render(t, a, v, length, rate_hz)
        best = min(best, time.perf_counter() - t0)
    return BenchResult(seconds, int(np.count_nonzero(t < length)), best)
