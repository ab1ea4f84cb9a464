"""The arranger: a score (notes in quarter notes, parts, meter, tempo) -> a `Song` for the
Game Boy's four channels.

The steps, each a function below:

1. `choose_ticks_per_quarter`: the finest grid (12, 6, 4, ... ticks per quarter) whose tick
   rate the driver can play (at most one tick per frame) at the score's fastest tempo.
2. `quantise`: note starts and ends to that grid; leading silence removed.
3. `harmonise` (only for a single line, such as a fiddle tune or a folk song): a bass and
   chord tones are added from the chords the melody implies (I, IV, V, vi, ii of the key
   found by `find_key`), one or two chords a bar.
4. `spread`: the sounding notes of every moment are dealt to the channels by pitch: the
   highest to CH1, the lowest to CH3, the next highest to CH2; any further notes become CH2's
   arpeggio (its note plus up to two offsets), so chords are spread over the channels.
5. `fit_compass`: each line is moved by whole octaves to sit best in its channel's compass
   (`synthic.jukebox.song.COMPASS`), and the notes still outside are folded in by octaves.
6. `separate_repeats`: a note repeated at the same pitch is shortened by a tick, so it is heard
   again even with a steady envelope.
7. `drums`: the score's percussion (General MIDI numbers) or a pattern from the meter: kick,
   snare and hi-hats on the beats for dances, a soft kick and hi-hats for chorales.

Tempo is kept: the song's tempo map is the score's (or a default for the meter when the score
has none). Everything is deterministic; the `seed` only picks among instrument sounds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from synthic.events.registers import FRAME_HZ
from synthic.jukebox import song as S
from synthic.jukebox.song import COMPASS, Instrument, Note, Song

TICKS_PER_QUARTER_CHOICES = (12, 6, 4, 3, 2, 1)
STYLES = ("dance", "chorale")


@dataclass(frozen=True)
class ScoreNote:
    start: float  # quarter notes from the start of the score
    end: float
    pitch: int  # MIDI note number (drums: General MIDI percussion key)
    part: int = 0
    drum: bool = False


@dataclass(frozen=True)
class Bar:
    start: float  # the downbeat, in quarter notes (negative for a pickup's bar)
    length: float
    beats: int
    beat_length: float


@dataclass
class Score:
    """A score as the arranger sees it (made by synthic.jukebox.sources from music21 or MIDI)."""

    title: str
    author: str
    source: str
    notes: list[ScoreNote]
    tempo: list[tuple[float, float]] = field(default_factory=list)  # (quarters, qpm); [] unknown
    bars: list[Bar] = field(default_factory=list)
    chords: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # chord symbols
    parts: int = 1


# --------------------------------------------------------------------------------------------
# Grid and tempo


def default_tempo(score: Score, style: str) -> float:
    """Quarter notes per minute for a score without a tempo mark: 100 beats a minute (a beat
    is the meter's: a half in 2/2, a dotted quarter in 6/8), 80 quarters for chorales."""
    if style == "chorale":
        return 80.0
    beat = score.bars[0].beat_length if score.bars else 1.0
    return 100.0 * beat


def choose_ticks_per_quarter(max_qpm: float) -> int:
    for tpq in TICKS_PER_QUARTER_CHOICES:
        if max_qpm / 60.0 * tpq <= FRAME_HZ * 0.999:
            return tpq
    raise ValueError(f"tempo {max_qpm:.0f} quarters per minute is too fast for the driver")


def quantise(notes: list[ScoreNote], tpq: int, origin: float) -> list[tuple[int, int, int, int]]:
    """(start, end, pitch, part) in ticks from `origin`; every note keeps at least one tick."""
    out = []
    for n in notes:
        start = round((n.start - origin) * tpq)
        end = max(start + 1, round((n.end - origin) * tpq))
        if n.end > n.start:
            out.append((start, end, n.pitch, n.part))
    out.sort()
    return out


# --------------------------------------------------------------------------------------------
# Harmony for a single line

# Krumhansl-Kessler key profiles (major, minor), tonic first.
_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
# Diatonic triads (root offset from the tonic, chord tones from the root) and a preference.
_MAJOR_CHORDS = ((0, (0, 4, 7), 1.0), (7, (0, 4, 7), 0.9), (5, (0, 4, 7), 0.85),
                 (9, (0, 3, 7), 0.6), (2, (0, 3, 7), 0.5))  # fmt: skip
_MINOR_CHORDS = ((0, (0, 3, 7), 1.0), (7, (0, 4, 7), 0.9), (5, (0, 3, 7), 0.85),
                 (8, (0, 4, 7), 0.6), (3, (0, 4, 7), 0.5))  # fmt: skip


def find_key(notes: list[tuple[int, int, int, int]]) -> tuple[int, bool]:
    """(tonic pitch class, is major) best correlated with the duration-weighted pitch classes."""
    hist = [0.0] * 12
    for start, end, pitch, _ in notes:
        hist[pitch % 12] += end - start
    best, best_r = (0, True), -2.0
    for major in (True, False):
        profile = _MAJOR if major else _MINOR
        for tonic in range(12):
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            r = _correlation(hist, rotated)
            if r > best_r + 1e-12:
                best, best_r = (tonic, major), r
    return best


def _correlation(a: list[float], b: list[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    va = math.sqrt(sum((x - ma) ** 2 for x in a))
    vb = math.sqrt(sum((y - mb) ** 2 for y in b))
    return cov / (va * vb) if va and vb else 0.0


def _windows(bars: list[Bar], tpq: int, origin: float, end: int) -> list[tuple[int, int, int]]:
    """Harmonic windows (start, end, beats) in ticks: a bar, or half a bar of 4+ beats. A
    window may start before tick 0 (a pickup): only its beats from tick 0 on are played."""
    out = []
    for bar in bars:
        halves = 2 if bar.beats >= 4 else 1
        beats = max(1, bar.beats // halves)
        for h in range(halves):
            a = round((bar.start + h * bar.length / halves - origin) * tpq)
            b = round((bar.start + (h + 1) * bar.length / halves - origin) * tpq)
            if b > 0 and a < end:
                out.append((a, b, beats))
    return out


def harmonise(
    melody: list[tuple[int, int, int, int]],
    windows: list[tuple[int, int, int]],
    chord_symbols: list[tuple[int, tuple[int, ...]]],
    style: str,
) -> list[tuple[int, int, int, int]]:
    """Bass (part -1) and chord tones (part -2) under a single melodic line."""
    tonic, major = find_key(melody)
    table = _MAJOR_CHORDS if major else _MINOR_CHORDS
    out = []
    for i, (a, b, beats) in enumerate(windows):
        symbol = [pcs for t, pcs in chord_symbols if t <= a]
        if symbol:
            pcs = symbol[-1]
        else:
            weight = [0.0] * 12
            for start, end, pitch, _ in melody:
                overlap = min(end, b) - max(start, a, 0)
                if overlap > 0:
                    weight[pitch % 12] += overlap * (2.0 if start == a else 1.0)
            best, best_score = None, -math.inf
            for root, shape, preference in table:
                chord = {(tonic + root + s) % 12 for s in shape}
                fit = sum(w if pc in chord else -0.5 * w for pc, w in enumerate(weight))
                final = 1.5 if (i == len(windows) - 1 and root == 0) else 0.0
                score = fit + preference * (b - a) * 0.1 + final * (b - a)
                if score > best_score:
                    best, best_score = (root, shape), score
            root, shape = best
            pcs = tuple((tonic + root + s) % 12 for s in shape)
        root_pc = pcs[0]
        beat = (b - a) / beats
        for k in range(beats):
            t = a + round(k * beat)
            t_end = a + round((k + 1) * beat)
            if a < 0:
                continue  # a pickup: the harmony starts on the first downbeat
            # oom-pah: the root on the first beat, the fifth (or other tone) after
            pc = root_pc if k % 2 == 0 or len(pcs) < 3 else pcs[2]
            bass = 40 + (pc - 40) % 12  # E2 .. D#3
            length = max(1, round((t_end - t) * (0.75 if style == "dance" else 1.0)))
            out.append((t, t + length, bass, -1))
            stab = max(1, (t_end - t) // 2) if style == "dance" else t_end - t
            for pc_tone in pcs[:3]:
                out.append((t, t + stab, 52 + (pc_tone - 52) % 12, -2))  # E3 .. D#4
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Channels


def spread(notes: list[tuple[int, int, int, int]]) -> tuple[list[Note], list[Note], list[Note]]:
    """Deal the sounding notes of every moment to CH1 (highest), CH3 (lowest), CH2 (next
    highest, with any further notes as its arpeggio). A note keeps its channel while the set
    it shares its channel with stays the same."""
    bounds = sorted({t for n in notes for t in n[:2]})
    lines: list[list[list]] = [[], [], []]  # per channel: [start, end, pitch, arp, key]
    active: list[tuple[int, int, int, int, int]] = []
    by_start: dict[int, list] = {}
    for i, n in enumerate(notes):
        by_start.setdefault(n[0], []).append((*n, i))
    for seg, t in enumerate(bounds[:-1]):
        t_next = bounds[seg + 1]
        active = [n for n in active if n[1] > t] + by_start.get(t, [])
        if not active:
            continue
        ranked = sorted(active, key=lambda n: (-n[2], n[0], n[4]))
        if len(ranked) == 1 and ranked[0][2] < COMPASS[0][0]:
            assignment = [(None, ()), (None, ()), (ranked[0], ())]  # a lone low note: bass
        else:
            assignment = [(ranked[0], ())]
        if len(ranked) >= 2:
            inner = ranked[1:-1]
            if inner:
                base = min(inner, key=lambda n: (n[2], n[4]))
                extras = sorted((n for n in inner if n is not base), key=lambda n: -n[2])[:2]
                offsets = tuple(_fold_offset(n[2] - base[2]) for n in extras)
                assignment.append((base, offsets))
            else:
                assignment.append((None, ()))
            assignment.append((ranked[-1], ()))
        channels = (0, 1, 2) if len(assignment) == 3 else (0,)
        for ch, (n, offsets) in zip(channels, assignment, strict=True):
            if n is None:
                continue
            arp = (offsets + (0, 0))[:2]
            key = (n[4], arp)
            line = lines[ch]
            if line and line[-1][4] == key and line[-1][1] == t:
                line[-1][1] = t_next
            else:
                line.append([t, t_next, n[2], arp, key])
    return tuple([Note(a, b - a, p, 0, arp) for a, b, p, arp, _ in line] for line in lines)


def monophonic(notes: list[tuple[int, int, int, int]]) -> list[Note]:
    """One line from notes that do not overlap (a note is cut where the next starts)."""
    out: list[Note] = []
    for start, end, pitch, _ in sorted(notes):
        if out and out[-1].end > start:
            last = out.pop()
            if start > last.start:
                out.append(Note(last.start, start - last.start, last.pitch))
            elif last.pitch > pitch:
                start, end, pitch = last.start, last.end, last.pitch  # keep the higher
        out.append(Note(start, end - start, pitch))
    return out


def chord_line(tones: list[tuple[int, int, int, int]]) -> list[Note]:
    """Chord tones starting together -> one note (the lowest) with the others as arpeggio."""
    groups: dict[int, list[tuple[int, int, int, int]]] = {}
    for n in tones:
        groups.setdefault(n[0], []).append(n)
    out: list[Note] = []
    for start in sorted(groups):
        group = sorted(groups[start], key=lambda n: n[2])
        base = group[0]
        offsets = tuple(_fold_offset(n[2] - base[2]) for n in group[1:3])
        end = max(n[1] for n in group)
        if out and out[-1].end > start:
            last = out.pop()
            out.append(Note(last.start, start - last.start, last.pitch, 0, last.arp))
        out.append(Note(start, end - start, base[2], 0, (offsets + (0, 0))[:2]))
    return [n for n in out if n.length > 0]


def _fold_offset(semitones: int) -> int:
    """An arpeggio offset folded by octaves into 1..S.MAX_ARP (0 stays 0: a unison)."""
    if semitones <= 0:
        semitones = semitones % 12
    while semitones > S.MAX_ARP:
        semitones -= 12
    return semitones


def fit_compass(notes: list[Note], low: int, high: int) -> list[Note]:
    """Move the line by whole octaves to put the most note-time inside low..high (a move of
    one octave must bring in a tenth of the line's time), then fold the notes still outside
    by octaves."""
    if not notes:
        return []

    total = sum(n.length for n in notes)

    def cost(shift: int) -> float:
        # note-time outside the compass; each octave moved costs a tenth of the line
        outside = sum(n.length for n in notes if not low <= n.pitch + shift <= high)
        return outside + 0.1 * total * abs(shift) / 12

    shift = min(range(-48, 49, 12), key=lambda s: (cost(s), abs(s), -s))
    out = []
    for n in notes:
        p = n.pitch + shift
        while p < low:
            p += 12
        while p > high:
            p -= 12
        out.append(Note(n.start, n.length, p, n.instrument, n.arp))
    return out


def separate_repeats(notes: list[Note]) -> list[Note]:
    """Shorten a note by one tick when the next starts as it ends on the same pitch."""
    out = list(notes)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if a.end == b.start and a.pitch == b.pitch and a.length >= 2:
            out[i] = Note(a.start, a.length - 1, a.pitch, a.instrument, a.arp)
    return out


# --------------------------------------------------------------------------------------------
# Drums

# General MIDI percussion keys -> the driver's kit, and which wins when several hit at once.
_GM_DRUMS = {35: S.KICK, 36: S.KICK, 37: S.RIM, 38: S.SNARE, 39: S.SNARE, 40: S.SNARE,
             41: S.LOW_TOM, 43: S.LOW_TOM, 45: S.LOW_TOM, 47: S.HIGH_TOM, 48: S.HIGH_TOM,
             50: S.HIGH_TOM, 42: S.HAT, 44: S.HAT, 46: S.OPEN_HAT, 51: S.OPEN_HAT,
             53: S.OPEN_HAT, 59: S.OPEN_HAT, 49: S.CRASH, 52: S.CRASH, 55: S.CRASH,
             57: S.CRASH, 54: S.SHAKER, 69: S.SHAKER, 70: S.SHAKER, 82: S.SHAKER}  # fmt: skip
_PRIORITY = (S.CRASH, S.KICK, S.SNARE, S.LOW_TOM, S.HIGH_TOM, S.SOFT_KICK, S.SOFT_SNARE,
             S.RIM, S.OPEN_HAT, S.SHAKER, S.HAT, S.SOFT_HAT)  # fmt: skip


def drum_pattern(bar: Bar, style: str, first: bool) -> list[tuple[float, int]]:
    """(position in quarters from the downbeat, drum) for one bar."""
    b = bar.beat_length
    if style == "chorale":
        hits = [(0.0, S.SOFT_KICK)] + [(k * b, S.SOFT_HAT) for k in range(1, bar.beats)]
    else:
        accents = {
            2: (S.KICK, S.SNARE),
            3: (S.KICK, S.SOFT_SNARE, S.SOFT_SNARE),
            4: (S.KICK, S.SNARE, S.KICK, S.SNARE),
        }.get(bar.beats)
        accents = accents or (S.KICK,) + (S.HAT,) * (bar.beats - 1)
        hits = [(k * b, d) for k, d in enumerate(accents)]
        step = b / 3 if abs(b - 1.5) < 1e-9 else b / 2  # eighths in compound and simple time
        taken = {round(p, 6) for p, _ in hits}
        pos = step
        while pos < bar.length - 1e-9:
            if round(pos, 6) not in taken:
                hits.append((pos, S.HAT))
            pos += step
    if first:
        hits = [(p, S.CRASH if p == 0 and d == S.KICK else d) for p, d in hits]
    return sorted(hits)


def drums(score: Score, style: str, tpq: int, origin: float, end: int) -> list[Note]:
    """The CH4 line: the score's percussion if it has any, else a pattern on the meter."""
    hits: dict[int, int] = {}

    def hit(tick: int, drum: int) -> None:
        """Keep the weightier drum when two fall on one tick."""
        if not 0 <= tick < end:
            return
        if tick not in hits or _PRIORITY.index(drum) < _PRIORITY.index(hits[tick]):
            hits[tick] = drum

    percussion = [n for n in score.notes if n.drum]
    if percussion:
        for n in percussion:
            hit(round((n.start - origin) * tpq), _GM_DRUMS.get(n.pitch, S.HAT))
    else:
        first = True
        for bar in score.bars:
            if bar.start - origin < 0 and bar.start + bar.length - origin <= 0:
                continue
            for pos, drum in drum_pattern(bar, style, first and bar.start >= origin - 1e-9):
                hit(round((bar.start + pos - origin) * tpq), drum)
            if bar.start >= origin - 1e-9:
                first = False
    ticks = sorted(hits)
    return [
        Note(t, (ticks[i + 1] if i + 1 < len(ticks) else end) - t, hits[t], 4)
        for i, t in enumerate(ticks)
        if t < end
    ]


# --------------------------------------------------------------------------------------------
# Instruments


def instruments(style: str, seed: int) -> list[Instrument]:
    """Five instruments: CH1 lead, CH2 inner voice, CH3 bass, (unused), CH4 drums."""
    rng = random.Random(seed)
    if style == "chorale":
        lead = Instrument(
            rng.choice((S.DUTY_50, S.DUTY_25)),
            rng.choice((0xB0, 0xA0)),
            S.vibrato_byte(delay_frames=24, depth=2, speed=2),
            "lead",
        )
        inner = Instrument(rng.choice((S.DUTY_25, S.DUTY_12)), 0x80, 0, "inner")
        bass = Instrument(rng.choice((S.WAVE_ORGAN, S.WAVE_SINE, S.WAVE_TRIANGLE)), S.WAVE_100)
    else:
        lead = Instrument(
            rng.choice((S.DUTY_50, S.DUTY_25)),
            rng.choice((0xC3, 0xB4, 0xD2)),
            S.vibrato_byte(delay_frames=16, depth=2, speed=1),
            "lead",
        )
        inner = Instrument(rng.choice((S.DUTY_25, S.DUTY_12)), rng.choice((0x82, 0x73)), 0, "inner")
        bass = Instrument(
            rng.choice((S.WAVE_TRIANGLE, S.WAVE_SOFT_SQUARE, S.WAVE_SINE, S.WAVE_HALF_SINE)),
            S.WAVE_100,
        )
    bass = Instrument(bass.duty, bass.envelope, 0, "bass")
    return [
        lead,
        inner,
        bass,
        Instrument(S.DUTY_50, 0xF1, 0, "spare"),
        Instrument(0, 0, 0, "drums"),
    ]


# --------------------------------------------------------------------------------------------
# The whole


def arrange(
    score: Score, *, style: str | None = None, seed: int = 0, drums_on: bool = True
) -> Song:
    """Arrange `score` for the four channels (see the module docstring)."""
    pitched = [n for n in score.notes if not n.drum]
    if not pitched:
        raise ValueError(f"{score.title}: no pitched notes")
    if style is None:
        style = "chorale" if score.parts >= 3 else "dance"
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (known: {', '.join(STYLES)})")
    origin = min(n.start for n in score.notes)
    tempo_q = [(q, bpm) for q, bpm in score.tempo if bpm > 0] or [
        (origin, default_tempo(score, style))
    ]
    tpq = choose_ticks_per_quarter(max(bpm for _, bpm in tempo_q))
    tempo: list[tuple[int, float]] = []
    for q, bpm in sorted(tempo_q):
        tick = max(0, round((q - origin) * tpq))
        if tempo and tempo[-1][0] == tick:
            tempo[-1] = (tick, bpm)
        elif not tempo or tempo[-1][1] != bpm:
            tempo.append((tick, bpm))
    tempo[0] = (0, tempo[0][1])

    notes = quantise(pitched, tpq, origin)
    end = max(n[1] for n in notes)
    polyphonic = _max_polyphony(notes) > 1
    if not polyphonic and score.bars:
        # a single line: it stays on CH1; the harmony's bass goes to CH3, its chords to CH2
        windows = _windows(score.bars, tpq, origin, end)
        symbols = [(max(0, round((q - origin) * tpq)), pcs) for q, pcs in score.chords]
        accompaniment = harmonise(notes, windows, symbols, style)
        bass = [n for n in accompaniment if n[3] == -1]
        chords = [n for n in accompaniment if n[3] == -2]
        lines = (monophonic(notes), chord_line(chords), monophonic(bass))
    else:
        lines = spread(notes)
    melodic = []
    for ch, line in enumerate(lines):
        line = fit_compass(line, *COMPASS[ch])
        line = separate_repeats(line)
        melodic.append([Note(n.start, n.length, n.pitch, ch, n.arp) for n in line])
    ch4 = drums(score, style, tpq, origin, end) if drums_on else []
    length = max([end] + [n.end for line in melodic for n in line] + [n.end for n in ch4])
    song = Song(
        title=score.title,
        author=score.author,
        source=score.source,
        ticks_per_quarter=tpq,
        tempo=tempo,
        channels=(melodic[0], melodic[1], melodic[2], ch4),
        instruments=instruments(style, seed),
        length=length,
        tags={"style": style, "harmonised": not polyphonic},
    )
    song.check()
    return song


def _max_polyphony(notes: list[tuple[int, int, int, int]]) -> int:
    events = sorted([(a, 1) for a, *_ in notes] + [(b, -1) for _, b, *_ in notes])
    level = peak = 0
    for _, d in events:
        level += d
        peak = max(peak, level)
    return peak
