"""Fuzzing every reader of outside bytes: only SynthicError, never another exception, a hang or
unbounded memory.

Each reader gets mutated copies of real files: the VGM test vectors in ../shared/test-vectors/
(read in place), gbsplay's example GBS where installed, the project's test ROMs, and files this
module writes with the package's own writers. A mutation flips, overwrites, inserts, deletes,
duplicates or splices bytes, truncates, writes huge values into the format's length fields or
inserts tokens that stress text parsers; .events files get their CRCs recomputed (else nearly
every mutation would stop at a checksum) and .vgz files are gzipped after mutating.

Every example runs under tracemalloc (its peak must stay under PEAK_BYTES: a bomb shows up as
hundreds of MiB) and an alarm (TIME_LIMIT_S: a hang fails instead of stalling the suite). A
recording read successfully must be valid (times in order, registers in range, within the
limits, metadata writable as UTF-8) and must round-trip through .events.

The default suite tries FUZZ_EXAMPLES inputs per reader with a fixed seed (derandomize). The
long run: `SYNTHIC_FUZZ_EXAMPLES=20000 python -m pytest -s -m slow tests/test_fuzz_readers.py`
prints how many inputs each reader tried.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import time
import tracemalloc
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthic import events, limits
from synthic.errors import SynthicError
from synthic.events import native, text, vgm
from synthic.events.recording import MAX_LENGTH_CYCLES, Recording, _check_columns, check_meta
from synthic.gb.gbs import gbs_header, parse_gbs, player_image
from synthic.gb.header import parse_header
from tests.conftest import ROOT, TEST_VECTORS
from tests.strategies import PULSE_REGISTERS

FUZZ_EXAMPLES = 250  # per reader in the default suite
LONG_EXAMPLES = int(os.environ.get("SYNTHIC_FUZZ_EXAMPLES", "20000"))
PEAK_BYTES = 48 << 20  # inputs are at most ~100 KB: any reader needing more is a bomb
TIME_LIMIT_S = 20
ROUND_TRIP_WRITES = 5000  # round-trip (and VGM-encode) recordings up to this many writes

TRIED: Counter = Counter()  # inputs tried per reader in this process


# -- seeds ---------------------------------------------------------------------------------


def _recording(n: int, registers=None, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    regs = registers or list(range(0xFF10, 0xFF40))
    t = np.cumsum(rng.choice([0, 0, 4, 12, 70224, 300_000, 1 << 28], n))
    t[n // 2 :] += 1 << 33  # one gap beyond 32 bits
    rec = Recording(t, rng.choice(regs, n), rng.integers(0, 256, n))
    rec.length_cycles += 1000
    return rec


@cache
def _written(ext: str) -> list[bytes]:
    """Files the package's writers make, of the format with extension `ext`."""
    import tempfile

    out = []
    full = _recording(300)
    full.meta.update(
        title="Fuzz", author="Synthic", song=2, loop_cycles=1000, tags={"a": [1, "x", None]}
    )
    full.add_marker(0, 5000, "buttons")
    pulse = _recording(200, PULSE_REGISTERS, seed=1)
    small = Recording([0, 0, 10], [0xFF26, 0xFF12, 0xFF14], [0x80, 0xF3, 0x87], meta={"x": 1})
    with tempfile.TemporaryDirectory() as tmp:
        for i, rec in enumerate((full, pulse, small, Recording())):
            path = Path(tmp) / f"r{i}{ext}"
            try:
                events.write(rec, path, lossy=True)
            except SynthicError:
                continue
            out.append(path.read_bytes())
    return out


@cache
def seeds(fmt: str) -> list[bytes]:
    if fmt in ("vgm", "vgz"):
        found = sorted((TEST_VECTORS / "vgm").glob("*.vgm"))
        real = [p.read_bytes() for p in found]
        return real + _written(".vgm")  # vgz: mutated, then gzipped
    if fmt == "events":
        return _written(".events")
    if fmt == "events-text":
        return _written(".events.txt")
    if fmt == "original-text":
        return _written(".txt") + [b"log line\nCH 1 FREQLSB 12 AT 0\nCH 2 DUTYLL 2 0 AT 4\n"]
    if fmt == "original-binary":
        return _written(".bin")
    if fmt == "rom":
        return [(ROOT / "tests" / "roms" / n).read_bytes() for n in ("music.gb", "timer.gb")]
    if fmt == "gbs":
        code = bytes([0x3E, 0x80, 0xE0, 0x26, 0xC9]) + b"\xc9" * 59
        made = [
            gbs_header(songs=3, init=0x400, play=0x405, title="Fuzz", author="Synthic") + code,
            gbs_header(songs=1, init=0x400, play=0x401, tac=0x04, tma=0xC0) + code * 300,
        ]
        nightmode = Path("/usr/share/doc/gbsplay/examples/nightmode.gbs")
        return made + ([nightmode.read_bytes()] if nightmode.is_file() else [])
    raise KeyError(fmt)


# (offset, width) of fields that declare sizes, counts, lengths or offsets.
_VGM_FIELDS = [(0x04, 4), (0x08, 4), (0x14, 4), (0x18, 4), (0x1C, 4), (0x20, 4), (0x34, 4),
               (0x80, 4), (0x100 + 1, 1), (0x100 + 3, 4)]  # fmt: skip
FIELDS = {
    "vgm": _VGM_FIELDS,
    "vgz": _VGM_FIELDS,
    "events": [(8, 2), (10, 2), (12, 4), (16, 8), (24, 8), (32, 8), (40, 4), (48, 4), (52, 1)],
    "rom": [(0x143, 1), (0x147, 1), (0x148, 1), (0x149, 1), (0x14D, 1)],
    "gbs": [(3, 1), (4, 1), (5, 1), (6, 2), (8, 2), (10, 2), (12, 2), (14, 1), (15, 1)],
    "original-binary": [(0, 4), (4, 1), (5, 1), (7, 4)],
}
HUGE = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 2**31 - 1, 2**31, 2**32 - 1, 2**62, 2**63 - 1,
        2**64 - 1]  # fmt: skip
TOKENS = [
    b" AT 99999999999999999999999\n",
    b" AT -1\n",
    b" AT 0x7fffffffffffffff\n",
    b"\n@length 9223372036854775808\n",
    b"\n@length 400000000000\n",
    b'\n@meta {"markers": 5}\n',
    b'\n@meta {"gd3": [1], "loop_cycles": NaN}\n',
    b'\n@meta {"title": "\\ud800"}\n',
    b"\n@meta " + b"[" * 3000 + b"\n",
    b'\n@meta {"x": ' + b"9" * 5000 + b"}\n",
    b"CH 0x" + b"f" * 5000 + b" FREQ_LO 1 AT 0\n",
    b"\nCH 1 FREQLSB" + b" " * 500 + b"1 AT 0\n",
    b"\nCH 1 FREQMSB 1 true 0 AT 5\n",
    b"\nRAW FF27 0x00 AT 4\n",
    b"\nCH 3 WAVE_RAM 15 0xFF AT 1\n",
    b"\xed\xa0\x80",  # an encoded lone surrogate: not UTF-8
    b"\xff\xfe",
    b"\r",
    b"\x00",
    b"\n",
    b"#",
    b"+0x38",
    b"\xb3\x16\x80",  # VGM: a write
    b"\x61\xff\xff",  # VGM: a long wait
    b"\x67\x66\x00\xff\xff\xff\x7f",  # VGM: a huge data block
    b"\x66",
]


def fix_events(data: bytearray, *, layout: bool) -> None:
    """Recompute the CRCs of a (mutated) .events file, so that mutations reach the fields and
    chunks behind them; with `layout`, also the write count and the metadata's offset and
    length from the chunks found."""
    if len(data) < native.HEADER_SIZE:
        return
    meta_off, meta_len = struct.unpack_from("<QI", data, 32)
    pos, writes = native.HEADER_SIZE, 0
    while pos + native.CHUNK_HEAD.size <= (len(data) if layout else min(meta_off, len(data))):
        count, width = native.CHUNK_HEAD.unpack_from(data, pos)
        end = pos + native.CHUNK_HEAD.size + count * (width + 2)
        if width not in (1, 2, 4, 8) or count == 0 or end + 4 > len(data):
            break
        struct.pack_into("<I", data, end, zlib.crc32(data[pos:end]))
        pos, writes = end + 4, writes + count
    if layout and pos + 4 <= len(data):
        meta_off, meta_len = pos, len(data) - pos - 4
        struct.pack_into("<Q", data, 16, writes)
        struct.pack_into("<QI", data, 32, meta_off, meta_len)
    if meta_off + meta_len + 4 <= len(data):
        raw = data[meta_off : meta_off + meta_len]
        struct.pack_into("<I", data, meta_off + meta_len, zlib.crc32(raw))
    struct.pack_into("<I", data, 44, zlib.crc32(data[:44]))


def fix_vgm(data: bytearray) -> None:
    """Point the GD3 and EOF offsets of a (mutated) VGM at where its tag and end now are."""
    if len(data) < 0x40:
        return
    struct.pack_into("<I", data, 0x04, len(data) - 0x04)
    at = data.rfind(b"Gd3 ")
    if at >= 0x40:
        struct.pack_into("<I", data, 0x14, at - 0x14)


MAGICS = {
    "vgm": b"Vgm ",
    "vgz": b"Vgm ",
    "events": native.MAGIC,
    "events-text": (text.MAGIC + "\n").encode(),
    "gbs": b"GBS",
}
TEXT_FORMATS = ("events-text", "original-text")
# True 9 times in 10 (hypothesis favours small integers: `integers(0, 9) != 0` is not that).
MOSTLY = st.sampled_from([True] * 9 + [False])


@st.composite
def mutated(draw, fmt: str) -> bytes:
    pool = seeds(fmt)
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 6))):
        n = len(data)
        pos = draw(st.integers(0, max(n - 1, 0)))
        op = draw(
            st.sampled_from(
                [
                    "flip",
                    "byte",
                    "insert",
                    "delete",
                    "dup",
                    "splice",
                    "truncate",
                    "field",
                    "token",
                ]  # fmt: skip
            )
        )
        if op == "flip" and n:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte" and n:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            if fmt in TEXT_FORMATS and draw(st.integers(0, 3)):
                data[pos:pos] = draw(st.text('0123456789 AT\nCHx+-@{}[]"', min_size=1)).encode()
            else:
                data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "dup":
            k = draw(st.integers(1, 512))
            data[pos:pos] = data[pos : pos + k] * draw(st.integers(1, 8))
        elif op == "splice":
            src = draw(st.sampled_from(pool))
            a = draw(st.integers(0, max(len(src) - 1, 0)))
            chunk = src[a : a + draw(st.integers(1, 512))]
            if draw(st.booleans()):
                data[pos : pos + len(chunk)] = chunk
            else:
                data[pos:pos] = chunk
        elif op == "truncate":
            del data[pos:]
        elif op == "field":
            at, width = draw(st.sampled_from(FIELDS.get(fmt, []) + [(pos, 4), (pos, 8)]))
            value = draw(st.sampled_from(HUGE)) & ((1 << (8 * width)) - 1)
            order = "big" if fmt == "original-binary" and draw(st.booleans()) else "little"
            data[at : at + width] = value.to_bytes(width, order)
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
    # Mostly keep what every reader checks first, so mutations reach what lies behind it.
    magic = MAGICS.get(fmt)
    if magic and draw(MOSTLY):
        data[: len(magic)] = magic
    if fmt == "events" and draw(MOSTLY):
        fix_events(data, layout=draw(st.booleans()))
    if fmt in ("vgm", "vgz") and draw(st.booleans()):
        fix_vgm(data)
    if fmt == "vgz":
        data = bytearray(gzip.compress(bytes(data), compresslevel=1, mtime=0))
        if not draw(MOSTLY):  # now and then a broken gzip stream
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


# -- what each reader must do --------------------------------------------------------------


def check_recording(rec: Recording, tmp: Path) -> None:
    """A recording a reader returned is valid, within the limits and writable again."""
    assert len(rec) <= limits.MAX_RECORDING_WRITES
    assert rec.t_cycles.dtype == np.int64
    _check_columns(rec.t_cycles, rec.address.astype(np.int64), rec.value.astype(np.int64))
    last = int(rec.t_cycles[-1]) if len(rec) else 0
    assert 0 <= last <= rec.length_cycles <= MAX_LENGTH_CYCLES
    assert check_meta(rec.meta, None) == rec.meta  # valid, and already clean
    json.dumps(rec.meta, ensure_ascii=False).encode("utf-8")
    if len(rec) <= ROUND_TRIP_WRITES:
        native.write(rec, tmp / "back.events")
        assert native.read(tmp / "back.events").equals(rec)
        text.write(rec, tmp / "back.events.txt")
        assert text.read(tmp / "back.events.txt").equals(rec)
        vgm.encode(rec)  # any recording read can be exported (24 h fit in 32-bit samples)


def _read_file(ext: str) -> Callable[[bytes, Path], None]:
    def run(data: bytes, tmp: Path) -> None:
        path = tmp / f"input{ext}"
        path.write_bytes(data)
        rec = events.read(path)
        check_recording(rec, tmp)
        if ext == ".events":
            meta, n, length = native.read_meta(path)
            assert (n, length) == (len(rec), rec.length_cycles)

    return run


def _read_rom(data: bytes, tmp: Path) -> None:
    h = parse_header(data)
    assert h.rom_banks * 0x4000 <= len(data) <= limits.MAX_ROM_BYTES


def _read_gbs(data: bytes, tmp: Path) -> None:
    g = parse_gbs(data)
    # A GBS that parses becomes a cartridge the emulator accepts.
    parse_header(player_image(g, g.first_song - 1))


@dataclass(frozen=True)
class Reader:
    name: str
    run: Callable[[bytes, Path], None]


READERS = {
    r.name: r
    for r in (
        Reader("vgm", _read_file(".vgm")),
        Reader("vgz", _read_file(".vgz")),
        Reader("events", _read_file(".events")),
        Reader("events-text", _read_file(".events.txt")),
        Reader("original-text", _read_file(".txt")),
        Reader("original-binary", _read_file(".bin")),
        Reader("rom", _read_rom),
        Reader("gbs", _read_gbs),
    )
}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"no answer within {TIME_LIMIT_S} s")


def survives(reader: Reader, data: bytes, tmp: Path) -> None:
    """Run `reader` on `data`: SynthicError or success, within time and memory."""
    TRIED[reader.name] += 1
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT_S)
    tracemalloc.start()
    try:
        try:
            reader.run(data, tmp)
        except SynthicError as e:
            assert str(e) and "\n" not in str(e), repr(e)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert peak < PEAK_BYTES, f"{reader.name}: peak allocation {peak >> 20} MiB"


def fuzz(name: str, examples: int, tmp: Path) -> None:
    reader = READERS[name]
    survives(reader, seeds(name)[0], tmp)  # warm up (numba loads the VGM walker)
    start, before = time.perf_counter(), TRIED[name]

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=mutated(name))
    def check(data: bytes) -> None:
        survives(reader, data, tmp)

    check()
    print(
        f"\nfuzz {name}: {TRIED[name] - before} inputs tried in "
        f"{time.perf_counter() - start:.1f} s (no failure)"
    )


@pytest.mark.parametrize("name", list(READERS))
def test_reader_survives_fuzzing(name, tmp_path):
    fuzz(name, FUZZ_EXAMPLES, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(READERS))
def test_reader_survives_long_fuzzing(name, tmp_path):
    fuzz(name, LONG_EXAMPLES, tmp_path)


def test_seeds_are_read_as_they_are(tmp_path):
    """The unmutated seeds are valid files (so mutations start from something real)."""
    for name, reader in READERS.items():
        for data in seeds(name):
            if name == "vgz":
                data = gzip.compress(data)
            reader.run(data, tmp_path)


def test_mutations_reach_past_the_checksums(tmp_path):
    """Most mutated .events files get past the header CRC (else fuzzing tests only it)."""
    reasons: Counter = Counter()

    @settings(max_examples=200, derandomize=True, database=None, deadline=None)
    @given(data=mutated("events"))
    def check(data):
        try:
            _read_file(".events")(data, tmp_path)
            reasons["read"] += 1
        except SynthicError as e:
            reasons["header checksum" if "header checksum" in str(e) else "other"] += 1

    check()
    assert reasons["header checksum"] < sum(reasons.values()) // 4, reasons
