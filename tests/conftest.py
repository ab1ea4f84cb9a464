"""Shared fixtures: the project root, the shared test vectors, the test ROMs, and the CLI run
in-process."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_VECTORS = ROOT.parent / "shared" / "test-vectors"
TEST_ROMS = ROOT / "tests" / "roms"

# A fresh numba cache per CI run (the style guide: cache=True can miss changes across files).
if os.environ.get("CI") and "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(ROOT / ".numba-cache-ci")


@pytest.fixture
def vectors() -> Path:
    if not TEST_VECTORS.is_dir():
        pytest.skip(f"shared test vectors not found at {TEST_VECTORS}")
    return TEST_VECTORS


@pytest.fixture(scope="session")
def test_rom(tmp_path_factory):
    """`test_rom(name)`: the path of tests/roms/NAME.gb. The MBC ROMs, nearly all padding, are
    stored gzipped (NAME.gb.gz, see tests/roms/README.md) and unpacked here once a session."""
    unpacked: dict[str, Path] = {}

    def path(name: str) -> Path:
        plain = TEST_ROMS / f"{name}.gb"
        if plain.exists():
            return plain
        if name not in unpacked:
            image = gzip.decompress((TEST_ROMS / f"{name}.gb.gz").read_bytes())
            unpacked[name] = tmp_path_factory.mktemp("roms") / f"{name}.gb"
            unpacked[name].write_bytes(image)
        return unpacked[name]

    return path


@pytest.fixture
def cli(capsys):
    """Run `synthic ARGS...` in-process; returns (exit status, stdout, stderr)."""
    from synthic.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            status = main([str(a) for a in args])
        except SystemExit as e:  # argparse errors and --help
            status = e.code if isinstance(e.code, int) else 1
        out, err = capsys.readouterr()
        return status, out, err

    return run
