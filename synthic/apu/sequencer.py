"""FrameSequencer: the DIV-APU counter that clocks lengths, the sweep and the envelopes.

DIV is the high byte of a 16-bit counter that counts T-cycles; each time DIV bit 4 (counter bit
12) falls, every 8192 T-cycles (512 Hz), the sequencer takes one step (Pan Docs "Audio Details",
DIV-APU; step table from blargg's notes):

    step      0    1    2    3    4    5    6    7
    length    x         x         x         x           256 Hz
    sweep               x                   x           128 Hz
    envelope                                     x       64 Hz

Writing DIV resets the counter; if bit 12 was set that is a falling edge too, which clocks the
sequencer early. Powering the APU on makes step 0 the next one; if DIV bit 4 is set at that
moment the first edge is ignored (SameBoy). While the APU is off the sequencer does not step.

Each edge updates the counters at once (they are observable: NR52), but runs a channel's waveform
up to the edge (`advance_channel`) only when the edge changes that channel's output: a length
timer expiring, an envelope step, a sweep iteration.

Length: the timer counts down only while enabled; at 0 the channel turns off. Envelope: the
timer counts 64 Hz ticks (a pace of 0 counts as 8); when it runs out and NRx2's pace is non-zero
the volume moves one step unless that would leave 0-15, which stops the envelope until the next
trigger. Sweep: see synthic.apu.square.
"""

from __future__ import annotations

import numpy as np

from synthic.apu.advance import advance_one
from synthic.apu.channel import nrx, refresh_at
from synthic.apu.jit import apu_jit
from synthic.apu.square import sweep_calc, sweep_write_back
from synthic.apu.state import (
    ACTIVE,
    DIV_BIT4_MASK,
    DIV_ORIGIN_T,
    ENV_RUNNING,
    ENV_TIMER,
    IO,
    LENGTH,
    LENGTH_ON,
    NR10,
    POWER,
    SEQ_NEXT_T,
    SEQ_SKIP,
    SEQ_STEP,
    SEQUENCER_PERIOD_T,
    SQUARE1,
    SWEEP_ENABLED,
    SWEEP_TIMER,
    VOLUME,
)


@apu_jit(inline="always")
def div_counter(st, t_cycles):
    """DIV's internal 16-bit counter at t (DIV itself is its high byte)."""
    return (t_cycles - st.i[DIV_ORIGIN_T]) & 0xFFFF


@apu_jit
def _length_edge(st, t_cycles):
    """256 Hz: every enabled length timer counts down; at 0 its channel turns off."""
    i = st.i
    for c in range(4):
        if i[LENGTH_ON + c] and i[LENGTH + c] > 0:
            if i[LENGTH + c] == 1 and i[ACTIVE + c]:
                advance_one(st, c, t_cycles)
                i[ACTIVE + c] = 0
                refresh_at(st, c, t_cycles)
            i[LENGTH + c] -= 1
            if i[LENGTH + c] == 0:
                i[ACTIVE + c] = 0


@apu_jit
def _sweep_iteration(st, t_cycles):
    """The CH1 sweep timer ran out: reload it; an iteration may change the period or stop CH1."""
    i = st.i
    nr10 = i[IO + NR10]
    pace = (nr10 >> 4) & 7
    i[SWEEP_TIMER] = pace if pace else 8
    if i[SWEEP_ENABLED] and pace:
        advance_one(st, np.int64(SQUARE1), t_cycles)
        new = sweep_calc(st)
        if new <= 2047 and (nr10 & 7):
            sweep_write_back(st, new)
            sweep_calc(st)
        refresh_at(st, np.int64(SQUARE1), t_cycles)


@apu_jit
def _envelope_edge(st, t_cycles):
    """64 Hz: the envelope timers of CH1, CH2 and CH4."""
    i = st.i
    for c in range(4):
        if c == 2:
            continue
        nrx2 = i[IO + nrx(c, 2)]
        period = nrx2 & 7
        i[ENV_TIMER + c] -= 1
        if i[ENV_TIMER + c] <= 0:
            i[ENV_TIMER + c] = period if period else 8
            if period and i[ENV_RUNNING + c]:
                v = i[VOLUME + c] + (1 if nrx2 & 8 else -1)
                if 0 <= v <= 15:
                    advance_one(st, c, t_cycles)
                    i[VOLUME + c] = v
                    refresh_at(st, c, t_cycles)
                else:
                    i[ENV_RUNNING + c] = 0


@apu_jit(inline="always")
def div_apu_edge(st, t_cycles):
    """DIV bit 4 fell at t: one frame sequencer step (unless off or skipped)."""
    i = st.i
    if i[POWER] == 0:
        return
    if i[SEQ_SKIP]:
        i[SEQ_SKIP] = 0
        return
    step = i[SEQ_STEP]
    if (step & 1) == 0 and (i[LENGTH_ON] | i[LENGTH_ON + 1] | i[LENGTH_ON + 2] | i[LENGTH_ON + 3]):
        _length_edge(st, t_cycles)
    if step == 2 or step == 6:
        i[SWEEP_TIMER] -= 1
        if i[SWEEP_TIMER] <= 0:
            _sweep_iteration(st, t_cycles)
    if step == 7:
        _envelope_edge(st, t_cycles)
    i[SEQ_STEP] = (step + 1) & 7


@apu_jit(inline="always")
def div_reset(st, t_cycles):
    """DIV written at t (the caller has run the APU up to t)."""
    i = st.i
    if div_counter(st, t_cycles) & DIV_BIT4_MASK:
        div_apu_edge(st, t_cycles)
    i[DIV_ORIGIN_T] = t_cycles
    i[SEQ_NEXT_T] = t_cycles + SEQUENCER_PERIOD_T


@apu_jit(inline="always")
def sequencer_power_on(st, t_cycles):
    i = st.i
    i[SEQ_STEP] = 0
    i[SEQ_SKIP] = 1 if div_counter(st, t_cycles) & DIV_BIT4_MASK else 0
