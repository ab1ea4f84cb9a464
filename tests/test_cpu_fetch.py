"""The interpreter's fast paths against the cases that must leave them: its code window after a
bank switch and at the window's edges, and the full instruction boundary after a plain write to
IE (tools/gen_sm83_loop.py)."""

from __future__ import annotations

import pytest

from tests.gb_helpers import BANK, DI, EI, IDLE, NOP, ld_a, ldh_store, make_rom

MBC1, SIZE_64K = 0x01, 0x01


def jp(address: int) -> bytes:
    return bytes((0xC3, address & 0xFF, address >> 8))


@pytest.fixture(scope="module")
def Emulator():
    from synthic.gb import Emulator

    return Emulator


def test_a_bank_switch_under_the_running_code_fetches_from_the_new_bank(Emulator):
    """Code at 4000 in bank 1 selects bank 2: the next opcode comes from bank 2 at 4005."""
    switch = ld_a(2) + bytes((0xEA, 0x00, 0x20))  # ld a,2 ; ld (2000),a
    rom = make_rom(
        jp(0x4000),
        cart_type=MBC1,
        size_code=SIZE_64K,
        extra={
            BANK: switch + ld_a(0x11) + ldh_store(0x80) + IDLE,
            2 * BANK + len(switch): ld_a(0x22) + ldh_store(0x80) + IDLE,
        },
    )
    emu = Emulator(rom)
    emu.run(frames=1)
    assert emu.read(0xFF80) == 0x22


def test_an_instruction_across_the_rom0_romx_edge(Emulator):
    """ld hl,nn at 3FFE: its high byte is the first byte of the switchable bank (bank 3 here),
    fetched through the page table, not from ROM0's window."""
    rom = make_rom(
        ld_a(3) + bytes((0xEA, 0x00, 0x20)) + jp(0x3FFE),  # select bank 3, jump to 3FFE
        cart_type=MBC1,
        size_code=SIZE_64K,
        extra={
            0x3FFE: bytes((0x21, 0x34)),  # ld hl, 0x??34
            3 * BANK: bytes((0x56, 0x7C)) + ldh_store(0x80) + IDLE,  # 0x56 ; ld a,h ; ldh
        },
    )
    emu = Emulator(rom)
    emu.run(frames=1)
    assert emu.read(0xFF80) == 0x56


def test_enabling_ie_with_a_plain_write_dispatches_at_the_next_boundary(Emulator):
    """IF has the timer bit, IME is on; `ld (hl),4` to FFFF (a plain page) must be followed by
    the dispatch to 0050, before the next instruction runs."""
    code = bytes((DI,)) + ld_a(0x04) + ldh_store(0x0F) + bytes((EI, NOP))
    code += bytes((0x21, 0xFF, 0xFF, 0x36, 0x04))  # ld hl,FFFF ; ld (hl),4
    code += ld_a(0x11) + ldh_store(0x81) + IDLE  # must not run before the handler
    handler = bytes((0xF0, 0x81)) + ldh_store(0x82) + ld_a(0x33) + ldh_store(0x83) + IDLE
    emu = Emulator(make_rom(code, extra={0x50: handler}))
    emu.run(frames=1)
    assert emu.read(0xFF83) == 0x33  # the handler ran
    assert emu.read(0xFF82) == 0x00  # before `ld a,0x11 ; ldh (81),a`
    assert emu.read(0xFF81) == 0x00
