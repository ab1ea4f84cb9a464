"""Malformed inputs: each gives one line on stderr naming the file and the byte or line,
exit status 2, no traceback, and no allocation sized by a corrupt header field."""

from __future__ import annotations

import gzip
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from synthic import events
from synthic.errors import SynthicError
from synthic.events import native
from synthic.events.recording import Recording


def expect_error(cli, path: Path, message: str, where: str) -> str:
    status, out, err = cli("info", path)
    assert status == 2, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert str(path) in lines[0]
    assert where in lines[0], lines[0]
    assert message in lines[0], lines[0]
    return lines[0]


def small_recording(n: int = 100) -> Recording:
    rng = np.random.default_rng(1)
    return Recording(
        np.cumsum(rng.integers(0, 1000, n)),
        rng.integers(0xFF10, 0xFF40, n),
        rng.integers(0, 256, n),
        meta={"title": "x"},
    )


@pytest.fixture
def binary(tmp_path) -> Path:
    path = tmp_path / "r.events"
    native.write(small_recording(), path)
    return path


def patch_chunk(path: Path, offset_in_body: int, value: int) -> int:
    """Set one byte of the first chunk and fix the chunk's CRC; returns the absolute offset."""
    data = bytearray(path.read_bytes())
    count, width = native.CHUNK_HEAD.unpack_from(data, native.HEADER_SIZE)
    at = native.HEADER_SIZE + offset_in_body
    data[at] = value
    end = native.HEADER_SIZE + native.CHUNK_HEAD.size + count * (width + 2)
    struct.pack_into("<I", data, end, zlib.crc32(data[native.HEADER_SIZE : end]))
    path.write_bytes(bytes(data))
    return at


def patch_header(path: Path, fmt: str, offset: int, value: int) -> None:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    struct.pack_into("<I", data, 44, zlib.crc32(data[:44]))
    path.write_bytes(bytes(data))


def peak_allocation(fn) -> int:
    tracemalloc.start()
    try:
        try:
            fn()
        except Exception:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- native binary -------------------------------------------------------------------------


def test_binary_truncated(cli, binary):
    binary.write_bytes(binary.read_bytes()[:200])
    expect_error(cli, binary, "truncated", "byte ")


def test_binary_bad_magic(cli, binary):
    binary.write_bytes(b"NOTMAGIC" + binary.read_bytes()[8:])
    expect_error(cli, binary, "bad magic", "byte 0 ")


def test_binary_bad_chunk_checksum(cli, binary):
    data = bytearray(binary.read_bytes())
    data[native.HEADER_SIZE + 20] ^= 0xFF
    binary.write_bytes(bytes(data))
    expect_error(cli, binary, "checksum mismatch", f"byte {native.HEADER_SIZE} ")


def test_binary_bad_header_checksum(cli, binary):
    data = bytearray(binary.read_bytes())
    data[20] ^= 1
    binary.write_bytes(bytes(data))
    expect_error(cli, binary, "header checksum", "byte 44 ")


def test_binary_register_out_of_range(cli, binary):
    count, width = native.CHUNK_HEAD.unpack_from(binary.read_bytes(), native.HEADER_SIZE)
    at = patch_chunk(binary, native.CHUNK_HEAD.size + count * width + 5, 0x05)
    expect_error(cli, binary, "0xFF05 is not a sound register", f"byte {at} ")


def test_binary_absurd_chunk_size_allocates_nothing(cli, binary):
    data = bytearray(binary.read_bytes())
    struct.pack_into("<I", data, native.HEADER_SIZE, 0xFFFFFFF0)
    binary.write_bytes(bytes(data))
    expect_error(cli, binary, "absurd chunk size", f"byte {native.HEADER_SIZE} ")
    assert peak_allocation(lambda: events.read(binary)) < 1 << 20


def test_binary_absurd_write_count_allocates_nothing(cli, binary):
    patch_header(binary, "<Q", 16, 1 << 60)
    expect_error(cli, binary, "more than the file can hold", "byte 16 ")
    assert peak_allocation(lambda: events.read(binary)) < 1 << 20


def test_binary_absurd_metadata_length(cli, binary):
    patch_header(binary, "<I", 40, 0xFFFFFFF0)
    expect_error(cli, binary, "metadata", "byte ")
    assert peak_allocation(lambda: events.read(binary)) < 1 << 20


# -- native text ---------------------------------------------------------------------------

TEXT_HEAD = "@synthic-events-text 1\n@length 1000\nMIX POWER 1 AT 0\n"


def write_text(tmp_path, body: str) -> Path:
    path = tmp_path / "r.events.txt"
    path.write_text(TEXT_HEAD + body)
    return path


def test_text_bad_magic(cli, tmp_path):
    path = tmp_path / "r.events.txt"
    path.write_text("hello\nCH 1 FREQ_LO 3 AT 0\n")
    expect_error(cli, path, "not a Synthic events text file", ":1:")


def test_text_garbage_line(cli, tmp_path):
    path = write_text(tmp_path, "CH 1 FREQ_LO 3 AT 0\nthis is not a write\n")
    expect_error(cli, path, "garbage line", ":5:")


def test_text_value_out_of_range(cli, tmp_path):
    path = write_text(tmp_path, "CH 1 FREQ_LO 300 AT 0\n")
    expect_error(cli, path, "out of range", ":4:")


def test_text_register_out_of_range(cli, tmp_path):
    path = write_text(tmp_path, "CH 1 FREQ_LO 3 AT 0\nRAW FF50 0x01 AT 4\n")
    expect_error(cli, path, "unknown register", ":5:")


def test_text_time_goes_backwards(cli, tmp_path):
    path = write_text(tmp_path, "CH 1 FREQ_LO 3 AT 10\nCH 1 FREQ_LO 4 AT -5\n")
    expect_error(cli, path, "time goes backwards", ":5:")


def test_text_truncated_line(cli, tmp_path):
    path = write_text(tmp_path, "CH 1 FREQ_HI 3 1")
    expect_error(cli, path, "no 'AT t'", ":4:")


# -- the original Synthic formats ----------------------------------------------------------


def test_original_text_garbage_line(cli, tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("log: starting\nCH 1 FREQLSB 12 AT 0\nCH 1 FREQMSB banana 1 0 AT 4\n")
    expect_error(cli, path, "not a number", ":3:")


def test_original_text_time_goes_backwards(cli, tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("CH 1 FREQLSB 12 AT 0\nCH 2 DUTYLL 2 0 AT -1\n")
    expect_error(cli, path, "time goes backwards", ":2:")


def test_original_text_value_out_of_range(cli, tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("CH 1 VOLENVPER 16 false 0 AT 0\n")
    expect_error(cli, path, "out of range", ":1:")


def test_original_binary_truncated(cli, tmp_path):
    path = tmp_path / "r.bin"
    path.write_bytes(bytes([0, 0, 0, 5, 1, 4, 0x80]) + bytes([0, 0, 0]))
    expect_error(cli, path, "truncated", "byte 7 ")


def test_original_binary_channel_out_of_range(cli, tmp_path):
    path = tmp_path / "r.bin"
    path.write_bytes(bytes([0, 0, 0, 5, 1, 4, 0x80, 0, 0, 0, 1, 3, 1, 0]))
    expect_error(cli, path, "channel 3", "byte 11 ")


# -- VGM -----------------------------------------------------------------------------------


def vgm_bytes(body: bytes) -> bytearray:
    data = bytearray(events.vgm.encode(Recording([0], [0xFF26], [0x80], length_cycles=1000))[0])
    data_at = 0x34 + struct.unpack_from("<I", data, 0x34)[0]
    data[data_at:] = body
    struct.pack_into("<I", data, 0x14, 0)  # no GD3
    struct.pack_into("<I", data, 0x18, 0)  # total samples: no more than the body's waits
    return data


def test_vgm_bad_magic(cli, tmp_path):
    path = tmp_path / "r.vgm"
    path.write_bytes(b"Xgm " + bytes(300))
    expect_error(cli, path, "bad magic", "byte 0 ")


def test_vgm_truncated(cli, tmp_path):
    path = tmp_path / "r.vgm"
    path.write_bytes(bytes(vgm_bytes(bytes([0xB3, 0x16, 0x80, 0x61, 0x10]))))
    expect_error(cli, path, "truncated", "byte 259 ")


def test_vgm_register_out_of_range(cli, tmp_path):
    path = tmp_path / "r.vgm"
    path.write_bytes(bytes(vgm_bytes(bytes([0xB3, 0x16, 0x80, 0xB3, 0x40, 0x01, 0x66]))))
    expect_error(cli, path, "0xFF50 is not a sound register", "byte 260 ")


def test_vgm_absurd_data_block_allocates_nothing(cli, tmp_path):
    path = tmp_path / "r.vgm"
    path.write_bytes(
        bytes(vgm_bytes(bytes([0x67, 0x66, 0x00]) + struct.pack("<I", 0x7FFFFFF0) + b"\x66"))
    )
    expect_error(cli, path, "runs past the end", "byte 259 ")
    assert peak_allocation(lambda: events.read(path)) < 1 << 20


def test_vgm_data_offset_outside_file(cli, tmp_path):
    path = tmp_path / "r.vgm"
    data = vgm_bytes(b"\x66")
    struct.pack_into("<I", data, 0x34, 0x7FFFFFF0)
    path.write_bytes(bytes(data))
    expect_error(cli, path, "data offset", "byte 52 ")


def test_vgm_unknown_command(cli, tmp_path):
    path = tmp_path / "r.vgm"
    path.write_bytes(bytes(vgm_bytes(bytes([0x70, 0x01, 0x66]))))
    expect_error(cli, path, "unknown VGM command 0x01", "byte 257 ")


def test_vgz_truncated_gzip(cli, tmp_path):
    path = tmp_path / "r.vgz"
    path.write_bytes(gzip.compress(bytes(vgm_bytes(b"\x70" * 5000 + b"\x66")))[:60])
    expect_error(cli, path, "truncated gzip", "byte ")


# -- declared lengths, sizes and counts (issue 11) ------------------------------------------


def small_vgm(tmp_path, body: bytes = b"\x66", total: int | None = None, name="r.vgm") -> Path:
    data = vgm_bytes(body)
    if total is not None:
        struct.pack_into("<I", data, 0x18, total)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path


def test_vgm_declared_samples_beyond_its_waits_allocate_nothing(cli, tmp_path):
    # 257 bytes declaring 2**32 - 1 samples (27 h): `synthic wav` used to allocate 32 GiB.
    path = small_vgm(tmp_path, b"\x66", total=0xFFFFFFFF)
    assert path.stat().st_size == 257
    expect_error(cli, path, "declares 4294967295 samples", "byte 24 (0x18)")
    status, _, err = cli("wav", path, "-o", tmp_path / "r.wav")
    assert status == 2 and "byte 24 (0x18)" in err and len(err.strip().splitlines()) == 1
    assert peak_allocation(lambda: events.read(path)) < 1 << 20


def test_vgm_declared_samples_up_to_its_waits_are_fine(tmp_path):
    path = small_vgm(tmp_path, b"\x61\x10\x27\x66", total=10_000)
    assert events.read(path).length_cycles == events.vgm.samples_to_cycles(10_000)


def test_vgm_waits_beyond_24_hours_are_refused(cli, tmp_path):
    # 0x61 0xFFFF waits 1.49 s: 58,000 of them (174 KB) add up to 24 h.
    n = 24 * 3600 * 44100 // 0xFFFF + 1
    path = small_vgm(tmp_path, b"\x61\xff\xff" * n + b"\x66")
    line = expect_error(cli, path, "beyond the 24 hours", "byte ")
    assert f"byte {0x100 + 3 * (n - 1)} " in line  # the wait that passes 24 h


def test_events_length_beyond_24_hours(cli, binary):
    patch_header(binary, "<q", 24, 1 << 62)
    expect_error(cli, binary, "beyond the 24 hours", "byte 24 (0x18)")
    assert peak_allocation(lambda: events.read(binary)) < 1 << 20
    status, _, err = cli("wav", binary, "-o", binary.with_suffix(".wav"))
    assert status == 2 and "byte 24 (0x18)" in err


def test_events_too_many_writes(cli, binary, monkeypatch):
    from synthic import limits

    monkeypatch.setattr(limits, "MAX_RECORDING_WRITES", 99)
    expect_error(cli, binary, "more than 99 writes", "byte 16 ")


def test_text_length_beyond_24_hours(cli, tmp_path):
    path = tmp_path / "r.events.txt"
    path.write_text("@synthic-events-text 1\n@length 400000000000\nMIX POWER 1 AT 0\n")
    expect_error(cli, path, "beyond the 24 hours", ":2:")
    assert peak_allocation(lambda: events.read(path)) < 1 << 20


@pytest.mark.parametrize(
    "text, line",
    [
        ("@length 99999999999999999999999\n", ":2:"),  # beyond int64
        ("MIX POWER 1 AT 99999999999999999999999\n", ":2:"),
        ("MIX POWER 1 AT 9223372036854775807\nMIX POWER 1 AT 9223372036854775807\n", ":2:"),
        ("MIX POWER 1 AT 400000000000\n", ":2:"),
    ],
)
def test_text_times_beyond_int64(cli, tmp_path, text, line):
    path = tmp_path / "r.events.txt"
    path.write_text("@synthic-events-text 1\n" + text)
    expect_error(cli, path, "beyond the 24 hours", line)


def test_text_too_many_writes(cli, tmp_path, monkeypatch):
    from synthic import limits

    monkeypatch.setattr(limits, "MAX_RECORDING_WRITES", 2)
    path = write_text(tmp_path, "MIX POWER 1 AT 0\nMIX POWER 1 AT 0\n")
    expect_error(cli, path, "more than 2 writes", ":5:")


def test_text_numbers_too_large_to_print(cli, tmp_path):
    # int("0x" + 5000 hex digits) works, but printing it in a message raised ValueError.
    path = write_text(tmp_path, f"CH 0x{'f' * 5000} FREQ_LO 3 AT 0\n")
    expect_error(cli, path, "out of range", ":4:")


def test_text_long_line_is_refused_without_reading_it_all(cli, tmp_path, monkeypatch):
    from synthic.events import text

    monkeypatch.setattr(text, "MAX_LINE_CHARS", 1000)
    path = write_text(tmp_path, "# " + "x" * 5000 + "\n")
    expect_error(cli, path, "line longer than 1000", ":4:")


def test_original_text_many_spaces_do_not_backtrack(tmp_path):
    # The regular expression this replaced took cubic time: 3,000 spaces 7 s, 20,000 hours.
    import time

    path = tmp_path / "r.txt"
    path.write_text("CH 1 FREQLSB" + " " * 3000 + "x\n")
    start = time.perf_counter()
    with pytest.raises(SynthicError, match="garbage line"):
        events.read(path)
    assert time.perf_counter() - start < 1


def test_original_text_times_beyond_24_hours(cli, tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("CH 1 FREQLSB 1 AT 0\nCH 1 FREQLSB 1 AT 0x7fffffffffffffff\n")
    expect_error(cli, path, "beyond the 24 hours", ":2:")


def test_original_binary_times_beyond_24_hours(cli, tmp_path):
    path = tmp_path / "r.bin"
    path.write_bytes(bytes([0xFF, 0xFF, 0xFF, 0xFF, 1, 4, 0x80]) * 100)
    expect_error(cli, path, "beyond the 24 hours", "byte 588 ")


def test_vgz_bomb_stops_at_the_limit(cli, tmp_path):
    # A .vgz that unpacks past 64 MiB (it used to unpack to 256 MiB and decode for 39 s).
    import time

    from synthic import limits

    body = b"\x70" * (limits.MAX_VGM_BYTES + 1000) + b"\x66"
    path = tmp_path / "r.vgz"
    path.write_bytes(zlib.compress(bytes(vgm_bytes(b"")) + body, 1, wbits=31))
    assert path.stat().st_size < 1 << 20
    start = time.perf_counter()
    expect_error(cli, path, "unpacks to more than 64 MiB", "byte 0 ")
    assert time.perf_counter() - start < 10
    # What it unpacks to, before refusing it: at most the limit (and a bytearray's headroom).
    assert peak_allocation(lambda: events.read(path)) < limits.MAX_VGM_BYTES * 5 // 4


def test_vgm_decodes_in_linear_time(tmp_path):
    # 60 MiB of one-sample waits and writes: walked in compiled code, not a Python loop.
    import time

    n = 10 << 20
    body = (b"\x70\xb3\x16\x80") * n + b"\x66"
    path = tmp_path / "r.vgz"
    path.write_bytes(zlib.compress(bytes(vgm_bytes(b"")) + body, 1, wbits=31))
    start = time.perf_counter()
    rec = events.read(path)
    assert len(rec) == n and rec.length_cycles == events.vgm.samples_to_cycles(n)
    assert time.perf_counter() - start < 10


def test_vgm_too_many_writes(cli, tmp_path, monkeypatch):
    from synthic import limits

    monkeypatch.setattr(limits, "MAX_RECORDING_WRITES", 2)
    path = small_vgm(tmp_path, b"\xb3\x16\x80" * 3 + b"\x66")
    expect_error(cli, path, "more than 2 writes", f"byte {0x100 + 6} ")


# -- metadata of the wrong type --------------------------------------------------------------

BAD_META = [
    ('{"markers": 5}', "'markers' must be a list"),
    ('{"markers": [[0, 10, "x"]]}', "marker 0"),
    ('{"markers": [{"start": 10, "end": 5, "label": "x"}]}', "marker 0"),
    ('{"gd3": ["a"]}', "'gd3' must be an object of strings"),
    ('{"gd3": {"track": 5}}', "'gd3' must be an object of strings"),
    ('{"loop_cycles": NaN}', "'loop_cycles' must be a whole number"),
    ('{"loop_cycles": -1}', "'loop_cycles' must be a whole number"),
    ('{"loop_cycles": 1e400}', "'loop_cycles' must be a whole number"),
    ('{"title": ["x"]}', "'title' must be a string"),
    ('{"song": "2"}', "'song' must be a whole number"),
    ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested more than"),
    ('{"x": ' + "[" * 40 + "]" * 40 + "}", "nested more than 32"),
    ('{"x": ' + "1" * 5000 + "}", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"x": 1', "not valid JSON"),
]


@pytest.mark.parametrize("meta, message", BAD_META, ids=range(len(BAD_META)))
def test_text_metadata_of_the_wrong_type(cli, tmp_path, meta, message):
    path = tmp_path / "r.events.txt"
    path.write_text(f"@synthic-events-text 1\n@meta {meta}\nMIX POWER 1 AT 0\n")
    expect_error(cli, path, message, ":2:")


def write_events_with_meta(path: Path, meta_json: str) -> int:
    """A valid .events file whose metadata trailer is `meta_json`; returns the trailer's offset."""
    native.write(small_recording(), path)
    data = bytearray(path.read_bytes())
    (meta_at,) = struct.unpack_from("<Q", data, 32)
    raw = meta_json.encode("utf-8", "surrogatepass")
    data[meta_at:] = raw + struct.pack("<I", zlib.crc32(raw))
    struct.pack_into("<I", data, 40, len(raw))
    struct.pack_into("<I", data, 44, zlib.crc32(data[:44]))
    path.write_bytes(bytes(data))
    return meta_at


@pytest.mark.parametrize("meta, message", BAD_META, ids=range(len(BAD_META)))
def test_binary_metadata_of_the_wrong_type(cli, tmp_path, meta, message):
    path = tmp_path / "r.events"
    at = write_events_with_meta(path, meta)
    expect_error(cli, path, message, f"byte {at} ")


@pytest.mark.parametrize("fmt", ["r.events", "r.events.txt"])
def test_lone_surrogates_in_metadata_are_escaped(tmp_path, fmt):
    meta = '{"title": "a\\ud800b", "\\udcff": "\\udfff"}'
    path = tmp_path / fmt
    if fmt.endswith(".txt"):
        path.write_text(f"@synthic-events-text 1\n@meta {meta}\nMIX POWER 1 AT 0\n")
    else:
        write_events_with_meta(path, meta)
    rec = events.read(path)
    assert rec.meta["title"] == "a\\ud800b" and rec.meta["\\udcff"] == "\\udfff"
    for out in ("o.events", "o.events.txt", "o.vgm"):  # and it can be written again
        events.write(rec, tmp_path / out)
        assert events.read(tmp_path / out).meta["title"] == "a\\ud800b"


@pytest.mark.parametrize("out", ["o.events", "o.events.txt", "o.vgm", "o.vgz"])
def test_writers_escape_surrogates_in_metadata(tmp_path, out):
    import os

    rec = small_recording()
    rec.meta["source"] = os.fsdecode(b"caf\xe9.gb")  # a Latin-1 file name: 'caf\udce9.gb'
    rec.meta["title"] = "t\udce9"
    events.write(rec, tmp_path / out)
    back = events.read(tmp_path / out)
    assert back.meta["title"] == "t\\udce9"
    if out.startswith("o.events"):
        assert back.meta["source"] == "caf\\udce9.gb"


def test_foreign_file_with_undecodable_name_can_be_converted(cli, tmp_path):
    import os

    name = os.fsdecode(b"caf\xe9.vgm")
    try:
        (tmp_path / name).write_bytes(bytes(vgm_bytes(b"\xb3\x16\x80\x66")))
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses undecodable names")
    status, out, err = cli("convert", tmp_path / name, tmp_path / "o.events")
    assert status == 0, err
    assert events.read(tmp_path / "o.events").meta["source"] == "caf\\udce9.vgm"


# -- writing a VGM: no int64 overflow -------------------------------------------------------


def test_vgm_writer_refuses_what_32_bit_samples_cannot_hold(cli, tmp_path):
    from synthic.errors import UnrepresentableError

    # 1.1e12 s used to overflow int64 in cycles -> samples and give a 4.988 s VGM.
    rec = Recording([0], [0xFF26], [0x80], length_cycles=int(1.1e12 * 4_194_304))
    with pytest.raises(UnrepresentableError, match="a VGM holds at most 4294967295"):
        events.vgm.encode(rec)
    # 28 h: over 2**32 samples (a struct.error before).
    rec = Recording([0], [0xFF26], [0x80], length_cycles=28 * 3600 * 4_194_304)
    with pytest.raises(UnrepresentableError):
        events.vgm.encode(rec)
    # Through the CLI (the reader refuses a .events beyond 24 h first): one line, status 2.
    native.write(
        Recording([0], [0xFF26], [0x80], length_cycles=int(1.1e12 * 4_194_304)),
        tmp_path / "long.events",
    )
    status, _, err = cli("convert", tmp_path / "long.events", tmp_path / "long.vgm")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "long.vgm").exists()


def test_vgm_writer_keeps_26_hours_exact(tmp_path):
    # Within 32-bit samples but past where t * 44100 would overflow int64 for later times.
    length = 26 * 3600 * 4_194_304 + 12345
    rec = Recording([0, length - 7], [0xFF26, 0xFF12], [0x80, 0x33], length_cycles=length)
    data, _ = events.vgm.encode(rec)
    assert struct.unpack_from("<I", data, 0x18)[0] == (length * 44100 + 2_097_152) // 4_194_304


def test_cycles_samples_conversions_do_not_overflow():
    from synthic.events.vgm import cycles_to_samples, samples_to_cycles

    big = np.array([0, 1, 95, 2**62, 2**63 - 1], np.int64)
    exact = [(int(t) * 44100 + 2_097_152) // 4_194_304 for t in big]
    assert cycles_to_samples(big).tolist() == exact
    assert cycles_to_samples(2**63 - 1) == exact[-1]
    s = np.array([0, 1, 2**32 - 1, 2**40], np.int64)
    assert samples_to_cycles(s).tolist() == [(int(x) * 4_194_304 + 22050) // 44100 for x in s]


# -- ROM and GBS sizes -----------------------------------------------------------------------


def test_rom_and_gbs_larger_than_the_limits_are_refused(tmp_path):
    from synthic import limits
    from synthic.errors import FormatError
    from synthic.gb.gbs import parse_gbs, read_gbs
    from synthic.gb.header import parse_header, read_rom

    rom = (Path(__file__).parent / "roms" / "music.gb").read_bytes()
    big = rom + bytes(limits.MAX_ROM_BYTES)
    with pytest.raises(FormatError, match="larger than any DMG cartridge"):
        parse_header(big)
    path = tmp_path / "big.gb"
    path.write_bytes(big)
    with pytest.raises(FormatError, match="larger than any DMG cartridge"):
        read_rom(path)
    assert read_rom(Path(__file__).parent / "roms" / "music.gb") == rom
    gbs = b"GBS" + bytes(limits.MAX_GBS_BYTES)
    with pytest.raises(FormatError, match="larger than any GBS"):
        parse_gbs(gbs)
    (tmp_path / "big.gbs").write_bytes(gbs)
    with pytest.raises(FormatError, match="larger than any GBS"):
        read_gbs(tmp_path / "big.gbs")
