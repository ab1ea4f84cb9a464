"""Zombie mode (NRx2 written while a channel plays) against Gambatte, an accurate DMG emulator.

Debian's libgme 0.6.3 has no zombie mode (tests/test_apu_reference.py); Gambatte does
(`EnvelopeUnit::nr2Change`). Its libretro core (Debian package libretro-gambatte, fetched without
RetroArch by tests/install.sh) runs through our own ctypes frontend, tests.reference.libretro,
in DMG mode. Both sides run the same ROM of ours, tests/roms/zombie.gb (source
tests/roms/src/zombie.s): it makes a table of sound-register writes, one frame's worth per VBlank
(the table sits at 0x1000; this test reads it from the image). Our side is synthic.gb.Emulator's
recording rendered by synthic.apu.render at the core's sample rate.

* Levels: each side's CH1/CH2 tone level, in volume units (calibrated by a volume-15 note on the
  same side), in every window between writes where the DMG rule (tests/test_apu_zombie.py) gives
  a constant volume: both sides must match the hand-worked volume. This says who is right when
  the two disagree.
* The control part (frames 0-188: plain notes, an envelope down on CH1 and up on CH2, no NRx2
  write on a playing channel) and the zombie part (188-384: a fade in by NR12 = 0x08 every 6
  frames, CH2 direction flips and +2 steps) are compared as audio, after the common 60 Hz
  high-pass and RMS normalisation and one alignment of the whole run: envelope correlation,
  per-10 ms level difference in dB (median, 95th percentile) and pitch within 25 cents on >= 95 %
  of the frames voiced in both. A zombie failure with a passing control points at NRx2 handling.

Skipped, with the reason, when the core cannot be found. Run with -s to see the figures.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from synthic.apu import render
from synthic.errors import SynthicError
from synthic.events.registers import CLOCK_HZ as CLOCK
from synthic.events.registers import FRAME_T_CYCLES as FRAME_T
from tests import audio_metrics as M
from tests.reference import libretro

ROM = Path(__file__).parent / "roms" / "zombie.gb"
TABLE_AT = 0x1000  # tests/roms/src/zombie.s: `.org 0x1000` before `table`
FRAMES = 390  # the table ends at frame 382
ZOMBIE_FROM = 188  # frames before it: the control part
F1 = 131072 / (2048 - 0x6D6)  # CH1, 439.8 Hz
F2 = 131072 / (2048 - 0x739)  # CH2, 658.6 Hz
NRX2 = {1: 0x12, 2: 0x17}

needs_core = pytest.mark.skipif(
    not libretro.available("gambatte"),
    reason="the Gambatte libretro core (Debian package libretro-gambatte) is not installed:"
    " run tests/install.sh, or unpack it and set SYNTHIC_LIBRETRO_DIR",
)


def rom_table(image: bytes) -> list[list[tuple[int, int]]]:
    """The ROM's write table: per frame (VBlank), its (FF00-relative register, value) writes."""
    frames: list[list[tuple[int, int]]] = [[]]
    k = TABLE_AT
    while image[k] != 0xFF:
        if image[k] == 0x00:
            frames.append([])
            k += 1
        elif image[k] == 0xFE:  # this frame ends, and n - 1 frames make no writes
            frames += [[] for _ in range(image[k + 1])]
            k += 2
        else:
            frames[-1].append((image[k], image[k + 1]))
            k += 2
    return frames


def _steps(channel: int, first: int, every: int, volumes: list[int]):
    return [(channel, first + k * every, first + (k + 1) * every, v) for k, v in enumerate(volumes)]


# Windows of constant volume, worked by hand from the DMG rule (tests/roms/src/zombie.s's
# header): (channel, first frame, end frame, volume). Writes happen at VBlank, late in a frame,
# so a window runs from just after frame `first`'s writes to just before frame `end`'s.
CALIBRATION = [(1, 2, 26, 15), (2, 26, 50, 15)]
FADE = _steps(1, 188, 6, [1, *range(2, 16), 0, 1, 2, 3])
FLIPS = _steps(2, 302, 8, [4, 11, 4, 11, 4, 9, 12, 3, 12, 3])
WINDOWS = CALIBRATION + FADE + FLIPS


@cache
def _recording():
    from synthic.gb import Emulator

    emu = Emulator(ROM)
    emu.run(frames=FRAMES)
    return emu.recording()


@cache
def _gambatte() -> tuple[np.ndarray, int]:
    with libretro.Player(ROM) as player:
        rate = int(player.rate_hz)
        assert rate == player.rate_hz, player.rate_hz
        return player.run(frames=FRAMES), rate


def _ours(rate: int, drop=None) -> np.ndarray:
    rec = _recording()
    keep = np.ones(len(rec.t_cycles), bool) if drop is None else ~drop(rec)
    return render(rec.t_cycles[keep], rec.address[keep], rec.value[keep], rec.length_cycles, rate)


def _prepare(x: np.ndarray, rate: int) -> np.ndarray:
    return M.rms_normalise(M.highpass(x, rate, 60.0))


@cache
def _aligned(drop_zombie: bool = False) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(ours, gambatte, lag, rate): prepared and aligned so that ours[n] ~ gambatte[n]; both
    start at our t = 0 (`lag` samples of Gambatte's start are cut, or ours is padded)."""
    ref, rate = _gambatte()
    ours = _prepare(_ours(rate), rate)
    ref = _prepare(ref, rate)
    _, _, lag = M.align(ours, ref, rate)
    if drop_zombie:  # our render with the zombie writes left out, under the same alignment
        ours = _prepare(_ours(rate, drop=_zombie_writes), rate)
    ref = ref[lag:] if lag >= 0 else np.concatenate([np.zeros((-lag, 2)), ref])
    m = min(len(ours), len(ref))
    return ours[:m], ref[:m], lag, rate


def _zombie_writes(rec) -> np.ndarray:
    """NRx2 writes that keep the DAC on while the channel plays: after each trigger."""
    frame = rec.t_cycles // FRAME_T
    nr12 = (rec.address == 0xFF12) & (frame > 188) & (frame < 302)
    nr22 = (rec.address == 0xFF17) & (frame > 302) & (frame < 382)
    return (nr12 | nr22) & (rec.value & 0xF8 != 0)


def _write_t(frame: int) -> int:
    """Our T-cycle of frame `frame`'s first write (every window edge has one)."""
    rec = _recording()
    return int(rec.t_cycles[np.searchsorted(rec.t_cycles // FRAME_T, frame)])


def _tone(x: np.ndarray, f: float, lo: int, hi: int, rate: int) -> float:
    x = M.mono(x[lo:hi])
    w = np.hanning(len(x))
    return 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * f * np.arange(lo, hi) / rate))) / w.sum()


def _levels(x: np.ndarray, rate: int) -> np.ndarray:
    """The tone level in each of WINDOWS, in volume units of its channel."""
    margin = int(0.004 * rate)  # the high-passed DC step of a trigger or DAC switch, mostly
    raw = []
    for ch, first, end, _ in WINDOWS:
        lo = _write_t(first) * rate // CLOCK + margin
        hi = _write_t(end) * rate // CLOCK - margin
        raw.append(_tone(x, F1 if ch == 1 else F2, lo, hi, rate))
    raw = np.array(raw)
    unit = {ch: raw[k] / 15 for k, (ch, *_) in enumerate(CALIBRATION)}
    return np.array([r / unit[w[0]] for r, w in zip(raw, WINDOWS, strict=True)])


def _compare(ours: np.ndarray, ref: np.ndarray, rate: int) -> dict:
    hop = rate // 100  # 10 ms
    env_o, env_r = M.envelope(ours, hop, 2 * hop), M.envelope(ref, hop, 2 * hop)
    floor = 10 ** (-30 / 20)  # level differences on frames within 30 dB of each side's peak
    loud = (env_o > env_o.max() * floor) & (env_r > env_r.max() * floor)
    db = np.abs(20 * np.log10(env_o[loud] / env_r[loud]))
    agree = M.pitch_agreement(M.pitch_track(ref, rate), M.pitch_track(ours, rate), 25.0)
    return {
        "corr": float(np.corrcoef(env_o, env_r)[0, 1]),
        "loud": int(loud.sum()),
        "median_db": float(np.median(db)),
        "p95_db": float(np.percentile(db, 95)),
        "pitch": agree,
    }


def _part(ours, ref, rate, zombie: bool):
    cut = _write_t(ZOMBIE_FROM) * rate // CLOCK
    return (ours[cut:], ref[cut:]) if zombie else (ours[:cut], ref[:cut])


def _report(name: str, c: dict, lag: int, rate: int) -> str:
    p = c["pitch"]
    return (
        f"{name} vs Gambatte (lag {lag} samples at {rate} Hz): envelope correlation"
        f" {c['corr']:.4f}; level difference on {c['loud']} 10 ms frames: median"
        f" {c['median_db']:.2f} dB, 95th percentile {c['p95_db']:.2f} dB; pitch within 25 cents"
        f" on {p.within:.1%} of {p.both_voiced} frames voiced in both (median"
        f" {p.median_abs_cents:.2f} cents)"
    )


# ---------------------------------------------------------------------------------------------
# The ROM and the frontend


def test_rom_table_is_what_our_emulator_records():
    """The table read from the image is what the ROM writes, one frame's entries per VBlank,
    and no window of WINDOWS has a write to its channel's NRx2 inside it."""
    table = rom_table(ROM.read_bytes())
    rec = _recording()
    columns = ((rec.t_cycles // FRAME_T).tolist(), rec.address.tolist(), rec.value.tolist())
    got = [(f, a - 0xFF00, v) for f, a, v in zip(*columns, strict=True)]
    want = [(f, r, v) for f, writes in enumerate(table) for r, v in writes]
    assert got == want
    assert len(table) <= FRAMES
    for ch, first, end, _ in WINDOWS:
        inside = [(f, r) for f, r, _ in want if first < f < end and r in (NRX2[ch], NRX2[ch] + 2)]
        assert not inside, (ch, first, end, inside)


def test_frontend_without_a_core(monkeypatch, tmp_path):
    monkeypatch.setenv(libretro.ENV_DIR, str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert libretro.find_core("no_such_core") is None
    assert not libretro.available("no_such_core")
    with pytest.raises(SynthicError, match=r"core 'no_such_core' not found.*libretro-no_such_core"):
        libretro.Player(ROM, core="no_such_core")
    with pytest.raises(SynthicError, match="no such core"):
        libretro.Player(ROM, core=tmp_path / "missing_libretro.so")
    # A dpkg -x root in SYNTHIC_LIBRETRO_DIR is searched too.
    core = tmp_path / "usr" / "lib" / "x86_64-linux-gnu" / "libretro" / "fake_libretro.so"
    core.parent.mkdir(parents=True)
    core.write_bytes(b"not a shared library")
    assert libretro.find_core("fake") == core
    with pytest.raises(SynthicError, match=r"fake_libretro\.so: cannot load the core"):
        libretro.Player(ROM, core="fake")


@needs_core
def test_frontend_runs_gambatte_in_dmg_mode(tmp_path):
    with libretro.Player(ROM) as player:
        assert player.declared["gambatte_gb_hwmode"][:2] == ["Auto", "GB"]
        assert player.options["gambatte_gb_hwmode"] == "GB"
        assert player.library.startswith("Gambatte")
        assert player.fps == pytest.approx(CLOCK / FRAME_T, rel=1e-6)
        a = player.run(frames=60)
        b = player.run(seconds=1.0, buttons={"start"})
        assert player.frames == 120
        with pytest.raises(SynthicError, match="already runs this core"):
            libretro.Player(ROM)
        with pytest.raises(SynthicError, match="unknown button"):
            player.run(frames=1, buttons={"turbo"})
    for x in (a, b):
        assert x.dtype == np.float32 and x.shape[1] == 2
        assert abs(len(x) - 60 * player.rate_hz / player.fps) < 0.02 * len(x)
    with libretro.Player(ROM.read_bytes()) as again:  # bytes, and a fresh start: the same audio
        np.testing.assert_array_equal(again.run(frames=60), a)
    assert np.abs(a).max() > 0.05  # the calibration note plays from frame 2
    with pytest.raises(SynthicError, match="closed"):
        player.run(frames=1)
    with pytest.raises(SynthicError, match="option gambatte_gb_hwmode is one of Auto|GB|GBA"):
        libretro.Player(ROM, options={"gambatte_gb_hwmode": "NES"})
    with pytest.raises(SynthicError, match="has no option 'nope'"):
        libretro.Player(ROM, options={"nope": "1"})
    with pytest.raises(SynthicError, match=re.escape(f"{tmp_path / 'x.gb'}: No such file")):
        libretro.Player(tmp_path / "x.gb")
    with libretro.Player(ROM) as player:  # the errors above left no Player open
        assert len(player.run(frames=1))


@needs_core
def test_frontend_presses_buttons():
    """tests/roms/joypad.gb passes in Gambatte with its button schedule (tests/roms/README.md:
    A at frame 10-20, RIGHT at 30-40), and waits for A without presses."""
    joypad = ROM.with_name("joypad.gb")
    with libretro.Player(joypad) as player:
        player.run(frames=50)
        assert player.system_ram()[0] == 0  # RESULT: still waiting
        assert player.system_ram()[0x10] == 1  # STATE: waiting for A
    with libretro.Player(joypad) as player:
        player.run(frames=10)
        player.press("a")
        player.run(frames=10)
        player.release("a")
        player.run(frames=10)
        player.run(frames=10, buttons=["RIGHT"])
        player.run(frames=10)
        ram = player.system_ram()
    assert ram[0] == 0x01 and ram[1] == 0, f"RESULT {ram[0]:#04x}, failed check {ram[1]:#04x}"
    assert ram[0x11] == 2  # two joypad interrupts


# ---------------------------------------------------------------------------------------------
# Our APU against Gambatte


@needs_core
def test_levels_follow_the_dmg_rule_in_both():
    ours, ref, _, rate = _aligned()
    o, g = _levels(ours, rate), _levels(ref, rate)
    want = np.array([w[3] for w in WINDOWS], float)
    print("\nvolume per window (calibration, CH1 fade, CH2 flips and +2 steps):")
    print("  DMG rule " + " ".join(f"{x:4.0f}" for x in want))
    print("  Gambatte " + " ".join(f"{x:4.1f}" for x in g))
    print("  ours     " + " ".join(f"{x:4.1f}" for x in o))
    # +-0.3 volume units: the levels are whole numbers on both sides (measured within +-0.15);
    # one unit is the smallest difference the rule can make.
    np.testing.assert_allclose(g, want, atol=0.3, err_msg="Gambatte departs from the DMG rule")
    np.testing.assert_allclose(o, want, atol=0.3, err_msg="our APU departs from the DMG rule")


@needs_core
@pytest.mark.parametrize("part", ["control", "zombie"])
def test_audio_matches_gambatte(part):
    ours, ref, lag, rate = _aligned()
    c = _compare(*_part(ours, ref, rate, part == "zombie"), rate)
    print("\n" + _report(part, c, lag, rate))
    # The two emulators start their frame sequencers at different phases, so an envelope step
    # (control part) can fall up to 1/64 s apart: 10 ms frames around a step differ by up to a
    # volume step (20 log(2/1) = 6 dB at volume 1). The zombie part's steps come from the same
    # writes on both sides. A model that ignores the zombie writes fails every bound (below).
    assert abs(lag) < 0.02 * rate, f"offset {lag} samples: the runs do not line up"
    assert c["corr"] >= 0.98, f"envelope correlation {c['corr']:.4f} < 0.98"
    assert c["median_db"] <= 0.5, f"median level difference {c['median_db']:.2f} dB > 0.5 dB"
    assert c["p95_db"] <= 2.0, f"95th percentile level difference {c['p95_db']:.2f} dB > 2 dB"
    p = c["pitch"]
    assert p.both_voiced >= 100 and p.within >= 0.95, p


@needs_core
def test_ignoring_zombie_writes_would_fail():
    """The zombie comparison can fail: our render with the zombie writes left out (what a
    player without zombie mode, like gbsplay, does) misses its bounds."""
    ours, ref, lag, rate = _aligned(drop_zombie=True)
    c = _compare(*_part(ours, ref, rate, zombie=True), rate)
    print("\n" + _report("zombie writes ignored", c, lag, rate))
    assert c["corr"] < 0.5 and c["p95_db"] > 6.0
