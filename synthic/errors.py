"""Errors raised at the package's boundaries.

Every expected failure is a `SynthicError`; the command line prints its message on one line and
exits with status 2. `FormatError` names the file and the position (byte offset or line) so a
user can find the fault.
"""

from __future__ import annotations

import os


class SynthicError(Exception):
    """An expected failure: bad input, bad configuration, an unsupported file."""


class FormatError(SynthicError):
    """A file that cannot be read: names the file and the byte offset or line number."""

    def __init__(
        self,
        path: str | os.PathLike | None,
        message: str,
        *,
        offset: int | None = None,
        line: int | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.reason = message
        self.offset = offset
        self.line = line
        where = self.path or "<data>"
        if line is not None:
            where += f":{line}"
        elif offset is not None:
            where += f": byte {offset} (0x{offset:x})"
        super().__init__(f"{where}: {message}")


class UnrepresentableError(SynthicError):
    """Writing data that a target format cannot hold (without --lossy)."""


def display_name(name: str | bytes | os.PathLike) -> str:
    """A file or member name as safe, printable text: bytes that are not UTF-8 (surrogate
    escapes from `os.fsdecode`) become `\\xNN`; control characters (C0, DEL, C1, line and
    paragraph separators, bidirectional overrides) become `\\n`, `\\t` or `\\xNN` /
    `\\uNNNN` escapes; a backslash is doubled. The text can go into metadata, tables, logs and
    terminals as it is."""
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    elif not isinstance(name, str):
        name = os.fspath(name)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
    out = []
    for ch in name:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # any other lone surrogate
            out.append(f"\\u{code:04x}")
        elif ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in (0x2028, 0x2029) or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            # line and paragraph separators; bidirectional overrides, which reorder the
            # characters a terminal shows after them
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
