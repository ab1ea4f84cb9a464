"""`synthic tokenize manifest.tsv -o DIR`: the split's samples as token arrays for the model."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter
    from synthic.dataset.tokens import DEFAULT_DESIGN, DESIGNS

    p = sub.add_parser(
        "tokenize",
        help="tokenise the samples of a split for the model",
        description="Encode every kept sample of a manifest (from synthic split) as tokens "
        "(see synthic.dataset.tokens: design 'write' spells a write as one token, 'split' as "
        "a register token and a value token; time on a grid of 912 T-cycles with frame WAIT "
        "tokens). Writes DIR/vocab.json and, per set, DIR/<set>.tokens.npy (flat, "
        "memory-mappable) and DIR/<set>.meta.json (each sample's offset, tokens and seconds), "
        "each file atomically.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("manifest", help="the manifest TSV written by synthic split")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write to")
    p.add_argument("--design", choices=DESIGNS, default=DEFAULT_DESIGN, help="tokenisation")
    p.add_argument(
        "--transpose",
        type=_semitones,
        default=(),
        metavar="S,S,...",
        help="augment the train set: each sample also transposed by these semitones, e.g. "
        "--transpose=-2,-1,1,2 (with '=' when the list starts with a minus) (default: none)",
    )
    p.add_argument(
        "--swap-pulse",
        action="store_true",
        help="augment the train set: each sample also with its pulse channels swapped, where "
        "CH1's sweep is unused",
    )
    p.set_defaults(run=run)


def _semitones(text: str) -> tuple[float, ...]:
    import argparse
    import math

    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of semitones: {text!r}") from None
    if not all(math.isfinite(v) and v != 0 and abs(v) <= 24 for v in values):
        raise argparse.ArgumentTypeError("semitones must be non-zero, within -24..24")
    return values


def run(args) -> int:
    from synthic.dataset.tokens import tokenize_dataset

    metas = tokenize_dataset(
        args.manifest,
        args.output,
        args.design,
        transpose=args.transpose,
        swap_pulse=args.swap_pulse,
    )
    for name, meta in metas.items():
        print(
            f"{name}: {len(meta['samples'])} samples, {meta['tokens']} tokens, "
            f"{meta['seconds']:.0f} s ({meta['tokens_per_second']:.0f} tokens/s)",
            file=sys.stderr,
        )
    return 0
