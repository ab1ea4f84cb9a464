"""Our GBS player against gbsplay's: the same register writes, in the same order, on time.

For every song of gbsplay's public-domain example nightmode.gbs (it holds one), we record
`Emulator.from_gbs(song)` for S seconds and compare with gbsplay's `-o iodumper` dump of the same
song for the same S seconds (tests.reference.gbsplay.iodump; its power-on register block is
left out: our emulator does not write the power-on values, the hardware holds them).

The (register, value) sequences must be identical. The times differ by a known amount:

* init's writes: ours = gbsplay's + 100 (+/- 12) T-cycles. gbsplay starts the CPU at `init`; our
  cartridge first runs its entry stub (di, ld sp, TMA, TIMA, TAC, ld a song, call init: 100
  T-cycles). Measured: +108 (gbsplay counts 8 T-cycles fewer somewhere in nightmode's init).
* play's writes: ours = gbsplay's + PLAY_OFFSET (+/- 12) T-cycles, PLAY_OFFSET = -4180.
  gbsplay raises its first VBlank one full frame (70,224 T-cycles) after init starts; our PPU
  starts at line 153, dot 100 (synthic.gb.ppu.POST_BOOT_DOT), so our first VBlank comes at
  356 + 144 * 456 = 66,020 T-cycles: -4,204. Entering play costs us 24 T-cycles more than
  gbsplay (our vector does `call play`, gbsplay's `jp play`, and its interrupt entry counts no
  cycles): -4,180. Then both call play every 70,224 T-cycles.
* The jitter: gbsplay sets IF only between CPU steps, and a halted CPU steps in 16-T-cycle
  units (gbhw.c, gbhw_step), so each of its play calls starts 0-12 T-cycles after the VBlank,
  depending on where the step grid falls. Measured on 20 s: each whole play call is shifted by
  -4, 0, +4 or +8 T-cycles from PLAY_OFFSET, about equally often, and *within* one play call
  every write keeps the same offset to the T-cycle (our instruction timings agree with gbsplay's
  exactly there), which the test also asserts.

gbsplay runs a little past S seconds (it stops at the end of an output buffer): its extra writes
must all fall after the end of ours.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from synthic.events.registers import CLOCK_HZ
from synthic.gb.gbs import parse_gbs
from synthic.gb.ppu import FRAME_T, LINE_T, POST_BOOT_DOT, VBLANK_LINE
from tests.reference import gbsplay

pytestmark = pytest.mark.skipif(
    not gbsplay.available() or gbsplay.example_gbs() is None,
    reason="gbsplay (Debian package gbsplay, with its example nightmode.gbs) is not installed",
)

STUB_T = 100  # our entry stub's T-cycles before init's first instruction
OUR_FIRST_VBLANK_T = (LINE_T - POST_BOOT_DOT) + VBLANK_LINE * LINE_T  # 66,020
GBSPLAY_FIRST_VBLANK_T = FRAME_T  # gbsplay: one frame after init starts
PLAY_ENTRY_EXTRA_T = 24  # ours: interrupt entry + call play; gbsplay: jp play
PLAY_OFFSET = OUR_FIRST_VBLANK_T - GBSPLAY_FIRST_VBLANK_T + PLAY_ENTRY_EXTRA_T  # -4,180
TOLERANCE_T = 12  # gbsplay's halted CPU steps 16 T-cycles at a time


def _ours(song: int, seconds: int):
    from synthic.gb import Emulator

    emu = Emulator.from_gbs(gbsplay.read_example_gbs(), song - 1)
    emu.run_cycles(seconds * CLOCK_HZ)
    assert emu.lockup is None
    return emu.recording()


def compare_with_gbsplay(song: int, seconds: int) -> dict:
    ref = gbsplay.iodump(gbsplay.example_gbs(), song, seconds)  # gbsplay reads .gz too
    n0 = ref.meta["power_on_writes"]
    assert n0 == 48  # FF10-FF3F, gbsplay's power-on values
    rt, ra, rv = ref.t_cycles[n0:], ref.address[n0:], ref.value[n0:]
    ours = _ours(song, seconds)
    ot, oa, ov = ours.t_cycles, ours.address, ours.value
    n = len(ot)
    assert n > 100 and len(rt) >= n, (n, len(rt))
    mismatch = np.flatnonzero((ra[:n] != oa) | (rv[:n] != ov))
    if mismatch.size:
        k = mismatch[0]
        pytest.fail(
            f"song {song}: write {k} differs: gbsplay {ra[k]:04X}={rv[k]:02X}, "
            f"ours {oa[k]:04X}={ov[k]:02X}"
        )
    # gbsplay's extra writes (it ran past S seconds) fall after our last cycle.
    if len(rt) > n:
        assert rt[n] + PLAY_OFFSET >= ours.length_cycles - TOLERANCE_T
    offset = ot.astype(np.int64) - rt[:n]
    in_init = rt[:n] < GBSPLAY_FIRST_VBLANK_T
    init_dev = offset[in_init] - STUB_T
    play_dev = offset[~in_init] - PLAY_OFFSET
    assert np.all(np.abs(init_dev) <= TOLERANCE_T), init_dev
    assert np.all(np.abs(play_dev) <= TOLERANCE_T), (play_dev.min(), play_dev.max())
    # Within one play call (gbsplay's frames k * FRAME_T ...), every write has the same offset.
    call = (rt[:n][~in_init] // FRAME_T).astype(np.int64)
    starts = np.flatnonzero(np.diff(call, prepend=-1))
    per_call = np.repeat(play_dev[starts], np.diff(np.append(starts, len(call))))
    assert np.array_equal(play_dev, per_call), "offsets vary within a play call"
    return {
        "writes": n,
        "calls": len(starts),
        "init": sorted(set(init_dev.tolist())),
        "play": dict(
            zip(*(a.tolist() for a in np.unique(play_dev[starts], return_counts=True)), strict=True)
        ),
    }


def _songs() -> range:
    return range(1, parse_gbs(gbsplay.read_example_gbs()).song_count + 1)


def test_nightmode_writes_match_gbsplays_iodump():
    for song in _songs():
        stats = compare_with_gbsplay(song, 20)
        print(f"\nnightmode song {song}, 20 s: {stats}")
        assert stats["calls"] > 1000  # every VBlank of the 20 s called play and wrote
        assert len(stats["play"]) > 1  # the jitter is gbsplay's: it does not stay put


@pytest.mark.slow
def test_nightmode_writes_match_gbsplays_iodump_for_two_minutes():
    for song in _songs():
        stats = compare_with_gbsplay(song, 120)
        print(f"\nnightmode song {song}, 120 s: {stats}")


def test_a_gzipped_example_reads_the_same(tmp_path):
    """Debian may ship the example gzipped, and its gbsplay has no zlib: iodump gunzips."""
    plain = gbsplay.read_example_gbs()
    packed = tmp_path / "nightmode.gbs.gz"
    packed.write_bytes(gzip.compress(plain))
    a, b = gbsplay.iodump(packed, 1, 2), gbsplay.iodump(gbsplay.example_gbs(), 1, 2)
    assert len(a) == len(b) > 100 and np.array_equal(a.t_cycles, b.t_cycles)
    assert np.array_equal(a.value, b.value) and a.meta["power_on_writes"] == 48
