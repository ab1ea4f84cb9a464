"""The arranger: ranges folded into each channel's compass, chords spread over the channels,
tempo kept, single lines harmonised, drums on the meter, deterministic; score sources."""

from __future__ import annotations

import itertools

import pytest

from synthic.events.registers import FRAME_HZ
from synthic.jukebox import arrange
from synthic.jukebox import song as S
from synthic.jukebox.arrange import Bar, Score, ScoreNote
from synthic.jukebox.compile import compile_song


def four_voices(bars: int = 4, qpm: float = 90.0) -> Score:
    """A four-part chorale-like texture: whole-bar chords of four notes, one voice far out of
    the channels' compass (soprano two octaves up)."""
    notes = []
    chords = [(96, 79, 72, 48), (98, 77, 71, 43), (100, 76, 67, 45), (96, 76, 72, 48)]
    for b in range(bars):
        for part, pitch in enumerate(chords[b % 4]):
            notes.append(ScoreNote(4.0 * b, 4.0 * b + 4.0, pitch, part))
    return Score(
        title="Four voices",
        author="test",
        source="test/four",
        notes=notes,
        tempo=[(0.0, qpm)],
        bars=[Bar(4.0 * b, 4.0, 4, 1.0) for b in range(bars)],
        parts=4,
    )


def tune(qpm: float | None = None) -> Score:
    """A single line in G major, 3/4, with a pickup: G4 | B4 D5 B4 | C5 A4 F#4 | G4 - - |."""
    line = [
        (-1, 1, 67),
        (0, 1, 71),
        (1, 1, 74),
        (2, 1, 71),
        (3, 1, 72),
        (4, 1, 69),
        (5, 1, 66),
        (6, 3, 67),
    ]
    notes = [ScoreNote(s + 1.0, s + 1.0 + d, p) for s, d, p in line]
    return Score(
        title="Tune",
        author="traditional",
        source="test/tune",
        notes=notes,
        tempo=[(0.0, qpm)] if qpm else [],
        bars=[Bar(-2.0 + 3.0 * k, 3.0, 3, 1.0) for k in range(4)],
    )


def test_ranges_are_folded_into_each_channels_compass():
    song = arrange.arrange(four_voices())
    for ch in range(3):
        low, high = S.COMPASS[ch]
        assert song.channels[ch], f"CH{ch + 1} is empty"
        assert all(low <= n.pitch <= high for n in song.channels[ch])
    # folding keeps pitch classes: the soprano (C7, D7, E7, C7) is still C, D, E, C
    assert [n.pitch % 12 for n in song.channels[0]] == [0, 2, 4, 0]
    # and moves a line by whole octaves, keeping its shape
    soprano = [n.pitch for n in song.channels[0]]
    assert [b - a for a, b in zip(soprano, soprano[1:], strict=False)] == [2, 2, -4]


def test_chords_are_spread_over_the_channels():
    song = arrange.arrange(four_voices())
    ch1, ch2, ch3 = song.channels[:3]
    assert [n.pitch % 12 for n in ch3] == [0, 7, 9, 0]  # the bass: C G A C
    # CH2 holds the two inner voices: the lower one, the other as its arpeggio
    first = ch2[0]
    assert first.pitch % 12 == 0 and first.arp[0] == 7 and first.arp[1] == 0  # C4 + G4
    sounding = {
        first.pitch % 12,
        (first.pitch + first.arp[0]) % 12,
        ch1[0].pitch % 12,
        ch3[0].pitch % 12,
    }
    assert sounding == {0, 7}  # every note of the C major chord C G C C is heard


def test_more_notes_than_channels_become_arpeggios_within_range():
    notes = [ScoreNote(0.0, 4.0, p, i) for i, p in enumerate((84, 79, 76, 72, 67, 48))]
    score = Score("Six", "", "test/six", notes, [(0.0, 120.0)], [Bar(0.0, 4.0, 4, 1.0)], parts=6)
    song = arrange.arrange(score)
    (inner,) = song.channels[1]
    assert 0 < inner.arp[0] <= S.MAX_ARP and 0 < inner.arp[1] <= S.MAX_ARP
    assert len(song.channels[0]) == len(song.channels[2]) == 1


@pytest.mark.parametrize("qpm", [60.0, 90.0, 144.0, 250.0])
def test_tempo_is_kept(qpm):
    score = four_voices(qpm=qpm)
    song = arrange.arrange(score)
    assert song.tempo == [(0, qpm)]
    expected = 16 * 60.0 / qpm  # four bars of 4/4
    assert song.seconds() == pytest.approx(expected, rel=1e-9)
    # the driver's tempo word keeps it within 0.1 %
    from synthic.jukebox.compile import decode_song

    decoded = decode_song(compile_song(song))
    assert decoded.seconds() == pytest.approx(expected, rel=1e-3)
    assert song.ticks_per_second() <= FRAME_HZ


def test_tempo_changes_are_kept():
    score = four_voices()
    score.tempo = [(0.0, 60.0), (8.0, 120.0)]
    song = arrange.arrange(score)
    tpq = song.ticks_per_quarter
    assert song.tempo == [(0, 60.0), (8 * tpq, 120.0)]
    assert song.seconds() == pytest.approx(8.0 + 4.0)


def test_fast_tempo_uses_a_coarser_grid():
    assert arrange.choose_ticks_per_quarter(120) == 12
    assert arrange.choose_ticks_per_quarter(400) == 6
    assert arrange.choose_ticks_per_quarter(3000) == 1


def test_single_line_is_harmonised_with_bass_and_chords():
    song = arrange.arrange(tune(qpm=120))
    ch1, ch2, ch3, ch4 = song.channels
    assert [n.pitch for n in ch1] == [67, 71, 74, 71, 72, 69, 66, 67]  # the tune, untouched
    assert song.tags == {"style": "dance", "harmonised": True}
    # the key is G major; the chords are I, IV or V there; the last bar's is G major
    assert arrange.find_key([(n.start, n.end, n.pitch, 0) for n in ch1]) == (7, True)
    for n in ch2:
        chord = {n.pitch % 12, (n.pitch + n.arp[0]) % 12, (n.pitch + n.arp[1]) % 12}
        assert chord in ({7, 11, 2}, {0, 4, 7}, {2, 6, 9}, {4, 7, 11}, {9, 0, 4})
    last_bass = [n for n in ch3 if n.start >= ch1[-1].start]
    assert last_bass[0].pitch % 12 == 7
    assert ch2[0].start == ch1[1].start  # harmony starts on the first downbeat, not the pickup
    assert ch4[0].pitch == S.SOFT_SNARE  # the pickup is beat 3 of its bar
    assert [n.pitch for n in ch4 if n.start == ch1[1].start] == [S.CRASH]


def test_no_tempo_mark_gives_a_default_for_the_meter():
    song = arrange.arrange(tune())
    assert song.tempo == [(0, 100.0)]
    score = tune()
    score.bars = [Bar(b.start, 3.0, 1, 3.0) for b in score.bars]  # one beat a bar
    assert arrange.arrange(score).tempo == [(0, 300.0)]


def test_drums_follow_the_meter():
    bar = Bar(0.0, 2.0, 2, 1.0)
    assert arrange.drum_pattern(bar, "dance", first=False) == [
        (0.0, S.KICK),
        (0.5, S.HAT),
        (1.0, S.SNARE),
        (1.5, S.HAT),
    ]
    jig = Bar(0.0, 3.0, 2, 1.5)  # 6/8: eighths in threes
    assert [p for p, _ in arrange.drum_pattern(jig, "dance", first=True)] == [
        0.0,
        0.5,
        1.0,
        1.5,
        2.0,
        2.5,
    ]
    assert arrange.drum_pattern(jig, "dance", first=True)[0] == (0.0, S.CRASH)
    assert arrange.drum_pattern(Bar(0.0, 3.0, 3, 1.0), "chorale", first=False) == [
        (0.0, S.SOFT_KICK),
        (1.0, S.SOFT_HAT),
        (2.0, S.SOFT_HAT),
    ]


def test_percussion_of_the_score_is_used():
    notes = [
        ScoreNote(0.0, 4.0, 60),
        ScoreNote(0.0, 0.5, 36, 1, True),
        ScoreNote(1.0, 1.5, 38, 1, True),
        ScoreNote(1.0, 1.5, 42, 1, True),
        ScoreNote(2.0, 2.5, 49, 1, True),
    ]
    score = Score("Drums", "", "test/drums", notes, [(0.0, 120.0)], [Bar(0.0, 4.0, 4, 1.0)])
    ch4 = arrange.arrange(score).channels[3]
    assert [(n.start, n.pitch) for n in ch4] == [(0, S.KICK), (12, S.SNARE), (24, S.CRASH)]


def test_repeated_notes_are_separated():
    notes = [S.Note(0, 12, 60), S.Note(12, 12, 60), S.Note(24, 12, 62)]
    out = arrange.separate_repeats(notes)
    assert [(n.start, n.length) for n in out] == [(0, 11), (12, 12), (24, 12)]


def test_fit_compass_moves_whole_octaves_then_folds():
    line = [S.Note(i, 1, p) for i, p in enumerate((36, 40, 43, 48, 30, 36, 36, 36, 36, 36))]
    out = arrange.fit_compass(line, 55, 91)
    assert [n.pitch for n in out] == [60, 64, 67, 72, 66, 60, 60, 60, 60, 60]
    assert [n.pitch for n in arrange.fit_compass(line[:3], 36, 43)] == [36, 40, 43]


def test_arrangement_is_deterministic():
    a = compile_song(arrange.arrange(four_voices(), seed=3))
    b = compile_song(arrange.arrange(four_voices(), seed=3))
    assert a == b
    sounds = {compile_song(arrange.arrange(tune(), seed=s))[20:40] for s in range(8)}
    assert len(sounds) > 1  # the seed picks among instrument sounds


def test_arrange_rejects_empty_and_unknown_style():
    with pytest.raises(ValueError, match="no pitched notes"):
        arrange.arrange(Score("Empty", "", "test/empty", []))
    with pytest.raises(ValueError, match="style"):
        arrange.arrange(tune(), style="polka")


# ---------------------------------------------------------------------------------------------
# Sources: MIDI (mido) and the music21 corpus


def test_midi_file_is_read_and_arranged(tmp_path):
    mido = pytest.importorskip("mido")
    from synthic.jukebox import sources

    mid = mido.MidiFile(ticks_per_beat=96)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=500_000, time=0))  # 120 qpm
    meta.append(mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=96 * 6))  # 60 from bar 3
    keys = mido.MidiTrack()
    keys.append(mido.MetaMessage("track_name", name="Waltz", time=0))
    for pitch in (60, 64, 67, 72, 67, 64, 60, 64, 67):
        keys.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        keys.append(mido.Message("note_on", note=pitch - 12, velocity=80, time=0))
        keys.append(mido.Message("note_off", note=pitch, velocity=0, time=96))
        keys.append(mido.Message("note_off", note=pitch - 12, velocity=0, time=0))
    drums = mido.MidiTrack()
    for k in range(9):
        drums.append(mido.Message("note_on", channel=9, note=36 if k % 3 == 0 else 42, time=0))
        drums.append(mido.Message("note_off", channel=9, note=36 if k % 3 == 0 else 42, time=96))
    mid.tracks += [meta, keys, drums]
    path = tmp_path / "waltz.mid"
    mid.save(path)

    (piece,) = sources.pieces(str(path))
    score = sources.load(piece)
    assert score.title == "Waltz" and score.tempo == [(0.0, 120.0), (6.0, 60.0)]
    assert score.bars[0] == Bar(0.0, 3.0, 3, 1.0) and len(score.bars) == 3
    song = arrange.arrange(score)
    assert song.seconds() == pytest.approx(6 * 0.5 + 3 * 1.0)
    assert [n.pitch for n in song.channels[3]] == [S.KICK, S.HAT, S.HAT] * 3
    assert len(song.channels[0]) == 9 and len(song.channels[2]) == 9
    assert [p.key for p in sources.pieces(str(tmp_path))] == ["waltz.mid"]


def test_bad_sources_are_one_line_errors(tmp_path):
    from synthic.errors import SynthicError
    from synthic.jukebox import sources

    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi")
    pytest.importorskip("mido")
    with pytest.raises(SynthicError, match="not a readable MIDI file"):
        sources.score_from_midi(bad)
    text = tmp_path / "x.txt"
    text.write_text("x")
    with pytest.raises(SynthicError, match="not a MIDI file"):
        sources.pieces(str(text))


@pytest.fixture(scope="module")
def music21():
    return pytest.importorskip("music21")


def test_corpus_selection_is_deterministic_and_interleaved(music21):
    from synthic.jukebox import sources

    def keys(seed):
        return [p.key for p in itertools.islice(sources.select(["bach", "oneills1850"], seed), 6)]

    first, again, other = keys(5), keys(5), keys(6)
    assert first == again != other
    assert [k.split("/")[0] for k in first] == ["bach", "oneills1850"] * 3
    assert all("#" in k for k in first[1::2])  # O'Neill's files hold many tunes each
    # shares of a selection: positions a..b-1 of each source, still interleaved
    whole = [p.key for p in itertools.islice(sources.select(["bach", "oneills1850"], 5), 8)]
    share = [p.key for p in sources.select(["bach", "oneills1850"], 5, slice(2, 4))]
    assert share == whole[4:8]
    with pytest.raises(Exception, match="unknown source"):
        sources.pieces("no_such_collection")


def test_a_corpus_tune_is_arranged(music21):
    from synthic.jukebox import sources

    piece = sources.Piece("oneills1850/0001-0050.abc#3", _corpus("oneills1850/0001-0050.abc"), 3)
    score = sources.load(piece)
    assert score.title == "The Little Heathy Hill" and score.parts == 1
    song = arrange.arrange(score)
    assert song.tags["harmonised"] and all(song.channels)
    assert 20 < song.seconds() < 120


def _corpus(rel: str) -> str:
    from synthic.jukebox.sources import _corpus_root

    return str(_corpus_root() / rel)


@pytest.mark.slow
def test_a_bach_chorale_is_arranged(music21):
    from synthic.jukebox import sources

    score = sources.load(sources.Piece("bach/bwv1.6.mxl", _corpus("bach/bwv1.6.mxl")))
    assert score.parts >= 4 and score.tempo[0][1] == 76.0
    song = arrange.arrange(score)
    assert song.tags == {"style": "chorale", "harmonised": False}
    assert song.seconds() == pytest.approx(80 * 60 / 76, rel=0.02)
