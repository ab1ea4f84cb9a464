"""Square: the two pulse channels (CH1 NR10-NR14 with the sweep, CH2 NR21-NR24).

The period divider steps the duty position (0-7) every 4 * (2048 - p) T-cycles, so the tone is
131072 / (2048 - p) Hz (Pan Docs "Audio Registers", NR13). A new period takes effect at the next
step (the divider reloads on overflow). The position survives triggers and is reset only by
powering the APU on. A trigger reloads the divider, so the first step comes one period later,
plus a few T-cycles (8 from off, 4 while playing; SameBoy's timing), and a channel started from
off outputs 0 until that step (Pan Docs "Audio Details", Pulse channels).

Sweep (CH1, Pan Docs "Audio Details", Pulse channel with sweep): on trigger the shadow period is
copied from p, the timer reloaded (pace 0 counts as 8), the unit enabled if pace or step is
non-zero, and if the step is non-zero a calculation runs at once (overflow above 2047 turns the
channel off). At each 128 Hz tick the timer counts down; when it runs out with the unit enabled
and pace non-zero, the new period is calculated; if it fits and the step is non-zero it is
written to the shadow and to p, and calculated again for the overflow check only. The negate
quirk: clearing NR10's direction bit after a subtracting calculation since the trigger turns the
channel off (blargg's notes, `nr10_write`).
"""

from __future__ import annotations

import numpy as np

from synthic.apu.channel import dac_slope, digital_output, nrx, set_level
from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    ACTIVE,
    BUF_HI,
    BUF_ORIGIN,
    DAC,
    FREQ,
    IO,
    KERNEL_W,
    MUTED,
    NEXT_STEP_T,
    NR10,
    OUTPUT,
    POS,
    RATE_HZ,
    SQUARE1,
    SWEEP_ENABLED,
    SWEEP_NEGATED,
    SWEEP_SHADOW,
    SWEEP_TIMER,
    SYNTH,
    T_PER_SAMPLE,
    TAB_DUTY,
    TAB_DUTY_CUM,
    VOLUME,
)
from synthic.apu.synth import add_step, blep, box_run


@apu_jit(inline="always")
def square_period_t(st, c):
    """T-cycles per duty step."""
    return 4 * (2048 - st.i[FREQ + c])


@apu_jit(fastmath={"contract"})
def square_advance(st, c, t0, t1):
    """Run pulse channel c (active, with a step before t1) over [t0, t1), registers constant."""
    i = st.i
    tab = st.tab
    nt = i[NEXT_STEP_T + c]
    period = square_period_t(st, c)
    vol = i[VOLUME + c]
    k_l, k_r = dac_slope(st, c)
    if i[SYNTH] == 0 or vol == 0 or (k_l == 0.0 and k_r == 0.0):
        n = (t1 - 1 - nt) // period + 1
        i[POS + c] = (i[POS + c] + n) & 7
        i[NEXT_STEP_T + c] = nt + n * period
        i[MUTED + c] = 0
        set_level(st, c, digital_output(st, c))
        return
    duty = i[IO + nrx(c, 1)] >> 6
    pattern = TAB_DUTY + 8 * duty
    d = i[OUTPUT + c]
    pos = i[POS + c]
    if 8 * period >= 2.0 * st.f[T_PER_SAMPLE]:
        # At most Nyquist: every edge as a band-limited step (two per period).
        kern, dl_buf, dr_buf = st.kernel, st.delta_l, st.delta_r
        w, rate, origin = i[KERNEL_W], i[RATE_HZ], i[BUF_ORIGIN]
        end = 0
        while nt < t1:
            pos = (pos + 1) & 7
            nd = tab[pattern + pos] * vol
            if nd != d:
                dd = nd - d
                end = add_step(kern, dl_buf, dr_buf, w, rate, origin, nt, k_l * dd, k_r * dd)
                d = nd
            nt += period
        if end > i[BUF_HI]:
            i[BUF_HI] = end
    else:
        # Above Nyquist only the average survives band-limiting: box-filter it.
        if i[MUTED + c]:
            pos = (pos + 1) & 7
            d = tab[pattern + pos] * vol
            blep(st, nt, k_l * d, k_r * d)
            nt += period
        if nt < t1:
            cum = TAB_DUTY_CUM + 9 * duty
            pos, nt = box_run(st, pattern, cum, np.int64(8), vol, pos, nt, period, nt, t1, k_l, k_r)
        d = tab[pattern + pos] * vol
    i[POS + c] = pos
    i[NEXT_STEP_T + c] = nt
    i[MUTED + c] = 0
    set_level(st, c, d)


@apu_jit(inline="always")
def sweep_calc(st):
    """The sweep's next period from the shadow; turns CH1 off on overflow (above 2047)."""
    i = st.i
    nr10 = i[IO + NR10]
    shadow = i[SWEEP_SHADOW]
    step = shadow >> (nr10 & 7)
    if nr10 & 8:
        new = shadow - step
        i[SWEEP_NEGATED] = 1
    else:
        new = shadow + step
    if new > 2047:
        i[ACTIVE + SQUARE1] = 0
    return new


@apu_jit(inline="always")
def sweep_write_back(st, new):
    """The sweep writes a new period to the shadow register and to NR13/NR14."""
    i = st.i
    i[SWEEP_SHADOW] = new
    i[FREQ + SQUARE1] = new
    i[IO + nrx(SQUARE1, 3)] = new & 0xFF
    i[IO + nrx(SQUARE1, 4)] = (i[IO + nrx(SQUARE1, 4)] & 0xF8) | (new >> 8)


@apu_jit(inline="always")
def nr10_write(st, old, value):
    """The negate quirk (CH1 already run up to t; the caller refreshes its level)."""
    i = st.i
    if i[SWEEP_NEGATED] and (old & 8) and not (value & 8):
        i[ACTIVE + SQUARE1] = 0


@apu_jit
def square_trigger(st, c, t_cycles):
    """NRx4 bit 7 (the length and envelope parts are done by the caller)."""
    i = st.i
    was_active = i[ACTIVE + c]
    if i[DAC + c]:
        i[ACTIVE + c] = 1
    i[NEXT_STEP_T + c] = t_cycles + square_period_t(st, c) + (4 if was_active else 8)
    if not was_active:
        i[MUTED + c] = 1
    if c == SQUARE1:
        nr10 = i[IO + NR10]
        i[SWEEP_SHADOW] = i[FREQ + c]
        pace = (nr10 >> 4) & 7
        i[SWEEP_TIMER] = pace if pace else 8
        i[SWEEP_ENABLED] = 1 if (nr10 & 0x77) else 0
        i[SWEEP_NEGATED] = 0
        if nr10 & 7:
            sweep_calc(st)


@apu_jit(inline="always")
def square_freq_write(st, c, x, value):
    """NRx3 (x = 3) / NRx4 (x = 4) period bits; take effect at the next step."""
    i = st.i
    p = i[FREQ + c]
    if x == 3:
        p = (p & 0x700) | value
    else:
        p = (p & 0xFF) | ((value & 7) << 8)
    i[FREQ + c] = p
