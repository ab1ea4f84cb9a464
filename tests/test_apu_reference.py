"""Our APU model against the reference players (Debian packages gbsplay and libgme0).

(a) gbsplay plays its public-domain example nightmode.gbs; we render gbsplay's own register dump
(`-o iodumper`) with synthic.apu.render and compare with gbsplay's PCM (`-o stdout`), the mix and
each channel solo (gbsplay muting the other three with -1..-4). A third opinion (issue 14): the
same dump packed into a ROM (synthic.jukebox.rom, what `synthic rom` writes) played by Gambatte
through our libretro frontend, the mix and CH1 alone (the ROM keeps only CH1's and the mixer's
writes).
(b) gbsplay ignores "zombie mode" (NRx2 written while a channel plays), so the issue named libgme
as the reference there: tests/gbs/writes.s, a tiny table-driven GBS of our own, fades a held pulse
note in by writing NR12 = 0x08 every few frames, and we render the same table's writes. Debian's
libgme 0.6.3 has no zombie mode either (see the section's notes), so that test is an expected
failure while a probe shows so; NRx2 writes outside zombie mode are compared instead. Zombie
mode itself is compared with Gambatte, which has it, in tests/test_apu_libretro.py.

Both sides go through the same 60 Hz high-pass and RMS normalisation (tests/audio_metrics.py, on
librosa and mir_eval) and are aligned by envelope cross-correlation (the players may differ by a
constant offset). The thresholds are the issues': pitch within 25 cents on >= 95 % of frames
voiced in both (on CH2, a drum whose period changes every video frame, too fast for frame-based
pitch tracking: on >= 95 % of its notes, one YIN estimate per note of the register dump, with at
least 3 notes a second voiced on both sides; a detuned render fails it), log-mel distance
<= 2.5 dB (the mix and CH2), onset precision and recall each >= 0.95 at 30 ms, on the mix and on
every channel solo, an onset of one side counting as matched when the other side has one within
30 ms at half the detector's threshold (M.onset_agreement: whether a peak near the threshold
clears it is no model difference; on the 60-s CH2 solo the DAC switch-off clicks, which our
render and Gambatte have and gbsplay has not, tip 8 of 106 of gbsplay's onsets below it). Each
onset line also prints the strict score (both sides at the threshold) and the score under
librosa's default detector (issue 14's first measurement; neither is gated: see
tests/audio_metrics.py). Run with -s to see the figures.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from synthic.apu import render
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ
from synthic.events.registers import FRAME_T_CYCLES as FRAME_CYCLES  # a VBlank GBS's play period
from synthic.gb.gbs import gbs_header
from tests import audio_metrics as M
from tests.reference import gbsplay, gme, libretro
from tools.asm import sdcc_available

RATE = 44100
SECONDS = 30  # the default run; the slow variant plays 60 s

needs_gbsplay = pytest.mark.skipif(
    not gbsplay.available() or not Path(gbsplay.EXAMPLE_GBS).is_file(),
    reason="gbsplay (Debian package gbsplay, with its example nightmode.gbs) is not installed",
)


def _prepare(audio: np.ndarray) -> np.ndarray:
    return M.rms_normalise(M.highpass(audio, RATE, 60.0))


@cache
def _nightmode(seconds: int):
    """gbsplay's dump rendered by us, gbsplay's PCM, and the lag (ours[n] ~ gbsplay[n + lag])."""
    rec = gbsplay.iodump(gbsplay.EXAMPLE_GBS, 1, seconds)
    ours = _prepare(render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, RATE))
    ref = _prepare(gbsplay.pcm(gbsplay.EXAMPLE_GBS, 1, seconds, RATE))
    ours, ref, lag = M.align(ours, ref, RATE)
    return rec, ours, ref, lag


def _onset_scores(ref: np.ndarray, ours: np.ndarray, rate: int) -> tuple:
    """(gated score, strict score, librosa-default score) of our onsets against the
    reference's, at 30 ms. The gate is M.onset_agreement: an onset counts as missed (or extra)
    when the other side shows none within 30 ms even at half the detector's threshold; the
    strict score (both sides at the threshold) is printed, not gated (see M.onset_agreement)."""
    gated = M.onset_agreement(ref, ours, rate, 0.030)
    strict = M.onset_f_measure(M.onsets(ref, rate), M.onsets(ours, rate), 0.030)
    plain = {"delta": 0.07, "lag": 1, "max_size": 1, "normalize": True}
    default = M.onset_f_measure(M.onsets(ref, rate, **plain), M.onsets(ours, rate, **plain), 0.030)
    return gated, strict, default


def _fmt_onsets(gated, strict, default) -> str:
    return (
        f"onsets P {gated.precision:.3f} R {gated.recall:.3f} F {gated.f_measure:.3f}"
        f" ({gated.n_estimated} ours, {gated.n_reference} reference; strict:"
        f" P {strict.precision:.3f} R {strict.recall:.3f}; librosa defaults:"
        f" P {default.precision:.3f} R {default.recall:.3f} F {default.f_measure:.3f},"
        f" {default.n_estimated}/{default.n_reference})"
    )


def _assert_onsets(score, what: str) -> None:
    # Precision and recall separately: extra attacks and missing ones are different bugs.
    assert score.precision >= 0.95, f"{what}: onset precision {score.precision:.3f} < 0.95"
    assert score.recall >= 0.95, f"{what}: onset recall {score.recall:.3f} < 0.95"


def _check_mix(seconds: int) -> None:
    _, ours, ref, lag = _nightmode(seconds)
    dist = M.log_mel_distance(ours, ref, RATE)
    gated, strict, default = _onset_scores(ref, ours, RATE)
    print(
        f"\nnightmode {seconds} s mix: gbsplay lags ours by {lag} samples"
        f" ({lag / RATE * 1e3:.1f} ms); log-mel distance {dist:.2f} dB; "
        + _fmt_onsets(gated, strict, default)
    )
    assert abs(lag) < 0.05 * RATE, f"offset {lag} samples: the recordings do not line up"
    assert dist <= 2.5, f"log-mel distance {dist:.2f} dB > 2.5 dB"
    _assert_onsets(gated, "mix")


def _solo(seconds: int, channel: int, rec=None) -> tuple:
    """(ours, gbsplay's) solo `channel`, aligned with the mix's lag; `rec` replaces the dump
    that we render (the can-fail checks)."""
    dump, _, _, lag = _nightmode(seconds)
    rec = dump if rec is None else rec
    ours = _prepare(
        render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, RATE, solo=channel)
    )
    others = tuple(c for c in (1, 2, 3, 4) if c != channel)
    ref = _prepare(gbsplay.pcm(gbsplay.EXAMPLE_GBS, 1, seconds, RATE, mute=others))
    return (*M.apply_lag(ours, ref, lag), lag)  # the mix's offset: one constant for the player


@needs_gbsplay
def test_onset_gate_catches_missing_and_extra_notes():
    """The margin on the detector's threshold does not excuse notes that are not there: CH1's
    solo with 10 s of ours silenced fails recall, and with the same 10 s silenced in gbsplay's
    instead fails precision (about a third of the onsets in either case)."""
    ours, ref, _ = _solo(30, 1)
    gap = slice(10 * RATE, 20 * RATE)
    quiet_ours, quiet_ref = ours.copy(), ref.copy()
    quiet_ours[gap] = 0
    quiet_ref[gap] = 0
    missing = M.onset_agreement(ref, quiet_ours, RATE, 0.030)
    extra = M.onset_agreement(quiet_ref, ours, RATE, 0.030)
    print(f"\nCH1, 10 s of ours silent: recall {missing.recall:.3f}; 10 s of gbsplay's silent:"
          f" precision {extra.precision:.3f}")  # fmt: skip
    assert missing.recall < 0.8 and missing.precision >= 0.95
    assert extra.precision < 0.8 and extra.recall >= 0.95


def _check_solo(seconds: int, channel: int) -> None:
    rec = _nightmode(seconds)[0]
    ours, ref, lag = _solo(seconds, channel)
    agree = M.pitch_agreement(M.pitch_track(ref, RATE), M.pitch_track(ours, RATE), 25.0)
    dist = M.log_mel_distance(ours, ref, RATE)
    gated, strict, default = _onset_scores(ref, ours, RATE)
    print(
        f"\nnightmode {seconds} s CH{channel} solo: pitch within 25 cents on"
        f" {agree.within:.1%} of {agree.both_voiced} frames voiced in both (voiced: ours"
        f" {agree.voiced_b}, gbsplay {agree.voiced_a}); median {agree.median_abs_cents:.2f}"
        f" cents; log-mel distance {dist:.2f} dB; " + _fmt_onsets(gated, strict, default)
    )
    _assert_onsets(gated, f"CH{channel} solo")
    if channel == 2:
        assert dist <= 2.5, f"CH2 log-mel distance {dist:.2f} dB > 2.5 dB"
        # CH2 is a drum whose period changes every frame: pyin hears no pitch on either side,
        # so its pitch is checked note by note from the register dump instead.
        _check_pulse_pitch(rec, ours, ref, lag, 2, seconds)
        return
    if agree.both_voiced < 20:
        # No pitched content (noise, clicks): then neither side may hear a pitch either.
        assert max(agree.voiced_a, agree.voiced_b) < 20, agree
        return
    assert agree.within >= 0.95, f"CH{channel}: pitch within 25 cents on {agree.within:.1%}"


PULSE_CLOCK_HZ = 131072  # a pulse channel sounds at 131072 / (2048 - period) Hz (Pan Docs)


def pulse_segments(rec, channel: int) -> list[tuple[int, int, int]]:
    """(start, end, period): the stretches (T-cycles) during which pulse channel 1 or 2 sounds
    at one period, from the register writes: a trigger (NRx4 bit 7, DAC on) starts one, a new
    period (NRx3, NRx4 bits 0-2) starts the next, and DAC off (NRx2 bits 3-7 zero) or APU off
    (NR52 bit 7) ends it. Neither CH1's sweep nor the length counter is followed: stretches
    they silence fail the RMS voicing of M.segment_pitch, they cannot pass."""
    nr2, nr3, nr4 = (0xFF12, 0xFF13, 0xFF14) if channel == 1 else (0xFF17, 0xFF18, 0xFF19)
    found: list[tuple[int, int, int]] = []
    sounding, dac, period, start = False, False, 0, 0

    def close(t: int) -> None:
        if sounding and t > start:
            found.append((start, t, period))

    writes = zip(rec.t_cycles.tolist(), rec.address.tolist(), rec.value.tolist(), strict=True)
    for t, a, v in writes:
        if a == nr2:
            dac = (v & 0xF8) != 0
            if not dac:
                close(t)
                sounding = False
        elif a == nr3 and v != period & 0xFF:
            close(t)
            period, start = (period & 0x700) | v, t
        elif a == nr4 and (v & 0x80 or (v & 7) != period >> 8):
            close(t)
            period, start = ((v & 7) << 8) | (period & 0xFF), t
            sounding = sounding or (dac and v & 0x80 != 0)
        elif a == 0xFF26 and not v & 0x80:
            close(t)
            sounding = False
    close(int(rec.length_cycles))
    return found


def _pulse_pitch(rec, ours, ref, lag: int, channel: int) -> tuple:
    """(agreement of our per-note pitch with gbsplay's, notes long enough to measure)."""
    segments = pulse_segments(rec, channel)
    shift = max(-lag, 0)  # sample n of the aligned pair is our sample n + shift
    spans = [(s * RATE // CLOCK_HZ - shift, e * RATE // CLOCK_HZ - shift) for s, e, _ in segments]
    expected = np.array([PULSE_CLOCK_HZ / (2048 - p) for _, _, p in segments])
    pairs = zip(spans, expected, strict=True)
    long_enough = sum(e - s - 64 > 1.5 * RATE / f + 1 for (s, e), f in pairs)  # segment_pitch
    f_ref = M.segment_pitch(ref, RATE, spans, expected)
    f_ours = M.segment_pitch(ours, RATE, spans, expected)
    return M.pitch_agreement(f_ref, f_ours, 25.0), long_enough


def _check_pulse_pitch(rec, ours, ref, lag: int, channel: int, seconds: int) -> None:
    agree, measurable = _pulse_pitch(rec, ours, ref, lag, channel)
    print(
        f"  CH{channel} per-note pitch (register dump's notes, one YIN estimate each): within"
        f" 25 cents on {agree.within:.1%} of {agree.both_voiced} notes voiced in both (voiced:"
        f" ours {agree.voiced_b}, gbsplay {agree.voiced_a}, of {measurable} long enough);"
        f" median {agree.median_abs_cents:.2f} cents"
    )
    # At least 3 measured notes per second (nightmode's CH2 has 3.7) and 80 % of those the
    # dump says are long enough, on both sides: a silent or unpitched channel fails here.
    assert agree.both_voiced >= max(3 * seconds, 0.8 * measurable), (
        f"CH{channel}: only {agree.both_voiced} of {measurable} notes voiced in both"
    )
    assert agree.within >= 0.95, f"CH{channel}: pitch within 25 cents on {agree.within:.1%}"


def detuned(rec, channel: int, cents: float):
    """rec with every period written to pulse channel 1 or 2 moved by `cents` (NRx3 and NRx4
    rewritten together: the driver writes both in the same frame)."""
    nr3, nr4 = (0xFF13, 0xFF14) if channel == 1 else (0xFF18, 0xFF19)
    value = rec.value.copy()
    low, high = 0, 0
    for i, (a, v) in enumerate(zip(rec.address.tolist(), rec.value.tolist(), strict=True)):
        if a not in (nr3, nr4):
            continue
        low, high = (v, high) if a == nr3 else (low, v & 7)
        moved = 2048 - round((2048 - ((high << 8) | low)) / 2 ** (cents / 1200))
        moved = min(max(moved, 0), 2047)
        value[i] = moved & 0xFF if a == nr3 else (v & 0xF8) | (moved >> 8)
    return Recording(
        rec.t_cycles, rec.address, value, length_cycles=rec.length_cycles, meta=rec.meta
    )


@needs_gbsplay
def test_nightmode_mix_matches_gbsplay():
    _check_mix(SECONDS)


@needs_gbsplay
@pytest.mark.parametrize("channel", [1, 2, 3, 4])
def test_nightmode_solo_pitch_matches_gbsplay(channel):
    _check_solo(SECONDS, channel)


@needs_gbsplay
@pytest.mark.parametrize("cents", [50, -30])
def test_ch2_pitch_check_fails_on_a_detuned_render(cents):
    """The CH2 check can fail: our render of the dump with CH2's periods moved by a quarter
    tone (or by 30 cents, just past the 25-cent tolerance) does not pass it."""
    rec, _, _, _ = _nightmode(SECONDS)
    ours, ref, lag = _solo(SECONDS, 2, detuned(rec, 2, cents))
    agree, _ = _pulse_pitch(rec, ours, ref, lag, 2)
    print(
        f"\nCH2 detuned by {cents:+d} cents: within 25 cents on {agree.within:.1%} of"
        f" {agree.both_voiced} notes; median {agree.median_abs_cents:.1f} cents"
    )
    with pytest.raises(AssertionError, match="pitch within 25 cents"):
        _check_pulse_pitch(rec, ours, ref, lag, 2, SECONDS)


@needs_gbsplay
def test_ch2_pitch_check_fails_on_a_silent_channel():
    rec, _, _, _ = _nightmode(SECONDS)
    ours, ref, lag = _solo(SECONDS, 2)
    with pytest.raises(AssertionError, match="notes voiced in both"):
        _check_pulse_pitch(rec, np.zeros_like(ours), ref, lag, 2, SECONDS)


@pytest.mark.slow
@needs_gbsplay
@pytest.mark.parametrize("channel", [None, 1, 2, 3, 4])
def test_nightmode_60s_matches_gbsplay(channel):
    if channel is None:
        _check_mix(60)
    else:
        _check_solo(60, channel)


# ---------------------------------------------------------------------------------------------
# (b) zombie mode against libgme
#
# What Debian's libgme 0.6.3 does with NRx2 (its gme/Gb_Oscs.cpp is blargg's Gb_Snd_Emu 0.1.5):
# `Gb_Env::write_register` case 2 only does `if ( !(data >> 4) ) enabled = false;`, i.e. a write
# whose volume nibble is 0 turns the channel off even with the DAC on (0x08), and no write ever
# changes the volume, which only `case 4` (trigger) loads. `Gb_Env::clock_envelope` reads NRx2
# live and steps only while `(unsigned) v < 15` (an increasing envelope stops at 14). `Gb_Apu`
# has no DMG/CGB/AGB mode (`Gbs_Emu::start_track_` calls `apu.reset()`). Zombie mode
# (`Gb_Env::zombie_volume`) arrived with Gb_Snd_Emu 0.2.0, which 0.6.3 does not contain.
# Measured through ctypes with tests/gbs/writes.s, libgme matches that source line by line: NR12
# rewritten on a playing note (0x18, 0x80, 0x48 over 0x40, ...) keeps its level; 0x08 silences it
# until the next trigger (a later 0xF0 does not bring it back); a direction change mid-note makes
# the envelope carry on from the current volume; an increasing envelope stops at 14. So the
# zombie test is an expected failure while the installed libgme behaves like that; the probe
# below measures it, and the documented DMG rules are pinned down reference-free in
# tests/test_apu_zombie.py and compared with Gambatte (Debian's libretro-gambatte core, which
# has zombie mode) in tests/test_apu_libretro.py. Where libgme and the DMG rules agree (writes a
# DMG leaves alone, the DAC turned off, a retrigger),
# `test_nrx2_writes_outside_zombie_mode_match_libgme` compares.

WRITES_SOURCE = Path(__file__).parent / "gbs" / "writes.s"
CALL_NOTE = [(0x26, 0x80), (0x24, 0x77), (0x25, 0x11), (0x11, 0x80), (0x13, 0xD6)]  # 440 Hz


@cache
def _writes_program() -> tuple[bytes, dict[str, int]]:
    from tools.asm import assemble

    mem, symbols, _ = assemble(WRITES_SOURCE)
    return bytes(mem.get(a, 0) for a in range(0x0400, symbols["table"])), symbols


def _writes_gbs(path: Path, calls: list[list[tuple[int, int]]]) -> Path:
    """tests/gbs/writes.s with `calls` as its table: call k makes the writes calls[k]."""
    code, symbols = _writes_program()
    table = bytearray()
    for writes in calls:
        for reg, value in writes:
            table += bytes((reg, value))
        table.append(0)
    table.append(0xFF)
    header = gbs_header(
        songs=1,
        init=symbols["init"],
        play=symbols["play"],
        title="writes",
        author="synthic tests",
        copyright="public domain",
    )
    assert len(header) == 0x70
    path.write_bytes(header + code + bytes(table))
    return path


def _calls_writes(calls: list[list[tuple[int, int]]]):
    """The same table as (T-cycle, address, value) arrays: call k at k VBlank periods."""
    rows = [(k * FRAME_CYCLES, 0xFF00 + r, v) for k, ws in enumerate(calls) for r, v in ws]
    t, a, v = (np.array(col, np.int64) for col in zip(*rows, strict=True))
    return t, a, v


def _call_levels(audio: np.ndarray, n_calls: int) -> np.ndarray:
    """The note's 440 Hz fundamental in each call's window (its middle 70 %, past the writes).

    The fundamental, not the RMS: a DAC switched on while its channel is off steps the output's
    DC level (the high-pass filter turns that into a decaying transient), which is no tone.
    """
    x = M.mono(audio)
    f0 = 131072 / (2048 - 0x6D6)
    out = []
    for k in range(n_calls):
        lo = int((k + 0.25) * FRAME_CYCLES * RATE / CLOCK_HZ)
        hi = int((k + 0.95) * FRAME_CYCLES * RATE / CLOCK_HZ)
        w = np.hanning(hi - lo)
        out.append(abs(np.sum(x[lo:hi] * w * np.exp(-2j * np.pi * f0 * np.arange(lo, hi) / RATE))))
    return np.array(out)


def _levels_both(tmp_path: Path, calls) -> tuple[np.ndarray, np.ndarray]:
    """Per-call CH1 levels in CH1 volume units (0-15) from libgme and from our renderer.

    Each side is calibrated by a held note at volume 15 rendered by the same player.
    """
    n = len(calls) + 1
    seconds = (n + 1) * FRAME_CYCLES / CLOCK_HZ
    calib = [[*CALL_NOTE, (0x12, 0xF0), (0x14, 0x86)]] + [[]] * 4

    def gme_levels(c, m):
        with gme.Player(_writes_gbs(tmp_path / "w.gbs", c), RATE) as player:
            player.start(0)
            return _call_levels(player.render(seconds), m)

    def our_levels(c, m):
        t, a, v = _calls_writes(c)
        return _call_levels(render(t, a, v, int(seconds * CLOCK_HZ), RATE), m)

    g = gme_levels(calls, n) / (gme_levels(calib, 5)[2:].mean() / 15)
    o = our_levels(calls, n) / (our_levels(calib, 5)[2:].mean() / 15)
    return g, o


def _fmt(levels: np.ndarray) -> str:
    return " ".join(f"{x:4.1f}" for x in levels)


needs_libgme_and_sdcc = pytest.mark.skipif(
    not gme.available() or not sdcc_available(),
    reason="needs libgme (Debian package libgme0) and sdcc (to build the test GBS)",
)


@needs_libgme_and_sdcc
def test_zombie_mode_matches_libgme(tmp_path):
    # Probe: a volume-1 note (NR12 = 0x18: increase, pace 0), then NR12 = 0x18 at calls 2 and 4.
    # A DMG steps the volume 1 -> 2 -> 3 (old pace 0, envelope running: +1 each).
    probe = [[*CALL_NOTE, (0x12, 0x18), (0x14, 0x86)], [], [(0x12, 0x18)], [], [(0x12, 0x18)], []]
    g, o = _levels_both(tmp_path, probe)
    print(f"\nzombie probe (NR12 = 0x18 at calls 2, 4):\n  libgme {_fmt(g)}\n  ours   {_fmt(o)}")
    np.testing.assert_allclose(o[[1, 3, 5]], [1, 2, 3], atol=0.1)
    if abs(g[5] - g[1]) < 0.1:
        levels = _fmt(g[[1, 3, 5]]).strip()
        pytest.xfail(
            f"the installed libgme ignores zombie-mode writes (probe levels {levels}"
            " where a DMG gives 1 2 3): its Gb_Oscs.cpp is Gb_Snd_Emu 0.1.5, whose"
            " Gb_Env::write_register never changes the volume on an NRx2 write and turns the"
            " channel off when the write's volume nibble is 0 (so the fade below goes silent at"
            " its first NR12 = 0x08); zombie_volume came with Gb_Snd_Emu 0.2.0. Zombie mode"
            " is compared with Gambatte instead: tests/test_apu_libretro.py"
        )

    # The fade: a held volume-1 note, NR12 = 0x08 every 6 calls (1..15, 0, 1.. on a DMG).
    seconds = 3.0
    n_calls = int(seconds * CLOCK_HZ / FRAME_CYCLES)
    calls = [[*CALL_NOTE, (0x12, 0x18), (0x14, 0x86)]]
    calls += [[(0x12, 0x08)] if k % 6 == 0 else [] for k in range(1, n_calls + 1)]
    with gme.Player(_writes_gbs(tmp_path / "fade.gbs", calls), RATE) as player:
        player.start(0)
        ref = _prepare(player.render(seconds))
    t, a, v = _calls_writes(calls)
    ours = _prepare(render(t, a, v, int(seconds * CLOCK_HZ), RATE))
    ours, ref, lag = M.align(ours, ref, RATE)
    hop = 441  # 10 ms
    env_o, env_r = M.envelope(ours, hop, 2 * hop), M.envelope(ref, hop, 2 * hop)
    m = min(len(env_o), len(env_r))
    env_o, env_r = env_o[:m], env_r[:m]
    loud = (env_o > env_o.max() * 10 ** (-30 / 20)) & (env_r > env_r.max() * 10 ** (-30 / 20))
    db = 20 * np.log10(env_o[loud] / env_r[loud])
    corr = float(np.corrcoef(env_o, env_r)[0, 1])
    agree = M.pitch_agreement(M.pitch_track(ref, RATE), M.pitch_track(ours, RATE), 25.0)
    print(
        f"zombie fade vs libgme: lag {lag} samples; envelope correlation {corr:.4f}; level"
        f" difference on {loud.sum()} loud frames: median {np.median(np.abs(db)):.2f} dB,"
        f" 95th percentile {np.percentile(np.abs(db), 95):.2f} dB; pitch within 25 cents on"
        f" {agree.within:.1%} of {agree.both_voiced} frames (median {agree.median_abs_cents:.2f})"
    )
    # Tolerances: the envelopes are staircases of 15 steps of about 0.6-24 dB each; a model that
    # ignored the zombie writes (as gbsplay does) stays at volume 1 and correlates near 0.
    assert corr >= 0.98, f"envelope correlation {corr:.4f} < 0.98"
    assert np.median(np.abs(db)) <= 0.5, f"median level difference {np.median(np.abs(db)):.2f} dB"
    assert np.percentile(np.abs(db), 95) <= 2.0
    assert agree.both_voiced >= 100 and agree.within >= 0.95, agree


@needs_libgme_and_sdcc
def test_nrx2_writes_outside_zombie_mode_match_libgme(tmp_path):
    """NRx2 writes where libgme 0.6.3 and the DMG agree: each side's level per call, +-0.3."""
    calls = [[*CALL_NOTE, (0x12, 0xF9), (0x14, 0x86)], []]  # 15, increasing, pace 1: stays 15
    calls += [[(0x12, 0xA9)], [], [(0x12, 0x19)], [], [(0x12, 0xF9)], []]  # a DMG: no change
    calls += [[(0x12, 0x07)], []]  # DAC off: the channel stops
    calls += [[(0x12, 0xF0)], []]  # DAC on again: still off until a trigger
    calls += [[(0x12, 0x60), (0x14, 0x86)], [], []]  # retrigger at volume 6 (decrease, pace 0)
    expected = [15] * 8 + [0] * 4 + [6] * 3
    g, o = _levels_both(tmp_path, calls)
    print(f"\nNRx2 outside zombie mode:\n  libgme {_fmt(g)}\n  ours   {_fmt(o)}")
    np.testing.assert_allclose(g[: len(expected)], expected, atol=0.3)
    np.testing.assert_allclose(o[: len(expected)], expected, atol=0.3)


# ---------------------------------------------------------------------------------------------
# (c) a third opinion on nightmode: Gambatte
#
# Issue 14 found our CH1 attacks in disagreement with gbsplay (and libgme, which agrees with
# gbsplay). Gambatte, an accurate DMG emulator, plays gbsplay's own dump packed into a ROM by
# synthic.jukebox.rom (what `synthic rom` writes; each write lands on the nearest 4,096-cycle
# tick of the ROM's player, < 0.5 ms away). CH1 alone: the ROM keeps only NR10-NR14's and the
# mixer's writes. Both our render and gbsplay's PCM are scored against Gambatte, under the gated
# detector and librosa's defaults.

needs_gambatte = pytest.mark.skipif(
    not libretro.available("gambatte") or not gbsplay.available()
    or not Path(gbsplay.EXAMPLE_GBS).is_file(),
    reason="needs gbsplay with its nightmode.gbs and the Gambatte libretro core (tests/install.sh)",
)  # fmt: skip


@cache
def _gambatte_nightmode(seconds: int, channel: int | None) -> tuple[np.ndarray, int]:
    """Gambatte's audio of the ROM made from gbsplay's dump (CH1's writes alone if channel)."""
    from synthic.events.recording import Recording
    from synthic.jukebox.rom import export_rom

    rec = _nightmode(seconds)[0]
    a = rec.address
    keep = np.ones(len(a), bool)
    if channel is not None:
        assert channel == 1
        keep = ((a >= 0xFF10) & (a <= 0xFF14)) | ((a >= 0xFF24) & (a <= 0xFF26))
    sub = Recording(
        rec.t_cycles[keep],
        a[keep],
        rec.value[keep],
        length_cycles=rec.length_cycles,
        meta=dict(rec.meta),
    )
    with libretro.Player(export_rom(sub)) as player:
        rate = int(player.rate_hz)
        return player.run(seconds=seconds + 1.0), rate


@needs_gambatte
@pytest.mark.parametrize("channel", [None, 1])
def test_nightmode_third_opinion_gambatte(channel):
    seconds = SECONDS
    gamb, rate = _gambatte_nightmode(seconds, channel)
    rec = _nightmode(seconds)[0]
    ref = _prepare_at(gamb, rate)
    ours = _prepare_at(
        render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, rate, solo=channel), rate
    )
    mute = () if channel is None else (2, 3, 4)
    theirs = _prepare_at(gbsplay.pcm(gbsplay.EXAMPLE_GBS, 1, seconds, rate, mute=mute), rate)
    name = "mix" if channel is None else f"CH{channel} solo"
    scores = {}
    for who, x in (("ours", ours), ("gbsplay", theirs)):
        x, g, lag = M.align(x, ref, rate)
        x, g = x[: seconds * rate], g[: seconds * rate]
        scores[who] = _onset_scores(g, x, rate)
        print(
            f"\nnightmode {seconds} s {name}, {who} against Gambatte (lag {lag} samples at"
            f" {rate} Hz): " + _fmt_onsets(*scores[who])
        )
    _assert_onsets(scores["ours"][0], f"{name} against Gambatte")


def _prepare_at(audio: np.ndarray, rate: int) -> np.ndarray:
    return M.rms_normalise(M.highpass(audio, rate, 60.0))
