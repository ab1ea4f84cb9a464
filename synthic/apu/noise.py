"""Noise: CH4 (NR41-NR44), a linear-feedback shift register clocked at 262144 / (r * 2^s) Hz.

The LFSR (Pan Docs "Audio Details", Noise channel): at each clock the XNOR of bits 0 and 1 goes
into bit 15 (and bit 7 in 7-bit mode, NR43 bit 3), then the register shifts right; the channel
outputs the volume when the new bit 0 is 1, else 0. A trigger sets it to 0. The clock period is
(r ? 16 r : 8) << s T-cycles; with s = 14 or 15 it never clocks.

Skipping ahead. Both modes run through one cycle of states: 32,767 in 15-bit mode (the all-ones
state locks up), 127 of the low 7 bits in 7-bit mode (those bits evolve on their own; after 8
clocks bits 7-14 are copies of recent feedback bits, so the whole register is a function of the
position in the cycle, `n7_full`). Tables of the cycle, each state's position and prefix sums of
the output bits let the synthesiser jump n clocks or average the output over an output sample in
O(1), so a fast noise costs per output sample, not per clock. A slower noise is band-limited
step by step; the run-length tables (clocks until the output bit next changes) let that loop
visit only the clocks that change the output.
"""

from __future__ import annotations

import numpy as np

from synthic.apu.channel import dac_slope, set_level
from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    ACTIVE,
    BUF_HI,
    BUF_ORIGIN,
    DAC,
    IO,
    KERNEL_W,
    LFSR,
    NEXT_STEP_T,
    NOISE,
    NR43,
    OUTPUT,
    RATE_HZ,
    SYNTH,
    TAB_N7_BIT,
    TAB_N7_CUM,
    TAB_N7_FULL,
    TAB_N7_IDX,
    TAB_N7_RUN,
    TAB_N15_BIT,
    TAB_N15_CUM,
    TAB_N15_IDX,
    TAB_N15_RUN,
    TAB_N15_STATE,
    VOLUME,
    prefix_sums,
)
from synthic.apu.synth import add_step, box_run

PERIOD_15 = 32767
PERIOD_7 = 127


@apu_jit(inline="always")
def lfsr_step(lfsr, narrow):
    """One clock of the LFSR; narrow = 7-bit mode."""
    bit = ~(lfsr ^ (lfsr >> 1)) & 1
    mask = 0x4040 if narrow else 0x4000
    lfsr >>= 1
    if bit:
        return lfsr | mask
    return lfsr & ~mask


def make_noise_tables() -> dict[str, np.ndarray]:
    """The cycle tables: states, positions and output-bit prefix sums for both widths."""
    n15_state = np.empty(PERIOD_15, np.int32)
    state = 0
    for k in range(PERIOD_15):
        n15_state[k] = state
        bit = ~(state ^ (state >> 1)) & 1
        state = (state >> 1) | (bit << 14)
    assert state == 0, "the 15-bit LFSR is not maximal"
    n15_idx = np.full(1 << 15, -1, np.int32)
    n15_idx[n15_state] = np.arange(PERIOD_15, dtype=np.int32)
    n15_bit = (n15_state & 1).astype(np.int32)

    n7_low = np.empty(PERIOD_7, np.int32)
    state = 0
    for k in range(PERIOD_7):
        n7_low[k] = state
        bit = ~(state ^ (state >> 1)) & 1
        state = (state >> 1) | (bit << 6)
    assert state == 0, "the 7-bit LFSR is not maximal"
    n7_idx = np.full(128, -1, np.int32)
    n7_idx[n7_low] = np.arange(PERIOD_7, dtype=np.int32)
    n7_bit = (n7_low & 1).astype(np.int32)
    # Bit 7 + j of the whole register at position k is the feedback bit (bit 6 of the low
    # state) produced 7 - j clocks earlier.
    n7_full = n7_low.copy()
    for j in range(8):
        fed = (n7_low[(np.arange(PERIOD_7) - 7 + j) % PERIOD_7] >> 6) & 1
        n7_full |= fed << (7 + j)
    return {
        "n7_idx": (TAB_N7_IDX, n7_idx),
        "n7_bit": (TAB_N7_BIT, n7_bit),
        "n7_cum": (TAB_N7_CUM, prefix_sums(n7_bit)),
        "n7_full": (TAB_N7_FULL, n7_full),
        "n15_state": (TAB_N15_STATE, n15_state),
        "n15_bit": (TAB_N15_BIT, n15_bit),
        "n15_cum": (TAB_N15_CUM, prefix_sums(n15_bit)),
        "n15_idx": (TAB_N15_IDX, n15_idx),
        "n7_run": (TAB_N7_RUN, run_lengths(n7_bit)),
        "n15_run": (TAB_N15_RUN, run_lengths(n15_bit)),
    }


def run_lengths(bits: np.ndarray) -> np.ndarray:
    """For each position k of a cyclic bit sequence, the clocks until the bit differs from bit k."""
    period = len(bits)
    run = np.zeros(period, np.int32)
    # Walk backwards over two turns: a position whose successor differs has run 1, else one
    # more than its successor's.
    for k in range(2 * period - 1, -1, -1):
        j = k % period
        nxt = (j + 1) % period
        run[j] = 1 if bits[nxt] != bits[j] else run[nxt] + 1
    return run


@apu_jit
def lfsr_jump(st, lfsr, narrow, n):
    """The LFSR after n clocks."""
    if n < 16:
        for _ in range(n):
            lfsr = lfsr_step(lfsr, narrow)
        return lfsr
    tab = st.tab
    if narrow:
        k = tab[TAB_N7_IDX + (lfsr & 0x7F)]
        if k < 0:  # low 7 bits all ones: locked; the upper bits fill with ones too
            return 0x7FFF
        return tab[TAB_N7_FULL + (k + n) % PERIOD_7]
    k = tab[TAB_N15_IDX + lfsr]
    if k < 0:
        return lfsr
    return tab[TAB_N15_STATE + (k + n) % PERIOD_15]


@apu_jit(inline="always")
def noise_period_t(nr43):
    """T-cycles per LFSR clock, or 0 if it does not clock (shift 14 or 15)."""
    s = nr43 >> 4
    if s >= 14:
        return 0
    r = nr43 & 7
    return (16 * r if r else 8) << s


@apu_jit(fastmath={"contract"})
def noise_advance(st, t0, t1, box_below_t):
    """Run CH4 (active, with a clock before t1) over [t0, t1), registers constant."""
    i = st.i
    tab = st.tab
    nr43 = i[IO + NR43]
    period = noise_period_t(nr43)
    nt = i[NEXT_STEP_T + NOISE]
    if period == 0:
        i[NEXT_STEP_T + NOISE] = t1
        return
    narrow = (nr43 >> 3) & 1
    n = (t1 - 1 - nt) // period + 1
    lfsr = i[LFSR]
    vol = i[VOLUME + NOISE]
    k_l, k_r = dac_slope(st, NOISE)
    if i[SYNTH] == 0 or vol == 0 or (k_l == 0.0 and k_r == 0.0):
        lfsr = lfsr_jump(st, lfsr, narrow, n)
    elif period >= box_below_t:
        # Output bit changes only: the run-length table says how many clocks each one is away.
        if narrow:
            bit, run, length = TAB_N7_BIT, TAB_N7_RUN, PERIOD_7
            k = tab[TAB_N7_IDX + (lfsr & 0x7F)]
        else:
            bit, run, length = TAB_N15_BIT, TAB_N15_RUN, PERIOD_15
            k = tab[TAB_N15_IDX + lfsr]
        if k >= 0:  # (else the LFSR is locked: a constant output)
            d = i[OUTPUT + NOISE]
            kern, dl_buf, dr_buf = st.kernel, st.delta_l, st.delta_r
            w, rate, origin = i[KERNEL_W], i[RATE_HZ], i[BUF_ORIGIN]
            end = 0
            done = 0  # clocks taken
            while True:
                j = tab[run + k]
                if done + j > n:
                    break
                done += j
                k += j
                if k >= length:
                    k -= length
                nd = tab[bit + k] * vol
                dd = nd - d
                t = nt + (done - 1) * period
                end = add_step(kern, dl_buf, dr_buf, w, rate, origin, t, k_l * dd, k_r * dd)
                d = nd
            if end > i[BUF_HI]:
                i[BUF_HI] = end
        lfsr = lfsr_jump(st, lfsr, narrow, n)
    else:
        # (np.int64 everywhere: one compiled box_run for all channels, not one per constant)
        if narrow:
            seq, cum, length = np.int64(TAB_N7_BIT), np.int64(TAB_N7_CUM), np.int64(PERIOD_7)
            k = np.int64(tab[TAB_N7_IDX + (lfsr & 0x7F)])
        else:
            seq, cum, length = np.int64(TAB_N15_BIT), np.int64(TAB_N15_CUM), np.int64(PERIOD_15)
            k = np.int64(tab[TAB_N15_IDX + lfsr])
        if k >= 0:  # (else the LFSR is locked: a constant output)
            box_run(st, seq, cum, length, vol, k, nt, period, nt, t1, k_l, k_r)
        lfsr = lfsr_jump(st, lfsr, narrow, n)
    i[LFSR] = lfsr
    i[NEXT_STEP_T + NOISE] = nt + n * period
    set_level(st, NOISE, (lfsr & 1) * vol)


@apu_jit
def noise_trigger(st, t_cycles):
    i = st.i
    if i[DAC + NOISE]:
        i[ACTIVE + NOISE] = 1
    i[LFSR] = 0
    period = noise_period_t(i[IO + NR43])
    i[NEXT_STEP_T + NOISE] = t_cycles + (period if period else 8)
