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
