"""The inventory of a collection: every recordable file under the configured folders.

Collections are folders of ROMs (.gb, and .gbc files that run on the DMG), GBS music rips and
VGM/VGZ files, often zipped, downloaded from anywhere: every name, size and byte in them is
untrusted. `scan` walks the folders (not following links to folders), looks inside .zip
archives, and gives each input a stable, filesystem-safe name (its path relative to its folder,
lowercased, other characters folded to `_`, at most `NAME_MAX` characters), used as the
workflow's wildcard: the only input-derived text that reaches a shell line.

Only regular files are read (a FIFO or a device behind a recognised name is skipped, never
opened for reading), and each is read in chunks with a cap: a file or zip member larger than its
kind can be (`synthic.limits`) is skipped with the reason, a zip member by its declared size
before anything is inflated. Files with the same SHA-1 are recorded once: the first by path is
kept and the others are listed as duplicates of it. A .gbc whose header says CGB-only is
skipped, with the reason.

The inventory is a table (`write_inventory`, `read_inventory`): one row per input or skipped
file with its name, kind, SHA-1, size, outcome and reason, and the path and member
percent-encoded (exact for any bytes, one line for any name). The workflow builds it once per
change of the collection (`fingerprint`: a walk that only stats files) and every job looks its
input up in it by name; `scan(..., previous=...)` reuses the SHA-1 of every file whose size and
modification time are unchanged, so adding a ROM to a large collection hashes one file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from synthic.errors import SynthicError, display_name
from synthic.limits import MAX_INPUT_BYTES, MiB

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
# An LZMA member names its own dictionary size, up to 4 GiB, which the decoder allocates before
# it inflates a byte (a bomb that the declared sizes do not show): such members are not read.
LZMA_REASON = "LZMA-compressed zip member: not read (its decoder's memory is set by the file)"
NAME_MAX = 80  # longer safe names are cut and given an 8-digit hash suffix
CHUNK = 1 * MiB
INVENTORY_COLUMNS = [
    "name", "kind", "sha1", "size", "mtime_ns", "outcome", "reason", "label", "path", "member",
]  # fmt: skip
# Errors a damaged or hostile zip archive raises while it is listed or a member inflated.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,  # an unsupported compression method
    RuntimeError,  # an encrypted member
    ValueError,
    OSError,
    MemoryError,  # a decoder asked by the file for more memory than there is
    IndexError,  # zipfile's own, e.g. ZipInfo.is_dir() of an empty name
)


@dataclass(frozen=True)
class Input:
    name: str  # the wildcard: stable and filesystem-safe
    path: str  # the file on disk (the archive, for a zip member); may hold surrogate escapes
    member: str | None  # the path inside the archive, or None
    kind: str  # "rom", "gbs", "vgm" or "events"
    sha1: str
    size: int = 0  # bytes (of the member, for a zip member)
    mtime_ns: int = 0  # of the file on disk (the archive)

    @property
    def label(self) -> str:
        """The input as printable text (file::member), safe for tables, logs and terminals."""
        return label_of(self.path, self.member)


@dataclass(frozen=True)
class Skipped:
    label: str  # printable (display_name)
    reason: str
    path: str = ""
    member: str | None = None
    size: int = 0
    mtime_ns: int = 0


def label_of(path: str, member: str | None = None) -> str:
    return display_name(path) + (f"::{display_name(member)}" if member else "")


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
    """A wildcard for `relative`: lowercase letters, digits and `_`, never empty, never longer
    than NAME_MAX (a longer one keeps its start and gets a hash of the whole as suffix)."""
    name = re.sub(r"[^a-z0-9]+", "_", strip_extension(relative).lower()).strip("_") or "input"
    if len(name) > NAME_MAX:
        digest = hashlib.sha1(os.fsencode(relative) if relative else b"").hexdigest()[:8]
        name = name[: NAME_MAX - 9].rstrip("_") + "_" + digest
    return name


def _limit(kind: str) -> int:
    return MAX_INPUT_BYTES[kind]


def _too_big(kind: str, size: int) -> str:
    return (
        f"{size:,} bytes: larger than a {kind} can be ({_limit(kind):,} bytes, see synthic.limits)"
    )


def _regular_stat(path: str) -> os.stat_result | str:
    """The file's stat, or why it is not read (not a regular file, unreadable)."""
    try:
        st = os.stat(path)
    except OSError as e:
        return f"cannot read ({e.strerror or e})"
    if not stat.S_ISREG(st.st_mode):
        what = (
            "a FIFO" if stat.S_ISFIFO(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "not a file"
        )  # fmt: skip
        return f"not a regular file ({what})"
    return st


def _open_regular(path: str):
    """Open `path` for reading only if it is a regular file, without blocking on a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SynthicError(f"{display_name(path)}: not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_capped(stream, limit: int, label: str, keep: bool) -> tuple[str, bytes, int]:
    """SHA-1 of what `stream` holds, its bytes if `keep` (else its first 0x150 bytes), and how
    many bytes it held (not what a header declared); SynthicError past `limit` bytes."""
    h = hashlib.sha1()
    parts: list[bytes] = []
    head = b""
    total = 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise SynthicError(f"{label}: more than {limit:,} bytes (the limit for its kind)")
        h.update(chunk)
        if keep:
            parts.append(chunk)
        elif len(head) < 0x150:
            head += chunk[: 0x150 - len(head)]
    return h.hexdigest(), b"".join(parts) if keep else head, total


def read_file(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of a regular file (never a FIFO or a device), refused (SynthicError) past
    `limit` bytes without reading more than that."""
    path = os.fspath(path)
    label = display_name(path)
    try:
        with _open_regular(path) as f:
            if os.fstat(f.fileno()).st_size > limit:  # refused before reading
                raise SynthicError(f"{label}: more than {limit:,} bytes (the limit for its kind)")
            return _read_capped(f, limit, label, keep=True)[1]
    except OSError as e:
        raise SynthicError(f"{label}: cannot read ({e.strerror or e})") from None


def read_input(path: str | os.PathLike, member: str | None = None) -> bytes:
    """The bytes of an input file, or of a member of a zip archive, never more than its kind
    allows (`synthic.limits`); only regular files are read."""
    path = os.fspath(path)
    kind = kind_of(member or path) or "events"
    limit = _limit(kind)
    if member is None:
        return read_file(path, limit)
    label = label_of(path, member)
    try:
        with _open_regular(path) as f:
            with zipfile.ZipFile(f) as z:
                info = z.getinfo(member)
                if info.file_size > limit:
                    raise SynthicError(f"{label}: {_too_big(kind, info.file_size)}")
                if info.compress_type == zipfile.ZIP_LZMA:
                    raise SynthicError(f"{label}: {LZMA_REASON}")
                with z.open(info) as m:
                    return _read_capped(m, limit, label, keep=True)[1]
    except KeyError:
        raise SynthicError(f"{label}: no such member in the archive") from None
    except _ZIP_ERRORS as e:
        raise SynthicError(f"{label}: cannot read ({e})") from None


def _cgb_only(head: bytes) -> bool:
    return len(head) > 0x143 and head[0x143] == 0xC0


def _walk(base: Path) -> Iterator[tuple[str, str]]:
    """(relative name, path) of every file under `base`, sorted, folders not followed through
    links; a file given as `base` is its own name."""
    if not base.is_dir():
        yield base.name, os.fspath(base)
        return
    for folder, dirs, files in os.walk(base, followlinks=False):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(folder, f)
            yield os.path.relpath(path, base), path


def _candidates(roots: list[str]) -> Iterator[tuple[str, str, str]]:
    """(root, relative name, path) of every file that may be an input (by its name)."""
    for root in roots:
        base = Path(root)
        if not os.path.lexists(base):
            raise SynthicError(f"{display_name(root)}: no such file or folder (config key 'roms')")
        for rel, path in _walk(base):
            name = os.path.basename(path)
            if kind_of(name) or name.lower().endswith(".zip"):
                yield root, rel, path


def fingerprint(roots: str | list[str]) -> str:
    """A digest of what a scan would see, from the files' names, sizes and modification times
    only (no file is opened): it changes when a file is added, removed, replaced or edited."""
    roots = [roots] if isinstance(roots, str) else list(roots)
    h = hashlib.sha1()
    for root, rel, path in _candidates(roots):
        try:
            st = os.stat(path)
            key = f"{st.st_size}:{st.st_mtime_ns}:{st.st_mode:o}"
        except OSError as e:
            key = f"error:{e.errno}"
        h.update(os.fsencode(f"{root}\0{rel}\0{key}\n"))
    return h.hexdigest()


def find_inputs(
    roots: str | list[str], previous: list[Input | Skipped] | None = None
) -> tuple[list[Input], list[Skipped]]:
    """Every input under `roots` (folders or files), sorted by path; and what was skipped.
    `previous` (an earlier inventory's rows) gives the SHA-1s of unchanged files."""
    found, skipped, _ = _find_inputs(roots, previous)
    return found, skipped


def _find_inputs(
    roots: str | list[str], previous: list[Input | Skipped] | None
) -> tuple[list[Input], list[Skipped], int]:
    """`find_inputs`, and how many of its entries were taken unchanged from `previous`."""
    roots = [roots] if isinstance(roots, str) else list(roots)
    known = {
        (e.path, e.member): e for e in (previous or []) if isinstance(e, Input | Skipped)
    }  # fmt: skip
    found: list[Input] = []
    skipped: list[Skipped] = []
    names: set[str] = set()
    by_sha1: dict[str, str] = {}
    reused = 0

    def skip(path: str, member: str | None, reason: str, st=None) -> None:
        size, mtime = (st.st_size, st.st_mtime_ns) if isinstance(st, os.stat_result) else (0, 0)
        skipped.append(Skipped(label_of(path, member), reason, path, member, size, mtime))

    def add(rel: str, path: str, member: str | None, sha1: str, size: int, mtime: int) -> None:
        if sha1 in by_sha1:
            skipped.append(
                Skipped(label_of(path, member), f"duplicate of {by_sha1[sha1]} (same SHA-1)",
                        path, member, size, mtime)
            )  # fmt: skip
            return
        name = safe_name(rel)
        if name in names:
            name = name[: NAME_MAX - 9] + "_" + sha1[:8]
        names.add(name)
        by_sha1[sha1] = name
        found.append(Input(name, path, member, kind_of(member or path), sha1, size, mtime))

    def reuse(path: str, member: str | None, st: os.stat_result):
        """The earlier result for this file or member if the file is unchanged."""
        old = known.get((path, member))
        if old is None or old.mtime_ns != st.st_mtime_ns:
            return None
        if member is None and old.size != st.st_size:
            return None
        if isinstance(old, Skipped) and old.reason.startswith("duplicate of"):
            return None  # which file is the duplicate depends on the others
        nonlocal reused
        reused += 1
        return old

    def examine(path: str, member: str | None, stream, kind: str) -> tuple[str, int, str | None]:
        """(sha1, size read, reason to skip or None) of one file or member, read with a cap."""
        label = label_of(path, member)
        sha1, head, size = _read_capped(stream, _limit(kind), label, keep=False)
        if kind == "rom" and (member or path).lower().endswith(".gbc") and _cgb_only(head):
            return sha1, size, "Game Boy Color only (header byte 0x143 = 0xC0)"
        return sha1, size, None

    def scan_zip(rel: str, path: str, st: os.stat_result) -> None:
        try:
            with _open_regular(path) as f, zipfile.ZipFile(f) as z:
                members = sorted(
                    (m for m in z.infolist() if kind_of(m.filename)),  # a folder ends in '/'
                    key=lambda m: m.filename,
                )
                for info in members:
                    m = info.filename
                    old = reuse(path, m, st)
                    if old is not None:
                        if isinstance(old, Input):
                            add(f"{safe_name(rel)}/{m}", path, m, old.sha1, old.size, old.mtime_ns)
                        else:
                            skipped.append(old)
                        continue
                    kind = kind_of(m)
                    if info.file_size > _limit(kind):
                        skip(path, m, f"declared {_too_big(kind, info.file_size)}", st)
                        continue
                    if info.flag_bits & 0x1:
                        skip(path, m, "encrypted zip member", st)
                        continue
                    if info.compress_type == zipfile.ZIP_LZMA:
                        skip(path, m, LZMA_REASON, st)
                        continue
                    try:
                        with z.open(info) as stream:
                            sha1, size, reason = examine(path, m, stream, kind)
                    except (SynthicError, *_ZIP_ERRORS) as e:
                        skip(path, m, f"unreadable zip member ({_one_line(e)})", st)
                        continue
                    if reason:
                        skip(path, m, reason, st)
                    else:
                        add(f"{safe_name(rel)}/{m}", path, m, sha1, size, st.st_mtime_ns)
        except (SynthicError, *_ZIP_ERRORS) as e:
            skip(path, None, f"unreadable zip archive ({_one_line(e)})", st)

    for _root, rel, path in _candidates(roots):
        st = _regular_stat(path)
        if isinstance(st, str):
            skip(path, None, st)
            continue
        if path.lower().endswith(".zip"):
            scan_zip(rel, path, st)
            continue
        old = reuse(path, None, st)
        if old is not None:
            if isinstance(old, Input):
                add(rel, path, None, old.sha1, old.size, old.mtime_ns)
            else:
                skipped.append(old)
            continue
        kind = kind_of(path)
        if st.st_size > _limit(kind):
            skip(path, None, _too_big(kind, st.st_size), st)
            continue
        try:
            with _open_regular(path) as f:
                sha1, size, reason = examine(path, None, f, kind)
        except (SynthicError, OSError) as e:
            skip(path, None, _one_line(e), st)
            continue
        if reason:
            skip(path, None, reason, st)
        else:
            add(rel, path, None, sha1, size, st.st_mtime_ns)
    return found, skipped, reused


def _one_line(e: BaseException) -> str:
    text = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    return display_name(text or type(e).__name__)


# The inventory table ------------------------------------------------------------------------

_SAFE = "/ !#$&'()*+,-.:;=?@[]^_`{|}~"  # kept as they are; the rest is percent-encoded


def _encode(name: str | None) -> str:
    return "" if name is None else quote(os.fsencode(name), safe=_SAFE)


def _decode_path(text: str) -> str:
    return os.fsdecode(unquote_to_bytes(text))


def write_inventory(found: list[Input], skipped: list[Skipped], path: str | os.PathLike) -> None:
    """The inventory as a tab-separated table, written atomically."""
    from synthic.events.atomic import atomic_output

    with atomic_output(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(INVENTORY_COLUMNS)
        for i in found:
            w.writerow([i.name, i.kind, i.sha1, i.size, i.mtime_ns, "ok", "", i.label,
                        _encode(i.path), _encode(i.member)])  # fmt: skip
        for s in skipped:
            w.writerow(["", "", "", s.size, s.mtime_ns, "skipped", s.reason, s.label,
                        _encode(s.path), _encode(s.member)])  # fmt: skip


def read_inventory(path: str | os.PathLike) -> tuple[list[Input], list[Skipped]]:
    """The inputs and skipped files of an inventory written by `write_inventory`."""
    found: list[Input] = []
    skipped: list[Skipped] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SynthicError(f"{display_name(path)}: cannot read the inventory ({e})") from None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    header = next(rows, None)
    if header != INVENTORY_COLUMNS:
        raise SynthicError(
            f"{display_name(path)}:1: not an inventory (expected columns "
            f"{', '.join(INVENTORY_COLUMNS)}); delete it to rebuild"
        )
    for line, row in enumerate(rows, start=2):
        try:
            name, kind, sha1, size, mtime, outcome, reason, label, p, m = row
            member = _decode_path(m) if m else None
            if outcome == "ok":
                found.append(Input(name, _decode_path(p), member, kind, sha1, int(size),
                                   int(mtime)))  # fmt: skip
            else:
                skipped.append(Skipped(label, reason, _decode_path(p), member, int(size),
                                       int(mtime)))  # fmt: skip
        except ValueError as e:
            raise SynthicError(f"{display_name(path)}:{line}: bad inventory row ({e})") from None
    return found, skipped


def lookup(path: str | os.PathLike, name: str) -> Input:
    """The input called `name` in the inventory at `path`."""
    found, _ = read_inventory(path)
    for item in found:
        if item.name == name:
            return item
    raise SynthicError(f"{display_name(path)}: no input named {display_name(name)!r}")


def scan(
    roots: str | list[str], previous: str | os.PathLike | None = None
) -> tuple[list[Input], list[Skipped], int]:
    """`find_inputs`, reusing the SHA-1s of unchanged files from the inventory `previous`
    (ignored if it is missing or unreadable); and how many entries were unchanged."""
    old: list[Input | Skipped] = []
    if previous is not None and os.path.exists(previous):
        try:
            f, s = read_inventory(previous)
            old = [*f, *s]
        except SynthicError:
            old = []
    return _find_inputs(roots, old)
