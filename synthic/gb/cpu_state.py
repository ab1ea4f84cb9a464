"""The SM83 CPU's state as one int64 array: where each register lives, and the run statuses.

Why an array: numba caches functions that take plain arrays (a jitclass argument defeats
`cache=True`), and the interpreter loop (`synthic.gb.sm83.run`) works on the registers in this
array directly (only PC and the T-cycle counter are copied to local variables), which is faster
than locals in its large loop (see tools/gen_sm83_loop.py).

Layout (index constants below; every slot is an int64, 8-bit registers hold 0-255):

    A F B C D E H L     the 8-bit registers; F keeps only its top nibble (Z N H C, Pan Docs
                        "CPU Registers and Flags"), the low nibble always reads 0
    SP PC               16-bit stack pointer and program counter
    IME                 interrupt master enable (Pan Docs "Interrupts")
    IME_DELAY           EI's delay: EI sets 2, the end of each instruction counts it down and
                        IME becomes 1 when it reaches 0, i.e. after the instruction that follows EI
    HALT_BUG            1 when HALT ran with IME=0 and an interrupt already pending: the next
                        opcode fetch does not advance PC (Pan Docs "halt bug"); inside `run`,
                        2 between that HALT and the end of its instruction
    MODE                RUNNING, HALTED, STOPPED or LOCKED (see below)
    STOP_SKIPS_BYTE     1 when STOP was the two-byte form (no interrupt pending, Pan Docs STOP
                        flowchart): whoever wakes the CPU from STOP (the joypad) skips one byte
    T_CYCLES            the master clock, in T-cycles (4,194,304 per second) since power-on;
                        it advances by 4 per M-cycle, and every bus access happens at the T-cycle
                        its M-cycle starts
    INSTRUCTIONS        instructions retired since power-on (interrupt dispatches not counted)

Modes: HALTED waits for IE & IF != 0; STOPPED waits for a joypad press (the host's, see
synthic.gb.emulator); LOCKED is the hang after an illegal opcode (D3 DB DD E3 E4 EB EC ED F4 FC
FD), which nothing but a reset ends. In every mode but RUNNING time still passes: `run` skips
ahead to the next hardware event or its T-cycle limit. A HALT that nothing can end (no enabled
interrupt that any device, or the host, could still raise: `di; halt` with IE = 0 is the
classic) makes `run` return STATUS_HALTED_FOREVER at once, with the CPU still halted.
"""

from __future__ import annotations

import numpy as np

# Register slots.
A, F, B, C, D, E, H, L = range(8)
SP = 8
PC = 9
IME = 10
IME_DELAY = 11
HALT_BUG = 12
MODE = 13
STOP_SKIPS_BYTE = 14
T_CYCLES = 15
INSTRUCTIONS = 16
N_SLOTS = 17

REGISTER_NAMES = ("a", "f", "b", "c", "d", "e", "h", "l", "sp", "pc")

# CPU modes (slot MODE).
RUNNING = 0
HALTED = 1
STOPPED = 2
LOCKED = 3

# What `run` returns: why it came back.
STATUS_OK = 0  # reached its T-cycle or instruction limit (the CPU may be halted)
STATUS_LOCKED = 1  # the CPU is locked up by an illegal opcode
STATUS_STOPPED = 2  # the CPU is in STOP mode
STATUS_BUS_EXIT = 3  # a bus hook asked to return early (e.g. a full recording buffer)
STATUS_HALTED_FOREVER = 4  # halted with no enabled interrupt that anything could raise

STATUS_NAMES = {
    STATUS_OK: "ok",
    STATUS_LOCKED: "locked",
    STATUS_STOPPED: "stopped",
    STATUS_BUS_EXIT: "bus exit",
    STATUS_HALTED_FOREVER: "halted forever",
}

ILLEGAL_OPCODES = (0xD3, 0xDB, 0xDD, 0xE3, 0xE4, 0xEB, 0xEC, 0xED, 0xF4, 0xFC, 0xFD)

# DMG registers after the boot ROM hands over at 0100 (Pan Docs "Power Up Sequence", DMG column).
POST_BOOT_DMG = {
    "a": 0x01,
    "f": 0xB0,
    "b": 0x00,
    "c": 0x13,
    "d": 0x00,
    "e": 0xD8,
    "h": 0x01,
    "l": 0x4D,
    "sp": 0xFFFE,
    "pc": 0x0100,
}


def new_cpu_state(**registers: int) -> np.ndarray:
    """A CPU state array in the DMG post-boot state; keyword arguments override registers."""
    cpu = np.zeros(N_SLOTS, dtype=np.int64)
    set_registers(cpu, **{**POST_BOOT_DMG, **registers})
    return cpu


def set_registers(cpu: np.ndarray, **registers: int) -> None:
    """Set registers by name (a f b c d e h l sp pc ime), checking their ranges."""
    for name, value in registers.items():
        if name == "ime":
            if value not in (0, 1):
                raise ValueError(f"ime must be 0 or 1, not {value}")
            cpu[IME] = value
            continue
        if name not in REGISTER_NAMES:
            raise ValueError(f"unknown register {name!r}")
        limit = 0xFFFF if name in ("sp", "pc") else 0xFF
        if not 0 <= value <= limit:
            raise ValueError(f"{name} out of range: {value}")
        if name == "f":
            value &= 0xF0  # the low nibble of F does not exist in hardware
        cpu[REGISTER_NAMES.index(name)] = value


def registers(cpu: np.ndarray) -> dict[str, int]:
    """The registers by name, plus ime, as Python ints."""
    out = {name: int(cpu[i]) for i, name in enumerate(REGISTER_NAMES)}
    out["ime"] = int(cpu[IME])
    return out
