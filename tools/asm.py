"""Assemble SM83 (Game Boy CPU) sources into cartridge images with sdcc's tools.

A developer tool of the checkout, not part of the installed package: users get the committed
images (synthic/jukebox/driver/*.gb, synthic/gb/roms/*.gb) and never need an assembler. It
rebuilds them (`python -m synthic.jukebox.images` from the checkout for the jukebox driver,
tests/roms/build_roms.py for the test and benchmark ROMs) and assembles the tests' own GBS
files. The header's size codes and checksums come from synthic.gb.header, which the jukebox
also uses at run time.

The project writes its own Game Boy programs (emulator test ROMs, benchmark ROMs, the music
driver) in assembly and builds them with Debian's `sdcc` package: `sdasgb` assembles, `sdldgb`
links to Intel HEX, and `makebin -Z` lays out bank 0 with a valid cartridge header (it supplies
the boot logo). This module drives those tools and then finishes the image in Python: it places
the other ROM banks, writes the header fields (title, cartridge type, ROM and RAM size codes) and
recomputes the header and global checksums (makebin computes them too, but only over bank 0's
layout). The same inputs always give the same bytes: none of the tools embeds a time stamp or a
path in the image. The symbols of each bank (labels and equates, from sdldgb's NoICE file) come
back with `build_rom_with_symbols`, e.g. for a driver's entry points.

Source conventions:

* Each bank is its own source (one assembly module). Bank 0's source places code with absolute
  areas, e.g. ``.area _ROM0 (ABS)`` / ``.org 0x0100`` (not ``_CODE``: sdasgb predefines it as
  relocatable); it may also fill 0x4000-0x7FFF when no separate bank 1 source is given (a
  32 KiB ROM without an MBC). A source for bank ``n >= 1``
  places its contents at the CPU addresses 0x4000-0x7FFF where that bank is seen when mapped, so
  its labels are correct for banked code.
* The cartridge header 0x0104-0x014F belongs to this module: sources must leave it empty.
* Every source sees the symbol ``BANK`` (its bank number) plus any ``defines``; the defines are
  written as ``NAME = value`` lines in a prelude assembled in front of the source.
* ``.include "file"`` looks in the source's own folder, then in ``include_dirs``.

Example::

    image = build_rom("tests/roms/src/timer.s", title="TIMER")
    image = build_rom({0: "main.s", 1: "bank1.s"}, title="SONG", cart_type=0x19, rom_banks=4)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from synthic.errors import SynthicError
from synthic.gb.header import (
    BANK_BYTES,
    HEADER_END,
    RAM_SIZE_ADDR,
    ROM_SIZE_ADDR,
    fix_checksums,
    ram_size_code,
    rom_size_code,
)

__all__ = [
    "BankSource",
    "RomBuild",
    "assemble",
    "build_rom",
    "build_rom_with_symbols",
    "parse_ihx",
    "sdcc_available",
]

TOOLS = ("sdasgb", "sdldgb", "makebin")

# Cartridge header layout (Pan Docs, "The Cartridge Header").
HEADER_START = 0x0104  # logo 0x104-0x133, title 0x134-0x143, ... global checksum 0x14E-0x14F
TITLE_ADDR = 0x0134
TITLE_MAX = 15  # 0x134-0x142; 0x143 is the CGB flag
CGB_FLAG_ADDR = 0x0143
NEW_LICENSEE_ADDR = 0x0144
SGB_FLAG_ADDR = 0x0146
CART_TYPE_ADDR = 0x0147
DESTINATION_ADDR = 0x014A
OLD_LICENSEE_ADDR = 0x014B
VERSION_ADDR = 0x014C

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOOL_TIMEOUT_S = 60


@dataclass(frozen=True)
class BankSource:
    """One bank's source file, with extra symbols defined only for it."""

    path: Path
    defines: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True)
class RomBuild:
    """A built cartridge image and the symbols of each bank (name -> CPU address)."""

    image: bytes
    symbols: dict[int, dict[str, int]]

    def symbol(self, name: str, bank: int = 0) -> int:
        try:
            return self.symbols[bank][name]
        except KeyError:
            raise SynthicError(f"no symbol {name!r} in bank {bank}") from None


# --------------------------------------------------------------------------------------------
# Tools


def _tool_paths() -> dict[str, str | None]:
    return {name: shutil.which(name) for name in TOOLS}


def sdcc_available() -> bool:
    """True when sdasgb, sdldgb and makebin (Debian package `sdcc`) are all on PATH."""
    return all(_tool_paths().values())


def _require_tools() -> dict[str, str]:
    paths = _tool_paths()
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise SynthicError(
            f"cannot build Game Boy ROMs: {', '.join(missing)} not found on PATH "
            "(install the sdcc package, e.g. `apt-get install sdcc`)"
        )
    return {name: str(path) for name, path in paths.items()}


def _run(argv: Sequence[str], cwd: Path, what: str) -> str:
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TOOL_TIMEOUT_S,
            env={**os.environ, "LC_ALL": "C"},
        )
    except OSError as exc:
        raise SynthicError(f"{what}: cannot run {argv[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthicError(f"{what}: {argv[0]} timed out after {_TOOL_TIMEOUT_S} s") from exc
    # sdldgb echoes its arguments as "ASlink >> ..." lines; keep only the diagnostics.
    output = "\n".join(
        line
        for line in (proc.stderr + "\n" + proc.stdout).splitlines()
        if line.strip() and not line.startswith("ASlink >>") and not line.startswith("removing ")
    )
    if proc.returncode != 0:
        detail = output or f"exit status {proc.returncode}"
        raise SynthicError(f"{what} failed ({Path(argv[0]).name}):\n{detail}")
    if "?ASlink-Warning" in output or "?ASlink-Error" in output:
        raise SynthicError(f"{what} failed ({Path(argv[0]).name}):\n{output}")
    return output


# --------------------------------------------------------------------------------------------
# Intel HEX and symbols


def parse_ihx(text: str, *, origin: str = "<ihx>") -> dict[int, int]:
    """Parse Intel HEX text into {address: byte}. Raises SynthicError on a malformed record."""
    memory: dict[int, int] = {}
    upper = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if not line.startswith(":"):
            raise SynthicError(f"{origin}:{lineno}: not an Intel HEX record")
        try:
            record = bytes.fromhex(line[1:])
        except ValueError:
            raise SynthicError(f"{origin}:{lineno}: bad hex digits") from None
        if len(record) < 5 or len(record) != record[0] + 5:
            raise SynthicError(f"{origin}:{lineno}: bad record length")
        if sum(record) & 0xFF:
            raise SynthicError(f"{origin}:{lineno}: bad record checksum")
        count, address, kind = record[0], (record[1] << 8) | record[2], record[3]
        data = record[4 : 4 + count]
        if kind == 0x00:
            for i, value in enumerate(data):
                addr = upper + address + i
                if addr in memory and memory[addr] != value:
                    raise SynthicError(f"{origin}:{lineno}: address 0x{addr:04x} written twice")
                memory[addr] = value
        elif kind == 0x01:
            break
        elif kind == 0x02:
            upper = int.from_bytes(data, "big") << 4
        elif kind == 0x04:
            upper = int.from_bytes(data, "big") << 16
        elif kind in (0x03, 0x05):
            continue  # start address records: irrelevant for a ROM image
        else:
            raise SynthicError(f"{origin}:{lineno}: unknown record type {kind:#04x}")
    return memory


def _parse_noi(text: str) -> dict[str, int]:
    """Symbols from sdldgb's NoICE file (``DEF name 0xADDR``), without area bookkeeping names."""
    symbols: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] != "DEF":
            continue
        name = parts[1]
        if name.startswith(".") or re.match(r"^[sl]__", name):
            continue
        try:
            symbols[name] = int(parts[2], 16)
        except ValueError:
            continue
    return symbols


def _prelude(defines: Mapping[str, int]) -> str:
    lines = ["; generated by tools/asm.py: symbols defined for this build"]
    for name, value in defines.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise SynthicError(f"bad define name {name!r}: use letters, digits and _")
        if isinstance(value, bool) or not isinstance(value, int):
            raise SynthicError(f"define {name}: value must be an integer, got {value!r}")
        if not -0x8000 <= value <= 0xFFFFFF:
            raise SynthicError(f"define {name}: value {value} out of range")
        lines.append(f"{name} = {value:#x}" if value >= 0 else f"{name} = -{-value:#x}")
    return "\n".join(lines) + "\n"


def assemble(
    source: str | os.PathLike,
    *,
    defines: Mapping[str, int] | None = None,
    include_dirs: Iterable[str | os.PathLike] = (),
    workdir: str | os.PathLike | None = None,
) -> tuple[dict[int, int], dict[str, int], str]:
    """Assemble and link one source; return ({address: byte}, symbols, Intel HEX text).

    The module is linked alone, so it must place everything with absolute areas (or accept the
    linker's default base addresses).
    """
    tools = _require_tools()
    src = Path(source)
    if not src.is_file():
        raise SynthicError(f"{src}: assembly source not found")
    src = src.resolve()
    incs = [src.parent, *(Path(d).resolve() for d in include_dirs)]
    with tempfile.TemporaryDirectory(prefix="synthic-asm-", dir=workdir) as tmp:
        tmpdir = Path(tmp)
        prelude = tmpdir / "prelude.s"
        prelude.write_text(_prelude(dict(defines or {})), encoding="ascii")
        argv = [tools["sdasgb"], "-a"]
        argv += [f"-I{inc}" for inc in incs]
        argv += ["-o", "out.rel", str(prelude), str(src)]
        _run(argv, tmpdir, f"assembling {src}")
        _run([tools["sdldgb"], "-j", "-i", "out.ihx", "out.rel"], tmpdir, f"linking {src}")
        ihx = (tmpdir / "out.ihx").read_text(encoding="ascii")
        noi = tmpdir / "out.noi"
        symbols = _parse_noi(noi.read_text(encoding="ascii")) if noi.exists() else {}
    return parse_ihx(ihx, origin=f"{src.name} (linked)"), symbols, ihx


# --------------------------------------------------------------------------------------------
# Header


def _write_header(
    image: bytearray,
    *,
    title: str,
    cart_type: int,
    rom_banks: int,
    ram_kib: int,
    cgb: bool,
    version: int,
) -> None:
    if not 0 <= cart_type <= 0xFF:
        raise SynthicError(f"cart_type must be a byte, got {cart_type}")
    if not 0 <= version <= 0xFF:
        raise SynthicError(f"version must be a byte, got {version}")
    encoded = title.encode("ascii", errors="replace")
    if len(encoded) > TITLE_MAX or any(not 0x20 <= b < 0x7F for b in encoded):
        raise SynthicError(f"title must be at most {TITLE_MAX} printable ASCII characters")
    image[TITLE_ADDR : TITLE_ADDR + TITLE_MAX] = encoded.ljust(TITLE_MAX, b"\0")
    image[CGB_FLAG_ADDR] = 0x80 if cgb else 0x00
    image[NEW_LICENSEE_ADDR : NEW_LICENSEE_ADDR + 2] = b"00"
    image[SGB_FLAG_ADDR] = 0x00
    image[CART_TYPE_ADDR] = cart_type
    image[ROM_SIZE_ADDR] = rom_size_code(rom_banks)
    image[RAM_SIZE_ADDR] = ram_size_code(ram_kib)
    image[DESTINATION_ADDR] = 0x01  # overseas
    image[OLD_LICENSEE_ADDR] = 0x33  # "see the new licensee code"
    image[VERSION_ADDR] = version
    fix_checksums(image)


# --------------------------------------------------------------------------------------------
# Building


def _normalise_sources(sources) -> dict[int, BankSource]:
    if isinstance(sources, (str, os.PathLike, BankSource)):
        items = {0: sources}
    elif isinstance(sources, Mapping):
        items = dict(sources)
    elif isinstance(sources, Sequence):
        items = dict(enumerate(sources))
    else:
        raise SynthicError(f"sources: expected a path, a list or a mapping, got {sources!r}")
    result: dict[int, BankSource] = {}
    for bank, src in items.items():
        if isinstance(bank, bool) or not isinstance(bank, int) or bank < 0:
            raise SynthicError(f"sources: bad bank number {bank!r}")
        result[bank] = src if isinstance(src, BankSource) else BankSource(Path(src))
    if 0 not in result:
        raise SynthicError("sources: bank 0 needs a source (it holds the entry point)")
    return dict(sorted(result.items()))


def build_rom_with_symbols(
    sources,
    *,
    title: str,
    cart_type: int = 0x00,
    rom_banks: int = 2,
    ram_kib: int = 0,
    defines: Mapping[str, int] | None = None,
    include_dirs: Iterable[str | os.PathLike] = (),
    cgb: bool = False,
    version: int = 0,
) -> RomBuild:
    """Build a cartridge image; see `build_rom`. Also returns each bank's symbols."""
    tools = _require_tools()
    banks = _normalise_sources(sources)
    rom_size_code(rom_banks)  # validate early
    ram_size_code(ram_kib)
    last = max(banks)
    if last >= rom_banks:
        raise SynthicError(f"sources: bank {last} does not fit in a ROM of {rom_banks} banks")
    include_dirs = list(include_dirs)

    with tempfile.TemporaryDirectory(prefix="synthic-rom-") as tmp:
        tmpdir = Path(tmp)
        contents: dict[int, int] = {}
        symbols: dict[int, dict[str, int]] = {}
        bank0_ihx = ""
        for bank, src in banks.items():
            bank_defines = {"BANK": bank, **dict(defines or {}), **dict(src.defines)}
            memory, syms, ihx = assemble(
                src.path, defines=bank_defines, include_dirs=include_dirs, workdir=tmpdir
            )
            symbols[bank] = syms
            if bank == 0:
                bank0_ihx = ihx
                allowed = range(0x0000, 0x4000 if 1 in banks else 0x8000)
            else:
                allowed = range(0x4000, 0x8000)
            for addr, value in memory.items():
                if addr not in allowed:
                    raise SynthicError(
                        f"{src.path}: byte at 0x{addr:04x} outside bank {bank}'s window "
                        f"0x{allowed.start:04x}-0x{allowed.stop - 1:04x}"
                    )
                if HEADER_START <= addr < HEADER_END and bank == 0:
                    raise SynthicError(
                        f"{src.path}: byte at 0x{addr:04x} inside the cartridge header "
                        f"(0x{HEADER_START:04x}-0x{HEADER_END - 1:04x} is written by the builder)"
                    )
                offset = addr if bank == 0 else bank * BANK_BYTES + (addr - 0x4000)
                contents[offset] = value

        # makebin lays out bank 0 (and 0x4000-0x7FFF of a bank-0 source) with the boot logo.
        (tmpdir / "bank0.ihx").write_text(bank0_ihx, encoding="ascii")
        _run(
            [tools["makebin"], "-Z", "-yo", str(rom_banks), "bank0.ihx", "bank0.gb"],
            tmpdir,
            "laying out bank 0",
        )
        image = bytearray((tmpdir / "bank0.gb").read_bytes())
    if len(image) != rom_banks * BANK_BYTES:
        raise SynthicError(
            f"makebin produced {len(image)} bytes, expected {rom_banks * BANK_BYTES}"
        )
    for offset, value in contents.items():
        if offset < BANK_BYTES * (1 if 1 in banks else 2) and image[offset] != value:
            raise SynthicError(f"makebin placed 0x{offset:04x} differently from the HEX file")
        image[offset] = value
    _write_header(
        image,
        title=title,
        cart_type=cart_type,
        rom_banks=rom_banks,
        ram_kib=ram_kib,
        cgb=cgb,
        version=version,
    )
    return RomBuild(bytes(image), symbols)


def build_rom(
    sources,
    *,
    title: str,
    cart_type: int = 0x00,
    rom_banks: int = 2,
    ram_kib: int = 0,
    defines: Mapping[str, int] | None = None,
    include_dirs: Iterable[str | os.PathLike] = (),
    cgb: bool = False,
    version: int = 0,
) -> bytes:
    """Assemble, link and lay out a cartridge image; return its bytes.

    `sources`: one path (bank 0, up to 32 KiB), a list of paths (index = bank number) or a
    mapping {bank: path or BankSource}. Unfilled bytes are 0xFF. `cart_type` is the header byte
    0x147 (0x00 ROM only, 0x01-0x03 MBC1, 0x0F-0x13 MBC3, 0x19-0x1E MBC5, ...), `rom_banks` the
    number of 16 KiB banks (a power of two, 2-512), `ram_kib` the cartridge RAM size. `defines`
    are symbols given to every source; each source also gets ``BANK``. The header (title, type,
    sizes, checksums) is written here. Raises SynthicError when a tool is missing or fails.
    """
    return build_rom_with_symbols(
        sources,
        title=title,
        cart_type=cart_type,
        rom_banks=rom_banks,
        ram_kib=ram_kib,
        defines=defines,
        include_dirs=include_dirs,
        cgb=cgb,
        version=version,
    ).image
