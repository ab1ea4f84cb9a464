"""Normalise a recording (drop writes that provably change nothing) and augment it.

`normalise(rec)` returns the recording without the writes that cannot change what the DMG sound
chip plays, with `NormaliseReport` (how many were dropped, by rule). It follows the register
behaviour of our APU model (synthic.apu.apu, after Pan Docs "Audio Registers" / "Audio Details"
for a DMG) and only drops a write when the rule below proves it a no-op; the tests render before
and after with `synthic.audio.render_recording` and require bit-identical samples.

The state a write is compared with is tracked from the recording itself; everything starts
*unknown* (the renderer's and a game's initial state differ), so the first write to each register
is always kept. A register's value becomes known when it is written (with the APU known to be on)
and becomes 0 when the APU is powered off (NR52 bit 7 cleared clears NR10-NR51).

Rules (a write is dropped when one holds):

- ``unused``: a write to FF15 (no NR20), FF1F (no NR40) or FF27-FF2F: no register there.
- ``power_off``: the APU is known to be off and the write is not to NR52, wave RAM or the length
  part of NR11/NR21/NR31/NR41 (the DMG ignores the rest while off; those are kept).
- ``power_same``: NR52 with the power bit it already has (turning on an APU that is on, or off
  one that is off, does nothing).
- ``same_value``: the register is known to hold the same value in every bit the hardware uses,
  and storing it has no side effect:
  NR10 (the negate quirk needs the direction bit to change), NR30 (DAC), NR32 (level), NR43,
  NR50, NR51; NRx3 frequency-low when the channel's period is known (for CH1 only while the
  sweep cannot write a new period back: NR10's pace or shift is 0 since NR13/NR14 were written);
  NRx4 without the trigger bit when frequency-high bits and length-enable are unchanged (no
  extra length clock: that needs enable to go 0 -> 1); NRx2 when the DAC is off (value & F8 = 0)
  or in increasing mode with a non-zero pace (bit 3 set, bits 0-2 non-zero): only then does a
  repeated write leave the volume alone in "zombie mode" (a decreasing or pace-0 envelope
  rewritten raises the volume of a playing channel, so those are always kept);
  NRx1 when the duty is unchanged and the length timer is known to still hold what that value
  loads (length enable has been off since the previous NRx1 write, so the timer was not clocked).
- ``wave_same``: a wave RAM byte written with the value it is known to hold while CH3 is known
  not to play (its DAC off, NR30 bit 7 clear, since: a playing CH3 redirects the write to the
  byte it is reading).

Writes of the trigger bit are never dropped. Writes at the same cycle are taken in order.

Exactness (`exact=True`, the default). On hardware every rule above is a no-op. Our renderer
(synthic.apu) is lazy: a write to a channel's register first runs that channel up to the write's
time (NR50/NR51: all four), and where it box-filters a channel (a pulse tone above Nyquist, wave
or noise steps shorter than 0.75 output samples) the float32 sums of a run split at that time
differ from an unsplit run in the last bit (~3e-8, far below a 16-bit step). With `exact`, a
`same_value` write is dropped only if every channel it would run is known to be rendered step by
step or silent (`_State.exact_safe`: DAC off, or a known period on the exact side), so renders
before and after are bit-identical; `exact=False` drops all hardware no-ops.

Augmentation: `transpose(rec, semitones)` moves CH1-CH3's pitch through their period registers;
`swap_pulse(rec)` exchanges CH1 and CH2 (when CH1's sweep is unused).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from synthic.errors import SynthicError
from synthic.events.recording import Recording
from synthic.events.registers import REGISTERS

NR10, NR30, NR32, NR43, NR50, NR51, NR52 = 0xFF10, 0xFF1A, 0xFF1C, 0xFF22, 0xFF24, 0xFF25, 0xFF26
UNUSED = frozenset([0xFF15, 0xFF1F, *range(0xFF27, 0xFF30)])
LENGTH_REGISTERS = {0xFF11: 1, 0xFF16: 2, 0xFF1B: 3, 0xFF20: 4}  # NRx1 -> channel
ENVELOPE_REGISTERS = (0xFF12, 0xFF17, 0xFF21)
FREQ_LO = {0xFF13: 1, 0xFF18: 2, 0xFF1D: 3}
FREQ_HI = {0xFF14: 1, 0xFF19: 2, 0xFF1E: 3, 0xFF23: 4}  # NR44 has no period bits
PLAIN = frozenset([NR10, NR30, NR32, NR43, NR50, NR51])  # storing the value is all they do
# The channels our renderer runs up to the time of a write to each register (synthic.apu.apu:
# a channel register advances its channel, NR50/NR51 all four).
_ADVANCES = {a: (REGISTERS[a].channel,) for a in range(0xFF10, 0xFF24)}
_ADVANCES.update({NR50: (1, 2, 3, 4), NR51: (1, 2, 3, 4)})
# Our renderer box-filters (synthic.apu.synth.box_run) pulse tones above Nyquist and wave or
# noise steps shorter than 0.75 output samples (71 T-cycles at 44.1 kHz, 65 at 48 kHz); splitting
# such a run at another time changes float32 rounding (by ~3e-8), so `exact` avoids it.
PULSE_EXACT_MAX_PERIOD = 2042  # 32 * (2048 - x) >= 2 samples at 44.1 and 48 kHz
WAVE_EXACT_MAX_PERIOD = 2012  # 2 * (2048 - x) >= 72 T-cycles
NOISE_EXACT_MIN_T = 72
_USED = {a: r.used_mask for a, r in REGISTERS.items()}


@dataclass
class NormaliseReport:
    before: int
    after: int
    dropped: Counter = field(default_factory=Counter)  # rule -> writes dropped

    @property
    def removed(self) -> int:
        return self.before - self.after

    @property
    def percent(self) -> float:
        return 100.0 * self.removed / self.before if self.before else 0.0

    def summary(self) -> str:
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items()))
        return f"{self.removed} of {self.before} writes dropped ({self.percent:.1f} %)" + (
            f": {rules}" if rules else ""
        )


class _State:
    """What the recording so far proves about the registers (None = unknown)."""

    def __init__(self) -> None:
        self.power: int | None = None
        self.io: dict[int, int | None] = {a: None for a in range(0xFF10, 0xFF26)}
        self.freq: dict[int, int | None] = {1: None, 2: None, 3: None}
        self.length_on: dict[int, int | None] = {c: None for c in range(1, 5)}
        self.length: dict[int, int | None] = {c: None for c in range(1, 5)}  # timer value
        self.wave: list[int | None] = [None] * 16

    def sweep_may_write(self) -> bool:
        nr10 = self.io[NR10]
        return nr10 is None or ((nr10 >> 4) & 7 != 0 and nr10 & 7 != 0)

    def power_off(self) -> None:
        self.power = 0
        for a in self.io:
            self.io[a] = 0
        for c in self.freq:
            self.freq[c] = 0
        for c in self.length_on:
            self.length_on[c] = 0  # the timers themselves survive (DMG)

    def exact_safe(self, c: int) -> bool:
        """Whether running channel c up to an extra time leaves our render bit-identical: the
        channel is known silent (DAC off) or its steps are rendered one by one (not box-filtered:
        pulse at most Nyquist, wave/noise steps at least NOISE_EXACT_MIN_T apart)."""
        if c == 0 or self.power == 0:
            return True
        if c == 3:
            if self.wave_idle():
                return True
            f = self.freq[3]
            return f is not None and f <= WAVE_EXACT_MAX_PERIOD
        env = self.io[(0xFF12, 0xFF17, 0, 0xFF21)[c - 1]]
        if env is not None and not env & 0xF8:
            return True
        if c == 4:
            nr43 = self.io[NR43]
            if nr43 is None:
                return False
            r, s = nr43 & 7, nr43 >> 4
            return s >= 14 or ((16 * r if r else 8) << s) >= NOISE_EXACT_MIN_T
        if c == 1 and self.sweep_may_write():
            return False
        f = self.freq[c]
        return f is not None and f <= PULSE_EXACT_MAX_PERIOD

    def wave_idle(self) -> bool:
        nr30 = self.io[NR30]
        return nr30 is not None and not nr30 & 0x80


def _length_load(channel: int, value: int) -> int:
    return 256 - value if channel == 3 else 64 - (value & 63)


def _rule(st: _State, a: int, v: int, exact: bool = True) -> str | None:
    """The rule that makes write (a, v) a no-op in state `st`, or None (then keep it)."""
    if a in UNUSED:
        return "unused"
    if a >= 0xFF30:
        if st.wave_idle() and st.wave[a - 0xFF30] == v:
            return "wave_same"
        return None
    if a == NR52:
        if st.power is not None and st.power == v >> 7:
            return "power_same"
        return None
    if st.power == 0:
        return None if a in LENGTH_REGISTERS else "power_off"
    if st.power is None:
        return None
    old = st.io[a]
    if old is None:
        return None
    if exact and not all(st.exact_safe(c) for c in _ADVANCES[a]):
        return None
    used = _USED[a]
    same = (old & used) == (v & used)
    if a in PLAIN:
        return "same_value" if same else None
    if a in ENVELOPE_REGISTERS:
        if same and (not v & 0xF8 or (v & 8 and v & 7)):
            return "same_value"
        return None
    if a in FREQ_LO:
        c = FREQ_LO[a]
        if c == 1 and st.sweep_may_write():
            return None
        f = st.freq[c]
        return "same_value" if f is not None and f & 0xFF == v else None
    if a in FREQ_HI:
        c = FREQ_HI[a]
        if v & 0x80 or st.length_on[c] is None or st.length_on[c] != (v >> 6) & 1:
            return None
        if c == 4:
            return "same_value"
        if c == 1 and st.sweep_may_write():
            return None
        f = st.freq[c]
        return "same_value" if f is not None and f >> 8 == v & 7 else None
    if a in LENGTH_REGISTERS:
        c = LENGTH_REGISTERS[a]
        duty_same = c not in (1, 2) or (old & 0xC0) == (v & 0xC0)
        if duty_same and st.length_on[c] == 0 and st.length[c] == _length_load(c, v):
            return "same_value"
        return None
    return None


def _apply(st: _State, a: int, v: int) -> None:
    """Update the known state with a write that is kept."""
    if a in UNUSED:
        return
    if a >= 0xFF30:
        if st.wave_idle():
            st.wave[a - 0xFF30] = v
        else:  # a playing CH3 redirects the write: any byte may have changed
            st.wave = [None] * 16
        return
    if a == NR52:
        on = v >> 7
        if on:
            if st.power is None:  # unknown registers stay unknown
                st.power = 1
            elif st.power == 0:
                st.power = 1  # registers stay as power-off left them (0)
        else:
            st.power_off()
        return
    if a in LENGTH_REGISTERS:
        c = LENGTH_REGISTERS[a]
        st.length[c] = _length_load(c, v) if st.length_on[c] == 0 else None
    if st.power == 0:
        return
    if st.power is None:
        # Maybe ignored, maybe stored: what it stores is not known for sure.
        st.io[a] = None
        c = FREQ_LO.get(a) or FREQ_HI.get(a)
        if c in st.freq:
            st.freq[c] = None
        if a in FREQ_HI:
            st.length_on[FREQ_HI[a]] = None
            st.length[FREQ_HI[a]] = None
        if a in LENGTH_REGISTERS:
            st.length[LENGTH_REGISTERS[a]] = None
        return
    st.io[a] = v
    if a in FREQ_LO:
        c = FREQ_LO[a]
        f = st.freq[c]
        st.freq[c] = None if f is None else (f & 0x700) | v
    elif a in FREQ_HI:
        c = FREQ_HI[a]
        st.length_on[c] = (v >> 6) & 1
        if st.length_on[c]:
            st.length[c] = None  # the timer may count from now on
        if c != 4:
            f = st.freq[c]
            # An unknown low byte stays unknown; a known one keeps its low bits.
            st.freq[c] = None if f is None else (f & 0xFF) | ((v & 7) << 8)
    if st.sweep_may_write():
        st.freq[1] = None
        st.io[0xFF13] = None
        st.io[0xFF14] = None


def normalise(
    rec: Recording, *, exact: bool = True, report: bool = False
) -> Recording | tuple[Recording, NormaliseReport]:
    """`rec` without the writes that provably change nothing audible (see the module docstring).

    exact: also keep the writes whose removal would change our renderer's float32 rounding
    (see the module docstring), so renders stay bit-identical; with False, drop every write
    the hardware ignores (renders then differ by float32 rounding only, ~3e-8).
    With `report=True` returns (recording, NormaliseReport)."""
    st = _State()
    keep = np.ones(len(rec), dtype=bool)
    dropped: Counter = Counter()
    for k, (a, v) in enumerate(zip(rec.address.tolist(), rec.value.tolist(), strict=True)):
        rule = _rule(st, a, v, exact)
        if rule is not None:
            keep[k] = False
            dropped[rule] += 1
        else:
            _apply(st, a, v)
    out = rec.select(keep)
    if report:
        return out, NormaliseReport(len(rec), len(out), dropped)
    return out


# -- augmentation ------------------------------------------------------------------------------

PAIR_WINDOW_T = 4096  # an NRx4 write this soon after NRx3 (about 1 ms) completes its period
PERIOD_CHANNELS = {1: (0xFF13, 0xFF14), 2: (0xFF18, 0xFF19), 3: (0xFF1D, 0xFF1E)}


def transpose_period(x: int, semitones: float) -> int:
    """The period register value whose pitch is `semitones` away from period `x` (0-2047),
    rounded; may fall outside 0..2047 (the caller decides). f = K / (2048 - x) on every channel,
    so 2048 - x scales by 2 ** (-semitones / 12)."""
    return 2048 - round((2048 - x) * 2.0 ** (-semitones / 12.0))


def transpose(rec: Recording, semitones: float, *, out_of_range: str = "refuse") -> Recording:
    """`rec` with CH1-CH3 moved by `semitones` (the noise channel is left alone).

    Every period write is rewritten: the channel's period (NRx3 low byte, NRx4 bits 0-2) is
    tracked as the recording writes it (an NRx3 write followed within PAIR_WINDOW_T by NRx4
    counts with that NRx4's high bits), and each NRx3/NRx4 write stores the bits of the
    transposed period, keeping NRx4's trigger, length-enable and unused bits. Periods the CH1
    sweep computes on its own are not transposed (a sweep keeps its shape relative to the
    start, which is transposed). A transposed period outside 0..2047 is refused with a
    SynthicError (`out_of_range="refuse"`, the default) or clamped to 0..2047
    (`out_of_range="clamp"`: those notes then sound at the nearest reachable pitch).
    """
    if out_of_range not in ("refuse", "clamp"):
        raise ValueError(f"out_of_range must be 'refuse' or 'clamp', not {out_of_range!r}")
    values = rec.value.copy()
    period = {c: 0 for c in PERIOD_CHANNELS}
    lo_of = {lo: c for c, (lo, _) in PERIOD_CHANNELS.items()}
    hi_of = {hi: c for c, (_, hi) in PERIOD_CHANNELS.items()}
    t_col, a_col, v_col = rec.t_cycles.tolist(), rec.address.tolist(), rec.value.tolist()
    # For each NRx3 write, the NRx4 write that completes the period right after it (drivers
    # write the low byte, then the high one): the low byte is transposed with the period they
    # make together, not with the passing mix of a new low byte and the old high bits.
    pair_hi: dict[int, int] = {}
    pending: dict[int, int] = {}  # channel -> index of its last NRx3 write awaiting NRx4
    for k, a in enumerate(a_col):
        if a in lo_of:
            pending[lo_of[a]] = k
        elif a in hi_of:
            j = pending.pop(hi_of[a], None)
            if j is not None and t_col[k] - t_col[j] <= PAIR_WINDOW_T:
                pair_hi[j] = v_col[k] & 7
    for k, (t, a, v) in enumerate(zip(t_col, a_col, v_col, strict=True)):
        if a in lo_of:
            c = lo_of[a]
            period[c] = (period[c] & 0x700) | v
            x = (pair_hi[k] << 8 | v) if k in pair_hi else period[c]
        elif a in hi_of:
            c = hi_of[a]
            period[c] = (period[c] & 0xFF) | ((v & 7) << 8)
            x = period[c]
        else:
            continue
        new = transpose_period(x, semitones)
        if not 0 <= new <= 2047:
            if out_of_range == "refuse":
                raise SynthicError(
                    f"transposing by {semitones:g} semitones takes CH{c}'s period {x} "
                    f"to {new}, outside 0..2047 (at T-cycle {t}); use a smaller interval"
                )
            new = min(max(new, 0), 2047)
        values[k] = new & 0xFF if a in lo_of else (v & 0xF8) | (new >> 8)
    meta = dict(rec.meta)
    meta["tags"] = list(meta.get("tags", ())) + [f"transposed {semitones:+g}"]
    return Recording(
        rec.t_cycles.copy(),
        rec.address.copy(),
        values,
        length_cycles=rec.length_cycles,
        meta=meta,
        validate=False,
    )


def sweep_used(rec: Recording) -> bool:
    """Whether any NR10 write enables CH1's sweep unit (pace or shift non-zero).

    Pace 0 or shift 0 alone is not enough for the sweep to be inert: with shift 0 and a
    non-zero pace each iteration still checks period + period for overflow (CH1 stops above
    2047), and with pace 0 and a non-zero shift the trigger does the same check once; only
    NR10 & 0x77 == 0 makes CH1 behave exactly like CH2."""
    v = rec.value[rec.address == NR10].astype(np.int64)
    return bool(np.any(v & 0x77))


def swap_pulse(rec: Recording) -> Recording:
    """`rec` with CH1 and CH2 exchanged: NR11-NR14 <-> NR21-NR24, and NR51's CH1/CH2 bits
    (bits 0/1 and 4/5) swapped so each part keeps its panning. NR10 writes stay (they keep
    the sweep off for the part CH1 now plays; CH2 has no NR10, FF15 does nothing). Refused
    (SynthicError) if the sweep is ever enabled (`sweep_used`). The mix is the same audio,
    with the two pulse parts on each other's channel."""
    if sweep_used(rec):
        raise SynthicError(
            "CH1's sweep is used (an NR10 write with pace or shift non-zero): cannot swap"
        )
    a = rec.address.astype(np.int64)
    v = rec.value.copy()
    new_a = a.copy()
    ch1 = (a >= 0xFF11) & (a <= 0xFF14)
    ch2 = (a >= 0xFF16) & (a <= 0xFF19)
    new_a[ch1] += 5
    new_a[ch2] -= 5
    pan = a == NR51
    p = v[pan].astype(np.int64)
    swapped = (p & 0xCC) | ((p & 0x11) << 1) | ((p & 0x22) >> 1)
    v[pan] = swapped.astype(np.uint8)
    meta = dict(rec.meta)
    meta["tags"] = list(meta.get("tags", ())) + ["pulse channels swapped"]
    return Recording(
        rec.t_cycles.copy(),
        new_a.astype(np.uint16),
        v,
        length_cycles=rec.length_cycles,
        meta=meta,
        validate=False,
    )


def semitones_between(x_from: int, x_to: int) -> float:
    """Semitones from period x_from to period x_to (same channel kind)."""
    return 12.0 * math.log2((2048 - x_from) / (2048 - x_to))
