"""Building small cartridge images for the emulator tests, and probing devices at exact times.

Programs are raw SM83 machine code (Pan Docs "CPU Instruction Set"), placed at 0x0150; the
entry point at 0x0100 jumps there.
"""

from __future__ import annotations

from synthic.gb.header import NINTENDO_LOGO, header_checksum

BANK = 0x4000
DI, EI, HALT, NOP, STOP, XOR_A, INC_A, RETI = 0xF3, 0xFB, 0x76, 0x00, 0x10, 0xAF, 0x3C, 0xD9
IDLE = bytes((DI, 0x18, 0xFE))  # di ; jr -2


def ld_a(n: int) -> bytes:
    return bytes((0x3E, n))


def ldh_store(register: int) -> bytes:
    """ldh (FF00 + register), a"""
    return bytes((0xE0, register & 0xFF))


def store(address: int) -> bytes:
    """ld (address), a"""
    return bytes((0xEA, address & 0xFF, address >> 8))


def poke(register: int, value: int) -> bytes:
    """ld a, value ; ldh (FF00 + register), a"""
    return ld_a(value) + ldh_store(register)


def make_rom(
    code: bytes = IDLE,
    *,
    cart_type: int = 0x00,
    size_code: int = 0x00,
    ram_code: int = 0x00,
    title: bytes = b"SYNTHIC TEST",
    extra: dict[int, bytes] | None = None,
    bank_signatures: bool = False,
) -> bytes:
    """A cartridge image of 32 KiB << size_code with `code` at 0x0150 and a valid header.
    extra: more bytes by image offset (interrupt vectors, other banks). bank_signatures: each
    bank n >= 1 starts with the bytes n & 0xFF, n >> 8."""
    banks = 2 << size_code
    image = bytearray(b"\xff" * (banks * BANK))
    if bank_signatures:
        for n in range(1, banks):
            image[n * BANK : n * BANK + 2] = bytes((n & 0xFF, n >> 8))
    image[0x100:0x104] = bytes((NOP, 0xC3, 0x50, 0x01))  # nop ; jp 0150
    image[0x104:0x134] = NINTENDO_LOGO
    image[0x134:0x150] = bytes(0x1C)
    image[0x134 : 0x134 + len(title)] = title
    image[0x147] = cart_type
    image[0x148] = size_code
    image[0x149] = ram_code
    image[0x150 : 0x150 + len(code)] = code
    for offset, data in (extra or {}).items():
        image[offset : offset + len(data)] = data
    image[0x14D] = header_checksum(image)
    return bytes(image)


def at(emu, t: int) -> int:
    """Move the emulator's clock forward to T-cycle t (its CPU idling meanwhile), so that
    reads and writes can be made at exact times; returns t."""
    from synthic.gb.cpu_state import T_CYCLES

    assert t >= emu.t_cycles, (t, emu.t_cycles)
    emu.cpu[T_CYCLES] = t
    return t


def read_at(emu, address: int, t: int) -> int:
    at(emu, t)
    return emu.read(address)


def write_at(emu, address: int, value: int, t: int) -> int:
    at(emu, t)
    emu.write(address, value)
    return t
