"""Normalise drops only writes that change nothing: renders before and after are bit-identical.
Also the augmentations: transpose (pitch moves by the semitones) and swap_pulse."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthic import demo, events
from synthic.audio import render_recording
from synthic.errors import SynthicError
from synthic.events.normalise import (
    normalise,
    semitones_between,
    swap_pulse,
    transpose,
    transpose_period,
)
from synthic.events.recording import Recording

VGM_SONGS = sorted(glob.glob("/work/shared/test-vectors/vgm/*.vgm"))


def jukebox_recording(tmp: str, seconds: float) -> Recording:
    from synthic.record.recorder import record_file

    rom = os.path.join(tmp, "jukebox_01.gb")
    if not os.path.exists(rom):
        cmd = [sys.executable, "-m", "synthic", "jukebox", "-o", tmp, "--rom", "1", "--songs", "2"]
        subprocess.run(cmd, check=True, capture_output=True)
    out = os.path.join(tmp, f"rec{int(seconds)}")
    (path,) = record_file(rom, out, seconds=seconds)
    return events.read(path)


@pytest.fixture(scope="module")
def jukebox60(tmp_path_factory) -> Recording:
    return jukebox_recording(str(tmp_path_factory.mktemp("jukebox")), 60)


def assert_same_render(a: Recording, b: Recording, rate_hz: int = 44_100) -> None:
    x = render_recording(a, rate_hz=rate_hz)
    y = render_recording(b, rate_hz=rate_hz)
    assert x.shape == y.shape
    assert np.array_equal(x, y), f"renders differ by up to {np.abs(x - y).max()}"


@pytest.mark.parametrize("name", demo.song_names())
def test_demo_tunes_render_identically(name):
    rec = demo.render(name)
    out, report = normalise(rec, report=True)
    assert report.before == len(rec) and report.after == len(out)
    assert_same_render(rec, out)
    assert len(normalise(out)) == len(out)  # idempotent


@pytest.mark.skipif(not VGM_SONGS, reason="shared VGM test songs not found")
@pytest.mark.parametrize("path", VGM_SONGS, ids=os.path.basename)
@pytest.mark.parametrize("rate_hz", [44_100, 48_000])
def test_vgm_songs_render_identically(path, rate_hz):
    rec = events.read(path)
    out, report = normalise(rec, report=True)
    assert report.removed > 0
    assert_same_render(rec, out, rate_hz)


def test_jukebox_recording_renders_identically(jukebox60):
    out, report = normalise(jukebox60, report=True)
    assert report.removed > 0
    assert_same_render(jukebox60, out)


def test_inexact_mode_differs_by_rounding_only(jukebox60):
    out = normalise(jukebox60, exact=False)
    assert len(out) <= len(normalise(jukebox60))
    x, y = render_recording(jukebox60), render_recording(out)
    assert np.abs(x - y).max() < 1e-6


# Values that make repeats and the interesting cases likely: DAC off, zombie-mode envelopes,
# triggers, sweeps, power off and on.
_VALUES = st.one_of(
    st.sampled_from([0x00, 0x08, 0x80, 0xF3, 0xF8, 0xF0, 0x77, 0xFF, 0x87, 0x47, 0x07, 0xC0, 0x3F]),
    st.integers(0, 255),
)
_REGISTERS = st.one_of(
    st.sampled_from([0xFF12, 0xFF13, 0xFF14, 0xFF17, 0xFF19, 0xFF1A, 0xFF21, 0xFF22, 0xFF26]),
    st.integers(0xFF10, 0xFF3F),
)


@st.composite
def busy_recordings(draw):
    n = draw(st.integers(0, 120))
    t = np.cumsum([draw(st.sampled_from([0, 4, 100, 5000, 70_224])) for _ in range(n)])
    a = [draw(_REGISTERS) for _ in range(n)]
    v = [draw(_VALUES) for _ in range(n)]
    length = (int(t[-1]) if n else 0) + draw(st.integers(0, 200_000))
    return Recording(np.asarray(t, np.int64), a, v, length_cycles=length)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(busy_recordings())
def test_random_recordings_render_identically(rec):
    assert_same_render(rec, normalise(rec))


def test_rules_on_a_small_example():
    frame = 70_224
    w = [
        (0, 0xFF26, 0x80),  # power on: kept (power unknown before)
        (10, 0xFF26, 0x80),  # already on: power_same
        (20, 0xFF24, 0x77),
        (30, 0xFF24, 0x77),  # same_value (with exact: kept, the channels are unknown)
        (40, 0xFF15, 0x12),  # unused
        (50, 0xFF12, 0xF3),
        (60, 0xFF12, 0xF3),  # decreasing envelope: zombie mode may change the volume: kept
        (70, 0xFF14, 0x87),  # trigger: kept
        (80, 0xFF14, 0x87),  # trigger again: kept
        (frame, 0xFF26, 0x00),  # power off
        (frame + 10, 0xFF24, 0x77),  # ignored while off: power_off
        (frame + 20, 0xFF11, 0x3F),  # length while off: kept (DMG)
    ]
    out, report = normalise(Recording.from_writes(w), exact=False, report=True)
    assert report.dropped == {"power_same": 1, "same_value": 1, "unused": 1, "power_off": 1}
    assert [x.t_cycles for x in out] == [0, 20, 50, 60, 70, 80, frame, frame + 20]


@pytest.mark.slow
def test_write_reductions(tmp_path, capsys):
    """Prints the reduction on the demo tunes, the VGM songs and a 600-s jukebox recording."""
    recs = {name: demo.render(name) for name in demo.song_names()}
    recs |= {os.path.basename(p): events.read(p) for p in VGM_SONGS}
    recs["jukebox_01 (600 s)"] = jukebox_recording(str(tmp_path), 600)
    lines = []
    for name, rec in recs.items():
        out, report = normalise(rec, report=True)
        inexact = normalise(rec, exact=False, report=True)[1]
        assert_same_render(rec, out)
        lines.append(
            f"{name:24} exact: {report.summary()}; hardware no-ops: {inexact.percent:.1f} %"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))


# -- augmentation ---------------------------------------------------------------------------


def held_note(period: int, channel: int = 1, seconds: float = 1.0) -> Recording:
    base = {1: 0xFF10, 2: 0xFF15, 3: 0xFF1A}[channel]
    w = [(0, 0xFF26, 0x80), (4, 0xFF24, 0x77), (8, 0xFF25, 0xFF)]
    if channel == 3:
        w += [(12 + 4 * i, 0xFF30 + i, 0xFF if i < 8 else 0x00) for i in range(16)]
        w += [(100, 0xFF1A, 0x80), (104, 0xFF1C, 0x20)]
    else:
        w += [(100, base + 1, 0x80), (104, base + 2, 0xF0)]
    w += [(108, base + 3, period & 0xFF), (112, base + 4, 0x80 | period >> 8)]
    return Recording.from_writes(w, length_cycles=int(seconds * 4_194_304))


def peak_hz(audio: np.ndarray, rate_hz: int = 44_100) -> float:
    x = audio[rate_hz // 10 :, 0].astype(np.float64)
    x = (x - x.mean()) * np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(x, 8 * len(x)))
    return float(np.argmax(spectrum)) * rate_hz / (8 * len(x))


@pytest.mark.parametrize("channel", [1, 3])
@pytest.mark.parametrize("semitones", [-5, 7, 12])
def test_transpose_moves_the_pitch(channel, semitones):
    period = 1750 if channel == 1 else 1900  # about 440 Hz on either channel
    rec = held_note(period, channel)
    before = peak_hz(render_recording(rec, solo=channel))
    after = peak_hz(render_recording(transpose(rec, semitones), solo=channel))
    measured = 12 * np.log2(after / before)
    # The period registers quantise the pitch: what they allow is within a few cents.
    expected = semitones_between(period, transpose_period(period, semitones))
    assert abs(expected - semitones) < 0.1
    assert abs(measured - expected) < 0.03, (before, after, measured, expected)


def test_transpose_keeps_trigger_and_length_bits():
    rec = demo.render("ode_to_joy")
    up = transpose(rec, 3)
    hi = np.isin(rec.address, [0xFF14, 0xFF19, 0xFF1E])
    assert np.array_equal(rec.value[hi] & 0xF8, up.value[hi] & 0xF8)
    other = ~np.isin(rec.address, [0xFF13, 0xFF14, 0xFF18, 0xFF19, 0xFF1D, 0xFF1E])
    assert np.array_equal(rec.value[other], up.value[other])
    assert np.array_equal(transpose(rec, 0).value, rec.value)


def test_transpose_out_of_range():
    rec = held_note(100)  # 67 Hz: an octave down needs 2048 - 3896 < 0
    with pytest.raises(SynthicError, match="outside 0..2047"):
        transpose(rec, -12)
    clamped = transpose(rec, -12, out_of_range="clamp")
    assert clamped.value[clamped.address == 0xFF13].tolist() == [0]
    assert clamped.value[clamped.address == 0xFF14].tolist() == [0x80]
    assert transpose_period(1750, 12) == 1899


def panned_duet() -> Recording:
    """CH1 on the left only, CH2 on the right only, different pitches and duties."""
    w = [(0, 0xFF26, 0x80), (4, 0xFF24, 0x77), (8, 0xFF25, 0x12), (10, 0xFF10, 0x08)]
    w += [(20, 0xFF11, 0x80), (24, 0xFF12, 0xF3), (28, 0xFF13, 0x00), (32, 0xFF14, 0x87)]
    w += [(40, 0xFF16, 0x40), (44, 0xFF17, 0xA1), (48, 0xFF18, 0x40), (52, 0xFF19, 0x86)]
    w += [(300_000, 0xFF13, 0x80), (300_004, 0xFF19, 0x86)]
    return Recording.from_writes(w, length_cycles=2_000_000)


def render_from_off(rec: Recording, solo=None) -> np.ndarray:
    """A render from the powered-off state, where CH1 and CH2 start alike (the renderer's
    default state has CH1's DAC on from the boot ROM, CH2's off: an asymmetric start)."""
    from synthic.apu import render

    return render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, solo=solo, initial="off")


def test_swap_pulse_swaps_channels_and_panning():
    rec = panned_duet()
    swapped = swap_pulse(rec)
    for solo_before, solo_after in ((1, 2), (2, 1)):
        a = render_from_off(rec, solo=solo_before)
        b = render_from_off(swapped, solo=solo_after)
        assert np.abs(a).max() > 0.01
        assert np.array_equal(a, b)
    # CH1 was left-only: the same part now plays on CH2, still left-only.
    b = render_from_off(swapped, solo=2)
    assert np.abs(b[:, 1]).max() == 0 and np.abs(b[:, 0]).max() > 0
    mix_a, mix_b = render_from_off(rec), render_from_off(swapped)
    assert np.allclose(mix_a, mix_b, atol=1e-6)
    assert swap_pulse(swapped).same_writes(rec)


def test_swap_pulse_refuses_sweep():
    rec = Recording.from_writes([(0, 0xFF10, 0x00), (10, 0xFF10, 0x21)])
    with pytest.raises(SynthicError, match="sweep"):
        swap_pulse(rec)
    # Shift 0 with a pace still checks for overflow: refused too.
    with pytest.raises(SynthicError):
        swap_pulse(Recording.from_writes([(0, 0xFF10, 0x70)]))
