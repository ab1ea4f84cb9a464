"""The jukebox driver, its song format and its ROMs: the song compiler, ROMs built without an
assembler, the committed images rebuilt byte for byte (with sdcc), the driver model, and the
ROMs played in PyBoy (with pyboy) and recorded by Synthic's emulator (when it exists)."""

from __future__ import annotations

import argparse
import io

import pytest

from synthic.errors import SynthicError
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ, FRAME_HZ, FRAME_T_CYCLES
from synthic.gb import header
from synthic.jukebox import build, compile, images, model
from synthic.jukebox import song as S
from synthic.jukebox.song import Instrument, Note, Song
from tools import asm

needs_sdcc = pytest.mark.skipif(not asm.sdcc_available(), reason="sdcc (sdasgb) not installed")

# WRAM variables of the driver (driver/layout.inc).
JB_MAGIC, JB_FRAME, JB_SONG, JB_COUNT, JB_STATE = 0xC000, 0xC002, 0xC004, 0xC005, 0xC006
JB_CHANGES, JB_CAUSE, JB_SFX, JB_TICK = 0xC007, 0xC008, 0xC00B, 0xC00E
JB_CHANNELS, CH_SIZE, C_FLAGS = 0xC040, 32, 6


def sample_song(title: str = "Sample", transpose: int = 0, tempo: float = 150.0) -> Song:
    """Every feature: pulse notes with vibrato and arpeggio, two wave tables (one the song's
    own), drums with a second noise setting, a tempo change, a note longer than 255 ticks."""
    ch1 = [Note(6 * i, 5, 72 + transpose + (0, 2, 4, 5, 7, 9, 11, 12)[i % 8]) for i in range(16)]
    ch1.append(Note(96, 300, 72 + transpose))
    ch2 = [
        Note(24 * i, 20, 60 + transpose, 1, ((4, 7), (3, 7), (5, 9), (0, 0))[i % 4])
        for i in range(8)
    ]
    ch3 = [Note(12 * i, 10, 36 + transpose + (0, 7)[i % 2], 2 + (i // 4) % 2) for i in range(16)]
    ch4 = [Note(6 * i, 6, (S.KICK, S.HAT, S.SNARE, S.HAT)[i % 4], 4) for i in range(32)]
    return Song(
        title=title,
        author="test",
        source="tests/test_jukebox_build.py",
        ticks_per_quarter=12,
        tempo=[(0, tempo), (96, tempo * 1.5)],
        channels=(ch1, ch2, ch3, ch4),
        instruments=[
            Instrument(S.DUTY_50, 0xC3, S.vibrato_byte(delay_frames=8, depth=1, speed=1)),
            Instrument(S.DUTY_25, 0x82),
            Instrument(S.WAVE_TRIANGLE, S.WAVE_100),
            Instrument(0x80, S.WAVE_50),  # the song's wave 0
            Instrument(0, 0),
        ],
        length=396,
        waves=[bytes(range(0x00, 0x100, 0x11))],
    )


@pytest.fixture(scope="module")
def rom() -> bytes:
    return build.build_jukebox([sample_song("One"), sample_song("Two", 5, 120.0)])


# ---------------------------------------------------------------------------------------------
# The song compiler


def test_song_compiles_and_decodes_back():
    song = sample_song()
    data = compile.compile_song(song, 0x4123)
    decoded = compile.decode_song(data, 0x4123)
    assert decoded.text == ["Sample", "test", "tests/test_jukebox_build.py"]
    assert decoded.length == 396 and (decoded.nr50, decoded.nr51) == (0x77, 0xFF)
    assert decoded.tempo == [
        (0, compile.tempo_value(150.0, 12)),
        (96, compile.tempo_value(225, 12)),
    ]
    for ch in range(4):
        notes = [e for e in decoded.channels[ch] if e.kind == "note"]
        want = song.channels[ch]
        assert [e.tick for e in notes] == [n.start for n in want]
        assert [e.instrument for e in notes] == [n.instrument for n in want]
        assert [e.arp for e in notes] == [n.arp[0] << 4 | n.arp[1] for n in want]
        assert [e.value for e in notes] == [compile.note_byte(ch, n.pitch) for n in want]
    # the 300-tick note: 255 + a WAIT of 45, with the tempo change at its start
    tail = decoded.channels[0][-3:]
    assert [(e.kind, e.length) for e in tail[-2:]] == [("note", 255), ("wait", 45)]
    assert decoded.seconds() == pytest.approx(song.seconds(), rel=1e-3)


def test_compiled_size_does_not_depend_on_the_address():
    song = sample_song()
    assert len(compile.compile_song(song, 0x4000)) == len(compile.compile_song(song, 0x7000))


def test_stream_uses_the_documented_bytes():
    song = Song(
        "T",
        "",
        "",
        12,
        [(0, 120.0)],
        ([Note(0, 12, 60), Note(24, 6, 62)], [], [], []),
        [Instrument(0x80, 0xF0)],
        30,
    )
    data = compile.compile_song(song, 0x4000)
    header = data[:20]
    assert header[0:2] == compile.tempo_value(120.0, 12).to_bytes(2, "little")
    ch1 = int.from_bytes(header[4:6], "little") - 0x4000
    assert header[6:12] == bytes(6)  # CH2-CH4 silent
    # INST 0, LEN 12, NOTE C4 (24), REST, LEN 6, NOTE D4 (26), END
    assert data[ch1:] == bytes((0x63, 0, 0x62, 12, 24, 0x60, 0x62, 6, 26, 0x67))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.channels[3].append(Note(390, 30, 0, 4)), "ends after the song"),
        (lambda s: s.channels[1].insert(1, Note(5, 30, 60)), "overlap"),
        (lambda s: s.channels[3].append(Note(396, 0, 0, 4)), "empty note"),
        (lambda s: s.channels[2].__setitem__(0, Note(0, 1, 10)), "outside the driver's table"),
        (lambda s: s.channels[0].__setitem__(0, Note(0, 1, 60, 9)), "unknown instrument"),
    ],
)
def test_bad_songs_are_refused(change, message):
    song = sample_song()
    song.length = 500 if message != "ends after the song" else song.length
    change(song)
    with pytest.raises(ValueError, match=message):
        compile.compile_song(song)


def test_tempo_limits():
    assert compile.tempo_value(298, 12) <= 0xFFFF
    with pytest.raises(compile.CompileError, match="at most"):
        compile.tempo_value(300, 12)
    assert compile.tempo_ticks_per_second(compile.tempo_value(100, 12)) == pytest.approx(20, 1e-4)


def test_period_table_matches_pan_docs_formula():
    table = S.period_table()
    assert len(table) == S.NOTE_COUNT
    a4 = 69 - S.FIRST_PULSE_MIDI
    assert 131072 / (2048 - table[a4]) == pytest.approx(440, rel=2e-3)
    assert table == sorted(table)


# ---------------------------------------------------------------------------------------------
# ROMs without an assembler


def test_rom_build_is_deterministic_and_well_formed(rom):
    assert build.build_jukebox([sample_song("One"), sample_song("Two", 5, 120.0)]) == rom
    assert len(rom) == 2 * header.BANK_BYTES
    assert rom[:0x100] == images.JUKEBOX_IMAGE.read_bytes()[:0x100]  # the committed driver
    assert rom[0x134:0x143] == b"SYNTHIC JUKEBOX"
    assert (rom[0x147], rom[0x148]) == (0x19, 0)  # MBC5, 32 KiB
    assert rom[0x14D] == header.header_checksum(rom)
    assert int.from_bytes(rom[0x14E:0x150], "big") == header.global_checksum(rom)
    assert [t["title"] for t in build.song_titles(rom)] == ["One", "Two"]
    first, second = build.read_directory(rom)
    assert (first.bank, first.address) == (1, 0x4000 + 8 + 8)
    assert compile.decode_song(build.song_bytes(rom, second), second.address).text[0] == "Two"


def test_songs_fill_banks_in_order():
    big = 6000
    placements = build.place([big, big, big, 100])
    assert [(p.bank, p.address) for p in placements] == [
        (1, 0x4000 + 24),
        (1, 0x4000 + 24 + big),
        (2, 0x4000),
        (2, 0x4000 + big),
    ]
    size = len(compile.compile_song(sample_song("S00")))
    count = 3 * header.BANK_BYTES // size  # three banks' worth
    image = build.build_jukebox([sample_song(f"S{i:02d}") for i in range(count)])
    directory = build.read_directory(image)
    assert len(directory) == count
    assert sorted({p.bank for p in directory}) == [1, 2, 3, 4]
    assert len(image) == 8 * header.BANK_BYTES  # 5 banks, rounded up to a power of two
    assert [t["title"] for t in build.song_titles(image)] == [f"S{i:02d}" for i in range(count)]
    with pytest.raises(SynthicError, match="1 to 255 songs"):
        build.place([])
    with pytest.raises(SynthicError, match="does not fit"):
        build.place([20000])


def test_driver_image_version_is_checked(monkeypatch, tmp_path):
    fake = tmp_path / "jukebox.gb"
    fake.write_bytes(bytes(0x8000))
    monkeypatch.setattr(build, "JUKEBOX_IMAGE", fake)
    with pytest.raises(SynthicError, match="rebuild it"):
        build.build_jukebox([sample_song()])


def test_model_reads_the_tables_of_the_committed_image(rom):
    m = model.DriverModel(rom)
    assert m.periods == S.period_table()
    assert m.waves[S.WAVE_TRIANGLE] == bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert len(m.kit) == S.DRUM_COUNT


def test_model_plays_every_channel_and_ends(rom):
    writes, frames = model.driver_writes(rom, 0)
    channels = {(a - 0xFF10) // 5 for _, a, _ in writes if a < 0xFF24}
    assert channels == {0, 1, 2, 3}
    assert any(0xFF30 <= a <= 0xFF3F for _, a, _ in writes)  # wave tables loaded
    song = sample_song()
    assert frames / FRAME_HZ == pytest.approx(song.seconds(), abs=0.1)


# ---------------------------------------------------------------------------------------------
# The committed images


def test_committed_images_are_valid():
    for spec in images.IMAGES:
        image = spec.image.read_bytes()
        assert len(image) == 2 * header.BANK_BYTES
        assert image[0x147] == 0x19 and image[0x100:0x102] == b"\x00\xc3"
        assert image[0x14D] == header.header_checksum(image)
    assert images.JUKEBOX_IMAGE.read_bytes()[0x3FF0:0x3FF5] == b"SYNJ\x01"
    assert images.PERIODS_INC.read_text() == images.periods_inc()


@needs_sdcc
@pytest.mark.parametrize("spec", images.IMAGES, ids=lambda s: s.name)
def test_committed_image_is_rebuilt_byte_for_byte(spec):
    assert spec.build() == spec.image.read_bytes(), (
        f"{spec.image.name} is stale: run python -m synthic.jukebox.images"
    )


# ---------------------------------------------------------------------------------------------
# PyBoy: the driver plays, the buttons switch songs, the model predicts every music write

try:
    from pyboy import PyBoy
except ImportError:  # pragma: no cover - a development dependency (the dev extra)
    PyBoy = None

needs_pyboy = pytest.mark.skipif(
    PyBoy is None, reason="pyboy not installed (bash tests/install.sh, or pip install pyboy)"
)
WR_ADDRESS = None  # the driver's `ldh (c), a` in `wr`, found below


def _wr_write_address(image: bytes) -> int:
    """The `ldh (c), a` (0xE2) of the driver's `wr` routine: `push af; ld a, (W_FLAGS); bit
    F_MUTED, a; jr nz, 1$; pop af; ldh (c), a` (f5 fa c6 c0 cb 57 20 03 f1 e2)."""
    at = image.find(bytes.fromhex("f5fac6c0cb572003f1e2"), 0x150, 0x4000)
    assert at > 0
    return at + 9


class Player:
    """A ROM in PyBoy with the music writes of the driver's `wr` hooked."""

    def __init__(self, image: bytes):
        self.pyboy = PyBoy(io.BytesIO(image), window="null", sound_emulated=True)
        self.memory = self.pyboy.memory
        self.writes: list[tuple[int, int, int]] = []  # (JB_CHANGES, address, value)
        self.pyboy.hook_register(0, _wr_write_address(image), self._hook, None)
        frames = 0
        while self.memory[JB_MAGIC] != ord("J"):  # PyBoy runs a boot ROM first
            self.pyboy.tick(1, False)
            frames += 1
            assert frames < 600

    def _hook(self, _context) -> None:
        rf = self.pyboy.register_file
        self.writes.append((self.memory[JB_CHANGES], 0xFF00 | rf.C, rf.A))

    def tick(self, frames: int) -> None:
        self.pyboy.tick(frames, False)

    def press(self, button: str, frames: int = 3) -> None:
        self.pyboy.button_press(button)
        self.tick(frames)
        self.pyboy.button_release(button)
        self.tick(frames)

    def stop(self) -> None:
        self.pyboy.stop(save=False)


@pytest.fixture
def player(rom):
    if PyBoy is None:
        pytest.skip("pyboy not installed")
    p = Player(rom)
    yield p
    p.stop()


@needs_pyboy
def test_jukebox_rom_plays_all_four_channels_in_pyboy(player):
    m = player.memory
    assert (m[JB_COUNT], m[JB_SONG], m[JB_STATE]) == (2, 0, 1)
    player.tick(120)
    assert m[0xFF26] & 0x8F == 0x8F  # NR52: on, all four channels sounding
    channels = {(a - 0xFF10) // 5 for _, a, _ in player.writes if a < 0xFF24}
    assert channels == {0, 1, 2, 3}
    assert m[JB_TICK] | m[JB_TICK + 1] << 8 > 0


@needs_pyboy
def test_model_predicts_every_music_write_in_pyboy(player, rom):
    _, frames0 = model.driver_writes(rom, 0)
    _, frames1 = model.driver_writes(rom, 1)
    player.tick(frames0 + model.GAP_FRAMES + frames1 + 10)  # song 0, the pause, song 1
    for index in (0, 1):
        want, _ = model.driver_writes(rom, index)
        want = [(a, v) for _, a, v in want[11:] if not 0xFF30 <= a <= 0xFF3F]  # through `wr`
        got = [(a, v) for n, a, v in player.writes if n == index + 1]
        assert got[: len(want)] == want, f"song {index}"
    assert player.memory[JB_CAUSE] == 4  # song 1 started because song 0 ended


@needs_pyboy
def test_buttons_switch_songs_and_play_sound_effects(player):
    m = player.memory
    player.tick(30)
    player.press("right")
    assert (m[JB_SONG], m[JB_CHANGES], m[JB_CAUSE]) == (1, 2, 1)
    player.press("right")
    assert (m[JB_SONG], m[JB_CAUSE]) == (0, 1)  # wraps
    player.press("left")
    assert (m[JB_SONG], m[JB_CAUSE]) == (1, 2)
    player.press("start")
    assert (m[JB_SONG], m[JB_CHANGES], m[JB_CAUSE]) == (1, 5, 3)
    # A: a sound effect takes CH1 over; the music keeps its place and writes nothing there
    player.pyboy.button_press("a")
    player.tick(2)
    assert m[JB_SFX] == 1 and m[JB_CHANNELS + C_FLAGS] & 0x04
    before = len(player.writes)
    player.pyboy.button_release("a")
    player.tick(10)
    assert not [a for _, a, _ in player.writes[before:] if 0xFF10 <= a <= 0xFF14]
    player.tick(20)
    assert m[JB_SFX] == 0 and not m[JB_CHANNELS + C_FLAGS] & 0x04  # CH1 given back
    player.press("b")
    assert m[JB_SFX] == 2 and m[JB_CHANNELS + 3 * CH_SIZE + C_FLAGS] & 0x04
    player.press("select")
    assert m[JB_SFX] == 3  # replaces the one playing
    assert not m[JB_CHANNELS + 3 * CH_SIZE + C_FLAGS] & 0x04
    player.press("up")
    assert (m[JB_SONG], m[JB_CHANGES]) == (1, 5)  # Up does nothing


@needs_pyboy
def test_committed_jukebox_image_plays_in_pyboy():
    p = Player(images.JUKEBOX_IMAGE.read_bytes())
    try:
        p.tick(60 * 9)
        assert p.memory[JB_SONG] == 1 and p.memory[JB_CAUSE] == 4  # "Scale" ended
        p.tick(60 * 10)
        assert p.memory[JB_SONG] == 1 and p.memory[JB_STATE] == 1  # "Loop" loops
        assert {(a - 0xFF10) // 5 for _, a, _ in p.writes if a < 0xFF24} == {0, 1, 2, 3}
    finally:
        p.stop()


# ---------------------------------------------------------------------------------------------
# Synthic's emulator (synthic.gb.Emulator; skipped until it exists)


def _emulator():
    gb = pytest.importorskip("synthic.gb")
    if not hasattr(gb, "Emulator"):
        pytest.skip("synthic.gb.Emulator is not written yet")
    return gb.Emulator


def test_recording_a_jukebox_rom_gives_music_and_song_changes(rom):
    Emulator = _emulator()
    emu = Emulator(rom)
    emu.run(seconds=5.0)
    emu.press(["right"])
    emu.run(seconds=0.2)
    emu.release(["right"])
    emu.run(seconds=5.0)
    rec = emu.recording()
    frame = FRAME_T_CYCLES
    from synthic.events.registers import channel_of

    assert set(channel_of(rec.address).tolist()) >= {1, 2, 3, 4}  # music on all four channels
    markers = rec.meta.get("markers", [])
    pressed = [m for m in markers if abs(m["start"] - 5.0 * CLOCK_HZ) < 2 * frame]
    assert pressed, f"no marker for the press at 5 s: {markers}"
    start = pressed[0]["start"]
    # before the press: song 0 exactly as the model plays it; after it: song 1 from its start
    writes = list(zip(rec.address.tolist(), rec.value.tolist(), strict=True))
    t = rec.t_cycles
    before = [w for w, tc in zip(writes, t.tolist(), strict=True) if tc < start]
    after = [w for w, tc in zip(writes, t.tolist(), strict=True) if tc >= start]
    song0, _ = model.driver_writes(rom, 0)
    assert before == [(a, v) for _, a, v in song0[: len(before)]]
    song1, _ = model.driver_writes(rom, 1)
    song_start = [(a, v) for _, a, v in song1[4:]]  # from silence_all on (no power-on writes)
    k = next(i for i in range(len(after)) if after[i : i + 5] == song_start[:5])
    assert k < 200  # within the frame of the press (the old song may finish its frame)
    n = min(len(after) - k, len(song_start))
    assert after[k : k + n] == song_start[:n]


# ---------------------------------------------------------------------------------------------
# The collection and `synthic jukebox`


def _midi_folder(tmp_path, count: int = 3):
    mido = pytest.importorskip("mido")
    folder = tmp_path / "midi"
    folder.mkdir()
    for k in range(count):
        mid = mido.MidiFile(ticks_per_beat=48)
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"Tune {k}", time=0))
        for i in range(48):  # 12 s at 120 qpm: a scale up and down, with a bass
            pitch = 60 + k + (0, 2, 4, 5, 7, 9, 11, 12, 11, 9, 7, 5, 4, 2)[i % 14]
            track.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
            track.append(mido.Message("note_on", note=36 + k, velocity=90, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=24))
            track.append(mido.Message("note_off", note=36 + k, velocity=0, time=0))
        mid.tracks.append(track)
        mid.save(folder / f"tune{k}.mid")
    return folder


def test_jukebox_command_builds_roms_from_midi_files(tmp_path, capsys):
    from synthic.cli import HelpFormatter
    from synthic.commands import jukebox as jukebox_command

    folder = _midi_folder(tmp_path)
    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    jukebox_command.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "out"
    args = parser.parse_args(
        [
            "jukebox",
            "-o",
            str(out),
            "--roms",
            "1",
            "--songs",
            "3",
            "--sources",
            str(folder),
            "--stats",
        ]
    )
    assert args.run(args) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out / 'jukebox_01.gb'}" in printed and "3 songs" in printed
    assert "CH1:" in printed and "writes/s" in printed
    image = (out / "jukebox_01.gb").read_bytes()
    assert sorted(t["title"] for t in build.song_titles(image)) == ["Tune 0", "Tune 1", "Tune 2"]
    table = (out / "jukebox.tsv").read_text().splitlines()
    assert table[0].split("\t")[:3] == ["rom", "song", "title"] and len(table) == 4
    # the same command gives the same bytes
    again = tmp_path / "again"
    args = parser.parse_args(
        ["jukebox", "-o", str(again), "--roms", "1", "--songs", "3", "--sources", str(folder)]
    )
    args.run(args)
    assert (again / "jukebox_01.gb").read_bytes() == image
    # ROM 2 draws from pieces 3-4 of the folder, which holds 3
    with pytest.raises(SynthicError, match="jukebox_02: only 1 of 2 songs .* pieces 3-4 of"):
        args = parser.parse_args(
            ["jukebox", "-o", str(again), "--roms", "2", "--songs", "2", "--sources", str(folder)]
        )
        args.run(args)


def test_each_rom_builds_alone_from_its_own_share(tmp_path, cli):
    """`--rom I` writes ROM I of the collection byte for byte; ROM I does not depend on
    --roms; ROMs share no song."""
    folder = _midi_folder(tmp_path, count=6)
    common = ["--songs", "2", "--sources", folder]
    status, out, err = cli("jukebox", "-o", tmp_path / "all3", "--roms", "3", *common)
    assert status == 0, err
    assert cli("jukebox", "-o", tmp_path / "all2", "--roms", "2", *common)[0] == 0
    status, out, err = cli("jukebox", "-o", tmp_path / "one", "--rom", "2", *common)
    assert status == 0, err
    assert f"wrote {tmp_path / 'one/jukebox_02.gb'}" in out
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "jukebox_02.gb",
        "jukebox_02.tsv",
    ]
    one = (tmp_path / "one/jukebox_02.gb").read_bytes()
    assert one == (tmp_path / "all3/jukebox_02.gb").read_bytes()
    for name in ("jukebox_01.gb", "jukebox_02.gb"):
        assert (tmp_path / "all2" / name).read_bytes() == (tmp_path / "all3" / name).read_bytes()
    titles = [
        t["title"]
        for k in (1, 2, 3)
        for t in build.song_titles((tmp_path / f"all3/jukebox_0{k}.gb").read_bytes())
    ]
    assert sorted(titles) == [f"Tune {k}" for k in range(6)]
    rows = (tmp_path / "one/jukebox_02.tsv").read_text().splitlines()
    assert len(rows) == 3 and all(r.startswith("jukebox_02.gb\t") for r in rows[1:])
    # a ROM past the sources, and conflicting or bad options, are one-line errors
    status, out, err = cli("jukebox", "-o", tmp_path / "x", "--rom", "4", *common)
    assert status != 0 and "jukebox_04: only 0 of 2 songs" in err
    assert cli("jukebox", "-o", tmp_path / "x", "--rom", "1", "--roms", "2", *common)[0] != 0
    status, out, err = cli("jukebox", "-o", tmp_path / "x", "--rom", "0", *common)
    assert status == 2 and "argument --rom: must be from 1 to 9999, not '0'" in err


def test_statistics_count_seconds_and_writes(rom):
    from synthic.jukebox import collection

    stats = collection.statistics(rom)
    assert stats.songs == 2
    assert stats.seconds == pytest.approx(
        sample_song().seconds() + sample_song("Two", 5, 120.0).seconds(), abs=0.2
    )
    assert all(stats.writes[ch] > 0 for ch in ("CH1", "CH2", "CH3", "CH4"))
    assert stats.notes["CH4"] == 2 * 32


@pytest.mark.slow
def test_corpus_collection_plays_in_pyboy(tmp_path):
    """A ROM of corpus songs: every song's music writes in PyBoy are the model's."""
    pytest.importorskip("music21")
    if PyBoy is None:
        pytest.skip("pyboy not installed")
    from synthic.jukebox import collection

    paths, _ = collection.build_collection(tmp_path, roms=1, songs_per_rom=4)
    image = paths[0].read_bytes()
    p = Player(image)
    try:
        for index in range(4):
            if index:
                p.writes.clear()
                p.press("right")
            p.tick(1200)
            want, _ = model.driver_writes(image, index, 1300)
            want = [(a, v) for _, a, v in want[11:] if not 0xFF30 <= a <= 0xFF3F]
            got = [(a, v) for n, a, v in p.writes if n == index + 1]
            assert got and got == want[: len(got)], f"song {index}"
    finally:
        p.stop()


def test_building_needs_no_assembler(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sdasgb, sdldgb, makebin
    assert not asm.sdcc_available()
    image = build.build_jukebox([sample_song()])
    assert build.song_titles(image)[0]["title"] == "Sample"
    from synthic.jukebox import rom as stream

    assert stream.read_stream(stream.export_rom(Recording.from_writes([(0, 0xFF12, 0xF0)])))[1]
