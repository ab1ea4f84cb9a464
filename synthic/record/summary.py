"""The summary table of a recording run: every input, its outcome, what was recorded, why not.

Built by the workflow's `summary` rule (`synthic summary`) from the inventory and what is on
disk: each input's `outcome.json` (recorded, silent, or refused with the reason: a bad input is
an outcome, not a failed job), the recordings of an input recorded before outcomes existed, the
last error line of the log of a job that crashed, the files the inventory skipped, and the
renders of each input the quality gate kept (results/render/NAME/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synthic.collection import Input, Skipped
from synthic.errors import FormatError, display_name
from synthic.events import native
from synthic.events.registers import CLOCK_HZ
from synthic.record.outcome import read_outcome

COLUMNS = [
    "input", "name", "kind", "outcome", "recordings", "seconds", "writes", "renders", "reason"
]  # fmt: skip
AUDIO_SUFFIXES = (".wav", ".flac")
MAX_LOG_BYTES = 1 << 20  # only the end of a longer log is read


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - MAX_LOG_BYTES))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return "no log"
    lines = [s.strip() for s in text.splitlines() if s.strip()]
    errors = [s.split("error: ", 1)[1] for s in lines if "error: " in s]
    return display_name((errors or lines or ["no log"])[-1])


def _from_recordings(files: list[Path]) -> dict:
    """Outcome columns from the .events files of an input that has no outcome.json."""
    seconds = writes = 0
    stops = []
    for f in files:
        try:
            meta, n, length = native.read_meta(f)
        except FormatError as e:
            stops.append(f"unreadable recording: {e}")
            continue
        seconds += length / CLOCK_HZ
        writes += n
        if meta.get("stopped"):
            stops.append(display_name(str(meta["stopped"])))
    return dict(outcome="recorded" if writes else "silent", recordings=len(files),
                seconds=round(seconds, 1), writes=writes, reason="; ".join(stops))  # fmt: skip


def _renders(renders_dir, name: str) -> int:
    folder = Path(renders_dir) / name if renders_dir is not None else None
    if folder is None or not folder.is_dir():
        return 0
    return sum(1 for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def summarise(
    inputs: list[Input],
    skipped: list[Skipped],
    recordings_dir: str | os.PathLike,
    logs_dir: str | os.PathLike,
    renders_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The table (COLUMNS); `renders` counts the audio files the quality gate kept in
    renders_dir/NAME/ (0 without renders_dir)."""
    rows = []
    for item in inputs:
        folder = Path(recordings_dir) / item.name
        row = {"input": item.label, "name": item.name, "kind": item.kind}
        outcome = read_outcome(folder)
        files = sorted(folder.glob("*.events")) if folder.is_dir() else []
        if outcome is not None:
            row.update(outcome=outcome.outcome, recordings=len(outcome.recordings),
                       seconds=round(outcome.seconds, 1), writes=outcome.writes,
                       reason=display_name(outcome.reason))  # fmt: skip
        elif files:
            row.update(_from_recordings(files))
        else:
            log = Path(logs_dir) / f"{item.name}.log"
            outcome = "failed" if log.exists() else "not run"
            row.update(outcome=outcome, recordings=0, seconds=0.0, writes=0,
                       reason=_last_line(log) if log.exists() else "")  # fmt: skip
        row["renders"] = _renders(renders_dir, item.name)
        rows.append(row)
    for s in skipped:
        rows.append({"input": s.label, "name": "", "kind": "", "outcome": "skipped",
                     "recordings": 0, "seconds": 0.0, "writes": 0, "renders": 0,
                     "reason": s.reason})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def write_summary(table: pd.DataFrame, path: str | os.PathLike) -> None:
    from synthic.events.atomic import atomic_output

    with atomic_output(path, "w", encoding="utf-8") as f:
        table.to_csv(f, sep="\t", index=False)
