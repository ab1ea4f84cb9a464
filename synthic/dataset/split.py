"""Split: the samples of a collection into train, validation and test sets, by game.

A game is one input of the collection (one folder `results/samples/<input name>/`; a GBS file,
with all its songs, is one game). Every sample of a game goes to the same set, so no game's
music is both trained on and evaluated.

**Assignment.** Each game gets a key, sha256("<seed>:<game name>"); games are ordered by key
(name as tie-break). With n games and fractions (train, val, test), the test set gets the first
k_test = max(1, round(f_test * n)) games in that order, the validation set the next
k_val = max(1, round(f_val * n)), and train the rest (Python's round: halves to even). A
fraction of 0 gives that set no game. Whenever n >= 3 every set gets at least one game (if the
held-out sets would leave train empty, the larger of them gives one back); so the demo's 8 ROMs
split 6/1/1 and 100 games 90/5/5. With n = 2 the games go to train and val; with n = 1 to train.

Deterministic: the same names, seed and fractions give the same split, whatever the order the
games are listed in. Stable under adding games as far as exact counts allow: a game's key never
changes, so adding one game moves at most two existing games to another set (each of the two
boundaries in the key order moves by at most one place), and a new game whose key falls after
the held-out games changes nothing when the counts stay the same (`tests/test_split.py` checks
both). A pure per-game hash threshold would never move a game but cannot promise 6/1/1 on a
small collection; exact counts were preferred.

**Duplicates across inputs.** Each sample carries a hash of its normalised events (prune.tsv's
`hash` column, or `events_hash`, the same hash computed here, when a table has none). Samples
are taken in the order train, val, test, then by game and sample path; a sample whose hash
equals an earlier one's is dropped with the reason "duplicate of <path>", so a duplicate is
kept in train and dropped from the held-out sets.

**The manifest** (TSV, `write_manifest` / `read_manifest`): one row per sample: `sample` (its
path), `game`, `set`, `seconds`, `hash`, `kept` (true/false) and `reason` (empty when kept).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from synthic.events.atomic import atomic_output
from synthic.events.recording import Recording

SETS = ("train", "val", "test")
DEFAULT_FRACTIONS = (0.90, 0.05, 0.05)
COLUMNS = ["sample", "game", "set", "seconds", "hash", "kept", "reason"]
# Columns of a prune.tsv that may name a sample's file, tried in this order.
_SAMPLE_COLUMNS = ("sample", "file", "path", "name", "output")


def game_key(game: str, seed: int = 0) -> str:
    return hashlib.sha256(f"{seed}:{game}".encode("utf-8", "surrogatepass")).hexdigest()


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    f = tuple(float(x) for x in fractions)
    if len(f) != 3 or any(not np.isfinite(x) or x < 0 for x in f) or not 0.999 < sum(f) < 1.001:
        raise ValueError(
            f"fractions must be three numbers from 0 to 1 (train, val, test) that add up to 1, "
            f"not {fractions!r}"
        )
    if f[0] == 0:
        raise ValueError("the train fraction must be above 0")
    return f  # type: ignore[return-value]


def set_sizes(n: int, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> tuple[int, int, int]:
    """(train, val, test) game counts for n games (the rule in the module docstring)."""
    _, f_val, f_test = check_fractions(fractions)
    if n <= 0:
        return 0, 0, 0
    if n == 1:
        return 1, 0, 0
    if n == 2:
        return (1, 1, 0) if f_val > 0 else (1, 0, 1) if f_test > 0 else (2, 0, 0)
    k_val = max(1, round(f_val * n)) if f_val > 0 else 0
    k_test = max(1, round(f_test * n)) if f_test > 0 else 0
    while k_val + k_test > n - 1:
        if k_val >= k_test:
            k_val -= 1
        else:
            k_test -= 1
    return n - k_val - k_test, k_val, k_test


def assign_games(
    games: Iterable[str], seed: int = 0, fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> dict[str, str]:
    """{game: "train" | "val" | "test"} for each distinct game (see the module docstring)."""
    names = sorted(set(games), key=lambda g: (game_key(g, seed), g))
    _, k_val, k_test = set_sizes(len(names), fractions)
    out = {}
    for i, g in enumerate(names):
        out[g] = "test" if i < k_test else "val" if i < k_test + k_val else "train"
    return out


def events_hash(rec: Recording) -> str:
    """A hash of a sample's normalised events, for a sample whose prune.tsv row has none: the
    prune step's `sample_hash` (so that it matches the hashes prune writes), or where that is
    missing `exact_events_hash`."""
    try:
        from synthic.dataset.prune import sample_hash
    except ImportError:
        return exact_events_hash(rec)
    return sample_hash(rec)


def exact_events_hash(rec: Recording) -> str:
    """A hash of the writes with times relative to the first write (metadata and the length
    ignored), so that the same music cut from two inputs matches."""
    t = rec.t_cycles - (rec.t_cycles[0] if len(rec) else 0)
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(t, "<i8").tobytes())
    h.update(np.ascontiguousarray(rec.address, "<u2").tobytes())
    h.update(np.ascontiguousarray(rec.value, "u1").tobytes())
    return h.hexdigest()[:32]


def split(
    samples: str | os.PathLike | Sequence[str | os.PathLike] | Iterable[tuple],
    seed: int = 0,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> pd.DataFrame:
    """The manifest (columns `COLUMNS`) of a split.

    `samples` is a folder of sample folders (results/samples), a list of such folders, or an
    iterable of (game, sample path, seconds, hash) tuples."""
    rows = _rows(samples)
    assignment = assign_games((r[0] for r in rows), seed, fractions)
    order = {s: i for i, s in enumerate(SETS)}
    rows.sort(key=lambda r: (order[assignment[r[0]]], r[0], str(r[1])))
    seen: dict[str, str] = {}
    table = []
    for game, path, seconds, digest in rows:
        path = str(path)
        first = seen.get(digest) if digest else None
        if first is None:
            if digest:
                seen[digest] = path
            kept, reason = True, ""
        else:
            kept, reason = False, f"duplicate of {first}"
        table.append((path, game, assignment[game], float(seconds), digest, kept, reason))
    return pd.DataFrame(table, columns=COLUMNS)


def _rows(samples) -> list[tuple[str, str, float, str]]:
    if isinstance(samples, str | os.PathLike):
        return samples_rows(samples)
    items = list(samples)
    if all(isinstance(x, str | os.PathLike) for x in items):
        return [r for d in items for r in samples_rows(d)]
    return [(str(g), str(p), float(s), str(h or "")) for g, p, s, h in items]


def samples_rows(root: str | os.PathLike) -> list[tuple[str, str, float, str]]:
    """(game, sample path, seconds, hash) of every kept sample under `root`: each folder
    `root/<input name>/` is one game. Its prune.tsv says which samples were kept (rows whose
    `kept` is true), with their seconds and hash; a sample without a hash, or a folder without
    prune.tsv (then every .events file in it is a sample), is read to compute them."""
    root = Path(root)
    if (root / "prune.tsv").is_file() or any(root.glob("*.events")):
        folders = [root]  # one game's folder given directly
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    out = []
    for folder in folders:
        game = folder.name
        for path, seconds, digest in _folder_samples(folder):
            if seconds is None or not digest:
                from synthic import events

                rec = events.read(path)
                seconds = rec.duration_seconds if seconds is None else seconds
                digest = digest or events_hash(rec)
            out.append((game, str(path), float(seconds), digest))
    return out


def _truthy(x) -> bool:
    return str(x).strip().lower() in ("true", "1", "yes", "kept")


def _folder_samples(folder: Path) -> list[tuple[Path, float | None, str]]:
    table = folder / "prune.tsv"
    files = sorted(folder.glob("*.events"))
    if not table.is_file():
        return [(p, None, "") for p in files]
    with open(table, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        return []
    column = next((c for c in _SAMPLE_COLUMNS if c in rows[0]), None)
    out = []
    if column is None:  # no column names the files: take every .events file, computed
        return [(p, None, "") for p in files]
    for row in rows:
        if "kept" in row and not _truthy(row["kept"]):
            continue
        name = row[column]
        if not name:
            continue
        path = folder / Path(name).name  # only a file inside this folder
        if not path.is_file():
            continue
        try:
            seconds = float(row["seconds"]) if row.get("seconds") not in (None, "") else None
        except ValueError:
            seconds = None
        out.append((path, seconds, (row.get("hash") or "").strip()))
    return out


def write_manifest(table: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_output(path, "w", encoding="utf-8", newline="") as f:
        table[COLUMNS].to_csv(f, sep="\t", index=False, lineterminator="\n")


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    table = pd.read_csv(
        path,
        sep="\t",
        dtype={"sample": str, "game": str, "set": str, "hash": str, "reason": str},
        keep_default_na=False,
        na_values={"seconds": [""]},
    )
    table["kept"] = table["kept"].map(_truthy)
    return table


def summary(table: pd.DataFrame) -> str:
    """One line per set: games, samples kept, seconds; then the duplicates dropped."""
    lines = []
    kept = table[table["kept"]]
    for s in SETS:
        part = kept[kept["set"] == s]
        games = table[table["set"] == s]["game"].nunique()
        lines.append(f"{s}: {games} games, {len(part)} samples, {part['seconds'].sum():.0f} s")
    dropped = int((~table["kept"]).sum())
    lines.append(f"{dropped} duplicate samples dropped")
    return "\n".join(lines)
