"""VGM 1.61+ (and gzipped .vgz) for the Game Boy: import and export, GD3 tags, loop point.

VGM counts time in samples at 44,100 Hz; a recording counts T-cycles at 4,194,304 Hz, about
95.1 T-cycles a sample. Import is exact (sample n is T-cycle round(n * 4194304 / 44100)).
Export rounds each write to the nearest sample and reports the largest error; exporting what
was imported gives back the same samples, so VGM -> recording -> VGM is lossless.

Header fields used (VGM 1.71 specification): 0x00 "Vgm ", 0x04 EOF offset, 0x08 version (BCD),
0x14 GD3 offset, 0x18 total samples, 0x1C loop offset, 0x20 loop samples, 0x34 data offset,
0x80 Game Boy DMG clock (bit 30: a second chip). Command 0xB3 aa dd writes dd to 0xFF10 + aa
(aa 0x00-0x2F; bit 7 addresses the second chip, whose writes are dropped and counted).

Reading is bounded by `synthic.limits`: a .vgm, a .vgz and what a .vgz unpacks to are at most
64 MiB (inflated in steps, stopped at the limit), a VGM holds at most 20 million writes and its
waits add up to at most 24 hours; the total samples the header declares (0x18) may not exceed
what its waits add up to. The command stream is walked in compiled code (`vgm_walk`).
Writing computes samples without int64 overflow and refuses a recording longer than VGM's
32-bit sample count can hold (about 27 hours).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

from synthic import limits
from synthic.errors import FormatError, UnrepresentableError
from synthic.events.atomic import atomic_output
from synthic.events.recording import (
    Recording,
    check_length,
    check_writes,
    clean_text,
)
from synthic.events.registers import CLOCK_HZ

SAMPLE_RATE = 44_100
MAX_SAMPLES = limits.MAX_RECORDING_SECONDS * SAMPLE_RATE  # the longest VGM read: 24 h
MAX_VGM_SAMPLES = 0xFFFFFFFF  # the most a VGM's 32-bit sample counts can hold (~27 h)
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


def samples_to_cycles(samples: np.ndarray | int) -> np.ndarray | int:
    """T-cycle of each sample time, round(n * 4194304 / 44100), without int64 overflow (an int
    gives an exact int, an array int64 for any n below 2**63 / 4194304 seconds' worth)."""
    return _rescale(samples, CLOCK_HZ, SAMPLE_RATE)


def cycles_to_samples(t_cycles: np.ndarray | int) -> np.ndarray | int:
    """Sample time of each T-cycle, round(t * 44100 / 4194304), without int64 overflow."""
    return _rescale(t_cycles, SAMPLE_RATE, CLOCK_HZ)


def _rescale(x, mul: int, div: int):
    """round(x * mul / div) (halves up) for x >= 0; splitting x = q * div + r keeps every
    intermediate within int64 for any x whose result fits."""
    if isinstance(x, int | np.integer):
        return (int(x) * mul + div // 2) // div
    x = np.asarray(x, np.int64)
    q, r = np.divmod(x, div)
    return q * mul + (r * mul + div // 2) // div


# -- reading -------------------------------------------------------------------------------


def load_bytes(path: str) -> bytes | bytearray:
    """The file's bytes, gunzipped if it is gzip (a .vgz), never more than MAX_VGM_BYTES: the
    file is read and inflated in steps, and inflating stops at the limit (a gzip bomb costs
    at most the limit, not what it would unpack to)."""
    limit = limits.MAX_VGM_BYTES
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise FormatError(path, f"larger than {limit >> 20} MiB", offset=limit)
        head = f.read(2)
        if head != b"\x1f\x8b":
            return head + f.read(size - len(head))  # f.read(n) allocates n bytes up front
        d = zlib.decompressobj(wbits=31)
        out = bytearray()
        consumed = 0
        block = head + f.read(1 << 16)
        try:
            while block:
                consumed += len(block)
                out += d.decompress(block, limit + 1 - len(out))
                while d.unconsumed_tail and len(out) <= limit:
                    out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
                if len(out) > limit:
                    raise FormatError(path, f"unpacks to more than {limit >> 20} MiB", offset=0)
                if d.eof:
                    break
                block = f.read(1 << 16)
        except zlib.error as e:
            raise FormatError(path, f"corrupt gzip data ({e})", offset=0) from None
        if not d.eof:
            raise FormatError(path, "truncated gzip data", offset=consumed)
    return out


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
    declared = u32(0x18)
    if declared > samples:
        raise FormatError(
            path,
            f"header declares {declared} samples ({declared / SAMPLE_RATE:.1f} s) but the "
            f"waits add up to {samples} ({samples / SAMPLE_RATE:.1f} s)",
            offset=0x18,
        )
    return Recording(
        samples_to_cycles(times),
        addresses.astype(np.uint16) + 0xFF10,
        values,
        length_cycles=int(samples_to_cycles(samples)),
        meta=meta,
        validate=False,
    )


def _commands(data: bytes | bytearray, path: str, pos: int, loop_at: int | None):
    """Walk the command stream from `pos` to the end command.

    Returns the sample time, register (0x00-0x2F) and value of each first-chip write, the total
    samples, the sample time of the loop point (or None) and the number of second-chip writes.
    """
    from synthic.events import vgm_walk as w

    buf = np.frombuffer(data, np.uint8)
    loop = -1 if loop_at is None else loop_at
    max_writes = limits.MAX_RECORDING_WRITES
    args = (buf, pos, loop, w.LENGTHS, max_writes, MAX_SAMPLES)
    empty = np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros(0, np.uint8)
    outcome, at, n, samples, loop_samples, dropped = w.walk(*args, False, *empty)
    if outcome == w.NO_END:
        raise FormatError(
            path, "truncated: the command stream has no end command (0x66)", offset=at
        )
    if outcome == w.TRUNCATED:
        what = "data block" if data[at] == 0x67 else "command"
        raise FormatError(path, f"truncated {what}", offset=at)
    if outcome == w.BAD_REGISTER:
        raise FormatError(
            path, f"Game Boy register 0xFF{0x10 + data[at]:02X} is not a sound register", offset=at
        )
    if outcome == w.BLOCK_PAST_END:
        n_block = struct.unpack_from("<I", data, at)[0] & 0x7FFFFFFF
        raise FormatError(
            path, f"data block of {n_block} bytes runs past the end of the file", offset=at
        )
    if outcome == w.UNKNOWN:
        raise FormatError(path, f"unknown VGM command 0x{data[at]:02X}", offset=at)
    if outcome == w.TOO_MANY_WRITES:
        check_writes(max_writes + 1, path, offset=at)
    if outcome == w.TOO_LONG:
        check_length(int(samples_to_cycles(samples)), path, "the waits add up to", offset=at)
    assert outcome == w.OK, outcome
    if loop_at is not None and loop_samples < 0:
        raise FormatError(path, "loop offset points past the end command", offset=0x1C)
    times, regs, values = np.empty(n, np.int64), np.empty(n, np.uint8), np.empty(n, np.uint8)
    if n:
        again = w.walk(*args, True, times, regs, values)
        assert again[0] == w.OK and again[2] == n, again
    return (
        times,
        regs,
        values,
        int(samples),
        None if loop_at is None else int(loop_samples),
        int(dropped),
    )


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
    last = int(rec.t_cycles[-1]) if len(rec) else 0
    total = cycles_to_samples(max(int(rec.length_cycles), last))
    if total > MAX_VGM_SAMPLES:
        raise UnrepresentableError(
            f"the recording lasts {total} samples ({total / SAMPLE_RATE / 3600:.1f} h); a VGM "
            f"holds at most {MAX_VGM_SAMPLES} (32 bits, {MAX_VGM_SAMPLES / SAMPLE_RATE / 3600:.1f}"
            " h)"
        )
    samples = cycles_to_samples(rec.t_cycles)
    error = int(np.abs(samples_to_cycles(samples) - rec.t_cycles).max()) if len(rec) else 0
    loop = rec.meta.get("loop_cycles")
    loop_s = None if loop is None else min(max(cycles_to_samples(int(loop)), 0), total)
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

    gd3 = {k: str(v) for k, v in dict(rec.meta.get("gd3", {})).items()}
    for key, name in (("title", "track"), ("game", "game"), ("author", "author")):
        if rec.meta.get(key) and not gd3.get(name):
            gd3[name] = str(rec.meta[key])
    # Lone surrogates (a title from an undecodable file name) are escaped, not refused.
    text = "".join(clean_text(gd3.get(k, "")) + "\0" for k in GD3_FIELDS)
    strings = text.encode("utf-16-le")
    tag = b"Gd3 " + struct.pack("<II", 0x100, len(strings)) + strings

    header = bytearray(0x100)
    data_at = len(header)
    gd3_at = data_at + len(body)
    end = gd3_at + len(tag)
    if end > 0xFFFFFFFF:
        raise UnrepresentableError(f"a VGM of {end} bytes: its 32-bit offsets cannot address it")
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
