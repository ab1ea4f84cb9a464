"""Slots of `bus.state`, the int64 array that holds the bus's and every device's state.

One array for the whole machine keeps the Bus one namedtuple of a few arrays (numba caches
functions taking it) and lets Python read or set any device's state with an index. Times are
absolute T-cycles (4,194,304 per second since power-on), like the CPU's T_CYCLES; "NO_EVENT"
(bus.NO_EVENT) means never. Each device's module documents its slots' meaning in detail.
"""

from __future__ import annotations

NO_EVENT = 1 << 62  # "never": later than any T-cycle a session reaches (35,000 years)

# -- the bus ---------------------------------------------------------------------------------
BUS_MODE = 0  # FLAT or SYSTEM, plus the TRACE bit (synthic.gb.bus)
NEXT_EVENT_T = 1  # earliest T-cycle some device must act; <= every *_EVENT_T below
TRACE_LEN = 2  # rows used in bus.trace
TRACE_DROPPED = 3  # accesses not traced because bus.trace was full
EXIT_REQUEST = 4  # 1: `run` must return STATUS_BUS_EXIT (a log to drain); Python clears it
WAKE_SOURCES = 5  # IE bits that some device could still raise (HALT lock-up test, below)
HOST_WAKE = 6  # IE bits the host may raise (the joypad when a button script has presses left)
CHECK_T = 7  # the CPU runs instructions without the full boundary check until this T-cycle
# (tools/gen_sm83_loop.py); every slow access sets it to 0
FETCH_START = 12  # the CPU's code window: opcode fetches at FETCH_START <= PC < FETCH_END read
FETCH_END = 13  # mem[FETCH_BASE + PC] directly; a mapper write (0000-7FFF) sets it to 0
FETCH_BASE = 14

# -- the recording of sound writes (synthic.gb.bus: every CPU write to FF10-FF3F) -----------
LOG_LEN = 8  # writes in bus.log_t / log_address / log_value not yet drained by Python
LOG_TOTAL = 9  # writes recorded since power-on
SERIAL_LEN = 10  # bytes in bus.serial_out not yet drained
SERIAL_TOTAL = 11  # bytes sent since power-on

# -- timer and divider (synthic.gb.timer) -----------------------------------------------------
DIV_ORIGIN_T = 16  # a T-cycle at which the 16-bit system counter was 0 (DIV writes move it)
TIMER_NOW_T = 17  # TIMA has counted every edge up to and including this T-cycle
TIMA = 18
TMA = 19
TAC = 20  # low 3 bits
TIMER_RELOAD_T = 21  # TIMA overflowed: TMA is copied and IF bit 2 set at this T-cycle
TIMER_RELOADED_T = 22  # the last reload's T-cycle (writes during that M-cycle: Pan Docs)
TIMER_EVENT_T = 23  # next reload (the timer's only event), or NO_EVENT

# -- PPU timing (synthic.gb.ppu) --------------------------------------------------------------
LCD_ON = 24  # LCDC bit 7
FRAME_ORIGIN_T = 25  # T-cycle of some frame's line 0, dot 0 (while the LCD is on)
FIRST_LINE_END_T = 26  # end of the first line after the LCD was turned on (no mode 2 on it)
PPU_EVENT_T = 27  # next dot at which VBlank or an enabled STAT source may rise
LYC_FLAG_OFF = 28  # STAT bit 2 kept while the LCD is off

# -- joypad (synthic.gb.joypad) ---------------------------------------------------------------
BUTTONS = 32  # pressed buttons: bit 0-3 Right Left Up Down, bit 4-7 A B Select Start

# -- serial (synthic.gb.serial) ---------------------------------------------------------------
SERIAL_EVENT_T = 36  # end of the transfer under way (internal clock), or NO_EVENT

# -- OAM DMA (synthic.gb.dma) -----------------------------------------------------------------
DMA_END_T = 40  # OAM is busy (reads FF, writes ignored) before this T-cycle

# -- cartridge (synthic.gb.mbc) ---------------------------------------------------------------
MAPPER = 48  # MAPPER_* in synthic.gb.mbc
ROM_BANKS = 49  # 16 KiB banks (a power of two)
ROM_BASE = 50  # offset of ROM bank 0 in bus.mem
RAM_BASE = 51  # offset of cartridge RAM in bus.mem
RAM_BYTES = 52  # cartridge RAM size (MBC2: 512 half-bytes, one per byte)
ROM0_OFFSET = 53  # the byte at address a in 0000-3FFF is mem[ROM0_OFFSET + a]
ROMX_OFFSET = 54  # ... in 4000-7FFF: mem[ROMX_OFFSET + a]
RAM_OFFSET = 55  # ... in A000-BFFF: mem[RAM_OFFSET + a], or -1: not plain RAM (see mbc)
RAM_ENABLE = 56  # 0/1 (always 1 for a ROM-only cartridge with RAM)
BANK_LOW = 57  # MBC1 2000-3FFF (5 bits), MBC2 (4 bits), MBC3 (7 bits), MBC5 2000-2FFF (8)
BANK_HIGH = 58  # MBC1 4000-5FFF (2 bits), MBC5 3000-3FFF (bit 8 of the ROM bank)
RAM_BANK = 59  # MBC3 4000-5FFF (00-07 RAM, 08-0C clock register), MBC5 4000-5FFF
BANKING_MODE = 60  # MBC1 6000-7FFF bit 0
RUMBLE = 61  # 1: MBC5 with a rumble motor (RAM bank bit 3 drives it instead)

# -- MBC3 real-time clock (synthic.gb.mbc; counts emulated T-cycles, never wall time) --------
RTC_NOW_T = 64  # the clock has counted up to this T-cycle
RTC_SUB_T = 65  # T-cycles into the current second (0 .. 4,194,303)
RTC_S = 66
RTC_M = 67
RTC_H = 68
RTC_D = 69  # day counter, 9 bits
RTC_HALT = 70  # DH bit 6
RTC_CARRY = 71  # DH bit 7: the day counter overflowed
RTC_LATCH_WRITE = 72  # last byte written to 6000-7FFF (00 then 01 latches)
RTC_LATCHED = 73  # [5] latched S M H DL DH

N_STATE = 80
