"""A whole DMG in its post-boot state: the CPU and a system bus with a cartridge plugged in.

`new_system(rom)` checks the cartridge header (`synthic.gb.header.parse_header`: unsupported
mappers and CGB-only games are refused with the reason), lays the ROM and the cartridge RAM out
in `bus.mem` after the 64 KiB address space, and sets every register as the DMG boot ROM leaves
it at PC = 0100 (Pan Docs "Power Up Sequence", DMG column), so no boot ROM is needed:

- CPU: AF=01B0 (F = 80 when the header checksum byte is 00: H and C clear), BC=0013, DE=00D8,
  HL=014D, SP=FFFE;
- P1=CF, SB=00, SC=7E, DIV=AB (system counter ABCC), TIMA=TMA=00, TAC=F8, IF=E1, LCDC=91,
  STAT=85 (line 153, LY=0, synthic.gb.ppu), SCY=SCX=LYC=00, DMA=FF, BGP=FC, OBP0=OBP1=FF,
  WY=WX=00, IE=00; the sound registers as `synthic.apu.apu_new(initial="boot")` sets them (CH1
  still on from the boot chime).

RAM (WRAM, HRAM, VRAM, OAM, cartridge RAM) is random on hardware; here it is zero, or filled from
a seed, so a run is reproducible. Battery-backed RAM is never read from or written to disk.
"""

from __future__ import annotations

import os

import numpy as np

from synthic.apu import apu_new
from synthic.gb.bus import ADDRESS_SPACE, LOG_CAPACITY, Bus, new_system_bus
from synthic.gb.cpu_state import F, new_cpu_state
from synthic.gb.header import BANK_BYTES, CartridgeHeader, parse_header
from synthic.gb.mbc import MAPPERS, map_ram, map_rom
from synthic.gb.ppu import LAST_LINE_POSITION, POST_BOOT_DOT
from synthic.gb.slots import (
    DIV_ORIGIN_T,
    FIRST_LINE_END_T,
    FRAME_ORIGIN_T,
    LCD_ON,
    MAPPER,
    NEXT_EVENT_T,
    PPU_EVENT_T,
    RAM_BASE,
    RAM_BYTES,
    RAM_ENABLE,
    ROM0_OFFSET,
    ROM_BANKS,
    ROM_BASE,
    ROMX_OFFSET,
    RUMBLE,
    TAC,
)
from synthic.gb.timer import POST_BOOT_COUNTER

# I/O registers after the boot ROM (Pan Docs "Power Up Sequence"), those kept as plain latches
# in mem; the timer, PPU timing and APU set theirs from their own state. P1 stores only its
# select bits and SC its writable bits (synthic.gb.joypad, synthic.gb.serial).
POST_BOOT_IO = {
    0xFF00: 0x00,  # P1 reads CF: both rows selected, nothing pressed
    0xFF01: 0x00,  # SB
    0xFF02: 0x00,  # SC reads 7E
    0xFF0F: 0x01,  # IF reads E1: the VBlank request the boot ROM left
    0xFF40: 0x91,  # LCDC
    0xFF41: 0x00,  # STAT sources (reads 85: mode 1, LY = LYC)
    0xFF42: 0x00,  # SCY
    0xFF43: 0x00,  # SCX
    0xFF45: 0x00,  # LYC
    0xFF46: 0xFF,  # DMA
    0xFF47: 0xFC,  # BGP
    0xFF48: 0xFF,  # OBP0
    0xFF49: 0xFF,  # OBP1
    0xFF4A: 0x00,  # WY
    0xFF4B: 0x00,  # WX
    0xFFFF: 0x00,  # IE
}
NO_FIRST_LINE = -(1 << 40)  # FIRST_LINE_END_T when the LCD was never turned on by the game
RAM_REGIONS = ((0x8000, 0xA000), (0xC000, 0xE000), (0xFE00, 0xFEA0), (0xFF80, 0xFFFF))


def new_system(
    rom: bytes,
    *,
    seed: int | None = None,
    path: str | os.PathLike | None = None,
    log_capacity: int = LOG_CAPACITY,
) -> tuple[np.ndarray, Bus, CartridgeHeader]:
    """(cpu, bus, header) for a cartridge image, in the DMG post-boot state.

    Raises `synthic.errors.FormatError` (naming path and the offending header byte) for a ROM
    this emulator cannot run. seed: fill RAM with bytes from this seed instead of zeros.
    log_capacity: sound writes held before `run` returns to have them drained.
    """
    header = parse_header(rom, path)
    banks = header.rom_banks
    ram_bytes = header.ram_bytes
    rom_base = ADDRESS_SPACE
    ram_base = rom_base + banks * BANK_BYTES
    apu = apu_new(initial="boot", synthesize=False, out_capacity=1,
                  div_counter_at_t0=POST_BOOT_COUNTER)  # fmt: skip
    bus = new_system_bus(ram_base + ram_bytes, apu=apu, log_capacity=max(log_capacity, 16))
    mem = bus.mem
    mem[rom_base : rom_base + banks * BANK_BYTES] = np.frombuffer(
        rom[: banks * BANK_BYTES], dtype=np.uint8
    )
    if seed is not None:
        rng = np.random.default_rng(seed)
        for first, end in RAM_REGIONS:
            mem[first:end] = rng.integers(0, 256, end - first, dtype=np.uint8)
        mem[ram_base : ram_base + ram_bytes] = rng.integers(0, 256, ram_bytes, dtype=np.uint8)
    for address, value in POST_BOOT_IO.items():
        mem[address] = value
    st = bus.state
    st[MAPPER] = MAPPERS[header.mapper]
    st[ROM_BANKS] = banks
    st[ROM_BASE] = rom_base
    st[RAM_BASE] = ram_base
    st[RAM_BYTES] = ram_bytes
    st[RAM_ENABLE] = 1 if header.mapper == "ROM" else 0
    st[RUMBLE] = 1 if header.cart_type in (0x1C, 0x1D, 0x1E) else 0
    st[ROM0_OFFSET] = st[ROMX_OFFSET] = -2  # force the first mapping
    map_rom(st, bus.read_page)
    map_ram(st, bus.read_page, bus.write_page)
    st[DIV_ORIGIN_T] = -POST_BOOT_COUNTER
    st[TAC] = 0
    st[LCD_ON] = 1
    st[FRAME_ORIGIN_T] = -(LAST_LINE_POSITION + POST_BOOT_DOT)
    st[FIRST_LINE_END_T] = NO_FIRST_LINE
    st[PPU_EVENT_T] = 0  # the first instruction boundary schedules the PPU's events
    st[NEXT_EVENT_T] = 0
    cpu = new_cpu_state()
    if rom[0x14D] == 0:
        cpu[F] = 0x80  # F: Z set, H and C clear (Pan Docs "Power Up Sequence", footnote)
    return cpu, bus, header
