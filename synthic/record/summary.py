"""The summary table of a recording run: every input, its outcome, what was recorded, why not.

Written at the end of a workflow run (also one with failed jobs under --keep-going), from what
is on disk: the recordings of each input that succeeded, the last line of the log of each that
failed, and the inputs skipped when the collection was scanned.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synthic.collection import Input, Skipped
from synthic.events import native
from synthic.events.registers import CLOCK_HZ

COLUMNS = ["input", "name", "kind", "outcome", "recordings", "seconds", "writes", "reason"]


def _last_line(path: Path) -> str:
    try:
        lines = [s.strip() for s in path.read_text(errors="replace").splitlines() if s.strip()]
    except OSError:
        return "no log"
    errors = [s.split("error: ", 1)[1] for s in lines if "error: " in s]
    return (errors or lines or ["no log"])[-1]


def summarise(
    inputs: list[Input],
    skipped: list[Skipped],
    recordings_dir: str | os.PathLike,
    logs_dir: str | os.PathLike,
) -> pd.DataFrame:
    rows = []
    for item in inputs:
        folder = Path(recordings_dir) / item.name
        files = sorted(folder.glob("*.events")) if folder.is_dir() else []
        row = {"input": item.label, "name": item.name, "kind": item.kind}
        if files:
            seconds = writes = 0
            stops = []
            for f in files:
                meta, n, length = native.read_meta(f)
                seconds += length / CLOCK_HZ
                writes += n
                if meta.get("stopped"):
                    stops.append(meta["stopped"])
            row.update(outcome="recorded", recordings=len(files), seconds=round(seconds, 1),
                       writes=writes, reason="; ".join(stops))  # fmt: skip
        else:
            log = Path(logs_dir) / f"{item.name}.log"
            outcome = "failed" if log.exists() else "not run"
            row.update(outcome=outcome, recordings=0, seconds=0.0, writes=0,
                       reason=_last_line(log) if log.exists() else "")  # fmt: skip
        rows.append(row)
    for s in skipped:
        rows.append({"input": s.label, "name": "", "kind": "", "outcome": "skipped",
                     "recordings": 0, "seconds": 0.0, "writes": 0, "reason": s.reason})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def write_summary(table: pd.DataFrame, path: str | os.PathLike) -> None:
    from synthic.events.atomic import atomic_output

    with atomic_output(path, "w", encoding="utf-8") as f:
        table.to_csv(f, sep="\t", index=False)
