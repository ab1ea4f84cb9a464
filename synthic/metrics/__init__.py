"""Metrics: how close two renderings of the same music are (synthic.metrics.audio)."""

from synthic.metrics.audio import (
    OnsetScore,
    PitchAgreement,
    align,
    apply_lag,
    cents,
    envelope,
    highpass,
    log_mel,
    log_mel_distance,
    onset_f_measure,
    onsets,
    pitch_agreement,
    pitch_track,
    rms_normalise,
)

__all__ = [
    "OnsetScore",
    "PitchAgreement",
    "align",
    "apply_lag",
    "cents",
    "envelope",
    "highpass",
    "log_mel",
    "log_mel_distance",
    "onset_f_measure",
    "onsets",
    "pitch_agreement",
    "pitch_track",
    "rms_normalise",
]
