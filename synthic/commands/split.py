"""`synthic split SAMPLES -o manifest.tsv`: the samples into train, validation and test sets."""

from __future__ import annotations

import argparse
import os
import sys


def _fractions(text: str) -> tuple[float, float, float]:
    from synthic.dataset.split import check_fractions

    try:
        return check_fractions([float(x) for x in text.split(",")])
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, seed

    p = sub.add_parser(
        "split",
        help="split the samples into train, validation and test sets, by game",
        description="Assign every game (one folder SAMPLES/<input name>/, as the prune step "
        "writes it) to the train, validation or test set, deterministically from --seed: "
        "games are ordered by sha256(seed:name), the test set takes the first "
        "max(1, round(f_test*n)), validation the next max(1, round(f_val*n)), train the rest "
        "(so 8 games split 6/1/1). A sample whose events hash equals an earlier one's (train "
        "first) is dropped as a duplicate. Writes the manifest (TSV: sample, game, set, "
        "seconds, hash, kept, reason) atomically.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("samples", nargs="+", help="folder of sample folders (results/samples)")
    p.add_argument("-o", "--output", required=True, metavar="TSV", help="the manifest to write")
    p.add_argument("--seed", type=seed, default=0, help="seed of the assignment")
    p.add_argument(
        "--fractions",
        type=_fractions,
        default=(0.90, 0.05, 0.05),
        metavar="TRAIN,VAL,TEST",
        help="fractions of the games in each set (default 0.9,0.05,0.05)",
    )
    p.add_argument(
        "--prune-table",
        metavar="TSV",
        help="also write every game's prune.tsv in one table (a `game` column first) and "
        "print its totals: candidates, hours kept, the reasons for drops",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.dataset.split import split, summary, write_manifest
    from synthic.errors import SynthicError

    for folder in args.samples:
        if not os.path.isdir(folder):
            raise SynthicError(f"{folder}: not a folder of samples")
    table = split(args.samples, seed=args.seed, fractions=args.fractions)
    write_manifest(table, args.output)
    print(summary(table), file=sys.stderr)
    if args.prune_table:
        from synthic.dataset.prune import combine_tables, totals
        from synthic.events.atomic import atomic_output

        combined = combine_tables(args.samples)
        with atomic_output(args.prune_table, "w", encoding="utf-8", newline="") as f:
            combined.to_csv(f, sep="\t", index=False, lineterminator="\n")
        print(totals(combined), file=sys.stderr)
    return 0
