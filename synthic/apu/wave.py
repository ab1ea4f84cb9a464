"""Wave: CH3 (NR30-NR34) playing the 32 4-bit samples of wave RAM (FF30-FF3F).

The period divider reads the next sample every 2 * (2048 - p) T-cycles, so the tone is
65536 / (2048 - p) Hz (Pan Docs "Audio Registers", NR33). The channel outputs the last sample it
read (`WAVE_BUFFER`, shifted right by NR32's level: 4 = mute, 0, 1, 2): a trigger sets the
position to 0 but keeps playing the old sample until the first read, which is sample 1 (Pan Docs
"Audio Details", Wave channel). The buffer is cleared when the APU is powered on.

Wave RAM while CH3 plays (DMG): the CPU reaches it only in the M-cycle in which CH3 reads it,
and then gets the byte CH3 is reading; otherwise reads give FF and writes are lost (Pan Docs
"Audio Registers", FF30-FF3F). Accesses carry the T-cycle at which their M-cycle starts, so an
access at t succeeds when CH3's next read falls in [t, t + 4). SameBoy models the same rule at
its own granularity; the exact window on hardware is not documented.
"""

from __future__ import annotations

import numpy as np

from synthic.apu.channel import dac_slope, set_level, wave_shift
from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    ACTIVE,
    BUF_HI,
    BUF_ORIGIN,
    DAC,
    FREQ,
    IO,
    KERNEL_W,
    NEXT_STEP_T,
    OUTPUT,
    POS,
    RATE_HZ,
    SYNTH,
    TAB_WAVE_CUM,
    TAB_WAVE_SEQ,
    WAVE,
    WAVE_BUFFER,
    WAVE_DIRTY,
    WAVE_FETCH_T,
    WAVE_RAM,
)
from synthic.apu.synth import add_step, blep, box_run


@apu_jit(inline="always")
def wave_sample(st, index):
    """Wave RAM sample 0-31 (high nibble of each byte first)."""
    b = st.i[IO + WAVE_RAM + (index >> 1)]
    return (b >> 4) & 15 if (index & 1) == 0 else b & 15


@apu_jit(inline="always")
def wave_period_t(st):
    return 2 * (2048 - st.i[FREQ + WAVE])


@apu_jit
def _rebuild(st):
    shift = wave_shift(st)
    tab = st.tab
    tab[TAB_WAVE_CUM] = 0
    for j in range(32):
        tab[TAB_WAVE_SEQ + j] = wave_sample(st, j) >> shift
        tab[TAB_WAVE_CUM + j + 1] = tab[TAB_WAVE_CUM + j] + tab[TAB_WAVE_SEQ + j]
    st.i[WAVE_DIRTY] = 0


@apu_jit(fastmath={"contract"})
def wave_advance(st, t0, t1, box_below_t):
    """Run CH3 (active, with a read before t1) over [t0, t1), registers constant."""
    i = st.i
    nt = i[NEXT_STEP_T + WAVE]
    period = wave_period_t(st)
    shift = wave_shift(st)
    k_l, k_r = dac_slope(st, WAVE)
    pos = i[POS + WAVE]
    if i[SYNTH] == 0 or shift == 4 or (k_l == 0.0 and k_r == 0.0):
        n = (t1 - 1 - nt) // period + 1
        pos = (pos + n) & 31
        nt += n * period
    elif period >= box_below_t:
        d = i[OUTPUT + WAVE]
        kern, dl_buf, dr_buf = st.kernel, st.delta_l, st.delta_r
        w, rate, origin = i[KERNEL_W], i[RATE_HZ], i[BUF_ORIGIN]
        end = 0
        while nt < t1:
            pos = (pos + 1) & 31
            nd = wave_sample(st, pos) >> shift
            if nd != d:
                dd = nd - d
                end = add_step(kern, dl_buf, dr_buf, w, rate, origin, nt, k_l * dd, k_r * dd)
                d = nd
            nt += period
        if end > i[BUF_HI]:
            i[BUF_HI] = end
    else:
        if i[WAVE_DIRTY]:
            _rebuild(st)
        seq = st.tab[TAB_WAVE_SEQ + pos]
        # The buffer holds sample `pos` except right after a trigger: take that first read alone.
        if (i[WAVE_BUFFER] >> shift) != seq:
            pos = (pos + 1) & 31
            nd = st.tab[TAB_WAVE_SEQ + pos]
            d = i[OUTPUT + WAVE]
            blep(st, nt, k_l * (nd - d), k_r * (nd - d))
            nt += period
        if nt < t1:
            seq, cum, one = np.int64(TAB_WAVE_SEQ), np.int64(TAB_WAVE_CUM), np.int64(1)
            pos, nt = box_run(st, seq, cum, np.int64(32), one, pos, nt, period, nt, t1, k_l, k_r)
    i[POS + WAVE] = pos
    i[NEXT_STEP_T + WAVE] = nt
    i[WAVE_FETCH_T] = nt - period
    i[WAVE_BUFFER] = wave_sample(st, pos)
    set_level(st, WAVE, i[WAVE_BUFFER] >> shift)


@apu_jit
def wave_trigger(st, t_cycles):
    i = st.i
    if i[DAC + WAVE]:
        i[ACTIVE + WAVE] = 1
    i[POS + WAVE] = 0
    i[NEXT_STEP_T + WAVE] = t_cycles + wave_period_t(st) + 4


@apu_jit(inline="always")
def wave_ram_index(st, t_cycles, index):
    """The wave RAM byte an access to FF30 + index reaches at t, or -1 if it is blocked (DMG)."""
    i = st.i
    if i[ACTIVE + WAVE] == 0:
        return index
    if i[NEXT_STEP_T + WAVE] < t_cycles + 4:
        return ((i[POS + WAVE] + 1) & 31) >> 1
    return -1
