"""A few public-domain tunes played by a tiny register-level driver, written in Python.

A quick input for checks (`roms: demo` in config.yaml; the default collection is the jukebox
ROMs of synthic/jukebox). Each tune becomes a recording shaped like a game's music: a driver that
wakes once per frame (70,224 T-cycles) and writes a burst of registers a few cycles apart,
on all four channels (two pulses, the wave channel as bass, noise percussion).
"""

from __future__ import annotations

from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES

# Tunes as (note, beats) per voice; a note is "C4", "F#3", or "-" for a rest. Traditional and
# public domain: Frère Jacques (as a three-voice round), Ode to Joy (Beethoven, 1824),
# Twinkle, Twinkle, Little Star (French melody, 1761).
_FRERE = (
    "C4 1 D4 1 E4 1 C4 1 C4 1 D4 1 E4 1 C4 1 E4 1 F4 1 G4 2 E4 1 F4 1 G4 2 "
    "G4 .5 A4 .5 G4 .5 F4 .5 E4 1 C4 1 G4 .5 A4 .5 G4 .5 F4 .5 E4 1 C4 1 "
    "C4 1 G3 1 C4 2 C4 1 G3 1 C4 2"
)
_ODE = (
    "E4 1 E4 1 F4 1 G4 1 G4 1 F4 1 E4 1 D4 1 C4 1 C4 1 D4 1 E4 1 E4 1.5 D4 .5 D4 2 "
    "E4 1 E4 1 F4 1 G4 1 G4 1 F4 1 E4 1 D4 1 C4 1 C4 1 D4 1 E4 1 D4 1.5 C4 .5 C4 2"
)
_ODE_BASS = "C3 4 G2 4 C3 4 G2 2 G2 2 C3 4 G2 4 C3 4 G2 2 C3 2"
_TWINKLE = (
    "C4 1 C4 1 G4 1 G4 1 A4 1 A4 1 G4 2 F4 1 F4 1 E4 1 E4 1 D4 1 D4 1 C4 2 "
    "G4 1 G4 1 F4 1 F4 1 E4 1 E4 1 D4 2 G4 1 G4 1 F4 1 F4 1 E4 1 E4 1 D4 2 "
    "C4 1 C4 1 G4 1 G4 1 A4 1 A4 1 G4 2 F4 1 F4 1 E4 1 E4 1 D4 1 D4 1 C4 2"
)
_TWINKLE_HARMONY = (
    "E3 2 E3 2 F3 2 E3 2 D3 2 C3 2 B2 2 C3 2 E3 2 D3 2 C3 2 B2 2 E3 2 D3 2 C3 2 B2 2 "
    "E3 2 E3 2 F3 2 E3 2 D3 2 C3 2 B2 2 C3 2"
)

SONGS: dict[str, dict] = {
    "frere_jacques": {
        "title": "Frère Jacques (round)",
        "frames_per_beat": 18,
        "voices": [_FRERE, "- 8 " + _FRERE, "- 16 " + _FRERE.replace("4 ", "3 ")],
        "drums": "x.x.",
        "loops": 2,
    },
    "ode_to_joy": {
        "title": "Ode to Joy",
        "frames_per_beat": 20,
        "voices": [_ODE, _ODE.replace("4 ", "3 "), _ODE_BASS],
        "drums": "x...",
        "loops": 2,
    },
    "twinkle": {
        "title": "Twinkle, Twinkle, Little Star",
        "frames_per_beat": 22,
        "voices": [_TWINKLE, _TWINKLE_HARMONY, _TWINKLE_HARMONY.replace("3 ", "2 ")],
        "drums": "x.o.",
        "loops": 1,
    },
}

_SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# A soft triangle-like wave table for CH3 (32 4-bit samples, high nibble first).
_WAVE = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
_WRITE_SPACING = 12  # T-cycles between the writes of one burst (an `ldh (n), a` is 12)


def note_hz(note: str) -> float:
    name, octave = note[:-1], int(note[-1])
    semis = _SEMITONE[name[0]] + name.count("#") - name.count("b")
    midi = 12 * (octave + 1) + semis
    return 440.0 * 2 ** ((midi - 69) / 12)


def pulse_period(hz: float) -> int:
    """The 11-bit period p with 131072 / (2048 - p) closest to `hz` (Pan Docs, NR13/NR14)."""
    return max(0, min(2047, round(2048 - 131072 / hz)))


def wave_period(hz: float) -> int:
    return max(0, min(2047, round(2048 - 65536 / hz)))


def _parse(voice: str) -> list[tuple[str, float]]:
    tokens = voice.split()
    return [(tokens[i], float(tokens[i + 1])) for i in range(0, len(tokens), 2)]


def song_names() -> list[str]:
    return list(SONGS)


def render(name: str) -> Recording:
    """The recording of one demo tune (deterministic)."""
    song = SONGS[name]
    fpb = song["frames_per_beat"]
    bursts: dict[int, list[tuple[int, int]]] = {}  # frame -> writes (address, value)

    def at(frame: int, *writes: tuple[int, int]) -> None:
        bursts.setdefault(frame, []).extend(writes)

    at(0, (0xFF26, 0x80), (0xFF24, 0x77), (0xFF25, 0xFF), (0xFF1A, 0x00))
    at(0, *((0xFF30 + i, b) for i, b in enumerate(_WAVE)), (0xFF1A, 0x80))
    at(0, (0xFF10, 0x00), (0xFF11, 0x80), (0xFF16, 0x40), (0xFF1C, 0x20))
    voices = [_parse(v) for v in song["voices"]]
    beats = max(sum(b for _, b in v) for v in voices)
    for loop in range(song["loops"]):
        start = loop * round(beats * fpb)
        for channel, voice in enumerate(voices, start=1):
            pos = 0.0
            for note, length in voice:
                frame = start + round(pos * fpb)
                pos += length
                if note == "-":
                    continue
                hz = note_hz(note)
                if channel == 3:
                    p = wave_period(hz)
                    at(frame, (0xFF1D, p & 0xFF), (0xFF1E, 0x80 | p >> 8))
                else:
                    base = 0xFF12 if channel == 1 else 0xFF17
                    p = pulse_period(hz)
                    volume = 0xF3 if channel == 1 else 0xA3
                    at(frame, (base, volume), (base + 1, p & 0xFF), (base + 2, 0x80 | p >> 8))
        pattern = song["drums"]
        for beat in range(int(beats)):
            hit = pattern[beat % len(pattern)]
            if hit != ".":
                noise = 0x51 if hit == "x" else 0x2C  # low thump / short hat (NR43)
                at(start + beat * fpb, (0xFF21, 0xA1), (0xFF22, noise), (0xFF23, 0x80))
    end_frame = song["loops"] * round(beats * fpb) + fpb
    at(end_frame, (0xFF25, 0x00))  # fade out by panning everything off, as drivers stop

    t, a, v = [], [], []
    for frame in sorted(bursts):
        for i, (address, value) in enumerate(bursts[frame]):
            t.append(frame * FRAME_T_CYCLES + 456 * 144 + i * _WRITE_SPACING)  # from VBlank
            a.append(address)
            v.append(value)
    length = (end_frame + 1) * FRAME_T_CYCLES + FRAME_T_CYCLES
    meta = {
        "title": song["title"],
        "author": "traditional",
        "source": f"demo:{name}",
        "tags": {"demo": True, "seconds": round(length / CLOCK_HZ, 3)},
    }
    return Recording(t, a, v, length_cycles=length, meta=meta)
