"""`synthic record INPUT -o OUTDIR`: record one ROM, GBS file, VGM or recording."""

from __future__ import annotations

import json
import logging
import sys
import time

from synthic.errors import SynthicError
from synthic.record import record_file
from synthic.record.explore import ExploreConfig


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "record",
        help="record the sound-register writes of a ROM, GBS file or VGM",
        description="Record one input: a ROM runs in Synthic's emulator for --seconds of game "
        "time while random buttons are pressed in windows (markers in the recording show "
        "them); each song of a GBS file plays for --seconds; a VGM is imported. Writes "
        "OUTDIR/NAME.events (GBS: NAME.songNN.events), each file atomically.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", help="a .gb/.gbc ROM, .gbs, .vgm/.vgz, .events or a .zip archive")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to write to")
    p.add_argument("--member", help="the file inside a .zip INPUT to record")
    p.add_argument("--name", help="base name of the outputs (default: the input's stem)")
    p.add_argument("--seconds", type=float, default=600.0, help="game time per ROM or GBS song")
    p.add_argument("--seed", type=int, default=0, help="global seed (mixed with the ROM's SHA-1)")
    p.add_argument(
        "--explore",
        metavar="JSON",
        help="exploration settings as JSON, e.g. '{\"startup_seconds\": 5}' "
        f"(defaults: {json.dumps(ExploreConfig().__dict__)})",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    if args.seconds <= 0:
        raise SynthicError(f"--seconds must be positive (got {args.seconds})")
    try:
        explore = ExploreConfig.from_dict(json.loads(args.explore or "{}"))
    except (ValueError, TypeError) as e:
        raise SynthicError(f"--explore: {e}") from None
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    start = time.perf_counter()

    def report(path, rec) -> None:
        stopped = f"; stopped early: {rec.meta['stopped']}" if rec.meta.get("stopped") else ""
        print(f"wrote {path} ({len(rec)} writes, {rec.duration_seconds:.1f} s{stopped})")

    written = record_file(
        args.input, args.output, member=args.member, name=args.name, seconds=args.seconds,
        seed=args.seed, explore=explore, on_written=report,
    )  # fmt: skip
    wall = time.perf_counter() - start
    print(f"recorded {len(written)} file(s) in {wall:.1f} s")
    return 0
