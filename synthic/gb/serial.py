"""The serial port, SB (FF01) and SC (FF02), with no link partner (Pan Docs "Serial Data
Transfer (Link Cable)").

Writing SC with bits 7 and 0 set starts a transfer on the internal clock: 8 bits at 8192 Hz,
shifted on the falling edges of system counter bit 8 (every 512 T-cycles), so the transfer ends
at the 8th such edge after the write. The byte in SB then is what the game sent: it goes to
`bus.serial_out` (drained by Python; a full buffer makes `run` return STATUS_BUS_EXIT), which is
how test programs report. With nobody at the other end the byte received is FF; at the end SB
reads FF, SC bit 7 clears and IF bit 3 is set (the serial event, slot SERIAL_EVENT_T). With the
external clock (bit 0 clear) a transfer waits for a partner that never comes. SC's unused bits
6-1 read 1.
"""

from __future__ import annotations

from synthic.gb import jit_cache
from synthic.gb.slots import (
    DIV_ORIGIN_T,
    EXIT_REQUEST,
    NEXT_EVENT_T,
    NO_EVENT,
    SERIAL_EVENT_T,
    SERIAL_LEN,
    SERIAL_TOTAL,
)
from synthic.numba_cache import jit

SB_ADDRESS = 0xFF01
SC_ADDRESS = 0xFF02
IF_ADDRESS = 0xFF0F
SERIAL_INTERRUPT = 0x08
BIT_T = 512  # T-cycles per bit at 8192 Hz: counter bit 8 falls once per 512


@jit
def serial_finish(st, mem, t):
    """End the transfer if it is due by T-cycle t."""
    if st[SERIAL_EVENT_T] <= t:
        st[SERIAL_EVENT_T] = NO_EVENT
        mem[SB_ADDRESS] = 0xFF
        mem[SC_ADDRESS] &= 0x7F
        mem[IF_ADDRESS] |= SERIAL_INTERRUPT


@jit
def serial_write_sc(st, mem, serial_out, value, t):
    """SC written at T-cycle t: maybe start (or stop) a transfer."""
    serial_finish(st, mem, t)
    mem[SC_ADDRESS] = value & 0x81
    if (value & 0x81) != 0x81:
        st[SERIAL_EVENT_T] = NO_EVENT  # stopped, or waiting for an external clock
        return
    if st[SERIAL_EVENT_T] != NO_EVENT:
        return  # already under way
    n = st[SERIAL_LEN]
    if n < serial_out.shape[0]:
        serial_out[n] = mem[SB_ADDRESS]
        st[SERIAL_LEN] = n + 1
        if n + 1 == serial_out.shape[0]:
            st[EXIT_REQUEST] = 1
            st[NEXT_EVENT_T] = 0
    st[SERIAL_TOTAL] += 1
    counter = t - st[DIV_ORIGIN_T]
    first_edge = t + BIT_T - (counter % BIT_T)
    end = first_edge + 7 * BIT_T
    st[SERIAL_EVENT_T] = end
    if end < st[NEXT_EVENT_T]:
        st[NEXT_EVENT_T] = end


jit_cache.flush_if_sources_changed(__name__)
