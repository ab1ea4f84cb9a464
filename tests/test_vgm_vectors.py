"""The real VGM songs in ../shared/test-vectors/vgm/ (copyrat90, CC0 and CC-BY-4.0)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from synthic import events

SONGS = {
    # file: (GD3 title, author, seconds, loops)
    "spooky_birthday.vgm": ("spooky birthday", "copyrat90", 5.7, False),
    "hell_owo_rld.vgm": ("HellOWOrld", "copyrat90", 43.1, True),
}


@pytest.mark.parametrize("name", SONGS)
def test_imports_with_tags_and_all_channels(vectors, name):
    title, author, seconds, loops = SONGS[name]
    rec = events.read(vectors / "vgm" / name)
    assert rec.meta["title"] == title and rec.meta["author"] == author
    assert rec.duration_seconds == pytest.approx(seconds, abs=0.05)
    assert ("loop_cycles" in rec.meta) == loops
    assert len(rec) > 1000
    assert set(np.unique(rec.channel).tolist()) == {0, 1, 2, 3, 4}
    assert (np.diff(rec.t_cycles) >= 0).all()


@pytest.mark.parametrize("name", SONGS)
@pytest.mark.parametrize("ext", [".vgm", ".vgz", ".events", ".events.txt"])
def test_export_and_reimport_gives_the_same_writes(vectors, tmp_path, name, ext):
    rec = events.read(vectors / "vgm" / name)
    out = tmp_path / ("song" + ext)
    notes = events.write(rec, out)
    if ext in (".vgm", ".vgz"):
        assert "largest error 0 T-cycles" in notes[0]
    back = events.read(out)
    assert back.same_writes(rec)
    assert back.length_cycles == rec.length_cycles
    assert back.meta.get("loop_cycles") == rec.meta.get("loop_cycles")
    assert back.meta["title"] == rec.meta["title"]


@pytest.mark.parametrize("name", SONGS)
def test_info_shows_gd3_title_and_author(cli, vectors, name):
    title, author, _, _ = SONGS[name]
    status, out, err = cli("info", vectors / "vgm" / name)
    assert status == 0, err
    assert re.search(rf"^title +{re.escape(title)}$", out, re.M)
    assert re.search(rf"^author +{author}$", out, re.M)
    status, out, _ = cli("info", "--json", vectors / "vgm" / name)
    doc = json.loads(out)
    assert doc["meta"]["title"] == title and doc["meta"]["author"] == author
    assert doc["writes"] == len(events.read(vectors / "vgm" / name))
    assert (
        doc["writes"]
        == sum(doc["writes_per_channel"].values())
        == sum(doc["writes_per_register"].values())
    )
