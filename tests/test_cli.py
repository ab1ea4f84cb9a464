"""The command line: subcommands, conversions, lossy reports, one-line errors."""

from __future__ import annotations

import subprocess
import sys

from synthic import events
from synthic.cli import COMMANDS


def test_help_lists_every_subcommand(cli):
    status, out, _ = cli("--help")
    assert status == 0
    for name in COMMANDS:
        assert name in out
    status, out, _ = cli("convert", "--help")
    assert status == 0 and "--lossy" in out and "events-text" in out


def test_convert_between_formats(cli, vectors, tmp_path):
    src = vectors / "vgm" / "spooky_birthday.vgm"
    status, out, _ = cli("convert", src, tmp_path / "a.events.txt")
    assert status == 0 and "wrote" in out
    status, _, _ = cli(
        "convert",
        "--from",
        "events-text",
        "--to",
        "events",
        tmp_path / "a.events.txt",
        tmp_path / "b.dat",
    )
    assert status == 0
    assert events.read(tmp_path / "b.dat", "events").same_writes(events.read(src))


def test_original_format_refuses_loss_unless_lossy(cli, vectors, tmp_path):
    src = vectors / "vgm" / "spooky_birthday.vgm"
    status, _, err = cli("convert", src, tmp_path / "a.bin")
    assert status == 2 and "--lossy" in err and not (tmp_path / "a.bin").exists()
    status, _, err = cli("convert", "--lossy", src, tmp_path / "a.bin")
    assert status == 0 and "dropped 146 of 1643 writes" in err
    back = events.read(tmp_path / "a.bin")
    assert len(back) == 1643 - 146
    # Dropped writes hand their time on: the kept writes keep their absolute times.
    rec = events.read(src)
    kept = (rec.channel == 1) & (rec.address != 0xFF10) | (rec.channel == 2)
    assert (back.t_cycles == rec.t_cycles[kept]).all()


def test_missing_file_is_one_line(cli, tmp_path):
    status, _, err = cli("info", tmp_path / "nope.vgm")
    assert status == 2 and len(err.strip().splitlines()) == 1 and "nope.vgm" in err


def test_unknown_extension_is_one_line(cli, tmp_path):
    (tmp_path / "x.xyz").write_bytes(b"hello")
    status, _, err = cli("info", tmp_path / "x.xyz")
    assert status == 2 and "unknown format" in err


def test_demo_tunes_use_all_channels(cli, tmp_path):
    status, out, _ = cli("demo", "-o", tmp_path)
    assert status == 0
    for path in tmp_path.glob("*.vgm"):
        rec = events.read(path)
        assert set(rec.channel.tolist()) == {0, 1, 2, 3, 4}
        assert rec.duration_seconds > 10


def test_module_entry_point_runs():
    out = subprocess.run(
        [sys.executable, "-m", "synthic", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("synthic ")


def test_bench_formats_prints_figures(cli):
    status, out, _ = cli("bench", "formats", "--writes", "20000", "--repeat", "1")
    assert status == 0
    assert "native binary read:" in out and "M writes/s" in out


def test_compile_reports_the_emulator_and_the_renderer(cli, tmp_path):
    report = tmp_path / "compiled.txt"
    status, out, _ = cli("compile", "-o", report)
    assert status == 0
    assert report.read_text() == out
    assert "emulator: ready in" in out and "renderer: ready in" in out and "numba" in out


def test_building_the_parsers_imports_no_jax():
    """Every `python -m synthic` job builds every subcommand's parser: the model's sizes come
    from synthic.model.presets, so a record or prune job on a cluster does not pay for importing
    jax and flax (about 1.2 s a job)."""
    code = (
        "import sys; from synthic.cli import main\n"
        "try:\n    main(['record', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('jax', 'flax', 'optax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
