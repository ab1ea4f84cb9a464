"""The bus the CPU talks through: flat test memory, the trace, and the SYSTEM-mode memory map
skeleton (Pan Docs "Memory Map") that the cartridge and I/O work builds on."""

from __future__ import annotations

from synthic.gb.bus import (
    ACCESS_READ,
    ACCESS_WRITE,
    IF_ADDRESS,
    PAGE_SHIFT,
    SPECIAL,
    bus_read,
    bus_write,
    new_flat_bus,
    new_system_bus,
    trace_records,
)
from synthic.gb.cpu import run
from synthic.gb.cpu_state import new_cpu_state, registers


def test_flat_memory_reads_back_what_was_written():
    bus = new_flat_bus()
    for address in (0x0000, 0x7FFF, 0xC000, 0xFF0F, 0xFF44, 0xFFFF):
        bus_write(bus, address, 0xA5, 0)
        assert bus_read(bus, address, 0) == 0xA5
        assert bus.mem[address] == 0xA5


def test_trace_records_every_access_with_its_t_cycle():
    bus = new_flat_bus(trace_capacity=8)
    bus_write(bus, 0xC000, 0x12, 40)
    assert bus_read(bus, 0xC000, 44) == 0x12
    assert trace_records(bus).tolist() == [
        [40, 0xC000, 0x12, ACCESS_WRITE],
        [44, 0xC000, 0x12, ACCESS_READ],
    ]


def test_cpu_bus_order_through_the_trace():
    """LD (HL),n8 at 0100: fetch, operand, write, each at its M-cycle's first T-cycle."""
    bus = new_flat_bus(trace_capacity=8)
    bus.mem[0x100:0x102] = [0x36, 0x99]
    cpu = new_cpu_state(h=0xC1, l=0x23)
    run(cpu, bus, 1000, max_instructions=1)
    assert trace_records(bus).tolist() == [
        [0, 0x0100, 0x36, ACCESS_READ],
        [4, 0x0101, 0x99, ACCESS_READ],
        [8, 0xC123, 0x99, ACCESS_WRITE],
    ]


def test_system_map_echo_rom_unusable_and_io():
    bus = new_system_bus()
    bus_write(bus, 0xE123, 0x42, 0)  # echo RAM writes WRAM
    assert bus.mem[0xC123] == 0x42
    bus.mem[0xD000] = 0x17
    assert bus_read(bus, 0xF000, 0) == 0x17  # and reads it
    bus.mem[0x1234] = 0x55
    bus_write(bus, 0x1234, 0x00, 0)  # ROM: a mapper register write, not a store
    assert bus_read(bus, 0x1234, 0) == 0x55
    bus.mem[0xFEA0] = 0x99
    assert bus_read(bus, 0xFEA0, 0) == 0x00  # unusable area reads 00 on DMG
    bus_write(bus, IF_ADDRESS, 0x01, 0)
    assert bus_read(bus, IF_ADDRESS, 0) == 0xE1  # IF's unused bits read 1


def test_system_map_keeps_hram_and_work_ram_on_the_fast_path():
    bus = new_system_bus()
    assert bus.read_page[0xFF80 >> PAGE_SHIFT] == 0
    assert bus.write_page[0xFF80 >> PAGE_SHIFT] == 0
    assert bus.read_page[0xC000 >> PAGE_SHIFT] == 0
    assert bus.read_page[0xFF00 >> PAGE_SHIFT] == SPECIAL
    assert bus.write_page[0x2000 >> PAGE_SHIFT] == SPECIAL


def test_cpu_runs_on_the_system_map():
    """LD A,42 / LD (E123),A / LD A,00 / LD A,(C123): the write through echo RAM lands in WRAM."""
    bus = new_system_bus()
    program = [0x3E, 0x42, 0xEA, 0x23, 0xE1, 0x3E, 0x00, 0xFA, 0x23, 0xC1]
    bus.mem[0x100 : 0x100 + len(program)] = program
    cpu = new_cpu_state()
    run(cpu, bus, 1000, max_instructions=4)
    assert registers(cpu)["a"] == 0x42
    assert registers(cpu)["pc"] == 0x100 + len(program)
