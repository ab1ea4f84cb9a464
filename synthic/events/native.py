"""The native binary format, `.events`: lossless, checksummed, fast to read.

Layout (little-endian):

    offset  size  field
    0       8     magic b"\\x89SYNEVT\\n" (the high byte and newline catch text-mode mangling)
    8       2     version (1)
    10      2     header size in bytes (48)
    12      4     chunk capacity: most writes one chunk may hold
    16      8     number of writes
    24      8     length in T-cycles (end of the recording)
    32      8     offset of the metadata trailer
    40      4     metadata length in bytes
    44      4     CRC-32 of bytes 0-43
    48      ...   chunks, one after another:
                    u32 count (1 .. capacity), u8 delta width (1, 2, 4 or 8), 3 zero bytes,
                    count x width  time deltas (unsigned; the first is relative to the
                                   previous chunk's last write, or to 0),
                    count          register (address - 0xFF00, 0x10-0x3F),
                    count          value,
                    u32 CRC-32 of the chunk from its count on
    trailer       metadata as UTF-8 JSON, then its u32 CRC-32; the file ends there.

Each chunk chooses the narrowest delta width that fits, so a file is about 3-4 bytes a write.
Reading decodes whole chunks with numpy (no Python loop per write). The metadata sits at the end
so a recorder can stream chunks while it runs and add markers until it closes (`EventsWriter`).
Every size read from the file is checked against the bytes that remain before anything is
allocated, so a corrupt header cannot ask for a huge buffer; the file, the number of writes and
the length are checked against `synthic.limits` (256 MiB, 20 million writes, 24 hours), and the
metadata is validated (`recording.check_meta`).
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from synthic import limits
from synthic.errors import FormatError
from synthic.events.atomic import atomic_output
from synthic.events.recording import (
    Recording,
    check_length,
    check_writes,
    clean_meta,
    parse_meta_json,
)

MAGIC = b"\x89SYNEVT\n"
VERSION = 1
HEADER = struct.Struct("<8sHHIQqQII")  # up to and including the header CRC
HEADER_SIZE = HEADER.size  # 48
CHUNK_HEAD = struct.Struct("<IB3x")
CRC = struct.Struct("<I")
DEFAULT_CHUNK = 1 << 16
MAX_CHUNK = 1 << 24  # a chunk may hold at most 16 Mi writes (a reader's buffer bound)
MAX_META_BYTES = 64 << 20
_WIDTH_DTYPES = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4"), 8: np.dtype("<u8")}


# -- writing -------------------------------------------------------------------------------


class EventsWriter:
    """Streams a recording to disk chunk by chunk; the file appears atomically on `close()`.

    >>> with EventsWriter("out.events", meta={"title": "x"}) as w:
    ...     w.append(t_cycles, address, value)
    ...     w.meta["markers"] = [...]
    ...     w.length_cycles = end
    """

    def __init__(self, path: str | os.PathLike, *, meta: dict | None = None, chunk=DEFAULT_CHUNK):
        if not 1 <= chunk <= MAX_CHUNK:
            raise ValueError(f"chunk capacity must be 1..{MAX_CHUNK}")
        self.path = Path(path)
        self.meta: dict[str, Any] = dict(meta or {})
        self.length_cycles = 0
        self.n_writes = 0
        self._chunk = chunk
        self._last_t = 0
        self._ctx = atomic_output(self.path, "wb")
        self._f: BinaryIO = self._ctx.__enter__()
        self._f.write(b"\0" * HEADER_SIZE)  # patched by close()

    def append(self, t_cycles: np.ndarray, address: np.ndarray, value: np.ndarray) -> None:
        t = np.asarray(t_cycles, np.int64)
        for lo in range(0, len(t), self._chunk):
            hi = min(lo + self._chunk, len(t))
            self._write_chunk(t[lo:hi], np.asarray(address[lo:hi]), np.asarray(value[lo:hi]))

    def _write_chunk(self, t: np.ndarray, address: np.ndarray, value: np.ndarray) -> None:
        deltas = np.diff(t, prepend=self._last_t)
        if len(deltas) and deltas.min() < 0:
            raise ValueError("time goes backwards between appended writes")
        biggest = int(deltas.max()) if len(deltas) else 0
        width = next(w for w in (1, 2, 4, 8) if biggest < (1 << (8 * w)))
        body = b"".join(
            (
                CHUNK_HEAD.pack(len(t), width),
                deltas.astype(_WIDTH_DTYPES[width]).tobytes(),
                (np.asarray(address, np.uint16) - 0xFF00).astype(np.uint8).tobytes(),
                np.asarray(value, np.uint8).tobytes(),
            )
        )
        self._f.write(body)
        self._f.write(CRC.pack(zlib.crc32(body)))
        self.n_writes += len(t)
        if len(t):
            self._last_t = int(t[-1])
            self.length_cycles = max(self.length_cycles, self._last_t)

    def close(self) -> None:
        if self._f is None:
            return
        meta = json.dumps(clean_meta(self.meta), ensure_ascii=False, sort_keys=True).encode()
        meta_offset = self._f.tell()
        self._f.write(meta)
        self._f.write(CRC.pack(zlib.crc32(meta)))
        head = HEADER.pack(
            MAGIC,
            VERSION,
            HEADER_SIZE,
            self._chunk,
            self.n_writes,
            self.length_cycles,
            meta_offset,
            len(meta),
            0,
        )
        head = head[:-4] + CRC.pack(zlib.crc32(head[:-4]))
        self._f.seek(0)
        self._f.write(head)
        self._ctx.__exit__(None, None, None)
        self._f = None

    def abort(self) -> None:
        """Discard the partial file (the destination is left untouched)."""
        if self._f is not None:
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
            self._f = None

    def __enter__(self) -> EventsWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write(recording: Recording, path: str | os.PathLike) -> None:
    with EventsWriter(path, meta=recording.meta) as w:
        w.append(recording.t_cycles, recording.address, recording.value)
        w.length_cycles = recording.length_cycles


# -- reading -------------------------------------------------------------------------------


class _Header:
    __slots__ = ("chunk", "n_writes", "length_cycles", "meta_offset", "meta_len", "file_size")


def _read_header(f: BinaryIO, path: str) -> _Header:
    file_size = os.fstat(f.fileno()).st_size
    if file_size > limits.MAX_EVENTS_BYTES:
        raise FormatError(
            path,
            f"{file_size} bytes, larger than the {limits.MAX_EVENTS_BYTES >> 20} MiB a .events "
            "file may be",
            offset=limits.MAX_EVENTS_BYTES,
        )
    raw = f.read(HEADER_SIZE)
    if len(raw) < len(MAGIC) or raw[: len(MAGIC)] != MAGIC:
        if raw[: len(MAGIC)] == MAGIC[: len(raw)]:
            raise FormatError(path, "truncated header", offset=len(raw))
        raise FormatError(path, "not a Synthic .events file (bad magic number)", offset=0)
    if len(raw) < HEADER_SIZE:
        raise FormatError(
            path, f"truncated header ({len(raw)} of {HEADER_SIZE} bytes)", offset=len(raw)
        )
    _, version, hsize, chunk, n, length, meta_off, meta_len, crc = HEADER.unpack(raw)
    if zlib.crc32(raw[:-4]) != crc:
        raise FormatError(path, "header checksum mismatch", offset=HEADER_SIZE - 4)
    if version != VERSION:
        raise FormatError(path, f"unsupported version {version} (this reads {VERSION})", offset=8)
    if hsize != HEADER_SIZE:
        raise FormatError(path, f"unexpected header size {hsize}", offset=10)
    if not 1 <= chunk <= MAX_CHUNK:
        raise FormatError(path, f"absurd chunk capacity {chunk}", offset=12)
    body = file_size - HEADER_SIZE
    if n > body // 3:  # every write takes at least 3 bytes
        raise FormatError(path, f"header claims {n} writes, more than the file can hold", offset=16)
    check_writes(n, path, offset=16)
    if length < 0:
        raise FormatError(path, f"negative length {length}", offset=24)
    check_length(length, path, offset=24)
    if not HEADER_SIZE <= meta_off <= file_size:
        raise FormatError(
            path, f"metadata offset {meta_off} outside the file ({file_size} bytes)", offset=32
        )
    if meta_len > MAX_META_BYTES or meta_off + meta_len + 4 != file_size:
        where = meta_off + meta_len + 4
        if meta_off + meta_len + 4 > file_size:
            raise FormatError(
                path, f"truncated: metadata of {meta_len} bytes runs past the end", offset=file_size
            )
        raise FormatError(
            path, f"{file_size - where} unexpected bytes after the metadata", offset=where
        )
    h = _Header()
    h.chunk, h.n_writes, h.length_cycles = chunk, n, length
    h.meta_offset, h.meta_len, h.file_size = meta_off, meta_len, file_size
    return h


def _read_meta(f: BinaryIO, path: str, h: _Header) -> dict[str, Any]:
    f.seek(h.meta_offset)
    raw = f.read(h.meta_len + 4)
    if len(raw) < h.meta_len + 4:
        raise FormatError(path, "truncated metadata", offset=h.meta_offset + len(raw))
    (crc,) = CRC.unpack(raw[-4:])
    if zlib.crc32(raw[:-4]) != crc:
        raise FormatError(path, "metadata checksum mismatch", offset=h.meta_offset)
    try:
        text = raw[:-4].decode()
    except UnicodeDecodeError as e:
        raise FormatError(path, "metadata is not UTF-8", offset=h.meta_offset + e.start) from None
    return parse_meta_json(text, path, offset=h.meta_offset)


def read_meta(path: str | os.PathLike) -> tuple[dict[str, Any], int, int]:
    """Metadata, number of writes and length in T-cycles, without reading the writes."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        h = _read_header(f, path)
        return _read_meta(f, path, h), h.n_writes, h.length_cycles


def iter_chunks(path: str | os.PathLike) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Stream (t_cycles, address, value) arrays chunk by chunk; memory stays one chunk."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        h = _read_header(f, path)
        yield from _chunks(f, path, h)


def _chunks(
    f: BinaryIO, path: str, h: _Header
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    pos, seen, t0 = HEADER_SIZE, 0, 0
    f.seek(pos)
    while pos < h.meta_offset:
        head = f.read(CHUNK_HEAD.size)
        if len(head) < CHUNK_HEAD.size:
            raise FormatError(path, "truncated chunk header", offset=pos + len(head))
        count, width = CHUNK_HEAD.unpack(head)
        if width not in _WIDTH_DTYPES:
            raise FormatError(path, f"bad delta width {width}", offset=pos + 4)
        if not 1 <= count <= h.chunk:
            raise FormatError(path, f"absurd chunk size {count} (capacity {h.chunk})", offset=pos)
        size = count * (width + 2)
        if pos + CHUNK_HEAD.size + size + 4 > h.meta_offset:
            raise FormatError(
                path, f"chunk of {count} writes runs past the data (truncated?)", offset=pos
            )
        body = f.read(size + 4)
        if len(body) < size + 4:
            raise FormatError(path, "truncated chunk", offset=pos + CHUNK_HEAD.size + len(body))
        (crc,) = CRC.unpack_from(body, size)
        if zlib.crc32(body[:size], zlib.crc32(head)) != crc:
            raise FormatError(path, "chunk checksum mismatch", offset=pos)
        buf = memoryview(body)
        deltas = np.frombuffer(buf, _WIDTH_DTYPES[width], count)
        regs = np.frombuffer(buf, np.uint8, count, count * width)
        values = np.frombuffer(buf, np.uint8, count, count * (width + 1))
        t = np.cumsum(deltas, dtype=np.int64)
        t += t0
        # Only 8-byte deltas can wrap an int64 inside a chunk; any width can at the end.
        if t[-1] < t0 or (width == 8 and (np.diff(t, prepend=t0) < 0).any()):
            raise FormatError(path, "time deltas overflow 64 bits", offset=pos + CHUNK_HEAD.size)
        if t[-1] > h.length_cycles:  # times never decrease: the last is the latest
            i = int(np.argmax(t > h.length_cycles))
            raise FormatError(
                path,
                f"write {seen + i} at {int(t[i])} is after the length {h.length_cycles}",
                offset=pos + CHUNK_HEAD.size + i * width,
            )
        bad = np.flatnonzero((regs < 0x10) | (regs > 0x3F))
        if len(bad):
            i = int(bad[0])
            raise FormatError(
                path,
                f"write {seen + i}: register 0xFF{regs[i]:02X} is not a sound register",
                offset=pos + CHUNK_HEAD.size + count * width + i,
            )
        t0 = int(t[-1])
        seen += count
        if seen > h.n_writes:
            raise FormatError(path, f"more writes than the header's {h.n_writes}", offset=pos)
        yield t, regs.astype(np.uint16) + 0xFF00, values.copy()
        pos += CHUNK_HEAD.size + size + 4
    if seen != h.n_writes:
        raise FormatError(
            path, f"{seen} writes found, header says {h.n_writes} (truncated?)", offset=pos
        )


def read(path: str | os.PathLike) -> Recording:
    path = os.fspath(path)
    with open(path, "rb") as f:
        h = _read_header(f, path)
        meta = _read_meta(f, path, h)
        parts = list(_chunks(f, path, h))
    if parts:
        t, a, v = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    else:
        t, a, v = np.zeros(0, np.int64), np.zeros(0, np.uint16), np.zeros(0, np.uint8)
    return Recording(t, a, v, length_cycles=h.length_cycles, meta=meta, validate=False)
