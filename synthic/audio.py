"""Audio: a recording or song becomes sound, through the DMG APU model, and is checked.

`render_recording` plays a `Recording` through `synthic.apu.render`; `write_audio` writes 16-bit
stereo WAV (or FLAC, by extension) atomically with soundfile; `quality` is the gate that flags
renders that are silent, too short or clipped, with the reason (the workflow drops those).

For long recordings the same in bounded memory: `render_recording_blocks` yields the audio a
block at a time, `write_audio_blocks` writes such blocks as they come (WAV files too large for
RIFF's 4 GiB become RF64), and `QualityMeter` measures the quality a block at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthic.errors import SynthicError, display_name
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ

RATES_HZ = (44_100, 48_000)
FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16")}


def render_recording(
    rec: Recording,
    *,
    rate_hz: int = 44_100,
    seconds: float | None = None,
    solo: int | Iterable[int] | None = None,
    mute: Iterable[int] = (),
) -> np.ndarray:
    """Float32 stereo samples (n, 2) of `rec`, optionally only its first `seconds`."""
    from synthic.apu import render

    return render(*_writes_to_render(rec, rate_hz, seconds), rate_hz, solo=solo, mute=mute)


def _writes_to_render(rec: Recording, rate_hz: int, seconds: float | None):
    """(t_cycles, address, value, length_cycles) of the part of `rec` a render covers."""
    length = render_length(rec, rate_hz, seconds)
    keep = rec.t_cycles < length
    return rec.t_cycles[keep], rec.address[keep], rec.value[keep], length


def render_length(rec: Recording, rate_hz: int, seconds: float | None = None) -> int:
    """The T-cycles of `rec` a render covers (all, or its first `seconds`); checks the rate."""
    if rate_hz not in RATES_HZ:
        raise SynthicError(f"sample rate {rate_hz} Hz is not supported (use 44100 or 48000)")
    length = rec.length_cycles
    if seconds is not None:
        length = min(length, int(seconds * CLOCK_HZ))
    return length


def render_frames(rec: Recording, rate_hz: int, seconds: float | None = None) -> int:
    """How many samples (frames) `render_recording` would return."""
    from synthic.apu.render import sample_count

    return sample_count(render_length(rec, rate_hz, seconds), rate_hz)


def render_recording_blocks(
    rec: Recording,
    *,
    rate_hz: int = 44_100,
    seconds: float | None = None,
    solo: int | Iterable[int] | None = None,
    mute: Iterable[int] = (),
    block_samples: int | None = None,
) -> Iterator[np.ndarray]:
    """`render_recording`'s samples as consecutive float32 (m, 2) blocks (synthic.apu.render
    .render_blocks), so that a long recording never needs its whole audio in memory."""
    from synthic.apu.render import BLOCK_SAMPLES, render_blocks

    return render_blocks(
        *_writes_to_render(rec, rate_hz, seconds),
        rate_hz,
        solo=solo,
        mute=mute,
        block_samples=block_samples or BLOCK_SAMPLES,
    )


def write_audio(path: str | os.PathLike, audio: np.ndarray, rate_hz: int) -> None:
    """16-bit stereo WAV or FLAC (by extension), written atomically; samples clipped to [-1, 1]."""
    import soundfile

    from synthic.events.atomic import atomic_output

    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise SynthicError(f"{display_name(path)}: unknown audio format (use .wav or .flac)")
    fmt, subtype = FORMATS[ext]
    with atomic_output(path, "wb") as f:
        soundfile.write(f, np.clip(audio, -1.0, 1.0), rate_hz, format=fmt, subtype=subtype)


MAX_RIFF_DATA_BYTES = 0xFFFFFFFF - 64  # a WAV file's sizes are 32-bit; RF64 lifts that


def write_audio_blocks(
    path: str | os.PathLike,
    blocks: Iterable[np.ndarray],
    rate_hz: int,
    *,
    frames: int | None = None,
    keep: Callable[[], bool] | None = None,
) -> bool:
    """Write float32 (m, 2) blocks as 16-bit stereo WAV or FLAC (by extension), atomically, one
    block at a time: the same file `write_audio` writes from the blocks joined. frames: the
    total, if known (a WAV beyond 4 GiB is written as RF64). keep: asked after the last block;
    if it answers False the file is not written. Returns whether it was."""
    import soundfile

    from synthic.events.atomic import atomic_output, discard

    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise SynthicError(f"{display_name(path)}: unknown audio format (use .wav or .flac)")
    fmt, subtype = FORMATS[ext]
    if fmt == "WAV" and frames is not None and frames * 4 > MAX_RIFF_DATA_BYTES:
        fmt = "RF64"
    written = False
    with atomic_output(path, "wb") as f:
        with soundfile.SoundFile(
            f, "w", samplerate=rate_hz, channels=2, format=fmt, subtype=subtype
        ) as out:
            for block in blocks:
                out.write(np.clip(block, -1.0, 1.0))
        if keep is not None and not keep():
            discard()
        written = True
    return written


@dataclass(frozen=True)
class Quality:
    ok: bool
    reason: str  # empty when ok
    seconds: float
    rms_dbfs: float
    peak: float
    clipped_fraction: float


def quality(
    audio: np.ndarray,
    rate_hz: int,
    *,
    min_seconds: float = 5.0,
    silence_dbfs: float = -60.0,
    max_clipped_fraction: float = 1e-4,
) -> Quality:
    """Flag a render that is too short, silent (RMS below `silence_dbfs`) or clipped."""
    meter = QualityMeter(rate_hz)
    meter.add(np.asarray(audio))
    return meter.result(
        min_seconds=min_seconds,
        silence_dbfs=silence_dbfs,
        max_clipped_fraction=max_clipped_fraction,
    )


class QualityMeter:
    """`quality` measured a block at a time: add(block) each block, then result()."""

    def __init__(self, rate_hz: int) -> None:
        self.rate_hz = rate_hz
        self.frames = 0
        self.values = 0
        self.sum_squares = 0.0
        self.peak = 0.0
        self.at_full_scale = 0

    def add(self, block: np.ndarray) -> np.ndarray:
        """Count a block in; returns it (so a generator can pass blocks through)."""
        if block.size:
            self.frames += len(block)
            self.values += block.size
            self.sum_squares += float(np.add.reduce(np.square(block, dtype=np.float64), None))
            magnitude = np.abs(block)
            self.peak = max(self.peak, float(magnitude.max()))
            self.at_full_scale += int(np.count_nonzero(magnitude >= 1.0))
        return block

    def measure(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """The blocks, passed through, each counted in."""
        for block in blocks:
            yield self.add(block)

    def result(
        self,
        *,
        min_seconds: float = 5.0,
        silence_dbfs: float = -60.0,
        max_clipped_fraction: float = 1e-4,
    ) -> Quality:
        seconds = self.frames / self.rate_hz
        rms = float(np.sqrt(self.sum_squares / self.values)) if self.values else 0.0
        rms_dbfs = 20 * np.log10(rms) if rms > 0 else -np.inf
        clipped = self.at_full_scale / self.values if self.values else 0.0
        reason = ""
        if seconds < min_seconds:
            reason = f"too short ({seconds:.1f} s < {min_seconds:g} s)"
        elif rms_dbfs < silence_dbfs:
            reason = f"silent (RMS {rms_dbfs:.1f} dBFS < {silence_dbfs:g} dBFS)"
        elif clipped > max_clipped_fraction:
            reason = f"clipped ({100 * clipped:.3f} % of samples at full scale)"
        return Quality(not reason, reason, seconds, rms_dbfs, self.peak, clipped)
