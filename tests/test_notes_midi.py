"""The note view (synthic.notes) and MIDI export (synthic.events.midi): a jukebox ROM's song,
recorded in our emulator, comes back with the arranged pitches and onsets within one frame."""

from __future__ import annotations

import subprocess
import sys

import mido
import numpy as np
import pytest

from synthic import events
from synthic.errors import SynthicError
from synthic.events import midi
from synthic.events.recording import Recording
from synthic.events.registers import FRAME_HZ
from synthic.jukebox.compile import tempo_ticks_per_second, tempo_value
from synthic.notes import (
    drum_class,
    note_density,
    notes,
    notes_frame,
    pitch_class_histogram,
    pitch_range,
)

FRAME_S = 1 / FRAME_HZ
SECONDS = 30.0  # of song 0 recorded


@pytest.fixture(scope="module")
def jukebox():
    """(songs, recording of song 0 played by the ROM in our emulator for SECONDS)."""
    pytest.importorskip("music21")
    from synthic.gb import Emulator
    from synthic.jukebox import collection, sources
    from synthic.jukebox.build import build_jukebox

    songs, _ = collection.arrange_songs(sources.DEFAULT_SOURCES, 2, 0, share=slice(0, 2))
    image = build_jukebox(songs, title="SYNTHIC JB 01")
    emu = Emulator(image)
    emu.run(seconds=SECONDS)
    return songs, emu.recording()


def driver_seconds(song, tick: int) -> float:
    """When the driver plays `tick`: its tempo words (ticks per frame x 65536) per tempo span."""
    t, last_tick, rate = 0.0, 0, None
    for start, bpm in song.tempo:
        if start > tick:
            break
        if rate is not None:
            t += (start - last_tick) / rate
        last_tick = start
        rate = tempo_ticks_per_second(tempo_value(bpm, song.ticks_per_quarter))
    return t + (tick - last_tick) / rate


def arranged(song, channel: int, until: float) -> list[tuple[float, int]]:
    """(onset s, MIDI pitch) of the arranged notes of channel 1-3 starting before `until`."""
    out = [(driver_seconds(song, n.start), n.pitch) for n in song.channels[channel - 1]]
    return [x for x in out if x[0] < until]


def assert_matches(expected, got_onsets, got_pitches, label):
    n = len(expected)
    assert len(got_onsets) >= n, f"{label}: {len(got_onsets)} notes, arranged {n}"
    exp_t = np.array([t for t, _ in expected])
    got_t = np.array(got_onsets[:n])
    assert [p for _, p in expected] == list(got_pitches[:n]), label
    offset = np.median(got_t - exp_t)  # the song starts a little after power-on
    err = np.abs(got_t - exp_t - offset)
    assert err.max() <= FRAME_S, f"{label}: onsets off by up to {err.max() * 1000:.1f} ms"


def test_recorded_song_has_the_arranged_notes(jukebox):
    songs, rec = jukebox
    ns = notes(rec)
    until = SECONDS - 2.0  # whole notes only
    for c in (1, 2, 3):
        want = arranged(songs[0], c, until)
        got = [n for n in ns if n.channel == c and n.onset < SECONDS - 1.0]
        assert want, c
        assert_matches(want, [n.onset for n in got], [n.midi for n in got], f"CH{c}")
    assert any(n.channel == 4 and n.drum for n in ns)


def midi_notes(mid: mido.MidiFile) -> dict[int, list[tuple[float, int, int]]]:
    """Per MIDI channel, (onset s, note, velocity) of every note_on, from the file's ticks."""
    out: dict[int, list[tuple[float, int, int]]] = {}
    tempo = 500_000
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo = msg.tempo
            if msg.type == "note_on" and msg.velocity > 0:
                seconds = mido.tick2second(tick, mid.ticks_per_beat, tempo)
                out.setdefault(msg.channel, []).append((seconds, msg.note, msg.velocity))
    return out


def test_midi_export_of_the_jukebox_song(jukebox, tmp_path):
    songs, rec = jukebox
    path = tmp_path / "song.mid"
    assert events.write(rec, path) == []
    mid = mido.MidiFile(path)
    ns = notes(rec)
    used = sorted({n.channel for n in ns})
    assert used == [1, 2, 3, 4]
    assert len(mid.tracks) == 1 + len(used)  # the conductor track, then one per channel
    assert [t.name for t in mid.tracks[1:]] == [midi.TRACK_NAMES[c] for c in used]
    by_channel = midi_notes(mid)
    assert sorted(by_channel) == [0, 1, 2, 9]
    for c in (1, 2, 3):
        got = by_channel[midi.MIDI_CHANNELS[c]]
        want = arranged(songs[0], c, SECONDS - 2.0)
        assert_matches(want, [t for t, _, _ in got], [p for _, p, _ in got], f"MIDI CH{c}")
        # onsets exact to the tick (128 T-cycles) against the note view
        view = [n.onset for n in ns if n.channel == c]
        assert np.abs(np.array([t for t, _, _ in got]) - view).max() <= 64 / 4_194_304 + 1e-9
    assert {k for _, k, _ in by_channel[9]} <= set(midi.DRUM_KEYS.values())
    # the bend range is set with RPN 0 on each melodic track
    for track in mid.tracks[1:4]:
        ccs = [(m.control, m.value) for m in track if m.type == "control_change"]
        assert ccs[:3] == [(101, 0), (100, 0), (6, midi.BEND_RANGE)]
    assert abs(mid.length - rec.duration_seconds) < 0.01


def test_convert_to_midi(tmp_path):
    src = tmp_path / "demo.events"
    from synthic import demo

    events.write(demo.render("twinkle"), src)
    for args in ([str(tmp_path / "a.mid")], [str(tmp_path / "b.out"), "--to", "midi"]):
        run = [sys.executable, "-m", "synthic", "convert", str(src), *args]
        r = subprocess.run(run, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        mid = mido.MidiFile(args[0])
        assert len(mid.tracks) == 5
    with pytest.raises(SynthicError, match="export-only"):
        events.read(tmp_path / "a.mid")


# -- the note view on hand-made recordings ----------------------------------------------------

C = 4_194_304  # T-cycles per second


def rec_of(writes, seconds=2.0):
    return Recording.from_writes(writes, length_cycles=int(seconds * C))


ON = [(0, 0xFF26, 0x80), (0, 0xFF24, 0x77), (0, 0xFF25, 0xFF)]


def test_trigger_to_trigger_and_pitch():
    w = ON + [(10, 0xFF11, 0x80), (10, 0xFF12, 0xF0), (10, 0xFF13, 0xD6), (10, 0xFF14, 0x86)]
    w += [(C // 2, 0xFF14, 0x86)]  # retrigger at 0.5 s
    ns = notes(rec_of(w))
    assert len(ns) == 2
    a, b = ns
    assert a.channel == 1 and a.midi == 69 and abs(a.hz - 131072 / (2048 - 0x6D6)) < 1e-9
    assert abs(a.duration - (C // 2 - 10) / C) < 1e-9 and a.volume == 15 and a.timbre == 2
    assert abs(b.end - 2.0) < 1e-9  # held to the end of the recording


def test_note_ends():
    base = [(10, 0xFF16, 0x40), (10, 0xFF17, 0xF0), (10, 0xFF18, 0xD6)]
    # DAC off at 0.25 s
    ns = notes(rec_of(ON + base + [(20, 0xFF19, 0x86), (C // 4, 0xFF17, 0x00)]))
    assert abs(ns[0].end - C // 4 / C) < 1e-9
    # length: 64 - 0 = 64 ticks of 1/256 s = 0.25 s
    ns = notes(rec_of(ON + base + [(20, 0xFF16, 0x40), (20, 0xFF19, 0xC6)]))
    assert abs(ns[0].duration - 0.25) < 1e-6
    # envelope: volume 15 down at pace 1 (1/64 s a step): silent after 15/64 s
    ns = notes(rec_of(ON + [(10, 0xFF17, 0xF1), (10, 0xFF18, 0xD6), (20, 0xFF19, 0x86)]))
    assert abs(ns[0].duration - 15 / 64) < 1e-6
    # power off
    ns = notes(rec_of(ON + base + [(20, 0xFF19, 0x86), (C, 0xFF26, 0x00)]))
    assert abs(ns[0].end - 1.0) < 1e-6
    # volume 0 and falling: no note; DAC off: no note
    assert notes(rec_of(ON + [(10, 0xFF17, 0x00), (20, 0xFF19, 0x86)])) == []
    assert notes(rec_of(ON + [(10, 0xFF17, 0x08), (20, 0xFF19, 0x86)])) == []


def test_bends_and_paired_writes():
    w = ON + [(10, 0xFF17, 0xF0), (10, 0xFF18, 0xD6), (20, 0xFF19, 0x86)]
    # vibrato: low byte alone, later a low/high pair a few cycles apart (one change, not two)
    w += [(C // 10, 0xFF18, 0xDA), (C // 5, 0xFF18, 0x00), (C // 5 + 8, 0xFF19, 0x07)]
    (n,) = notes(rec_of(w))
    assert [round(dt, 4) for dt, _ in n.bends] == [round((C // 10 - 20) / C, 4), 0.2]
    assert abs(n.bends[0][1] - 12 * np.log2(298 / 294)) < 1e-9
    assert abs(n.bends[1][1] - 12 * np.log2((2048 - 0x6D6) / (2048 - 0x700))) < 1e-9


def test_wave_and_noise_notes():
    w = ON + [(0, 0xFF30 + i, 0x0F) for i in range(16)]
    w += [(10, 0xFF1A, 0x80), (10, 0xFF1C, 0x40), (10, 0xFF1D, 0x00), (10, 0xFF1E, 0x87)]
    w += [(20, 0xFF21, 0xA2), (20, 0xFF22, 0x81), (20, 0xFF23, 0x80)]
    w += [(30, 0xFF21, 0x81), (C // 2, 0xFF22, 0x00), (C // 2, 0xFF23, 0x80)]
    wave, kick, hat = notes(rec_of(w))
    assert wave.channel == 3 and wave.volume == 8 and len(wave.timbre) == 8
    assert abs(wave.hz - 65536 / (2048 - 0x700)) < 1e-9
    assert kick.drum == "kick" and kick.pitch is None and kick.volume == 10
    assert hat.drum == "closed_hat"
    assert drum_class(0x08, 0xF0) == "tom" and drum_class(0x00, 0xF0) == "open_hat"


def test_helpers():
    from synthic import demo

    rec = demo.render("twinkle")
    ns = notes(rec)
    h = pitch_class_histogram(ns)
    assert abs(h.sum() - 1) < 1e-9
    assert h[[1, 3, 6, 8, 10]].sum() == 0  # C major: no black keys
    density = note_density(ns, rec.duration_seconds)
    assert density[1] > 0 and density[4] > 0
    lo, hi = pitch_range(ns)[1]
    assert (lo, hi) == (60, 69)  # C4 to A4
    df = notes_frame(rec)
    assert len(df) == len(ns) and {"onset", "midi", "bends", "drum"} <= set(df.columns)
