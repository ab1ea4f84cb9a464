"""Audio output: the quality gate, WAV/FLAC writing, and `synthic wav` on real recordings."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from synthic import demo, events
from synthic.audio import quality, write_audio

RATE = 44100


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = amplitude * np.sin(2 * np.pi * 440 * t)
    return np.stack([x, x], axis=1).astype(np.float32)


def test_quality_gate_flags_with_reasons():
    assert quality(tone(10, 0.3), RATE).ok
    assert quality(tone(2, 0.3), RATE).reason.startswith("too short")
    assert quality(tone(10, 1e-5), RATE).reason.startswith("silent")
    assert quality(np.clip(tone(10, 2.0), -1, 1), RATE).reason.startswith("clipped")


@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_write_audio_is_16_bit_stereo(tmp_path, ext):
    path = tmp_path / f"x{ext}"
    write_audio(path, tone(1, 0.5), RATE)
    data, rate = soundfile.read(path, dtype="float32")
    info = soundfile.info(path)
    assert rate == RATE and data.shape == (RATE, 2) and info.subtype == "PCM_16"
    assert np.abs(data - tone(1, 0.5)).max() < 1e-4


def test_wav_command_renders_a_recording_and_a_folder(cli, tmp_path):
    src = tmp_path / "in"
    events.write(demo.render("twinkle"), src / "twinkle.events")
    events.write(demo.render("ode_to_joy"), src / "sub/ode.vgm")
    status, out, err = cli("wav", src / "twinkle.events", "-o", tmp_path / "one.wav", "--check")
    assert status == 0, err
    assert "FLAGGED" not in out
    audio, rate = soundfile.read(tmp_path / "one.wav")
    assert rate == RATE and abs(len(audio) / rate - demo.render("twinkle").duration_seconds) < 0.01
    assert quality(audio, rate).ok
    status, out, err = cli("wav", src, "-o", tmp_path / "out", "--jobs", "1", "--rate", "48000")
    assert status == 0, err
    assert soundfile.info(tmp_path / "out/sub/ode.wav").samplerate == 48000
    status, _, _ = cli("wav", src / "twinkle.events", "-o", tmp_path / "solo.wav", "--solo", "3")
    solo, _ = soundfile.read(tmp_path / "solo.wav")
    assert 0 < np.sqrt(np.mean(solo**2)) < np.sqrt(np.mean(audio**2))


def test_bench_render_prints_figures(cli):
    status, out, _ = cli("bench", "render", "--seconds", "2", "--repeat", "1")
    assert status == 0
    assert "x real time" in out and "synthic APU" in out
    assert "per CPU second" in out
