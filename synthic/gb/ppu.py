"""PPU timing without pixels: modes, LY, LYC, the STAT and VBlank interrupts, LCD on and off
(Pan Docs "Rendering", "LCD Status Registers", "Interrupt Sources", "LCDC"), all computed from
the T-cycle. Games cannot read pixels back, so none are drawn.

A frame is 154 lines of 456 dots (1 dot = 1 T-cycle on DMG): 70,224 T-cycles. With the LCD on,
the position in the frame at T-cycle t is (t - FRAME_ORIGIN_T) mod 70224; line = position // 456
and, on lines 0-143, mode 2 (OAM scan) for dots 0-79, mode 3 (drawing) for 172 dots, mode 0
(HBlank) from dot 252; lines 144-153 are mode 1 (VBlank). Mode 3 is the fixed minimum of 172
dots: the object and SCX penalties that lengthen it are not modelled. LY reads 153 only for the
first 4 dots of line 153 and 0 after (so LYC=0 matches from there). The first line after the LCD
is turned on has no OAM scan: it reads mode 0 for its first 80 dots.

Interrupts. VBlank (IF bit 0) is requested at line 144, dot 0. The STAT interrupt (IF bit 1) is
requested on a rising edge of the STAT line, the OR of the enabled sources (STAT bits 3-6: mode
0, mode 1, mode 2, LY=LYC), so a source that rises while another holds the line high requests
nothing ("STAT blocking"). The line can only rise where a source starts (a line's dot 0, dot
80, dot 252, line 144, LY changing) or on a CPU write (STAT, LYC, LCDC), so the PPU's event
(slot PPU_EVENT_T) is the next such dot for the enabled sources, and nothing runs in between.
Writing STAT on a DMG behaves for one cycle as if FF were written: it requests the STAT
interrupt if the line was low and any source is active (Pan Docs "Spurious STAT interrupts").

After boot (Pan Docs "Power Up Sequence": LCDC 91, STAT 85, LY 00) the PPU is on line 153, past
its first 4 dots: mode 1, LY 0 = LYC. We start it at dot POST_BOOT_DOT of line 153, our choice.

VRAM and OAM stay accessible in every mode (games only lose writes there, never sound).
"""

from __future__ import annotations

from synthic.events.registers import FRAME_T_CYCLES
from synthic.gb import jit_cache
from synthic.gb.slots import (
    FIRST_LINE_END_T,
    FRAME_ORIGIN_T,
    LCD_ON,
    NEXT_EVENT_T,
    NO_EVENT,
    PPU_EVENT_T,
)
from synthic.numba_cache import jit

IF_ADDRESS = 0xFF0F
LCDC_ADDRESS = 0xFF40
STAT_ADDRESS = 0xFF41
LY_ADDRESS = 0xFF44
LYC_ADDRESS = 0xFF45
VBLANK_INTERRUPT = 0x01
STAT_INTERRUPT = 0x02

LINE_T = 456  # dots per line
LINES = 154
FRAME_T = FRAME_T_CYCLES  # 70,224 T-cycles: LINES x LINE_T
VBLANK_LINE = 144
VBLANK_POSITION = VBLANK_LINE * LINE_T
OAM_SCAN_T = 80  # mode 2 dots
DRAWING_T = 172  # mode 3 dots (the minimum; fixed here)
HBLANK_DOT = OAM_SCAN_T + DRAWING_T  # 252: mode 0 starts
LINE_153_LY_T = 4  # LY reads 153 for these dots of line 153, then 0
LAST_LINE_POSITION = 153 * LINE_T
POST_BOOT_DOT = 100  # where line 153 is at PC = 0100 (LY 0, mode 1), our choice
STAT_SOURCES = 0x78  # STAT bits 3-6: mode 0, mode 1, mode 2, LY=LYC interrupt selects


@jit
def ly_and_mode(st, t):
    """(LY, mode) at T-cycle t; (0, 0) with the LCD off."""
    if st[LCD_ON] == 0:
        return 0, 0
    position = (t - st[FRAME_ORIGIN_T]) % FRAME_T
    line = position // LINE_T
    dot = position - line * LINE_T
    if line >= VBLANK_LINE:
        if line == 153 and dot >= LINE_153_LY_T:
            return 0, 1
        return line, 1
    if dot >= HBLANK_DOT:
        return line, 0
    if dot >= OAM_SCAN_T:
        return line, 3
    if t < st[FIRST_LINE_END_T]:
        return line, 0  # the first line after LCD on: no OAM scan
    return line, 2


@jit
def stat_line(st, t, sources, lyc):
    """The STAT interrupt line at T-cycle t for the enabled sources (STAT bits 3-6) and LYC."""
    if st[LCD_ON] == 0 or t < st[FIRST_LINE_END_T] - LINE_T:
        return 0  # the LCD is (or was, at t) off
    ly, mode = ly_and_mode(st, t)
    if (sources & 0x40) != 0 and ly == lyc:
        return 1
    if mode == 0:
        return 1 if (sources & 0x08) != 0 else 0
    if mode == 1:
        return 1 if (sources & 0x10) != 0 else 0
    if mode == 2:
        return 1 if (sources & 0x20) != 0 else 0
    return 0


@jit
def _after(candidate, position):
    """candidate (a frame position) moved to the next frame if it is not after position."""
    return candidate if candidate > position else candidate + FRAME_T


@jit
def next_ppu_event(st, mem, t):
    """The first T-cycle after t at which VBlank starts or an enabled STAT source may rise."""
    if st[LCD_ON] == 0:
        return NO_EVENT
    sources = mem[STAT_ADDRESS] & STAT_SOURCES
    position = (t - st[FRAME_ORIGIN_T]) % FRAME_T
    best = _after(VBLANK_POSITION, position)  # VBlank, and the mode 1 source
    line = position // LINE_T
    if (sources & 0x20) != 0:  # mode 2: dot 0 of lines 0-143
        start = (line + 1) * LINE_T if line + 1 < VBLANK_LINE else FRAME_T
        best = min(best, start)
    if (sources & 0x08) != 0:  # mode 0: dot 252 of lines 0-143
        if line < VBLANK_LINE and line * LINE_T + HBLANK_DOT > position:
            hblank = line * LINE_T + HBLANK_DOT
        elif line + 1 < VBLANK_LINE:
            hblank = (line + 1) * LINE_T + HBLANK_DOT
        else:
            hblank = FRAME_T + HBLANK_DOT  # line 0 of the next frame
        best = min(best, hblank)
    if (sources & 0x40) != 0:  # LY becomes LYC
        lyc = mem[LYC_ADDRESS]
        if lyc == 0:
            best = min(best, _after(LAST_LINE_POSITION + LINE_153_LY_T, position))
        elif lyc <= 153:
            best = min(best, _after(lyc * LINE_T, position))
    return t - position + best


@jit
def _schedule(st, mem, t):
    event = next_ppu_event(st, mem, t)
    st[PPU_EVENT_T] = event
    if event < st[NEXT_EVENT_T]:
        st[NEXT_EVENT_T] = event


@jit
def ppu_catch_up(st, mem, t):
    """Request the VBlank and STAT interrupts due at or before T-cycle t."""
    while st[PPU_EVENT_T] <= t:
        event_t = st[PPU_EVENT_T]
        if (event_t - st[FRAME_ORIGIN_T]) % FRAME_T == VBLANK_POSITION:
            mem[IF_ADDRESS] |= VBLANK_INTERRUPT
        sources = mem[STAT_ADDRESS] & STAT_SOURCES
        lyc = mem[LYC_ADDRESS]
        if stat_line(st, event_t, sources, lyc) and not stat_line(st, event_t - 1, sources, lyc):
            mem[IF_ADDRESS] |= STAT_INTERRUPT
        st[PPU_EVENT_T] = next_ppu_event(st, mem, event_t)
    if st[PPU_EVENT_T] < st[NEXT_EVENT_T]:
        st[NEXT_EVENT_T] = st[PPU_EVENT_T]


@jit
def ppu_read(st, mem, address, t):
    """LCDC-WX (FF40-FF4B) read at T-cycle t."""
    if address == LY_ADDRESS:
        ly, _ = ly_and_mode(st, t)
        return ly
    if address == STAT_ADDRESS:
        ly, mode = ly_and_mode(st, t)
        coincidence = 4 if ly == mem[LYC_ADDRESS] else 0
        return 0x80 | (mem[STAT_ADDRESS] & STAT_SOURCES) | coincidence | mode
    return mem[address]


@jit
def ppu_write(st, mem, address, value, t):
    """LCDC, STAT, LYC (and the plain latches SCY, SCX, BGP, OBP0, OBP1, WY, WX) at t."""
    if address == LY_ADDRESS:
        return  # read-only
    if address != LCDC_ADDRESS and address != STAT_ADDRESS and address != LYC_ADDRESS:
        mem[address] = value
        return
    ppu_catch_up(st, mem, t)
    sources = mem[STAT_ADDRESS] & STAT_SOURCES
    lyc = mem[LYC_ADDRESS]
    before = stat_line(st, t, sources, lyc)
    if address == LCDC_ADDRESS:
        mem[address] = value
        on = (value >> 7) & 1
        if on and st[LCD_ON] == 0:
            st[LCD_ON] = 1
            st[FRAME_ORIGIN_T] = t  # LY = 0, dot 0 (Pan Docs "LCDC.7")
            st[FIRST_LINE_END_T] = t + LINE_T
            before = 0
        elif not on:
            st[LCD_ON] = 0
    elif address == STAT_ADDRESS:
        if not before and stat_line(st, t, STAT_SOURCES, lyc):
            mem[IF_ADDRESS] |= STAT_INTERRUPT  # DMG: as if FF were written for one cycle
            before = 1
        mem[address] = value & STAT_SOURCES
    else:
        mem[address] = value
    if not before and stat_line(st, t, mem[STAT_ADDRESS] & STAT_SOURCES, mem[LYC_ADDRESS]):
        mem[IF_ADDRESS] |= STAT_INTERRUPT
    _schedule(st, mem, t)


jit_cache.flush_if_sources_changed(__name__)
