"""The memory bus: the one road every CPU memory access takes, with the exact T-cycle it happens.

Every read and write the CPU makes, opcode fetches included, goes through `bus_read` /
`bus_write` (the interpreter writes their fast path out inline, below) with the T-cycle at which
its M-cycle starts (`synthic.gb.cpu_state`, slot T_CYCLES; +4 per M-cycle). That makes the bus
the single place where:

- the rest of the machine catches up lazily: a timer, the PPU or the APU is advanced to the
  access's T-cycle only when the CPU touches it (or when its next event falls due, below), so
  nothing does per-dot work;
- writes to the sound registers FF10-FF3F are recorded with their T-cycle;
- a trace of every access can be kept (the single-instruction test vectors compare it with the
  M-cycle list of each test, `synthic.gb.single_step`).

State: `Bus(mem, read_page, write_page, state, trace)`, a namedtuple of numpy arrays (numba
compiles attribute access on a namedtuple to a field load, and caches functions taking one):

    mem         uint8[]      backing store. Its first 64 KiB is the address-space image: in FLAT
                             mode the whole memory (the test vectors' "flat 64 KiB, no I/O, no
                             cartridge"); in SYSTEM mode VRAM, WRAM, OAM, HRAM and the I/O
                             register latches at their own addresses. ROM banks and cartridge
                             RAM go after the first 64 KiB. IF (FF0F, low 5 bits) and IE (FFFF)
                             always live at mem[FF0F] and mem[FFFF]: the CPU checks interrupts
                             with two loads, and hardware raising one ORs its bit into mem[FF0F].
    read_page   int64[512]   per 128-byte page (address >> 7): the offset such that the byte of
    write_page  int64[512]   `address` is mem[offset + address], or SPECIAL (-1): the access
                             goes through `read_slow` / `write_slow`. A mapper switching ROM
                             banks rewrites 128 entries. SPECIAL: I/O (FF00-FF7F), ROM for writes
                             (mapper registers), echo RAM, OAM, and every page while tracing.
                             128-byte pages keep HRAM (FF80-FFFE) plain memory.
    state       int64[4]     BUS_MODE (FLAT or SYSTEM, plus the TRACE bit), NEXT_EVENT_T,
                             TRACE_LEN, TRACE_DROPPED (slot constants below).
    trace       int64[n, 4]  with TRACE: one row per access, (t_cycle, address, value, kind),
                             kind ACCESS_READ or ACCESS_WRITE.

Why page tables: plain memory costs two loads and no mode test, and the interpreter (sm83.py)
can write that fast path out at each access site. A call per access would not do: a numba call
passing the Bus is not inlined by LLVM and pays for reference counting. So `bus_read` and the
generator's `read_lines` / `write_lines` must stay in step; everything else is in the slow path.

Events: state[NEXT_EVENT_T] is the earliest T-cycle at which some hardware must act on its own
(a timer overflow, a PPU mode change raising STAT/VBlank, the APU's frame sequencer...). The CPU
calls `service_events` at the first instruction boundary at or after it, and HALT/STOP/lock-up
skip time straight to it, so idle time is free. A hook that changes the schedule (a write to TAC,
LCDC...) lowers NEXT_EVENT_T. A hook that needs `run` to return (e.g. a full sound-write log)
sets NEXT_EVENT_T to 0 and makes `service_events` return STATUS_BUS_EXIT. In FLAT mode there are
no events: NEXT_EVENT_T stays at NO_EVENT.

Adding hardware (SYSTEM mode, `new_system_bus`; Pan Docs "Memory Map"): give it a state array as
a new Bus field; route its registers in `_io_read` / `_io_write` (catch it up to t_cycle first);
if it acts on its own, fold its next event into NEXT_EVENT_T and advance it in `service_events`.

    0000-7FFF  cartridge ROM  read pages point at the banks in mem; writes (SPECIAL) set the
                              mapper registers (MBC1/2/3/5) and rewrite the read pages
    8000-9FFF  VRAM           mem (the PPU may block access during mode 3)
    A000-BFFF  cartridge RAM  mem after the first 64 KiB, or SPECIAL (MBC2 nibbles, MBC3 RTC)
    C000-DFFF  WRAM           mem
    E000-FDFF  echo RAM       mem[address - 0x2000]
    FE00-FE9F  OAM            mem (blocked during OAM DMA and PPU modes 2-3)
    FEA0-FEFF  unusable       reads 00 on DMG, writes ignored
    FF00-FF7F  I/O            joypad FF00, serial FF01-02, timer FF04-07 (catch up the divider
                              first), IF FF0F, APU FF10-FF3F (record each write with its
                              t_cycle, catch the APU up), PPU FF40-FF4B, OAM DMA FF46
    FF80-FFFE  HRAM           mem
    FFFF       IE             mem

Everything here is `@njit(cache=True, nogil=True)` and returns status codes instead of raising.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from synthic.gb import jit_cache
from synthic.gb.cpu_state import STATUS_OK

Bus = namedtuple("Bus", ["mem", "read_page", "write_page", "state", "trace"])

ADDRESS_SPACE = 0x10000
PAGE_SHIFT = 7  # 128-byte pages: page = address >> 7, so I/O (FF00-FF7F) and HRAM part
PAGES = ADDRESS_SPACE >> PAGE_SHIFT
SPECIAL = -1  # a page whose accesses take the slow path (I/O, mapper registers, tracing)
IF_ADDRESS = 0xFF0F  # interrupt flags (Pan Docs "Interrupts")
IE_ADDRESS = 0xFFFF  # interrupt enable

# Slots of bus.state.
BUS_MODE = 0
NEXT_EVENT_T = 1
TRACE_LEN = 2
TRACE_DROPPED = 3
N_STATE = 4

# BUS_MODE values: FLAT or SYSTEM, optionally with the TRACE bit.
FLAT = 0
TRACE = 1
SYSTEM = 2

ACCESS_READ = 0
ACCESS_WRITE = 1

NO_EVENT = 1 << 62  # "never": later than any T-cycle a session reaches (35,000 years)


def new_flat_bus(trace_capacity: int = 0) -> Bus:
    """A bus over a zeroed flat 64 KiB memory; with trace_capacity > 0, accesses are traced."""
    state = np.zeros(N_STATE, dtype=np.int64)
    state[NEXT_EVENT_T] = NO_EVENT
    pages = np.zeros(PAGES, dtype=np.int64)  # every page at its own address: identity
    if trace_capacity > 0:
        state[BUS_MODE] = FLAT | TRACE
        pages[:] = SPECIAL  # every access takes the slow path, which records it
    trace = np.zeros((max(trace_capacity, 1), 4), dtype=np.int64)
    return Bus(np.zeros(ADDRESS_SPACE, dtype=np.uint8), pages, pages.copy(), state, trace)


def new_system_bus() -> Bus:
    """A bus with the DMG memory map (SYSTEM mode) and no cartridge yet: ROM reads come from
    mem[0000-7FFF], ROM writes are ignored, I/O registers are plain latches. The skeleton the
    cartridge, timer, PPU and APU work fills in (see the module's docstring)."""
    bus = new_flat_bus()
    bus.state[BUS_MODE] = SYSTEM

    def special(pages, first, last):
        pages[first >> PAGE_SHIFT : (last >> PAGE_SHIFT) + 1] = SPECIAL

    special(bus.read_page, 0xE000, 0xFF7F)  # echo RAM, OAM, unusable area, I/O
    special(bus.write_page, 0x0000, 0x7FFF)  # mapper registers
    special(bus.write_page, 0xE000, 0xFF7F)
    return bus


def trace_records(bus: Bus) -> np.ndarray:
    """The traced accesses so far: rows of (t_cycle, address, value, kind)."""
    return bus.trace[: bus.state[TRACE_LEN]].copy()


def clear_trace(bus: Bus) -> None:
    bus.state[TRACE_LEN] = 0
    bus.state[TRACE_DROPPED] = 0


@njit(cache=True, nogil=True)
def bus_read(bus, address, t_cycle):
    """The byte at address (0-FFFF), read in the M-cycle that starts at T-cycle t_cycle.

    Plain memory is one page-table load and one byte load; SPECIAL pages call `read_slow`.
    The interpreter (sm83.py) writes this fast path out at each of its accesses instead of
    calling this function (a call passing the Bus is not inlined by LLVM and costs reference
    counting); keep the two in step. Other hardware (OAM DMA) calls this one.
    """
    base = bus.read_page[address >> PAGE_SHIFT]
    if base >= 0:
        return np.int64(bus.mem[base + address])
    return read_slow(bus, address, t_cycle)


@njit(cache=True, nogil=True)
def bus_write(bus, address, value, t_cycle):
    """Write value (0-FF) to address in the M-cycle that starts at T-cycle t_cycle (written out
    in the interpreter like `bus_read`)."""
    base = bus.write_page[address >> PAGE_SHIFT]
    if base >= 0:
        bus.mem[base + address] = value
    else:
        write_slow(bus, address, value, t_cycle)


@njit(cache=True, nogil=True)
def read_slow(bus, address, t_cycle):
    """A read from a SPECIAL page: the memory map's devices, and the trace."""
    mode = bus.state[BUS_MODE]
    if mode & SYSTEM:
        value = _system_read(bus, address, t_cycle)
    else:
        value = np.int64(bus.mem[address])
    if mode & TRACE:
        _record(bus, t_cycle, address, value, np.int64(ACCESS_READ))
    return value


@njit(cache=True, nogil=True)
def write_slow(bus, address, value, t_cycle):
    """A write to a SPECIAL page: the memory map's devices, and the trace."""
    mode = bus.state[BUS_MODE]
    if mode & TRACE:
        _record(bus, t_cycle, address, value, np.int64(ACCESS_WRITE))
    if mode & SYSTEM:
        _system_write(bus, address, value, t_cycle)
    else:
        bus.mem[address] = value


@njit(cache=True, nogil=True)
def _record(bus, t_cycle, address, value, kind):
    n = bus.state[TRACE_LEN]
    if n < bus.trace.shape[0]:
        bus.trace[n, 0] = t_cycle
        bus.trace[n, 1] = address
        bus.trace[n, 2] = value
        bus.trace[n, 3] = kind
        bus.state[TRACE_LEN] = n + 1
    else:
        bus.state[TRACE_DROPPED] += 1


@njit(cache=True, nogil=True)
def interrupts_pending(mem):
    """IE & IF: the interrupts requested and enabled (bit 0 VBlank ... bit 4 joypad)."""
    return np.int64(mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F)


@njit(cache=True, nogil=True)
def acknowledge_interrupt(mem, mask):
    """Clear the IF bit(s) in mask: the CPU is dispatching that interrupt."""
    mem[IF_ADDRESS] = mem[IF_ADDRESS] & (0xFF ^ mask)


@njit(cache=True, nogil=True)
def service_events(bus, t_cycle):
    """Bring every piece of hardware up to t_cycle, raise the interrupts due, and set
    NEXT_EVENT_T to the next event. Returns a status: STATUS_OK to go on.

    Called by the CPU at instruction boundaries once t_cycle >= NEXT_EVENT_T. Nothing schedules
    events yet (timer, PPU, APU, serial come later), so the next event is "never".
    """
    bus.state[NEXT_EVENT_T] = NO_EVENT
    return STATUS_OK


@njit(cache=True, nogil=True)
def enter_stop(bus, t_cycle):
    """Hook for STOP: on DMG it resets DIV (Pan Docs "Using the STOP Instruction" flowchart).

    The timer does not exist yet; when it does, reset its divider here at t_cycle.
    """
    return


@njit(cache=True, nogil=True)
def _system_read(bus, address, t_cycle):
    """SYSTEM mode read: the DMG memory map. Regions not emulated yet read the backing array."""
    if address >= 0xFF00:
        if address < 0xFF80:
            return _io_read(bus, address, t_cycle)
        return np.int64(bus.mem[address])  # HRAM, IE
    if 0xE000 <= address < 0xFE00:
        return np.int64(bus.mem[address - 0x2000])  # echo of C000-DDFF
    if 0xFEA0 <= address < 0xFF00:
        return np.int64(0)  # unusable area: DMG reads 00
    # TODO(cartridge): 0000-7FFF and A000-BFFF go through the mapper.
    return np.int64(bus.mem[address])


@njit(cache=True, nogil=True)
def _system_write(bus, address, value, t_cycle):
    """SYSTEM mode write: the DMG memory map."""
    if address >= 0xFF00:
        if address < 0xFF80:
            _io_write(bus, address, value, t_cycle)
        else:
            bus.mem[address] = value  # HRAM, IE
    elif 0xE000 <= address < 0xFE00:
        bus.mem[address - 0x2000] = value
    elif 0xFEA0 <= address < 0xFF00:
        return
    elif address < 0x8000:
        return  # TODO(cartridge): mapper register writes; ROM itself is read-only
    else:
        bus.mem[address] = value  # TODO(cartridge): A000-BFFF through the mapper


@njit(cache=True, nogil=True)
def _io_read(bus, address, t_cycle):
    """I/O registers FF00-FF7F. TODO(timer, APU, PPU, joypad, serial): dispatch by address."""
    if address == IF_ADDRESS:
        return np.int64(bus.mem[address] | 0xE0)  # the 3 unused IF bits read 1
    return np.int64(bus.mem[address])


@njit(cache=True, nogil=True)
def _io_write(bus, address, value, t_cycle):
    """I/O registers FF00-FF7F. TODO(APU): record FF10-FF3F writes with t_cycle here."""
    bus.mem[address] = value


jit_cache.flush_if_sources_changed(__name__)
