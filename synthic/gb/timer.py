"""The timer and divider, FF04-FF07 (Pan Docs "Timer and Divider Registers", "Timer Obscure
Behaviour"), computed lazily from the T-cycle: no per-cycle work.

The system counter is a 16-bit counter of T-cycles; DIV is its high byte. We keep the T-cycle at
which it was 0 (slot DIV_ORIGIN_T), so at T-cycle t it holds (t - DIV_ORIGIN_T) & 0xFFFF, and a
DIV write (any value) moves the origin to t. After boot the counter holds 0xABCC (DIV reads AB,
Pan Docs "Power Up Sequence"; the low byte as other emulators measured it).

TIMA counts the falling edges of one counter bit ANDed with TAC's enable bit 2: bit 9, 3, 5 or 7
for TAC clock 0-3, i.e. every 1024, 16, 64 or 256 T-cycles (4096, 262144, 65536, 16384 Hz).
Edges fall where the counter passes a multiple of the period, so TIMA's count over any span is
a division. Because it is an AND of the two, the edge detector also fires when a write makes
the signal fall: writing DIV while the selected bit is 1, or writing TAC so that the selected
bit goes from 1 to 0 or the timer is disabled while it is 1 (the DMG rule, Pan Docs).

Overflow: TIMA reads 00 for one M-cycle (cycle A), then TMA is copied into it and IF bit 2 is
set (cycle B, 4 T-cycles after the overflowing edge). Writing TIMA in cycle A cancels the
reload and the interrupt; writing TIMA in cycle B is ignored; writing TMA in cycle B also
loads TIMA. The reload is the timer's only event (slot TIMER_EVENT_T).

Convention: the timer's state at T-cycle t includes every edge at or before t; a CPU access in
the M-cycle that starts at t sees that state.
"""

from __future__ import annotations

from synthic.gb import jit_cache
from synthic.gb.slots import (
    DIV_ORIGIN_T,
    NEXT_EVENT_T,
    NO_EVENT,
    TAC,
    TIMA,
    TIMER_EVENT_T,
    TIMER_NOW_T,
    TIMER_RELOAD_T,
    TIMER_RELOADED_T,
    TMA,
)
from synthic.numba_cache import jit

IF_ADDRESS = 0xFF0F
TIMER_INTERRUPT = 0x04  # IF / IE bit 2
POST_BOOT_COUNTER = 0xABCC  # the system counter at PC = 0100 on a DMG
RELOAD_DELAY_T = 4  # one M-cycle between the overflow and the reload (cycle B)


@jit
def period_t(tac):
    """T-cycles between TIMA increments for TAC's clock select (bits 1-0): 1024 16 64 256."""
    select = tac & 3
    return 1024 if select == 0 else 4 << (2 * select)


@jit
def timer_signal(st, t):
    """The edge detector's input at t: TAC enable AND the selected system counter bit."""
    tac = st[TAC]
    if (tac & 4) == 0:
        return 0
    half = period_t(tac) >> 1
    return 1 if ((t - st[DIV_ORIGIN_T]) & half) != 0 else 0


@jit
def _tima_tick(st, t):
    """One increment of TIMA by an edge at t (a write's falling edge)."""
    if st[TIMA] == 0xFF:
        st[TIMA] = 0
        st[TIMER_RELOAD_T] = t + RELOAD_DELAY_T
    else:
        st[TIMA] += 1


@jit
def _schedule(st):
    """TIMER_EVENT_T: the next reload, pending or predicted; NEXT_EVENT_T no later than it."""
    event = st[TIMER_RELOAD_T]
    tac = st[TAC]
    if event == NO_EVENT and (tac & 4) != 0:
        p = period_t(tac)
        origin = st[DIV_ORIGIN_T]
        edges_done = (st[TIMER_NOW_T] - origin) // p
        event = origin + p * (edges_done + 256 - st[TIMA]) + RELOAD_DELAY_T
    st[TIMER_EVENT_T] = event
    if event < st[NEXT_EVENT_T]:
        st[NEXT_EVENT_T] = event


@jit
def timer_catch_up(st, mem, t):
    """Count TIMA's edges up to and including T-cycle t, doing reloads (and IF) on the way."""
    while True:
        reload_t = st[TIMER_RELOAD_T]
        if reload_t <= t:
            st[TIMA] = st[TMA]
            mem[IF_ADDRESS] |= TIMER_INTERRUPT
            st[TIMER_RELOADED_T] = reload_t
            st[TIMER_RELOAD_T] = NO_EVENT
            st[TIMER_NOW_T] = reload_t
        tac = st[TAC]
        if (tac & 4) == 0 or st[TIMER_RELOAD_T] != NO_EVENT:
            break
        now = st[TIMER_NOW_T]
        p = period_t(tac)
        origin = st[DIV_ORIGIN_T]
        done = (now - origin) // p
        edges = (t - origin) // p - done  # edges in (now, t]
        if edges <= 0:
            break
        tima = st[TIMA]
        if tima + edges <= 0xFF:
            st[TIMA] = tima + edges
            break
        overflow_t = origin + p * (done + 256 - tima)
        st[TIMA] = 0
        st[TIMER_RELOAD_T] = overflow_t + RELOAD_DELAY_T
        st[TIMER_NOW_T] = overflow_t
    if t > st[TIMER_NOW_T]:
        st[TIMER_NOW_T] = t  # (with a reload pending: no edge falls before it, periods >= 16)
    _schedule(st)


@jit
def timer_read(st, mem, address, t):
    """FF04-FF07 read at T-cycle t."""
    if address == 0xFF04:
        return ((t - st[DIV_ORIGIN_T]) >> 8) & 0xFF
    if address == 0xFF05:
        timer_catch_up(st, mem, t)
        return st[TIMA]
    if address == 0xFF06:
        return st[TMA]
    return 0xF8 | st[TAC]  # unused bits read 1


@jit
def timer_write(st, mem, address, value, t):
    """FF04-FF07 written at T-cycle t. (The caller tells the APU about DIV writes.)"""
    timer_catch_up(st, mem, t)
    if address == 0xFF04:  # any value resets the system counter
        if timer_signal(st, t):
            _tima_tick(st, t)
        st[DIV_ORIGIN_T] = t
    elif address == 0xFF05:
        if st[TIMER_RELOAD_T] == t + RELOAD_DELAY_T:  # cycle A: the overflow is cancelled
            st[TIMER_RELOAD_T] = NO_EVENT
            st[TIMA] = value
        elif st[TIMER_RELOADED_T] != t:  # cycle B: TMA wins
            st[TIMA] = value
    elif address == 0xFF06:
        st[TMA] = value
        if st[TIMER_RELOADED_T] == t:  # cycle B: the new TMA is loaded too
            st[TIMA] = value
    else:
        before = timer_signal(st, t)
        st[TAC] = value & 7
        if before and not timer_signal(st, t):
            _tima_tick(st, t)
    st[TIMER_NOW_T] = t
    _schedule(st)


@jit
def timer_stop(st, mem, t):
    """STOP resets the system counter (Pan Docs "Using the STOP Instruction")."""
    timer_write(st, mem, 0xFF04, 0, t)


jit_cache.flush_if_sources_changed(__name__)
