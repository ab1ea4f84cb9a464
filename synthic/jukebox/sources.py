"""Where the jukebox's music comes from: public-domain scores and MIDI files, as `Score`s.

A source is named by a string:

* a folder of the corpus that ships inside the music21 package: `bach` (the Bach chorales
  from the Riemenschneider edition, MusicXML), `ryansMammoth` (Ryan's Mammoth Collection,
  1883, fiddle tunes), `oneills1850` (O'Neill's "The Dance Music of Ireland: 1001 Gems"),
  `essenFolksong` (the Essen folksong collection), or any other folder of that corpus (e.g.
  `airdsAirs`, `miscFolk`); every tune of a multi-tune ABC file is its own piece;
* a MIDI file (`.mid`, `.midi`, read with mido) or a folder searched for them.

`pieces(spec)` lists a source's pieces in a fixed order; `select(specs, seed)` interleaves the
sources, each shuffled with its own seeded generator, so a selection is the same on every
machine with the same music21 version; `select(..., share=slice(a, b))` takes positions a to
b - 1 of each shuffled source only (a jukebox ROM's own share, see `collection`).
`load(piece)` reads one piece into a `synthic.jukebox.arrange.Score`.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from synthic.errors import SynthicError
from synthic.jukebox.arrange import Bar, Score, ScoreNote

DEFAULT_SOURCES = ("bach", "ryansMammoth", "oneills1850", "essenFolksong")
MIDI_EXTENSIONS = (".mid", ".midi")
_SCORE_EXTENSIONS = (".mxl", ".xml", ".musicxml", ".abc", ".krn", ".mid", ".midi")


@dataclass(frozen=True)
class Piece:
    """One piece: `key` names it uniquely (e.g. "essenFolksong/altdeu10.abc#2")."""

    key: str
    path: str
    number: int | None = None  # the tune's X: number in a multi-tune ABC file
    kind: str = "music21"  # "music21" or "midi"


def _corpus_root() -> Path:
    try:
        import music21
    except ImportError:
        raise SynthicError("music21 is needed for corpus sources: pip install music21") from None
    return Path(music21.__file__).resolve().parent / "corpus"


def pieces(spec: str) -> list[Piece]:
    """The pieces of one source, in a fixed order (see the module docstring)."""
    path = Path(spec)
    if path.is_file():
        if path.suffix.lower() not in MIDI_EXTENSIONS:
            raise SynthicError(f"{spec}: not a MIDI file ({', '.join(MIDI_EXTENSIONS)})")
        return [Piece(path.name, str(path), None, "midi")]
    bare = "/" not in spec and os.sep not in spec and not spec.startswith(".")
    if path.is_dir() and not (bare and (_corpus_root() / spec).is_dir()):
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in MIDI_EXTENSIONS)
        return [Piece(p.relative_to(path).as_posix(), str(p), None, "midi") for p in files]
    folder = _corpus_root() / spec
    if not bare or not folder.is_dir():
        raise SynthicError(
            f"unknown source {spec!r}: not a MIDI file or folder, nor a folder of the music21 "
            f"corpus (e.g. {', '.join(DEFAULT_SOURCES)})"
        )
    out = []
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in _SCORE_EXTENSIONS:
            continue
        if spec == "bach" and p.suffix.lower() != ".mxl":
            continue  # the chorales; the .krn/.xml files repeat some of them
        rel = f"{spec}/{p.relative_to(folder).as_posix()}"
        if p.suffix.lower() == ".abc":
            numbers = _abc_numbers(p)
            if len(numbers) > 1:
                out += [Piece(f"{rel}#{n}", str(p), n) for n in numbers]
                continue
        out.append(Piece(rel, str(p)))
    return out


def _abc_numbers(path: Path) -> list[int]:
    text = path.read_text(encoding="latin-1")
    seen, out = set(), []
    for m in re.finditer(r"^X:\s*(\d+)", text, flags=re.MULTILINE):
        n = int(m.group(1))
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def select(specs: Sequence[str], seed: int = 0, share: slice | None = None) -> Iterator[Piece]:
    """All pieces of `specs`, each source shuffled by its own seeded generator, interleaved
    one from each source in turn. `share` keeps only those positions of each shuffled source
    (e.g. `slice(25, 50)`), so disjoint shares give disjoint pieces."""
    lists = []
    for spec in specs:
        items = pieces(spec)
        random.Random(f"{seed}:{spec}").shuffle(items)
        lists.append(items[share] if share is not None else items)
    i = 0
    while any(i < len(items) for items in lists):
        for items in lists:
            if i < len(items):
                yield items[i]
        i += 1


def load(piece: Piece) -> Score:
    """Read one piece. Raises SynthicError (or music21/mido errors) when it cannot be read."""
    if piece.kind == "midi":
        return score_from_midi(piece.path, source=piece.key)
    from music21 import converter, stream

    parsed = (
        converter.parse(piece.path, number=piece.number)
        if piece.number is not None
        else (converter.parse(piece.path))
    )
    if isinstance(parsed, stream.Opus):
        if not parsed.scores:
            raise SynthicError(f"{piece.key}: no score in the file")
        parsed = parsed.scores[0]
    return score_from_music21(parsed, source=piece.key)


# --------------------------------------------------------------------------------------------
# music21


def score_from_music21(score, *, source: str, expand_repeats: bool = True) -> Score:
    """A `Score` from a music21 stream: notes with ties merged and repeats written out."""
    from music21 import harmony, meter, note, stream, tempo

    if expand_repeats:
        try:
            score = score.expandRepeats()
        except Exception:  # music21 raises several kinds on repeats it cannot follow
            pass
    score = score.stripTies(inPlace=False)
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    notes: list[ScoreNote] = []
    chords: list[tuple[float, tuple[int, ...]]] = []
    for index, part in enumerate(parts):
        flat = part.flatten()
        for el in flat.notes:
            start = float(el.offset)
            if isinstance(el, harmony.ChordSymbol):
                if index == 0 and el.pitches:
                    root = el.root().pitchClass
                    pcs = [root] + sorted({p.pitchClass for p in el.pitches} - {root})
                    chords.append((start, tuple(pcs)))
                continue
            length = float(el.duration.quarterLength)
            if length <= 0:
                continue  # grace notes
            if isinstance(el, note.Unpitched):
                key = el.storedInstrument.percMapPitch if el.storedInstrument is not None else 42
                notes.append(ScoreNote(start, start + length, int(key or 42), index, True))
                continue
            for p in el.pitches:
                notes.append(ScoreNote(start, start + length, int(p.midi), index))
    marks = [
        (float(m.getOffsetInHierarchy(score)), float(m.getQuarterBPM()))
        for m in score.recurse().getElementsByClass(tempo.MetronomeMark)
        if m.number is not None or m.getQuarterBPM() is not None
    ]
    bars: list[Bar] = []
    measures = list(parts[0].getElementsByClass(stream.Measure))
    ts = None
    for i, m in enumerate(measures):
        ts = m.timeSignature or ts
        content = float(m.duration.quarterLength)
        if ts is not None:
            length = float(ts.barDuration.quarterLength)
            beats, beat = int(ts.beatCount), float(ts.beatDuration.quarterLength)
        else:  # no meter (some Essen songs): the bar as written, in quarter beats
            length, beats, beat = content, max(1, round(content)), 1.0
        offset = float(m.getOffsetInHierarchy(parts[0]))
        start = offset + content - length if i == 0 and 0 < content < length else offset
        bars.append(Bar(start, length, max(1, beats), beat))
    if not measures and notes:
        ts0 = next(iter(score.recurse().getElementsByClass(meter.TimeSignature)), None)
        length = float(ts0.barDuration.quarterLength) if ts0 else 4.0
        end = max(n.end for n in notes)
        bars = [Bar(k * length, length, 4, length / 4) for k in range(int(end // length) + 1)]
    md = score.metadata
    title = (md.title or md.movementName or "") if md is not None else ""
    if title.lower().endswith(_SCORE_EXTENSIONS):
        title = ""  # music21 names untitled files after themselves
    author = (md.composer or "") if md is not None else ""
    return Score(
        title=title.strip() or _default_title(source),
        author=author.strip() or _default_author(source),
        source=source,
        notes=sorted(notes, key=lambda n: (n.start, n.pitch)),
        tempo=sorted(set(marks)),
        bars=bars,
        chords=sorted(chords),
        parts=len(parts),
    )


def _default_title(source: str) -> str:
    stem = Path(source.split("#")[0]).stem
    if source.startswith("bach/"):
        return f"Chorale BWV {stem.removeprefix('bwv')}"
    return stem


def _default_author(source: str) -> str:
    head = source.split("/")[0]
    return {
        "bach": "J. S. Bach",
        "ryansMammoth": "traditional (Ryan's Mammoth Collection)",
        "oneills1850": "traditional (O'Neill's 1850)",
        "essenFolksong": "traditional (Essen folksong collection)",
    }.get(head, "traditional")


# --------------------------------------------------------------------------------------------
# MIDI


def score_from_midi(path: str | os.PathLike, *, source: str | None = None) -> Score:
    """A `Score` from a standard MIDI file: notes of every track and channel (channel 10 is
    percussion), tempo changes and time signatures."""
    try:
        import mido
    except ImportError:
        raise SynthicError("mido is needed for MIDI sources: pip install mido") from None
    try:
        mid = mido.MidiFile(str(path))
    except (OSError, ValueError, EOFError) as e:
        raise SynthicError(f"{path}: not a readable MIDI file ({e})") from None
    tpb = mid.ticks_per_beat
    notes: list[ScoreNote] = []
    tempo: list[tuple[float, float]] = []
    signatures: list[tuple[float, int, int]] = []
    title = ""
    parts: dict[tuple[int, int], int] = {}
    for track_no, track in enumerate(mid.tracks):
        now = 0
        sounding: dict[tuple[int, int], list[float]] = {}
        for msg in track:
            now += msg.time
            q = now / tpb
            if msg.type == "set_tempo":
                tempo.append((q, 60_000_000 / msg.tempo))
            elif msg.type == "time_signature":
                signatures.append((q, msg.numerator, msg.denominator))
            elif msg.type == "track_name" and not title and msg.name.strip():
                title = msg.name.strip()
            elif msg.type in ("note_on", "note_off"):
                key = (msg.channel, msg.note)
                if msg.type == "note_on" and msg.velocity > 0:
                    sounding.setdefault(key, []).append(q)
                elif sounding.get(key):
                    start = sounding[key].pop(0)
                    part = parts.setdefault((track_no, msg.channel), len(parts))
                    drum = msg.channel == 9
                    notes.append(ScoreNote(start, q, msg.note, part, drum))
    if not notes:
        raise SynthicError(f"{path}: no notes")
    end = max(n.end for n in notes)
    signatures = sorted(signatures) or [(0.0, 4, 4)]
    bars: list[Bar] = []
    for i, (q, num, den) in enumerate(signatures):
        stop = signatures[i + 1][0] if i + 1 < len(signatures) else end
        length = num * 4.0 / den
        compound = den == 8 and num in (6, 9, 12)
        beats, beat = (num // 3, 1.5) if compound else (num, 4.0 / den)
        t = q
        while t < stop:
            bars.append(Bar(t, length, beats, beat))
            t += length
    pitched_parts = {n.part for n in notes if not n.drum}
    return Score(
        title=title or Path(path).stem,
        author="",
        source=source or Path(path).name,
        notes=sorted(notes, key=lambda n: (n.start, n.pitch)),
        tempo=sorted(tempo),
        bars=bars,
        parts=len(pitched_parts),
    )
