"""Interrupts, EI's delay, HALT and its bug, STOP and the illegal-opcode lock-up, at the CPU level.

Flat memory: IF is the byte at FF0F and IE the byte at FFFF (Pan Docs "Interrupts"), so a test
raises an interrupt by writing them. Programs start at 0200 with SP at D000; the trace gives each
bus access with its T-cycle.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthic.gb.bus import (
    ACCESS_READ,
    ACCESS_WRITE,
    IE_ADDRESS,
    IF_ADDRESS,
    clear_trace,
    new_flat_bus,
    trace_records,
)
from synthic.gb.cpu import run, step
from synthic.gb.cpu_state import (
    HALTED,
    ILLEGAL_OPCODES,
    INSTRUCTIONS,
    LOCKED,
    MODE,
    RUNNING,
    STATUS_LOCKED,
    STATUS_OK,
    STATUS_STOPPED,
    STOPPED,
    T_CYCLES,
    new_cpu_state,
    registers,
    set_registers,
)

START = 0x0200
STACK = 0xD000
NOP, HALT, STOP, EI, DI, RETI, INC_A = 0x00, 0x76, 0x10, 0xFB, 0xF3, 0xD9, 0x3C
VBLANK, TIMER = 0x01, 0x04


def machine(program: list[int], ime: int = 0, ie: int = 0, if_: int = 0):
    cpu = new_cpu_state(pc=START, sp=STACK, a=0, ime=ime)
    bus = new_flat_bus(trace_capacity=256)
    bus.mem[START : START + len(program)] = program
    bus.mem[IE_ADDRESS] = ie
    bus.mem[IF_ADDRESS] = if_
    clear_trace(bus)
    return cpu, bus


def stacked(cpu, bus) -> int:
    """The 16-bit value on top of the stack."""
    sp = registers(cpu)["sp"]
    return int(bus.mem[sp]) | int(bus.mem[sp + 1]) << 8


def test_post_boot_state():
    """Pan Docs "Power Up Sequence", DMG: AF=01B0 BC=0013 DE=00D8 HL=014D SP=FFFE PC=0100."""
    regs = registers(new_cpu_state())
    assert regs == {
        "a": 0x01,
        "f": 0xB0,
        "b": 0x00,
        "c": 0x13,
        "d": 0x00,
        "e": 0xD8,
        "h": 0x01,
        "l": 0x4D,
        "sp": 0xFFFE,
        "pc": 0x0100,
        "ime": 0,
    }


def test_dispatch_takes_five_m_cycles_in_order():
    """Two wait states, PC high pushed at SP-1, low at SP-2, then the vector (Pan Docs
    "Interrupt Handling"); IME and the IF bit are cleared."""
    cpu, bus = machine([NOP], ime=1, ie=TIMER, if_=TIMER)
    assert step(cpu, bus) == STATUS_OK
    assert cpu[T_CYCLES] == 20
    regs = registers(cpu)
    assert (regs["pc"], regs["sp"], regs["ime"]) == (0x50, STACK - 2, 0)
    assert stacked(cpu, bus) == START
    assert bus.mem[IF_ADDRESS] == 0
    assert trace_records(bus).tolist() == [
        [8, STACK - 1, START >> 8, ACCESS_WRITE],
        [12, STACK - 2, START & 0xFF, ACCESS_WRITE],
    ]
    assert cpu[INSTRUCTIONS] == 0  # a dispatch is not an instruction


@pytest.mark.parametrize(("flags", "vector"), [(0x1F, 0x40), (0x1E, 0x48), (0x18, 0x58)])
def test_lowest_pending_bit_wins(flags, vector):
    cpu, bus = machine([NOP], ime=1, ie=0x1F, if_=flags)
    step(cpu, bus)
    assert registers(cpu)["pc"] == vector
    assert bus.mem[IF_ADDRESS] == flags & (flags - 1)  # only that bit acknowledged


def test_interrupt_waits_for_ime_and_ie():
    cpu, bus = machine([NOP, NOP], ime=0, ie=VBLANK, if_=VBLANK)
    step(cpu, bus)
    assert registers(cpu)["pc"] == START + 1  # IME=0: the NOP ran
    cpu, bus = machine([NOP, NOP], ime=1, ie=TIMER, if_=VBLANK)
    step(cpu, bus)
    assert registers(cpu)["pc"] == START + 1  # not enabled in IE


def test_ei_takes_effect_after_the_next_instruction():
    cpu, bus = machine([EI, NOP, NOP], ie=VBLANK, if_=VBLANK)
    step(cpu, bus)  # EI
    assert registers(cpu)["ime"] == 0
    step(cpu, bus)  # the NOP after EI still runs
    assert registers(cpu)["pc"] == START + 2
    step(cpu, bus)  # then the interrupt
    assert registers(cpu)["pc"] == 0x40
    assert stacked(cpu, bus) == START + 2


def test_ei_then_di_lets_no_interrupt_in():
    cpu, bus = machine([EI, DI, NOP, NOP], ie=VBLANK, if_=VBLANK)
    run(cpu, bus, 16)
    assert registers(cpu)["pc"] == START + 4
    assert registers(cpu)["ime"] == 0


def test_reti_enables_at_once():
    cpu, bus = machine([RETI], ie=VBLANK, if_=VBLANK)
    bus.mem[STACK : STACK + 2] = [0x34, 0x12]  # return address 1234
    step(cpu, bus)
    assert registers(cpu)["pc"] == 0x1234
    step(cpu, bus)
    assert registers(cpu)["pc"] == 0x40
    assert stacked(cpu, bus) == 0x1234


def test_halt_sleeps_until_an_interrupt_then_dispatches():
    cpu, bus = machine([HALT, INC_A], ime=1, ie=VBLANK)
    assert run(cpu, bus, 1000) == STATUS_OK
    assert cpu[MODE] == HALTED
    assert cpu[T_CYCLES] == 1000  # asleep: time jumps to the limit in whole M-cycles
    assert registers(cpu)["pc"] == START + 1
    bus.mem[IF_ADDRESS] = VBLANK
    clear_trace(bus)
    step(cpu, bus)  # leaving HALT: one M-cycle
    assert cpu[MODE] == RUNNING
    assert cpu[T_CYCLES] == 1004
    step(cpu, bus)  # then the dispatch, returning to the instruction after HALT
    assert cpu[T_CYCLES] == 1024
    assert registers(cpu)["pc"] == 0x40
    assert stacked(cpu, bus) == START + 1
    assert registers(cpu)["a"] == 0


def test_halt_with_ime_off_resumes_without_dispatch():
    cpu, bus = machine([HALT, INC_A, NOP], ime=0, ie=TIMER)
    run(cpu, bus, 400)
    assert cpu[MODE] == HALTED
    bus.mem[IF_ADDRESS] = TIMER
    run(cpu, bus, 8)  # wake (4) + INC A (4)
    regs = registers(cpu)
    assert (regs["a"], regs["pc"], regs["sp"]) == (1, START + 2, STACK)
    assert bus.mem[IF_ADDRESS] == TIMER  # not acknowledged


def test_halt_bug_reads_the_next_byte_twice():
    """IME=0 with an interrupt already pending: HALT does not halt, and the next opcode fetch
    does not advance PC, so INC A runs twice (Pan Docs "halt bug")."""
    cpu, bus = machine([HALT, INC_A, NOP], ime=0, ie=VBLANK, if_=VBLANK)
    for _ in range(3):
        step(cpu, bus)
    regs = registers(cpu)
    assert cpu[MODE] == RUNNING
    assert (regs["a"], regs["pc"]) == (2, START + 2)
    fetches = [row[1] for row in trace_records(bus) if row[3] == ACCESS_READ]
    assert fetches == [START, START + 1, START + 1]


def test_halt_bug_after_ei_returns_to_the_halt():
    """EI; HALT with an interrupt pending: the handler returns to the HALT itself."""
    cpu, bus = machine([EI, HALT, NOP], ie=VBLANK, if_=VBLANK)
    step(cpu, bus)  # EI
    step(cpu, bus)  # HALT: IME still 0 while it runs, so the bug; IME turns on after it
    step(cpu, bus)  # dispatch
    assert registers(cpu)["pc"] == 0x40
    assert stacked(cpu, bus) == START + 1  # the HALT's own address


def test_halt_bug_before_rst_pushes_the_rst_address():
    cpu, bus = machine([HALT, 0xCF], ime=0, ie=VBLANK, if_=VBLANK)  # RST 08
    step(cpu, bus)
    step(cpu, bus)
    assert registers(cpu)["pc"] == 0x08
    assert stacked(cpu, bus) == START + 1  # the RST's address, not the byte after it


def test_ie_overwritten_by_the_push_cancels_the_dispatch():
    """SP=0000: the high byte of PC lands on IE (FFFF) before the vector is chosen; with no
    interrupt left enabled, execution goes to 0000 and IF keeps its bit (mooneye ie_push)."""
    cpu, bus = machine([NOP], ime=1, ie=VBLANK, if_=VBLANK)
    set_registers(cpu, sp=0x0000)
    step(cpu, bus)
    assert registers(cpu)["pc"] == 0x0000
    assert bus.mem[IE_ADDRESS] == START >> 8
    assert bus.mem[IF_ADDRESS] == VBLANK


@pytest.mark.parametrize("opcode", ILLEGAL_OPCODES, ids=lambda op: f"{op:02X}")
def test_illegal_opcode_locks_up(opcode):
    cpu, bus = machine([opcode, INC_A], ime=1, ie=VBLANK)
    assert step(cpu, bus) == STATUS_LOCKED
    assert cpu[MODE] == LOCKED
    assert registers(cpu)["pc"] == START + 1
    bus.mem[IF_ADDRESS] = VBLANK  # interrupts do not wake a locked CPU
    t = int(cpu[T_CYCLES])
    assert run(cpu, bus, 10_000) == STATUS_LOCKED
    assert cpu[T_CYCLES] == t + 10_000  # time still passes (the APU would keep playing)
    assert registers(cpu)["pc"] == START + 1
    assert registers(cpu)["a"] == 0


def test_stop_reports_stopped():
    cpu, bus = machine([STOP, INC_A], ime=0)
    assert step(cpu, bus) == STATUS_STOPPED
    assert cpu[MODE] == STOPPED
    assert run(cpu, bus, 1000) == STATUS_STOPPED
    assert registers(cpu)["a"] == 0


def test_run_stops_at_the_first_boundary_past_the_limit():
    cpu, bus = machine([0xC3, START & 0xFF, START >> 8])  # JP 0200: 16 T-cycles
    assert run(cpu, bus, 100) == STATUS_OK
    assert cpu[T_CYCLES] == 112
    assert cpu[INSTRUCTIONS] == 7


def test_halted_cpu_skips_a_long_wait_quickly():
    cpu, bus = machine([HALT], ime=1, ie=VBLANK)
    run(cpu, bus, 4_194_304 * 3600)  # an hour of emulated time
    assert cpu[T_CYCLES] == 4_194_304 * 3600
    assert cpu[MODE] == HALTED


def test_trace_off_by_default():
    bus = new_flat_bus()
    assert np.all(bus.read_page == 0)
    assert trace_records(bus).shape == (0, 4)
