"""`synthic jukebox -o DIR`: build jukebox ROMs of public-domain music played by our driver.

`--rom I` builds ROM I alone, byte for byte the file the whole collection holds (each ROM draws
from its own share of the sources): the workflow's jukebox rule runs one such job per ROM."""

from __future__ import annotations

import sys

from synthic.errors import SynthicError

MAX_ROMS = 9999  # ROM numbers past 99 make longer names (jukebox_100.gb), past this silly ones


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, int_between, seed
    from synthic.jukebox.build import MAX_SONGS
    from synthic.jukebox.sources import DEFAULT_SOURCES

    p = sub.add_parser(
        "jukebox",
        help="build jukebox ROMs of public-domain music (the embedded default collection)",
        description="Arrange public-domain scores for the Game Boy and write them as jukebox "
        "ROMs: Synthic's own sound driver with many songs in MBC5 banks. Right/Left switch "
        "songs, Start restarts one, A/B/Select play sound effects; a song that ends is "
        "followed by the next. Writes DIR/jukebox_01.gb ... and DIR/jukebox.tsv, the list of "
        "songs (with --rom I: ROM I and its songs alone, as DIR/jukebox_NN.gb and .tsv).\n\n"
        "sources: folders of the corpus inside the music21 package (bach, ryansMammoth, "
        "oneills1850, essenFolksong, ...) or MIDI files or folders of them. ROM I takes the "
        "first SONGS pieces that arrange from positions (I-1)*SONGS to I*SONGS-1 of each "
        "source's shuffled list, so it does not depend on --roms.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("-o", "--output", required=True, help="folder to write the ROMs to")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--roms", type=int_between(1, MAX_ROMS), default=8, help="number of ROMs: 1 to ROMS"
    )
    which.add_argument(
        "--rom",
        type=int_between(1, MAX_ROMS),
        metavar="I",
        help="build ROM I (from 1) of the collection alone",
    )
    p.add_argument(
        "--songs", type=int_between(1, MAX_SONGS), default=25, help="songs per ROM (1-255)"
    )
    p.add_argument(
        "--sources",
        default=",".join(DEFAULT_SOURCES),
        help="comma-separated sources, taken in turn",
    )
    p.add_argument("--seed", type=seed, default=0, help="seed of the selection and the sounds")
    p.add_argument(
        "--stats",
        action="store_true",
        help="also measure the collection: hours of "
        "music and register writes per second per channel (from the driver model)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="list songs as they are arranged")
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.jukebox import collection

    specs = [s.strip() for s in args.sources.split(",") if s.strip()]
    if not specs:
        raise SynthicError("--sources: name at least one source")
    progress = (lambda line: print(line, file=sys.stderr)) if args.verbose else None
    if args.rom is not None:  # from 1: its argparse type says so
        path, rows, skipped = collection.build_rom(
            args.output,
            args.rom,
            songs_per_rom=args.songs,
            specs=specs,
            seed=args.seed,
            progress=progress,
        )
        paths, table = [path], path.with_suffix(".tsv")
        collection.write_table(table, rows)
    else:
        paths, skipped = collection.build_collection(
            args.output,
            roms=args.roms,
            songs_per_rom=args.songs,
            specs=specs,
            seed=args.seed,
            progress=progress,
        )
        table = paths[0].parent / "jukebox.tsv"
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {args.songs} songs)")
    print(f"wrote {table}")
    if skipped:
        print(f"skipped {len(skipped)} pieces (unreadable, too short or too long)", file=sys.stderr)
    if args.stats:
        total = collection.RomStats()
        for path in paths:
            total.add(collection.statistics(path.read_bytes()))
        print(f"{total.songs} songs, {total.seconds / 3600:.2f} hours of music")
        for ch, n in total.writes.items():
            notes = f", {total.notes[ch] / total.seconds:.2f} notes/s" if ch in total.notes else ""
            print(f"  {ch}: {n / total.seconds:7.2f} writes/s{notes}")
    return 0
