"""The renderer's audio, checked without a reference player: pitch, timing, panning, aliasing.

Every expectation follows from Pan Docs: pulse 131072 / (2048 - p) Hz, wave 65536 / (2048 - p) Hz,
envelope steps at 64 Hz, lengths at 256 Hz, the sweep at 128 Hz, LFSR cycles of 127 and 32767
clocks, NR51 routing and NR50 scaling (volume + 1).
"""

from __future__ import annotations

import numpy as np
import pytest

from synthic.apu import (
    apu_flush,
    apu_new,
    apu_run_until,
    apu_write,
    channel_mask,
    clipping,
    render,
)
from synthic.apu.state import OUT_N
from tests.test_apu_support import (
    CLOCK,
    ENVELOPE_EDGES_T,
    LENGTH_EDGES_T,
    RATE,
    START,
    SWEEP_EDGES_T,
    cents,
    noise_note,
    peak_frequency,
    render_rows,
    rms,
    square_note,
    wave_note,
    writes,
)

SINE = np.round(7.5 + 7.5 * np.sin(2 * np.pi * (np.arange(32) + 0.5) / 32)).astype(int)


@pytest.mark.parametrize("ch", [1, 2])
@pytest.mark.parametrize("period", [64, 1024, 1750, 1899, 1984, 2016])
def test_pulse_pitch(ch, period):
    x = render_rows(START + square_note(ch, period), 0.5)
    f = peak_frequency(x[RATE // 20 :, 0])
    assert abs(cents(f, 131072 / (2048 - period))) < 10


@pytest.mark.parametrize("period", [100, 1000, 1536, 1900, 1990, 2010])
def test_wave_pitch(period):
    x = render_rows(START + wave_note(period, SINE), 0.5)
    f = peak_frequency(x[RATE // 20 :, 0])
    assert abs(cents(f, 65536 / (2048 - period))) < 10


def test_empty_and_short_renders():
    t, a, v = (np.zeros(0, np.int64),) * 3
    assert render(t, a, v, 0).shape == (0, 2)
    assert render(t, a, v, 1000).shape == (11, 2)  # ceil(1000 * 44100 / 4194304)
    assert np.abs(render(t, a, v, CLOCK // 10)).max() == 0.0


def test_pitch_at_48_khz_and_output_length():
    x = render_rows(START + square_note(2, 1750), 0.25, rate=48_000)
    assert x.shape == ((CLOCK // 4 * 48_000 + CLOCK - 1) // CLOCK, 2)
    assert x.dtype == np.float32
    assert abs(cents(peak_frequency(x[2400:, 1], 48_000), 131072 / 298)) < 10


@pytest.mark.parametrize(("nr43", "clocks"), [(0x28, 127), (0x20, 32767)])
def test_noise_repeats_after_its_lfsr_cycle(nr43, clocks):
    # A clock every 32 T-cycles (r = 0, s = 2; 7-bit when NR43 bit 3 is set). At 131072 Hz that
    # is one output sample per clock, so the output repeats every `clocks` samples exactly.
    rate = 131_072
    # (The last samples lack the band-limited steps that would follow the end: skip them.)
    x = render_rows(START + noise_note(nr43), 0.6, rate=rate, hpf=False)[100:-20, 0]
    n = len(x) - clocks - 1
    np.testing.assert_allclose(x[clocks : clocks + n], x[:n], atol=1e-5)
    for shorter in (clocks // 2, clocks - 1, clocks // 3):
        assert np.abs(x[shorter : shorter + n] - x[:n]).max() > 0.05


def test_slow_seven_bit_noise_is_a_line_spectrum():
    # NR43 = 0x68: a clock every 512 T-cycles (band-limited steps), 7-bit: lines at k * f0.
    x = render_rows(START + noise_note(0x68), 1.0)[RATE // 20 :, 0]
    f0 = 4_194_304 / (512 * 127)
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.blackman(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    harmonic = np.abs(freqs / f0 - np.round(freqs / f0)) * f0 < 4.0  # within 4 Hz of k * f0
    assert spec[harmonic].sum() / spec.sum() > 0.99


def tone_amplitude(x: np.ndarray, f: float) -> float:
    """Amplitude of the component at f Hz (Hann-windowed projection; slow drift barely counts)."""
    n = np.arange(len(x))
    w = np.hanning(len(x))
    return float(2 * np.abs(np.sum(w * x * np.exp(-2j * np.pi * f * n / RATE))) / w.sum())


def crossing_frequency(x: np.ndarray) -> float:
    """Frequency from the first and last upward zero crossings (linear interpolation)."""
    x = x - (x.max() + x.min()) / 2
    up = np.nonzero((x[:-1] < 0) & (x[1:] >= 0))[0]
    exact = up + x[up] / (x[up] - x[up + 1])
    return (len(exact) - 1) * RATE / (exact[-1] - exact[0])


def is_quiet(x: np.ndarray) -> bool:
    """No tone: at most the smooth decay of the high-pass filter after a DC change."""
    return bool(np.abs(np.diff(x)).max() < 1e-3)


def test_envelope_steps_are_audible_at_64_hz():
    # 1024 Hz square (p = 1920), volume 15 decreasing one step per 64 Hz tick.
    x = render_rows(START + square_note(2, 1920, nrx2=0xF1), 0.3)[:, 0]
    half = 300  # samples around the middle between two envelope ticks
    amps = []
    bounds = [0] + ENVELOPE_EDGES_T[:14]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        mid = (a + b) // 2 * RATE // CLOCK
        amps.append(tone_amplitude(x[mid - half : mid + half], 1024.0))
    amps = np.array(amps[1:])  # the first window holds the trigger
    volumes = 14 - np.arange(len(amps))
    np.testing.assert_allclose(amps / amps[0], volumes / volumes[0], atol=0.01)


def test_length_expiry_silences_the_channel():
    rows = START + square_note(1, 1920, nrx1=0x80 | 0x30, nrx4=0xC0)  # 16 ticks
    x = render_rows(rows, 0.2)[:, 0]
    off = LENGTH_EDGES_T[15] * RATE // CLOCK
    assert tone_amplitude(x[off - 400 : off - 10], 1024.0) > 0.05
    assert not is_quiet(x[off - 400 : off - 10])
    assert is_quiet(x[off + 20 :])  # the DAC still outputs a constant, which decays


def test_sweep_changes_the_pitch_every_128_hz_tick():
    # p = 0x700 (512 Hz), pace 2, adding, step 4: p += p >> 4 at every second sweep tick;
    # 1792 -> 1904 (910 Hz) -> 2023, whose check (2023 + 126 > 2047) turns CH1 off.
    rows = START + [(0, 0xFF10, 0x24)] + square_note(1, 0x700)
    x = render_rows(rows, 0.05)[:, 0]
    first, second = SWEEP_EDGES_T[1] * RATE // CLOCK, SWEEP_EDGES_T[3] * RATE // CLOCK
    assert abs(cents(crossing_frequency(x[40 : first - 5]), 512.0)) < 5
    assert abs(cents(crossing_frequency(x[first + 5 : second - 5]), 131072 / 144)) < 5
    assert is_quiet(x[second + 20 :])


@pytest.mark.parametrize("ch", [1, 2, 3, 4])
def test_nr51_routes_each_channel(ch):
    notes = {
        1: square_note(1, 1750),
        2: square_note(2, 1750),
        3: wave_note(1750, SINE),
        4: noise_note(0x33),
    }[ch]
    for nr51, left, right in ((0x10, True, False), (0x01, False, True), (0x11, True, True)):
        rows = [(0, 0xFF26, 0x80), (0, 0xFF24, 0x77), (0, 0xFF25, nr51 << (ch - 1))] + notes
        x = render_rows(rows, 0.1)[RATE // 50 :]
        assert is_quiet(x[:, 0]) != left
        assert is_quiet(x[:, 1]) != right


def test_nr50_scales_each_side_by_volume_plus_one():
    for nr50, ratio in ((0x70, 8.0), (0x03, 1 / 4), (0x35, 4 / 6)):
        rows = [(0, 0xFF26, 0x80), (0, 0xFF24, nr50), (0, 0xFF25, 0xFF)]
        x = render_rows(rows + square_note(2, 1750), 0.2)[RATE // 20 :]
        ratio_lr = tone_amplitude(x[:, 0], 131072 / 298) / tone_amplitude(x[:, 1], 131072 / 298)
        assert ratio_lr == pytest.approx(ratio, rel=1e-3)


def test_power_off_silences_everything():
    rows = START + square_note(1, 1750) + square_note(2, 1800) + wave_note(1700, SINE)
    rows += noise_note(0x22) + [(CLOCK // 10, 0xFF26, 0x00), (CLOCK // 10 + 500, 0xFF12, 0xF0)]
    rows += [(CLOCK // 10 + 500, 0xFF14, 0x80)]  # ignored while off
    x = render_rows(rows, 0.3)
    assert rms(x[RATE // 50 : RATE // 10 - 100, 0]) > 0.05
    off = x[RATE // 10 + 20 :]
    assert is_quiet(off[:, 0]) and is_quiet(off[:, 1])
    assert np.abs(off[-100:]).max() < 1e-3


def test_zombie_mode_volume_writes_are_audible():
    rows = START + square_note(2, 1920, nrx2=0x08)  # volume 0, increasing, pace 0: silent
    step = CLOCK // 20
    for k in range(1, 5):
        rows.append((k * step, 0xFF17, 0x08))  # each write adds 1 to the volume
    x = render_rows(rows, 0.25)[:, 0]
    mids = [(k * step + step // 2) * RATE // CLOCK for k in range(5)]
    amps = [tone_amplitude(x[m - 600 : m + 600], 1024.0) for m in mids]
    assert amps[0] < 1e-3
    np.testing.assert_allclose(np.array(amps[1:]) / amps[1], [1, 2, 3, 4], rtol=0.02)


def alias_ratio(x: np.ndarray, f: float, rate: int = RATE) -> float:
    """Energy away from the harmonics k * f (k * f < Nyquist) over the total."""
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.blackman(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    k = np.round(freqs / f)
    near = (np.abs(freqs - k * f) < 8.0) & (k >= 1)
    return float(spec[~near].sum() / spec.sum())


def test_square_waves_are_band_limited():
    period = 2000  # 2730.7 Hz: harmonics above Nyquist from the 9th on
    f = 131072 / (2048 - period)
    x = render_rows(START + square_note(2, period, nrx1=0x80), 1.0, hpf=False)[RATE // 10 :, 0]
    n = np.arange(len(x)) + RATE // 10
    naive = np.where((n * f / RATE) % 1.0 < 0.5, 1.0, -1.0)
    ours = alias_ratio(x, f)
    assert ours < 1e-4
    assert alias_ratio(naive, f) > 100 * ours


def test_solo_and_mute_select_channels():
    rows = START + square_note(1, 1750) + square_note(2, 1600) + noise_note(0x44)
    t, a, v = writes(*rows)
    solo = render(t, a, v, CLOCK // 10, solo=2)
    muted = render(t, a, v, CLOCK // 10, mute=(1, 3, 4))
    only2 = render(*writes(*(START + square_note(2, 1600))), CLOCK // 10)
    np.testing.assert_array_equal(solo, muted)
    np.testing.assert_allclose(solo, only2, atol=1e-6)
    assert channel_mask(solo=[1, 2], mute=[2]) == 0b0001


def test_output_starts_silent_and_the_high_pass_removes_dc():
    # CH3's DAC on with the channel off outputs a constant: only a pop that decays.
    x = render_rows(START + [(CLOCK // 10, 0xFF1A, 0x80)], 1.0)
    assert np.abs(x[: RATE // 10 - 20]).max() < 1e-6
    assert np.abs(x[-1000:]).max() < 1e-3 * np.abs(x).max()


def test_extra_catch_up_calls_do_not_change_the_output():
    rows = START + square_note(1, 1750) + wave_note(1950, SINE) + noise_note(0x01)
    rows += [(30_000, 0xFF17, 0xF3), (30_000, 0xFF19, 0x80), (90_001, 0xFF22, 0x4C)]
    t, a, v = writes(*rows)
    length = CLOCK // 5
    ref = render(t, a, v, length)
    s = apu_new(initial="quiet", out_capacity=len(ref))
    rng = np.random.default_rng(0)
    extra = np.sort(rng.integers(0, length, 300))
    k = 0
    for te in extra:
        while k < len(t) and t[k] <= te:
            apu_write(s, t[k], a[k], v[k])
            k += 1
        apu_run_until(s, int(te))
    while k < len(t):
        apu_write(s, t[k], a[k], v[k])
        k += 1
    apu_flush(s, length)
    assert s.i[OUT_N] == len(ref)
    np.testing.assert_allclose(s.out, ref, atol=2e-5)


def test_typical_music_does_not_clip():
    from synthic.apu.bench import dense_stream

    t, a, v = dense_stream(5.0, seed=3)
    x = render(t, a, v, 5 * CLOCK)
    report = clipping(x)
    assert 0.05 < report.peak < 1.0  # the stream's zombie writes keep the pulses loud
    assert not report.clipped


def test_box_filtered_noise_returns_to_its_level():
    # Without the high-pass, the output is the running sum of every step the renderer added:
    # after power-off (all DACs off) it must come back to 0. Noise changing period every few
    # milliseconds, box-filtered and band-limited in turn, with catch-ups landing on its clocks,
    # once drifted here by a dropped or doubled step at the end of a box-filtered run.
    from synthic.apu.bench import dense_stream

    t, a, v = dense_stream(10.0)
    end = 10 * CLOCK
    keep = t < end - 100_000
    t = np.append(t[keep], end - 50_000)
    a = np.append(a[keep], 0xFF26)
    v = np.append(v[keep], 0x00)
    x = render(t, a, v, end, solo=4, hpf=False)
    assert np.abs(x).max() > 0.1  # the noise played
    assert np.abs(x[-100:]).max() < 1e-3


def test_noise_run_lengths_match_the_lfsr():
    from synthic.apu.noise import make_noise_tables

    tables = {name: table for name, (_, table) in make_noise_tables().items()}
    for width in ("n7", "n15"):
        bits = tables[f"{width}_bit"]
        run = tables[f"{width}_run"]
        assert len(run) == len(bits)
        for k in list(range(40)) + list(range(len(bits) - 40, len(bits))):
            d = 1
            while bits[(k + d) % len(bits)] == bits[k]:
                d += 1
            assert run[k] == d, (width, k)
