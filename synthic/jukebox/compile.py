"""The song compiler: a `Song` (synthic.jukebox.song) -> the driver's song bytes, and back.

The format is the driver's (synthic/jukebox/driver/layout.inc): a 20-byte header, the
instrument table, the song's wave tables, its text (title, author, source), then one command
stream per channel. Notes become NOTE commands with a sticky length (LEN only when it changes);
gaps become REST (pulse and wave: the DAC goes off) or WAIT (noise: a drum rings out); notes
longer than 255 ticks continue with WAITs; INST and ARP are written when they change; tempo
changes become TEMPO commands in CH1's stream at their tick. Each stream ends with END after
its last note, so the song ends when its longest channel does.

`compile_song(song, address)` lays the song out for CPU address `address` (0x4000-0x7FFF, in
the bank where it will be mapped); the size does not depend on the address.
`decode_song(data, address)` reads the bytes back into per-channel events (for tests and
statistics).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from synthic.events.registers import FRAME_HZ
from synthic.jukebox.song import FIRST_PULSE_MIDI, FIRST_WAVE_MIDI, NOTE_COUNT, Song

# Commands (layout.inc).
CMD_REST, CMD_WAIT, CMD_LEN, CMD_INST, CMD_ARP, CMD_TEMPO, CMD_JUMP, CMD_END = range(0x60, 0x68)
HEADER_SIZE = 20
BANK_WINDOW = (0x4000, 0x8000)
MAX_LEN = 255
NOISE = 3
WAVE = 2


class CompileError(ValueError):
    """The song cannot be expressed in the driver's format."""


def tempo_value(bpm: float, ticks_per_quarter: int) -> int:
    """The driver's tempo word for `bpm` quarter notes per minute: ticks per frame x 65536."""
    ticks_per_second = bpm / 60.0 * ticks_per_quarter
    value = round(ticks_per_second / FRAME_HZ * 65536)
    if not 1 <= value <= 0xFFFF:
        raise CompileError(
            f"tempo {bpm:.1f} bpm at {ticks_per_quarter} ticks per quarter is "
            f"{ticks_per_second:.1f} ticks/s; the driver plays at most {FRAME_HZ:.2f}"
        )
    return value


def tempo_ticks_per_second(value: int) -> float:
    """The inverse of `tempo_value`: the ticks per second the driver plays for a tempo word."""
    return value / 65536 * FRAME_HZ


def note_byte(channel: int, pitch: int) -> int:
    """The NOTE command byte of MIDI `pitch` on `channel` (0-2), or of drum `pitch` on CH4."""
    if channel == NOISE:
        n = pitch
    else:
        n = pitch - (FIRST_WAVE_MIDI if channel == WAVE else FIRST_PULSE_MIDI)
    if not 0 <= n < NOTE_COUNT:
        raise CompileError(f"CH{channel + 1}: note {pitch} outside the driver's table")
    return n


def _stream(song: Song, channel: int) -> bytes:
    """One channel's command stream."""
    notes = song.channels[channel]
    tempo_at = {t: bpm for t, bpm in song.tempo[1:]} if channel == 0 else {}
    out = bytearray()
    state = {"len": None, "inst": None, "arp": 0}

    def timed(command: int, ticks: int, start: int) -> None:
        """Emit `command` lasting `ticks` from tick `start`: split at MAX_LEN and at tempo
        changes (a note goes on as WAITs), with TEMPO where a change falls."""
        while ticks > 0:
            if start in tempo_at:
                out.append(CMD_TEMPO)
                out.extend(struct.pack("<H", tempo_value(tempo_at[start], song.ticks_per_quarter)))
            cut = [t - start for t in tempo_at if start < t < start + ticks]
            span = min([ticks, MAX_LEN, *cut])
            if span != state["len"]:
                out.extend((CMD_LEN, span))
                state["len"] = span
            out.append(command)
            if command < NOTE_COUNT:
                command = CMD_WAIT
            ticks -= span
            start += span

    gap = CMD_WAIT if channel == NOISE else CMD_REST
    pos = 0
    for note in notes:
        if note.start > pos:
            timed(gap, note.start - pos, pos)
        if note.instrument != state["inst"]:
            out += bytes((CMD_INST, note.instrument))
            state["inst"] = note.instrument
        arp = note.arp[0] << 4 | note.arp[1]
        if arp != state["arp"]:
            out += bytes((CMD_ARP, arp))
            state["arp"] = arp
        top = note_byte(channel, note.pitch) + max(note.arp) if channel != NOISE else 0
        if top >= NOTE_COUNT:
            raise CompileError(f"CH{channel + 1}: arpeggio above the driver's table")
        timed(note_byte(channel, note.pitch), note.length, note.start)
        pos = note.end
    if channel == 0 and any(t >= pos for t in tempo_at):
        timed(CMD_WAIT, max(t for t in tempo_at) + 1 - pos, pos)
    out.append(CMD_END)
    return bytes(out)


def _text(song: Song) -> bytes:
    parts = []
    for s in (song.title, song.author, song.source):
        b = s.encode("ascii", errors="replace").replace(b"\0", b" ")[:64]
        parts.append(b + b"\0")
    return b"".join(parts)


def compile_song(song: Song, address: int = 0x4000) -> bytes:
    """The song's bytes, laid out to be read at CPU `address` (see the module docstring)."""
    song.check()
    if not song.instruments:
        raise CompileError(f"{song.title}: no instruments")
    if len(song.instruments) > 256 or len(song.waves) > 16:
        raise CompileError(f"{song.title}: at most 256 instruments and 16 wave tables")
    if any(len(w) != 16 for w in song.waves):
        raise CompileError(f"{song.title}: a wave table is 16 bytes")
    streams = [_stream(song, ch) if song.channels[ch] or ch == 0 else b"" for ch in range(4)]
    instruments = b"".join(i.to_bytes() for i in song.instruments)
    waves = b"".join(song.waves)
    text = _text(song)
    offset = HEADER_SIZE
    inst_addr = address + offset
    offset += len(instruments)
    wave_addr = address + offset if waves else 0
    offset += len(waves)
    text_addr = address + offset
    offset += len(text)
    stream_addrs = []
    for s in streams:
        stream_addrs.append(address + offset if s else 0)
        offset += len(s)
    end = address + offset
    if address < BANK_WINDOW[0] or end > BANK_WINDOW[1]:
        raise CompileError(
            f"{song.title}: {offset} bytes at 0x{address:04x} do not fit in one 16 KiB bank"
        )
    header = struct.pack(
        "<HBB4HHHHH",
        tempo_value(song.tempo[0][1], song.ticks_per_quarter),
        song.nr50,
        song.nr51,
        *stream_addrs,
        inst_addr,
        wave_addr,
        text_addr,
        min(song.length, 0xFFFF),
    )
    data = header + instruments + waves + text + b"".join(streams)
    assert len(data) == offset
    return data


# --------------------------------------------------------------------------------------------
# Decoding


@dataclass(frozen=True)
class Event:
    """One timed command of a decoded stream: `kind` is "note", "rest" or "wait"."""

    tick: int
    length: int
    kind: str
    value: int = 0  # note byte for notes
    instrument: int = 0
    arp: int = 0


@dataclass
class DecodedSong:
    tempo: list[tuple[int, int]]  # (tick, tempo word)
    nr50: int
    nr51: int
    instruments: list[bytes]
    text: list[str]
    length: int
    channels: list[list[Event]]

    def seconds(self) -> float:
        end = max((e.tick + e.length for ch in self.channels for e in ch), default=0)
        total, prev_t, prev_v = 0.0, 0, self.tempo[0][1]
        for t, v in self.tempo[1:]:
            total += (t - prev_t) / tempo_ticks_per_second(prev_v)
            prev_t, prev_v = t, v
        return total + (end - prev_t) / tempo_ticks_per_second(prev_v)


def decode_song(data: bytes, address: int = 0x4000, *, max_events: int = 1_000_000) -> DecodedSong:
    """Read compiled song bytes (laid out for `address`) back into events. Streams with JUMP
    are followed until they loop once."""

    def at(addr: int) -> int:
        i = addr - address
        if not 0 <= i < len(data):
            raise CompileError(f"pointer 0x{addr:04x} outside the song")
        return data[i]

    tempo0, nr50, nr51, *ptrs = struct.unpack_from("<HBB4HHHHH", data, 0)
    ch_ptrs, inst_ptr, _wave_ptr, text_ptr, length = ptrs[:4], ptrs[4], ptrs[5], ptrs[6], ptrs[7]
    text = data[text_ptr - address :].split(b"\0")[:3]
    tempo = [(0, tempo0)]
    channels, n_inst = [], 0
    for ptr in ch_ptrs:
        events: list[Event] = []
        if ptr:
            tick, length_ticks, inst, arp, seen = 0, 1, 0, 0, set()
            while len(events) < max_events:
                cmd = at(ptr)
                ptr += 1
                if cmd < NOTE_COUNT or cmd in (CMD_REST, CMD_WAIT):
                    kind = "note" if cmd < NOTE_COUNT else ("rest" if cmd == CMD_REST else "wait")
                    events.append(Event(tick, length_ticks, kind, cmd, inst, arp))
                    tick += length_ticks
                elif cmd == CMD_LEN:
                    length_ticks = at(ptr)
                    ptr += 1
                elif cmd == CMD_INST:
                    inst = at(ptr)
                    n_inst = max(n_inst, inst + 1)
                    ptr += 1
                elif cmd == CMD_ARP:
                    arp = at(ptr)
                    ptr += 1
                elif cmd == CMD_TEMPO:
                    tempo.append((tick, at(ptr) | at(ptr + 1) << 8))
                    ptr += 2
                elif cmd == CMD_JUMP:
                    target = at(ptr) | at(ptr + 1) << 8
                    if target in seen:
                        break
                    seen.add(target)
                    ptr = target
                else:
                    break
        channels.append(events)
    instruments = [
        data[inst_ptr - address + 4 * i : inst_ptr - address + 4 * i + 4] for i in range(n_inst)
    ]
    tempo.sort()
    return DecodedSong(
        tempo=tempo,
        nr50=nr50,
        nr51=nr51,
        instruments=instruments,
        text=[t.decode("ascii", errors="replace") for t in text],
        length=length,
        channels=channels,
    )
