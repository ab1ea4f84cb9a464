"""The semantic view: register writes decoded into per-channel instructions, and back.

A write of 0x87 to NR14 becomes `Instruction(t, channel=1, kind="FREQ_HI",
params={"freq": 7, "length_enable": 0, "trigger": 1})`. Bits the hardware ignores are kept in
`unused` so that `encode(decode(w)) == w` for every write: the view is lossless.

Kinds (see `registers.py` for the bit fields): SWEEP, DUTY_LENGTH, ENVELOPE, FREQ_LO, FREQ_HI
(CH1/CH2/CH3), DAC, LENGTH, LEVEL, WAVE_RAM (CH3), LENGTH, ENVELOPE, NOISE, CONTROL (CH4),
VOLUME, PAN, POWER (global, channel 0) and RAW for the unused registers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from synthic.events.recording import Recording
from synthic.events.registers import REGISTERS, WAVE_RAM_START, register


@dataclass(frozen=True)
class Instruction:
    t_cycles: int
    channel: int  # 0 = global control, 1-4 = sound channels
    kind: str
    params: dict[str, int] = field(default_factory=dict)
    unused: int = 0  # bits of the written byte that the hardware ignores
    address: int = 0  # the register written (kept so RAW and WAVE_RAM are unambiguous)


def decode_write(t_cycles: int, address: int, value: int) -> Instruction:
    reg = register(address)
    params = {f.name: (value >> f.shift) & ((1 << f.width) - 1) for f in reg.fields}
    if reg.kind == "WAVE_RAM":
        params = {"index": address - WAVE_RAM_START, "value": value}
    return Instruction(t_cycles, reg.channel, reg.kind, params, value & reg.unused_mask, address)


def encode(ins: Instruction) -> tuple[int, int, int]:
    """The (t_cycles, address, value) write an instruction stands for."""
    address = ins.address
    if ins.kind == "WAVE_RAM":
        address = WAVE_RAM_START + ins.params["index"]
        return ins.t_cycles, address, ins.params["value"]
    reg = REGISTERS[address]
    if reg.kind != ins.kind:
        raise ValueError(f"{reg.name} carries {reg.kind}, not {ins.kind}")
    value = 0
    for f in reg.fields:
        x = ins.params[f.name]
        if not 0 <= x < (1 << f.width):
            raise ValueError(f"{reg.name} {f.name}={x} does not fit in {f.width} bits")
        value |= x << f.shift
    if ins.unused & ~reg.unused_mask:
        raise ValueError(f"{reg.name}: unused bits {ins.unused:#04x} overlap its fields")
    return ins.t_cycles, address, value | ins.unused


def decode(recording: Recording) -> Iterator[Instruction]:
    for t, a, v in recording:
        yield decode_write(t, a, v)


def encode_all(instructions: Iterable[Instruction], **kwargs) -> Recording:
    return Recording.from_writes((encode(i) for i in instructions), **kwargs)
