"""Recordings of sound-register writes and every file format that holds them.

from synthic import events
rec = events.read("song.vgm")          # format from the extension (or the file's magic)
events.write(rec, "song.events")       # native binary; .events.txt, .vgm, .vgz, ...
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

from synthic.errors import SynthicError
from synthic.events import legacy, midi, native, text, vgm
from synthic.events.recording import Recording, Write, clean_text

__all__ = ["FORMATS", "Recording", "Write", "detect_format", "read", "write"]


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    description: str
    reader: Callable[[str], Recording]
    writer: Callable[..., object]  # returns a note-worthy report or None
    native: bool = False  # keeps metadata and exact timing
    lossy_capable: bool = False  # the writer takes lossy=


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "events",
            ".events",
            "native binary (lossless, checksummed)",
            native.read,
            native.write,
            native=True,
        ),
        Format(
            "events-text",
            ".events.txt",
            "native text (lossless, one line per write)",
            text.read,
            text.write,
            native=True,
        ),
        Format(
            "vgm",
            ".vgm",
            "VGM 1.61+ (44.1 kHz timing, GD3 tags, loop point)",
            vgm.read,
            lambda r, p: vgm.write(r, p, compress=False),
        ),
        Format("vgz", ".vgz", "gzipped VGM", vgm.read, lambda r, p: vgm.write(r, p, compress=True)),
        Format(
            "original-text",
            ".txt",
            "the original Synthic's text (channels 1-2 only)",
            legacy.read_text,
            legacy.write_text,
            lossy_capable=True,
        ),
        Format(
            "original-binary",
            ".bin",
            "the original Synthic's 7-byte records (channels 1-2)",
            legacy.read_binary,
            legacy.write_binary,
            lossy_capable=True,
        ),
        Format(
            "midi",
            ".mid",
            "Standard MIDI File of the notes (export only)",
            midi.read,  # raises: MIDI is export-only
            midi.write,
        ),
    )
}

_MAGICS = (
    (native.MAGIC, "events"),
    (text.MAGIC.encode(), "events-text"),
    (b"Vgm ", "vgm"),
    (b"\x1f\x8b", "vgz"),
)


def detect_format(path: str | os.PathLike, *, sniff: bool = True) -> str:
    """The format of `path`: from its extension, else (for reading) from its first bytes."""
    name = os.fspath(path).lower()
    # Longest extension first, so ".events.txt" wins over ".txt".
    for fmt in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
        if name.endswith(fmt.extension):
            return fmt.name
    if sniff and os.path.isfile(path):
        with open(path, "rb") as f:
            head = f.read(32)
        for magic, fmt_name in _MAGICS:
            if head.startswith(magic):
                return fmt_name
    known = ", ".join(f.extension for f in FORMATS.values())
    raise SynthicError(f"{os.fspath(path)}: unknown format (known extensions: {known})")


def read(path: str | os.PathLike, fmt: str | None = None) -> Recording:
    path = os.fspath(path)
    fmt = _check_name(fmt) if fmt else detect_format(path)
    spec = FORMATS[fmt]
    rec = spec.reader(path)
    if not spec.native:
        # Foreign formats carry no provenance: name the file and fingerprint its bytes.
        # A name os.fsdecode could not decode holds lone surrogates: escaped, so the recording
        # can be written as UTF-8.
        rec.meta.setdefault("source", clean_text(os.path.basename(path)))
        rec.meta.setdefault("sha1", sha1_of(path))
    return rec


def write(
    rec: Recording, path: str | os.PathLike, fmt: str | None = None, *, lossy: bool = False
) -> list[str]:
    """Write `rec` to `path`; returns notes worth telling the user (losses, timing error)."""
    fmt = _check_name(fmt) if fmt else detect_format(path, sniff=False)
    spec = FORMATS[fmt]
    if spec.lossy_capable:
        report = spec.writer(rec, path, lossy=lossy)
        return [report.summary()] if report else []
    result = spec.writer(rec, path)
    if fmt in ("vgm", "vgz"):
        us = result / 4.194304
        return [
            f"timing quantised to 44.1 kHz samples: largest error {result} T-cycles ({us:.1f} µs)"
        ]
    return []


def sha1_of(path: str | os.PathLike) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_name(fmt: str) -> str:
    if fmt not in FORMATS:
        raise SynthicError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return fmt
