"""What the four channels share: DAC and mixer levels, the length timer, the volume envelope.

Levels. Channel c's generator outputs a digital value d (0-15, `OUTPUT`); its DAC, when on, maps
it to the analog (15 - 2d) / 15 (digital 0 is +1, 15 is -1; Pan Docs "Audio Details", DACs); a
DAC that is off outputs 0. The mixer adds the channel to a side when NR51 says so and scales each
side by NR50's volume + 1 (Pan Docs "Audio Registers", NR50/NR51). `GAIN_L/R[c]` hold that scale
(times the output gain and the solo/mute mask), `LEVEL_L/R[c]` the level last put into the delta
buffer; `refresh` adds the difference as a band-limited step whenever something changed.

Length timer (Pan Docs "Audio", Length timer; blargg's "Gameboy sound hardware", Obscure
Behavior): `LENGTH` counts the 256 Hz ticks left; at 0 the channel turns off. Writing NRx4 with
bit 6 going 0 -> 1 while the frame sequencer's next step does not clock lengths (an odd step)
clocks it once more; a trigger with the timer at 0 reloads 64 (CH3: 256), 63 (255) if that
extra clock applies.

Envelope (ticked by synthic.apu.sequencer): `ENV_TIMER` counts 64 Hz ticks (period 0 counts as
8); when it runs out and NRx2's pace is non-zero, the volume moves one step unless it would leave
0-15, which stops it until the next trigger. Writing NRx2 while the channel plays alters the
volume ("zombie mode", which drivers use to fade notes without retriggering); `zombie_write`
follows the rules in blargg's notes: +1 if the old pace was 0 and the envelope still runs, else
+2 if the old mode was decreasing; 16 - v if the direction flips; keep the low 4 bits.
"""

from __future__ import annotations

from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    ACTIVE,
    DAC,
    ENV_RUNNING,
    ENV_TIMER,
    GAIN_L,
    GAIN_R,
    IO,
    LENGTH,
    LENGTH_ON,
    LEVEL_L,
    LEVEL_R,
    LFSR,
    MIX_MASK,
    MUTED,
    NR32,
    NR50,
    NR51,
    OUT_GAIN,
    OUTPUT,
    POS,
    SEQ_STEP,
    SYNTH,
    TAB_DUTY,
    VOLUME,
    WAVE,
    WAVE_BUFFER,
)
from synthic.apu.synth import blep

WAVE_SHIFT = (4, 0, 1, 2)  # NR32 bits 5-6 -> right shift of the wave sample (0 = mute)


@apu_jit(inline="always")
def nrx(c, x):
    """Register offset of NRcx (x = 0-4) of channel c = 0-3 (add IO to index i)."""
    return 5 * c + x


@apu_jit(inline="always")
def wave_shift(st):
    return WAVE_SHIFT[(st.i[IO + NR32] >> 5) & 3]


@apu_jit(inline="always")
def digital_output(st, c):
    """The generator's current digital output (0-15) from the channel's state."""
    i = st.i
    if i[ACTIVE + c] == 0:
        return 0
    if c < 2:
        if i[MUTED + c]:
            return 0
        duty = i[IO + nrx(c, 1)] >> 6
        return st.tab[TAB_DUTY + 8 * duty + i[POS + c]] * i[VOLUME + c]
    if c == WAVE:
        return i[WAVE_BUFFER] >> wave_shift(st)
    return (i[LFSR] & 1) * i[VOLUME + c]


@apu_jit(inline="always")
def dac_slope(st, c):
    """(left, right) level change per +1 of digital output (-2/15 of the gain; 0 if DAC off)."""
    if st.i[DAC + c] == 0:
        return 0.0, 0.0
    return -2.0 * st.f[GAIN_L + c] / 15.0, -2.0 * st.f[GAIN_R + c] / 15.0


@apu_jit(inline="always")
def set_level(st, c, d):
    """Record that channel c's level now corresponds to digital output d (no buffer change)."""
    i = st.i
    f = st.f
    i[OUTPUT + c] = d
    if i[DAC + c]:
        f[LEVEL_L + c] = f[GAIN_L + c] * (15 - 2 * d) / 15.0
        f[LEVEL_R + c] = f[GAIN_R + c] * (15 - 2 * d) / 15.0
    else:
        f[LEVEL_L + c] = 0.0
        f[LEVEL_R + c] = 0.0


@apu_jit(inline="always")
def refresh(st, c, t_cycles):
    """Bring channel c's level up to date at t, adding any change as a band-limited step."""
    f = st.f
    old_l = f[LEVEL_L + c]
    old_r = f[LEVEL_R + c]
    set_level(st, c, digital_output(st, c))
    if st.i[SYNTH]:
        dl = f[LEVEL_L + c] - old_l
        dr = f[LEVEL_R + c] - old_r
        if dl != 0.0 or dr != 0.0:
            blep(st, t_cycles, dl, dr)


@apu_jit
def refresh_at(st, c, t_cycles):
    """`refresh` as a plain call, for the rarer paths (sequencer events, mixer writes)."""
    refresh(st, c, t_cycles)


@apu_jit(inline="always")
def set_gains(st):
    """Every channel's mixer gain from NR50, NR51 and the solo/mute mask (levels not updated)."""
    i = st.i
    f = st.f
    vol_l = ((i[IO + NR50] >> 4) & 7) + 1
    vol_r = (i[IO + NR50] & 7) + 1
    nr51 = i[IO + NR51]
    for c in range(4):
        heard = (i[MIX_MASK] >> c) & 1
        f[GAIN_L + c] = f[OUT_GAIN] * vol_l * ((nr51 >> (c + 4)) & 1) * heard
        f[GAIN_R + c] = f[OUT_GAIN] * vol_r * ((nr51 >> c) & 1) * heard


@apu_jit
def length_write_nrx4(st, c, value):
    """NRx4's length part (before any trigger): enable bit, the extra clock, the reload."""
    i = st.i
    full = 256 if c == WAVE else 64
    was_on = i[LENGTH_ON + c]
    now_on = (value >> 6) & 1
    i[LENGTH_ON + c] = now_on
    first_half = i[SEQ_STEP] & 1  # the next sequencer step does not clock lengths
    if first_half and not was_on and now_on and i[LENGTH + c] > 0:
        i[LENGTH + c] -= 1
        if i[LENGTH + c] == 0 and not (value & 0x80):
            i[ACTIVE + c] = 0
    if (value & 0x80) and i[LENGTH + c] == 0:
        i[LENGTH + c] = full - 1 if (now_on and first_half) else full


@apu_jit
def envelope_trigger(st, c):
    i = st.i
    nrx2 = i[IO + nrx(c, 2)]
    i[VOLUME + c] = nrx2 >> 4
    period = nrx2 & 7
    i[ENV_TIMER + c] = period if period else 8
    i[ENV_RUNNING + c] = 1


@apu_jit(inline="always")
def zombie_write(st, c, old, new):
    """NRx2 written while the channel plays, DAC staying on: the 'zombie mode' volume change."""
    i = st.i
    v = i[VOLUME + c]
    if (old & 7) == 0 and i[ENV_RUNNING + c]:
        v += 1
    elif not (old & 8):
        v += 2
    if (old ^ new) & 8:
        v = 16 - v
    i[VOLUME + c] = v & 15
