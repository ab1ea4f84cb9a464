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
