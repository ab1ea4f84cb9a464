"""`synthic baseline DATASET`: the n-gram baseline's bits per token and bits per second."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, int_between
    from synthic.dataset.tokens import SETS

    p = sub.add_parser(
        "baseline",
        help="score a tokenised dataset with an n-gram baseline (bits per second)",
        description="Fit an interpolated modified Kneser-Ney n-gram model (synthic.model.ngram) "
        "on the train set of a dataset written by synthic tokenize and print its bits per "
        "token and bits per second of music on the chosen set (every token of every sample, "
        "END included, each sample scored from an empty context) and, for reference, on the "
        "train set itself (optimistic: the model has seen it). Several orders may be given.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("dataset", metavar="DATASET_DIR", help="folder written by synthic tokenize")
    p.add_argument(
        "--order",
        type=int_between(1, 32),
        nargs="+",
        default=[4],
        metavar="N",
        help="n-gram order(s): tokens of an n-gram, the predicted one included",
    )
    p.add_argument(
        "--set", dest="sets", choices=SETS, nargs="+", default=["val"], help="set(s) to score"
    )
    p.add_argument("-o", "--output", metavar="JSON", help="write the report as JSON here")
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.errors import SynthicError
    from synthic.events.atomic import atomic_output
    from synthic.model.ngram import baseline

    try:
        report = baseline(args.dataset, args.order, [s for s in args.sets if s != "train"])
    except (KeyError, ValueError) as e:
        raise SynthicError(f"{args.dataset}: not a usable dataset ({e})") from None
    print(f"{'order':>5} {'set':>5} {'tokens':>8} {'seconds':>8} {'bits/token':>10} {'bits/s':>9}")
    for row in report["results"]:
        for name in ["train", *[s for s in args.sets if s != "train"]]:
            r = row[name]
            print(
                f"{row['order']:>5} {name:>5} {r['tokens']:>8} {r['seconds']:>8.1f} "
                f"{r['bits_per_token']:>10.4f} {r['bits_per_second']:>9.1f}"
            )
    if args.output:
        with atomic_output(args.output, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
