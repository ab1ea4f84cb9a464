"""Run single-instruction CPU test vectors (SingleStepTests sm83 format) in flat memory: the
harness of tests/test_cpu_vectors.py (a test helper, not part of the installed package).

Each vector gives the registers and some RAM bytes before and after one instruction, and the
bus activity of each M-cycle: (address, value, "r-m" read / "-wm" write / "---" internal).
`load_vectors` reads the gzip JSON files into arrays, `run_vectors` executes them all in one
numba call (50,000 vectors in well under a second once compiled), and `mismatches` lists every
difference: registers, flags, IME (and EI's pending state where the vector gives `ei`), RAM,
the M-cycle count, and the bus accesses M-cycle by M-cycle. Internal cycles are compared by
kind only: the address a vector shows for them is whatever the bus last held.

HALT and STOP leave the CPU asleep after their 1-M-cycle fetch; the vectors list 3 M-cycles
for them, so a sleeping CPU is left to idle (no bus access) up to the vector's length.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from synthic.gb import jit_cache
from synthic.gb.bus import (
    ACCESS_READ,
    ACCESS_WRITE,
    TRACE_LEN,
    Bus,
    new_flat_bus,
)
from synthic.gb.cpu_state import (
    HALTED,
    IME_DELAY,
    MODE,
    N_SLOTS,
    STOPPED,
    T_CYCLES,
)
from synthic.gb.sm83 import run
from synthic.numba_cache import flush_when_changed

REGISTER_ORDER = ("a", "f", "b", "c", "d", "e", "h", "l", "sp", "pc", "ime")  # cpu slots 0-10
MAX_M_CYCLES = 8  # longest instruction: 6 M-cycles
INTERNAL = 2  # access kind of an M-cycle without a bus access
CONFLICT = 9  # two accesses in one M-cycle
PINS = {"r-m": ACCESS_READ, "-wm": ACCESS_WRITE, "---": INTERNAL}
UNLIMITED = 1 << 62


@dataclass
class VectorBatch:
    """Vectors as arrays; ragged RAM lists are flat arrays indexed through *_start offsets."""

    names: list[str]
    initial: np.ndarray  # (n, 11) registers in REGISTER_ORDER
    ram_start: np.ndarray  # (n + 1,) offsets into ram_address / ram_value
    ram_address: np.ndarray
    ram_value: np.ndarray
    final: np.ndarray  # (n, 11)
    final_ei: np.ndarray  # (n,) 1/0 = EI pending after the instruction, -1 = not given
    final_start: np.ndarray
    final_address: np.ndarray
    final_value: np.ndarray
    m_cycles: np.ndarray  # (n,)
    cycle_kind: np.ndarray  # (n, MAX_M_CYCLES): ACCESS_READ/ACCESS_WRITE/INTERNAL, -1 past end
    cycle_address: np.ndarray
    cycle_value: np.ndarray


@dataclass
class VectorResults:
    final: np.ndarray
    ei: np.ndarray
    final_value: np.ndarray
    m_cycles: np.ndarray
    cycle_kind: np.ndarray  # as in VectorBatch, or CONFLICT
    cycle_address: np.ndarray
    cycle_value: np.ndarray


def load_vectors(paths: list[Path]) -> VectorBatch:
    tests = []
    for path in paths:
        with gzip.open(path, "rt") as fh:
            tests.extend(json.load(fh))
    n = len(tests)

    def ragged(key):
        lists = [t[key]["ram"] for t in tests]
        start = np.zeros(n + 1, dtype=np.int64)
        start[1:] = np.cumsum([len(x) for x in lists])
        flat = np.array([pair for x in lists for pair in x], dtype=np.int64).reshape(-1, 2)
        return start, flat[:, 0].copy(), flat[:, 1].copy()

    ram_start, ram_address, ram_value = ragged("initial")
    final_start, final_address, final_value = ragged("final")
    kind = np.full((n, MAX_M_CYCLES), -1, dtype=np.int64)
    address = np.zeros((n, MAX_M_CYCLES), dtype=np.int64)
    value = np.zeros((n, MAX_M_CYCLES), dtype=np.int64)
    for i, t in enumerate(tests):
        for m, (addr, val, pins) in enumerate(t["cycles"]):
            kind[i, m] = PINS[pins]
            address[i, m] = addr if addr is not None else 0
            value[i, m] = val if val is not None else 0
    return VectorBatch(
        names=[t["name"] for t in tests],
        initial=np.array([[t["initial"][r] for r in REGISTER_ORDER] for t in tests], np.int64),
        ram_start=ram_start,
        ram_address=ram_address,
        ram_value=ram_value,
        final=np.array([[t["final"][r] for r in REGISTER_ORDER] for t in tests], np.int64),
        final_ei=np.array([t["final"].get("ei", -1) for t in tests], dtype=np.int64),
        final_start=final_start,
        final_address=final_address,
        final_value=final_value,
        m_cycles=np.array([len(t["cycles"]) for t in tests], dtype=np.int64),
        cycle_kind=kind,
        cycle_address=address,
        cycle_value=value,
    )


@njit(cache=True, nogil=True)
def _run_all(cpu, bus, initial, ram_start, ram_address, ram_value, expected_m_cycles,
             final_start, final_address, out_final, out_ei, out_value, out_m_cycles,
             out_kind, out_address, out_value_cycle):  # fmt: skip
    """Each vector from its initial state in flat memory, one instruction; the registers, the
    RAM bytes at final_address, the M-cycle count and the bus accesses by M-cycle go out."""
    mem = bus.mem
    for i in range(initial.shape[0]):
        for j in range(ram_start[i], ram_start[i + 1]):
            mem[ram_address[j]] = ram_value[j]
        cpu[:] = 0
        cpu[: initial.shape[1]] = initial[i]
        bus.state[TRACE_LEN] = 0
        # np.int64(): plain int64 arguments, so `run` is compiled once (a literal constant
        # argument would make numba compile a specialisation for it).
        run(cpu, bus, np.int64(UNLIMITED), np.int64(1))
        if cpu[MODE] == HALTED or cpu[MODE] == STOPPED:
            run(cpu, bus, np.int64(4 * expected_m_cycles[i]), np.int64(UNLIMITED))
        out_final[i] = cpu[: out_final.shape[1]]
        out_ei[i] = 1 if cpu[IME_DELAY] != 0 else 0
        m_cycles = cpu[T_CYCLES] // 4
        out_m_cycles[i] = m_cycles
        for m in range(min(m_cycles, out_kind.shape[1])):
            out_kind[i, m] = INTERNAL  # unless an access says otherwise
        for k in range(bus.state[TRACE_LEN]):
            m = bus.trace[k, 0] // 4
            if m < out_kind.shape[1]:
                out_kind[i, m] = CONFLICT if out_kind[i, m] != INTERNAL else bus.trace[k, 3]
                out_address[i, m] = bus.trace[k, 1]
                out_value_cycle[i, m] = bus.trace[k, 2]
        for j in range(final_start[i], final_start[i + 1]):
            out_value[j] = mem[final_address[j]]
        # Back to all zeros for the next vector: the bytes it set, and every byte written.
        for j in range(ram_start[i], ram_start[i + 1]):
            mem[ram_address[j]] = 0
        for k in range(bus.state[TRACE_LEN]):
            mem[bus.trace[k, 1]] = 0


def run_vectors(batch: VectorBatch) -> VectorResults:
    """Execute every vector from its initial state; return what the CPU ended with."""
    n = len(batch.names)
    bus: Bus = new_flat_bus(trace_capacity=64)
    cpu = np.zeros(N_SLOTS, dtype=np.int64)
    res = VectorResults(
        final=np.zeros((n, len(REGISTER_ORDER)), dtype=np.int64),
        ei=np.zeros(n, dtype=np.int64),
        final_value=np.zeros(len(batch.final_address), dtype=np.int64),
        m_cycles=np.zeros(n, dtype=np.int64),
        cycle_kind=np.full((n, MAX_M_CYCLES), -1, dtype=np.int64),
        cycle_address=np.zeros((n, MAX_M_CYCLES), dtype=np.int64),
        cycle_value=np.zeros((n, MAX_M_CYCLES), dtype=np.int64),
    )
    _run_all(cpu, bus, batch.initial, batch.ram_start, batch.ram_address, batch.ram_value,
             batch.m_cycles, batch.final_start, batch.final_address, res.final, res.ei,
             res.final_value, res.m_cycles, res.cycle_kind, res.cycle_address,
             res.cycle_value)  # fmt: skip
    return res


@dataclass
class Comparison:
    """Where results differ from the vectors: per vector and field, and per RAM entry."""

    registers: np.ndarray  # (n, 11) bool
    ei: np.ndarray  # (n,)
    m_cycles: np.ndarray  # (n,)
    bus: np.ndarray  # (n, MAX_M_CYCLES)
    ram_entry: np.ndarray  # like final_address
    vector: np.ndarray  # (n,): any of the above


def compare(batch: VectorBatch, res: VectorResults) -> Comparison:
    rw = (batch.cycle_kind == ACCESS_READ) | (batch.cycle_kind == ACCESS_WRITE)
    bus = (batch.cycle_kind != res.cycle_kind) | (
        rw & ((batch.cycle_address != res.cycle_address) | (batch.cycle_value != res.cycle_value))
    )
    registers = batch.final != res.final
    ei = (batch.final_ei >= 0) & (batch.final_ei != res.ei)
    m_cycles = batch.m_cycles != res.m_cycles
    ram_entry = batch.final_value != res.final_value
    owner = np.repeat(np.arange(len(batch.names)), np.diff(batch.final_start))
    ram = np.zeros(len(batch.names), dtype=bool)
    ram[owner[ram_entry]] = True
    vector = registers.any(axis=1) | ei | m_cycles | bus.any(axis=1) | ram
    return Comparison(registers, ei, m_cycles, bus, ram_entry, vector)


def mismatches(
    batch: VectorBatch,
    res: VectorResults,
    limit: int = 20,
    rows: slice = slice(None),
    comparison: Comparison | None = None,
) -> tuple[int, list[str]]:
    """(number of failing vectors among `rows`, descriptions of the first `limit` of them)."""
    bad = comparison or compare(batch, res)
    failing = np.arange(len(batch.names))[rows][bad.vector[rows]]
    notes = []
    for i in failing[:limit]:
        parts = [
            f"{REGISTER_ORDER[r]} {batch.final[i, r]:#x} != {res.final[i, r]:#x}"
            for r in np.flatnonzero(bad.registers[i])
        ]
        if bad.ei[i]:
            parts.append(f"ei {batch.final_ei[i]} != {res.ei[i]}")
        if bad.m_cycles[i]:
            parts.append(f"M-cycles {batch.m_cycles[i]} != {res.m_cycles[i]}")
        for j in range(batch.final_start[i], batch.final_start[i + 1]):
            if bad.ram_entry[j]:
                parts.append(
                    f"ram[{batch.final_address[j]:#06x}] "
                    f"{batch.final_value[j]:#x} != {res.final_value[j]:#x}"
                )
        if bad.bus[i].any():
            parts.append(f"bus {_cycles(batch, i)} != {_cycles(res, i)}")
        notes.append(f"{batch.names[i]}: expected != got: " + "; ".join(parts))
    return len(failing), notes


def _cycles(src, i: int) -> str:
    names = {ACCESS_READ: "r", ACCESS_WRITE: "w", INTERNAL: "-", CONFLICT: "??"}
    out = []
    for m in range(MAX_M_CYCLES):
        kind = int(src.cycle_kind[i, m])
        if kind < 0:
            break
        if kind == INTERNAL:
            out.append("-")
        else:
            out.append(f"{names[kind]}{src.cycle_address[i, m]:04x}={src.cycle_value[i, m]:02x}")
    return "[" + " ".join(out) + "]"


def _flush_if_sources_changed() -> int:
    """jit_cache.flush_if_sources_changed for a module outside synthic.gb: _run_all inlines
    sm83.run, so this file and every emulator source sm83.run depends on make the stamp."""
    jitted = jit_cache.dispatchers(sys.modules[__name__])
    if not jitted:
        return 0
    sm83 = Path(sys.modules[run.py_func.__module__].__file__)
    files = [Path(__file__), *jit_cache.source_files(sm83, "synthic.gb")]
    stamp = os.path.join(jitted[0]._cache.cache_path, f"{__name__}.{jit_cache.STAMP_SUFFIX}")
    return flush_when_changed(jitted, stamp, jit_cache.source_fingerprint(files))


_flush_if_sources_changed()
