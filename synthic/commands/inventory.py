"""`synthic inventory ROOT... -o TABLE`: list the inputs of a collection, once."""

from __future__ import annotations

import sys
import time
from collections import Counter

from synthic.collection import fingerprint, scan, write_inventory
from synthic.errors import SynthicError, display_name


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "inventory",
        help="list the inputs of a collection (name, kind, SHA-1, size, or why skipped)",
        description="Walk folders (and the .zip archives in them) for ROMs, GBS files, VGM/VGZ "
        "and recordings, and write the table every later step looks its input up in: one row "
        "per input (its wildcard name, kind, SHA-1, size) or skipped file (the reason: too "
        "large for its kind, not a regular file, unreadable, CGB-only, a duplicate). Only "
        "regular files are read, in chunks, never past the size limit of their kind. With "
        "--reuse, files whose size and modification time are unchanged keep their SHA-1 "
        "without being read again.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("roots", nargs="+", metavar="ROOT", help="folders or files to search")
    p.add_argument("-o", "--output", required=True, metavar="TABLE", help="the table (TSV)")
    p.add_argument(
        "--reuse", metavar="TABLE", help="an earlier inventory whose SHA-1s may be reused"
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="write the table even when the collection holds no usable input",
    )
    p.add_argument(
        "--fingerprint",
        action="store_true",
        help="print only the collection's fingerprint (names, sizes, times; no file is read)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    if args.fingerprint:
        print(fingerprint(args.roots))
        return 0
    start = time.perf_counter()
    found, skipped, unchanged = scan(args.roots, previous=args.reuse)
    wall = time.perf_counter() - start
    kinds = Counter(i.kind for i in found)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    read = len(found) + len(skipped) - unchanged
    print(
        f"{len(found)} inputs ({summary}), {len(skipped)} skipped; {read} read, {unchanged} "
        f"unchanged since the last inventory; in {wall:.2f} s"
    )
    for s in skipped:
        print(f"  skipped {s.label}: {s.reason}", file=sys.stderr)
    if not found and not args.allow_empty:
        roots = ", ".join(display_name(r) for r in args.roots)
        raise SynthicError(
            f"{roots}: no usable input (looked for .gb, .gbc, .gbs, .vgm, .vgz, .events, "
            f".events.txt, also inside .zip archives; {len(skipped)} file(s) skipped)"
        )
    write_inventory(found, skipped, args.output)
    if args.reuse and args.reuse != args.output:
        write_inventory(found, skipped, args.reuse)
    return 0
