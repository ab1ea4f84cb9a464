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
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.dataset.tokens import tokenize_dataset

    metas = tokenize_dataset(args.manifest, args.output, args.design)
    for name, meta in metas.items():
        print(
            f"{name}: {len(meta['samples'])} samples, {meta['tokens']} tokens, "
            f"{meta['seconds']:.0f} s ({meta['tokens_per_second']:.0f} tokens/s)",
            file=sys.stderr,
        )
    return 0
