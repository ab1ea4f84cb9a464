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
    # two workers (processes from a fork server, never a fork of this JAX-threaded process):
    # the same files, bit for bit
    status, out, err = cli("wav", src, "-o", tmp_path / "two", "--jobs", "2", "--rate", "48000")
    assert status == 0, err
    for name in ("twinkle.wav", "sub/ode.wav"):
        a, _ = soundfile.read(tmp_path / "out" / name, dtype="int16")
        b, _ = soundfile.read(tmp_path / "two" / name, dtype="int16")
        assert np.array_equal(a, b), name
    status, _, _ = cli("wav", src / "twinkle.events", "-o", tmp_path / "solo.wav", "--solo", "3")
    solo, _ = soundfile.read(tmp_path / "solo.wav")
    assert 0 < np.sqrt(np.mean(solo**2)) < np.sqrt(np.mean(audio**2))


def test_bench_render_prints_figures(cli):
    status, out, _ = cli("bench", "render", "--seconds", "2", "--repeat", "1")
    assert status == 0
    assert "x real time" in out and "synthic APU" in out
    assert "per CPU second" in out


@pytest.mark.slow
def test_render_speed_against_libgme(capsys):
    """`synthic bench render`'s figure beside libgme rendering gbsplay's example GBS (libgme also
    runs the song's CPU code), timed the same way; a reference, not a gate (the bench's target is
    its own). Moved here from the bench so the package does not carry the reference players."""
    import os

    from synthic.apu import render
    from synthic.apu.bench import dense_stream
    from synthic.bench.render import median_wall_and_cpu
    from synthic.events.registers import CLOCK_HZ
    from tests.reference import gbsplay, gme

    if not gme.available() or not os.path.exists(gbsplay.EXAMPLE_GBS):
        pytest.skip("needs libgme0 and gbsplay's example nightmode.gbs (tests/install.sh)")
    seconds, repeat = 20.0, 3
    t, a, v = dense_stream(seconds, writes_per_second=1200)
    wall, _ = median_wall_and_cpu(lambda: render(t, a, v, int(seconds * CLOCK_HZ), RATE), repeat)
    ours = seconds / wall
    with gme.Player(gbsplay.EXAMPLE_GBS, RATE) as player:

        def play() -> None:
            player.start(0)
            player.render(seconds)

        wall, _ = median_wall_and_cpu(play, repeat)
    theirs = seconds / wall
    with capsys.disabled():
        print(f"\nrender speed: synthic {ours:,.0f}x, libgme {theirs:,.0f}x real time"
              f" (nightmode.gbs), ratio {ours / theirs:.2f}")  # fmt: skip
    assert ours > 0 and theirs > 0
