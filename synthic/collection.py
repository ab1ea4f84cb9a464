"""Finding the inputs of a collection: every recordable file under the configured folders.

Collections are folders of ROMs (.gb, and .gbc files that run on the DMG), GBS music rips and
VGM/VGZ files, often zipped. `find_inputs` walks the folders recursively, looks inside .zip
archives, and gives each input a stable, filesystem-safe name (its path relative to its
folder, lowercased, other characters folded to `_`), used as the workflow's wildcard. Files
with the same SHA-1 are recorded once: the first by path is kept and the others are listed
as duplicates of it. A .gbc whose header says CGB-only is skipped, with the reason.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from synthic.errors import SynthicError

KINDS = {
    ".gb": "rom",
    ".gbc": "rom",
    ".gbs": "gbs",
    ".vgm": "vgm",
    ".vgz": "vgm",
    ".events": "events",
    ".events.txt": "events",
}
_BY_LENGTH = sorted(KINDS, key=len, reverse=True)


@dataclass(frozen=True)
class Input:
    name: str  # the wildcard: stable and filesystem-safe
    path: str  # the file on disk (the archive, for a zip member)
    member: str | None  # the path inside the archive, or None
    kind: str  # "rom", "gbs", "vgm" or "events"
    sha1: str

    @property
    def label(self) -> str:
        return f"{self.path}::{self.member}" if self.member else self.path


@dataclass(frozen=True)
class Skipped:
    label: str
    reason: str


def kind_of(filename: str) -> str | None:
    low = filename.lower()
    for ext in _BY_LENGTH:
        if low.endswith(ext):
            return KINDS[ext]
    return None


def strip_extension(name: str) -> str:
    """`name` without its input extension (".events.txt" counts as one) or ".zip"."""
    low = name.lower()
    for ext in _BY_LENGTH + [".zip"]:
        if low.endswith(ext):
            return name[: -len(ext)]
    return name


def safe_name(relative: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", strip_extension(relative).lower()).strip("_")
    return name or "input"


def read_input(path: str | os.PathLike, member: str | None = None) -> bytes:
    """The bytes of an input file, or of a member of a zip archive."""
    if member is None:
        return Path(path).read_bytes()
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(member)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise SynthicError(
            f"{os.fspath(path)}::{member}: cannot read from the archive ({e})"
        ) from None


def _cgb_only(data: bytes) -> bool:
    return len(data) > 0x143 and data[0x143] == 0xC0


def find_inputs(roots: str | list[str]) -> tuple[list[Input], list[Skipped]]:
    """Every input under `roots` (folders or files), sorted by path; and what was skipped."""
    if isinstance(roots, str):
        roots = [roots]
    found: list[Input] = []
    skipped: list[Skipped] = []
    names: set[str] = set()
    by_sha1: dict[str, str] = {}

    def add(rel: str, path: str, member: str | None, data: bytes) -> None:
        kind = kind_of(member or path)
        label = f"{path}::{member}" if member else path
        if kind == "rom" and (member or path).lower().endswith(".gbc") and _cgb_only(data):
            skipped.append(Skipped(label, "Game Boy Color only (header byte 0x143 = 0xC0)"))
            return
        sha1 = hashlib.sha1(data).hexdigest()
        if sha1 in by_sha1:
            skipped.append(Skipped(label, f"duplicate of {by_sha1[sha1]} (same SHA-1)"))
            return
        name = safe_name(rel)
        if name in names:
            name += "_" + sha1[:8]
        names.add(name)
        by_sha1[sha1] = name
        found.append(Input(name, path, member, kind, sha1))

    for root in roots:
        base = Path(root)
        if not base.exists():
            raise SynthicError(f"{root}: no such file or folder (config key 'roms')")
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            rel = path.name if base.is_file() else str(path.relative_to(base))
            if path.suffix.lower() == ".zip":
                try:
                    with zipfile.ZipFile(path) as z:
                        members = sorted(
                            m.filename
                            for m in z.infolist()
                            if not m.is_dir() and kind_of(m.filename)
                        )
                        for m in members:
                            add(f"{safe_name(rel)}/{m}", os.fspath(path), m, z.read(m))
                except (zipfile.BadZipFile, OSError) as e:
                    skipped.append(Skipped(os.fspath(path), f"unreadable zip archive ({e})"))
                continue
            if kind_of(path.name) is None:
                continue
            add(rel, os.fspath(path), None, path.read_bytes())
    return found, skipped
