"""The emulator runs random cartridge images (random bytes behind a valid header) of each mapper
for millions of cycles without an exception, a crash or a hang, and every run ends within its
cycle budget: a lock-up (illegal opcode, a HALT nothing can end) or STOP is an outcome, time still
passes. Half the images have their illegal opcodes replaced (and start at 0x150, as real ones
do), so that they run long stretches of random code instead of locking up within a few dozen
bytes.

The default run is a handful of seeded images (seconds once compiled); `-m slow` runs hundreds
and prints what it covered."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest

from synthic.gb.cpu_state import ILLEGAL_OPCODES, INSTRUCTIONS
from synthic.gb.header import NINTENDO_LOGO, header_checksum, parse_header

# name: (cartridge types, ROM size codes, RAM size codes)
MAPPERS = {
    "ROM": ((0x00, 0x08, 0x09), (0,), (0x00, 0x02)),
    "MBC1": ((0x01, 0x02, 0x03), (0, 1, 2, 3, 4, 5), (0x00, 0x02, 0x03)),
    "MBC3": ((0x0F, 0x10, 0x11, 0x12, 0x13), (0, 1, 2, 3, 4, 5, 6), (0x00, 0x02, 0x03)),
    "MBC5": ((0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E), (0, 1, 2, 3, 4, 5, 6, 7), (0x00, 0x03, 0x04)),
}
BUTTONS = ("a", "b", "select", "start", "right", "left", "up", "down")
MAX_OVERSHOOT = 24  # a run ends the instruction under way
_LEGAL = np.array([b for b in range(256) if b not in ILLEGAL_OPCODES], np.uint8)


def random_image(rng: np.random.Generator, mapper: str, *, legal_only: bool) -> bytes:
    types, sizes, rams = MAPPERS[mapper]
    size_code = int(rng.choice(sizes))
    image = rng.integers(0, 256, 0x8000 << size_code, dtype=np.uint8)
    if legal_only:
        illegal = np.isin(image, ILLEGAL_OPCODES)
        image[illegal] = rng.choice(_LEGAL, int(illegal.sum()))
    image = bytearray(image.tobytes())
    if legal_only:  # the entry point jumps over the header, as on a real cartridge
        image[0x100:0x104] = bytes((0x00, 0xC3, 0x50, 0x01))  # nop ; jp 0150
    image[0x104:0x134] = NINTENDO_LOGO
    image[0x143] = int(rng.choice([0x00, 0x80]))  # DMG, or CGB-compatible
    image[0x147] = int(rng.choice(types))
    image[0x148] = size_code
    image[0x149] = int(rng.choice(rams))
    image[0x14D] = header_checksum(image)
    return bytes(image)


def run_image(data: bytes, rng: np.random.Generator, cycles: int, chunks: int = 4) -> dict:
    """Run `cycles` T-cycles in `chunks`, pressing or releasing a random button between them
    (so STOP can end); check the clock at each; return what happened."""
    from synthic.gb import Emulator

    emu = Emulator(data, seed=int(rng.integers(0, 2**31)))
    target = 0
    for i in range(chunks):
        n = cycles // chunks if i < chunks - 1 else cycles - target
        target += n
        status = emu.run_cycles(n)
        assert target <= emu.t_cycles <= target + MAX_OVERSHOOT, (target, emu.t_cycles)
        assert status in ("ok", "locked", "halted forever", "stopped"), status
        button = str(rng.choice(BUTTONS))
        (emu.press if rng.random() < 0.5 else emu.release)(button)
    rec = emu.recording()
    assert len(rec) == emu.write_count
    assert np.all(np.diff(rec.t_cycles) >= 0)
    assert len(rec) == 0 or (0xFF10 <= rec.address.min() and rec.address.max() <= 0xFF3F)
    return {
        "status": emu.status,
        "lockup": emu.lockup is not None,
        "instructions": int(emu.cpu[INSTRUCTIONS]),
        "cycles": emu.t_cycles,
        "writes": len(rec),
    }


def fuzz(seed: int, images: int, cycles: int) -> dict:
    rng = np.random.default_rng(seed)
    totals = Counter()
    outcomes = Counter()
    mappers = list(MAPPERS)
    for i in range(images):
        mapper = mappers[i % len(mappers)]
        legal_only = (i // len(mappers)) % 2 == 1
        data = random_image(rng, mapper, legal_only=legal_only)
        header = parse_header(data)
        assert header.mapper == mapper and header.header_checksum_ok
        start = time.perf_counter()
        try:
            result = run_image(data, rng, cycles)
        except Exception as e:  # name the image, to rebuild it from the seed
            raise AssertionError(f"seed {seed}, image {i} ({mapper}): {e!r}") from e
        took = time.perf_counter() - start
        totals["seconds"] += took
        totals["slowest"] = max(totals["slowest"], took)
        totals["images"] += 1
        for key in ("instructions", "cycles", "writes"):
            totals[key] += result[key]
        outcomes[(mapper, "legal" if legal_only else "random", result["status"])] += 1
    return {"totals": totals, "outcomes": outcomes}


def test_random_images_of_each_mapper_run_to_their_budget():
    report = fuzz(seed=11, images=8, cycles=3_000_000)
    assert report["totals"]["images"] == 8
    # random code does run: the legal-only images execute many instructions
    assert report["totals"]["instructions"] > 100_000


@pytest.mark.slow
def test_hundreds_of_random_images_run_to_their_budget():
    report = fuzz(seed=2024, images=800, cycles=4 * 4_194_304)
    totals = report["totals"]
    print(
        f"\nfuzz: {totals['images']} images, {totals['instructions']:,} instructions, "
        f"{totals['cycles']:,} T-cycles, {totals['writes']:,} sound writes, "
        f"{totals['seconds']:.1f} s (slowest image {totals['slowest']:.2f} s)"
    )
    for key, n in sorted(report["outcomes"].items()):
        print("  ", *key, n)
    assert totals["images"] == 800
