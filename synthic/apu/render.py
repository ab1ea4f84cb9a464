"""Render a stream of register writes to audio: the pure renderer.

`render(t_cycles, address, value, length_cycles)` plays the writes through a fresh APU (the
"quiet" post-boot state, synthic.apu.boot; DIV at 0 at t = 0) and returns float32 samples
(n, 2), left and right, where n = ceil(length_cycles * rate_hz / 4194304): sample k is the output
at t = k * 4194304 / rate_hz. Writes at or after length_cycles are ignored.

Level: DEFAULT_GAIN (1/64) maps all four DACs at full deflection with master volume 8 to 0.5,
which leaves room for the high-pass filter's worst-case doubling, so output stays within [-1, 1]
but for the band-limited steps' small overshoot. Nothing is clamped: `clipping` reports the peak
and how many values exceed 1 (callers writing fixed-point audio should check it).

`render_blocks` (same arguments) yields the same samples a block at a time, holding at most
about `block_samples` of them at once, for renders too long to hold whole (a 24-hour recording
is 30 GB of float32 audio); the blocks, concatenated, equal `render`'s result bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from synthic.apu.apu import apu_flush, apu_run_until, apu_take_samples, apu_write
from synthic.apu.boot import apu_new
from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    CLOCK_BITS,
    CLOCK_HZ,
    DEFAULT_GAIN,
    DEFAULT_RATE_HZ,
    OUT_DROPPED,
    OUT_N,
    SYNC_SAMPLES,
)
from synthic.errors import SynthicError

# apu_write compiled once more, to be inlined into the renderer's loop: a call passes the
# ApuState's seven arrays field by field (about fifty words); inlined, the dense bench stream
# renders about 10 % faster (some 25 ns a write).
_apu_write_inline = apu_jit(inline="always")(apu_write.py_func)


@apu_jit
def _render_writes(st, t_cycles, address, value, length_cycles):
    for k in range(t_cycles.shape[0]):
        t = t_cycles[k]
        if t >= length_cycles:
            break
        _apu_write_inline(st, t, np.int64(address[k]), np.int64(value[k]))
    apu_flush(st, length_cycles)


@apu_jit
def _render_span(st, t_cycles, address, value, k, t_end):
    """Play writes k, k+1, ... before t_end, then run to t_end; returns the next write's index.
    The edges and block boundaries are processed in the same order as `_render_writes` does
    (apu_run_until only brings forward what the next write or the flush would run)."""
    n = t_cycles.shape[0]
    while k < n:
        t = t_cycles[k]
        if t >= t_end:
            break
        _apu_write_inline(st, t, np.int64(address[k]), np.int64(value[k]))
        k += 1
    apu_run_until(st, t_end)
    return k


def channel_mask(solo: int | Iterable[int] | None = None, mute: Iterable[int] = ()) -> int:
    """Bit mask of audible channels (bit c = CH(c+1)) from solo and mute channel numbers 1-4."""
    chans = set(range(1, 5)) if solo is None else {solo} if isinstance(solo, int) else set(solo)
    chans -= set(mute)
    bad = [c for c in chans | set(mute) if c not in (1, 2, 3, 4)]
    if bad:
        raise SynthicError(f"channels are numbered 1-4, not {bad}")
    return sum(1 << (c - 1) for c in chans)


def render(
    t_cycles: np.ndarray,
    address: np.ndarray,
    value: np.ndarray,
    length_cycles: int,
    rate_hz: int = DEFAULT_RATE_HZ,
    *,
    solo: int | Iterable[int] | None = None,
    mute: Iterable[int] = (),
    gain: float = DEFAULT_GAIN,
    hpf: bool = True,
    initial: str = "quiet",
) -> np.ndarray:
    """Audio (float32 [n, 2], left/right) of register writes (T-cycle, FF10-FF3F, byte)."""
    t_cycles, address, value, length_cycles = _checked(t_cycles, address, value, length_cycles)
    n = sample_count(length_cycles, rate_hz)
    st = apu_new(
        rate_hz,
        initial=initial,
        out_capacity=n,
        channels=channel_mask(solo, mute),
        gain=gain,
        hpf=hpf,
    )
    _render_writes(st, t_cycles, address, value, np.int64(length_cycles))
    assert st.i[OUT_N] == n, (st.i[OUT_N], n)
    return st.out[:n]


def _checked(t_cycles, address, value, length_cycles):
    t_cycles = np.ascontiguousarray(t_cycles, np.int64)
    address = np.ascontiguousarray(address, np.int64)
    value = np.ascontiguousarray(value, np.int64)
    if not (t_cycles.shape == address.shape == value.shape) or t_cycles.ndim != 1:
        raise SynthicError("t_cycles, address and value must be 1-D arrays of one length")
    if len(t_cycles) and (t_cycles[0] < 0 or np.any(np.diff(t_cycles) < 0)):
        raise SynthicError("write times must be non-negative and non-decreasing")
    if len(address) and (address.min() < 0xFF10 or address.max() > 0xFF3F):
        raise SynthicError("sound register addresses are FF10-FF3F")
    if len(value) and (value.min() < 0 or value.max() > 0xFF):
        raise SynthicError("register values are bytes (0-255)")
    length_cycles = int(length_cycles)
    if length_cycles < 0:
        raise SynthicError(f"length_cycles must be >= 0, not {length_cycles}")
    return t_cycles, address, value, length_cycles


def sample_count(length_cycles: int, rate_hz: int = DEFAULT_RATE_HZ) -> int:
    """How many samples a render of length_cycles T-cycles has: ceil(length * rate / clock)."""
    return (int(length_cycles) * int(rate_hz) + CLOCK_HZ - 1) >> CLOCK_BITS


BLOCK_SAMPLES = 1 << 16  # samples per block of `render_blocks` (about 1.5 s, 512 KiB)


def render_blocks(
    t_cycles: np.ndarray,
    address: np.ndarray,
    value: np.ndarray,
    length_cycles: int,
    rate_hz: int = DEFAULT_RATE_HZ,
    *,
    solo: int | Iterable[int] | None = None,
    mute: Iterable[int] = (),
    gain: float = DEFAULT_GAIN,
    hpf: bool = True,
    initial: str = "quiet",
    block_samples: int = BLOCK_SAMPLES,
) -> Iterator[np.ndarray]:
    """`render`'s audio as consecutive float32 [m, 2] blocks of at most about block_samples
    (+ a few thousand) samples each; the arguments are checked before the first block."""
    t_cycles, address, value, length_cycles = _checked(t_cycles, address, value, length_cycles)
    mask = channel_mask(solo, mute)
    block_samples = max(int(block_samples), 1)
    n = sample_count(length_cycles, rate_hz)
    # Samples become final a SYNC_SAMPLES block at a time, so a span of block_samples finishes
    # at most block_samples + SYNC_SAMPLES (+ the band-limited step's reach) of them.
    capacity = block_samples + 4 * SYNC_SAMPLES
    span = max(block_samples * CLOCK_HZ // int(rate_hz), 1)
    args = (rate_hz, initial, capacity, mask, gain, hpf)
    return _blocks(t_cycles, address, value, length_cycles, n, span, args)


def _blocks(t_cycles, address, value, length_cycles, n, span, args):
    rate_hz, initial, capacity, mask, gain, hpf = args
    st = apu_new(rate_hz, initial=initial, out_capacity=capacity, channels=mask, gain=gain, hpf=hpf)
    k = 0
    done = 0
    t_end = 0
    while t_end < length_cycles:
        t_end = min(t_end + span, length_cycles)
        k = int(_render_span(st, t_cycles, address, value, np.int64(k), np.int64(t_end)))
        if t_end == length_cycles:
            apu_flush(st, np.int64(length_cycles))
        if st.i[OUT_N]:
            block = np.empty((st.i[OUT_N], 2), np.float32)
            got = int(apu_take_samples(st, block))
            done += got
            yield block[:got]
    if st.i[OUT_DROPPED]:  # capacity is sized so that this cannot happen
        raise RuntimeError(f"render_blocks lost {st.i[OUT_DROPPED]} samples")
    assert done == n, (done, n)


@dataclass(frozen=True)
class Clipping:
    peak: float  # largest absolute sample value
    n_clipped: int  # values with |x| > 1

    @property
    def clipped(self) -> bool:
        return self.n_clipped > 0


def clipping(audio: np.ndarray) -> Clipping:
    """How loud rendered audio got: its peak and the count of values beyond [-1, 1]."""
    a = np.abs(np.asarray(audio))
    return Clipping(float(a.max()) if a.size else 0.0, int(np.count_nonzero(a > 1.0)))
