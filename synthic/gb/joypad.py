"""The joypad, P1/JOYP at FF00 (Pan Docs "Joypad Input", "Interrupt Sources").

The eight buttons form a 2 x 4 matrix. The game writes bits 5-4 to select the rows (0 selects):
bit 4 the d-pad (Right Left Up Down on bits 0-3), bit 5 the buttons (A B Select Start); a pressed
key of a selected row pulls its line (bits 3-0) low. Bits 7-6 read 1 and bits 5-4 read back as
written. The joypad interrupt (IF bit 4) is requested when a line goes from high to low, from a
press or from a write that selects a row with a key held. Buttons change only from the host
(slot BUTTONS: bit 0-3 Right Left Up Down, bit 4-7 A B Select Start, set = pressed).
"""

from __future__ import annotations

from synthic.gb import jit_cache
from synthic.gb.slots import BUTTONS
from synthic.numba_cache import jit

P1_ADDRESS = 0xFF00
IF_ADDRESS = 0xFF0F
JOYPAD_INTERRUPT = 0x10
# Button names and their bits in slot BUTTONS.
BUTTON_BITS = {
    "right": 0x01,
    "left": 0x02,
    "up": 0x04,
    "down": 0x08,
    "a": 0x10,
    "b": 0x20,
    "select": 0x40,
    "start": 0x80,
}


@jit
def p1_lines(st, mem):
    """The four input lines (bits 3-0, 1 = high) for the selected rows and held keys."""
    select = mem[P1_ADDRESS]
    pressed = st[BUTTONS]
    lines = 0x0F
    if (select & 0x10) == 0:
        lines &= ~pressed & 0x0F
    if (select & 0x20) == 0:
        lines &= ~(pressed >> 4) & 0x0F
    return lines


@jit
def p1_read(st, mem):
    return 0xC0 | (mem[P1_ADDRESS] & 0x30) | p1_lines(st, mem)


@jit
def joypad_update(st, mem, select, pressed):
    """Set the select bits and the held buttons; request the interrupt if a line fell.
    Returns 1 if a line fell (a press also wakes the CPU from STOP)."""
    before = p1_lines(st, mem)
    mem[P1_ADDRESS] = select & 0x30
    st[BUTTONS] = pressed & 0xFF
    fell = before & ~p1_lines(st, mem)
    if fell != 0:
        mem[IF_ADDRESS] |= JOYPAD_INTERRUPT
        return 1
    return 0


jit_cache.flush_if_sources_changed(__name__)
