"""The arranged song: what the arranger makes and the song compiler turns into driver bytes.

A `Song` is four channel lines of `Note`s on a grid of ticks (`ticks_per_quarter` per quarter
note), a tempo map in quarter notes per minute, and the instruments the notes use:

* CH1, CH2 (pulse) and CH3 (wave): `Note.pitch` is a MIDI note number; each channel plays one
  note at a time (notes never overlap), with an optional arpeggio (two more notes, as semitone
  offsets above it) for chords spread on one channel;
* CH4 (noise): `Note.pitch` is a drum of the driver's kit (`KICK`, `SNARE`, ...).

Instruments are the driver's (synthic/jukebox/driver/layout.inc, INSTRUMENTS): a duty byte
(NRx1) or wave table number, an envelope (NRx2) or wave output level (NR32), a vibrato byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Note numbers of the driver: the period table has NOTE_COUNT entries; entry n is MIDI note
# FIRST_PULSE_MIDI + n on the pulse channels and FIRST_WAVE_MIDI + n on the wave channel (the
# wave channel's frequency is half the pulse channels' for one period, Pan Docs "NR33").
FIRST_PULSE_MIDI = 36
FIRST_WAVE_MIDI = 24
NOTE_COUNT = 96
MAX_ARP = 15  # arpeggio offsets are 4-bit semitone counts

# The compass of each melodic channel, as MIDI notes (inclusive): where the arranger folds
# each line. CH1 carries the tune, CH2 the inner voice and chords, CH3 the bass.
COMPASS = ((55, 91), (48, 84), (33, 64))

# The drum kit (driver/jukebox.s, `drums`): note numbers on CH4.
KICK, SOFT_KICK, SNARE, SOFT_SNARE, HAT, OPEN_HAT, CRASH, RIM = range(8)
LOW_TOM, HIGH_TOM, SHAKER, SOFT_HAT = range(8, 12)
DRUM_NAMES = (
    "kick",
    "soft kick",
    "snare",
    "soft snare",
    "hi-hat",
    "open hi-hat",
    "crash",
    "rim",
    "low tom",
    "high tom",
    "shaker",
    "soft hi-hat",
)
DRUM_COUNT = 16

# Built-in wave tables of the driver (driver/jukebox.s, `waves`).
WAVE_TRIANGLE, WAVE_SAW, WAVE_SQUARE, WAVE_PULSE25 = range(4)
WAVE_SINE, WAVE_ORGAN, WAVE_SOFT_SQUARE, WAVE_HALF_SINE = range(4, 8)

# Pulse duty bytes (NRx1 bits 7-6, Pan Docs "NR11"): 12.5 %, 25 %, 50 %, 75 %.
DUTY_12, DUTY_25, DUTY_50, DUTY_75 = 0x00, 0x40, 0x80, 0xC0
# Wave output levels (NR32).
WAVE_100, WAVE_50, WAVE_25 = 0x20, 0x40, 0x60


def midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def period_table() -> list[int]:
    """The driver's 11-bit pulse periods for notes 0..NOTE_COUNT-1 (see FIRST_PULSE_MIDI)."""
    table = []
    for n in range(NOTE_COUNT):
        p = round(2048 - 131072 / midi_hz(FIRST_PULSE_MIDI + n))
        table.append(max(0, min(2047, p)))
    return table


def vibrato_byte(*, delay_frames: int = 0, depth: int = 1, speed: int = 1) -> int:
    """The instrument's vibrato byte: start after `delay_frames` (rounded to 4), swing of
    2^-(5 + depth) of the frequency (depth 0-3), one phase of 8 every `speed` frames (1-4)."""
    if not (0 <= depth <= 3 and 1 <= speed <= 4):
        raise ValueError("vibrato depth is 0-3 and speed 1-4")
    delay = min(15, round(delay_frames / 4))
    byte = delay << 4 | depth << 2 | (speed - 1)
    return byte or 0x01 << 4  # byte 0 means "no vibrato": delay 4 frames instead


@dataclass(frozen=True)
class Instrument:
    """A driver instrument (layout.inc, INSTRUMENTS)."""

    duty: int  # pulse: NRx1 (duty << 6); wave: wave table number; noise: 0
    envelope: int  # pulse, noise: NRx2; wave: NR32 output level
    vibrato: int = 0  # 0: none; see `vibrato_byte`
    name: str = ""

    def to_bytes(self) -> bytes:
        return bytes((self.duty & 0xFF, self.envelope & 0xFF, self.vibrato & 0xFF, 0))


@dataclass(frozen=True)
class Note:
    """One note of one channel: `start` and `length` in ticks."""

    start: int
    length: int
    pitch: int  # MIDI note (CH1-CH3) or drum number (CH4)
    instrument: int = 0
    arp: tuple[int, int] = (0, 0)  # semitones above `pitch` (0-15 each); (0, 0): none

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass
class Song:
    """An arrangement for the four channels (see the module docstring)."""

    title: str
    author: str
    source: str
    ticks_per_quarter: int
    tempo: list[tuple[int, float]]  # (tick, quarter notes per minute), first at tick 0
    channels: tuple[list[Note], list[Note], list[Note], list[Note]]
    instruments: list[Instrument]
    length: int  # ticks, at or after the last note's end
    nr50: int = 0x77
    nr51: int = 0xFF
    waves: list[bytes] = field(default_factory=list)  # the song's own wave tables (16 bytes)
    tags: dict = field(default_factory=dict)

    def ticks_per_second(self, tick: int = 0) -> float:
        bpm = self.tempo[0][1]
        for t, b in self.tempo:
            if t <= tick:
                bpm = b
        return bpm / 60.0 * self.ticks_per_quarter

    def seconds(self, tick: int | None = None) -> float:
        """Time of `tick` (default: the end) in seconds, following the tempo map."""
        tick = self.length if tick is None else tick
        total, prev_t, prev_bpm = 0.0, 0, self.tempo[0][1]
        for t, bpm in self.tempo[1:]:
            if t >= tick:
                break
            total += (t - prev_t) / (prev_bpm / 60.0 * self.ticks_per_quarter)
            prev_t, prev_bpm = t, bpm
        return total + (tick - prev_t) / (prev_bpm / 60.0 * self.ticks_per_quarter)

    def check(self) -> None:
        """Raise ValueError unless the song is well formed (lines monophonic, in range)."""
        if not self.tempo or self.tempo[0][0] != 0:
            raise ValueError(f"{self.title}: the tempo map must start at tick 0")
        for ch, notes in enumerate(self.channels):
            end = 0
            for n in notes:
                if n.start < end:
                    raise ValueError(f"{self.title}: CH{ch + 1} notes overlap at tick {n.start}")
                if n.length <= 0:
                    raise ValueError(f"{self.title}: CH{ch + 1} empty note at tick {n.start}")
                if not 0 <= n.instrument < len(self.instruments):
                    raise ValueError(f"{self.title}: CH{ch + 1} unknown instrument")
                if not all(0 <= a <= MAX_ARP for a in n.arp):
                    raise ValueError(f"{self.title}: CH{ch + 1} arpeggio out of range")
                end = n.end
            if end > self.length:
                raise ValueError(f"{self.title}: CH{ch + 1} ends after the song")
