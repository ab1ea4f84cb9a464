"""Our APU model against the reference players (Debian packages gbsplay and libgme0).

(a) gbsplay plays its public-domain example nightmode.gbs; we render gbsplay's own register dump
(`-o iodumper`) with synthic.apu.render and compare with gbsplay's PCM (`-o stdout`), the mix and
each channel solo (gbsplay muting the other three with -1..-4).
(b) gbsplay ignores "zombie mode" (NRx2 written while a channel plays), so libgme is the reference
there: tests/gbs/zombie.s, a tiny GBS of our own, fades a held pulse note in by writing NR12 = 0x08
every few frames; we render the same writes, reconstructed in Python from the program's schedule.

Both sides go through the same 60 Hz high-pass and RMS normalisation (synthic.metrics.audio) and
are aligned by envelope cross-correlation (the players may differ by a constant offset). The
thresholds are the issue's: pitch within 25 cents on >= 95 % of frames voiced in both, mix
log-mel distance <= 2.5 dB, onset F-measure >= 0.95 at 30 ms. Run with -s to see the figures.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from synthic.apu import render
from synthic.metrics import audio as M
from synthic.reference import gbsplay, gme

RATE = 44100
SECONDS = 30  # the default run; the slow variant plays 60 s
FRAME_CYCLES = 70224  # a VBlank-driven GBS's play period
ZOMBIE_SOURCE = Path(__file__).parent / "gbs" / "zombie.s"

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


def _check_mix(seconds: int) -> None:
    _, ours, ref, lag = _nightmode(seconds)
    dist = M.log_mel_distance(ours, ref, RATE)
    score = M.onset_f_measure(M.onsets(ref, RATE), M.onsets(ours, RATE), 0.030)
    print(
        f"\nnightmode {seconds} s mix: gbsplay lags ours by {lag} samples"
        f" ({lag / RATE * 1e3:.1f} ms);"
        f" log-mel distance {dist:.2f} dB; onset F {score.f_measure:.3f}"
        f" (P {score.precision:.3f}, R {score.recall:.3f}, {score.n_reference} reference onsets)"
    )
    assert abs(lag) < 0.05 * RATE, f"offset {lag} samples: the recordings do not line up"
    assert dist <= 2.5, f"log-mel distance {dist:.2f} dB > 2.5 dB"
    assert score.f_measure >= 0.95, f"onset F-measure {score.f_measure:.3f} < 0.95 ({score})"


def _check_solo(seconds: int, channel: int) -> None:
    rec, _, _, lag = _nightmode(seconds)
    ours = _prepare(
        render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, RATE, solo=channel)
    )
    others = tuple(c for c in (1, 2, 3, 4) if c != channel)
    ref = _prepare(gbsplay.pcm(gbsplay.EXAMPLE_GBS, 1, seconds, RATE, mute=others))
    ours, ref = M.apply_lag(ours, ref, lag)  # the mix's offset: one constant for the player
    agree = M.pitch_agreement(M.pitch_track(ref, RATE), M.pitch_track(ours, RATE), 25.0)
    dist = M.log_mel_distance(ours, ref, RATE)
    print(
        f"\nnightmode {seconds} s CH{channel} solo: pitch within 25 cents on"
        f" {agree.within:.1%} of {agree.both_voiced} frames voiced in both (voiced: ours"
        f" {agree.voiced_b}, gbsplay {agree.voiced_a}); median {agree.median_abs_cents:.2f}"
        f" cents; log-mel distance {dist:.2f} dB"
    )
    if agree.both_voiced < 20:
        # No pitched content (noise, clicks): then neither side may hear a pitch either.
        assert max(agree.voiced_a, agree.voiced_b) < 20, agree
        return
    assert agree.within >= 0.95, f"CH{channel}: pitch within 25 cents on {agree.within:.1%}"


@needs_gbsplay
def test_nightmode_mix_matches_gbsplay():
    _check_mix(SECONDS)


@needs_gbsplay
@pytest.mark.parametrize("channel", [1, 2, 3, 4])
def test_nightmode_solo_pitch_matches_gbsplay(channel):
    _check_solo(SECONDS, channel)


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


def _zombie_gbs(tmp_path: Path) -> Path:
    from synthic.asm import assemble

    mem, symbols, _ = assemble(ZOMBIE_SOURCE)
    load = 0x0400
    code = bytes(mem.get(a, 0) for a in range(load, max(mem) + 1))
    header = b"GBS" + struct.pack(
        "<BBBHHHHBB", 1, 1, 1, load, symbols["init"], symbols["play"], 0xFFFE, 0, 0
    )
    header += b"".join(s.ljust(32, b"\0") for s in (b"zombie", b"synthic tests", b"public domain"))
    assert len(header) == 0x70
    path = tmp_path / "zombie.gbs"
    path.write_bytes(header + code)
    return path


def _zombie_writes(seconds: float, step_frames: int = 6):
    """The writes tests/gbs/zombie.s makes: init's at t = 0, play's at each VBlank after."""
    a = [0xFF26, 0xFF24, 0xFF25, 0xFF11, 0xFF12, 0xFF13, 0xFF14]
    v = [0x80, 0x77, 0x11, 0x80, 0x18, 0xD6, 0x86]
    t = [0] * len(v)
    calls = int(seconds * 4194304 / FRAME_CYCLES)
    for k in range(1, calls + 1):
        if k % step_frames == 0:
            t.append(k * FRAME_CYCLES)
            a.append(0xFF12)
            v.append(0x08)
    return np.array(t), np.array(a), np.array(v)


def test_zombie_reconstruction_matches_source():
    """The Python schedule above and the assembly agree on the step period."""
    text = ZOMBIE_SOURCE.read_text()
    assert "STEP_FRAMES = 6" in text and "#0x08" in text and "#0x18" in text


@pytest.mark.skipif(not gme.available(), reason="libgme (Debian package libgme0) is not installed")
@pytest.mark.xfail(
    strict=False,
    reason="Debian's libgme 0.6.3 (Gb_Snd_Emu 0.1.5) has no zombie mode: the first NR12 = 0x08"
    " write silences CH1 (volume 0 -> channel off), so its envelope is ~0 after 0.1 s while ours"
    " steps up 1..15, 0, 1..14 (measured envelope correlation -0.15); needs a libgme with"
    " Gb_Snd_Emu >= 0.2 (game-music-emu 0.7) or another reference",
)
def test_zombie_mode_matches_libgme(tmp_path):
    from synthic.asm import sdcc_available

    if not sdcc_available():
        pytest.skip("sdcc (sdasgb, sdldgb) is not installed: cannot build the zombie GBS")
    seconds = 3.0
    with gme.Player(_zombie_gbs(tmp_path), RATE) as player:
        player.start(0)
        ref = _prepare(player.render(seconds))
    t, a, v = _zombie_writes(seconds)
    ours = _prepare(render(t, a, v, int(seconds * 4194304), RATE))
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
        f"\nzombie vs libgme: lag {lag} samples; envelope correlation {corr:.4f}; level"
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
