"""`synthic demo`: write the embedded demo tunes (the default input of the workflow)."""

from __future__ import annotations

import os

from synthic import demo, events
from synthic.errors import SynthicError


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "demo",
        help="write the embedded demo tunes",
        description="Write public-domain demo tunes, played by a tiny register-level driver, as "
        f"recordings. Tunes: {', '.join(demo.song_names())}.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("songs", nargs="*", metavar="SONG", help="tunes to write (default: all)")
    p.add_argument("-o", "--output", default=".", help="folder, or a file when one SONG is named")
    p.add_argument("--format", default="vgm", choices=list(events.FORMATS), help="file format")
    p.set_defaults(run=run)


def run(args) -> int:
    names = args.songs or demo.song_names()
    unknown = sorted(set(names) - set(demo.song_names()))
    if unknown:
        raise SynthicError(
            f"unknown demo song(s) {', '.join(unknown)} (known: {', '.join(demo.song_names())})"
        )
    ext = events.FORMATS[args.format].extension
    single = len(names) == 1 and os.path.splitext(args.output)[1] != ""
    for name in names:
        path = args.output if single else os.path.join(args.output, name + ext)
        events.write(demo.render(name), path, args.format)
        print(f"wrote {path}")
    return 0
