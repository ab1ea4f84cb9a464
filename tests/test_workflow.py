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

from synthic import demo, events
from tests.conftest import ROOT


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


def test_dry_run_on_a_clean_checkout(checkout):
    out = snakemake(checkout, "-n", "--cores", "2")
    assert out.returncode == 0, out.stderr
    assert "record" in out.stdout and "demo" in out.stdout


@pytest.mark.parametrize(
    "override, message",
    [
        ("colour=blue", "unknown key colour"),
        ("roms=5", "key roms: 5 is not a string or a list"),
        ("seed=-3", "key seed: -3 is less than the minimum of 0"),
    ],
)
def test_bad_config_is_named(checkout, override, message):
    out = snakemake(checkout, "-n", "--config", override)
    assert out.returncode != 0
    assert message in out.stderr + out.stdout


def jobs_run(out: subprocess.CompletedProcess, rule: str) -> int:
    """How many jobs of `rule` Snakemake's job-stats table says it ran."""
    for line in (out.stdout + out.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == rule and parts[1].isdigit():
            return int(parts[1])
    return 0


def test_demo_workflow_runs_and_only_rebuilds_what_is_stale(checkout):
    out = snakemake(checkout, "--cores", "2", "results/wav/")
    assert out.returncode == 0, out.stderr[-3000:]
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert len(table) == 3 and (table["outcome"] == "recorded").all()
    assert (table["writes"] > 300).all()
    for name in table["name"]:
        assert (checkout / f"results/recordings/{name}/{name}.events").exists()
    for name in ("record", "demo", "render"):
        assert any((checkout / "logs" / name).iterdir())
    assert len(list((checkout / "benchmarks/record").glob("*.tsv"))) == 3
    wavs = sorted(p.name for p in (checkout / "results/wav").glob("*.wav"))
    assert wavs == ["frere_jacques.wav", "ode_to_joy.wav", "twinkle.wav"]
    again = snakemake(checkout, "--cores", "2", "results/wav/")
    assert "Nothing to be done" in again.stdout + again.stderr


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


def outcomes(checkout: Path, folder: Path) -> dict[str, tuple[str, str]]:
    """(outcome, reason) of each input of the summary table, by its path inside `folder`."""
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t", dtype=str).fillna("")
    result = {}
    for row in table.itertuples():
        path, _, member = row.input.partition("::")
        key = os.path.relpath(path, folder) + (f"::{member}" if member else "")
        result[key] = (row.outcome, row.reason)
    return result


def test_workflow_records_a_collection_and_reports_each_broken_input(checkout, vectors, tmp_path):
    folder = tmp_path / "collection"
    broken_and_good_collection(folder, vectors)
    settings = tmp_path / "short.yaml"
    settings.write_text(f"roms: {folder}\nrecord:\n  seconds: 20\n")
    out = snakemake(checkout, "--cores", "2", "--keep-going", "--configfile", settings)
    outcome = outcomes(checkout, folder)
    assert outcome["Spooky Birthday.vgm"][0] == "recorded"
    assert outcome["pack.zip::music/hell.vgm"][0] == "recorded"
    assert outcome["sub/duplicate.vgm"] == ("skipped", "duplicate of pack_music_hell (same SHA-1)")
    assert outcome["colour_only.gbc"][0] == "skipped"
    assert outcome["random.gb"][0] == "failed" and "cartridge type" in outcome["random.gb"][1]
    assert outcome["truncated.gb"][0] == "failed" and "truncated" in outcome["truncated.gb"][1]
    assert outcome["colour.gb"][0] == "failed" and "Color-only" in outcome["colour.gb"][1]
    emulator = hasattr(__import__("synthic.gb", fromlist=["x"]), "Emulator")
    assert outcome["music.gb"][0] == ("recorded" if emulator else "failed")
    # Only the broken inputs failed, and Snakemake says so.
    assert out.returncode != 0
    failed = {k for k, (o, _) in outcome.items() if o == "failed"}
    assert failed == {"random.gb", "truncated.gb", "colour.gb"} | (
        set() if emulator else {"music.gb"}
    )

    # Adding a file records that file only.
    events.write(demo.render("twinkle"), folder / "sub/added.vgz")
    again = snakemake(checkout, "--cores", "2", "--keep-going", "--configfile", settings)
    assert jobs_run(again, "record") == 1 + len(failed), again.stdout
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert "recorded" in set(table[table["name"] == "sub_added"]["outcome"])
