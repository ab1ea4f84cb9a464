"""The memory bus: the one road every CPU memory access takes, with the exact T-cycle it happens.

Every read and write the CPU makes, opcode fetches included, goes through `bus_read` /
`bus_write` (the interpreter writes their fast path out inline, below) with the T-cycle at which
its M-cycle starts (`synthic.gb.cpu_state`, slot T_CYCLES; +4 per M-cycle). That makes the bus
the single place where:

- the rest of the machine catches up lazily: the timer, the PPU or the APU is advanced to the
  access's T-cycle only when the CPU touches it (or when its next event falls due, below), so
  nothing does per-dot work;
- writes to the sound registers FF10-FF3F are recorded with their T-cycle;
- a trace of every access can be kept (the single-instruction test vectors compare it with the
  M-cycle list of each test, `tests/single_step.py`).

State: `Bus(mem, read_page, write_page, state, trace, apu, log_t, log_address, log_value,
serial_out)`, a namedtuple of numpy arrays (numba compiles attribute access on a namedtuple to
a field load, and caches functions taking one):

    mem         uint8[]      backing store. Its first 64 KiB is the address-space image: in FLAT
                             mode the whole memory (the test vectors' "flat 64 KiB, no I/O, no
                             cartridge"); in SYSTEM mode VRAM, WRAM, OAM, HRAM and the I/O
                             register latches at their own addresses. The ROM image and the
                             cartridge RAM follow the first 64 KiB (synthic.gb.mbc). IF (FF0F,
                             low 5 bits) and IE (FFFF) always live at mem[FF0F] and mem[FFFF]:
                             the CPU checks interrupts with two loads, and hardware raising one
                             ORs its bit into mem[FF0F].
    read_page   int64[512]   per 128-byte page (address >> 7): the offset such that the byte of
    write_page  int64[512]   `address` is mem[offset + address], or SPECIAL (-1): the access
                             goes through `read_slow` / `write_slow`. A mapper switching banks
                             rewrites its pages. SPECIAL: I/O (FF00-FF7F), ROM for writes
                             (mapper registers), cartridge RAM that is not plain, echo RAM, OAM,
                             and every page while tracing. 128-byte pages keep HRAM plain.
    state       int64[N]     the bus's and every device's slots (synthic.gb.slots): BUS_MODE
                             (FLAT or SYSTEM, plus the TRACE bit), NEXT_EVENT_T, the trace and
                             log counters, then timer, PPU, joypad, serial, DMA, cartridge.
    trace       int64[n, 4]  with TRACE: one row per access, (t_cycle, address, value, kind),
                             kind ACCESS_READ or ACCESS_WRITE.
    apu         ApuState     the sound chip (synthic.apu), synthesis off: FF10-FF3F reads and
                             writes go to it, so games observe the same model the renderer plays.
    log_t, log_address, log_value   int64[n], uint16[n], uint8[n]: the sound writes not yet
                             drained (slot LOG_LEN rows).
    serial_out  uint8[n]     bytes sent over the serial port not yet drained (slot SERIAL_LEN).

Why page tables: plain memory costs two loads and no mode test, and the interpreter (sm83.py)
can write that fast path out at each access site. A call per access would not do: a numba call
passing the Bus is not inlined by LLVM and passes the tuple flattened, ~160 machine words. So
`bus_read` and the generator's `read_lines` / `write_lines` must stay in step; everything else
is in the slow path.

Events: state[NEXT_EVENT_T] is no later than the earliest T-cycle at which some device must act
on its own (a timer reload, VBlank or a STAT source, the end of a serial transfer). The CPU
calls `service_events` at the first instruction boundary at or after it, and HALT/STOP/lock-up
skip time straight to it, so idle time is free. A hook that changes a device's schedule lowers
NEXT_EVENT_T. Between full boundaries the CPU tests only state[CHECK_T] (tools/gen_sm83_loop.py):
`read_slow` and `write_slow` set it to 0, so that the CPU looks at NEXT_EVENT_T and IF again
after any access that may have reached a device, and a write to the mapper's registers
(0000-7FFF) drops the CPU's code window (FETCH_END = 0): the mapper may switch the pages it was
fetching from. A hook that needs `run` to return (a full sound-write log or serial buffer) sets
EXIT_REQUEST and NEXT_EVENT_T = 0: `service_events` then returns STATUS_BUS_EXIT until Python
drains the buffers and clears the request. Reads and writes of IF first service the events due,
so the CPU never sees or overwrites a stale IF. In FLAT mode there are no events: NEXT_EVENT_T
stays at NO_EVENT.

The DMG memory map (SYSTEM mode; Pan Docs "Memory Map"):

    0000-7FFF  cartridge ROM  read pages point at the banks in mem; writes (SPECIAL) set the
                              mapper registers (synthic.gb.mbc)
    8000-9FFF  VRAM           mem (never blocked: see synthic.gb.ppu)
    A000-BFFF  cartridge RAM  mem after the ROM, or SPECIAL (disabled, MBC2 nibbles, MBC3 clock)
    C000-DFFF  WRAM           mem
    E000-FDFF  echo RAM       mem[address - 0x2000]
    FE00-FE9F  OAM            mem; reads FF and ignores writes during OAM DMA (synthic.gb.dma)
    FEA0-FEFF  unusable       reads 00 on DMG, writes ignored
    FF00-FF7F  I/O            joypad FF00, serial FF01-02, timer FF04-07, IF FF0F, APU FF10-FF3F
                              (each write recorded with its t_cycle), PPU FF40-FF4B, OAM DMA
                              FF46; the unused addresses read FF and ignore writes
    FF80-FFFE  HRAM           mem
    FFFF       IE             mem

Everything here is `@jit` (synthic.numba_cache: numba without reference counting) and returns
status codes instead of raising.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from synthic.apu import apu_div_reset, apu_new, apu_read, apu_write
from synthic.apu.state import ApuState
from synthic.gb import jit_cache
from synthic.gb.cpu_state import STATUS_BUS_EXIT, STATUS_OK
from synthic.gb.dma import dma_start
from synthic.gb.joypad import joypad_update, p1_read
from synthic.gb.mbc import cart_ram_read, cart_ram_write, mbc_write
from synthic.gb.ppu import ppu_catch_up, ppu_read, ppu_write
from synthic.gb.serial import serial_finish, serial_write_sc
from synthic.gb.slots import (
    BUS_MODE,
    BUTTONS,
    CHECK_T,
    DMA_END_T,
    EXIT_REQUEST,
    FETCH_BASE,
    FETCH_END,
    FETCH_START,
    HOST_WAKE,
    LCD_ON,
    LOG_LEN,
    LOG_TOTAL,
    N_STATE,
    NEXT_EVENT_T,
    NO_EVENT,
    PPU_EVENT_T,
    ROM0_OFFSET,
    ROMX_OFFSET,
    SERIAL_EVENT_T,
    TAC,
    TIMER_EVENT_T,
    TIMER_RELOAD_T,
    TRACE_DROPPED,
    TRACE_LEN,
)
from synthic.gb.timer import timer_catch_up, timer_read, timer_stop, timer_write
from synthic.numba_cache import jit

__all__ = [  # re-exported slots
    "CHECK_T",
    "FETCH_BASE",
    "FETCH_END",
    "FETCH_START",
    "NEXT_EVENT_T",
    "NO_EVENT",
    "TRACE_DROPPED",
    "TRACE_LEN",
]

Bus = namedtuple(
    "Bus",
    [
        "mem",
        "read_page",
        "write_page",
        "state",
        "trace",
        "apu",
        "log_t",
        "log_address",
        "log_value",
        "serial_out",
    ],
)

ADDRESS_SPACE = 0x10000
PAGE_SHIFT = 7  # 128-byte pages: page = address >> 7, so I/O (FF00-FF7F) and HRAM part
PAGES = ADDRESS_SPACE >> PAGE_SHIFT
SPECIAL = -1  # a page whose accesses take the slow path (I/O, mapper registers, tracing)
IF_ADDRESS = 0xFF0F  # interrupt flags (Pan Docs "Interrupts")
IE_ADDRESS = 0xFFFF  # interrupt enable
ALL_INTERRUPTS = 0x1F

# BUS_MODE values: FLAT or SYSTEM, optionally with the TRACE bit.
FLAT = 0
TRACE = 1
SYSTEM = 2

ACCESS_READ = 0
ACCESS_WRITE = 1

LOG_CAPACITY = 1 << 16  # sound writes held before `run` returns to let Python drain them
LOG_MARGIN = 8  # room kept for the writes of the instruction that fills the log
SERIAL_CAPACITY = 1 << 12


def _empty_apu() -> ApuState:
    """A placeholder ApuState with the real one's array types (FLAT mode never calls the APU;
    one Bus type for every mode means one compiled interpreter)."""
    return ApuState(
        i=np.zeros(1, np.int64),
        f=np.zeros(1, np.float64),
        tab=np.zeros(1, np.int32),
        kernel=np.zeros(1, np.float32),
        delta_l=np.zeros(1, np.float32),
        delta_r=np.zeros(1, np.float32),
        out=np.zeros((1, 2), np.float32),
    )


def _new_bus(mem_bytes: int, trace_capacity: int, apu: ApuState, log: int, serial: int) -> Bus:
    state = np.zeros(N_STATE, dtype=np.int64)
    for slot in (NEXT_EVENT_T, TIMER_EVENT_T, TIMER_RELOAD_T, PPU_EVENT_T, SERIAL_EVENT_T):
        state[slot] = NO_EVENT
    pages = np.zeros(PAGES, dtype=np.int64)  # every page at its own address: identity
    if trace_capacity > 0:
        state[BUS_MODE] = TRACE
        pages[:] = SPECIAL  # every access takes the slow path, which records it
    return Bus(
        mem=np.zeros(mem_bytes, dtype=np.uint8),
        read_page=pages,
        write_page=pages.copy(),
        state=state,
        trace=np.zeros((max(trace_capacity, 1), 4), dtype=np.int64),
        apu=apu,
        log_t=np.zeros(log, dtype=np.int64),
        log_address=np.zeros(log, dtype=np.uint16),
        log_value=np.zeros(log, dtype=np.uint8),
        serial_out=np.zeros(serial, dtype=np.uint8),
    )


def new_flat_bus(trace_capacity: int = 0) -> Bus:
    """A bus over a zeroed flat 64 KiB memory; with trace_capacity > 0, accesses are traced."""
    return _new_bus(ADDRESS_SPACE, trace_capacity, _empty_apu(), 1, 1)


def new_system_bus(
    mem_bytes: int = ADDRESS_SPACE,
    apu: ApuState | None = None,
    log_capacity: int = LOG_CAPACITY,
    serial_capacity: int = SERIAL_CAPACITY,
) -> Bus:
    """A bus with the DMG memory map (SYSTEM mode) and every device idle: no cartridge (ROM
    reads come from mem[0000-7FFF], writes are ignored), LCD and timer off. `synthic.gb.system`
    loads a cartridge and sets the post-boot state."""
    if apu is None:
        apu = apu_new(initial="boot", synthesize=False, out_capacity=1)
    bus = _new_bus(max(mem_bytes, ADDRESS_SPACE), 0, apu, log_capacity, serial_capacity)
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


@jit
def bus_read(bus, address, t_cycle):
    """The byte at address (0-FFFF), read in the M-cycle that starts at T-cycle t_cycle.

    Plain memory is one page-table load and one byte load; SPECIAL pages call `read_slow`.
    The interpreter (sm83.py) writes this fast path out at each of its accesses instead of
    calling this function (a call passing the Bus is not inlined by LLVM and costs reference
    counting); keep the two in step.
    """
    base = bus.read_page[address >> PAGE_SHIFT]
    if base >= 0:
        return np.int64(bus.mem[base + address])
    return read_slow(bus, address, t_cycle)


@jit
def bus_write(bus, address, value, t_cycle):
    """Write value (0-FF) to address in the M-cycle that starts at T-cycle t_cycle (written out
    in the interpreter like `bus_read`)."""
    base = bus.write_page[address >> PAGE_SHIFT]
    if base >= 0:
        bus.mem[base + address] = value
    else:
        write_slow(bus, address, value, t_cycle)


@jit
def read_slow(bus, address, t_cycle):
    """A read from a SPECIAL page: the memory map's devices, and the trace. The CPU checks
    its full instruction boundary after it (CHECK_T = 0: a device may have raised an interrupt
    or moved its next event).

    The memory map under it (`_system_read`, `_io_read`; `_system_write`, `_io_write` under
    `write_slow`) is inlined into it: a call that passes the Bus passes ~160 machine words
    (16 arrays of 7 words, the tuple flattened), and with three call levels an I/O read cost
    about 105 ns instead of 50."""
    bus.state[CHECK_T] = 0
    mode = bus.state[BUS_MODE]
    if mode & SYSTEM:
        value = _system_read(bus, address, t_cycle)
    else:
        value = np.int64(bus.mem[address])
    if mode & TRACE:
        _record(bus, t_cycle, address, value, np.int64(ACCESS_READ))
    return value


@jit
def read_quiet(st, mem, address, t_cycle):
    """The value of an I/O register read that changes nothing and raises nothing
    (`_io_read_quiet`), or -1 when `read_slow` must make it. LDH A,(n8) tries it first, so
    that a game polling LY or STAT for VBlank (as many do) neither passes the Bus to a call
    nor leaves the CPU's inner loop: bench_poll.gb about 3x faster. Not while tracing (the
    trace records every access)."""
    if st[BUS_MODE] != SYSTEM or address < 0xFF00 or address >= 0xFF80:
        return np.int64(-1)
    return _io_read_quiet(st, mem, address, t_cycle)


@jit
def write_slow(bus, address, value, t_cycle):
    """A write to a SPECIAL page: the memory map's devices, and the trace. Like `read_slow`,
    it sends the CPU to its full boundary; a write to the mapper's registers (0000-7FFF, the
    only writes that change the page tables) drops the CPU's code window too (FETCH_END = 0)."""
    bus.state[CHECK_T] = 0
    if address < 0x8000:
        bus.state[FETCH_END] = 0
    mode = bus.state[BUS_MODE]
    if mode & TRACE:
        _record(bus, t_cycle, address, value, np.int64(ACCESS_WRITE))
    if mode & SYSTEM:
        _system_write(bus, address, value, t_cycle)
    else:
        bus.mem[address] = value


@jit
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


@jit
def interrupts_pending(mem):
    """IE & IF: the interrupts requested and enabled (bit 0 VBlank ... bit 4 joypad)."""
    return np.int64(mem[IF_ADDRESS] & mem[IE_ADDRESS] & 0x1F)


@jit
def acknowledge_interrupt(mem, mask):
    """Clear the IF bit(s) in mask: the CPU is dispatching that interrupt."""
    mem[IF_ADDRESS] = mem[IF_ADDRESS] & (0xFF ^ mask)


@jit
def service_events(bus, t_cycle):
    """Bring every device whose event is due up to t_cycle (raising its interrupts), and set
    NEXT_EVENT_T to the next event. Returns STATUS_OK, or STATUS_BUS_EXIT while a log waits to
    be drained. Called by the CPU at instruction boundaries once t_cycle >= NEXT_EVENT_T."""
    st = bus.state
    if (st[BUS_MODE] & SYSTEM) == 0:
        st[NEXT_EVENT_T] = NO_EVENT
        return STATUS_OK
    mem = bus.mem
    if st[TIMER_EVENT_T] <= t_cycle:
        timer_catch_up(st, mem, t_cycle)
    if st[PPU_EVENT_T] <= t_cycle:
        ppu_catch_up(st, mem, t_cycle)
    if st[SERIAL_EVENT_T] <= t_cycle:
        serial_finish(st, mem, t_cycle)
    st[NEXT_EVENT_T] = min(st[TIMER_EVENT_T], st[PPU_EVENT_T], st[SERIAL_EVENT_T])
    if st[EXIT_REQUEST] != 0:
        st[NEXT_EVENT_T] = 0  # come back here at every boundary until drained
        return STATUS_BUS_EXIT
    return STATUS_OK


@jit
def halt_can_wake(bus):
    """Whether a halted CPU can ever wake: IE holds a source some device may still raise (the
    LCD's VBlank and STAT while it is on, the timer while it runs or reloads, a serial transfer
    under way) or one the host may raise (slot HOST_WAKE, the joypad). HALT with none of them
    is a lock-up, e.g. `di; halt` with IE = 0."""
    st = bus.state
    if (st[BUS_MODE] & SYSTEM) == 0:
        return True  # flat test memory: the test raises interrupts by hand
    sources = st[HOST_WAKE]
    if st[LCD_ON]:
        sources |= 0x03
    if (st[TAC] & 4) != 0 or st[TIMER_RELOAD_T] != NO_EVENT:
        sources |= 0x04
    if st[SERIAL_EVENT_T] != NO_EVENT:
        sources |= 0x08
    return (bus.mem[IE_ADDRESS] & sources) != 0


@jit
def enter_stop(bus, t_cycle):
    """STOP on DMG resets the system counter, DIV (Pan Docs "Using the STOP Instruction"),
    which the APU's frame sequencer hears too."""
    if bus.state[BUS_MODE] & SYSTEM:
        timer_stop(bus.state, bus.mem, t_cycle)
        apu_div_reset(bus.apu, t_cycle)


@jit(inline="always")  # one call level from the CPU (see read_slow)
def _system_read(bus, address, t_cycle):
    """SYSTEM mode read of a SPECIAL page (any page while tracing): the DMG memory map."""
    st = bus.state
    mem = bus.mem
    if address >= 0xFF00:
        if address < 0xFF80:
            return np.int64(_io_read(bus, address, t_cycle))
        return np.int64(mem[address])  # HRAM, IE
    if address < 0x4000:
        return np.int64(mem[st[ROM0_OFFSET] + address])
    if address < 0x8000:
        return np.int64(mem[st[ROMX_OFFSET] + address])
    if 0xA000 <= address < 0xC000:
        return np.int64(cart_ram_read(st, mem, address, t_cycle))
    if 0xE000 <= address < 0xFE00:
        return np.int64(mem[address - 0x2000])  # echo of C000-DDFF
    if 0xFE00 <= address < 0xFEA0:
        return np.int64(0xFF) if t_cycle < st[DMA_END_T] else np.int64(mem[address])
    if 0xFEA0 <= address < 0xFF00:
        return np.int64(0)  # unusable area: DMG reads 00
    return np.int64(mem[address])  # VRAM, WRAM (while tracing)


@jit(inline="always")  # one call level from the CPU (see read_slow)
def _system_write(bus, address, value, t_cycle):
    """SYSTEM mode write to a SPECIAL page (any page while tracing): the DMG memory map."""
    st = bus.state
    if address >= 0xFF00:
        if address < 0xFF80:
            _io_write(bus, address, value, t_cycle)
        else:
            bus.mem[address] = value  # HRAM, IE
    elif address < 0x8000:
        mbc_write(st, bus.read_page, bus.write_page, address, value, t_cycle)
    elif 0xA000 <= address < 0xC000:
        cart_ram_write(st, bus.mem, address, value, t_cycle)
    elif 0xE000 <= address < 0xFE00:
        bus.mem[address - 0x2000] = value
    elif 0xFE00 <= address < 0xFEA0:
        if t_cycle >= st[DMA_END_T]:
            bus.mem[address] = value
    elif address < 0xFE00:
        bus.mem[address] = value  # VRAM, WRAM (while tracing)


@jit(inline="always")
def _io_read_quiet(st, mem, address, t_cycle):
    """An I/O register (FF00-FF7F) whose read changes nothing and raises nothing, or -1: LY,
    STAT and the other PPU registers, DIV and P1 (computed from the T-cycle or held state), IF
    while no device is due to act. `_io_read` and `read_quiet` both start here."""
    if address >= 0xFF40:
        if address < 0xFF4C:
            return np.int64(ppu_read(st, mem, address, t_cycle))
        return np.int64(-1)
    if address == IF_ADDRESS:
        if t_cycle < st[NEXT_EVENT_T]:
            return np.int64(mem[IF_ADDRESS] | 0xE0)  # the 3 unused IF bits read 1
        return np.int64(-1)
    if address == 0xFF00:
        return np.int64(p1_read(st, mem))
    if address == 0xFF04:
        return np.int64(timer_read(st, mem, address, t_cycle))
    return np.int64(-1)


@jit(inline="always")  # one call level from the CPU (see read_slow)
def _io_read(bus, address, t_cycle):
    """I/O registers FF00-FF7F, each device caught up to t_cycle first."""
    st = bus.state
    mem = bus.mem
    value = _io_read_quiet(st, mem, address, t_cycle)
    if value >= 0:
        return value
    if address == IF_ADDRESS:  # a device is due to act: it may raise an interrupt first
        service_events(bus, t_cycle)
        return np.int64(mem[IF_ADDRESS] | 0xE0)
    if address >= 0xFF40:
        return np.int64(0xFF)
    if address >= 0xFF10:
        return np.int64(apu_read(bus.apu, t_cycle, address))
    if address >= 0xFF04:
        if address < 0xFF08:
            return np.int64(timer_read(st, mem, address, t_cycle))
        return np.int64(0xFF)
    if address == 0xFF01:
        serial_finish(st, mem, t_cycle)
        return np.int64(mem[address])
    if address == 0xFF02:
        serial_finish(st, mem, t_cycle)
        return np.int64(mem[address] | 0x7E)
    return np.int64(0xFF)


@jit(inline="always")  # one call level from the CPU (see read_slow)
def _io_write(bus, address, value, t_cycle):
    """I/O registers FF00-FF7F. Sound writes are recorded, then played to the APU."""
    st = bus.state
    mem = bus.mem
    if 0xFF10 <= address < 0xFF40:
        n = st[LOG_LEN]
        if n < bus.log_t.shape[0]:
            bus.log_t[n] = t_cycle
            bus.log_address[n] = address
            bus.log_value[n] = value
            st[LOG_LEN] = n + 1
            if n + 1 >= bus.log_t.shape[0] - LOG_MARGIN:
                st[EXIT_REQUEST] = 1
                st[NEXT_EVENT_T] = 0
        st[LOG_TOTAL] += 1
        apu_write(bus.apu, t_cycle, address, value)
    elif address == IF_ADDRESS:
        if t_cycle >= st[NEXT_EVENT_T]:
            service_events(bus, t_cycle)
        mem[IF_ADDRESS] = value & ALL_INTERRUPTS
    elif address >= 0xFF40:
        if address == 0xFF46:
            dma_start(st, mem, value, t_cycle)
        elif address < 0xFF4C:
            ppu_write(st, mem, address, value, t_cycle)
    elif 0xFF04 <= address < 0xFF08:
        timer_write(st, mem, address, value, t_cycle)
        if address == 0xFF04:
            apu_div_reset(bus.apu, t_cycle)  # the frame sequencer counts DIV's bit 4
    elif address == 0xFF00:
        joypad_update(st, mem, value, st[BUTTONS])
    elif address == 0xFF01:
        serial_finish(st, mem, t_cycle)
        mem[address] = value
    elif address == 0xFF02:
        serial_write_sc(st, mem, bus.serial_out, value, t_cycle)


jit_cache.flush_if_sources_changed(__name__)
