"""The generated interpreter (synthic/gb/sm83.py) is what its generator (tools/gen_sm83.py, not
installed) writes, and the numba cache guard notices source changes."""

from __future__ import annotations

from synthic.gb import jit_cache
from tools import gen_sm83


def test_generated_file_is_current():
    assert gen_sm83.OUTPUT.read_text() == gen_sm83.generate(), (
        "synthic/gb/sm83.py is out of date: run python -m tools.gen_sm83"
    )


def test_operand_and_read_tables_match_the_timing_table():
    """Every opcode's M-cycles: fetch + operand bytes + memory reads + its own cycles. Spot
    checks against Pan Docs "CPU Instruction Set" (CALL nn 24, LD A,(nn) 16, POP 12)."""

    def stages(op):
        _, path = gen_sm83.opcode(op)
        return path.operand_bytes, path.read_mode

    assert stages(0xCD) == (2, 0)  # CALL nn
    assert stages(0xFA) == (2, gen_sm83.READ_NN)  # LD A,(nn)
    assert stages(0xC1) == (0, gen_sm83.READ_POP)  # POP BC
    assert stages(0x7E) == (0, gen_sm83.READ_HL)  # LD A,(HL)
    assert stages(0xCB) == (1, 0)  # CB xx reads (HL) in its own code


def test_fingerprint_follows_sources(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = jit_cache.source_fingerprint([tmp_path / "a.py"])
    assert jit_cache.source_fingerprint([tmp_path / "a.py"]) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert jit_cache.source_fingerprint([tmp_path / "a.py"]) != first


def test_cache_guard_covers_what_the_interpreter_imports():
    """A change to bus.py must reach the cached sm83.run (numba alone would miss it); a change
    to an unrelated module of the package must not recompile it."""
    names = {p.name for p in jit_cache.source_files(gen_sm83.OUTPUT, "synthic.gb")}
    assert {"sm83.py", "bus.py", "cpu_state.py"} <= names
    assert "header.py" not in names
