"""`synthic pianoroll SONGS -o DIR [--wav WAVDIR] [--page HTML]`: piano rolls of songs."""

from __future__ import annotations


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "pianoroll",
        help="draw songs as piano rolls (PNG) and a page to look at and listen to them",
        description="Draw every song (.events file) in SONGS, or the files given, as a piano "
        "roll from its note view: DIR/<name>.png, time across, MIDI pitch up, a colour per "
        "channel, CH4's drum hits in a strip below. With --page, also write one HTML page with "
        "every piano roll and, with --wav, the song's WAVDIR/<name>.wav in an audio player, all "
        "embedded in the page (the workflow's report shows it). The folder is made even when "
        "there is no song.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("songs", nargs="+", metavar="SONGS",
                   help="folder of .events files (from synthic songs), or files")  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the PNGs")
    p.add_argument("--wav", metavar="WAVDIR", help="folder of the songs' <name>.wav renders")
    p.add_argument("--page", metavar="HTML", help="write a page of the piano rolls and songs")
    p.set_defaults(run=run)


def song_files(paths) -> list:
    """The .events files among `paths` (folders searched one level deep), sorted by name."""
    from pathlib import Path

    from synthic.errors import SynthicError, display_name

    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += path.glob("*.events")
        elif path.is_file():
            found.append(path)
        else:
            raise SynthicError(f"{display_name(path)}: no such file or folder")
    return sorted(found, key=lambda p: p.name)


def run(args) -> int:
    from pathlib import Path

    from synthic import events, plots
    from synthic.errors import SynthicError, display_name
    from synthic.notes import notes

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    songs = []
    for path in song_files(args.songs):
        png = out / f"{path.stem}.png"
        plots.piano_roll(notes(events.read(path)), png, title=path.stem)
        wav = None
        if args.wav:
            wav = Path(args.wav) / f"{path.stem}.wav"
            if not wav.is_file():
                raise SynthicError(f"{display_name(wav)}: no such file (the render of {path.name})")
        songs.append((path.stem, png, wav))
    if args.page:
        plots.songs_page(songs, args.page)
    where = f"{out}" + (f" and {args.page}" if args.page else "")
    print(f"{len(songs)} piano rolls in {where}")
    return 0
