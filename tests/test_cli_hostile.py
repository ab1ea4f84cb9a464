"""The command line survives hostile input: bad numbers, planted links, colliding or
self-overwriting outputs, killed writers, unwritable caches, control characters in tags,
undecodable file names, and very long renders (issue 11, section 5)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
import soundfile

from synthic import demo, events
from synthic.events import Recording
from synthic.events.atomic import STALE_SECONDS, atomic_output, temp_prefix
from synthic.events.registers import CLOCK_HZ
from tests.conftest import ROOT

ROMS = ROOT / "tests" / "roms"


def synthic(*args, env=None, cwd=ROOT, timeout=300) -> subprocess.CompletedProcess:
    """`python -m synthic ARGS` (str or bytes arguments) in cwd (which comes first on sys.path);
    stdout and stderr as bytes."""
    base = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.run(
        [sys.executable, "-m", "synthic", *args],
        capture_output=True,
        cwd=cwd,
        env=base if env is None else env,
        timeout=timeout,
    )


def one_line(err: str, command: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"synthic {command}: error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """A short real recording (the demo tune) as .events."""
    path = tmp_path_factory.mktemp("hostile") / "twinkle.events"
    events.write(demo.render("twinkle"), path)
    return path


# --- 1. numbers: argparse rejects them, exit 2, no traceback --------------------------------

BAD_SECONDS = ["nan", "inf", "-inf", "1e300", "-1", "0", "86401", "ten"]
ROM = str(ROMS / "timer.gb")


def _seconds_cases():
    for value in BAD_SECONDS:
        yield ["run", ROM, "--seconds", value]
        yield ["record", ROM, "-o", "OUT", "--seconds", value]
        yield ["wav", "IN.events", "-o", "OUT.wav", "--seconds", value]
        yield ["play", "IN.events", "--seconds", value]


SEED_CASES = [
    ["run", ROM, "--seed", "-1"],
    ["run", ROM, "--seed", str(2**63)],
    ["run", ROM, "--seed", "1.5"],
    ["record", ROM, "-o", "OUT", "--seed", "-1"],
    ["record", ROM, "-o", "OUT", "--seed", str(2**64)],
    ["jukebox", "-o", "OUT", "--seed", "-1"],
]
COUNT_CASES = [
    ["run", ROM, "--song", "0"],
    ["jukebox", "-o", "OUT", "--songs", "0"],
    ["jukebox", "-o", "OUT", "--songs", "256"],
    ["jukebox", "-o", "OUT", "--rom", "0"],
    ["jukebox", "-o", "OUT", "--roms", "1000000000"],
    ["wav", "IN", "-o", "OUT", "--jobs", "0"],
]


@pytest.mark.parametrize("args", [*_seconds_cases(), *SEED_CASES, *COUNT_CASES], ids=" ".join)
def test_bad_numbers_are_usage_errors(cli, args):
    status, _, err = cli(*args)
    assert status == 2, err
    assert "Traceback" not in err
    option = next(a for a in args if a.startswith("--"))
    assert f"argument {option}" in err.strip().splitlines()[-1], err


def test_number_types_accept_what_is_valid():
    from synthic.cli import MAX_SEED, int_between, positive_seconds, seed

    assert positive_seconds("0.5") == 0.5 and positive_seconds("86400") == 86400
    assert positive_seconds("1e-3") == 0.001
    assert seed("0") == 0 and seed(str(MAX_SEED)) == 2**63 - 1
    assert int_between(1, 255)("255") == 255


def test_run_reads_bounded_inputs(cli, tmp_path):
    binary = tmp_path / "script.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    status, _, err = cli("run", ROM, "--buttons", binary)
    assert status == 2 and "not UTF-8" in one_line(err, "run")
    status, _, err = cli("run", "/dev/zero")  # endless: read up to the limit, not forever
    assert status == 2 and "larger than" in one_line(err, "run")


# --- 2. planted links at the old fixed temporary names --------------------------------------


def test_rom_does_not_follow_a_planted_temporary_link(tmp_path, song):
    sentinel = tmp_path / "sentinel"
    sentinel.write_bytes(b"precious")
    out = tmp_path / "out.gb"
    (tmp_path / "out.gb.tmp").symlink_to(sentinel)
    result = synthic("rom", song, "-o", out)
    assert result.returncode == 0, result.stderr
    assert sentinel.read_bytes() == b"precious"
    assert out.read_bytes()[0x134:0x13B] and len(out.read_bytes()) >= 32768
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gb", "out.gb.tmp", "sentinel"]


def test_jukebox_does_not_follow_planted_temporary_links(tmp_path):
    sentinel = tmp_path / "sentinel"
    sentinel.write_bytes(b"precious")
    out = tmp_path / "jb"
    out.mkdir()
    (out / "jukebox_01.gb.tmp").symlink_to(sentinel)
    (out / "jukebox_01.tsv.tmp").symlink_to(sentinel)
    result = synthic("jukebox", "-o", out, "--rom", "1", "--songs", "1")
    assert result.returncode == 0, result.stderr
    assert sentinel.read_bytes() == b"precious"
    assert (out / "jukebox_01.gb").stat().st_size >= 32768
    assert (out / "jukebox_01.tsv").read_text().startswith("rom\t")


# --- 3. colliding outputs; an output that is an input ---------------------------------------


def test_wav_folder_gives_colliding_stems_distinct_outputs(tmp_path, song):
    src = tmp_path / "in"
    src.mkdir()
    rec = events.read(song)
    events.write(rec, src / "song.vgm")
    events.write(rec, src / "song.events")
    events.write(rec, src / "song.events.txt")
    events.write(rec, src / "other.events")
    out = tmp_path / "out"
    result = synthic("wav", src, "-o", out, "--seconds", "1", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["other.wav", "song.events.txt.wav", "song.events.wav", "song.vgm.wav"]
    assert b"rendered 4 of 4 recordings" in result.stdout and b"as 4 files" in result.stdout


def test_wav_folder_reports_dropped_renders_truthfully(tmp_path, song):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(song, src / "a.events")
    out = tmp_path / "out"
    # one second is "too short": with --drop-flagged nothing is written, and it says so
    result = synthic(
        "wav", src, "-o", out, "--seconds", "1", "--jobs", "1", "--check", "--drop-flagged"
    )
    assert result.returncode == 0, result.stderr
    assert b"rendered 0 of 1 recordings" in result.stdout and b"(1 dropped)" in result.stdout
    assert list(out.iterdir()) == []


def _self_overwrites(tmp_path, song):
    a = tmp_path / "a.events"
    shutil.copy(song, a)
    link = tmp_path / "link.events"
    link.symlink_to(a)
    sub = tmp_path / "sub"
    sub.mkdir()
    rom = tmp_path / "r.gb"
    shutil.copy(ROMS / "timer.gb", rom)
    cases = [
        ("rom", [a, "-o", a]),
        ("rom", [a, "-o", sub / ".." / "a.events"]),
        ("convert", [a, a]),
        ("convert", [a, link]),
        ("convert", [link, a]),
        ("info", [a, "-o", a]),
        ("wav", [a, "-o", a]),
        ("run", [rom, "--seconds", "0.1", "-o", rom]),
    ]
    return a, rom, cases


def test_an_output_that_is_the_input_is_refused(cli, tmp_path, song):
    a, rom, cases = _self_overwrites(tmp_path, song)
    before = a.read_bytes(), rom.read_bytes()
    for command, args in cases:
        status, _, err = cli(command, *args)
        assert status == 2, (command, args, err)
        assert "overwrite the input" in one_line(err, command), err
        assert (a.read_bytes(), rom.read_bytes()) == before, (command, args)


# --- 4. temporaries of killed writers are cleaned up ----------------------------------------

KILLED_WRITER = """
import sys, time
from synthic.events.atomic import atomic_output
with atomic_output(sys.argv[1]) as f:
    f.write(b"half")
    f.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


def _temporaries(path):
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(temp_prefix(path)))


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    out = tmp_path / "out.events"
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(out)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        assert writer.stdout.readline() == b"writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    (left,) = _temporaries(out)
    assert f"-{writer.pid}." in left  # the writer's pid is in the name
    assert not out.exists()
    with atomic_output(out) as f:
        f.write(b"whole")
    assert out.read_bytes() == b"whole"
    assert _temporaries(out) == []


def test_temporaries_of_live_writers_are_kept_and_old_ones_removed(tmp_path):
    from synthic.events import atomic

    out = tmp_path / "song.wav"
    live = subprocess.Popen(["sleep", "60"])
    try:
        mine = f".song.wav.{atomic._HOST}-{live.pid}.abcd1234.tmp"
        elsewhere = ".song.wav.otherhost-1.abcd1234.tmp"  # another machine's: not ours to judge
        legacy = ".song.wav.k2j4h5g6.tmp"  # the old naming: no pid
        old_legacy = ".song.wav.zzzz9999.tmp"
        other_file = ".other.wav.abcd1234.tmp"
        for name in (mine, elsewhere, legacy, old_legacy, other_file):
            (tmp_path / name).write_bytes(b"x")
        past = time.time() - STALE_SECONDS - 60
        os.utime(tmp_path / old_legacy, (past, past))
        with atomic_output(out) as f:
            f.write(b"y")
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == sorted([mine, elsewhere, legacy, other_file, "song.wav"])
    finally:
        live.kill()
        live.wait()


# --- 5. no writable numba cache folder ------------------------------------------------------


def _no_cache_anywhere(tmp_path):
    """A copy of the package whose __pycache__ folders cannot be made (a file has the name),
    HOME, XDG_CACHE_HOME and NUMBA_CACHE_DIR under a regular file (mkdir fails even as root):
    numba has no locator. TMPDIR is writable."""
    copy = tmp_path / "copy"
    shutil.copytree(
        ROOT / "synthic", copy / "synthic", ignore=shutil.ignore_patterns("__pycache__")
    )
    for folder in [copy / "synthic", *(p for p in (copy / "synthic").rglob("*") if p.is_dir())]:
        (folder / "__pycache__").write_bytes(b"")
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(
        os.environ,
        PYTHONPATH=str(copy),
        HOME=str(blocker / "home"),
        XDG_CACHE_HOME=str(blocker / "cache"),
        NUMBA_CACHE_DIR=str(blocker / "numba"),
        TMPDIR=str(tmp),
    )
    return copy, tmp, env


PROBE = """
import sys
import synthic, synthic.apu
from synthic.gb import bus, sm83
render = sys.modules["synthic.apu.render"]
print(synthic.__file__)
print(render._render_writes._cache.cache_path)
print(sm83.run._cache.cache_path)
"""


def test_numba_falls_back_to_a_private_cache_folder(tmp_path):
    copy, tmp, env = _no_cache_anywhere(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    module, apu_cache, gb_cache = result.stdout.split()
    assert module.startswith(str(copy))
    private = tmp / f"synthic-numba-{os.getuid()}"
    assert apu_cache.startswith(str(private)) and gb_cache.startswith(str(private))
    assert private.stat().st_mode & 0o777 == 0o700
    assert "caching in" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_wav_renders_without_a_writable_numba_cache(tmp_path, song):
    _, tmp, env = _no_cache_anywhere(tmp_path)
    out = tmp_path / "out.wav"
    result = synthic("wav", song, "-o", out, "--seconds", "2", env=env, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr
    assert "caching in" in result.stderr.decode()
    assert soundfile.info(out).frames == 2 * 44100
    assert any((tmp / f"synthic-numba-{os.getuid()}").rglob("*.nbi"))


# --- 6. control characters in tags reach no terminal ----------------------------------------

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\x7fred\ttab\nline\r\u202eevil\u2028"


def _raw_controls(text: str) -> list[str]:
    return [
        c
        for c in text
        if (ord(c) < 0x20 and c not in "\n\t")
        or 0x7F <= ord(c) < 0xA0
        or c in "\u202e\u2028"
        or 0xD800 <= ord(c) <= 0xDFFF
    ]


def _hostile_result(path="x.events"):
    return {
        "file": path,
        "meta": {"title": HOSTILE, "author": "a\x1b[31m", "source": "s\udcff.vgm"},
        "duration_seconds": 1.0,
        "length_cycles": CLOCK_HZ,
        "writes": 0,
        "writes_per_second": 0.0,
        "markers": 0,
        "writes_per_channel": {"CH1": 0},
        "writes_per_register": {},
    }


def test_info_text_escapes_control_characters():
    from synthic.commands.info import format_json, format_table, format_tsv

    table = format_table(_hostile_result("f\x1b[0m\udcfe.events"))
    assert _raw_controls(table.replace("\t", "")) == [] and "\t" not in table
    assert "\\x1b]0;owned\\x07" in table and "\\x9b" in table and "\\u202e" in table
    assert "f\\x1b[0m\\xfe.events" in table and "s\\xff.vgm" in table

    tsv = format_tsv([_hostile_result(), _hostile_result()])
    lines = tsv.split("\n")
    assert len(lines) == 3 and all(line.count("\t") == lines[0].count("\t") for line in lines)
    assert _raw_controls(tsv) == []

    doc = format_json([_hostile_result("f\udcfe.events")])
    assert _raw_controls(doc) == []
    back = json.loads(doc)
    assert back["meta"]["title"] == HOSTILE and back["file"] == "f\udcfe.events"  # exact


def test_info_command_prints_no_escape_sequences(tmp_path):
    path = tmp_path / "tags.events"
    events.write(Recording(meta={"title": HOSTILE, "author": "x\x1b[31m"}, length_cycles=1), path)
    for mode in ([], ["--tsv"], ["--json"]):
        result = synthic("info", path, *mode)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode("utf-8")
        assert _raw_controls(out) == [], mode
        assert "\x1b" not in out and "\x9b" not in out


# --- 7. file names that are not UTF-8 -------------------------------------------------------


def test_undecodable_file_names_work(tmp_path, song):
    base = os.fsencode(tmp_path)
    src = base + b"/song\xff.vgm"
    events.write(events.read(song), os.fsdecode(src))
    result = synthic("convert", src, base + b"/out\xfe.events")
    assert result.returncode == 0, result.stderr
    assert b"out\\xfe.events" in result.stdout
    back = events.read(os.fsdecode(base + b"/out\xfe.events"))
    assert back.meta["source"].startswith("song\\") and _raw_controls(back.meta["source"]) == []

    result = synthic("wav", src, "--seconds", "1", "-o", base + b"/o\xfd.wav")
    assert result.returncode == 0, result.stderr
    assert soundfile.info(base + b"/o\xfd.wav").frames == 44100

    result = synthic("info", src)
    assert result.returncode == 0 and b"song\\xff.vgm" in result.stdout, result.stderr

    rom = base + b"/rom\xff\x1b.gb"
    shutil.copy(ROMS / "timer.gb", os.fsdecode(rom))
    result = synthic("run", rom, "--seconds", "0.1", "-o", base + b"/run\xfc.events")
    assert result.returncode == 0, result.stderr
    assert b"run\\xfc.events" in result.stdout
    rec = events.read(os.fsdecode(base + b"/run\xfc.events"))
    assert rec.meta["source"] == "rom\\xff\\x1b.gb"

    result = synthic("info", base + b"/missing\xff\x1b[2J.events")
    assert result.returncode == 2
    err = result.stderr.decode("utf-8")
    assert "missing\\xff\\x1b[2J.events" in one_line(err, "info")


# --- 8. long renders in bounded memory ------------------------------------------------------


def _sparse(seconds: float) -> Recording:
    """A held square-wave note on CH1 and a change of pitch each minute: few writes, all audible."""
    t, a, v = (
        [0, 0, 0, 0, 0],
        [0xFF26, 0xFF25, 0xFF24, 0xFF12, 0xFF11],
        [0x80, 0x11, 0x77, 0xF0, 0x80],
    )
    t += [0, 0]
    a += [0xFF13, 0xFF14]
    v += [0x00, 0x87]
    for minute in range(1, int(seconds // 60) + 1):
        t += [minute * 60 * CLOCK_HZ]
        a += [0xFF13]
        v += [(minute * 37) & 0xFF]
    return Recording(t, a, v, length_cycles=int(seconds * CLOCK_HZ), meta={"title": "sparse"})


def test_blocks_equal_the_one_shot_render_bit_for_bit(tmp_path, song):
    from synthic.apu import render
    from synthic.apu.render import render_blocks

    rec = events.read(song)
    whole = render(rec.t_cycles, rec.address, rec.value, rec.length_cycles, 48000, mute=[3])
    for block in (1000, 2048, 4097, 1 << 16, 10**8):
        parts = list(
            render_blocks(
                rec.t_cycles, rec.address, rec.value, rec.length_cycles, 48000, mute=[3],
                block_samples=block,
            )
        )  # fmt: skip
        assert max(len(p) for p in parts) <= block + 4 * 2048
        joined = np.concatenate(parts)
        assert joined.shape == whole.shape
        assert np.array_equal(joined.view(np.uint32), whole.view(np.uint32)), block

    # and the file `synthic wav` writes a block at a time is the one-shot file, byte for byte
    from synthic.audio import render_recording, write_audio

    one_shot = tmp_path / "one.wav"
    write_audio(one_shot, render_recording(rec), 44100)
    streamed = tmp_path / "streamed.wav"
    result = synthic("wav", song, "-o", streamed)
    assert result.returncode == 0, result.stderr
    assert streamed.read_bytes() == one_shot.read_bytes()


def _peak_render_bytes(tmp_path, seconds: float) -> tuple[int, int]:
    from synthic.commands.wav import render_one

    warm = tmp_path / "warm.events"  # imports and compiles first: their memory is not the render's
    events.write(_sparse(1), warm)
    render_one(str(warm), str(tmp_path / "warm.wav"), 44100, None, None, (), True, False)
    src = tmp_path / "sparse.events"
    events.write(_sparse(seconds), src)
    out = tmp_path / "sparse.wav"
    tracemalloc.start()
    try:
        line = render_one(str(src), str(out), 44100, None, None, (), True, False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert line.startswith("wrote "), line
    frames = soundfile.info(out).frames
    assert frames == round(seconds * 44100)
    return peak, frames * 2 * 4  # what the whole float32 render would take


def test_a_long_render_holds_a_block_not_the_whole(tmp_path):
    peak, whole = _peak_render_bytes(tmp_path, 600)
    assert peak < whole / 20, (peak, whole)


@pytest.mark.slow
def test_two_hours_render_in_bounded_memory(tmp_path):
    peak, whole = _peak_render_bytes(tmp_path, 2 * 3600)
    assert peak < 16 << 20, (peak, whole)  # 2.5 GB whole
