"""Shared helpers for the APU tests (no tests here): write lists, pitch estimates, schedules."""

from __future__ import annotations

import numpy as np

from synthic.apu import render

CLOCK = 4_194_304
RATE = 44_100
SEQ_T = 8192  # frame sequencer period; in the renderer DIV starts at 0, so edge k is at k * 8192
# Step run at edge k (k >= 1) after power-on at t = 0 is (k - 1) % 8: lengths at even steps,
# sweep at 2 and 6, envelope at 7.
LENGTH_EDGES_T = [SEQ_T * k for k in range(1, 1200) if (k - 1) % 2 == 0]
SWEEP_EDGES_T = [SEQ_T * k for k in range(1, 1200) if (k - 1) % 8 in (2, 6)]
ENVELOPE_EDGES_T = [SEQ_T * k for k in range(1, 1200) if (k - 1) % 8 == 7]

# Power on, full master volume, every channel on both sides.
START = [(0, 0xFF26, 0x80), (0, 0xFF24, 0x77), (0, 0xFF25, 0xFF)]


def writes(*rows):
    """(t, address, value) rows -> the three arrays render() takes."""
    t, a, v = zip(*rows, strict=True)
    return np.array(t, np.int64), np.array(a, np.int64), np.array(v, np.int64)


def render_rows(rows, seconds: float, rate: int = RATE, **kw) -> np.ndarray:
    return render(*writes(*rows), int(seconds * CLOCK), rate, **kw)


def square_note(ch: int, period: int, t: int = 0, nrx1: int = 0x80, nrx2: int = 0xF0, nrx4=0x80):
    """Writes that start pulse channel ch (1 or 2) at period value p."""
    base = 0xFF10 if ch == 1 else 0xFF15
    return [
        (t, base + 1, nrx1),
        (t, base + 2, nrx2),
        (t, base + 3, period & 0xFF),
        (t, base + 4, nrx4 | (period >> 8)),
    ]


def wave_note(period: int, samples, t: int = 0, level: int = 1, nr34: int = 0x80):
    """Writes that load wave RAM with 32 4-bit samples and start CH3 at period value p."""
    rows = [(t, 0xFF1A, 0x00)]
    for k in range(16):
        rows.append((t, 0xFF30 + k, (int(samples[2 * k]) << 4) | int(samples[2 * k + 1])))
    rows += [
        (t, 0xFF1A, 0x80),
        (t, 0xFF1C, level << 5),
        (t, 0xFF1D, period & 0xFF),
        (t, 0xFF1E, nr34 | (period >> 8)),
    ]
    return rows


def noise_note(nr43: int, t: int = 0, nr42: int = 0xF0, nr44: int = 0x80):
    return [(t, 0xFF21, nr42), (t, 0xFF22, nr43), (t, 0xFF23, nr44)]


def peak_frequency(x: np.ndarray, rate: int = RATE) -> float:
    """The strongest frequency: Hann window, 8x zero padding, parabolic interpolation (log)."""
    x = x - x.mean()
    n = 8 * len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    k = int(np.argmax(spec[8:])) + 8
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-30)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / n


def cents(f: float, ref: float) -> float:
    return 1200.0 * np.log2(f / ref)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean((x - x.mean()) ** 2)))
