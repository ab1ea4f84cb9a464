"""The prune stage: hands-off windows kept, press windows, silence, sound effects and
duplicates dropped, every candidate in the table (synthic.dataset.prune, synthic prune)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthic import events
from synthic.cli import main
from synthic.dataset.prune import (
    COLUMNS,
    TABLE,
    PruneConfig,
    cut,
    prune_recordings,
    sample_hash,
)
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ

C = CLOCK_HZ
NR52 = 0xFF26


@pytest.fixture(scope="module")
def jukebox_folder(tmp_path_factory):
    """A 120-s recording of a 2-song jukebox ROM with the default exploration (start-up, then
    press and listen windows), as the workflow records one."""
    from synthic.jukebox.build import build_jukebox
    from synthic.jukebox.collection import arrange_songs
    from synthic.record.recorder import record_file

    base = tmp_path_factory.mktemp("jukebox")
    songs, _ = arrange_songs(["bach", "ryansMammoth"], 2, 0, share=slice(0, 1))
    rom = base / "jukebox_01.gb"
    rom.write_bytes(build_jukebox(songs, title="SYNTHIC JB 01"))
    folder = base / "recordings"
    record_file(rom, folder, seconds=120.0)
    return folder


@pytest.fixture(scope="module")
def jukebox_rec(jukebox_folder) -> Recording:
    return events.read(jukebox_folder / "jukebox_01.events")


def _music(rec: Recording, seconds: float) -> Recording:
    """`seconds` of hands-off music from the first long listen window, without markers."""
    listen = next(
        m for m in rec.markers if m["label"] == "listen" and m["end"] - m["start"] > 25 * C
    )
    start = listen["start"] + 3 * C
    part = rec.between(start, start + int(seconds * C))
    part.meta.pop("markers", None)
    return part


@pytest.fixture(scope="module")
def sfx_rec() -> Recording:
    """40 s of the jukebox driver with no songs (its directory wiped) while A, B and Select are
    tapped every 0.3 s: its three sound effects and nothing else."""
    from synthic.gb import Emulator
    from synthic.jukebox.build import BANK_SIZE
    from synthic.jukebox.images import JUKEBOX_IMAGE

    image = bytearray(JUKEBOX_IMAGE.read_bytes())
    image[BANK_SIZE : BANK_SIZE + 4] = bytes(4)  # no "SYNJ" directory: no music
    emu = Emulator(bytes(image))
    rng = np.random.default_rng(0)
    while emu.t_cycles < 40 * C:
        button = ["a", "b", "select"][rng.integers(3)]
        emu.press([button])
        emu.run_cycles(int(0.1 * C))
        emu.release([button])
        emu.run_cycles(int(0.2 * C))
    rec = emu.recording()
    rec.meta.pop("markers", None)  # judged as a markerless recording: no "buttons pressed"
    return rec.between(0, 40 * C)


def _write(folder, name, rec):
    folder.mkdir(parents=True, exist_ok=True)
    events.write(rec, folder / f"{name}.events")


def _contiguous(table: pd.DataFrame, rec: Recording) -> None:
    """The rows cover the recording from 0 to its end without gaps or overlaps."""
    assert table["start_cycles"].iloc[0] == 0
    assert (table["start_cycles"].to_numpy()[1:] == table["end_cycles"].to_numpy()[:-1]).all()
    assert rec.length_cycles - table["end_cycles"].iloc[-1] < 70_224


def test_listen_windows_kept_press_windows_dropped(jukebox_folder, jukebox_rec, tmp_path):
    config = PruneConfig()
    table = prune_recordings(jukebox_folder, tmp_path, config)
    rec = jukebox_rec
    settle = int(config.settle_seconds * C)
    presses = [m for m in rec.markers if m["label"] == "press"]
    hands_off = [m for m in rec.markers if m["label"] in ("listen", "startup")]
    assert presses and len(table) >= len(presses) + 3
    kept = table[table["kept"]]
    assert len(kept) >= 2
    for _, row in kept.iterrows():
        s, e = row["start_cycles"], row["end_cycles"]
        assert any(m["start"] <= s and e <= m["end"] for m in hands_off)
        for m in presses:  # never during a press window or its settling time
            assert e <= m["start"] or s >= m["end"] + settle
        sample = events.read(tmp_path / row["sample"])
        assert sample.same_writes(rec.between(s, e))
        assert sample.meta["sha1"] == rec.meta["sha1"]
        assert sample.meta["source"] == rec.meta["source"]
        assert (sample.meta["sample_start_cycles"], sample.meta["sample_end_cycles"]) == (s, e)
        assert "markers" not in sample.meta
    pressed = table[table["reason"] == "buttons pressed"]
    for m in presses:  # each press window (and its settling time) is a dropped row
        assert any(
            r.start_cycles <= m["start"]
            and min(m["end"] + settle, rec.length_cycles) <= r.end_cycles
            for r in pressed.itertuples()
        )
    written = sorted(p.name for p in tmp_path.glob("*.s*.events"))
    assert written == sorted(kept["sample"])


def test_table_lists_every_candidate_with_a_reason(jukebox_folder, jukebox_rec, tmp_path):
    table = prune_recordings(jukebox_folder, tmp_path)
    assert list(table.columns) == list(COLUMNS)
    _contiguous(table, jukebox_rec)
    assert (table["reason"].where(~table["kept"], "x") != "").all()  # dropped: a reason
    assert (table.loc[table["kept"], "reason"] == "").all()
    assert table.loc[table["kept"], "hash"].str.fullmatch("[0-9a-f]{32}").all()
    on_disk = pd.read_csv(tmp_path / TABLE, sep="\t", keep_default_na=False)
    assert len(on_disk) == len(table)
    assert list(on_disk["kept"].astype(str)) == [str(k) for k in table["kept"]]
    # the settings change the candidates: a longer start-up margin and shorter samples
    short = prune_recordings(jukebox_folder, tmp_path / "short", PruneConfig(max_seconds=12))
    assert short["kept"].sum() > table["kept"].sum()
    assert (short.loc[short["kept"], "seconds"] <= 12 + 1e-6).all()
    assert (short.loc[short["kept"], "seconds"] >= 10 - 1e-6).all()


def test_silence_dropped(jukebox_rec, tmp_path):
    music = _music(jukebox_rec, 20)
    off = Recording([0], [NR52], [0], length_cycles=20 * C)  # power off, then 20 s of nothing
    rec = Recording.concatenate([music, off])
    _write(tmp_path / "in", "quiet", rec)
    config = PruneConfig(min_seconds=10, max_seconds=20)
    table = prune_recordings(tmp_path / "in", tmp_path / "out", config)
    assert list(table["reason"]) == ["", "silent"]
    assert table["sounding"].iloc[1] < 0.1 and table["sounding"].iloc[0] > 0.9
    # mostly silent: 5 s of music and 15 s of nothing is silent for min_sounding 0.5
    rec = Recording.concatenate([_music(jukebox_rec, 5), off.between(0, 15 * C)])
    _write(tmp_path / "in2", "mostly", rec)
    table = prune_recordings(tmp_path / "in2", tmp_path / "out2", config)
    assert list(table["reason"]) == ["silent"] and "mostly silent" in table["detail"].iloc[0]
    table = prune_recordings(
        tmp_path / "in2", tmp_path / "out3", PruneConfig(min_seconds=10, min_sounding=0.2)
    )
    assert list(table["kept"]) == [True]


def test_sound_effects_dropped_music_kept(sfx_rec, jukebox_rec, tmp_path):
    rec = Recording.concatenate([sfx_rec, _music(jukebox_rec, 20)])
    _write(tmp_path / "in", "mixed", rec)
    table = prune_recordings(tmp_path / "in", tmp_path / "out", PruneConfig(max_seconds=20))
    assert list(table["start_s"]) == pytest.approx([0, 20, 40], abs=0.1)
    assert list(table["reason"]) == ["sound effect", "sound effect", ""]
    effects = table.iloc[:2]
    assert (effects["sounding"] >= 0.5).all()  # audible: not dropped as silence
    assert (effects["notes"] <= 5).all()  # the driver's three effects have 5 notes in all
    assert table["notes"].iloc[2] >= 8
    # the rule is the cause: with min_notes 0 and no coverage floor the effects are kept
    loose = PruneConfig(max_seconds=20, min_notes=0, min_note_coverage=0)
    table = prune_recordings(tmp_path / "in", tmp_path / "loose", loose)
    assert table["kept"].all()


def test_duplicates_found(jukebox_rec, tmp_path):
    music = _music(jukebox_rec, 20)
    twice = Recording.concatenate([music, music])
    _write(tmp_path / "in", "twice", twice)
    # aligned: the second half is the first again, exactly
    table = prune_recordings(tmp_path / "in", tmp_path / "a", PruneConfig(max_seconds=20))
    assert list(table["reason"]) == ["", "duplicate of twice.s000.events"]
    assert sample_hash(twice.between(20 * C, 40 * C)) == sample_hash(music)
    assert table["hash"].iloc[0] == sample_hash(music)
    # not aligned: 3 samples of 13.3 s; the third (music 6.7-20 s) was heard in the first two
    table = prune_recordings(tmp_path / "in", tmp_path / "b", PruneConfig(max_seconds=15))
    assert list(table["kept"]) == [True, True, False]
    assert table["reason"].iloc[2].startswith("duplicate of twice.s00")
    assert table["overlap"].iloc[1] < 0.8 <= table["overlap"].iloc[2]
    assert len(list((tmp_path / "b").glob("*.events"))) == 2
    # music heard once is not a duplicate
    _write(tmp_path / "once", "once", _music(jukebox_rec, 40))
    table = prune_recordings(tmp_path / "once", tmp_path / "c", PruneConfig(max_seconds=15))
    assert table["kept"].all()


def test_recordings_without_markers_cut_from_start_to_end(jukebox_rec, tmp_path):
    song = Recording.concatenate([_music(jukebox_rec, 22), _music(jukebox_rec, 22)], gap_cycles=0)
    song = song.between(0, 43 * C)
    song.meta.update(song=3, title="A GBS")
    _write(tmp_path / "in", "game.song03", song)
    _write(tmp_path / "in", "game.song04", song.between(0, 8 * C))  # under min_seconds
    table = prune_recordings(tmp_path / "in", tmp_path / "out", PruneConfig(duplicate_overlap=1))
    first = table[table["recording"] == "game.song03"]
    _contiguous(first, song)
    assert list(first["seconds"]) == pytest.approx([21.5, 21.5])  # ceil(43 / 30) = 2 equal
    assert list(first["sample"]) == ["game.song03.s000.events", "game.song03.s001.events"]
    assert first["kept"].all()
    assert events.read(tmp_path / "out" / "game.song03.s001.events").meta["song"] == 3
    second = table[table["recording"] == "game.song04"]
    assert list(second["reason"]) == ["too short"]


def test_cut_rule():
    cfg = PruneConfig(min_seconds=10, max_seconds=30)
    assert cut(0, 5 * C, cfg) == [(0, 5 * C, False)]
    assert cut(0, 30 * C, cfg) == [(0, 30 * C, True)]
    assert [(e - s) / C for s, e, _ in cut(0, 61 * C, cfg)] == pytest.approx([61 / 3] * 3)
    # min > max / 2: 35 s cannot be two samples of 20-30 s: one of 30 s and 5 s too short
    cfg = PruneConfig(min_seconds=20, max_seconds=30)
    assert cut(0, 35 * C, cfg) == [(0, 30 * C, True), (30 * C, 35 * C, False)]


def test_config_validated():
    assert PruneConfig.from_dict({"min_seconds": 5, "startup": False}).startup is False
    for bad in (
        {"min_seconds": float("nan")},
        {"max_seconds": float("inf")},
        {"min_seconds": 40},  # more than max_seconds
        {"min_seconds": True},
        {"min_sounding": 1.5},
        {"min_notes": 2.5},
        {"startup": 1},
        {"nonsense": 1},
    ):
        with pytest.raises(ValueError):
            PruneConfig.from_dict(bad)


def test_cli_writes_outputs_and_an_empty_folder_works(jukebox_folder, tmp_path, capsys):
    out = tmp_path / "samples"
    assert main(["prune", str(jukebox_folder), "-o", str(out), "--max-seconds", "20"]) == 0
    line = capsys.readouterr().out
    assert "candidates" in line and "kept" in line and "s of music kept" in line
    table = pd.read_csv(out / TABLE, sep="\t", keep_default_na=False)
    kept = table[table["kept"].astype(str) == "True"]
    assert len(kept) and all((out / name).is_file() for name in kept["sample"])
    assert (table.loc[table["sample"] != "", "seconds"] <= 20 + 1e-6).all()
    # a refused input: outcome.json and no recording
    empty = tmp_path / "refused"
    empty.mkdir()
    (empty / "outcome.json").write_text(json.dumps({"outcome": "refused"}))
    assert main(["prune", str(empty), "-o", str(tmp_path / "none")]) == 0
    table = pd.read_csv(tmp_path / "none" / TABLE, sep="\t")
    assert len(table) == 0 and list(table.columns) == list(COLUMNS)
    assert not list((tmp_path / "none").glob("*.events"))
    # bad settings and a missing folder: one line, status 2
    assert main(["prune", str(empty), "-o", str(tmp_path / "x"), "--config", '{"a": 1}']) == 2
    assert main(["prune", str(empty), "-o", str(tmp_path / "x"), "--min-seconds", "nan"]) == 2
    assert main(["prune", str(tmp_path / "missing"), "-o", str(tmp_path / "x")]) == 2
    assert main(["prune", str(empty), "-o", str(empty)]) == 2


def test_normalise_option_keeps_each_sample_audio_identical(tmp_path):
    """prune with normalise: each kept sample loses only writes that change nothing (the table
    counts them), and renders bit-identical to the sample pruned without it."""
    from synthic import audio, demo

    folder = tmp_path / "rec"
    folder.mkdir()
    events.write(demo.render("frere_jacques"), folder / "frere_jacques.events")
    plain = prune_recordings(folder, tmp_path / "plain", PruneConfig(min_seconds=5))
    normal = prune_recordings(folder, tmp_path / "norm", PruneConfig(min_seconds=5, normalise=True))
    kept = normal[normal["kept"]]
    assert len(kept) >= 1 and (kept["writes_kept"] <= kept["writes"]).all()
    assert kept["writes_kept"].sum() < kept["writes"].sum()  # the tune starts from power-on
    for name in kept["sample"]:
        a = audio.render_recording(events.read(tmp_path / "plain" / name))
        b = audio.render_recording(events.read(tmp_path / "norm" / name))
        assert np.array_equal(a, b)
    assert plain["writes"].sum() == plain["writes_kept"].sum()
