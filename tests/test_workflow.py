"""The workflow, run by real Snakemake on a clean copy of the checkout, and the linters."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile
import yaml

from synthic import demo, events
from synthic.events import native
from synthic.events.registers import CLOCK_HZ
from tests.conftest import ROOT
from tests.gb_helpers import make_rom
from tests.test_gbs import gbs_from_source


def tracked_files() -> list[str]:
    """What a clean checkout holds: tracked files plus new ones git does not ignore."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [p for p in out.stdout.decode().split("\0") if p and (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("checkout")
    for rel in tracked_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(ROOT / rel, dest / rel)
        except FileNotFoundError:  # a file removed since git listed it (an editor's temp file)
            pass
    return dest


def snakemake(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_ruff_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_snakefmt_is_clean():
    snakefmt = shutil.which("snakefmt")
    assert snakefmt, "snakefmt is a development dependency (pip install -e '.[dev]')"
    out = subprocess.run([snakefmt, "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_snakemake_lint_is_clean(checkout):
    out = snakemake(checkout, "--lint")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Congratulations" in out.stdout + out.stderr


def test_dry_run_on_a_clean_checkout(checkout, tmp_path):
    """The default plans the jukebox collection, one job per ROM, then the inventory of what
    they hold (a checkpoint: the record and render jobs are planned once it is written), the
    summary table, and the stages after them (split, tokens, model, songs, evaluation) once
    each; roms=demo plans the demo tunes instead; a bad jukebox setting is named."""
    roms = yaml.safe_load((checkout / "config.yaml").read_text())["jukebox"]["roms"]
    out = snakemake(checkout, "-n", "--cores", "2")
    assert out.returncode == 0, out.stderr
    rules = ("jukebox", "compile", "inventory", "record", "summary", "demo")
    rules += ("split", "tokenize", "train", "generate", "songs", "evaluate")
    planned = {r: jobs_run(out, r) for r in rules}
    assert planned == {
        "jukebox": roms,
        "compile": 0,  # planned with the record jobs, after the checkpoint
        "inventory": 1,
        "record": 0,
        "summary": 1,
        "demo": 0,
        **{r: 1 for r in ("split", "tokenize", "train", "generate", "songs", "evaluate")},
    }
    assert "checkpoint jobs" in out.stdout + out.stderr
    assert f"results/jukebox/jukebox_{roms:02d}.gb" in out.stdout
    demo_run = snakemake(checkout, "-n", "--cores", "2", "--config", "roms=demo")
    assert demo_run.returncode == 0, demo_run.stderr
    assert jobs_run(demo_run, "demo") == 3 and jobs_run(demo_run, "jukebox") == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("jukebox:\n  songs: 300\n")
    out = snakemake(checkout, "-n", "--configfile", bad)
    assert out.returncode != 0
    assert "key jukebox.songs: 300 is greater than the maximum of 255" in out.stderr + out.stdout


@pytest.mark.parametrize(
    "override, message",
    [
        ("colour=blue", "unknown key colour"),
        ("roms=5", "key roms: 5 is not a string or a list"),
        ("seed=-3", "key seed: -3 is less than the minimum of 0"),
        ("seed=9223372036854775808", "key seed: 9223372036854775808 is greater than the max"),
    ],
)
def test_bad_config_is_named(checkout, override, message):
    out = snakemake(checkout, "-n", "--config", override)
    assert out.returncode != 0
    assert message in out.stderr + out.stdout


def jobs_run(out: subprocess.CompletedProcess, rule: str) -> int:
    """How many jobs of `rule` Snakemake planned (dry run) or started: one header line each
    (`rule NAME:`, `localrule NAME:`, `checkpoint NAME:`); unlike its job-stats table this
    also counts the jobs added after a checkpoint."""
    headers = {f"{kind} {rule}:" for kind in ("rule", "localrule", "checkpoint", "localcheckpoint")}
    return sum(line.strip() in headers for line in (out.stdout + out.stderr).splitlines())


SMALL_JUKEBOX = "jukebox:\n  roms: 2\n  songs: 2\nrecord:\n  seconds: 30\n"


def test_default_workflow_runs_and_only_rebuilds_what_is_stale(checkout, tmp_path):
    """The default run on a small jukebox collection: ROMs built, recorded with button presses,
    rendered with music on all four channels; a rerun does nothing, one more ROM adds only its
    own jobs. (The full default collection: test_default_workflow_on_the_full_collection.)"""
    from synthic import audio
    from synthic.jukebox import build

    settings = tmp_path / "small.yaml"
    settings.write_text(SMALL_JUKEBOX)
    out = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert out.returncode == 0, out.stderr[-3000:]
    assert jobs_run(out, "compile") == 1  # once, before the recordings
    assert "emulator: ready in" in (checkout / "results/compiled.txt").read_text()
    names = ["jukebox_01", "jukebox_02"]
    for name in names:
        image = (checkout / f"results/jukebox/{name}.gb").read_bytes()
        assert len(build.read_directory(image)) == 2
        assert (checkout / f"results/jukebox/{name}.tsv").exists()
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert list(table["name"]) == names and (table["outcome"] == "recorded").all()
    assert (table["seconds"] == 30.0).all() and (table["writes"] > 1000).all()
    for rule in ("jukebox", "record", "render"):
        assert len(list((checkout / "logs" / rule).glob("jukebox_0*.log"))) == 2
        assert len(list((checkout / "benchmarks" / rule).glob("jukebox_0*.tsv"))) == 2
    assert list(table["renders"]) == [1, 1]
    for name in names:
        samples, rate = soundfile.read(checkout / f"results/render/{name}/{name}.wav")
        assert len(samples) == pytest.approx(30 * rate, abs=rate // 10)
        rec = events.read(checkout / f"results/recordings/{name}/{name}.events")
        assert rec.meta.get("markers"), "no button presses while recording"
        for channel in (1, 2, 3, 4):  # music on every channel, each heard alone
            solo = audio.render_recording(rec, solo=channel)
            assert audio.quality(solo, 44_100).rms_dbfs > -45, f"{name}: CH{channel}"
    again = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert "Nothing to be done" in again.stdout + again.stderr

    # One more ROM: the others are not rebuilt (ROM i does not depend on jukebox.roms).
    settings.write_text(SMALL_JUKEBOX.replace("roms: 2", "roms: 3"))
    more = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert more.returncode == 0, more.stderr[-3000:]
    ran = {r: jobs_run(more, r) for r in ("jukebox", "compile", "record", "render", "summary")}
    assert ran == {"jukebox": 1, "compile": 0, "record": 1, "render": 1, "summary": 1}, more.stdout
    assert len(list((checkout / "results/render").glob("*/*.wav"))) == 3


@pytest.mark.slow
def test_default_workflow_on_the_full_collection(tmp_path):
    """The README's main command on a fresh copy of the checkout, with the default config."""
    for rel in tracked_files():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    roms, songs = config["jukebox"]["roms"], config["jukebox"]["songs"]
    out = snakemake(tmp_path, "--cores", "2", "results/wav/")
    assert out.returncode == 0, out.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/recordings.tsv", sep="\t")
    assert len(table) == roms and (table["outcome"] == "recorded").all()
    for k in range(1, roms + 1):
        songs_table = pd.read_csv(tmp_path / f"results/jukebox/jukebox_{k:02d}.tsv", sep="\t")
        assert len(songs_table) == songs
    assert len(list((tmp_path / "results/wav").glob("*.wav"))) == roms


def broken_and_good_collection(folder: Path, vectors: Path) -> None:
    (folder / "sub").mkdir(parents=True)
    shutil.copy(vectors / "vgm/spooky_birthday.vgm", folder / "Spooky Birthday.vgm")
    shutil.copy(vectors / "vgm/hell_owo_rld.vgm", folder / "sub/duplicate.vgm")
    with zipfile.ZipFile(folder / "pack.zip", "w") as z:
        z.write(vectors / "vgm/hell_owo_rld.vgm", "music/hell.vgm")
    (folder / "random.gb").write_bytes(np.random.default_rng(0).bytes(40_000))
    rom = (ROOT / "tests/roms/music.gb").read_bytes()
    (folder / "truncated.gb").write_bytes(rom[:20_000])
    cgb = bytearray(rom)
    cgb[0x143] = 0xC0
    (folder / "colour.gb").write_bytes(bytes(cgb))
    (folder / "colour_only.gbc").write_bytes(bytes(cgb))
    (folder / "music.gb").write_bytes(rom)
    (folder / "lockup.gb").write_bytes(make_rom(bytes((0xDD,))))  # an illegal opcode at once
    # A GBS of our own with three songs (tests/gbs/ticker.s, assembled by synthic.asm).
    (folder / "tune.gbs").write_bytes(gbs_from_source(songs=3, title="Ticker", author="Tester"))


def outcomes(checkout: Path, folder: Path) -> dict[str, tuple[str, str]]:
    """(outcome, reason) of each input of the summary table, by its path inside `folder`."""
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t", dtype=str).fillna("")
    result = {}
    for row in table.itertuples():
        path, _, member = row.input.partition("::")
        key = os.path.relpath(path, folder) + (f"::{member}" if member else "")
        result[key] = (row.outcome, row.reason)
    return result


def test_collection_folder_given_on_the_command_line(checkout, vectors, tmp_path):
    """`snakemake --cores N results/wav/ --config roms=PATH` (the README's form): the folder
    comes as a string and its inputs are planned, one record and one prune job each, then the
    model and its songs once."""
    folder = tmp_path / "my collection"
    folder.mkdir()
    shutil.copy(vectors / "vgm/spooky_birthday.vgm", folder / "a.vgm")
    shutil.copy(ROOT / "tests/roms/music.gb", folder / "b.gb")
    listed = snakemake(
        checkout, "--cores", "1", "results/inventory.tsv", "--config", f"roms={folder}"
    )
    assert listed.returncode == 0, listed.stderr
    out = snakemake(checkout, "-n", "--cores", "2", "results/wav/", "--config", f"roms={folder}")
    assert out.returncode == 0, out.stderr
    stages = ("jukebox", "compile", "record", "render", "prune", "train", "generate", "songs")
    planned = {r: jobs_run(out, r) for r in stages}
    compiled = (checkout / "results/compiled.txt").exists()  # an earlier test may have run it
    assert planned == {
        "jukebox": 0,
        "compile": 0 if compiled else 1,
        "record": 2,
        "render": 0,  # the recordings' renders are not on the way to the new songs
        "prune": 2,
        "train": 1,
        "generate": 1,
        "songs": 1,
    }
    assert "results/recordings/a" in out.stdout and "results/recordings/b" in out.stdout
    readme = (ROOT / "README.md").read_text()
    assert "snakemake --cores 16 results/wav/ --config roms=" in readme


def test_workflow_records_a_collection_and_reports_each_broken_input(checkout, vectors, tmp_path):
    """Good and broken inputs: the recording stage's table is reached with the good ones (no
    --keep-going needed) and names each broken one with its reason."""
    folder = tmp_path / "collection"
    broken_and_good_collection(folder, vectors)
    settings = tmp_path / "short.yaml"
    settings.write_text(f"roms: {folder}\nrecord:\n  seconds: 20\n")
    out = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert out.returncode == 0, out.stderr[-3000:]
    outcome = outcomes(checkout, folder)
    assert outcome["Spooky Birthday.vgm"][0] == "recorded"
    assert outcome["pack.zip::music/hell.vgm"][0] == "recorded"
    assert outcome["sub/duplicate.vgm"] == ("skipped", "duplicate of pack_music_hell (same SHA-1)")
    assert outcome["colour_only.gbc"][0] == "skipped"
    assert outcome["random.gb"][0] == "refused" and "cartridge type" in outcome["random.gb"][1]
    assert outcome["truncated.gb"][0] == "refused" and "truncated" in outcome["truncated.gb"][1]
    assert outcome["colour.gb"][0] == "refused" and "Color-only" in outcome["colour.gb"][1]
    assert outcome["music.gb"][0] == "recorded"
    assert outcome["lockup.gb"] == ("silent", "lock-up: illegal opcode 0xDD at 0x0150")
    assert outcome["tune.gbs"][0] == "recorded"
    # The GBS file: one recording per song, each with the title, author and its song number.
    songs = sorted((checkout / "results/recordings/tune").glob("*.events"))
    assert [f.name for f in songs] == [f"tune.song{k:02d}.events" for k in (1, 2, 3)]
    for k, f in enumerate(songs, 1):
        meta, writes, length = native.read_meta(f)
        assert (meta["title"], meta["author"], meta["song"]) == ("Ticker", "Tester", k)
        assert meta["source"] == "tune.gbs" and length == 20 * CLOCK_HZ
        assert writes > 20 * 59  # init's writes, then one per play call (VBlank: 59.7 Hz)
        rec = events.read(f)
        assert rec.value[rec.address == 0xFF11][0] == (k - 1) << 6  # init got its song number
    # Only the broken inputs were refused; the good ones are rendered.
    refused = {k for k, (o, _) in outcome.items() if o == "refused"}
    assert refused == {"random.gb", "truncated.gb", "colour.gb"}
    names = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")["name"].dropna()
    wavs = sorted(p.name for n in names for p in (checkout / "results/render" / n).glob("*.wav"))
    assert wavs == sorted(
        ["spooky_birthday.wav", "pack_music_hell.wav", "music.wav"]
        + [f"tune.song{k:02d}.wav" for k in (1, 2, 3)]
    )
    assert "refused" in (checkout / "logs/summary.log").read_text()

    # Nothing changed: nothing to do (the inventory is not made again, nothing is recorded).
    same = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert "Nothing to be done" in same.stdout + same.stderr, same.stdout

    # Adding a file records that file only.
    events.write(demo.render("twinkle"), folder / "sub/added.vgz")
    again = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert jobs_run(again, "record") == 1 and jobs_run(again, "inventory") == 1, again.stdout
    assert "2 read, 9 unchanged" in (checkout / "logs/inventory.log").read_text()
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert "recorded" in set(table[table["name"] == "sub_added"]["outcome"])


HOSTILE_NAMES = [
    "$(touch PWNED).vgm",
    "`touch PWNED`.vgm",
    "a; touch PWNED; b.vgm",
    'it\'s "quoted" & <more>.vgm',
    "new\nline.vgm",
    "-rf --help.vgm",
    "  spaces  .vgm",
    "\x1b[31mred.vgm",
    "x" * 251 + ".vgm",
]


def test_hostile_names_run_no_command_and_every_input_has_an_outcome(checkout, tmp_path):
    """File, folder and zip member names with shell syntax, quotes, newlines, a leading `-`,
    undecodable bytes and 255 characters; a FIFO and /dev/zero behind input names; a corrupt
    ROM. The workflow runs to the recording stage's table and the renders, no command in a name
    runs (no sentinel file), and each input is recorded or in the summary table with a reason."""
    folder = tmp_path / "$(touch PWNED) pack"
    folder.mkdir()
    song = demo.render("twinkle")
    count = 0

    def vgm(path: Path) -> None:
        nonlocal count
        count += 1
        song.meta["title"] = f"copy {count}"  # different bytes: not duplicates
        events.write(song, path)

    for name in HOSTILE_NAMES:
        vgm(folder / name)
    vgm(Path(os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9 \xff.vgm")))  # not UTF-8
    (folder / "`touch PWNED`").mkdir()
    vgm(folder / "`touch PWNED`" / "inner $(touch PWNED).vgz")
    with zipfile.ZipFile(folder / "a;touch PWNED;.zip", "w") as z:
        for name in HOSTILE_NAMES[:6]:
            vgm(tmp_path / "member.vgm")
            z.write(tmp_path / "member.vgm", f"$(touch PWNED)/{name}")
    os.mkfifo(folder / "pipe.gb")
    os.symlink("/dev/zero", folder / "zero.vgm")
    (folder / "-corrupt $(touch PWNED).gb").write_bytes(b"\xff" * 1000)
    settings = tmp_path / "hostile.yaml"
    settings.write_text(yaml.safe_dump({"roms": str(folder)}))

    out = snakemake(checkout, "--cores", "2", "results/recordings.tsv", "--configfile", settings)
    assert out.returncode == 0, out.stderr[-3000:]
    sentinels = [p for base in (checkout, tmp_path, Path.cwd()) for p in base.rglob("PWNED")]
    assert sentinels == []
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t", dtype=str).fillna("")
    by_outcome = table.groupby("outcome").size().to_dict()
    assert by_outcome == {"recorded": len(HOSTILE_NAMES) + 2 + 6, "refused": 1, "skipped": 2}
    reasons = {row.input.rsplit("/", 1)[-1]: row.reason for row in table.itertuples()}
    assert reasons["pipe.gb"] == "not a regular file (a FIFO)"
    assert reasons["zero.vgm"] == "not a regular file (a device)"
    assert "unsupported cartridge type" in reasons["-corrupt $(touch PWNED).gb"]
    assert r"caf\xe9 \xff.vgm" in reasons and r"new\nline.vgm" in reasons
    recorded = table[table.outcome == "recorded"]
    names = table[table.name != ""].name
    rendered = [p for n in names for p in (checkout / "results/render" / n).glob("*.wav")]
    assert sorted(p.stem for p in rendered) == sorted(recorded.name)
    for name in recorded.name:
        assert (checkout / f"results/recordings/{name}/{name}.events").exists()


def test_empty_collection_is_an_error_that_links_nothing(checkout, tmp_path):
    """A folder with no usable input stops the run with the reason; nothing downstream is made
    (once: every .wav anywhere in the project was hard-linked into results/wav/)."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an input")
    (checkout / "stray").mkdir(exist_ok=True)
    soundfile.write(checkout / "stray/stray.wav", np.zeros((100, 2)), 44100)
    shutil.rmtree(checkout / "results/wav", ignore_errors=True)
    (checkout / "results/recordings.tsv").unlink(missing_ok=True)
    out = snakemake(checkout, "--cores", "1", "results/wav/", "--config", f"roms={folder}")
    assert out.returncode != 0
    log = (checkout / "logs/inventory.log").read_text()
    assert f"{folder}: no usable input" in log
    assert not (checkout / "results/wav").exists()
    assert not (checkout / "results/recordings.tsv").exists()


def test_dataset_from_the_demo_tunes(checkout):
    """`snakemake results/dataset/` with roms=demo: each tune pruned to samples, the three games
    split 1/1/1 (no game in two sets), the samples tokenized into memory-mappable arrays that
    decode back to the samples' writes."""
    import json

    from synthic.dataset.tokens import load_tokenizer

    out = snakemake(
        checkout, "--cores", "2", "results/dataset/", "--config", "roms=demo", "--forceall"
    )
    assert out.returncode == 0, out.stderr[-3000:]
    manifest = pd.read_csv(checkout / "results/manifest.tsv", sep="\t")
    assert manifest.groupby("game")["set"].nunique().max() == 1  # no game in two sets
    assert sorted(manifest["set"].unique()) == ["test", "train", "val"]
    prune = pd.read_csv(checkout / "results/samples.tsv", sep="\t")
    assert set(prune["game"]) == set(demo.song_names()) and prune["kept"].all()
    data = checkout / "results/dataset"
    tokenizer = load_tokenizer(data / "vocab.json")
    for s in ("train", "val", "test"):
        tokens = np.load(data / f"{s}.tokens.npy", mmap_mode="r")
        meta = json.loads((data / f"{s}.meta.json").read_text())
        assert len(meta["samples"]) == 1
        sample = meta["samples"][0]
        piece = np.asarray(tokens[sample["offset"] : sample["offset"] + sample["tokens"]])
        rec = tokenizer.decode(piece)
        original = events.read(checkout / manifest[manifest["set"] == s]["sample"].iloc[0])
        assert len(rec) == len(original) and (rec.value == original.value).all()


def test_model_and_new_songs_with_the_quick_configuration(checkout):
    """The README's quick run, `snakemake results/wav/ --cores 2 --configfile config.quick.yaml`:
    the demo tunes become a dataset, a tiny model trains (checkpoints in results/train/, the
    export in results/model/) and writes two songs, which pass the quality gate into
    results/wav/ and are written as .events, VGM, MIDI and a ROM into results/songs/; then
    `results/eval/metrics.json` holds every figure (no null). The renders of the recordings are
    no part of results/wav/ (they go to results/render/ with the summary table)."""
    import json

    import mido

    from synthic import audio
    from synthic.gb.header import parse_header

    quick = ("--cores", "2", "--configfile", "config.quick.yaml")
    out = snakemake(checkout, "results/wav/", *quick)
    assert out.returncode == 0, out.stderr[-3000:]
    model = checkout / "results/model"
    assert (model / "config.json").exists() and (model / "loss.png").exists()
    assert (checkout / "results/train/checkpoints").is_dir()  # no declared output: kept
    wavs = sorted(p for p in (checkout / "results/wav").iterdir() if not p.name.startswith("."))
    assert [p.name for p in wavs] == ["song_01.wav", "song_02.wav"]  # only generated songs
    for wav in wavs:
        samples, rate = soundfile.read(wav)
        assert audio.quality(samples, rate).ok
        stem = checkout / "results/songs" / wav.stem
        rec = events.read(stem.with_suffix(".events"))
        assert rec.duration_seconds >= 4.9 and len(rec) > 0
        assert len(events.read(stem.with_suffix(".vgm"))) == len(rec)
        assert mido.MidiFile(stem.with_suffix(".mid")).length > 0
        assert parse_header(stem.with_suffix(".gb").read_bytes()).title

    out = snakemake(checkout, "results/eval/metrics.json", *quick)
    assert out.returncode == 0, out.stderr[-3000:]
    metrics = json.loads((checkout / "results/eval/metrics.json").read_text())
    for part in ("model", "baseline", "copy"):
        for key in ("bits_per_token", "bits_per_second", "bits_per_write"):
            assert metrics[part][key] > 0, (part, key)
    assert 0 <= metrics["generated"]["validity_rate"] <= 1
    assert metrics["generated"]["longest_verbatim_seconds"] >= 0
    for name, figures in metrics["musical"].items():
        assert all(v is not None for v in figures.values()), name
    again = snakemake(checkout, "results/wav/", "results/eval/metrics.json", *quick)
    assert "Nothing to be done" in again.stdout + again.stderr
