"""Lazy catch-up: each channel's waveform runs forward only when something needs it.

The four generators do not interact, so a channel is run up to time t (`advance_channel`) only
when its own output is about to change there: a write to one of its registers, a frame sequencer
edge that changes its volume, period or on/off state, a change of the mixer (NR50/NR51, power),
a wave RAM access (CH3), and at block boundaries, where every channel catches up and the output
before the boundary becomes final (synthic.apu.apu). Between those times a channel costs
nothing, so the work follows the notes rather than the writes to other channels.
"""

from __future__ import annotations

from synthic.apu.jit import apu_jit
from synthic.apu.noise import noise_advance
from synthic.apu.square import square_advance
from synthic.apu.state import ACTIVE, BOX_BELOW_T, NEXT_STEP_T, NOW_C, WAVE
from synthic.apu.wave import wave_advance


@apu_jit(inline="always")
def _run_channel(st, c, t0, t1):
    box = st.i[BOX_BELOW_T]
    if c < WAVE:
        square_advance(st, c, t0, t1)
    elif c == WAVE:
        wave_advance(st, t0, t1, box)
    else:
        noise_advance(st, t0, t1, box)


@apu_jit(inline="always")
def advance_channel(st, c, t_cycles):
    """Run channel c's waveform up to T-cycle t (steps before t)."""
    i = st.i
    t0 = i[NOW_C + c]
    if t_cycles > t0:
        if i[ACTIVE + c] and i[NEXT_STEP_T + c] < t_cycles:
            _run_channel(st, c, t0, t_cycles)
        i[NOW_C + c] = t_cycles


@apu_jit
def advance_one(st, c, t_cycles):
    """`advance_channel` as a plain call, for the rarer paths."""
    advance_channel(st, c, t_cycles)


@apu_jit
def advance_all(st, t_cycles):
    for c in range(4):
        advance_channel(st, c, t_cycles)
