"""`synthic record INPUT -o OUTDIR`: record one ROM, GBS file, VGM or recording."""

from __future__ import annotations

import json
import logging
import sys
import time

from synthic.errors import SynthicError
from synthic.record import record_file
from synthic.record.explore import ExploreConfig
from synthic.record.outcome import Outcome, write_outcome


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, positive_seconds, seed

    p = sub.add_parser(
        "record",
        help="record the sound-register writes of a ROM, GBS file or VGM",
        description="Record one input: a ROM runs in Synthic's emulator for --seconds of game "
        "time while random buttons are pressed in windows (markers in the recording show "
        "them); each song of a GBS file plays for --seconds; a VGM is imported. Writes "
        "OUTDIR/NAME.events (GBS: NAME.songNN.events), each file atomically. The input is "
        "a file, or (--inventory TABLE --name NAME) the input called NAME in a table written "
        "by `synthic inventory`, as the workflow does: then no file name ever passes "
        "through a shell.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "input", nargs="?", help="a .gb/.gbc ROM, .gbs, .vgm/.vgz, .events or a .zip archive"
    )
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to write to")
    p.add_argument("--member", help="the file inside a .zip INPUT to record")
    p.add_argument(
        "--inventory",
        metavar="TABLE",
        help="record the input called --name in this inventory (instead of INPUT)",
    )
    p.add_argument("--name", help="base name of the outputs (default: the input's stem)")
    p.add_argument(
        "--outcome",
        action="store_true",
        help="write OUTDIR/outcome.json and take a bad input (unreadable, too large, "
        "unsupported) as an outcome: its reason goes there and the exit status is 0; only a "
        "crash fails (the workflow's mode)",
    )
    p.add_argument(
        "--seconds", type=positive_seconds, default=600.0, help="game time per ROM or GBS song"
    )
    p.add_argument("--seed", type=seed, default=0, help="global seed (mixed with the ROM's SHA-1)")
    p.add_argument(
        "--explore",
        metavar="JSON",
        help="exploration settings as JSON, e.g. '{\"startup_seconds\": 5}' "
        f"(defaults: {json.dumps(ExploreConfig().__dict__)})",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.collection import kind_of, label_of, lookup

    if args.inventory:
        if args.input or args.member or not args.name:
            raise SynthicError("--inventory takes --name NAME and no INPUT or --member")
        item = lookup(args.inventory, args.name)
        path, member, expect_sha1, label = item.path, item.member, item.sha1, item.label
        kind = item.kind
    elif args.input:
        path, member, expect_sha1 = args.input, args.member, None
        label, kind = label_of(path, member), kind_of(member or path) or ""
    else:
        raise SynthicError("give an INPUT file, or --inventory TABLE --name NAME")
    try:
        explore = ExploreConfig.from_dict(json.loads(args.explore or "{}"))
    except (ValueError, TypeError) as e:
        raise SynthicError(f"--explore: {e}") from None
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    start = time.perf_counter()
    outcome = Outcome(input=label, name=args.name or "", kind=kind)

    def report(out, rec) -> None:
        outcome.add(out, rec)
        stopped = f"; stopped early: {rec.meta['stopped']}" if rec.meta.get("stopped") else ""
        print(f"wrote {out} ({len(rec)} writes, {rec.duration_seconds:.1f} s{stopped})")

    try:
        written = record_file(
            path, args.output, member=member, name=args.name, seconds=args.seconds,
            seed=args.seed, explore=explore, on_written=report, expect_sha1=expect_sha1,
        )  # fmt: skip
    except SynthicError as e:
        if not args.outcome:
            raise
        outcome.refuse(str(e))
        write_outcome(outcome, args.output)
        print(f"synthic record: refused {label}: {outcome.reason}", file=sys.stderr)
        return 0
    if args.outcome:
        write_outcome(outcome, args.output)
    wall = time.perf_counter() - start
    print(f"recorded {len(written)} file(s) in {wall:.1f} s: {outcome.outcome}")
    return 0
