"""The APU's observable state through its bus interface: reads, NR52, lengths, sweep, DIV, power.

Reference-free: every expected value follows from Pan Docs ("Audio", "Audio Registers", "Audio
Details") and the frame sequencer schedule (edges every 8192 T-cycles from t = 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic.apu import apu_div_reset, apu_new, apu_read, apu_run_until, apu_write
from synthic.apu.noise import lfsr_step
from synthic.apu.state import ENV_TIMER, FREQ, LENGTH, LFSR, READ_MASK, VOLUME
from tests.test_apu_support import ENVELOPE_EDGES_T, LENGTH_EDGES_T, SEQ_T, SWEEP_EDGES_T


def fresh(**kw):
    """A powered APU without synthesis (cheap), registers as after the renderer's start."""
    s = apu_new(initial="quiet", synthesize=False, **kw)
    for a, v in ((0xFF26, 0x80), (0xFF24, 0x77), (0xFF25, 0xFF)):
        apu_write(s, 0, a, v)
    return s


def nr52(s, t):
    return apu_read(s, t, 0xFF26)


def test_read_masks_after_writing_zeros_and_ones():
    s = fresh()
    for addr in range(0xFF10, 0xFF26):
        apu_write(s, 10, addr, 0x00)
    for addr in range(0xFF10, 0xFF26):
        assert apu_read(s, 20, addr) == READ_MASK[addr - 0xFF10], hex(addr)
    for addr in range(0xFF27, 0xFF30):
        assert apu_read(s, 20, addr) == 0xFF
    for addr in range(0xFF10, 0xFF26):
        apu_write(s, 30, addr, 0xFF)
    for addr in range(0xFF10, 0xFF26):
        assert apu_read(s, 40, addr) == 0xFF, hex(addr)


def test_boot_state_reads_like_pan_docs():
    s = apu_new(initial="boot", synthesize=False)
    expected = {0xFF10: 0x80, 0xFF11: 0xBF, 0xFF12: 0xF3, 0xFF13: 0xFF, 0xFF14: 0xBF}
    expected |= {0xFF16: 0x3F, 0xFF17: 0x00, 0xFF19: 0xBF, 0xFF1A: 0x7F, 0xFF1C: 0x9F}
    expected |= {0xFF1E: 0xBF, 0xFF21: 0x00, 0xFF22: 0x00, 0xFF23: 0xBF}
    expected |= {0xFF24: 0x77, 0xFF25: 0xF3, 0xFF26: 0xF1}
    for addr, value in expected.items():
        assert apu_read(s, 0, addr) == value, hex(addr)
    assert apu_read(apu_new(initial="quiet"), 0, 0xFF26) == 0xF0
    assert apu_read(apu_new(initial="off"), 0, 0xFF26) == 0x70


def test_nr52_reports_triggered_channels_and_dac_off_clears_them():
    s = fresh()
    assert nr52(s, 0) == 0xF0
    apu_write(s, 100, 0xFF12, 0xF0)
    apu_write(s, 100, 0xFF14, 0x80)
    apu_write(s, 100, 0xFF17, 0xF0)
    apu_write(s, 100, 0xFF19, 0x80)
    apu_write(s, 100, 0xFF1A, 0x80)
    apu_write(s, 100, 0xFF1E, 0x80)
    apu_write(s, 100, 0xFF21, 0xF0)
    apu_write(s, 100, 0xFF23, 0x80)
    assert nr52(s, 200) == 0xFF
    apu_write(s, 300, 0xFF12, 0x00)  # DAC off: CH1 off
    apu_write(s, 300, 0xFF1A, 0x00)  # CH3 DAC off
    assert nr52(s, 400) == 0xFA
    apu_write(s, 500, 0xFF17, 0x08)  # volume 0 but increasing: the DAC stays on
    assert nr52(s, 600) == 0xFA
    apu_write(s, 700, 0xFF14, 0x80)  # a trigger with the DAC off does not turn CH1 on
    assert nr52(s, 800) == 0xFA


def test_writing_nr52_status_bits_does_nothing():
    s = fresh()
    apu_write(s, 10, 0xFF26, 0x8F)
    assert nr52(s, 20) == 0xF0


def test_length_expires_after_n_ticks_of_256_hz():
    s = fresh()
    apu_write(s, 1000, 0xFF16, 0x3C)  # length 64 - 60 = 4 ticks
    apu_write(s, 1000, 0xFF17, 0xF0)
    apu_write(s, 1000, 0xFF19, 0xC0)  # trigger, length enabled
    off_at = LENGTH_EDGES_T[3]  # the 4th length clock after t = 1000
    assert nr52(s, off_at - 1) & 0x02
    assert not nr52(s, off_at) & 0x02


def test_length_disabled_never_expires():
    s = fresh()
    apu_write(s, 0, 0xFF16, 0x3F)
    apu_write(s, 0, 0xFF17, 0xF0)
    apu_write(s, 0, 0xFF19, 0x80)
    assert nr52(s, 10 * CLOCK_SECOND) & 0x02


CLOCK_SECOND = 4_194_304


def test_wave_length_counts_256_ticks():
    s = fresh()
    apu_write(s, 100, 0xFF1A, 0x80)
    apu_write(s, 100, 0xFF1B, 0x00)  # 256 ticks: one second
    apu_write(s, 100, 0xFF1E, 0xC0)
    assert nr52(s, LENGTH_EDGES_T[255] - 1) & 0x04
    assert not nr52(s, LENGTH_EDGES_T[255]) & 0x04


def test_extra_length_clock_when_enabled_in_the_first_half():
    # Between edge 1 (step 0, lengths) and edge 2 (step 1, none): the next step does not clock
    # lengths, so enabling the length timer clocks it once at once (blargg's notes).
    s = fresh()
    t0 = SEQ_T + 500
    apu_write(s, t0, 0xFF16, 0x3C)  # 4 ticks
    apu_write(s, t0, 0xFF17, 0xF0)
    apu_write(s, t0, 0xFF19, 0xC0)
    later = [t for t in LENGTH_EDGES_T if t > t0]
    assert nr52(s, later[2] - 1) & 0x02
    assert not nr52(s, later[2]) & 0x02  # 3 more clocks, not 4
    assert s.i[LENGTH + 1] == 0


def test_trigger_with_expired_length_reloads_63_in_the_first_half():
    for after_edge, reload in ((100, 63), (SEQ_T + 100, 64)):
        s = fresh()
        apu_write(s, 100, 0xFF16, 0x3F)  # 1 tick
        apu_write(s, 100, 0xFF17, 0xF0)
        apu_write(s, 100, 0xFF19, 0xC0)
        assert not nr52(s, LENGTH_EDGES_T[0]) & 0x02
        assert s.i[LENGTH + 1] == 0
        # 100 T-cycles after a length step the next step is odd (no length clock): 64 - 1.
        apu_write(s, LENGTH_EDGES_T[0] + after_edge, 0xFF19, 0xC0)
        assert s.i[LENGTH + 1] == reload
        assert nr52(s, LENGTH_EDGES_T[0] + after_edge) & 0x02


def test_envelope_steps_at_64_hz():
    s = fresh()
    apu_write(s, 100, 0xFF17, 0xF1)  # volume 15, decreasing, every 64 Hz tick
    apu_write(s, 100, 0xFF19, 0x80)
    for j, t in enumerate(ENVELOPE_EDGES_T[:16]):
        apu_run_until(s, t - 1)
        assert s.i[VOLUME + 1] == max(15 - j, 0)
        apu_run_until(s, t)
        assert s.i[VOLUME + 1] == max(14 - j, 0)
    assert nr52(s, ENVELOPE_EDGES_T[20]) & 0x02  # volume 0 does not turn the channel off


def test_envelope_pace_3_and_increase_stops_at_15():
    s = fresh()
    apu_write(s, 100, 0xFF21, 0xCB)  # volume 12, increasing, every 3rd tick
    apu_write(s, 100, 0xFF23, 0x80)
    volumes = []
    for t in ENVELOPE_EDGES_T[:12]:
        apu_run_until(s, t)
        volumes.append(int(s.i[VOLUME + 3]))
    assert volumes == [12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15, 15]
    assert s.i[ENV_TIMER + 3] >= 1


def test_sweep_moves_the_period_at_128_hz():
    s = fresh()
    p = 0x500
    apu_write(s, 100, 0xFF10, 0x13)  # pace 1, adding, step 3: p += p >> 3
    apu_write(s, 100, 0xFF12, 0xF0)
    apu_write(s, 100, 0xFF13, p & 0xFF)
    apu_write(s, 100, 0xFF14, 0x80 | (p >> 8))
    expected = p
    for t in SWEEP_EDGES_T[:3]:
        apu_run_until(s, t - 1)
        assert s.i[FREQ] == expected
        expected += expected >> 3
        apu_run_until(s, t)
        assert s.i[FREQ] == expected
        # The check after writing back: 1620 + 202 = 1822 fits, 1822 + 227 = 2049 does not.
        assert bool(nr52(s, t) & 0x01) == (expected + (expected >> 3) <= 2047)
    assert not nr52(s, SWEEP_EDGES_T[2]) & 0x01


def test_sweep_overflow_turns_ch1_off():
    s = fresh()
    apu_write(s, 100, 0xFF10, 0x11)  # pace 1, adding, step 1
    apu_write(s, 100, 0xFF12, 0xF0)
    apu_write(s, 100, 0xFF13, 0x00)
    apu_write(s, 100, 0xFF14, 0x84)  # p = 0x400: first iteration 0x600, its check 0x900 > 7FF
    assert nr52(s, SWEEP_EDGES_T[0] - 1) & 0x01
    assert not nr52(s, SWEEP_EDGES_T[0]) & 0x01
    # The check on trigger: p + p/2 > 2047 turns CH1 off at once.
    apu_write(s, 200_000, 0xFF13, 0xF0)
    apu_write(s, 200_000, 0xFF14, 0x87)
    assert not nr52(s, 200_001) & 0x01


def test_sweep_negate_quirk():
    s = fresh()
    apu_write(s, 100, 0xFF10, 0x19)  # pace 1, subtracting, step 1: a calculation on trigger
    apu_write(s, 100, 0xFF12, 0xF0)
    apu_write(s, 100, 0xFF13, 0x00)
    apu_write(s, 100, 0xFF14, 0x84)
    assert nr52(s, 200) & 0x01
    apu_write(s, 300, 0xFF10, 0x11)  # clearing negate after a subtracting calculation: off
    assert not nr52(s, 400) & 0x01
    # No calculation yet (step 0 on trigger): clearing negate is harmless.
    apu_write(s, 500, 0xFF10, 0x18)
    apu_write(s, 500, 0xFF14, 0x84)
    apu_write(s, 600, 0xFF10, 0x10)
    assert nr52(s, 700) & 0x01


def test_div_write_clocks_the_sequencer_when_bit_4_is_set():
    for div_t, off_at in ((5000, 5000), (2000, 2000 + SEQ_T)):
        s = fresh()
        apu_write(s, 100, 0xFF16, 0x3F)  # one tick
        apu_write(s, 100, 0xFF17, 0xF0)
        apu_write(s, 100, 0xFF19, 0xC0)
        apu_div_reset(s, div_t)  # DIV bit 4 (counter bit 12) is set at t = 4096..8191
        assert bool(nr52(s, off_at - 1) & 0x02) == (off_at > div_t)
        assert not nr52(s, off_at) & 0x02


def test_power_off_clears_registers_and_ignores_writes():
    s = fresh()
    apu_write(s, 10, 0xFF12, 0xF3)
    apu_write(s, 10, 0xFF14, 0x80)
    apu_write(s, 10, 0xFF30, 0x5A)
    apu_write(s, 20, 0xFF26, 0x00)
    assert nr52(s, 30) == 0x70
    for addr in range(0xFF10, 0xFF26):
        assert apu_read(s, 30, addr) == READ_MASK[addr - 0xFF10], hex(addr)
    apu_write(s, 40, 0xFF12, 0xF0)  # ignored while off
    apu_write(s, 40, 0xFF24, 0x77)
    assert apu_read(s, 50, 0xFF12) == 0x00
    assert apu_read(s, 50, 0xFF24) == 0x00
    assert apu_read(s, 50, 0xFF30) == 0x5A  # wave RAM survives and stays writable
    apu_write(s, 60, 0xFF31, 0xA5)
    assert apu_read(s, 70, 0xFF31) == 0xA5


def test_dmg_length_timers_are_writable_while_off():
    s = fresh()
    apu_write(s, 10, 0xFF26, 0x00)
    apu_write(s, 20, 0xFF16, 0x3E)  # 2 ticks, written while off
    apu_write(s, 30, 0xFF26, 0x80)
    apu_write(s, 40, 0xFF17, 0xF0)
    apu_write(s, 40, 0xFF19, 0xC0)
    assert s.i[LENGTH + 1] == 2
    assert nr52(s, LENGTH_EDGES_T[1] - 1) & 0x02
    assert not nr52(s, LENGTH_EDGES_T[1]) & 0x02


def test_power_on_restarts_the_frame_sequencer_at_step_0():
    s = fresh()
    apu_write(s, 100, 0xFF26, 0x00)
    t_on = 3 * SEQ_T + 100
    apu_write(s, t_on, 0xFF26, 0x80)
    apu_write(s, t_on, 0xFF17, 0xF1)
    apu_write(s, t_on, 0xFF19, 0x80)
    first_envelope = 4 * SEQ_T + 7 * SEQ_T  # step 7 is the 8th edge after power-on
    apu_run_until(s, first_envelope - 1)
    assert s.i[VOLUME + 1] == 15
    apu_run_until(s, first_envelope)
    assert s.i[VOLUME + 1] == 14


def test_zombie_mode_volume_writes():
    s = fresh()
    apu_write(s, 10, 0xFF17, 0x08)  # volume 0, increasing, pace 0
    apu_write(s, 10, 0xFF19, 0x80)
    for n in range(1, 6):
        apu_write(s, 10 + n, 0xFF17, 0x08)  # +1 each (old pace 0, envelope running)
        assert s.i[VOLUME + 1] == n
    apu_write(s, 20, 0xFF17, 0x00 | 0x10)  # direction flips: v = 16 - (v + 1) ... low 4 bits
    assert s.i[VOLUME + 1] == (16 - (5 + 1)) & 15


def test_wave_ram_is_blocked_while_ch3_plays_except_when_it_reads():
    s = fresh()
    for k in range(16):
        apu_write(s, 0, 0xFF30 + k, 0x11 * k)
    p = 0x700  # a read every 2 * 256 = 512 T-cycles
    apu_write(s, 0, 0xFF1A, 0x80)
    apu_write(s, 0, 0xFF1D, p & 0xFF)
    apu_write(s, 0, 0xFF1E, 0x80 | (p >> 8))
    first_read = 512 + 4  # one period plus the trigger delay
    assert apu_read(s, 100, 0xFF35) == 0xFF
    # In the M-cycle of a read the CPU reaches the byte CH3 reads (sample 1: byte 0).
    assert apu_read(s, first_read - 2, 0xFF35) == 0x00
    third_read = first_read + 2 * 512  # sample 3: byte 1
    assert apu_read(s, third_read - 1, 0xFF3F) == 0x11
    apu_write(s, first_read + 50, 0xFF30, 0x99)  # lost
    apu_write(s, first_read + 60, 0xFF1A, 0x00)  # CH3 off: wave RAM is free
    assert apu_read(s, first_read + 70, 0xFF30) == 0x00


def test_lfsr_periods():
    for narrow, period in ((True, 127), (False, 32767)):
        start = 0
        lfsr = start
        seen_start = []
        for k in range(1, period + 1):
            lfsr = lfsr_step(lfsr, narrow)
            if (lfsr & (0x7F if narrow else 0x7FFF)) == start:
                seen_start.append(k)
        assert seen_start == [period]


def test_lfsr_jump_matches_stepping():
    s = apu_new(synthesize=False)
    rng = np.random.default_rng(1)
    from synthic.apu.noise import lfsr_jump

    for _ in range(200):
        lfsr = int(rng.integers(0, 0x8000))
        narrow = bool(rng.integers(0, 2))
        n = int(rng.integers(0, 400))
        expect = lfsr
        for _k in range(n):
            expect = lfsr_step(expect, narrow)
        assert lfsr_jump(s, lfsr, narrow, n) == expect, (hex(lfsr), narrow, n)


def test_noise_trigger_resets_the_lfsr():
    s = fresh()
    apu_write(s, 0, 0xFF21, 0xF0)
    apu_write(s, 0, 0xFF22, 0x00)
    apu_write(s, 0, 0xFF23, 0x80)
    apu_write(s, 5000, 0xFF23, 0x80)  # CH4 runs up to here, then restarts
    assert s.i[LFSR] == 0


REGS = [0xFF10, 0xFF11, 0xFF12, 0xFF13, 0xFF14, 0xFF16, 0xFF17, 0xFF18, 0xFF19, 0xFF1A]
REGS += [0xFF1B, 0xFF1C, 0xFF1D, 0xFF1E, 0xFF20, 0xFF21, 0xFF22, 0xFF23, 0xFF24, 0xFF25]
REGS += [0xFF26, 0xFF30, 0xFF3F]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30_000), st.sampled_from(REGS), st.integers(0, 255)),
        min_size=1,
        max_size=60,
    )
)
def test_synthesis_off_keeps_the_same_observable_state(rows):
    """Emulation without audio must not change what a game can observe."""
    a = apu_new(initial="quiet", synthesize=True, out_capacity=4096)
    b = apu_new(initial="quiet", synthesize=False)
    t = 0
    for dt, addr, value in rows:
        t += dt
        for s in (a, b):
            apu_write(s, t, addr, value)
        if addr in (0xFF26, 0xFF14):  # sample the status now and then
            assert nr52(a, t + 1) == nr52(b, t + 1)
    for addr in range(0xFF10, 0xFF40):
        assert apu_read(a, t + 70_000, addr) == apu_read(b, t + 70_000, addr), hex(addr)
    keys = (LENGTH, VOLUME, FREQ)
    for k in keys:
        assert list(a.i[k : k + 4]) == list(b.i[k : k + 4])


def test_times_must_not_go_backwards_in_render():
    from synthic.apu import render
    from synthic.errors import SynthicError

    with pytest.raises(SynthicError):
        render(np.array([10, 5]), np.array([0xFF12, 0xFF12]), np.array([0, 0]), 1000)
    with pytest.raises(SynthicError):
        render(np.array([0]), np.array([0xFF05]), np.array([0]), 1000)
    with pytest.raises(SynthicError):
        render(np.array([0]), np.array([0xFF12]), np.array([300]), 1000)


def test_streaming_output_for_the_emulator():
    """apu_take_samples hands out finished samples; a full buffer counts what it drops."""
    from synthic.apu import apu_take_samples
    from synthic.apu.state import OUT_DROPPED

    s = apu_new(initial="quiet", out_capacity=5000)
    apu_write(s, 0, 0xFF17, 0xF0)
    apu_write(s, 0, 0xFF19, 0x87)
    got = []
    dest = np.zeros((1000, 2), np.float32)
    t = 0
    while t < 4_194_304 // 10:
        t += 70_224  # one video frame
        apu_run_until(s, t)
        n = apu_take_samples(s, dest)
        got.append(dest[:n].copy())
    audio = np.concatenate(got)
    # Samples are final once the APU has run a block (2048 samples) past them.
    assert 4410 - 2 * 2048 <= len(audio) <= 4410
    assert s.i[OUT_DROPPED] == 0
    assert np.abs(audio).max() > 0.05
    apu_run_until(s, 4_194_304)  # nobody takes samples for 0.9 s: the buffer overflows
    assert s.i[OUT_DROPPED] > 30_000
