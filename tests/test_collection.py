"""Finding a collection's inputs, and the exploration schedule of a recording."""

from __future__ import annotations

import zipfile

import numpy as np

from synthic.collection import find_inputs, safe_name
from synthic.events.registers import CLOCK_HZ
from synthic.record.explore import ExploreConfig, rom_seed, schedule


def test_safe_names_are_stable_and_filesystem_safe():
    assert safe_name("Zelda/Link's Awakening (v1.2).gb") == "zelda_link_s_awakening_v1_2"
    assert safe_name("song.events.txt") == "song"
    assert safe_name("???.vgm") == "input"


def test_finds_roms_gbs_vgm_in_folders_and_zips_once_each(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/One.gb").write_bytes(b"1" * 400)
    (tmp_path / "a/copy.gb").write_bytes(b"1" * 400)  # same bytes: recorded once
    (tmp_path / "notes.txt").write_text("not an input")
    (tmp_path / "music.gbs").write_bytes(b"GBS")
    cgb = bytearray(400)
    cgb[0x143] = 0xC0
    (tmp_path / "colour.gbc").write_bytes(bytes(cgb))
    cgb[0x143] = 0x80  # CGB-enhanced: runs on the DMG
    (tmp_path / "both.gbc").write_bytes(bytes(cgb))
    with zipfile.ZipFile(tmp_path / "Pack.zip", "w") as z:
        z.writestr("inner/Two.gb", b"2" * 400)
        z.writestr("readme.txt", "x")
    found, skipped = find_inputs(str(tmp_path))
    names = {i.name: i for i in found}
    assert set(names) == {"a_one", "both", "music", "pack_inner_two"}
    assert names["pack_inner_two"].member == "inner/Two.gb"
    assert names["music"].kind == "gbs"
    reasons = {s.label.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons["copy.gb"] == "duplicate of a_one (same SHA-1)"
    assert "Color only" in reasons["colour.gbc"]
    again, _ = find_inputs(str(tmp_path))
    assert [i.name for i in again] == [i.name for i in found]


def test_schedule_is_seeded_and_alternates_windows():
    config = ExploreConfig()
    a = schedule(300, rom_seed(1, "abc"), config)
    assert a == schedule(300, rom_seed(1, "abc"), config)
    assert a != schedule(300, rom_seed(2, "abc"), config)
    assert a != schedule(300, rom_seed(1, "abd"), config)
    windows, taps = a
    assert windows[0].label == "startup" and windows[0].end_cycles == 8 * CLOCK_HZ
    labels = [w.label for w in windows[1:]]
    assert labels[::2] == ["press"] * len(labels[::2]) and set(labels[1::2]) == {"listen"}
    assert windows[-1].end_cycles == 300 * CLOCK_HZ
    # Taps fall inside press windows only, and never overlap.
    presses = [(w.start_cycles, w.end_cycles) for w in windows if w.label == "press"]
    for tap in taps:
        assert any(s <= tap.start_cycles and tap.end_cycles < e for s, e in presses)
    starts = np.array([t.start_cycles for t in taps])
    ends = np.array([t.end_cycles for t in taps])
    assert (starts[1:] >= ends[:-1]).all()
    assert {b for t in taps for b in t.buttons} <= set(config.buttons)
