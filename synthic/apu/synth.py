"""Band-limited synthesis: amplitude steps placed at their exact time, then integrated and filtered.

The APU's output is piecewise constant: it changes only when a channel's digital output, a DAC, the
panning (NR51) or the master volume (NR50) changes. So instead of producing 4,194,304 values per
second, each change of a channel's level at T-cycle t is added to buffers of *differences*
(`delta_l`, `delta_r`: one row per output sample), and the output is their running sum.
Two ways to add a change:

- **Band-limited step** (`blep`, `add_step`), for every register-driven change, every pulse edge
  below Nyquist and wave/noise steps at least BOX_BELOW_T apart (0.75 output samples by
  default): the change is spread over W = 16 rows with a band-limited step (a Kaiser-windowed
  sinc with its -6 dB point at 0.45 of the output rate, integrated) sampled at the change's
  sub-sample phase (one of PHASES = 256 per sample). Summed, the rows give the step as an ideal
  band-limited converter would sample it, so square waves do not alias (about -60 dB).
  Cost: W multiply-adds per side per change.
- **Box filter** (`box_run`), for channels stepping faster than that (wave and noise at high
  rates, pulses above Nyquist, of which only the average survives band-limiting): each output
  sample gets the channel's *average* over that sample's period (the window [n - 1/2, n + 1/2)
  samples), computed in O(1) from prefix sums of the channel's repeating sequence (duty pattern,
  wave RAM, LFSR cycle), so its cost follows the output samples, not the steps. It is the same
  as adding each step with a 2-tap (linear) kernel, so both kinds mix freely; its aliasing is
  that of a box filter (the price for fast noise costing O(1) per sample).

Output sample n is the signal at t = n * CLOCK / rate: both kinds are centred (no latency); a
band-limited step reaches W/2 - 1 rows back, so a row is final once the APU has run W/2 samples
past it. `finalize` then integrates final rows and applies the DMG high-pass filter, a capacitor
c losing a fraction of its charge per T-cycle (Pan Docs "Audio Details", Mixer): with x the
running sum, y = x - c and c <- x - y * k, k = 0.999958 ** (T-cycles per sample). Both together
are one leaky integrator, y[n] = k * y[n - 1] + delta[n] (float64 state).
"""

from __future__ import annotations

import numpy as np

from synthic.apu.jit import apu_jit
from synthic.apu.state import (
    BUF_HI,
    BUF_ORIGIN,
    CLOCK_BITS,
    CLOCK_HZ,
    HPF_K,
    KERNEL_W,
    OUT_CAP,
    OUT_DROPPED,
    OUT_N,
    PHASE_BITS,
    PHASES,
    RATE_HZ,
    T_PER_SAMPLE,
    Y_L,
    Y_R,
)

KERNEL_WIDTH = 16  # output samples a band-limited step spans (even)
KAISER_BETA = 6.0  # about 60 dB stop-band
CUTOFF = 0.45  # -6 dB point of the step's low-pass, in cycles per output sample (0.5 = Nyquist)


def make_kernel(width: int = KERNEL_WIDTH, cutoff: float = CUTOFF, beta: float = KAISER_BETA):
    """The band-limited step table, float32 (PHASES, width).

    Row p, column j is what a unit step at sub-sample phase p / PHASES (after sample k) adds to
    output row k - width/2 + 1 + j: the windowed-sinc step response s(x) differenced at the row
    times, each row normalised to sum to exactly 1 so a level never drifts.
    """
    half = width // 2
    fine = 64  # integration points per phase step
    n = width * PHASES * fine
    x = (np.arange(n + 1) / (PHASES * fine)) - half  # -half .. +half samples
    h = 2 * cutoff * np.sinc(2 * cutoff * x) * np.kaiser(n + 1, beta)
    s = np.concatenate([[0.0], np.cumsum((h[1:] + h[:-1]) * 0.5) / (PHASES * fine)])
    s /= s[-1]

    def step(u: np.ndarray) -> np.ndarray:
        idx = np.clip(np.round((u + half) * PHASES * fine).astype(np.int64), 0, n)
        return s[idx]

    table = np.empty((PHASES, width), np.float64)
    rows = np.arange(width) - half + 1  # row offsets from k
    for p in range(PHASES):
        frac = p / PHASES
        table[p] = step(rows - frac) - step(rows - 1 - frac)
        table[p, -1] += 1.0 - table[p].sum()
    return table.astype(np.float32)


@apu_jit(inline="always")
def sample_index(rate_hz, t_cycles):
    """floor(t * rate / CLOCK): the output sample at or before T-cycle t."""
    return (t_cycles * rate_hz) >> CLOCK_BITS


@apu_jit(inline="always")
def add_step(kern, dl_buf, dr_buf, w, rate, origin, t_cycles, d_left, d_right):
    """Add a level change at T-cycle t as a band-limited step; returns the row after its last tap.

    The arrays and scalars come from the caller (st.kernel, st.delta_l/r, i[KERNEL_W],
    i[RATE_HZ], i[BUF_ORIGIN]) so that loops over many steps keep them in registers.
    """
    x = t_cycles * rate
    phase = (x & (CLOCK_HZ - 1)) >> (CLOCK_BITS - PHASE_BITS)
    base = (x >> CLOCK_BITS) - origin - (w >> 1) + 1
    krow = phase * w
    dl = np.float32(d_left)
    dr = np.float32(d_right)
    first = 0 if base >= 0 else -base  # only after a flush: earlier rows are already output
    for j in range(first, w):
        k = kern[krow + j]
        dl_buf[base + j] += k * dl
        dr_buf[base + j] += k * dr
    return base + w


@apu_jit(inline="always")
def blep(st, t_cycles, d_left, d_right):
    """Add one level change (d_left, d_right) at T-cycle t as a band-limited step."""
    i = st.i
    end = add_step(
        st.kernel, st.delta_l, st.delta_r, i[KERNEL_W], i[RATE_HZ], i[BUF_ORIGIN], t_cycles,
        d_left, d_right,
    )  # fmt: skip
    if end > i[BUF_HI]:
        i[BUF_HI] = end


@apu_jit
def _seq_sum(tab, cum_off, length, pos, m):
    """Sum of the sequence at positions pos+1 .. pos+m-1 (cyclic); pos < length."""
    j = pos + m
    if j <= length:
        return tab[cum_off + j] - tab[cum_off + pos + 1]
    if m < length:
        return tab[cum_off + length] - tab[cum_off + pos + 1] + tab[cum_off + j - length]
    whole = (j // length) * tab[cum_off + length]
    return whole + tab[cum_off + j % length] - tab[cum_off + pos + 1]


@apu_jit
def _box_window(st, n, ws, ta, tb, seq_off, cum_off, length, scale, pos, nx, pf, kl, kr):
    """One window (or part [ta, tb) of window n starting at ws) with at least one step.

    Returns (pos, nx) after the steps in [nx, tb). Times are T-cycles relative to the run start.
    """
    tab = st.tab
    tps = st.f[T_PER_SAMPLE]
    va = tab[seq_off + pos] * scale
    # m = steps in [nx, tb): the smallest m with nx + m * pf >= tb.
    q = (tb - nx) / pf
    m = int(q)
    if m < q:
        m += 1
    if nx + (m - 1) * pf >= tb:
        m -= 1
    s = _seq_sum(tab, cum_off, length, pos, m)
    pos = (pos + m) % length
    v = tab[seq_off + pos] * scale
    integral = va * (nx - ta) + scale * s * pf + v * (tb - (nx + (m - 1) * pf))
    dsum = v - va
    w1 = (dsum * (tb - ws) - (integral - va * (tb - ta))) / tps
    _box_deposit(st, n, dsum - w1, w1, kl, kr)
    return pos, nx + m * pf


@apu_jit
def _box_deposit(st, n, w0, w1, kl, kr):
    """Add a window's two taps: w0 to output row n, w1 to row n + 1."""
    i = st.i
    r = n - i[BUF_ORIGIN]
    if r >= 0:
        st.delta_l[r] += np.float32(w0 * kl)
        st.delta_r[r] += np.float32(w0 * kr)
    if r >= -1:
        st.delta_l[r + 1] += np.float32(w1 * kl)
        st.delta_r[r + 1] += np.float32(w1 * kr)
    if r + 2 > i[BUF_HI]:
        i[BUF_HI] = r + 2


@apu_jit(fastmath={"contract"})
def box_run(st, seq_off, cum_off, length, scale, pos, next_t, period_t, t0, t1, k_left, k_right):
    """Advance a stepped channel over [t0, t1), adding its per-sample averages to the buffer.

    The channel outputs tab[seq_off + pos] * scale until next_t, then steps every period_t
    T-cycles (pos + 1, cyclic over `length`; tab[cum_off:] holds the prefix sums); steps at or
    after t1 are left for later. A change of the output by 1 changes the levels by
    (k_left, k_right). Returns (pos, next_t).

    Each step (dv at time tau in window n) counts as a 2-tap kernel: row n gets dv * (1 - frac),
    row n + 1 gets dv * frac, frac = (tau - window start) / window; per window both sums come
    from the integral of the output over the window. Whole windows in the middle take a
    division-free path: with W = window and P = period, a window holds A = floor(W / P) steps,
    or A + 1 if the first comes within W - A * P of its start.
    """
    i = st.i
    tab = st.tab
    tps = st.f[T_PER_SAMPLE]
    span = float(t1 - t0)
    nx = float(next_t - t0)
    pf = float(period_t)
    # Window n covers samples [n - 1/2, n + 1/2): find the one holding t0.
    n = (2 * t0 * i[RATE_HZ] + CLOCK_HZ) >> (CLOCK_BITS + 1)
    ws = (n - 0.5) * tps - t0
    we = ws + tps
    if ws < 0.0 or we > span:  # a partial first window
        tb = min(we, span)
        if nx < tb:
            pos, nx = _box_window(
                st, n, ws, 0.0, tb, seq_off, cum_off, length, scale, pos, nx, pf, k_left, k_right
            )
        if we >= span:
            return pos, t0 + int(round(nx))
        n += 1
        ws = we
        we = ws + tps
    a_steps = int(tps / pf)
    extra_below = tps - a_steps * pf  # first step before this: A + 1 steps
    inv_tps = 1.0 / tps
    wrap = a_steps + 1 >= length
    dl_buf = st.delta_l
    dr_buf = st.delta_r
    r = n - i[BUF_ORIGIN]
    v = tab[seq_off + pos] * scale
    rem = nx - ws  # from the window start to the next step
    while we <= span:
        if rem < tps:
            m = a_steps + 1 if rem < extra_below else a_steps
            if wrap:
                s = _seq_sum(tab, cum_off, length, pos, m)
                pos = (pos + m) % length
            else:
                j = pos + m
                if j <= length:
                    s = tab[cum_off + j] - tab[cum_off + pos + 1]
                    pos = j if j < length else 0
                else:
                    s = tab[cum_off + length] - tab[cum_off + pos + 1] + tab[cum_off + j - length]
                    pos = j - length
            va = v
            v = tab[seq_off + pos] * scale
            # integral - va * W, over the whole window
            excess = (v - va) * (tps - rem - (m - 1) * pf) + (scale * s - (m - 1) * va) * pf
            w0 = excess * inv_tps
            w1 = (v - va) - w0
            if r >= 0:
                dl_buf[r] += np.float32(w0 * k_left)
                dr_buf[r] += np.float32(w0 * k_right)
            if r >= -1:  # (row n - 1 is before the origin only after a flush)
                dl_buf[r + 1] += np.float32(w1 * k_left)
                dr_buf[r + 1] += np.float32(w1 * k_right)
            rem += m * pf
        rem -= tps
        r += 1
        n += 1
        ws = we
        we = ws + tps
    if r + 1 > i[BUF_HI]:
        i[BUF_HI] = r + 1
    nx = ws + rem
    if ws < span:  # a partial last window
        if nx < span:
            pos, nx = _box_window(
                st, n, ws, ws, span, seq_off, cum_off, length, scale, pos, nx, pf, k_left, k_right
            )
    return pos, t0 + int(round(nx))


@apu_jit(fastmath={"contract"})  # fused multiply-adds: the filter is one mul-add chain
def finalize(st, n_final):
    """Integrate and high-pass the rows for samples before n_final into `out`; shift the rest."""
    i = st.i
    f = st.f
    dl_buf = st.delta_l
    dr_buf = st.delta_r
    out = st.out
    cnt = n_final - i[BUF_ORIGIN]
    if cnt <= 0:
        return
    o = i[OUT_N]
    keep = min(cnt, max(i[OUT_CAP] - o, 0))
    # Integrator and capacitor in one: with x the running sum of the deltas and c the
    # capacitor, y = x - c obeys y[n] = k * y[n - 1] + delta[n] (a leaky integrator).
    y_l = f[Y_L]
    y_r = f[Y_R]
    k = f[HPF_K]
    for r in range(keep):
        y_l = y_l * k + dl_buf[r]
        y_r = y_r * k + dr_buf[r]
        out[o + r, 0] = y_l
        out[o + r, 1] = y_r
    for r in range(keep, cnt):  # no room left: run the filter, count the samples as dropped
        y_l = y_l * k + dl_buf[r]
        y_r = y_r * k + dr_buf[r]
    f[Y_L] = y_l
    f[Y_R] = y_r
    i[OUT_N] = o + keep
    i[OUT_DROPPED] += cnt - keep
    hi = max(i[BUF_HI], cnt)
    rest = hi - cnt
    for r in range(rest):
        dl_buf[r] = dl_buf[cnt + r]
        dr_buf[r] = dr_buf[cnt + r]
    for r in range(rest, hi):
        dl_buf[r] = 0.0
        dr_buf[r] = 0.0
    i[BUF_ORIGIN] += cnt
    i[BUF_HI] = rest


@apu_jit
def take_samples(st, dest):
    """Move up to len(dest) finished samples (float32 left, right) into dest; return the count."""
    i = st.i
    out = st.out
    n = min(i[OUT_N], dest.shape[0])
    for r in range(n):
        dest[r, 0] = out[r, 0]
        dest[r, 1] = out[r, 1]
    rest = i[OUT_N] - n
    for r in range(rest):
        out[r, 0] = out[n + r, 0]
        out[r, 1] = out[n + r, 1]
    i[OUT_N] = rest
    return n
