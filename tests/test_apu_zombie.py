"""Zombie mode, reference-free: NRx2 written while CH1, CH2 or CH4 plays changes its volume.

The rule, as documented for the DMG (gbdev wiki "Gameboy sound hardware", Obscure Behavior;
Pan Docs "Audio Details"): when NRx2 is written while the channel is on and the write keeps its
DAC on (bits 3-7 not all 0),

1. if the old envelope pace (NRx2 bits 0-2) was 0 and the envelope is still doing automatic
   updates (it has not stopped at 0 or 15), the volume goes up by 1;
2. otherwise, if the old direction (bit 3) was decrease, the volume goes up by 2;
3. then, if the direction changes, the volume becomes 16 - volume;
4. only the low 4 bits are kept.

A write that turns the DAC off turns the channel off instead, and a channel that is off keeps its
volume until a trigger reloads it from NRx2. The expected volumes below are worked out by hand from
these four steps; the property test checks random write sequences against `dmg_zombie`, a direct
transcription of them. The last test hears the volumes in rendered audio.

Libgme 0.6.3, the issue's reference player, has none of this (tests/test_apu_reference.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic.apu import apu_new, apu_read, apu_run_until, apu_write
from synthic.apu.state import ENV_RUNNING, VOLUME
from tests.test_apu_support import CLOCK, ENVELOPE_EDGES_T, RATE, START, render_rows

# (channel number, index into the state's per-channel arrays, NRx2 address, NRx4 address)
CHANNELS = [(1, 0, 0xFF12, 0xFF14), (2, 1, 0xFF17, 0xFF19), (4, 3, 0xFF21, 0xFF23)]
each_channel = pytest.mark.parametrize(
    "number,c,nrx2_addr,nrx4_addr", CHANNELS, ids=[f"CH{ch[0]}" for ch in CHANNELS]
)


def dmg_zombie(volume: int, old: int, new: int, envelope_running: bool) -> int:
    """The documented DMG rule: the volume after NRx2 goes from `old` to `new` on a live channel."""
    v = volume
    if (old & 7) == 0 and envelope_running:
        v += 1
    elif not old & 8:
        v += 2
    if (old ^ new) & 8:
        v = 16 - v
    return v & 15


def fresh():
    s = apu_new(initial="quiet", synthesize=False)
    for a, v in ((0xFF26, 0x80), (0xFF24, 0x77), (0xFF25, 0xFF)):
        apu_write(s, 0, a, v)
    return s


def triggered(nrx2_addr: int, nrx4_addr: int, nrx2: int, t: int = 10):
    """A fresh APU with the channel triggered at t with NRx2 = nrx2 (no length, p = 0x700)."""
    s = fresh()
    apu_write(s, t, nrx2_addr, nrx2)
    apu_write(s, t, nrx2_addr + 1, 0x00)
    apu_write(s, t, nrx4_addr, 0x87)
    return s


def is_on(s, t: int, number: int) -> bool:
    return bool(apu_read(s, t, 0xFF26) >> (number - 1) & 1)


# Each case: NRx2 at the trigger, then NRx2 writes (before any envelope step) with the volume
# expected after each, worked out by hand from the numbered steps in the module docstring.
CASES = {
    "pace 0, increase: +1 each, the volume nibble written does not matter": (
        0x18,
        [(0x18, 2), (0x08, 3), (0xF8, 4)],
    ),
    "pace 0, decrease: +1 (step 1 comes before step 2)": (0x80, [(0x80, 9), (0x90, 10)]),
    "pace 2, decrease: +2": (0x82, [(0x82, 10), (0x82, 12)]),
    "pace 2, increase, same direction: unchanged": (0x8A, [(0x8A, 8), (0x1A, 8)]),
    "increase -> decrease, pace 0: 16 - (v + 1)": (0x58, [(0x50, 10)]),
    "decrease -> increase, pace 0: 16 - (v + 1)": (0x40, [(0x48, 11)]),
    "decrease -> increase, pace 3: 16 - (v + 2)": (0x53, [(0x5B, 9)]),
    "increase -> decrease, pace 3: 16 - v": (0x5B, [(0x53, 11)]),
    "15 + 1 wraps to 0, and the channel stays on": (0xF8, [(0x08, 0), (0x08, 1), (0x08, 2)]),
    "pace 1, decrease: 14 + 2 wraps to 0; to increase: 16 - (0 + 2)": (
        0xE1,
        [(0xE1, 0), (0xE9, 14)],
    ),
}


@each_channel
@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_write(case, number, c, nrx2_addr, nrx4_addr):
    first, steps = CASES[case]
    s = triggered(nrx2_addr, nrx4_addr, first)
    assert s.i[VOLUME + c] == first >> 4
    for k, (value, expected) in enumerate(steps):
        apu_write(s, 20 + k, nrx2_addr, value)
        assert s.i[VOLUME + c] == expected, (case, k, hex(value))
        assert is_on(s, 20 + k, number)
    assert ENVELOPE_EDGES_T[0] > 20 + len(steps)  # no envelope step happened in between


@each_channel
def test_a_stopped_envelope_gives_no_pace_0_step(number, c, nrx2_addr, nrx4_addr):
    s = triggered(nrx2_addr, nrx4_addr, 0xF9)  # 15, increasing, pace 1
    t = ENVELOPE_EDGES_T[0] + 10
    apu_run_until(s, t)  # the step to 16 fails: the envelope stops at 15
    assert s.i[ENV_RUNNING + c] == 0 and s.i[VOLUME + c] == 15
    apu_write(s, t, nrx2_addr, 0xF8)  # old pace 1, old increase, same direction
    assert s.i[VOLUME + c] == 15
    apu_write(s, t + 1, nrx2_addr, 0xF8)  # old pace 0, but the envelope has stopped: no +1
    assert s.i[VOLUME + c] == 15
    apu_write(s, t + 2, nrx2_addr, 0xF0)  # to decrease: old increase (no +2), 16 - 15
    assert s.i[VOLUME + c] == 1
    assert is_on(s, t + 3, number)


@each_channel
def test_dac_off_write_stops_the_channel_and_the_rule_waits_for_a_trigger(
    number, c, nrx2_addr, nrx4_addr
):
    s = triggered(nrx2_addr, nrx4_addr, 0x38)
    apu_write(s, 20, nrx2_addr, 0x07)  # DAC off (bits 3-7 clear): the channel stops
    assert not is_on(s, 21, number)
    apu_write(s, 30, nrx2_addr, 0x58)  # DAC on again: still off, no zombie step
    assert not is_on(s, 31, number) and s.i[VOLUME + c] == 3
    apu_write(s, 40, nrx2_addr, 0x58)
    assert s.i[VOLUME + c] == 3
    apu_write(s, 50, nrx4_addr, 0x80)  # the trigger loads NRx2's volume
    assert is_on(s, 51, number) and s.i[VOLUME + c] == 5
    apu_write(s, 60, nrx2_addr, 0x58)  # and zombie mode applies again
    assert s.i[VOLUME + c] == 6


@each_channel
def test_a_channel_stopped_by_its_length_ignores_nrx2(number, c, nrx2_addr, nrx4_addr):
    s = fresh()
    apu_write(s, 10, nrx2_addr, 0x48)
    apu_write(s, 10, nrx2_addr - 1, 0x3F)  # length 1: the first length step stops it
    apu_write(s, 10, nrx4_addr, 0xC7)
    assert is_on(s, 11, number)
    t = 8192 + 10  # past the first sequencer edge (a length step)
    assert not is_on(s, t, number)
    apu_write(s, t, nrx2_addr, 0x48)
    assert s.i[VOLUME + c] == 4 and not is_on(s, t + 1, number)


def test_ch3_volume_writes_are_not_zombie_steps():
    s = fresh()
    apu_write(s, 10, 0xFF1A, 0x80)
    apu_write(s, 10, 0xFF1C, 0x20)  # level 100 %
    apu_write(s, 10, 0xFF1E, 0x87)
    for k, level in enumerate((0x40, 0x60, 0x20, 0x00)):
        apu_write(s, 20 + k, 0xFF1C, level)
        assert apu_read(s, 20 + k, 0xFF1C) == level | 0x9F
        assert is_on(s, 20 + k, 3)  # NR32 has no DAC bit: the channel plays on at any level


nrx2_dac_on = st.integers(0x08, 0xFF)


@settings(max_examples=200, deadline=None)
@given(
    channel=st.sampled_from(CHANNELS),
    first=nrx2_dac_on,
    values=st.lists(nrx2_dac_on, min_size=1, max_size=40),
)
def test_random_writes_follow_the_rule(channel, first, values):
    number, c, nrx2_addr, nrx4_addr = channel
    s = triggered(nrx2_addr, nrx4_addr, first)
    volume, old = first >> 4, first
    for k, value in enumerate(values):
        apu_write(s, 20 + k, nrx2_addr, value)
        volume = dmg_zombie(volume, old, value, envelope_running=True)
        old = value
        assert s.i[VOLUME + c] == volume, [hex(first), *map(hex, values[: k + 1])]
    assert is_on(s, 20 + len(values), number)


def tone_amplitude(x: np.ndarray, f: float) -> float:
    n = np.arange(len(x))
    w = np.hanning(len(x))
    return 2 * abs(np.sum(x * w * np.exp(-2j * np.pi * f * n / RATE))) / w.sum()


def test_zombie_volumes_are_heard():
    """CH2 through a chain of zombie writes: the 1024 Hz tone's amplitude follows the volume."""
    p = 1920  # 131072 / (2048 - 1920) = 1024 Hz
    rows = START + [(0, 0xFF16, 0x80), (0, 0xFF17, 0x18), (0, 0xFF18, p & 0xFF)]
    rows += [(0, 0xFF19, 0x80 | p >> 8)]  # volume 1, increasing, pace 0
    step = CLOCK // 20
    # Writes at the start of each 50 ms segment; the volume each segment should play at.
    segments = [
        ([], 1),
        ([0x18], 2),  # +1
        ([0x10], 13),  # to decrease: 16 - (2 + 1)
        ([0x10], 14),  # +1
        ([0x18], 1),  # to increase: 16 - (14 + 1)
        ([0x08], 2),  # +1
        ([0x08] * 14, 0),  # 2 + 14 = 16: wraps to 0 (silent, still on)
        ([0x08], 1),  # +1
    ]
    for k, (values, _) in enumerate(segments):
        rows += [(k * step + j, 0xFF17, v) for j, v in enumerate(values)]
    x = render_rows(rows, len(segments) * step / CLOCK)[:, 0]
    amps = []
    for k in range(len(segments)):
        mid = (k * step + step // 2) * RATE // CLOCK
        amps.append(tone_amplitude(x[mid - 700 : mid + 700], 1024.0))
    expected = np.array([v for _, v in segments], float)
    unit = amps[0]
    print("\nzombie volumes heard:", " ".join(f"{a / unit:.2f}" for a in amps))
    np.testing.assert_allclose(np.array(amps) / unit, expected, rtol=0.02, atol=0.02)
