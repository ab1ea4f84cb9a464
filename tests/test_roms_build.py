"""Tests for tools/asm.py (the sdcc driver) and for the project's own Game Boy ROMs.

* tools/asm.py without sdcc: Intel HEX parsing, header codes and checksums (synthic.gb.header),
  clear errors.
* tools/asm.py with sdcc (skipped without it): building, bank placement, defines, symbols,
  determinism, error reports; and every committed ROM image (tests/roms/*.gb and the gzipped
  *.gb.gz, synthic/gb/roms/*.gb) is reproduced byte for byte from its source.
* The ROMs run in PyBoy (a development dependency, in the dev extra that tests/install.sh
  installs), since Synthic's own emulator is checked *with* these ROMs. Where PyBoy 2.x departs
  from Pan Docs the test accepts the documented deviation (see tests/roms/README.md).
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

from synthic.errors import SynthicError
from synthic.gb import header
from tools import asm

ROOT = Path(__file__).resolve().parents[1]

_spec = importlib.util.spec_from_file_location(
    "build_roms", ROOT / "tests" / "roms" / "build_roms.py"
)
build_roms = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = build_roms  # dataclasses look their module up there
_spec.loader.exec_module(build_roms)

needs_sdcc = pytest.mark.skipif(
    not asm.sdcc_available(),
    reason="sdcc's sdasgb/sdldgb/makebin not on PATH (apt-get install sdcc)",
)

try:  # a development dependency (the dev extra), never a requirement of the package
    from pyboy import PyBoy
except ImportError:  # pragma: no cover - depends on the environment
    PyBoy = None

needs_pyboy = pytest.mark.skipif(
    PyBoy is None, reason="pyboy not installed (bash tests/install.sh, or pip install pyboy)"
)

RESULT, FAILED, CHECK, GOT, WANT = 0xC000, 0xC001, 0xC002, 0xC003, 0xC004
DATA = 0xC010

TEST_ROMS = [spec for spec in build_roms.ROMS if spec.image.parent == build_roms.TEST_DIR]
BENCH_ROMS = [spec for spec in build_roms.ROMS if spec.image.parent == build_roms.BENCH_DIR]


def _ihx_record(address: int, data: bytes, kind: int = 0) -> str:
    body = bytes([len(data), address >> 8, address & 0xFF, kind]) + data
    return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper()


# ---------------------------------------------------------------------------------------------
# tools/asm.py and synthic.gb.header, no tools needed


def test_parse_ihx_data_and_extended_address():
    text = "\n".join(
        [
            _ihx_record(0x0100, b"\x00\xc3\x50\x01"),
            _ihx_record(0x0000, b"\x00\x01", kind=0x04),  # upper 16 bits = 1
            _ihx_record(0x0002, b"\xaa"),
            _ihx_record(0, b"", kind=0x01),
        ]
    )
    memory = asm.parse_ihx(text)
    assert memory == {0x100: 0x00, 0x101: 0xC3, 0x102: 0x50, 0x103: 0x01, 0x10002: 0xAA}


@pytest.mark.parametrize(
    "line, message",
    [
        ("0401000000C35001E7", "not an Intel HEX record"),
        (":0401000000C35001E8", "checksum"),
        (":0501000000C35001E7", "length"),
        (":04010000ZZC35001E7", "hex digits"),
    ],
)
def test_parse_ihx_rejects_bad_records(line, message):
    with pytest.raises(SynthicError, match=message):
        asm.parse_ihx(line, origin="x.ihx")


def test_size_codes():
    assert [header.rom_size_code(n) for n in (2, 4, 64, 128, 512)] == [0, 1, 5, 6, 8]
    assert [header.ram_size_code(k) for k in (0, 8, 32, 128, 64)] == [0, 2, 3, 4, 5]
    for bad in (0, 1, 3, 1024):
        with pytest.raises(SynthicError, match="rom_banks"):
            header.rom_size_code(bad)
    with pytest.raises(SynthicError, match="ram_kib"):
        header.ram_size_code(2)


def test_checksums_match_pan_docs_definition():
    image = bytearray(b"\xff" * 0x8000)
    image[0x134:0x13F] = b"SYNTHIC TST"
    header.fix_checksums(image)
    x = 0
    for byte in image[0x134:0x14D]:
        x = (x - byte - 1) & 0xFF
    assert image[0x14D] == x
    total = (sum(image) - image[0x14E] - image[0x14F]) & 0xFFFF
    assert int.from_bytes(image[0x14E:0x150], "big") == total


def test_the_checkout_keeps_big_images_compressed():
    """The MBC ROMs are 1-8 MiB of padding: gzipped, no file under tests/roms passes 64 KiB."""
    big = [p.name for p in build_roms.TEST_DIR.rglob("*") if p.stat().st_size > 64 * 1024]
    assert big == []
    assert len(build_roms.BY_NAME["mbc5"].read()) == 8 << 20


def test_missing_tools_raise_synthic_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing in it
    assert not asm.sdcc_available()
    source = tmp_path / "t.s"
    source.write_text("nop\n")
    with pytest.raises(SynthicError, match=r"sdasgb.*not found.*sdcc"):
        asm.build_rom(source, title="T")


def test_bad_arguments_raise_synthic_error(tmp_path):
    if not asm.sdcc_available():
        pytest.skip("argument checks run after the tool check")
    source = tmp_path / "t.s"
    source.write_text("nop\n")
    with pytest.raises(SynthicError, match="bank 0 needs a source"):
        asm.build_rom({1: source}, title="T", rom_banks=4)
    with pytest.raises(SynthicError, match="does not fit"):
        asm.build_rom({0: source, 4: source}, title="T", rom_banks=4)
    with pytest.raises(SynthicError, match="not found"):
        asm.build_rom(tmp_path / "missing.s", title="T")


@pytest.mark.parametrize("spec", build_roms.ROMS, ids=lambda s: s.name)
def test_committed_image_header_is_valid(spec):
    image = spec.read()
    assert len(image) == spec.rom_banks * header.BANK_BYTES
    assert image[0x134 : 0x134 + len(spec.title)] == spec.title.encode()
    assert image[0x147] == spec.cart_type
    assert image[0x148] == header.rom_size_code(spec.rom_banks)
    assert image[0x149] == header.ram_size_code(spec.ram_kib)
    assert image[0x14D] == header.header_checksum(image)
    assert int.from_bytes(image[0x14E:0x150], "big") == header.global_checksum(image)
    assert image[0x100] == 0x00 and image[0x101] == 0xC3  # nop; jp


# ---------------------------------------------------------------------------------------------
# tools/asm.py with sdcc


MINIMAL = """\
    .area _ROM0 (ABS)
    .org 0x0100
    nop
    jp start
    .org 0x0150
start::
    ld a, #VALUE
    jr .
"""


@needs_sdcc
def test_build_minimal_rom_header_defines_and_symbols(tmp_path):
    source = tmp_path / "t.s"
    source.write_text(MINIMAL)
    build = asm.build_rom_with_symbols(
        source, title="MINIMAL", cart_type=0x00, defines={"VALUE": 0x42}
    )
    image = build.image
    assert len(image) == 0x8000
    assert image[0x100:0x104] == b"\x00\xc3\x50\x01"
    assert image[0x150:0x154] == b"\x3e\x42\x18\xfe"  # ld a, #0x42; jr .
    assert image[0x104:0x134] != b"\xff" * 0x30  # makebin wrote the logo
    assert image[0x134:0x143] == b"MINIMAL".ljust(15, b"\0")
    assert image[0x143] == 0x00 and image[0x146] == 0x00 and image[0x14C] == 0x00
    assert image[0x154:0x8000] == b"\xff" * (0x8000 - 0x154)
    assert build.symbol("start") == 0x150
    assert build.symbols[0]["VALUE"] == 0x42
    with pytest.raises(SynthicError, match="no symbol"):
        build.symbol("nowhere")


@needs_sdcc
def test_build_places_banks_and_gives_each_its_number(tmp_path):
    main = tmp_path / "main.s"
    main.write_text(MINIMAL.replace("#VALUE", "#BANK"))
    bank = tmp_path / "bank.s"
    bank.write_text(
        "    .area _ROMX (ABS)\n    .org 0x4000\nhere::\n    .db BANK, EXTRA\n"
        "    .org 0x7FFF\n    .db 0xA5\n"
    )
    build = asm.build_rom_with_symbols(
        {0: main, 1: bank, 3: asm.BankSource(bank, {"EXTRA": 0x77})},
        title="BANKS",
        cart_type=0x19,
        rom_banks=4,
        ram_kib=8,
        defines={"EXTRA": 0x11},
    )
    image = build.image
    assert len(image) == 4 * 0x4000
    assert image[0x151] == 0  # BANK = 0 in bank 0
    assert image[0x4000:0x4002] == b"\x01\x11"
    assert image[0x8000:0x8002] == b"\xff\xff"  # bank 2: no source
    assert image[0xC000:0xC002] == b"\x03\x77"  # per-bank define wins
    assert image[0xFFFF] == 0xA5
    assert (image[0x147], image[0x148], image[0x149]) == (0x19, 1, 2)
    assert build.symbol("here", bank=3) == 0x4000


@needs_sdcc
def test_build_is_deterministic_across_directories(tmp_path, monkeypatch):
    spec = build_roms.BY_NAME["timer"]
    first = spec.build()
    monkeypatch.chdir(tmp_path)
    assert spec.build() == first


@needs_sdcc
def test_assembler_error_names_file_and_line(tmp_path):
    source = tmp_path / "broken.s"
    source.write_text("    .area _ROM0 (ABS)\n    .org 0x150\n    ld a, #undefined_symbol\n")
    with pytest.raises(SynthicError, match=r"broken\.s:3"):
        asm.build_rom(source, title="T")


@needs_sdcc
def test_source_may_not_write_the_header_or_leave_its_bank(tmp_path):
    header = tmp_path / "header.s"
    header.write_text('    .area _ROM0 (ABS)\n    .org 0x0134\n    .ascii "MINE"\n')
    with pytest.raises(SynthicError, match="cartridge header"):
        asm.build_rom(header, title="T")
    main = tmp_path / "main.s"
    main.write_text(MINIMAL.replace("#VALUE", "#0"))
    stray = tmp_path / "stray.s"
    stray.write_text("    .area _ROMX (ABS)\n    .org 0x3000\n    nop\n")
    with pytest.raises(SynthicError, match="outside bank 1"):
        asm.build_rom({0: main, 1: stray}, title="T", rom_banks=4, cart_type=0x19)


@needs_sdcc
@pytest.mark.parametrize("spec", build_roms.ROMS, ids=lambda s: s.name)
def test_committed_image_is_rebuilt_byte_for_byte(spec):
    assert spec.build() == spec.read(), (
        f"{spec.image.relative_to(ROOT)} is stale: run python tests/roms/build_roms.py"
    )


# ---------------------------------------------------------------------------------------------
# The ROMs in PyBoy


def _run_pyboy(path: Path, frames: int, buttons: dict | None = None, until_result=True):
    """Run a ROM headless; return (serial text, PyBoy). `buttons`: {frame: (action, name)}
    with frames counted from the one where DATA (STATE) first reads 1."""
    pyboy = PyBoy(str(path), window="null", ram_file=io.BytesIO())
    serial = ""
    start = None
    for frame in range(frames):
        if buttons is not None:
            if start is None and pyboy.memory[DATA] == 1:
                start = frame
            if start is not None and frame - start in buttons:
                action, name = buttons[frame - start]
                (pyboy.button_press if action == "press" else pyboy.button_release)(name)
        pyboy.tick(1, False)
        serial += pyboy._serial()
        if until_result and pyboy.memory[RESULT] != 0:
            pyboy.tick(2, False)
            serial += pyboy._serial()
            break
    return serial, pyboy


# Where PyBoy 2.x departs from Pan Docs the ROM fails one late check; every earlier check
# passed. Accept the documented deviation (or a PASS, should PyBoy be fixed).
PYBOY_DEVIATIONS = {
    # HALT with IME = 0 and an interrupt pending: PyBoy does not execute the next byte twice.
    "halt": "FAIL 0A 01 02\n",
    # P1 bits 5-4 read back as written: PyBoy returns them as 0.
    "joypad": "FAIL 08 CF FF\n",
}

JOYPAD_SCHEDULE = {
    8: ("press", "a"),
    18: ("release", "a"),
    28: ("press", "right"),
    38: ("release", "right"),
}


@needs_pyboy
@pytest.mark.parametrize(
    "name", ["timer", "interrupts", "halt", "apu_regs", "mbc1", "mbc3", "mbc5", "joypad"]
)
def test_rom_result_in_pyboy(test_rom, name):
    buttons = JOYPAD_SCHEDULE if name == "joypad" else None
    serial, pyboy = _run_pyboy(test_rom(name), 900, buttons)
    try:
        result = pyboy.memory[RESULT]
        failed = pyboy.memory[FAILED]
        deviation = PYBOY_DEVIATIONS.get(name)
        if deviation is not None and serial == deviation:
            assert result == 0xFF and failed == int(deviation.split()[1], 16)
            return
        assert serial == "PASS\n", (
            f"{name}: serial {serial!r}, RESULT {result:#04x}, check {failed:#04x}, "
            f"got {pyboy.memory[GOT]:#04x}, want {pyboy.memory[WANT]:#04x}"
        )
        assert result == 0x01 and failed == 0
    finally:
        pyboy.stop(save=False)


@needs_pyboy
def test_joypad_rom_times_out_without_presses():
    serial, pyboy = _run_pyboy(build_roms.BY_NAME["joypad"].image, 800)
    try:
        assert serial.startswith("FAIL 10 ")  # no joypad interrupt while waiting for A
        assert pyboy.memory[DATA] == 1  # STATE: waiting for A
    finally:
        pyboy.stop(save=False)


@needs_pyboy
def test_music_rom_loops_every_128_frames_on_all_channels():
    serial, pyboy = _run_pyboy(build_roms.BY_NAME["music"].image, 100, until_result=False)
    try:

        def frames():
            return pyboy.memory[DATA] | pyboy.memory[DATA + 1] << 8

        before, loops = frames(), pyboy.memory[DATA + 3]
        pyboy.tick(256, False)
        assert frames() - before == 256
        assert pyboy.memory[DATA + 3] == (loops + 2) & 0xFF
        assert pyboy.memory[0xFF26] == 0xFF  # NR52: powered, all four channels on
        assert pyboy.memory[RESULT] == 0
        assert serial + pyboy._serial() == ""
    finally:
        pyboy.stop(save=False)


@needs_pyboy
@pytest.mark.parametrize("spec", BENCH_ROMS, ids=lambda s: s.name)
def test_benchmark_rom_runs_and_plays(spec):
    _, pyboy = _run_pyboy(spec.image, 100, until_result=False)
    try:
        frames_addr = 0xC004 if spec.name == "bench_cpu" else 0xC000

        def frames():
            return pyboy.memory[frames_addr] | pyboy.memory[frames_addr + 1] << 8

        before = frames()
        pyboy.tick(120, False)
        assert abs(frames() - before - 120) <= 1  # one frame's notes per frame
        assert pyboy.memory[0xFF26] & 0x80  # APU on
        assert pyboy.memory[0xFF26] & 0x03 == 0x03  # CH1 and CH2 have been triggered
        if spec.name == "bench_cpu":
            assert pyboy.memory[0xC000] | pyboy.memory[0xC001] << 8 > 100  # work blocks
    finally:
        pyboy.stop(save=False)


def test_manifest_covers_every_source():
    sources = {spec.bank0 for spec in build_roms.ROMS}
    for path in build_roms.SRC_DIR.glob("*.s"):
        assert path in sources or path == build_roms.BANK_TEMPLATE, f"{path} not in ROMS"
    for path in build_roms.BENCH_DIR.glob("*.s"):
        assert path in sources, f"{path} not in ROMS"
    assert all(spec.image.exists() for spec in build_roms.ROMS)


def test_bench_poll_reads_the_joypad_each_frame():
    """bench_poll.gb stores the buttons it reads (pressed = 1: Down Up Left Right in bits 7-4,
    Start Select B A in bits 3-0) at C004 each frame, in our emulator."""
    from synthic.gb import Emulator

    spec = build_roms.BY_NAME["bench_poll"]
    emu = Emulator(spec.image)
    emu.run(seconds=0.5)
    assert emu.read(0xC004) == 0x00
    emu.press("a+down")
    emu.run(frames=2)
    assert emu.read(0xC004) == 0x81
    emu.release("a")
    emu.run(frames=2)
    assert emu.read(0xC004) == 0x80
