"""Any recording as a playable ROM: the register-stream player plus the writes in MBC5 banks.

Bank 0 is the committed image `driver/stream.gb` (source `driver/stream.s`); this module lays
the recording's writes from bank 1 on in the player's record format (see stream.s): a header
("SYNS", version, TAC, TMA, total ticks), then one record per tick: the writes of that tick,
or a wait of up to 127 ticks; 0x80 continues in the next bank; 0x00 ends.

The tick: the timer interrupt, TAC clock x (256 - TMA) T-cycles. The default, 4,096 T-cycles
(TAC 0x04: 1,024 T-cycles a count; TMA 0xFC: 4 counts), is 1,024 ticks a second, about 1 ms.
A write at T-cycle t is played on tick round(t / tick); at most `MAX_WRITES_PER_TICK` writes
share a tick (about 44 T-cycles each, so a tick's writes take under 1,500 T-cycles), the rest
go on the following ticks, in order. `quantise` gives exactly the (tick, register, value) list
the ROM plays, which is what recording the ROM gives back (its first tick at the first timer
interrupt). The player writes nothing of its own: the APU is on after boot, as the recording
expects when it does not switch it on itself.
"""

from __future__ import annotations

import struct

import numpy as np

from synthic.errors import SynthicError
from synthic.events.recording import Recording
from synthic.gb.header import BANK_BYTES as BANK_SIZE
from synthic.gb.header import fix_checksums, rom_size_code
from synthic.jukebox.images import STREAM_IMAGE

MAGIC = b"SYNS"
VERSION = 1
HEADER_SIZE = 16
DEFAULT_TICK_CYCLES = 4096
MAX_WRITES_PER_TICK = 32
MAX_WAIT = 127
NEXT_BANK, END = 0x80, 0x00
MAX_BANKS = 512
MBC5 = 0x19
TIMER_CLOCKS = {0: 1024, 1: 16, 2: 64, 3: 256}  # TAC bits 1-0 -> T-cycles per TIMA count


def timer_setting(tick_cycles: int) -> tuple[int, int]:
    """(TAC, TMA) giving a timer interrupt every `tick_cycles` T-cycles."""
    for tac, clock in sorted(TIMER_CLOCKS.items(), key=lambda kv: -kv[1]):
        counts, rest = divmod(tick_cycles, clock)
        if rest == 0 and 1 <= counts <= 256:
            return 0x04 | tac, (256 - counts) & 0xFF
    raise SynthicError(
        f"tick of {tick_cycles} T-cycles: the timer makes 16 to 262,144 in steps of its clock "
        "(16, 64, 256 or 1,024 T-cycles)"
    )


def quantise(recording: Recording, tick_cycles: int = DEFAULT_TICK_CYCLES):
    """The (tick, address, value) writes the ROM plays for `recording` (module docstring)."""
    timer_setting(tick_cycles)
    ticks = np.floor(recording.t_cycles / tick_cycles + 0.5).astype(np.int64)
    out = []
    tick, used = -1, 0
    for t, a, v in zip(
        ticks.tolist(), recording.address.tolist(), recording.value.tolist(), strict=True
    ):
        if t > tick:
            tick, used = t, 0
        elif used == MAX_WRITES_PER_TICK:
            tick, used = tick + 1, 0
        out.append((tick, a, v))
        used += 1
    return out


def total_ticks(recording: Recording, tick_cycles: int = DEFAULT_TICK_CYCLES) -> int:
    writes = quantise(recording, tick_cycles)
    last = writes[-1][0] + 1 if writes else 0
    return max(last, -(-recording.length_cycles // tick_cycles))


def _records(writes, total: int) -> list[bytes]:
    out = []
    tick, i = 0, 0
    while tick < total:
        group = []
        while i < len(writes) and writes[i][0] == tick:
            group.append(writes[i])
            i += 1
        if group:
            out.append(bytes([len(group)]) + b"".join(bytes((a & 0xFF, v)) for _, a, v in group))
            tick += 1
            continue
        next_tick = writes[i][0] if i < len(writes) else total
        span = min(MAX_WAIT, next_tick - tick)
        out.append(bytes([0x80 | span]))
        tick += span
    return out


def export_rom(
    recording: Recording, *, tick_cycles: int = DEFAULT_TICK_CYCLES, title: str | None = None
) -> bytes:
    """A ROM image that plays `recording` (see the module docstring)."""
    tac, tma = timer_setting(tick_cycles)
    bad = (recording.address < 0xFF10) | (recording.address > 0xFF3F)
    if bad.any():
        raise SynthicError(f"write to 0x{int(recording.address[bad][0]):04x}: not a sound register")
    writes = quantise(recording, tick_cycles)
    total = total_ticks(recording, tick_cycles)
    try:
        image = bytearray(STREAM_IMAGE.read_bytes()[:BANK_SIZE])
    except OSError as e:
        raise SynthicError(f"the stream player image is missing: {STREAM_IMAGE} ({e})") from e
    header = MAGIC + bytes((VERSION, tac, tma, 0)) + struct.pack("<I", total) + bytes(4)
    banks = [bytearray(header)]
    for record in _records(writes, total) + [bytes([END])]:
        if len(banks[-1]) + len(record) + 1 > BANK_SIZE:  # keep a byte for NEXT_BANK
            banks[-1].append(NEXT_BANK)
            banks.append(bytearray())
        banks[-1] += record
    if len(banks) + 1 > MAX_BANKS:
        raise SynthicError(
            f"{len(writes)} writes need {len(banks) + 1} banks; MBC5 has at most {MAX_BANKS}"
        )
    rom_banks = 2
    while rom_banks < len(banks) + 1:
        rom_banks *= 2
    for bank in banks:
        image += bank + b"\xff" * (BANK_SIZE - len(bank))
    image += b"\xff" * (BANK_SIZE * rom_banks - len(image))
    name = title if title is not None else str(recording.meta.get("title") or "SYNTHIC SONG")
    encoded = bytes(c if 0x20 <= c < 0x7F else 0x3F for c in name.encode("ascii", "replace"))
    image[0x134:0x143] = encoded[:15].upper().ljust(15, b"\0")
    image[0x147] = MBC5
    image[0x148] = rom_size_code(rom_banks)
    image[0x149] = 0
    fix_checksums(image)
    return bytes(image)


def read_stream(image: bytes) -> tuple[int, list[tuple[int, int, int]], int]:
    """Decode a stream ROM: (tick in T-cycles, [(tick, address, value)], ticks played)."""
    head = image[BANK_SIZE : BANK_SIZE + HEADER_SIZE]
    if head[:4] != MAGIC:
        raise SynthicError("not a Synthic stream ROM: no SYNS header in bank 1")
    tac, tma = head[5], head[6]
    tick_cycles = TIMER_CLOCKS[tac & 3] * (256 - tma if tma else 256)
    bank, pos, tick, out = 1, HEADER_SIZE, 0, []
    while True:
        byte = image[bank * BANK_SIZE + pos]
        pos += 1
        if byte == END:
            return tick_cycles, out, tick
        if byte == NEXT_BANK:
            bank, pos = bank + 1, 0
        elif byte > NEXT_BANK:
            tick += byte & 0x7F
        else:
            for k in range(byte):
                a, v = image[bank * BANK_SIZE + pos + 2 * k : bank * BANK_SIZE + pos + 2 * k + 2]
                out.append((tick, 0xFF00 | a, v))
            pos += 2 * byte
            tick += 1
