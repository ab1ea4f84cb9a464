"""Build Synthic's own Game Boy ROMs from their assembly sources.

Usage (from the repository root; needs Debian's `sdcc` package)::

    python tests/roms/build_roms.py            # rebuild every image in place
    python tests/roms/build_roms.py --check    # exit 1 if any committed image differs
    python tests/roms/build_roms.py timer mbc5 # only these

The manifest `ROMS` lists each image, its sources and its header. The test ROMs live in
tests/roms/ (sources in tests/roms/src/); the benchmark ROMs, which ship with the package, in
synthic/gb/roms/. The MBC ROMs (1, 2 and 8 MiB, nearly all padding) are stored gzipped,
NAME.gb.gz (19 KB for the three); `RomSpec.read` gunzips, and the tests' `test_rom` fixture
(tests/conftest.py) unpacks them into a temporary folder once per session.
tests/test_roms_build.py imports this file to check that every committed image is reproduced
byte for byte.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.asm import BankSource, build_rom  # noqa: E402

TEST_DIR = REPO / "tests" / "roms"
SRC_DIR = TEST_DIR / "src"
BENCH_DIR = REPO / "synthic" / "gb" / "roms"
DRIVER_DIR = REPO / "synthic" / "jukebox" / "driver"  # hardware.inc: register names

# Cartridge types (header byte 0x147, Pan Docs "The Cartridge Header").
ROM_ONLY = 0x00
MBC1_RAM = 0x02
MBC3_RAM = 0x12
MBC5_RAM = 0x1A


@dataclass(frozen=True)
class RomSpec:
    name: str
    image: Path
    title: str
    bank0: Path
    cart_type: int = ROM_ONLY
    rom_banks: int = 2
    ram_kib: int = 0
    # Banks 1..rom_banks-1 built from this template (it receives BANK = n), if set.
    bank_template: Path | None = None
    include_dirs: tuple[Path, ...] = (SRC_DIR,)  # after the source's own folder

    def sources(self) -> dict[int, Path | BankSource]:
        sources: dict[int, Path | BankSource] = {0: self.bank0}
        if self.bank_template is not None:
            for bank in range(1, self.rom_banks):
                sources[bank] = self.bank_template
        return sources

    @property
    def compressed(self) -> bool:
        return self.image.suffix == ".gz"

    def read(self) -> bytes:
        """The committed image, gunzipped if it is stored compressed."""
        data = self.image.read_bytes()
        return gzip.decompress(data) if self.compressed else data

    def write(self, image: bytes) -> None:
        """Store `image`, gzipped (without a time stamp, so reproducibly) where compressed."""
        self.image.write_bytes(gzip.compress(image, 9, mtime=0) if self.compressed else image)

    def build(self) -> bytes:
        return build_rom(
            self.sources(),
            title=self.title,
            cart_type=self.cart_type,
            rom_banks=self.rom_banks,
            ram_kib=self.ram_kib,
            include_dirs=list(self.include_dirs),
        )


BANK_TEMPLATE = SRC_DIR / "bank.s"


def _test(name: str, title: str, compressed: bool = False, **kwargs) -> RomSpec:
    image = TEST_DIR / f"{name}.gb{'.gz' if compressed else ''}"
    return RomSpec(name, image, title, SRC_DIR / f"{name}.s", **kwargs)


def _bench(name: str, title: str) -> RomSpec:
    return RomSpec(
        name, BENCH_DIR / f"{name}.gb", title, BENCH_DIR / f"{name}.s", include_dirs=(DRIVER_DIR,)
    )


ROMS: list[RomSpec] = [
    _test("timer", "SYN TIMER"),
    _test("interrupts", "SYN INTERRUPTS"),
    _test("halt", "SYN HALT"),
    _test("joypad", "SYN JOYPAD"),
    _test("apu_regs", "SYN APU REGS"),
    _test("music", "SYN MUSIC"),
    _test("zombie", "SYN ZOMBIE"),
    _test(
        "mbc1",
        "SYN MBC1",
        compressed=True,
        cart_type=MBC1_RAM,
        rom_banks=64,
        ram_kib=8,
        bank_template=BANK_TEMPLATE,
    ),
    _test(
        "mbc3",
        "SYN MBC3",
        compressed=True,
        cart_type=MBC3_RAM,
        rom_banks=128,
        ram_kib=32,
        bank_template=BANK_TEMPLATE,
    ),
    _test(
        "mbc5",
        "SYN MBC5",
        compressed=True,
        cart_type=MBC5_RAM,
        rom_banks=512,
        ram_kib=128,
        bank_template=BANK_TEMPLATE,
    ),
    _bench("bench_cpu", "SYN BENCH CPU"),
    _bench("bench_halt", "SYN BENCH HALT"),
    _bench("bench_poll", "SYN BENCH POLL"),
]

BY_NAME = {spec.name: spec for spec in ROMS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"ROMs to build (default all): {list(BY_NAME)}")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown ROM(s): {', '.join(unknown)}")
    status = 0
    for spec in [BY_NAME[n] for n in args.names] if args.names else ROMS:
        image = spec.build()
        rel = spec.image.relative_to(REPO)
        if args.check:
            same = spec.image.exists() and spec.read() == image
            print(f"{'ok     ' if same else 'DIFFERS'} {rel}")
            status |= 0 if same else 1
        else:
            spec.write(image)
            print(f"wrote   {rel} ({len(image)} bytes, {spec.image.stat().st_size} stored)")
    return status


if __name__ == "__main__":
    sys.exit(main())
