"""A recording is bounded whatever the program does (issue 11): a tiny ROM that writes to the
sound hardware as fast as the CPU can is stopped after one step's worth of writes with the
reason in its metadata, a recording never holds more than MAX_RECORDING_WRITES, the emulator's
write log stops at the budget it is given, and GBS songs get the same bounds."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from synthic import events, limits
from synthic.errors import SynthicError
from synthic.events.registers import CLOCK_HZ
from synthic.gb.gbs import gbs_header
from synthic.gb.header import header_checksum
from synthic.record import recorder
from synthic.record.explore import ExploreConfig
from synthic.record.recorder import STEP_WRITES, record_gbs, record_rom
from tests.gb_helpers import make_rom

# ld a,$ff ; ldh (rNR52),a ; ldh (rNR12),a ; jr -6: two sound writes every 36 T-cycles, about
# 233,000 a second, from 8 bytes at the entry point (they overlap the logo: a warning only).
DENSE_LOOP = bytes.fromhex("3EFFE026E01218FA")
# ld a,$ff ; loop: ldh (rNR52),a ; ldh (rNR12),a ; ld b,24 ; dec b ; jr nz,-3 ; jr loop:
# two writes every 424 T-cycles, 19,785 a second: just under MAX_WRITES_PER_SECOND.
STEADY_LOOP = bytes.fromhex("3EFFE026E01206180520FD18F5")
STEADY_RATE = 2 * CLOCK_HZ / 424
# How far past a budget the emulator may go: it checks each time its write buffer fills.
LOG_SLACK = 1 << 16


def dense_rom() -> bytes:
    rom = bytearray(make_rom())
    rom[0x100:0x108] = DENSE_LOOP
    rom[0x14D] = header_checksum(rom)
    return bytes(rom)


def steady_rom() -> bytes:
    return make_rom(STEADY_LOOP)


def _record(data: bytes, seconds: float, **kwargs):
    meta = {"sha1": hashlib.sha1(data).hexdigest(), "source": "test.gb"}
    return record_rom(data, seconds=seconds, seed=0, explore=ExploreConfig(), meta=meta, **kwargs)


def _check_sane(rec) -> None:
    assert len(rec) <= limits.MAX_RECORDING_WRITES
    assert np.all(np.diff(rec.t_cycles) >= 0)
    assert len(rec) == 0 or rec.t_cycles[-1] <= rec.length_cycles
    for m in rec.markers:
        assert 0 <= m["start"] <= m["end"] <= rec.length_cycles


def test_a_rom_writing_as_fast_as_it_can_is_stopped_after_one_step():
    rec = _record(dense_rom(), 30)
    assert "stopped" in rec.meta, "recorded 30 s of ~233,000 writes a second"
    assert (
        f"more than {limits.MAX_WRITES_PER_SECOND:,} sound writes a second" in rec.meta["stopped"]
    )
    assert STEP_WRITES < len(rec) <= STEP_WRITES + LOG_SLACK
    assert rec.length_cycles < 2 * CLOCK_HZ  # about 1.1 s of game time
    _check_sane(rec)


def test_the_record_command_on_that_rom_writes_a_small_readable_file(cli, tmp_path):
    rom = tmp_path / "dense.gb"
    rom.write_bytes(dense_rom())
    status, out, err = cli("record", rom, "-o", tmp_path / "out", "--seconds", "600")
    assert status == 0, err
    assert "stopped early: more than 20,000 sound writes a second" in out
    path = tmp_path / "out" / "dense.events"
    assert path.stat().st_size < 2_000_000  # was 420 MB
    rec = events.read(path)
    assert len(rec) <= STEP_WRITES + LOG_SLACK and rec.meta["stopped"]


def test_writes_just_under_the_rate_are_recorded_in_full():
    rec = _record(steady_rom(), 25)
    assert "stopped" not in rec.meta
    assert abs(len(rec) - 25 * STEADY_RATE) < 10
    assert 0 <= rec.length_cycles - 25 * CLOCK_HZ <= 24  # ends at an instruction boundary
    _check_sane(rec)


def test_a_recording_holds_at_most_max_recording_writes(monkeypatch):
    monkeypatch.setattr(limits, "MAX_RECORDING_WRITES", 150_000)
    rec = _record(steady_rom(), 25)
    assert rec.meta["stopped"] == "more than 150,000 sound writes, the most a recording may hold"
    assert 150_000 - 2 <= len(rec) <= 150_000
    # it ends at the first write left out: ~7.6 s of 19,785 writes a second
    assert abs(rec.length_cycles / CLOCK_HZ - 150_000 / STEADY_RATE) < 0.01
    _check_sane(rec)


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 0, -1, 86_401, "600"])
def test_record_rom_refuses_a_bad_length(seconds):
    with pytest.raises(SynthicError, match="seconds"):
        _record(steady_rom(), seconds)


# -- the emulator's own bound --------------------------------------------------------------------


def test_run_cycles_stops_at_a_write_budget():
    from synthic.gb import Emulator

    emu = Emulator(dense_rom(), log_capacity=256)
    assert emu.run_cycles(10 * CLOCK_HZ, max_writes=1000) == "write limit"
    assert 1000 < emu.write_count <= 1000 + 256
    assert emu.t_cycles < CLOCK_HZ // 100
    assert len(emu.recording()) == emu.write_count
    # the timeline goes on from where it stopped
    t = emu.t_cycles
    assert emu.run_cycles(1000) == "ok"
    assert t + 1000 <= emu.t_cycles <= t + 1000 + 24
    # no budget, no limit; a budget not reached changes nothing
    assert emu.run_cycles(CLOCK_HZ // 10, max_writes=10**6) == "ok"
    with pytest.raises(ValueError):
        emu.run_cycles(10, max_writes=-1)


def test_a_full_emulator_runs_no_further_and_its_recording_ends_at_the_capacity():
    from synthic.gb import Emulator

    emu = Emulator(dense_rom(), log_capacity=256, write_capacity=1000)
    emu.press("a")
    assert emu.run(seconds=1) == "write limit"
    t = emu.t_cycles
    assert emu.run(seconds=1) == "write limit" and emu.t_cycles == t  # full
    rec = emu.recording()
    assert 998 <= len(rec) <= 1000 and rec.length_cycles < t
    assert rec.meta["stopped"] == "more than 1,000 sound writes, the most a recording may hold"
    assert rec.markers == [{"start": 0, "end": rec.length_cycles, "label": "button a"}]
    _check_sane(rec)
    # the default capacity is the limit every reader checks
    assert Emulator(dense_rom()).write_capacity == limits.MAX_RECORDING_WRITES


def test_the_write_limit_does_not_change_what_is_recorded():
    from synthic.gb import Emulator

    whole = Emulator(steady_rom())
    whole.run_cycles(3 * CLOCK_HZ)
    parts = Emulator(steady_rom(), log_capacity=512)
    while parts.t_cycles < 3 * CLOCK_HZ:
        parts.run_cycles(3 * CLOCK_HZ - parts.t_cycles, max_writes=5000)
    a, b = whole.recording(), parts.recording()
    assert a.same_writes(b)


# -- GBS -----------------------------------------------------------------------------------------


def _gbs(init_code: bytes, songs: int = 2) -> bytes:
    # code at 0x400: init there, play (ret) right after it
    code = init_code + b"\xc9"
    head = gbs_header(songs=songs, init=0x400, play=0x400 + len(init_code), title="Dense")
    return head + code


def test_gbs_songs_get_the_same_bounds():
    # init never returns: it writes as fast as the CPU can
    data = _gbs(bytes.fromhex("3EFFE026E01218FA"), songs=3)
    songs = record_gbs(data, seconds=600, meta={"source": "dense.gbs"}, path="dense.gbs")
    assert len(songs) == 3
    for song, rec in enumerate(songs, 1):
        assert rec.meta["song"] == song
        assert "more than 20,000 sound writes a second" in rec.meta["stopped"]
        assert STEP_WRITES < len(rec) <= STEP_WRITES + LOG_SLACK
        _check_sane(rec)


def test_gbs_songs_are_recorded_one_at_a_time(monkeypatch):
    made = []
    data = _gbs(bytes.fromhex("3E80E026C9"), songs=4)  # init: NR52 = $80; ret
    songs = record_gbs(data, seconds=1, meta={}, path="quiet.gbs")
    real = recorder._new_state
    monkeypatch.setattr(recorder, "_new_state", lambda: made.append(1) or real())
    assert made == [] and len(songs) == 4  # nothing recorded yet
    for i, rec in enumerate(songs):
        assert len(made) == i + 1 and rec.meta["song"] == i + 1
        assert rec.length_cycles == CLOCK_HZ and "stopped" not in rec.meta
    assert songs[-1].meta["song"] == 4 and [r.meta["song"] for r in songs[1:3]] == [2, 3]
    with pytest.raises(IndexError):
        songs[4]
