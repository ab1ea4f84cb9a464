"""A model of the jukebox driver in Python: the register writes it makes, frame by frame.

It follows driver/jukebox.s step for step for the music (no buttons, no sound effects), so it
predicts every write a jukebox ROM makes while it plays: the start-up writes, then on every
frame the song's ticks and effects. It reads the driver's own tables (drum kit, wave tables,
periods) from the committed image, so the two cannot drift apart. Uses: corpus statistics
(writes per second per channel) without an emulator, and the exact expectation for recording
a jukebox ROM (tests compare it with PyBoy and with Synthic's emulator).

`driver_writes(image, song_index, frames)` -> list of (frame, address, value), frame 0 being
the frame on which the song starts (the power-on and song-start writes come first, at frame
0 too). Frames are counted from the first VBlank after start-up.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from synthic.jukebox import build
from synthic.jukebox.compile import CMD_END, CMD_REST, CMD_WAIT
from synthic.jukebox.song import NOTE_COUNT

KIT_ADDR, WAVES_ADDR, PERIODS_ADDR = 0x3D00, 0x3D40, 0x3DC0
REG_BASES = (0x11, 0x16, 0x1B, 0x20)  # NRx1 of CH1-CH4
NR10, NR30, NR50, NR51, NR52 = 0xFF10, 0xFF1A, 0xFF24, 0xFF25, 0xFF26
GAP_FRAMES = 60


@dataclass
class _Channel:
    ptr: int
    active: bool
    wait: int = 1
    length: int = 1
    note: int = 0
    sounding: bool = False
    arp: int = 0
    arppos: int = 0
    vibt: int = 0
    vibpos: int = 0
    vibcnt: int = 0
    drumt: int = 0
    drum2: int = 0
    inst: bytes = b"\0\0\0\0"


@dataclass
class DriverModel:
    """The driver playing one song of a jukebox ROM image."""

    image: bytes
    song_index: int = 0
    writes: list[tuple[int, int, int]] = field(default_factory=list)
    frame: int = 0

    def __post_init__(self) -> None:
        img = self.image
        self.kit = [img[KIT_ADDR + 4 * i : KIT_ADDR + 4 * i + 4] for i in range(16)]
        self.waves = [img[WAVES_ADDR + 16 * i : WAVES_ADDR + 16 * i + 16] for i in range(8)]
        self.periods = list(struct.unpack_from(f"<{NOTE_COUNT}H", img, PERIODS_ADDR))
        placement = build.read_directory(img)[self.song_index]
        self.bank = placement.bank
        self.base = placement.address
        self.data = build.song_bytes(img, placement)
        self.loaded_wave = -1
        self.ended = False

    # -- memory of the song's bank
    def byte(self, addr: int) -> int:
        return self.data[addr - self.base] if 0x4000 <= addr < 0x8000 else 0xFF

    def word(self, addr: int) -> int:
        return self.byte(addr) | self.byte(addr + 1) << 8

    def write(self, address: int, value: int) -> None:
        self.writes.append((self.frame, address, value & 0xFF))

    # -- start-up and song start (jukebox.s: start, song_start)
    def start(self) -> None:
        self.write(NR52, 0x80)
        self.write(NR50, 0x77)
        self.write(NR51, 0xFF)
        self.write(NR10, 0x00)
        for reg in (NR10, 0xFF12, 0xFF17, NR30, 0xFF21):  # silence_all
            self.write(reg, 0)
        h = self.base
        self.tempo = self.word(h)
        self.write(NR50, self.byte(h + 2))
        self.write(NR51, self.byte(h + 3))
        self.inst_ptr, self.wave_ptr = self.word(h + 12), self.word(h + 14)
        self.channels = []
        for ch in range(4):
            ptr = self.word(h + 4 + 2 * ch)
            c = _Channel(ptr, ptr != 0)
            c.inst = self.instrument(0)
            self.channels.append(c)
        self.acc = 0xFFFF

    def instrument(self, i: int) -> bytes:
        return bytes(self.byte(self.inst_ptr + 4 * i + k) for k in range(3))

    # -- one frame (jukebox.s: music_update)
    def step(self) -> None:
        if self.ended:
            self.frame += 1
            return
        self.acc += self.tempo
        if self.acc > 0xFFFF:
            self.acc &= 0xFFFF
            for ch, c in enumerate(self.channels):
                self.tick(ch, c)
        for ch, c in enumerate(self.channels):
            self.effects(ch, c)
        if not any(c.active for c in self.channels):
            self.ended = True
        self.frame += 1

    def tick(self, ch: int, c: _Channel) -> None:
        if not c.active:
            return
        c.wait = (c.wait - 1) & 0xFF
        if c.wait:
            return
        while True:
            cmd = self.byte(c.ptr)
            c.ptr += 1
            if cmd < NOTE_COUNT:
                c.note, c.wait = cmd, c.length
                c.arppos = c.vibt = c.vibpos = c.vibcnt = 0
                c.sounding = True
                self.trigger(ch, c)
                return
            if cmd > CMD_END:
                cmd = CMD_END
            if cmd == CMD_REST:
                c.wait, c.sounding = c.length, False
                self.silence(ch)
                return
            if cmd == CMD_WAIT:
                c.wait = c.length
                return
            if cmd == CMD_END:
                c.ptr -= 1
                c.active = c.sounding = False
                self.silence(ch)
                return
            arg = self.byte(c.ptr)
            c.ptr += 1
            if cmd == 0x62:
                c.length = arg
            elif cmd == 0x63:
                c.inst = self.instrument(arg)
            elif cmd == 0x64:
                c.arp = arg
            elif cmd == 0x65:
                self.tempo = arg | self.byte(c.ptr) << 8
                c.ptr += 1
            elif cmd == 0x66:
                c.ptr = arg | self.byte(c.ptr) << 8

    def silence(self, ch: int) -> None:
        self.write(NR30 if ch == 2 else 0xFF00 | REG_BASES[ch] + 1, 0)

    def period(self, note: int) -> int:
        return self.periods[min(note, NOTE_COUNT - 1)]

    def trigger(self, ch: int, c: _Channel) -> None:
        base = 0xFF00 | REG_BASES[ch]
        if ch < 2:
            p = self.period(c.note)
            self.write(base, c.inst[0])
            self.write(base + 1, c.inst[1])
            self.write(base + 2, p)
            self.write(base + 3, 0x80 | p >> 8)
        elif ch == 2:
            self.write(NR30, 0)
            if c.inst[0] != self.loaded_wave:
                self.loaded_wave = c.inst[0]
                n = c.inst[0]
                table = (
                    self.waves[n]
                    if n < 0x80
                    else bytes(self.byte(self.wave_ptr + 16 * (n & 0x7F) + k) for k in range(16))
                )
                for k, v in enumerate(table):
                    self.write(0xFF30 + k, v)
            p = self.period(c.note)
            self.write(NR30, 0x80)
            self.write(0xFF1C, c.inst[1])
            self.write(0xFF1D, p)
            self.write(0xFF1E, 0x80 | p >> 8)
        else:
            env, poly, frames, poly2 = self.kit[c.note & 0x0F]
            self.write(0xFF21, env)
            self.write(0xFF22, poly)
            c.drumt, c.drum2 = frames, poly2
            self.write(0xFF23, 0x80)

    def effects(self, ch: int, c: _Channel) -> None:
        if not c.sounding:
            return
        first = c.vibt == 0
        c.vibt = min(255, c.vibt + 1)
        if first:
            return
        if ch == 3:
            if c.drumt:
                c.drumt -= 1
                if c.drumt == 0:
                    self.write(0xFF22, c.drum2)
            return
        write, note = False, c.note
        if c.arp:
            write = True
            c.arppos = (c.arppos + 1) % 3
            if c.arppos:
                note += (c.arp >> 4) if c.arppos == 1 else (c.arp & 0x0F)
        vib = c.inst[2]
        if vib and c.vibt >= (vib & 0xF0) >> 2:
            if c.vibcnt:
                c.vibcnt -= 1
            else:
                write = True
                c.vibcnt = vib & 0x03
                c.vibpos = (c.vibpos + 1) & 7
        if not write:
            return
        p = self.period(note & 0xFF)
        if vib and c.vibt >= (vib & 0xF0) >> 2 and c.vibpos & 3:
            swing = (0x800 - p) >> (5 + (vib >> 2 & 3))
            if c.vibpos & 3 != 2:
                swing >>= 1
            p = max(0, p - swing) if c.vibpos >= 4 else min(0x7FF, p + swing)
        base = 0xFF00 | REG_BASES[ch]
        self.write(base + 2, p)
        self.write(base + 3, p >> 8 & 0x07)


def driver_writes(image: bytes, song_index: int = 0, frames: int | None = None):
    """The writes the driver makes playing song `song_index` from power-on (see the module
    docstring); `frames`: how many frames (default: until the song ends)."""
    model = DriverModel(image, song_index)
    model.start()
    limit = frames if frames is not None else 1_000_000
    while model.frame < limit and not (frames is None and model.ended):
        model.step()
    return model.writes, model.frame
