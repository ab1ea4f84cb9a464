"""The SM83 core against the SingleStepTests sm83 vectors (../shared/test-vectors/sm83/).

500 files of 100 single-instruction tests each. All 50,000 run in one numba call per module
(`tests/single_step.py`); each test item then checks one opcode's file: registers, flags,
IME, RAM, the M-cycle count, and the bus accesses M-cycle by M-cycle.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_VECTORS

SM83 = TEST_VECTORS / "sm83"
FILES = sorted(SM83.glob("*.json.gz")) if SM83.is_dir() else []
ILLEGAL = {0xD3, 0xDB, 0xDD, 0xE3, 0xE4, 0xEB, 0xEC, 0xED, 0xF4, 0xFC, 0xFD}
SKIP_REASON = f"SM83 test vectors not found at {SM83}"


def _opcode_name(path: Path) -> str:
    """The vectors' name prefix for a file: "cb_46.json.gz" -> "CB 46"."""
    return path.name.removesuffix(".json.gz").replace("_", " ").upper()


@pytest.fixture(scope="module")
def results():
    """(batch, results, comparison, rows of each opcode) for every vector, run once."""
    if not FILES:
        pytest.skip(SKIP_REASON)
    from tests.single_step import compare, load_vectors, run_vectors

    batch = load_vectors(FILES)
    rows: dict[str, slice] = {}
    for i, name in enumerate(batch.names):
        prefix = name.rsplit(" ", 1)[0]
        start = rows[prefix].start if prefix in rows else i
        rows[prefix] = slice(start, i + 1)
    res = run_vectors(batch)
    return batch, res, compare(batch, res), rows


@pytest.mark.parametrize("path", FILES, ids=[_opcode_name(p) for p in FILES])
def test_opcode(results, path):
    from tests.single_step import mismatches

    batch, res, comparison, rows = results
    picked = rows[_opcode_name(path)]
    assert picked.stop - picked.start == 100
    failed, notes = mismatches(batch, res, limit=5, rows=picked, comparison=comparison)
    assert failed == 0, f"{failed} of 100 vectors differ:\n" + "\n".join(notes)


def test_all_vectors_pass(results):
    """All 50,000 at once, with the count in the message."""
    from tests.single_step import mismatches

    batch, res, comparison, _ = results
    assert len(batch.names) == 50_000
    failed, notes = mismatches(batch, res, limit=10, comparison=comparison)
    assert failed == 0, f"{failed} of {len(batch.names)} vectors differ:\n" + "\n".join(notes)


def test_every_opcode_has_vectors():
    """Every legal opcode and every CB opcode has a file (a guard against a truncated copy)."""
    if not FILES:
        pytest.skip(SKIP_REASON)
    names = {p.name for p in FILES}
    for op in range(256):
        assert f"cb_{op:02x}.json.gz" in names
        if op not in ILLEGAL and op != 0xCB:
            assert f"{op:02x}.json.gz" in names
