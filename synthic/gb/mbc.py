"""Memory bank controllers: the mapper registers at 0000-7FFF, cartridge RAM at A000-BFFF and
MBC3's clock (Pan Docs "MBCs", "MBC1", "MBC2", "MBC3", "MBC5").

The ROM image and the cartridge RAM live in `bus.mem` after the 64 KiB address-space image
(offsets in slots ROM_BASE, RAM_BASE). A bank switch recomputes where 0000-3FFF, 4000-7FFF and
A000-BFFF point (slots ROM0_OFFSET, ROMX_OFFSET, RAM_OFFSET) and rewrites those pages of the
bus's page tables, so that reads of ROM and of plain RAM stay on the fast path. Cartridge RAM
that is disabled, absent, MBC2's half-bytes or an MBC3 clock register is SPECIAL: its accesses
come here (`cart_ram_read`, `cart_ram_write`). Disabled or absent RAM reads FF and ignores
writes. Bank numbers wrap at the ROM's (or RAM's) size, a power of two.

- ROM only (00, 08, 09): banks 0 and 1; RAM, if any, always enabled.
- MBC1: 0000-1FFF RAM enable (low nibble A); 2000-3FFF ROM bank bits 0-4 (0 reads as 1);
  4000-5FFF two more bits: ROM bank bits 5-6 and/or the RAM bank; 6000-7FFF banking mode. In
  mode 1 the two bits also select the bank at 0000-3FFF (00, 20, 40, 60: large ROMs) and the
  RAM bank; in mode 0 both stay at bank 0.
- MBC2: 0000-3FFF, by address bit 8: 0 RAM enable, 1 ROM bank (4 bits, 0 reads as 1). Its RAM
  is 512 half-bytes at A000-A1FF, repeated up to BFFF; the upper nibble reads 1s.
- MBC3: 0000-1FFF RAM and clock enable; 2000-3FFF ROM bank (7 bits, 8 with 256 banks; 0 reads
  as 1); 4000-5FFF RAM bank 00-07 or clock register 08-0C (S M H DL DH); 6000-7FFF writing 00
  then 01 latches the clock into the registers that A000-BFFF reads.
- MBC5: 0000-1FFF RAM enable; 2000-2FFF ROM bank bits 0-7, 3000-3FFF bit 8 (bank 0 allowed);
  4000-5FFF RAM bank (4 bits; 3 with a rumble motor, whose bit 3 drives the motor).

The clock counts emulated time only (4,194,304 T-cycles a second), from 0 at power-on, so a
recording never depends on the wall clock. It counts seconds into S (0-59), M, H (0-23), a 9-bit
day counter with a sticky carry (DH bit 7) and stops while DH bit 6 is set. Writing S restarts
the current second. Registers written out of range count up to their bit width (S 63, H 31)
and wrap to 0 without a carry, as measured on hardware. Battery RAM is never loaded or saved.
"""

from __future__ import annotations

from synthic.events.registers import CLOCK_HZ  # T-cycles per second: the clock's second
from synthic.gb import jit_cache
from synthic.gb.slots import (
    BANK_HIGH,
    BANK_LOW,
    BANKING_MODE,
    BUS_MODE,
    MAPPER,
    RAM_BANK,
    RAM_BASE,
    RAM_BYTES,
    RAM_ENABLE,
    RAM_OFFSET,
    ROM0_OFFSET,
    ROM_BANKS,
    ROM_BASE,
    ROMX_OFFSET,
    RTC_CARRY,
    RTC_D,
    RTC_H,
    RTC_HALT,
    RTC_LATCH_WRITE,
    RTC_LATCHED,
    RTC_M,
    RTC_NOW_T,
    RTC_S,
    RTC_SUB_T,
    RUMBLE,
)
from synthic.numba_cache import jit

MAPPER_ROM = 0
MAPPER_MBC1 = 1
MAPPER_MBC2 = 2
MAPPER_MBC3 = 3
MAPPER_MBC5 = 5
MAPPERS = {"ROM": MAPPER_ROM, "MBC1": MAPPER_MBC1, "MBC2": MAPPER_MBC2, "MBC3": MAPPER_MBC3,
           "MBC5": MAPPER_MBC5}  # fmt: skip

ROM_BANK_BYTES = 0x4000
RAM_BANK_BYTES = 0x2000
RAM_START = 0xA000
PAGE_SHIFT = 7  # as synthic.gb.bus (128-byte pages)
TRACE = 1  # bus mode bit: every page SPECIAL, leave the page tables alone
SPECIAL = -1
MBC2_RAM_CELLS = 512
NOT_PLAIN = -1  # RAM_OFFSET when A000-BFFF is not plain RAM


@jit
def _rom_banks(st):
    """(bank at 0000-3FFF, bank at 4000-7FFF) for the mapper's registers."""
    mask = st[ROM_BANKS] - 1
    kind = st[MAPPER]
    if kind == MAPPER_MBC1:
        low = st[BANK_LOW] & 0x1F
        if low == 0:
            low = 1
        high = (st[BANK_HIGH] & 3) << 5
        bank0 = high & mask if st[BANKING_MODE] else 0
        return bank0, (high | low) & mask
    if kind == MAPPER_MBC2:
        low = st[BANK_LOW] & 0x0F
        return 0, (low if low else 1) & mask
    if kind == MAPPER_MBC3:
        low = st[BANK_LOW] & (0xFF if st[ROM_BANKS] > 128 else 0x7F)
        return 0, (low if low else 1) & mask
    if kind == MAPPER_MBC5:
        return 0, ((st[BANK_HIGH] << 8) | st[BANK_LOW]) & mask
    return 0, 1 & mask


@jit
def _ram_bank_offset(st):
    """Offset in mem of the RAM bank at A000 (RAM_BASE + bank * 8 KiB), or NOT_PLAIN."""
    kind = st[MAPPER]
    size = st[RAM_BYTES]
    if size == 0 or st[RAM_ENABLE] == 0 or kind == MAPPER_MBC2:
        return NOT_PLAIN
    bank = 0
    if kind == MAPPER_MBC1:
        bank = st[BANK_HIGH] & 3 if st[BANKING_MODE] else 0
    elif kind == MAPPER_MBC3:
        if st[RAM_BANK] >= 8:
            return NOT_PLAIN  # a clock register
        bank = st[RAM_BANK] & 7
    elif kind == MAPPER_MBC5:
        bank = st[RAM_BANK] & (7 if st[RUMBLE] else 0x0F)
    banks = max(size // RAM_BANK_BYTES, 1)
    return st[RAM_BASE] + (bank % banks) * RAM_BANK_BYTES


@jit
def map_rom(st, read_page):
    """Point 0000-7FFF at the selected banks (only the pages whose bank changed)."""
    bank0, bankx = _rom_banks(st)
    rom0 = st[ROM_BASE] + bank0 * ROM_BANK_BYTES
    romx = st[ROM_BASE] + bankx * ROM_BANK_BYTES - ROM_BANK_BYTES
    tracing = (st[BUS_MODE] & TRACE) != 0
    if rom0 != st[ROM0_OFFSET]:
        st[ROM0_OFFSET] = rom0
        if not tracing:
            read_page[0:128] = rom0
    if romx != st[ROMX_OFFSET]:
        st[ROMX_OFFSET] = romx
        if not tracing:
            read_page[128:256] = romx


@jit
def map_ram(st, read_page, write_page):
    """Point A000-BFFF at the selected RAM bank, or make it SPECIAL."""
    bank = _ram_bank_offset(st)
    st[RAM_OFFSET] = bank
    if (st[BUS_MODE] & TRACE) != 0:
        return
    size = min(st[RAM_BYTES], RAM_BANK_BYTES)
    first = RAM_START >> PAGE_SHIFT
    for page in range(RAM_BANK_BYTES >> PAGE_SHIFT):
        if bank == NOT_PLAIN:
            offset = SPECIAL
        else:  # RAM smaller than 8 KiB repeats
            offset = bank + ((page << PAGE_SHIFT) % size) - RAM_START - (page << PAGE_SHIFT)
        read_page[first + page] = offset
        write_page[first + page] = offset


@jit
def mbc_write(st, read_page, write_page, address, value, t):
    """A write to 0000-7FFF: a mapper register."""
    kind = st[MAPPER]
    if kind == MAPPER_ROM:
        return
    if kind == MAPPER_MBC2:
        if address < 0x4000:
            if address & 0x100:
                st[BANK_LOW] = value & 0x0F
                map_rom(st, read_page)
            else:
                st[RAM_ENABLE] = 1 if (value & 0x0F) == 0x0A else 0
        return
    if address < 0x2000:
        st[RAM_ENABLE] = 1 if (value & 0x0F) == 0x0A else 0
        map_ram(st, read_page, write_page)
    elif address < 0x4000:
        if kind == MAPPER_MBC1:
            st[BANK_LOW] = value & 0x1F
        elif kind == MAPPER_MBC5 and address >= 0x3000:
            st[BANK_HIGH] = value & 1
        else:
            st[BANK_LOW] = value
        map_rom(st, read_page)
    elif address < 0x6000:
        if kind == MAPPER_MBC1:
            st[BANK_HIGH] = value & 3
            map_rom(st, read_page)
        else:
            st[RAM_BANK] = value & 0x0F
        map_ram(st, read_page, write_page)
    elif kind == MAPPER_MBC1:
        st[BANKING_MODE] = value & 1
        map_rom(st, read_page)
        map_ram(st, read_page, write_page)
    elif kind == MAPPER_MBC3:
        if st[RTC_LATCH_WRITE] == 0 and value == 1:
            rtc_catch_up(st, t)
            st[RTC_LATCHED + 0] = st[RTC_S]
            st[RTC_LATCHED + 1] = st[RTC_M]
            st[RTC_LATCHED + 2] = st[RTC_H]
            st[RTC_LATCHED + 3] = st[RTC_D] & 0xFF
            st[RTC_LATCHED + 4] = (st[RTC_D] >> 8) | (st[RTC_HALT] << 6) | (st[RTC_CARRY] << 7)
        st[RTC_LATCH_WRITE] = value


@jit
def cart_ram_read(st, mem, address, t):
    """A read of A000-BFFF that is not plain RAM (or any, while tracing)."""
    kind = st[MAPPER]
    if st[RAM_ENABLE] == 0:
        return 0xFF
    if kind == MAPPER_MBC2:
        return 0xF0 | mem[st[RAM_BASE] + (address & (MBC2_RAM_CELLS - 1))]
    if kind == MAPPER_MBC3 and st[RAM_BANK] >= 8:
        register = st[RAM_BANK] - 8
        return st[RTC_LATCHED + register] if register < 5 else 0xFF
    bank = st[RAM_OFFSET]
    if bank == NOT_PLAIN:
        return 0xFF
    return mem[bank + (address - RAM_START) % min(st[RAM_BYTES], RAM_BANK_BYTES)]


@jit
def cart_ram_write(st, mem, address, value, t):
    """A write to A000-BFFF that is not plain RAM (or any, while tracing)."""
    kind = st[MAPPER]
    if st[RAM_ENABLE] == 0:
        return
    if kind == MAPPER_MBC2:
        mem[st[RAM_BASE] + (address & (MBC2_RAM_CELLS - 1))] = value & 0x0F
    elif kind == MAPPER_MBC3 and st[RAM_BANK] >= 8:
        rtc_write(st, st[RAM_BANK] - 8, value, t)
    elif st[RAM_OFFSET] != NOT_PLAIN:
        size = min(st[RAM_BYTES], RAM_BANK_BYTES)
        mem[st[RAM_OFFSET] + (address - RAM_START) % size] = value


# -- MBC3's clock -----------------------------------------------------------------------------


@jit
def _rtc_tick(st):
    """One second, register by register (also right for out-of-range values)."""
    st[RTC_S] = (st[RTC_S] + 1) & 63
    if st[RTC_S] != 60:
        return
    st[RTC_S] = 0
    st[RTC_M] = (st[RTC_M] + 1) & 63
    if st[RTC_M] != 60:
        return
    st[RTC_M] = 0
    st[RTC_H] = (st[RTC_H] + 1) & 31
    if st[RTC_H] != 24:
        return
    st[RTC_H] = 0
    st[RTC_D] += 1
    if st[RTC_D] == 512:
        st[RTC_D] = 0
        st[RTC_CARRY] = 1


@jit
def rtc_add_seconds(st, seconds):
    while seconds > 0 and (st[RTC_S] >= 60 or st[RTC_M] >= 60 or st[RTC_H] >= 24):
        _rtc_tick(st)
        seconds -= 1
    if seconds <= 0:
        return
    total = st[RTC_S] + 60 * (st[RTC_M] + 60 * (st[RTC_H] + 24 * st[RTC_D])) + seconds
    st[RTC_S] = total % 60
    total //= 60
    st[RTC_M] = total % 60
    total //= 60
    st[RTC_H] = total % 24
    days = total // 24
    if days >= 512:
        st[RTC_CARRY] = 1
    st[RTC_D] = days % 512


@jit
def rtc_catch_up(st, t):
    """Count the clock's seconds up to T-cycle t (none while halted)."""
    if st[RTC_HALT] == 0:
        elapsed = st[RTC_SUB_T] + t - st[RTC_NOW_T]
        seconds = elapsed // CLOCK_HZ
        st[RTC_SUB_T] = elapsed - seconds * CLOCK_HZ
        if seconds > 0:
            rtc_add_seconds(st, seconds)
    st[RTC_NOW_T] = t


@jit
def rtc_write(st, register, value, t):
    """Write clock register 0-4 (S M H DL DH) at T-cycle t."""
    rtc_catch_up(st, t)
    if register == 0:
        st[RTC_S] = value & 63
        st[RTC_SUB_T] = 0
    elif register == 1:
        st[RTC_M] = value & 63
    elif register == 2:
        st[RTC_H] = value & 31
    elif register == 3:
        st[RTC_D] = (st[RTC_D] & 0x100) | value
    elif register == 4:
        st[RTC_D] = (st[RTC_D] & 0xFF) | ((value & 1) << 8)
        st[RTC_HALT] = (value >> 6) & 1
        st[RTC_CARRY] = (value >> 7) & 1


jit_cache.flush_if_sources_changed(__name__)
