"""The workflow, run by real Snakemake on a clean copy of the checkout, and the linters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

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


def snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=cwd, capture_output=True, text=True
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
    assert "record" in out.stdout and "summarise_recordings" in out.stdout


@pytest.mark.parametrize(
    "override, message",
    [("colour=blue", "unknown key colour"), ("roms=5", "key roms: 5 is not a string or a list")],
)
def test_bad_config_is_named(checkout, override, message):
    out = snakemake(checkout, "-n", "--config", override)
    assert out.returncode != 0
    assert message in out.stderr + out.stdout


def test_demo_workflow_runs_and_only_rebuilds_what_is_stale(checkout):
    out = snakemake(checkout, "--cores", "2")
    assert out.returncode == 0, out.stderr[-3000:]
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert len(table) == 3 and (table["writes"] > 300).all()
    assert (table[["CH1", "CH2", "CH3", "CH4"]] > 0).all().all()
    for name in ("record", "demo"):
        assert any((checkout / "logs" / name).iterdir())
    assert len(list((checkout / "benchmarks/record").glob("*.tsv"))) == 3
    again = snakemake(checkout, "--cores", "2")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_workflow_records_a_user_folder(checkout, vectors, tmp_path):
    folder = tmp_path / "collection"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(vectors / "vgm/spooky_birthday.vgm", folder / "Spooky Birthday.vgm")
    shutil.copy(vectors / "vgm/hell_owo_rld.vgm", folder / "sub/hell.vgm")
    out = snakemake(
        checkout, "--cores", "2", "--config", f"roms={folder}", "-R", "summarise_recordings"
    )
    assert out.returncode == 0, out.stderr[-3000:]
    table = pd.read_csv(checkout / "results/recordings.tsv", sep="\t")
    assert sorted(table["title"]) == ["HellOWOrld", "spooky birthday"]
    assert (checkout / "results/recordings/spooky_birthday.events").exists()
    assert (checkout / "results/recordings/sub_hell.events").exists()
