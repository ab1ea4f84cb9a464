"""The note view: a recording's register writes read as notes per channel, for evaluation and MIDI.

`notes(rec)` follows the registers through the recording and returns `Note`s (onset, duration,
pitch, volume, timbre, pitch bends); `notes_frame(rec)` is the same as a pandas DataFrame.

What counts as a note (kept simple, documented rather than exact):

- A note starts at a trigger (NRx4 bit 7) of a channel whose DAC is on (NRx2 & F8 non-zero for
  CH1, CH2, CH4; NR30 bit 7 for CH3) and whose start is audible: a pulse or noise envelope
  starting at volume 0 counts only if it rises (NRx2 bit 3 and a non-zero pace), a CH3 output
  level of 0 (mute) never. The APU must be on (NR52 bit 7).
- It ends at the first of: the channel's next trigger; its DAC turned off, or CH3's level set to
  mute; the APU powered off; the length timer running out (length enable on: the remaining
  count / 256 s, the frame sequencer's phase ignored); a decreasing envelope reaching 0 (initial
  volume x pace / 64 s after the trigger); the end of the recording.
- Pitch (CH1-CH3): the period x (NRx3, NRx4 bits 0-2) at the trigger gives f = 131072 / (2048 - x)
  Hz on the pulse channels and 65536 / (2048 - x) Hz on the wave channel, and `pitch`, the MIDI
  number 69 + 12 log2(f / 440) as a float (`midi` is it rounded). Period writes without a trigger
  during the note (slides, vibrato, arpeggios) are kept as `bends`: (seconds from the onset,
  semitones from `pitch`). A low byte written shortly (PAIR_WINDOW_T) before the high byte it
  goes with counts at the high byte's time, so a passing mix of old and new bits is no bend; a
  period written in that window after the trigger counts as the note's own.
- Volume: the envelope's initial volume (0-15) for CH1, CH2 and CH4; for CH3 the output level
  as a volume (100 % 15, 50 % 8, 25 % 4).
- Timbre: the duty (0-3: 12.5, 25, 50, 75 %) on the pulse channels; on CH3 a hash of the 16
  wave RAM bytes at the trigger (CRC-32, 8 hex digits); on CH4 the NR43 byte.
- CH4 notes are drum hits: `drum` is a class from NR43 (see `drum_class`), pitch is None.

Evaluation helpers: `pitch_class_histogram`, `note_density`, `pitch_range`.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ

PAIR_WINDOW_T = 4096  # about 1 ms: NRx3 then NRx4 within this make one period change
WAVE_LEVEL_VOLUME = (0, 15, 8, 4)  # NR32 bits 5-6 -> an equivalent 0-15 volume
DRUM_CLASSES = ("kick", "snare", "closed_hat", "open_hat", "tom")
_BASE = {1: 0xFF10, 2: 0xFF15, 3: 0xFF1A, 4: 0xFF1F}


@dataclass
class Note:
    channel: int  # 1-4
    onset: float  # seconds from the start of the recording
    duration: float  # seconds
    pitch: float | None  # MIDI note number, fractional (None on CH4)
    hz: float | None
    period: int | None  # the 11-bit period register at the onset (None on CH4)
    volume: int  # 0-15 (see the module docstring)
    timbre: int | str  # duty, wave table hash, or NR43
    drum: str | None = None  # CH4: a DRUM_CLASSES name
    bends: list[tuple[float, float]] = field(default_factory=list)  # (s from onset, semitones)

    @property
    def midi(self) -> int | None:
        return None if self.pitch is None else int(round(self.pitch))

    @property
    def end(self) -> float:
        return self.onset + self.duration


def period_hz(channel: int, period: int) -> float:
    return (65536.0 if channel == 3 else 131072.0) / (2048 - period)


def hz_to_midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def noise_hz(nr43: int) -> float:
    """The LFSR clock of NR43 (Pan Docs "NR43"): 262144 / (r * 2^s) Hz, r = 0 counting as 0.5."""
    r, s = nr43 & 7, nr43 >> 4
    return 262144.0 / ((r if r else 0.5) * 2.0**s)


def drum_class(nr43: int, envelope: int) -> str:
    """A drum class from the noise parameters: 7-bit (tonal) noise is a "tom"; otherwise by the
    LFSR clock: below 2 kHz a "kick", below 16 kHz a "snare", above that a hi-hat, "open_hat"
    when its envelope lasts (pace 0 or above 3, or rising), else "closed_hat"."""
    if nr43 & 8:
        return "tom"
    hz = noise_hz(nr43)
    if hz < 2000:
        return "kick"
    if hz < 16000:
        return "snare"
    pace = envelope & 7
    return "open_hat" if (pace == 0 or pace > 3 or envelope & 8) else "closed_hat"


class _Channel:
    def __init__(self) -> None:
        self.period = 0
        self.note: Note | None = None
        self.end_t: float | None = None  # when the current note ends on its own (s)
        self.length = 0  # length timer (256 Hz ticks left)
        self.length_on = 0
        self.length_since = 0.0  # when the timer last started counting (s)


def notes(rec: Recording) -> list[Note]:
    """The notes of `rec`, in onset order (see the module docstring)."""
    io = dict.fromkeys(range(0xFF10, 0xFF40), 0)
    io[0xFF26] = 0x80  # assume on until told otherwise (the renderer starts powered on)
    ch = {c: _Channel() for c in range(1, 5)}
    out: list[Note] = []
    t_col = rec.t_cycles.tolist()
    a_col = rec.address.tolist()
    v_col = rec.value.tolist()
    n = len(t_col)

    def close(c: int, t: float) -> None:
        s = ch[c]
        if s.note is not None:
            end = t if s.end_t is None else min(t, s.end_t)
            s.note.duration = max(0.0, end - s.note.onset)
            out.append(s.note)
        s.note = None
        s.end_t = None

    def length_end(s: _Channel, t: float) -> None:
        if s.note is not None and s.length_on:
            e = t + s.length / 256.0
            s.end_t = e if s.end_t is None else min(s.end_t, e)

    def high_follows(k: int, c: int) -> int | None:
        """The index of the NRx4 write that completes NRx3 write k, if any."""
        hi = _BASE[c] + 4
        lo = _BASE[c] + 3
        for j in range(k + 1, n):
            if t_col[j] - t_col[k] > PAIR_WINDOW_T:
                return None
            if a_col[j] == hi:
                return j
            if a_col[j] == lo:
                return None
        return None

    for k in range(n):
        a, v = a_col[k], v_col[k]
        t = t_col[k] / CLOCK_HZ
        if a == 0xFF26:
            if not v & 0x80 and io[0xFF26] & 0x80:
                for c in ch:
                    close(c, t)
                    ch[c].length_on = 0
                    ch[c].period = 0
                for r in range(0xFF10, 0xFF26):
                    io[r] = 0
            io[a] = v
            continue
        if a >= 0xFF30:
            io[a] = v
            continue
        if not io[0xFF26] & 0x80:
            continue  # ignored while off (the DMG's length writes do not matter here)
        io[a] = v
        c = (a - 0xFF10) // 5 + 1 if a < 0xFF24 else 0
        if c == 0:
            continue
        s = ch[c]
        x = a - _BASE[c]
        if x == 1:
            s.length = 256 - v if c == 3 else 64 - (v & 63)
            s.length_since = t
            if s.note is not None and s.length_on:
                s.end_t = None
                length_end(s, t)
        elif x == 2 and c != 3 or (c == 3 and x == 0):
            if (c == 3 and not v & 0x80) or (c != 3 and not v & 0xF8):
                close(c, t)  # DAC off
        elif c == 3 and x == 2:
            if not (v >> 5) & 3:
                close(c, t)  # muted
        elif x == 3 and c != 4:
            s.period = (s.period & 0x700) | v
            if s.note is not None and high_follows(k, c) is None:
                _bend(s, c, t)
        elif x == 4:
            if c != 4:
                s.period = (s.period & 0xFF) | ((v & 7) << 8)
            was_on = s.length_on
            s.length_on = (v >> 6) & 1
            if v & 0x80:
                close(c, t)
                _start(s, c, t, io)
                if s.note is not None and s.length_on:
                    if s.length == 0:
                        s.length = 256 if c == 3 else 64
                    length_end(s, t)
            else:
                if s.note is not None and c != 4:
                    _bend(s, c, t)
                if s.length_on and not was_on:
                    length_end(s, t)
        if s.note is not None and s.end_t is not None and s.end_t <= t:
            close(c, t)
    end = rec.length_cycles / CLOCK_HZ
    for c in ch:
        close(c, end)
    out.sort(key=lambda nt: (nt.onset, nt.channel))
    return out


def _start(s: _Channel, c: int, t: float, io: dict[int, int]) -> None:
    base = _BASE[c]
    if c == 3:
        level = (io[0xFF1C] >> 5) & 3
        if not io[0xFF1A] & 0x80 or level == 0:
            return
        volume = WAVE_LEVEL_VOLUME[level]
        wave = bytes(io[0xFF30 + i] for i in range(16))
        timbre: int | str = f"{zlib.crc32(wave):08x}"
    else:
        env = io[base + 2]
        if not env & 0xF8:
            return
        volume = env >> 4
        pace = env & 7
        rising = bool(env & 8) and pace
        if volume == 0 and not rising:
            return
        timbre = io[base + 1] >> 6 if c != 4 else io[0xFF22]
        if not env & 8 and pace:
            s.end_t = t + volume * pace / 64.0  # a decreasing envelope reaches 0
    if c == 4:
        s.note = Note(4, t, 0.0, None, None, None, volume, timbre, drum_class(io[0xFF22], env))
        return
    hz = period_hz(c, s.period)
    s.note = Note(c, t, 0.0, hz_to_midi(hz), hz, s.period, volume, timbre)


def _bend(s: _Channel, c: int, t: float) -> None:
    note = s.note
    assert note is not None and note.period is not None
    if t - note.onset <= PAIR_WINDOW_T / CLOCK_HZ and not note.bends:
        note.period = s.period  # the note's own period, written just after its trigger
        note.hz = period_hz(c, s.period)
        note.pitch = hz_to_midi(note.hz)
        return
    semis = hz_to_midi(period_hz(c, s.period)) - note.pitch
    last = note.bends[-1][1] if note.bends else 0.0
    if semis != last:
        note.bends.append((t - note.onset, semis))


def notes_frame(rec_or_notes: Recording | Iterable[Note]):
    """The notes as a pandas DataFrame: one row per note, columns channel, onset, duration, end,
    pitch, midi, hz, period, volume, timbre, drum, bends."""
    import pandas as pd

    ns = notes(rec_or_notes) if isinstance(rec_or_notes, Recording) else list(rec_or_notes)
    cols = ["channel", "onset", "duration", "end", "pitch", "midi", "hz", "period"]
    cols += ["volume", "timbre", "drum", "bends"]
    rows = [
        (n.channel, n.onset, n.duration, n.end, n.pitch, n.midi, n.hz, n.period)
        + (n.volume, n.timbre, n.drum, n.bends)
        for n in ns
    ]
    return pd.DataFrame(rows, columns=cols)


# -- evaluation helpers ----------------------------------------------------------------------


def pitch_class_histogram(ns: Sequence[Note], *, weighted: bool = False) -> np.ndarray:
    """The share of pitched notes (CH1-CH3) in each pitch class C..B (12 values summing to 1, or
    zeros without notes); `weighted`: by duration instead of count."""
    h = np.zeros(12)
    for n in ns:
        if n.midi is not None:
            h[n.midi % 12] += n.duration if weighted else 1.0
    total = h.sum()
    return h / total if total else h


def note_density(ns: Sequence[Note], seconds: float) -> dict[int, float]:
    """Notes per second on each channel 1-4 over `seconds`."""
    counts = {c: 0 for c in range(1, 5)}
    for n in ns:
        counts[n.channel] += 1
    return {c: (k / seconds if seconds > 0 else 0.0) for c, k in counts.items()}


def pitch_range(ns: Sequence[Note]) -> dict[int, tuple[int, int] | None]:
    """The lowest and highest MIDI note on each pitched channel 1-3 (None if it plays none)."""
    out: dict[int, tuple[int, int] | None] = {}
    for c in (1, 2, 3):
        ps = [n.midi for n in ns if n.channel == c and n.midi is not None]
        out[c] = (min(ps), max(ps)) if ps else None
    return out
