"""MIDI export (export only): a recording's notes (synthic.notes) as a Standard MIDI File.

Type 1 file: track 0 holds the tempo (120 quarter notes per minute) and the title; then one track
per channel that plays notes: CH1 and CH2 as Square Lead (GM program 81, MIDI channels 1 and 2),
CH3 as Synth Bass 1 (GM program 39, MIDI channel 3; the wave channel mostly plays bass lines),
CH4 on MIDI channel 10 (General MIDI drums: kick 36, snare 38, closed hi-hat 42, open hi-hat
46, low tom 45).

Time: 16,384 ticks per quarter at 500,000 µs per quarter make one tick 1/32,768 s, exactly 128
T-cycles, so a tick maps to seconds exactly and onsets are rounded by at most 64 T-cycles.

Pitch: the note is the rounded MIDI number; the pitch bend range is set to 12 semitones with
RPN 0 at the start of each melodic track, and each note starts with the bend of its exact
(fractional) pitch, then follows its `bends` (slides, vibrato, arpeggios). Velocity: the note's
volume 0-15 scaled to 1-127.
"""

from __future__ import annotations

import os

import mido

from synthic.errors import SynthicError
from synthic.events.atomic import atomic_output
from synthic.events.recording import Recording
from synthic.notes import Note, notes

TICKS_PER_BEAT = 16_384
TEMPO_US = 500_000  # per quarter: one tick = 1 / 32768 s = 128 T-cycles
TICKS_PER_SECOND = TICKS_PER_BEAT * 1_000_000 // TEMPO_US  # 32768
BEND_RANGE = 12  # semitones, set with RPN 0
PROGRAMS = {1: 80, 2: 80, 3: 38}  # 0-based GM: Lead 1 (square), Synth Bass 1
MIDI_CHANNELS = {1: 0, 2: 1, 3: 2, 4: 9}
DRUM_KEYS = {"kick": 36, "snare": 38, "closed_hat": 42, "open_hat": 46, "tom": 45}
TRACK_NAMES = {1: "CH1 pulse", 2: "CH2 pulse", 3: "CH3 wave", 4: "CH4 noise"}


def read(path: str | os.PathLike) -> Recording:
    raise SynthicError(f"{os.fspath(path)}: MIDI is export-only (it cannot be read back)")


def ticks(seconds: float) -> int:
    return max(0, round(seconds * TICKS_PER_SECOND))


def velocity(volume: int) -> int:
    return max(1, min(127, round(volume * 127 / 15)))


def bend_value(semitones: float) -> int:
    return max(-8192, min(8191, round(semitones * 8192 / BEND_RANGE)))


def _track_events(channel: int, ns: list[Note]) -> list[tuple[int, int, mido.Message]]:
    """(tick, order, message): order puts note-offs before bends before note-ons on a tick."""
    ch = MIDI_CHANNELS[channel]
    ev: list[tuple[int, int, mido.Message]] = []
    for n in ns:
        on, off = ticks(n.onset), max(ticks(n.onset + n.duration), ticks(n.onset) + 1)
        vel = velocity(n.volume)
        if channel == 4:
            key = DRUM_KEYS[n.drum or "snare"]
        else:
            key = min(127, max(0, n.midi or 0))
            exact = (n.pitch or key) - key
            ev.append((on, 1, mido.Message("pitchwheel", channel=ch, pitch=bend_value(exact))))
            for dt, semis in n.bends:
                tb = ticks(n.onset + dt)
                if tb < off:
                    msg = mido.Message("pitchwheel", channel=ch, pitch=bend_value(exact + semis))
                    ev.append((tb, 3, msg))
        ev.append((on, 2, mido.Message("note_on", channel=ch, note=key, velocity=vel)))
        ev.append((off, 0, mido.Message("note_off", channel=ch, note=key, velocity=0)))
    return ev


def to_midi(rec: Recording) -> mido.MidiFile:
    """The MIDI file of `rec`'s notes (see the module docstring)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    title = str(rec.meta.get("title") or rec.meta.get("source") or "Synthic")
    conductor.append(mido.MetaMessage("track_name", name=title, time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
    end = ticks(rec.duration_seconds)
    conductor.append(mido.MetaMessage("end_of_track", time=end))
    mid.tracks.append(conductor)
    all_notes = notes(rec)
    for channel in (1, 2, 3, 4):
        ns = [n for n in all_notes if n.channel == channel]
        if not ns:
            continue
        ch = MIDI_CHANNELS[channel]
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=TRACK_NAMES[channel], time=0))
        if channel != 4:
            track.append(mido.Message("program_change", channel=ch, program=PROGRAMS[channel]))
            for cc, value in ((101, 0), (100, 0), (6, BEND_RANGE), (38, 0), (101, 127), (100, 127)):
                track.append(mido.Message("control_change", channel=ch, control=cc, value=value))
        events = sorted(_track_events(channel, ns), key=lambda e: (e[0], e[1]))
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
        mid.tracks.append(track)
    return mid


def write(rec: Recording, path: str | os.PathLike) -> None:
    """Write `rec` as a Standard MIDI File (atomically)."""
    mid = to_midi(rec)
    with atomic_output(path, "wb") as f:
        mid.save(file=f)
