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
  Cost: W multiply-adds per side per change, in a loop LLVM vectorises (unsigned indices).
- **Box filter** (`box_run`), for channels stepping faster than that (wave and noise at high
  rates, pulses above Nyquist, of which only the average survives band-limiting): each output
  sample gets the channel's *average* over that sample's period (the window [n - 1/2, n + 1/2)
  samples), computed in O(1) from prefix sums of the channel's repeating sequence (duty pattern,
  wave RAM, LFSR cycle), so its cost follows the output samples, not the steps. It is the same
  as adding each step with a 2-tap (linear) kernel, so both kinds mix freely; its aliasing is
  that of a box filter (the price for fast noise costing O(1) per sample). Whole windows
  count time in exact integers (units of 1 / (2 * rate) T-cycle), so a step at the end of a
  run is never taken twice or lost to rounding.

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
    if base >= 0:
        # Unsigned indices: numba then skips its negative-index wrap-around test, which would
        # keep LLVM from vectorising the loop (about 5x faster).
        ub = np.uint64(base)
        uk = np.uint64(krow)
        for j in range(np.uint64(w)):
            k = kern[uk + j]
            dl_buf[ub + j] += k * dl
            dr_buf[ub + j] += k * dr
    else:  # only after a flush: rows before the origin are already output
        for j in range(-base, w):
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
def _box_windows(tab, dl_buf, dr_buf, seq_off, cum_off, length, scale, pos, rem, count, r,
                 a_steps, extra_u, step_lo, w_u, p_u, k_left, k_right):  # fmt: skip
    """`box_run`'s whole windows: `count` of them from delta row r on.

    Times are integers in units of 1 / (2 * rate) T-cycle (w_u: a window, p_u: a period; rem:
    from the window start to the next step), so the work carried from window to window is a few
    integer operations. Each window's first tap goes to its own row and its second is carried
    into the next row (returned as `carry`, for the row after the last). Returns (pos, rem,
    carry).
    """
    pf = float(p_u)
    inv_w = 1.0 / w_u
    step_hi = step_lo + p_u
    u_seq = np.uint64(seq_off)
    u_cum = np.uint64(cum_off)
    v = tab[u_seq + np.uint64(pos)] * scale
    carry = 0.0
    for _ in range(count):
        dep = carry
        carry = 0.0
        if rem < w_u:
            more = rem < extra_u
            m = a_steps + 1 if more else a_steps
            j = pos + m
            if j <= length:
                s = tab[u_cum + np.uint64(j)] - tab[u_cum + np.uint64(pos + 1)]
                pos = j if j < length else 0
            elif m < length:
                s = tab[u_cum + np.uint64(length)] - tab[u_cum + np.uint64(pos + 1)]
                s += tab[u_cum + np.uint64(j - length)]
                pos = j - length
            else:
                s = _seq_sum(tab, cum_off, length, pos, m)
                pos = j % length
            va = v
            v = tab[u_seq + np.uint64(pos)] * scale
            # (integral - va * W) / W over the window: the part of the change in this row
            last = float(w_u - rem - (m - 1) * p_u)  # from the last step to the window end
            w0 = ((v - va) * last + (scale * s - (m - 1) * va) * pf) * inv_w
            dep += w0
            carry = (v - va) - w0
            rem += step_hi if more else step_lo
        else:
            rem -= w_u
        if r >= 0:  # (row n is before the origin only after a flush)
            ur = np.uint64(r)
            dl_buf[ur] += np.float32(dep * k_left)
            dr_buf[ur] += np.float32(dep * k_right)
        r += 1
    return pos, rem, carry


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
    # Whole windows, in integer time units of 1 / (2 * rate) T-cycle, in which window n starts
    # at (2n - 1) * CLOCK_HZ exactly: the loop-carried work is then a few integer operations.
    rate2 = 2 * i[RATE_HZ]
    w_u = 2 * CLOCK_HZ  # a window
    p_u = rate2 * period_t  # a period
    a_steps = w_u // p_u
    extra_u = w_u - a_steps * p_u  # the first step before this: A + 1 steps in the window
    step_lo = a_steps * p_u - w_u  # how rem changes over a window of A steps
    end_u = rate2 * t1  # windows ending at or before this are whole
    ws_u = (2 * n - 1) * CLOCK_HZ
    rem = rate2 * (t0 + int(round(nx))) - ws_u  # from the window start to the next step
    count = (end_u - ws_u) // w_u if end_u > ws_u else 0
    if count > 0:
        r = n - i[BUF_ORIGIN]
        pos, rem, carry = _box_windows(
            st.tab, st.delta_l, st.delta_r, seq_off, cum_off, length, scale, pos, rem, count,
            r, a_steps, extra_u, step_lo, w_u, p_u, k_left, k_right,
        )  # fmt: skip
        r += count
        n += count
        ws_u += count * w_u
        if r >= 0:
            st.delta_l[r] += np.float32(carry * k_left)
            st.delta_r[r] += np.float32(carry * k_right)
        if r + 1 > i[BUF_HI]:
            i[BUF_HI] = r + 1
    # Back to T-cycles relative to t0 for the last, partial window.
    ws = (n - 0.5) * tps - t0
    nx = float((ws_u + rem) // rate2 - t0)  # (a whole number of T-cycles)
    pf = float(period_t)
    if ws < span:  # a partial last window
        if nx < span:
            pos, nx = _box_window(
                st, n, ws, ws, span, seq_off, cum_off, length, scale, pos, nx, pf, k_left, k_right
            )
    return pos, t0 + int(round(nx))


@apu_jit(fastmath={"contract"})  # fused multiply-adds: the filter is one mul-add chain
def finalize(st, n_final):
    """Integrate and high-pass the rows for samples before n_final into `out`; shift the rest.

    Rows are cleared as they are read; the few rows a band-limited step reaches past n_final
    move to the front. (Indices are unsigned so that numba leaves out its negative-index test.)
    """
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
    uo = np.uint64(o)
    # Two samples per turn: y[n + 1] = k^2 y[n - 1] + (k delta[n] + delta[n + 1]) halves the
    # chain of dependent multiply-adds that bounds this loop.
    k2 = k * k
    one = np.uint64(1)
    for h in range(np.uint64(keep >> 1)):
        r = h + h
        a0 = dl_buf[r]
        a1 = dl_buf[r + one]
        b0 = dr_buf[r]
        b1 = dr_buf[r + one]
        dl_buf[r] = 0.0
        dl_buf[r + one] = 0.0
        dr_buf[r] = 0.0
        dr_buf[r + one] = 0.0
        out[uo + r, 0] = y_l * k + a0
        out[uo + r, 1] = y_r * k + b0
        y_l = y_l * k2 + (a0 * k + a1)
        y_r = y_r * k2 + (b0 * k + b1)
        out[uo + r + one, 0] = y_l
        out[uo + r + one, 1] = y_r
    ukeep = np.uint64(keep)
    for r in range(np.uint64(keep & ~1), np.uint64(cnt)):  # an odd one; then no room: dropped
        if r < ukeep:
            out[uo + r, 0] = y_l * k + dl_buf[r]
            out[uo + r, 1] = y_r * k + dr_buf[r]
        y_l = y_l * k + dl_buf[r]
        y_r = y_r * k + dr_buf[r]
        dl_buf[r] = 0.0
        dr_buf[r] = 0.0
    f[Y_L] = y_l
    f[Y_R] = y_r
    i[OUT_N] = o + keep
    i[OUT_DROPPED] += cnt - keep
    hi = max(i[BUF_HI], cnt)
    rest = hi - cnt
    ucnt = np.uint64(cnt)
    for r in range(np.uint64(rest)):  # forwards: each source row lies after its destination
        dl_buf[r] = dl_buf[ucnt + r]
        dr_buf[r] = dr_buf[ucnt + r]
    for r in range(np.uint64(max(rest, cnt)), np.uint64(hi)):
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
