"""OAM DMA, FF46 (Pan Docs "OAM DMA Transfer").

Writing XX to FF46 copies the 160 bytes at XX00-XX9F to OAM (FE00-FE9F). The hardware copies
one byte per M-cycle, starting one M-cycle after the write, for 160 M-cycles; the PPU draws
nothing here and the copy's order cannot be observed except through OAM itself, so we copy at
once and keep OAM busy until the transfer would end (slot DMA_END_T): meanwhile OAM reads FF
and ignores writes. Sources E000-FFFF read from C000-DFFF (the DMG's DMA sees WRAM there).
The CPU's own bus conflicts during a transfer (only HRAM is safe to use) are not modelled:
games wait in HRAM.
"""

from __future__ import annotations

from synthic.gb import jit_cache
from synthic.gb.mbc import cart_ram_read
from synthic.gb.slots import DMA_END_T, ROM0_OFFSET, ROMX_OFFSET
from synthic.numba_cache import jit

DMA_ADDRESS = 0xFF46
OAM_START = 0xFE00
OAM_BYTES = 160
DMA_T = 4 + 4 * OAM_BYTES  # a start-up M-cycle, then one byte per M-cycle


@jit
def dma_source_byte(st, mem, address, t):
    """The byte DMA reads at address (0000-DFFF)."""
    if address < 0x4000:
        return mem[st[ROM0_OFFSET] + address]
    if address < 0x8000:
        return mem[st[ROMX_OFFSET] + address]
    if 0xA000 <= address < 0xC000:
        return cart_ram_read(st, mem, address, t)
    return mem[address]


@jit
def dma_start(st, mem, value, t):
    """FF46 written at T-cycle t."""
    mem[DMA_ADDRESS] = value
    source = value << 8
    if source >= 0xE000:
        source -= 0x2000
    for i in range(OAM_BYTES):
        mem[OAM_START + i] = dma_source_byte(st, mem, source + i, t)
    st[DMA_END_T] = t + DMA_T


jit_cache.flush_if_sources_changed(__name__)
