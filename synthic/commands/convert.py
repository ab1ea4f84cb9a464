"""`synthic convert IN OUT`: any supported recording format to any other."""

from __future__ import annotations

import sys

from synthic import events


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    formats = "\n".join(
        f"  {f.name:16} {f.extension:12} {f.description}" for f in events.FORMATS.values()
    )
    p = sub.add_parser(
        "convert",
        help="convert a recording between formats",
        description="Convert a recording between formats; each format is chosen from the file's "
        "extension unless --from/--to name it.\n\nformats:\n" + formats,
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", help="recording to read")
    p.add_argument("output", help="file to write (atomically)")
    p.add_argument("--from", dest="from_format", choices=list(events.FORMATS), help="input format")
    p.add_argument("--to", dest="to_format", choices=list(events.FORMATS), help="output format")
    p.add_argument(
        "--lossy",
        action="store_true",
        help="let formats that cannot hold everything (the original Synthic's) drop what they "
        "cannot represent, and report how much",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.cli import printable, refuse_overwriting_input
    from synthic.errors import display_name

    refuse_overwriting_input(args.output, args.input)
    rec = events.read(args.input, args.from_format)
    notes = events.write(rec, args.output, args.to_format, lossy=args.lossy)
    for note in notes:
        print(f"synthic convert: {printable(note)}", file=sys.stderr)
    print(f"wrote {display_name(args.output)} ({len(rec)} writes, {rec.duration_seconds:.2f} s)")
    return 0
