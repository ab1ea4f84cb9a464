"""What recording one input came to: `OUTDIR/outcome.json`, read by the summary table.

In the workflow a bad input is an outcome, not a failed job: a ROM that cannot be read, is too
large or uses an unsupported mapper is "refused" with the reason; one whose recordings hold no
sound write at all is "silent"; otherwise it is "recorded" (a lock-up or a write flood that
stopped the recording early is noted in the reason). Only a crash fails the job, and then the
summary takes the reason from the job's log.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from synthic.errors import display_name
from synthic.events.registers import CLOCK_HZ

FILENAME = "outcome.json"
OUTCOMES = ("recorded", "silent", "refused")


@dataclass
class Outcome:
    input: str  # printable label of the input
    name: str
    kind: str
    outcome: str = "silent"
    reason: str = ""
    recordings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    writes: int = 0

    def add(self, path: str | os.PathLike, rec) -> None:
        """Count one recording written for this input."""
        self.recordings.append(os.path.basename(path))
        self.seconds = round(self.seconds + rec.length_cycles / CLOCK_HZ, 3)
        self.writes += len(rec)
        stopped = rec.meta.get("stopped")
        if stopped:
            note = display_name(str(stopped))
            self.reason = f"{self.reason}; {note}" if self.reason else note
        self.outcome = "recorded" if self.writes else "silent"
        if self.outcome == "silent" and not self.reason:
            self.reason = "no write to the sound hardware"

    def refuse(self, reason: str) -> None:
        self.outcome = "refused"
        self.reason = display_name(reason)
        self.recordings, self.seconds, self.writes = [], 0.0, 0


def write_outcome(outcome: Outcome, outdir: str | os.PathLike) -> Path:
    from synthic.events.atomic import atomic_output

    path = Path(outdir) / FILENAME
    with atomic_output(path, "w", encoding="utf-8") as f:
        json.dump(asdict(outcome), f, indent=1, ensure_ascii=True)
        f.write("\n")
    return path


def read_outcome(outdir: str | os.PathLike) -> Outcome | None:
    """The outcome written into `outdir`, or None if there is none (or it is damaged)."""
    path = Path(outdir) / FILENAME
    try:
        if path.stat().st_size > 1 << 20:
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
        o = Outcome(**{k: d[k] for k in Outcome.__dataclass_fields__ if k in d})
    except (OSError, ValueError, TypeError, RecursionError):
        return None
    ok = (
        o.outcome in OUTCOMES
        and isinstance(o.reason, str)
        and isinstance(o.seconds, int | float)
        and math.isfinite(o.seconds)
        and isinstance(o.writes, int)
        and isinstance(o.recordings, list)
    )
    return o if ok else None
