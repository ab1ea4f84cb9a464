"""Audio: a recording or song becomes sound, through the DMG APU model, and is checked.

`render_recording` plays a `Recording` through `synthic.apu.render`; `write_audio` writes 16-bit
stereo WAV (or FLAC, by extension) atomically with soundfile; `quality` is the gate that flags
renders that are silent, too short or clipped, with the reason (the workflow drops those).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthic.errors import SynthicError
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

    if rate_hz not in RATES_HZ:
        raise SynthicError(f"sample rate {rate_hz} Hz is not supported (use 44100 or 48000)")
    length = rec.length_cycles
    if seconds is not None:
        length = min(length, int(seconds * CLOCK_HZ))
    keep = rec.t_cycles < length
    return render(
        rec.t_cycles[keep],
        rec.address[keep],
        rec.value[keep],
        length,
        rate_hz,
        solo=solo,
        mute=mute,
    )


def write_audio(path: str | os.PathLike, audio: np.ndarray, rate_hz: int) -> None:
    """16-bit stereo WAV or FLAC (by extension), written atomically; samples clipped to [-1, 1]."""
    import soundfile

    from synthic.events.atomic import atomic_output

    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise SynthicError(f"{os.fspath(path)}: unknown audio format (use .wav or .flac)")
    fmt, subtype = FORMATS[ext]
    with atomic_output(path, "wb") as f:
        soundfile.write(f, np.clip(audio, -1.0, 1.0), rate_hz, format=fmt, subtype=subtype)


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
    seconds = len(audio) / rate_hz
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    rms_dbfs = 20 * np.log10(rms) if rms > 0 else -np.inf
    clipped = float(np.mean(np.abs(audio) >= 1.0)) if audio.size else 0.0
    reason = ""
    if seconds < min_seconds:
        reason = f"too short ({seconds:.1f} s < {min_seconds:g} s)"
    elif rms_dbfs < silence_dbfs:
        reason = f"silent (RMS {rms_dbfs:.1f} dBFS < {silence_dbfs:g} dBFS)"
    elif clipped > max_clipped_fraction:
        reason = f"clipped ({100 * clipped:.3f} % of samples at full scale)"
    return Quality(not reason, reason, seconds, rms_dbfs, peak, clipped)
