"""`synthic collect --inventory TABLE -o results/wav`: gather the kept renders in one folder."""

from __future__ import annotations

import os
from pathlib import Path

from synthic.errors import SynthicError


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "collect",
        help="gather the renders of every input of a collection into one folder",
        description="Hard-link (or copy, across file systems) the audio files in "
        "RENDERS/NAME/ of every input NAME of the inventory into OUTDIR, each under its own "
        "file name; files from other folders are never taken. An input with no render (a "
        "refused or silent one) adds nothing; OUTDIR is made even when no input has one.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--inventory", required=True, metavar="TABLE", help="from synthic inventory")
    p.add_argument("--renders", default="results/render", help="folder of the renders")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to fill")
    p.set_defaults(run=run)


def collect(names: list[str], renders: Path, outdir: Path) -> list[Path]:
    """Link the .wav/.flac files of renders/NAME/ for each name into outdir."""
    import shutil

    outdir.mkdir(parents=True, exist_ok=True)
    done = []
    for name in names:
        folder = renders / name
        if not folder.is_dir():
            raise SynthicError(f"{folder}: no render of input {name!r}")
        for src in sorted(folder.rglob("*")):
            if src.suffix.lower() not in (".wav", ".flac") or not src.is_file():
                continue
            dst = outdir / src.name
            if dst.exists():
                dst.unlink()
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
            done.append(dst)
    return done


def run(args) -> int:
    from synthic.collection import read_inventory

    found, _ = read_inventory(args.inventory)
    done = collect([i.name for i in found], Path(args.renders), Path(args.output))
    print(f"{len(done)} files from {len(found)} inputs in {args.output}")
    return 0
