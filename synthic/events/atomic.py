"""Atomic output: a file appears complete under its name, or not at all.

Data is written to a temporary file beside the destination and renamed over it only when the
writer finishes without error, so an interrupted run never leaves a half-written output that
Snakemake or a later step would take for a good one.

The temporary file is created new (O_EXCL, with a random part in its name), never opened by a
fixed name, so a file or symbolic link planted there cannot redirect the write. Its name,
`.NAME.HOST-PID.XXXXXXXX.tmp`, says which process on which machine wrote it: a writer killed
outright (SIGKILL, a power cut) cannot remove its temporary file, so each later write to the
same destination removes those whose process on this machine has ended, and any older than
STALE_SECONDS (from another machine, or from an older version, named `.NAME.XXXXXXXX.tmp`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_UMASK = os.umask(0)
os.umask(_UMASK)

STALE_SECONDS = 24 * 3600  # a temporary file this old is garbage, whoever wrote it
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:40] or "host"
_MAX_NAME_BYTES = 160  # longer destination names are hashed in the temporary's name


def temp_prefix(path: str | os.PathLike) -> str:
    """The start of the names of path's temporary files: `.NAME.` (a hash for long names)."""
    name = Path(path).name
    if len(os.fsencode(name)) > _MAX_NAME_BYTES:  # keep within the usual 255-byte name limit
        name = hashlib.sha256(os.fsencode(name)).hexdigest()[:32]
    return f".{name}."


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not a pid we can ask about: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's process
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike, *, now: float | None = None) -> list[str]:
    """Remove the temporary files of destination `path` that no writer will finish: those of a
    process on this machine that no longer runs, and any older than STALE_SECONDS. Returns the
    names removed. Never follows links and never removes a folder."""
    path = Path(path)
    prefix = temp_prefix(path)
    pattern = re.compile(
        re.escape(prefix) + r"(?:(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]{1,10})\.)?[A-Za-z0-9_]+\.tmp"
    )
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
        except OSError:
            continue
        pid = int(match["pid"]) if match["pid"] else None
        dead = pid is not None and match["host"] == _HOST and pid != os.getpid() and not _alive(pid)
        if dead or old:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


class _Abort(Exception):
    """Raised inside atomic_output to discard what was written (see `discard`)."""


def discard() -> None:
    """Call inside `with atomic_output(...)` to give up: the destination is left as it was and
    the temporary file removed; the with statement ends without an error."""
    raise _Abort


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    prefix = f"{temp_prefix(path)}{_HOST}-{os.getpid()}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except _Abort:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
