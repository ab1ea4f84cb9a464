"""`synthic songs`: the generated songs the quality gate passed, as WAV, .events, VGM, MIDI and a
ROM; the rejected ones left out with the reason; names from the table checked."""

from __future__ import annotations

import mido
import numpy as np
import soundfile

from synthic import audio, demo, events
from synthic.events.registers import CLOCK_HZ
from synthic.gb.header import parse_header


def generated(folder, rows: str):
    folder.mkdir()
    tune = demo.render("twinkle").between(0, 4 * CLOCK_HZ)
    for k in (1, 2):
        events.write(tune, folder / f"song_{k:02d}.events")
    pcm = audio.render_recording(tune)
    soundfile.write(folder / "song_01.wav", pcm, 44_100)
    (folder / "generate.tsv").write_text("song\ttokens\tquality\treason\n" + rows)
    return tune


def songs(cli, d):
    return cli("songs", str(d / "gen"), "-o", str(d / "songs"), "--wav", str(d / "wav"))


def test_songs_writes_every_format_of_the_passed_songs(tmp_path, cli):
    tune = generated(
        tmp_path / "gen", "song_01.events\t10\tok\t\nsong_02.events\t10\trejected\tsilent\n"
    )
    code, out, err = songs(cli, tmp_path)
    assert code == 0, err
    assert "1 of 2 songs" in out and "song_02: left out: silent" in err
    assert [p.name for p in (tmp_path / "wav").iterdir()] == ["song_01.wav"]
    files = sorted(p.name for p in (tmp_path / "songs").iterdir())
    assert files == ["song_01.events", "song_01.gb", "song_01.mid", "song_01.vgm"]
    out_dir = tmp_path / "songs"
    assert events.read(out_dir / "song_01.events").same_writes(tune)
    vgm = events.read(out_dir / "song_01.vgm")
    assert len(vgm) == len(tune) and np.array_equal(vgm.value, tune.value)
    assert mido.MidiFile(out_dir / "song_01.mid").length > 3
    assert parse_header((out_dir / "song_01.gb").read_bytes()).title == "SONG 01"


def test_songs_refuses_a_name_that_is_no_song(tmp_path, cli):
    generated(tmp_path / "gen", "song_01.events\t10\tok\t\n../../etc/passwd\t1\tok\t\n")
    code, out, err = songs(cli, tmp_path)
    assert code == 2
    assert "generate.tsv, line 3: not a song name: '../../etc/passwd'" in err
    code, out, err = cli(
        "songs", str(tmp_path / "nowhere"), "-o", str(tmp_path / "s"), "--wav", str(tmp_path / "w")
    )
    assert code == 2 and "nowhere/generate.tsv: cannot read" in err
