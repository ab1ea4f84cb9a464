"""`synthic bench TARGET`: print performance figures (medians over repeated runs)."""

from __future__ import annotations

import importlib

from synthic.bench import TARGETS


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "bench",
        help="measure throughput and print the figures",
        description="Measure a part of Synthic and print medians of repeated runs.",
        formatter_class=HelpFormatter,
    )
    targets = p.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name in TARGETS:
        module = importlib.import_module(f"synthic.bench.{name}")
        t = targets.add_parser(
            name,
            help=(module.__doc__ or "").splitlines()[0],
            description=module.__doc__,
            formatter_class=HelpFormatter,
        )
        module.add_arguments(t)
        t.set_defaults(run=module.run)
