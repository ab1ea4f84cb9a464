"""VGM 1.61+ (and gzipped .vgz) for the Game Boy: import and export, GD3 tags, loop point.

VGM counts time in samples at 44,100 Hz; a recording counts T-cycles at 4,194,304 Hz, about
95.1 T-cycles a sample. Import is exact (sample n is T-cycle round(n * 4194304 / 44100)).
Export rounds each write to the nearest sample and reports the largest error; exporting what
was imported gives back the same samples, so VGM -> recording -> VGM is lossless.

Header fields used (VGM 1.71 specification): 0x00 "Vgm ", 0x04 EOF offset, 0x08 version (BCD),
0x14 GD3 offset, 0x18 total samples, 0x1C loop offset, 0x20 loop samples, 0x34 data offset,
0x80 Game Boy DMG clock (bit 30: a second chip). Command 0xB3 aa dd writes dd to 0xFF10 + aa
(aa 0x00-0x2F; bit 7 addresses the second chip, whose writes are dropped and counted).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from synthic.errors import FormatError
from synthic.events.atomic import atomic_output
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ

SAMPLE_RATE = 44_100
MAX_FILE_BYTES = 256 << 20  # a VGM larger than this (after gunzip) is refused, not allocated
GD3_FIELDS = (
    "track",
    "track_jp",
    "game",
    "game_jp",
    "system",
    "system_jp",
    "author",
    "author_jp",
    "date",
    "ripper",
    "notes",
)

# Bytes each command occupies (including the command byte); None = unknown. From the spec's
# command table; 0x67 (data block) and 0x66 (end) are handled separately.
_LENGTH: list[int | None] = [None] * 256
for _c in range(0x30, 0x40):
    _LENGTH[_c] = 2
for _c in range(0x40, 0x4F):
    _LENGTH[_c] = 3
_LENGTH[0x4F] = _LENGTH[0x50] = 2
for _c in range(0x51, 0x60):
    _LENGTH[_c] = 3
_LENGTH[0x61] = 3
_LENGTH[0x62] = _LENGTH[0x63] = 1
_LENGTH[0x68] = 12
for _c in range(0x70, 0x90):
    _LENGTH[_c] = 1
for _c, _n in {0x90: 5, 0x91: 5, 0x92: 6, 0x93: 11, 0x94: 2, 0x95: 5}.items():
    _LENGTH[_c] = _n
for _c in range(0xA0, 0xC0):
    _LENGTH[_c] = 3
for _c in range(0xC0, 0xE0):
    _LENGTH[_c] = 4
for _c in range(0xE0, 0x100):
    _LENGTH[_c] = 5


def samples_to_cycles(samples: np.ndarray | int) -> np.ndarray | int:
    return (np.asarray(samples, np.int64) * CLOCK_HZ + SAMPLE_RATE // 2) // SAMPLE_RATE


def cycles_to_samples(t_cycles: np.ndarray | int) -> np.ndarray | int:
    return (np.asarray(t_cycles, np.int64) * SAMPLE_RATE + CLOCK_HZ // 2) // CLOCK_HZ


# -- reading -------------------------------------------------------------------------------


def load_bytes(path: str) -> bytes:
    """The file's bytes, gunzipped if it is gzip (a .vgz), never more than MAX_FILE_BYTES."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(
                path, f"larger than {MAX_FILE_BYTES >> 20} MiB", offset=MAX_FILE_BYTES
            )
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    d = zlib.decompressobj(wbits=31)
    parts, total = [], 0
    try:
        # Inflate in steps so a gzip bomb is stopped at the limit, not after filling memory.
        chunk = d.decompress(raw, 1 << 20)
        while chunk:
            parts.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise FormatError(
                    path, f"unpacks to more than {MAX_FILE_BYTES >> 20} MiB", offset=0
                )
            chunk = d.decompress(d.unconsumed_tail, 1 << 20)
    except zlib.error as e:
        raise FormatError(path, f"corrupt gzip data ({e})", offset=0) from None
    if not d.eof:
        raise FormatError(path, "truncated gzip data", offset=len(raw))
    return b"".join(parts)


def read(path: str | os.PathLike) -> Recording:
    path = os.fspath(path)
    data = load_bytes(path)
    size = len(data)
    if size < 4 or data[:4] != b"Vgm ":
        if size < 4 and b"Vgm "[:size] == data:
            raise FormatError(path, "truncated header", offset=size)
        raise FormatError(path, "not a VGM file (bad magic number)", offset=0)
    if size < 0x40:
        raise FormatError(path, f"truncated header ({size} of 64 bytes)", offset=size)

    def u32(offset: int) -> int:
        return struct.unpack_from("<I", data, offset)[0] if offset + 4 <= size else 0

    version = u32(0x08)
    if version < 0x161:
        raise FormatError(
            path,
            f"VGM version {version >> 8:x}.{version & 0xFF:02x} predates Game Boy support (1.61)",
            offset=0x08,
        )
    data_start = 0x34 + u32(0x34) if u32(0x34) else 0x40
    if not 0x40 <= data_start < size:
        raise FormatError(
            path, f"data offset 0x{data_start:x} outside the file ({size} bytes)", offset=0x34
        )
    if data_start <= 0x80 or not u32(0x80) & 0x3FFFFFFF:
        raise FormatError(
            path, "no Game Boy (DMG) chip in this VGM (clock at 0x80 is 0)", offset=0x80
        )
    gd3 = _read_gd3(data, path, u32(0x14))
    loop_at = 0x1C + u32(0x1C) if u32(0x1C) else None

    times, addresses, values, samples, loop_samples, dropped = _commands(
        data, path, data_start, loop_at
    )
    meta: dict = {"format": "vgm", "vgm_version": f"{version >> 8:x}.{version & 0xFF:02x}"}
    if gd3:
        meta["gd3"] = gd3
        for key, name in (("title", "track"), ("game", "game"), ("author", "author")):
            if gd3.get(name):
                meta[key] = gd3[name]
    if loop_samples is not None:
        meta["loop_cycles"] = int(samples_to_cycles(loop_samples))
    if dropped:
        meta["second_chip_writes_dropped"] = dropped
    total = max(samples, u32(0x18))
    return Recording(
        samples_to_cycles(np.array(times, np.int64)),
        np.array(addresses, np.int64) + 0xFF10,
        values,
        length_cycles=int(samples_to_cycles(total)),
        meta=meta,
        validate=False,
    )


def _commands(data: bytes, path: str, pos: int, loop_at: int | None):
    """Walk the command stream from `pos` to the end command.

    Returns the sample time, register (0x00-0x2F) and value of each first-chip write, the total
    samples, the sample time of the loop point (or None) and the number of second-chip writes.
    """
    size = len(data)
    times: list[int] = []
    addresses: list[int] = []
    values: list[int] = []
    samples, dropped, loop_samples = 0, 0, None
    length = _LENGTH
    while True:
        if loop_at is not None and loop_samples is None and pos >= loop_at:
            loop_samples = samples
        if pos >= size:
            raise FormatError(
                path, "truncated: the command stream has no end command (0x66)", offset=pos
            )
        c = data[pos]
        if c == 0xB3:
            if pos + 3 > size:
                raise FormatError(path, "truncated command", offset=pos)
            aa, dd = data[pos + 1], data[pos + 2]
            if aa & 0x80:
                dropped += 1
            elif aa > 0x2F:
                raise FormatError(
                    path,
                    f"Game Boy register 0xFF{0x10 + aa:02X} is not a sound register",
                    offset=pos + 1,
                )
            else:
                times.append(samples)
                addresses.append(aa)
                values.append(dd)
            pos += 3
            continue
        if 0x70 <= c <= 0x7F:
            samples += (c & 0xF) + 1
        elif c == 0x62:
            samples += 735
        elif c == 0x63:
            samples += 882
        elif c == 0x61:
            if pos + 3 > size:
                raise FormatError(path, "truncated command", offset=pos)
            samples += data[pos + 1] | data[pos + 2] << 8
        elif 0x80 <= c <= 0x8F:
            samples += c & 0xF
        elif c == 0x66:
            break
        elif c == 0x67:
            if pos + 7 > size:
                raise FormatError(path, "truncated data block", offset=pos)
            n = struct.unpack_from("<I", data, pos + 3)[0] & 0x7FFFFFFF
            if pos + 7 + n > size:
                raise FormatError(
                    path, f"data block of {n} bytes runs past the end of the file", offset=pos + 3
                )
            pos += 7 + n
            continue
        n = length[c]
        if n is None:
            raise FormatError(path, f"unknown VGM command 0x{c:02X}", offset=pos)
        if pos + n > size:
            raise FormatError(path, "truncated command", offset=pos)
        pos += n
    if loop_at is not None and loop_samples is None:
        raise FormatError(path, "loop offset points past the end command", offset=0x1C)
    return times, addresses, np.array(values, np.uint8), samples, loop_samples, dropped


def _read_gd3(data: bytes, path: str, rel: int) -> dict[str, str]:
    if not rel:
        return {}
    at = 0x14 + rel
    if at + 12 > len(data) or data[at : at + 4] != b"Gd3 ":
        raise FormatError(path, "GD3 offset does not point at a 'Gd3 ' tag", offset=0x14)
    # Some trackers (hUGETracker) write a GD3 length a few bytes past the end of the file:
    # the tag is read up to the end; the slice never allocates more than the file holds.
    n = struct.unpack_from("<I", data, at + 8)[0]
    raw = data[at + 12 : at + 12 + n]
    raw = raw[: len(raw) // 2 * 2]
    try:
        strings = raw.decode("utf-16-le").split("\0")
    except UnicodeDecodeError:
        raise FormatError(path, "GD3 strings are not UTF-16", offset=at + 12) from None
    return {k: v for k, v in zip(GD3_FIELDS, strings, strict=False) if v}


# -- writing -------------------------------------------------------------------------------


def _waits(n: int, out: bytearray) -> None:
    while n > 0:
        if n <= 16:
            out.append(0x70 + n - 1)
            return
        if n == 735 or n == 1470:
            out.append(0x62)
            n -= 735
        elif n == 882 or n == 1764:
            out.append(0x63)
            n -= 882
        else:
            k = min(n, 0xFFFF)
            out += bytes((0x61, k & 0xFF, k >> 8))
            n -= k


def encode(rec: Recording) -> tuple[bytes, int]:
    """VGM bytes and the largest timing error in T-cycles caused by rounding to samples."""
    samples = cycles_to_samples(rec.t_cycles)
    error = int(np.abs(samples_to_cycles(samples) - rec.t_cycles).max()) if len(rec) else 0
    total = int(cycles_to_samples(rec.length_cycles))
    total = max(total, int(samples[-1]) if len(rec) else 0)
    loop = rec.meta.get("loop_cycles")
    loop_s = None if loop is None else min(int(cycles_to_samples(loop)), total)
    body = bytearray()
    loop_pos = None
    now = 0
    regs = (rec.address.astype(np.int64) - 0xFF10).tolist()
    for s, aa, dd in zip(samples.tolist(), regs, rec.value.tolist(), strict=True):
        if loop_s is not None and loop_pos is None and s >= loop_s:
            _waits(loop_s - now, body)
            now, loop_pos = loop_s, len(body)
        if s > now:
            _waits(s - now, body)
            now = s
        body += bytes((0xB3, aa, dd))
    if loop_s is not None and loop_pos is None:
        _waits(loop_s - now, body)
        now, loop_pos = loop_s, len(body)
    _waits(total - now, body)
    body.append(0x66)

    gd3 = dict(rec.meta.get("gd3", {}))
    for key, name in (("title", "track"), ("game", "game"), ("author", "author")):
        if rec.meta.get(key) and not gd3.get(name):
            gd3[name] = str(rec.meta[key])
    strings = "".join(gd3.get(k, "") + "\0" for k in GD3_FIELDS).encode("utf-16-le")
    tag = b"Gd3 " + struct.pack("<II", 0x100, len(strings)) + strings

    header = bytearray(0x100)
    data_at = len(header)
    gd3_at = data_at + len(body)
    end = gd3_at + len(tag)
    header[0:4] = b"Vgm "
    struct.pack_into("<I", header, 0x04, end - 0x04)
    struct.pack_into("<I", header, 0x08, 0x171)
    struct.pack_into("<I", header, 0x14, gd3_at - 0x14)
    struct.pack_into("<I", header, 0x18, total)
    if loop_pos is not None:
        struct.pack_into("<I", header, 0x1C, data_at + loop_pos - 0x1C)
        struct.pack_into("<I", header, 0x20, total - loop_s)
    struct.pack_into("<I", header, 0x34, data_at - 0x34)
    struct.pack_into("<I", header, 0x80, CLOCK_HZ)
    return bytes(header) + bytes(body) + tag, error


def write(rec: Recording, path: str | os.PathLike, *, compress: bool | None = None) -> int:
    """Write a .vgm (or gzipped .vgz); returns the largest timing error in T-cycles."""
    data, error = encode(rec)
    if compress is None:
        compress = os.fspath(path).lower().endswith(".vgz")
    if compress:
        data = gzip.compress(data, mtime=0)
    with atomic_output(path, "wb") as f:
        f.write(data)
    return error
