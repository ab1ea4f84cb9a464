"""`synthic songs GENERATED -o SONGS --wav WAV`: the generated songs in every format."""

from __future__ import annotations

import sys

FORMATS = ("events", "vgm", "mid", "gb")


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "songs",
        help="write the generated songs the quality gate passed as WAV, VGM, MIDI and ROM",
        description="Read GENERATED/generate.tsv (written by synthic generate) and, for every "
        "song the quality gate passed, put its render GENERATED/song_NN.wav into WAVDIR (a "
        "hard link, or a copy across file systems) and write SONGSDIR/song_NN.events, .vgm, "
        ".mid (the note view) and .gb (a ROM that plays it, as synthic rom). Rejected songs are "
        "listed with the gate's reason and left out. Both folders are made even when no song "
        "passed.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("generated", metavar="GENERATED", help="folder written by synthic generate")
    p.add_argument("-o", "--output", required=True, metavar="SONGSDIR",
                   help="folder for the .events, .vgm, .mid and .gb files")  # fmt: skip
    p.add_argument("--wav", required=True, metavar="WAVDIR", help="folder for the WAV files")
    p.set_defaults(run=run)


def passed_songs(generated) -> tuple[list[str], list[tuple[str, str]]]:
    """The song stems of GENERATED/generate.tsv the gate passed, and (stem, reason) of the
    others, in the table's order. Stems come from the table but must be `song_NN` names."""
    import csv
    import re
    from pathlib import Path

    from synthic.errors import SynthicError, display_name

    table = Path(generated) / "generate.tsv"
    try:
        with open(table, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        raise SynthicError(f"{display_name(table)}: cannot read: {e.strerror}") from None
    kept, rejected = [], []
    for line, row in enumerate(rows, start=2):
        stem = (row.get("song") or "").removesuffix(".events")
        if not re.fullmatch(r"song_[0-9]{2,6}", stem):
            raise SynthicError(f"{display_name(table)}, line {line}: not a song name: {stem!r}")
        if row.get("quality") == "ok":
            kept.append(stem)
        else:
            rejected.append((stem, row.get("reason") or "not checked"))
    return kept, rejected


def write_song(src, stem: str, songs_dir, wav_dir) -> None:
    """Write one generated song's files (see the command's description)."""
    import os
    import shutil
    from pathlib import Path

    from synthic import events
    from synthic.events.atomic import atomic_output
    from synthic.jukebox import rom

    src, songs_dir, wav_dir = Path(src), Path(songs_dir), Path(wav_dir)
    rec = events.read(src / f"{stem}.events")
    events.write(rec, songs_dir / f"{stem}.events")
    events.write(rec, songs_dir / f"{stem}.vgm")
    events.write(rec, songs_dir / f"{stem}.mid")
    with atomic_output(songs_dir / f"{stem}.gb", "wb") as f:
        f.write(rom.export_rom(rec, title=stem.replace("_", " ").upper()))
    wav, dst = src / f"{stem}.wav", wav_dir / f"{stem}.wav"
    dst.unlink(missing_ok=True)
    try:
        os.link(wav, dst)
    except OSError:
        shutil.copyfile(wav, dst)


def run(args) -> int:
    from pathlib import Path

    kept, rejected = passed_songs(args.generated)
    for d in (args.output, args.wav):
        Path(d).mkdir(parents=True, exist_ok=True)
    for stem in kept:
        write_song(args.generated, stem, args.output, args.wav)
    for stem, reason in rejected:
        print(f"{stem}: left out: {reason}", file=sys.stderr)
    print(f"{len(kept)} of {len(kept) + len(rejected)} songs in {args.wav} and {args.output}")
    return 0
