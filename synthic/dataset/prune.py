"""Pruning: the recordings of one input become samples of hands-off music, and a table of why.

`prune_recordings(folder, outdir, config)` reads every `.events` file of one input's recordings
folder (`results/recordings/<name>/`), lists every candidate stretch of each recording in a
table and writes the stretches it keeps as samples, `<recording>.sNNN.events`. The rules, in
the order they are applied (a stretch is dropped for the first that fails; the table's
`reason` says which):

1. **Hands off.** A recording with window markers (a ROM recording: "startup", "press",
   "listen", see `synthic.record.explore`) is music only in its "listen" windows and, with
   `startup` (default on: title music is hands-off too), its "startup" window. Every "press"
   window and every "button ..." marker is busy, and so are the `settle_seconds` after each
   (the game may still be changing screens or playing an effect). A recording without window
   markers (a GBS song, an imported VGM or recording) is music from start to end, less any
   "button ..." markers. The busy stretches between the music are listed with reason
   "buttons pressed" (or "not hands-off" for a startup window left out), so the table covers
   every recording from start to end.
2. **Length.** Each stretch of music of length L is cut into n = ceil(L / max_seconds) equal
   samples (each at most `max_seconds` and at least max_seconds / 2 long), so the samples are
   a spread through the whole recording, not only its start. If those would be shorter than
   `min_seconds` (only possible when min_seconds > max_seconds / 2), it is cut into n - 1
   samples of `max_seconds` from its start instead and the rest is "too short"; a stretch
   under `min_seconds` is "too short" as a whole.
3. **Silence** ("silent"), judged on rendered audio: each recording is rendered once through
   the APU model (`synthic.audio.render_recording_blocks`, at 44.1 kHz, the lowest rate it
   supports), as RMS levels of 50-ms blocks; a candidate is silent when its RMS is below
   `silence_dbfs` (default -60 dBFS, the quality gate's threshold) or when fewer than
   `min_sounding` (default 0.5) of its blocks reach that level (mostly silent).
4. **Sound effects** ("sound effect"). A sound effect is a short fixed sequence of a few notes,
   started now and then; music plays many different notes all the time. A note is a trigger
   (a write to NR14, NR24, NR34 or NR44 with bit 7 set) with its pitch (the channel's 11-bit
   frequency at that write; on CH4 the NR43 noise setting). A candidate is a sound effect when
   it triggers fewer than `min_notes` (default 8) distinct (channel, pitch) notes, or when
   notes start in fewer than `min_note_coverage` (default 0.25) of its whole seconds. The
   jukebox driver's three effects (buttons A, B, Select) have 5 notes between them, so a
   stretch of them, however often pressed, is a sound effect.
5. **Duplicates** ("duplicate of <sample>"): the same music heard again, in the same recording
   or in another recording of the same input (a looping song, a title theme in each listen
   window). A sample's writes are grouped into bursts (`bursts`: a new burst after a gap of
   more than BURST_GAP_CYCLES, about 1 ms), each (frames since the previous burst, rounded;
   the set of (register, value) it writes). Its fingerprint (`fingerprint`) is the set of
   hashes of every SHINGLE (5) consecutive bursts that trigger a note, with the frames between
   them (all bursts when it has fewer than 2 x SHINGLE of those); it depends on nothing before
   the sample, so the same music gives the same shingles wherever a sample starts. A sample
   is a duplicate when at least `duplicate_overlap` (default 0.8) of its fingerprint occurs
   in samples kept before it (all together); the table names the kept sample it shares most
   with. So the repeat is found wherever the sample boundaries fall.

Within one job only one input is seen; `sample_hash(rec)` is an exact hash of a sample's
normalised bursts (writes that repeat the value already in their register dropped, triggers
never; times relative to its first burst, in frames), written in the table's `hash` column so
that a later stage over all inputs can drop samples that are identical across inputs.

The table (`prune.tsv`, TSV) has one row per candidate stretch, in time order per recording:
`recording`, `sample` (the sample's file name in the output folder, for stretches of music),
`start_s`, `end_s`, `seconds`, `start_cycles`, `end_cycles`, `kept`, `reason` (empty when
kept), `detail` (the measurement behind the reason), `rms_dbfs`, `sounding`, `notes`,
`note_coverage`, `overlap` and `hash`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthic import events, limits
from synthic.errors import SynthicError, display_name
from synthic.events.normalise import normalise
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES

TABLE = "prune.tsv"
COLUMNS = (
    "recording", "sample", "start_s", "end_s", "seconds", "start_cycles", "end_cycles", "kept",
    "reason", "detail", "rms_dbfs", "sounding", "notes", "note_coverage", "overlap", "hash",
    "writes", "writes_kept",
)  # fmt: skip
WINDOW_LABELS = ("startup", "press", "listen")
RATE_HZ = 44_100  # the lowest rate synthic.audio renders at
BLOCK_SECONDS = 0.05  # silence is judged on RMS levels of blocks this long
BLOCK_SAMPLES = int(RATE_HZ * BLOCK_SECONDS)
BURST_GAP_CYCLES = 4096  # writes further apart than this (~1 ms) start a new burst
SHINGLE = 5  # note bursts per fingerprint shingle
TRIGGERS = {0xFF14: 0xFF13, 0xFF19: 0xFF18, 0xFF1E: 0xFF1D}  # NRx4 -> NRx3 of CH1-CH3
NR43, NR44 = 0xFF22, 0xFF23
SAMPLE_NAME = re.compile(r"\.s\d{3,}\.events$")


@dataclass(frozen=True)
class PruneConfig:
    """The pruning rules' settings (see the module docstring); checked when made: a bad value
    raises ValueError naming its key."""

    min_seconds: float = 10.0  # shortest sample
    max_seconds: float = 30.0  # longest sample
    settle_seconds: float = 2.0  # busy time after each press window or button marker
    startup: bool = True  # keep the hands-off "startup" window of ROM recordings
    silence_dbfs: float = -60.0  # RMS below this is silence
    min_sounding: float = 0.5  # least fraction of 50-ms blocks at or above silence_dbfs
    min_notes: int = 8  # fewer distinct (channel, pitch) notes: a sound effect
    min_note_coverage: float = 0.25  # least fraction of whole seconds in which a note starts
    duplicate_overlap: float = 0.8  # this much of a fingerprint already kept: a duplicate
    # Drop writes that provably change nothing (synthic.events.normalise). Off by default: a
    # sample cut mid-song starts from an unknown chip state, where almost nothing is provable.
    normalise: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            x = getattr(self, f.name)
            if f.type == "bool":
                if not isinstance(x, bool):
                    raise ValueError(f"{f.name}: {x!r} is not true or false")
                continue
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise ValueError(f"{f.name}: {x!r} is not a number")
            if not math.isfinite(x):
                raise ValueError(f"{f.name}: {x!r} is not a finite number")
            if f.type == "int" and x != int(x):
                raise ValueError(f"{f.name}: {x!r} is not a whole number")
        for key in ("min_seconds", "max_seconds"):
            x = getattr(self, key)
            if not 1 <= x <= limits.MAX_RECORDING_SECONDS:
                raise ValueError(f"{key}: {x!r} must be from 1 to 86400 seconds (24 hours)")
        if self.min_seconds > self.max_seconds:
            raise ValueError(
                f"min_seconds: the minimum {self.min_seconds:g} is more than max_seconds "
                f"{self.max_seconds:g}"
            )
        if not 0 <= self.settle_seconds <= limits.MAX_RECORDING_SECONDS:
            raise ValueError(f"settle_seconds: {self.settle_seconds!r} must be 0 to 86400")
        if self.silence_dbfs > 0:
            raise ValueError(f"silence_dbfs: {self.silence_dbfs!r} must be at most 0 dBFS")
        for key in ("min_sounding", "min_note_coverage", "duplicate_overlap"):
            x = getattr(self, key)
            if not 0 <= x <= 1:
                raise ValueError(f"{key}: {x!r} must be a fraction from 0 to 1")
        if not 0 <= self.min_notes <= 100_000:
            raise ValueError(f"min_notes: {self.min_notes!r} must be from 0 to 100000")
        object.__setattr__(self, "min_notes", int(self.min_notes))

    @classmethod
    def from_dict(cls, d: dict) -> PruneConfig:
        """From a mapping of some of the fields (the workflow's `prune` config, JSON); raises
        ValueError naming the key of a bad or unknown setting."""
        if not isinstance(d, dict):
            raise ValueError(f"{d!r} is not a mapping of settings")
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(known), key=str)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(known)})")
        return cls(**d)


# -- stretches ---------------------------------------------------------------------------------


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]):
    out = []
    for s, e in spans:
        for hs, he in holes:
            if he <= s or hs >= e:
                continue
            if hs > s:
                out.append((s, hs))
            s = max(s, he)
            if s >= e:
                break
        if s < e:
            out.append((s, e))
    return out


def music_spans(rec: Recording, config: PruneConfig) -> tuple[list, list]:
    """(music, other): the hands-off stretches of `rec` and the rest, each a list of
    (start, end, reason) in T-cycles (rule 1 of the module docstring)."""
    length = rec.length_cycles
    settle = int(round(config.settle_seconds * CLOCK_HZ))
    markers = rec.markers
    windows = [m for m in markers if m["label"] in WINDOW_LABELS]
    busy = _union(
        (m["start"], min(length, m["end"] + settle))
        for m in markers
        if m["label"] == "press" or m["label"].startswith("button")
    )
    if windows:
        labels = ("listen", "startup") if config.startup else ("listen",)
        hands_off = _union(
            (m["start"], min(m["end"], length)) for m in windows if m["label"] in labels
        )
    else:
        hands_off = [(0, length)] if length > 0 else []
    music = _subtract(hands_off, busy)
    other = _subtract([(0, length)] if length > 0 else [], music)
    out_other = []
    for s, e in other:
        if e - s < FRAME_T_CYCLES and any(e == ms or s == me for ms, me in music):
            continue  # a sliver beside the music (a window ending a cycle before the recording)
        pressed = any(bs < e and be > s for bs, be in busy)
        out_other.append((s, e, "buttons pressed" if pressed else "not hands-off"))
    return [(s, e, "") for s, e in music], out_other


def cut(start: int, end: int, config: PruneConfig) -> list[tuple[int, int, bool]]:
    """A stretch of music cut into samples (rule 2): a list of (start, end, long_enough)."""
    lo = config.min_seconds * CLOCK_HZ
    hi = config.max_seconds * CLOCK_HZ
    length = end - start
    if length < lo:
        return [(start, end, False)]
    n = math.ceil(length / hi)
    if length / n >= lo:
        bounds = [start + round(i * length / n) for i in range(n + 1)]
        return [(a, b, True) for a, b in zip(bounds, bounds[1:], strict=False)]
    step = int(hi)
    out = [(start + i * step, start + (i + 1) * step, True) for i in range(n - 1)]
    out.append((start + (n - 1) * step, end, False))
    return out


# -- measurements ------------------------------------------------------------------------------


def block_levels(rec: Recording, until_cycles: int | None = None) -> np.ndarray:
    """Mean square (both channels) of each 50-ms block of `rec` rendered at 44.1 kHz, up to
    `until_cycles` (all of it by default); rendered once, in blocks of bounded memory."""
    from synthic.audio import render_recording_blocks

    end = rec.length_cycles if until_cycles is None else min(until_cycles, rec.length_cycles)
    n_blocks = math.ceil(end / CLOCK_HZ / BLOCK_SECONDS)
    if len(rec) == 0 or rec.t_cycles[0] >= end:
        return np.zeros(n_blocks)
    sums: list[np.ndarray] = []
    carry = np.zeros((0, 2), np.float32)
    for block in render_recording_blocks(rec, rate_hz=RATE_HZ, seconds=end / CLOCK_HZ):
        audio = np.concatenate([carry, block]) if len(carry) else block
        whole = len(audio) // BLOCK_SAMPLES * BLOCK_SAMPLES
        squares = np.square(audio[:whole], dtype=np.float64)
        sums.append(squares.reshape(-1, BLOCK_SAMPLES * 2).mean(axis=1))
        carry = audio[whole:]
    if len(carry):
        sums.append(np.array([np.square(carry, dtype=np.float64).mean()]))
    levels = np.concatenate(sums) if sums else np.zeros(0)
    return np.pad(levels, (0, max(0, n_blocks - len(levels))))[:n_blocks]


def notes(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """(t_cycles, key) of every note trigger of `rec`: NRx4 with bit 7 on CH1-CH3 (key: channel
    << 12 | 11-bit frequency) and NR44 with bit 7 (key: 4 << 12 | NR43)."""
    state: dict[int, int] = {}
    times, keys = [], []
    for t, a, v in zip(
        rec.t_cycles.tolist(), rec.address.tolist(), rec.value.tolist(), strict=True
    ):
        state[a] = v
        if v & 0x80:
            if a in TRIGGERS:
                ch = (a - 0xFF14) // 5 + 1
                times.append(t)
                keys.append(ch << 12 | (v & 7) << 8 | state.get(TRIGGERS[a], 0))
            elif a == NR44:
                times.append(t)
                keys.append(4 << 12 | state.get(NR43, 0))
    return np.array(times, np.int64), np.array(keys, np.int64)


def bursts(
    rec: Recording, *, drop_repeats: bool = True
) -> list[tuple[int, bool, tuple[tuple[int, int], ...]]]:
    """The normalised bursts of `rec` (rule 5 of the module docstring): a list of (frames
    since the previous burst, whether it triggers a note, sorted (register, value) pairs).
    `drop_repeats`: leave out writes that repeat their register's value (not triggers)."""
    state: dict[int, int] = {}
    out = []
    current: set[tuple[int, int]] = set()
    trig = False
    first_t = last_t = prev_start = None
    for t, a, v in zip(
        rec.t_cycles.tolist(), rec.address.tolist(), rec.value.tolist(), strict=True
    ):
        is_trigger = bool(v & 0x80) and (a in TRIGGERS or a == NR44)
        if drop_repeats and not is_trigger and state.get(a) == v:
            continue
        state[a] = v
        if last_t is None or t - last_t > BURST_GAP_CYCLES:
            if current:
                gap = (
                    round((first_t - prev_start) / FRAME_T_CYCLES) if prev_start is not None else 0
                )
                out.append((gap, trig, tuple(sorted(current))))
                prev_start = first_t
            current, trig, first_t = set(), False, t
        current.add((a, v))
        trig |= is_trigger
        last_t = t
    if current:
        gap = round((first_t - prev_start) / FRAME_T_CYCLES) if prev_start is not None else 0
        out.append((gap, trig, tuple(sorted(current))))
    return out


def _burst_bytes(gap: int, pairs: tuple[tuple[int, int], ...]) -> bytes:
    return gap.to_bytes(8, "little") + bytes(x for a, v in pairs for x in (a & 0xFF, v)) + b"|"


def sample_hash(rec: Recording) -> str:
    """An exact hash of `rec`'s normalised bursts (times relative to its first write, rounded
    to frames): equal for the same music cut at the same place, whatever came before it and
    however much silence leads into it."""
    h = hashlib.blake2b(digest_size=16)
    for gap, _, pairs in bursts(rec):
        h.update(_burst_bytes(gap, pairs))
    return h.hexdigest()


def fingerprint(rec: Recording) -> set[int]:
    """The hashes of every SHINGLE consecutive note bursts of `rec` (all bursts when it has
    fewer than 2 x SHINGLE note bursts); see rule 5 of the module docstring."""
    bs = bursts(rec, drop_repeats=False)
    chosen = [b for b in bs if b[1]]
    if len(chosen) < 2 * SHINGLE:
        chosen = bs
    else:  # gaps between note bursts
        frames = np.cumsum([b[0] for b in bs])
        at = [f for f, b in zip(frames.tolist(), bs, strict=True) if b[1]]
        chosen = [(at[i] - at[i - 1] if i else 0, True, b[2]) for i, b in enumerate(chosen)]
    tokens = [
        int.from_bytes(hashlib.blake2b(_burst_bytes(g, p), digest_size=8).digest(), "little")
        for g, _, p in chosen
    ]
    return {hash(tuple(tokens[i : i + SHINGLE])) for i in range(len(tokens) - SHINGLE + 1)}


# -- the job -----------------------------------------------------------------------------------


def _dbfs(mean_square: float) -> float:
    return 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def recordings_in(folder: str | os.PathLike) -> list[Path]:
    """The `.events` recordings of one input's folder, sorted by name (samples excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SynthicError(f"{display_name(folder)}: not a folder of recordings")
    return sorted(
        p for p in folder.glob("*.events") if p.is_file() and not SAMPLE_NAME.search(p.name)
    )


def prune_recordings(
    folder: str | os.PathLike, outdir: str | os.PathLike, config: PruneConfig | None = None
) -> pd.DataFrame:
    """Prune one input's recordings folder into `outdir` (samples and `prune.tsv`, each written
    atomically; older samples in `outdir` not kept this time are removed). Returns the table."""
    config = config or PruneConfig()
    folder, outdir = Path(folder), Path(outdir)
    paths = recordings_in(folder)
    if outdir.exists() and os.path.samefile(folder, outdir):
        raise SynthicError(f"{display_name(outdir)}: write the samples to another folder")
    outdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    kept_index: dict[int, str] = {}  # fingerprint shingle -> the first kept sample holding it
    kept_hashes: dict[str, str] = {}
    written: set[str] = set()
    for path in paths:
        rec = events.read(path)
        stem = path.name[: -len(".events")]
        rows_here, samples = _candidates(rec, stem, config)
        for row, sample in zip(rows_here, samples, strict=True):
            if sample is not None and row["kept"]:
                _check_duplicate(row, sample, config, kept_index, kept_hashes)
            if sample is not None and row["kept"]:
                row["writes"] = len(sample)
                if config.normalise:  # renders bit-identical (tests/test_normalise.py)
                    sample = normalise(sample)
                row["writes_kept"] = len(sample)
                events.write(sample, outdir / row["sample"])
                written.add(row["sample"])
        rows += rows_here
        del rec
    for old in outdir.glob("*.events"):
        if SAMPLE_NAME.search(old.name) and old.name not in written:
            old.unlink()
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["kept"] = table["kept"].astype(bool)
    from synthic.events.atomic import atomic_output

    with atomic_output(outdir / TABLE, "w", encoding="utf-8", newline="") as f:
        table.to_csv(f, sep="\t", index=False, float_format="%.6g")
    return table


def _candidates(rec: Recording, stem: str, config: PruneConfig):
    """The table rows of one recording and, for each, its sample (None for busy stretches);
    rules 1-4 applied, duplicates (rule 5) left to the caller."""
    music, other = music_spans(rec, config)
    stretches = sorted(
        [(s, e, reason, None) for s, e, reason in other]
        + [
            (a, b, "" if ok else "too short", True)
            for s, e, _ in music
            for a, b, ok in cut(s, e, config)
        ]
    )
    rows, samples = [], []
    long_enough = [x for x in stretches if x[3] and not x[2]]
    levels = block_levels(rec, max(e for _, e, _, _ in long_enough)) if long_enough else None
    note_t, note_k = notes(rec) if long_enough else (None, None)
    index = 0
    for s, e, reason, is_music in stretches:
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            recording=stem, start_s=round(s / CLOCK_HZ, 6), end_s=round(e / CLOCK_HZ, 6),
            seconds=round((e - s) / CLOCK_HZ, 6), start_cycles=s, end_cycles=e,
            kept=False, reason=reason, rms_dbfs=np.nan, sounding=np.nan, notes=np.nan,
            note_coverage=np.nan, overlap=np.nan,
        )  # fmt: skip
        sample = None
        if is_music:
            row["sample"] = f"{stem}.s{index:03d}.events"
            index += 1
        if is_music and not reason:
            b0 = int(s / CLOCK_HZ / BLOCK_SECONDS)
            b1 = max(b0 + 1, math.ceil(e / CLOCK_HZ / BLOCK_SECONDS))
            lv = levels[b0:b1]
            rms = _dbfs(float(lv.mean()))
            sounding = float(np.mean(lv >= 10 ** (config.silence_dbfs / 10)))
            lo, hi = np.searchsorted(note_t, [s, e])
            keys = note_k[lo:hi]
            seconds = np.unique((note_t[lo:hi] - s) // CLOCK_HZ)
            coverage = len(seconds) / math.ceil((e - s) / CLOCK_HZ)
            row.update(
                rms_dbfs=round(rms, 2), sounding=round(sounding, 4),
                notes=len(np.unique(keys)), note_coverage=round(coverage, 4),
            )  # fmt: skip
            if rms < config.silence_dbfs:
                row["reason"] = "silent"
                row["detail"] = f"RMS {rms:.1f} dBFS < {config.silence_dbfs:g} dBFS"
            elif sounding < config.min_sounding:
                row["reason"] = "silent"
                row["detail"] = (
                    f"mostly silent: {100 * sounding:.0f} % of 50-ms blocks sound "
                    f"(< {100 * config.min_sounding:g} %)"
                )
            elif row["notes"] < config.min_notes:
                row["reason"] = "sound effect"
                row["detail"] = f"{row['notes']} distinct notes (< {config.min_notes})"
            elif coverage < config.min_note_coverage:
                row["reason"] = "sound effect"
                row["detail"] = (
                    f"notes start in {100 * coverage:.0f} % of its seconds "
                    f"(< {100 * config.min_note_coverage:g} %)"
                )
            else:
                row["kept"] = True
                sample = rec.between(s, e)
                sample.meta.pop("markers", None)
                sample.meta.update(
                    sample_of=f"{stem}.events", sample_start_cycles=int(s), sample_end_cycles=int(e)
                )
                row["hash"] = sample_hash(sample)
        elif reason == "too short":
            row["detail"] = f"{(e - s) / CLOCK_HZ:.1f} s < {config.min_seconds:g} s"
        rows.append(row)
        samples.append(sample)
    return rows, samples


def _check_duplicate(row, sample, config, kept_index, kept_hashes) -> None:
    if row["hash"] in kept_hashes:
        row.update(kept=False, reason=f"duplicate of {kept_hashes[row['hash']]}", overlap=1.0)
        row["detail"] = "the same normalised writes"
        return
    fp = fingerprint(sample)
    owners = Counter(kept_index[x] for x in fp if x in kept_index)
    overlap = sum(owners.values()) / len(fp) if fp else 0.0
    row["overlap"] = round(overlap, 4)
    if fp and overlap >= config.duplicate_overlap:
        other = owners.most_common(1)[0][0]
        row.update(kept=False, reason=f"duplicate of {other}")
        row["detail"] = f"{100 * overlap:.0f} % of its fingerprint already kept"
        return
    kept_hashes[row["hash"]] = row["sample"]
    for x in fp:
        kept_index.setdefault(x, row["sample"])


def summary(table: pd.DataFrame) -> str:
    """One line: candidates, kept, and the seconds of music kept."""
    kept = table[table["kept"]]
    seconds = float(kept["seconds"].sum()) if len(kept) else 0.0
    return (
        f"{len(table)} candidates, {len(kept)} kept, {seconds:.1f} s of music kept "
        f"({seconds / 3600:.2f} h)"
    )


def combine_tables(folders) -> pd.DataFrame:
    """Every game's prune.tsv in one table, with the game (its folder's name) first; `folders`
    are game folders (results/samples/NAME) or folders of them (results/samples)."""
    parts = []
    for folder in [Path(f) for f in folders]:
        games = [folder] if (folder / TABLE).is_file() else sorted(folder.glob(f"*/{TABLE}"))
        for g in games:
            g = g if g.is_dir() else g.parent
            part = pd.read_csv(g / TABLE, sep="\t", dtype={"reason": str, "sample": str})
            part.insert(0, "game", g.name)
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["game", *COLUMNS])
    return pd.concat(parts, ignore_index=True)


def totals(table: pd.DataFrame) -> str:
    """Candidates, samples and hours kept, and seconds dropped for each reason."""
    kept = table[table["kept"].astype(str).str.lower().isin(["true", "1"])]
    lines = [
        f"{len(table)} candidate stretches in {table['game'].nunique()} games, "
        f"{table['seconds'].sum() / 3600:.2f} h; kept {len(kept)} samples, "
        f"{kept['seconds'].sum() / 3600:.2f} h of music"
    ]
    if len(kept) and "writes" in kept and kept["writes"].sum():
        before, after = int(kept["writes"].sum()), int(kept["writes_kept"].sum())
        lines.append(
            f"  normalised: {before:,} writes -> {after:,} "
            f"({100 * (before - after) / before:.1f} % dropped, audio unchanged)"
        )
    dropped = table.drop(kept.index)
    reasons = dropped["reason"].fillna("").str.replace(r"^duplicate of .*", "duplicate", regex=True)
    for reason, part in dropped.groupby(reasons):
        lines.append(f"  dropped ({reason}): {len(part)} stretches, {part['seconds'].sum():.0f} s")
    return "\n".join(lines)
