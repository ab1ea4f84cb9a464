"""The sound registers FF10-FF3F: names, channels and bit fields (Pan Docs, "Audio Registers").

One table describes every register a recording can hold. The semantic view
(`synthic.events.semantic`), the text formats and `synthic info` all read it, so a register's
meaning is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIRST_ADDRESS = 0xFF10
LAST_ADDRESS = 0xFF3F
N_ADDRESSES = LAST_ADDRESS - FIRST_ADDRESS + 1  # 48
WAVE_RAM_START = 0xFF30

# The DMG's clock and video frame, defined here once for the whole package (Pan Docs, "Timing"
# and "Rendering"); every other module imports them from this file.
CLOCK_HZ = 4_194_304  # T-cycles per second (DMG master clock)
FRAME_T_CYCLES = 70_224  # 154 lines x 456 dots
FRAME_HZ = CLOCK_HZ / FRAME_T_CYCLES  # 59.7275 frames (VBlanks) per second

# Channel numbers used everywhere: 1-4 are the sound channels, 0 is the global control
# (NR50-NR52 and the unused registers FF27-FF2F).
CHANNEL_NAMES = {0: "MIX", 1: "CH1", 2: "CH2", 3: "CH3", 4: "CH4"}


@dataclass(frozen=True)
class Field:
    name: str
    shift: int
    width: int

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.shift


@dataclass(frozen=True)
class Register:
    """One register: its hardware name, its channel, the instruction it carries, its fields."""

    address: int
    name: str
    channel: int
    kind: str  # semantic instruction, e.g. "FREQ_HI"; "RAW" for unused registers
    fields: tuple[Field, ...]
    read_mask: int  # bits that read back as 1 whatever was written (Pan Docs)

    @property
    def used_mask(self) -> int:
        m = 0
        for f in self.fields:
            m |= f.mask
        return m

    @property
    def unused_mask(self) -> int:
        """Bits the hardware ignores on write; kept in recordings so the data stays lossless."""
        return 0xFF & ~self.used_mask


def _f(name: str, shift: int, width: int) -> Field:
    return Field(name, shift, width)


_SWEEP = (_f("period", 4, 3), _f("negate", 3, 1), _f("shift", 0, 3))
_DUTY_LENGTH = (_f("duty", 6, 2), _f("length", 0, 6))
_ENVELOPE = (_f("volume", 4, 4), _f("increase", 3, 1), _f("period", 0, 3))
_FREQ_LO = (_f("value", 0, 8),)
_FREQ_HI = (_f("freq", 0, 3), _f("length_enable", 6, 1), _f("trigger", 7, 1))
_RAW = (_f("value", 0, 8),)
_NOISE = (_f("shift", 4, 4), _f("width7", 3, 1), _f("divisor", 0, 3))


def _table() -> dict[int, Register]:
    rows = [
        # address, name, channel, kind, fields, read mask
        (0xFF10, "NR10", 1, "SWEEP", _SWEEP, 0x80),
        (0xFF11, "NR11", 1, "DUTY_LENGTH", _DUTY_LENGTH, 0x3F),
        (0xFF12, "NR12", 1, "ENVELOPE", _ENVELOPE, 0x00),
        (0xFF13, "NR13", 1, "FREQ_LO", _FREQ_LO, 0xFF),
        (0xFF14, "NR14", 1, "FREQ_HI", _FREQ_HI, 0xBF),
        (0xFF15, "NR20", 2, "RAW", _RAW, 0xFF),
        (0xFF16, "NR21", 2, "DUTY_LENGTH", _DUTY_LENGTH, 0x3F),
        (0xFF17, "NR22", 2, "ENVELOPE", _ENVELOPE, 0x00),
        (0xFF18, "NR23", 2, "FREQ_LO", _FREQ_LO, 0xFF),
        (0xFF19, "NR24", 2, "FREQ_HI", _FREQ_HI, 0xBF),
        (0xFF1A, "NR30", 3, "DAC", (_f("on", 7, 1),), 0x7F),
        (0xFF1B, "NR31", 3, "LENGTH", (_f("length", 0, 8),), 0xFF),
        (0xFF1C, "NR32", 3, "LEVEL", (_f("level", 5, 2),), 0x9F),
        (0xFF1D, "NR33", 3, "FREQ_LO", _FREQ_LO, 0xFF),
        (0xFF1E, "NR34", 3, "FREQ_HI", _FREQ_HI, 0xBF),
        (0xFF1F, "NR40", 4, "RAW", _RAW, 0xFF),
        (0xFF20, "NR41", 4, "LENGTH", (_f("length", 0, 6),), 0xFF),
        (0xFF21, "NR42", 4, "ENVELOPE", _ENVELOPE, 0x00),
        (0xFF22, "NR43", 4, "NOISE", _NOISE, 0x00),
        (0xFF23, "NR44", 4, "CONTROL", (_f("length_enable", 6, 1), _f("trigger", 7, 1)), 0xBF),
        (0xFF24, "NR50", 0, "VOLUME",
         (_f("left", 4, 3), _f("right", 0, 3), _f("vin_left", 7, 1), _f("vin_right", 3, 1)), 0x00),
        (0xFF25, "NR51", 0, "PAN", (_f("left", 4, 4), _f("right", 0, 4)), 0x00),
        (0xFF26, "NR52", 0, "POWER", (_f("on", 7, 1),), 0x70),
    ]  # fmt: skip
    table = {}
    for address, name, channel, kind, fields, read_mask in rows:
        table[address] = Register(address, name, channel, kind, fields, read_mask)
    for address in range(0xFF27, 0xFF30):
        table[address] = Register(address, f"FF{address & 0xFF:02X}", 0, "RAW", _RAW, 0xFF)
    for i in range(16):
        address = WAVE_RAM_START + i
        table[address] = Register(address, f"WAVE{i:X}", 3, "WAVE_RAM", _RAW, 0x00)
    return table


REGISTERS: dict[int, Register] = _table()
BY_NAME: dict[str, Register] = {r.name: r for r in REGISTERS.values()}

# Vectorised lookups indexed by (address - 0xFF10).
CHANNEL_OF = np.array(
    [REGISTERS[a].channel for a in range(FIRST_ADDRESS, LAST_ADDRESS + 1)], np.int8
)
READ_MASK = np.array(
    [REGISTERS[a].read_mask for a in range(FIRST_ADDRESS, LAST_ADDRESS + 1)], np.uint8
)


def register(address: int) -> Register:
    try:
        return REGISTERS[address]
    except KeyError:
        raise ValueError(f"0x{address:04X} is not a sound register (FF10-FF3F)") from None


def channel_of(address: np.ndarray) -> np.ndarray:
    """Channel (0 = global, 1-4) of each address in an array of addresses FF10-FF3F."""
    return CHANNEL_OF[np.asarray(address, np.int64) - FIRST_ADDRESS]
