"""Finding the inputs of a collection: every recordable file under the configured folders.

Each input gets a stable, filesystem-safe name (its path relative to its folder, lowercased,
with other characters folded to `_`), used as the workflow's wildcard. Two files that fold to
the same name are told apart by a short hash of their path.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from synthic.errors import SynthicError

# Extensions recorded so far: recordings in any supported format. (ROM and GBS inputs come with
# the emulator.)
EXTENSIONS = (".vgm", ".vgz", ".events", ".events.txt")


def safe_name(relative: str) -> str:
    stem = relative
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    return name or "input"


def find_inputs(roots: str | list[str]) -> dict[str, str]:
    """Map a safe name to each input file under `roots` (folders or files), in sorted order."""
    if isinstance(roots, str):
        roots = [roots]
    found: dict[str, str] = {}
    for root in roots:
        base = Path(root)
        if not base.exists():
            raise SynthicError(f"{root}: no such file or folder (config key 'roms')")
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            rel = path.name if base.is_file() else str(path.relative_to(base))
            if not rel.lower().endswith(EXTENSIONS):
                continue
            name = safe_name(rel)
            if name in found:
                name += "_" + hashlib.sha1(str(path).encode()).hexdigest()[:6]
            found[name] = os.fspath(path)
    return found
