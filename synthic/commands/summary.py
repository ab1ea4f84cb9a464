"""`synthic summary --inventory TABLE -o recordings.tsv`: every input and its outcome."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "summary",
        help="the table of every input of a collection and its outcome",
        description="Write the summary table of a recording run (TSV): every input of the "
        "inventory with its outcome (recorded, silent, refused, failed, not run, or skipped "
        "when the collection was listed), the recordings, seconds and writes it gave, the "
        "renders the quality gate kept, and the reason for anything not recorded. Prints "
        "the failures and refusals.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--inventory", required=True, metavar="TABLE", help="from synthic inventory")
    p.add_argument(
        "--recordings", default="results/recordings", help="folder of the inputs' recordings"
    )
    p.add_argument("--renders", default="results/render",
                   help="folder of the inputs' renders (counted in the table)")  # fmt: skip
    p.add_argument("--logs", default="logs/record", help="folder of the record jobs' logs")
    p.add_argument("-o", "--output", required=True, metavar="TSV", help="the table to write")
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.collection import read_inventory
    from synthic.record.summary import summarise, write_summary

    found, skipped = read_inventory(args.inventory)
    table = summarise(found, skipped, args.recordings, args.logs, args.renders)
    write_summary(table, args.output)
    counts = table.outcome.value_counts()
    parts = ", ".join(f"{counts[k]} {k}" for k in counts.index)
    print(f"{len(table)} inputs: {parts}; see {args.output}", file=sys.stderr)
    for _, row in table[table.outcome.isin(["failed", "refused", "not run"])].iterrows():
        print(f"  {row['outcome']}: {row['input']}: {row['reason']}", file=sys.stderr)
    return 0
