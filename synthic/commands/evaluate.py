"""`synthic evaluate MODEL RECORDINGS...`: bits per second of music and bits per write of any
recordings under a model and the n-gram baseline; `synthic evaluate --metrics MODEL DATASET
GENERATED -o metrics.json`: the evaluation the workflow writes (synthic.model.report)."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, int_between

    p = sub.add_parser(
        "evaluate",
        help="score recordings with a model and the baselines; the evaluation metrics",
        description="Score RECORDINGS (.events, .events.txt, .vgm/.vgz, the original Synthic "
        "formats) with the model exported in MODEL_DIR and with an n-gram baseline fitted on "
        "the train set of --baseline DATASET_DIR: bits per token, bits per second of music and "
        "bits per write (every token, END included; the model in sliding windows, the n-gram "
        "with each recording's whole history). With --metrics the arguments are MODEL_DIR "
        "DATASET_DIR GENERATED_DIR and the output (-o) is the evaluation of "
        "synthic.model.report: the test set's bits per second under the model, the n-gram and "
        "the copy baseline, and the generated songs' validity rate, longest verbatim copy of "
        "the train set and musical statistics against the test set (overlapping areas).",
        formatter_class=HelpFormatter,
    )
    p.add_argument("model", metavar="MODEL_DIR", help="folder exported by synthic train")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="RECORDING",
        help="recordings to score (with --metrics: DATASET_DIR GENERATED_DIR)",
    )
    p.add_argument(
        "--baseline",
        metavar="DATASET_DIR",
        help="dataset whose train set the n-gram baseline is fitted on "
        "(default: the model's, if its export records it)",
    )
    p.add_argument("--order", type=int_between(1, 32), default=10, help="n-gram order")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument(
        "--metrics",
        action="store_true",
        help="write the evaluation metrics of MODEL_DIR DATASET_DIR GENERATED_DIR",
    )
    p.add_argument(
        "--no-render",
        action="store_true",
        help="with --metrics: skip the quality gate's render (validity: stuck only)",
    )
    p.add_argument("-o", "--output", metavar="JSON", help="write the figures as JSON here")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from synthic.errors import SynthicError
    from synthic.model import report

    model_dir = Path(args.model)
    for name in ("config.json", "vocab.json", "params"):
        if not (model_dir / name).exists():
            raise SynthicError(f"{model_dir}: no {name} (not a model exported by synthic train)")
    if args.metrics:
        if len(args.paths) != 2:
            raise SynthicError("--metrics takes MODEL_DIR DATASET_DIR GENERATED_DIR")
        if not args.output:
            raise SynthicError("--metrics needs -o JSON")
        dataset, generated = args.paths
        if not Path(dataset, "vocab.json").exists():
            raise SynthicError(f"{dataset}: not a dataset written by synthic tokenize")
        out = report.metrics(
            model_dir, dataset, generated, order=args.order, render=not args.no_render
        )
        report.write_json(out, args.output)
        g = out["generated"]
        print(
            f"test bits/s: model {out['model']['bits_per_second']:.1f}, n-gram "
            f"{out['baseline']['bits_per_second']:.1f}, copy {out['copy']['bits_per_second']:.1f}"
            f"; validity {g['validity_rate']:.2f}, longest verbatim "
            f"{g['longest_verbatim_seconds']:.2f} s"
        )
        print(f"wrote {args.output}", file=sys.stderr)
        return 0
    for p in args.paths:
        if not Path(p).is_file():
            raise SynthicError(f"{p}: no such recording")
    dataset = args.baseline
    if dataset is not None and not Path(dataset, "vocab.json").exists():
        raise SynthicError(f"{dataset}: not a dataset written by synthic tokenize")
    out = report.evaluate_recordings(model_dir, args.paths, dataset, order=args.order)
    if "baseline" not in out:
        print(
            "no baseline: the model's export records no dataset (give --baseline DATASET_DIR)",
            file=sys.stderr,
        )
    if args.output:
        report.write_json(out, args.output)
    if args.json:
        print(json.dumps({k: v for k, v in out.items() if k != "recordings"}, indent=1))
    else:
        print(
            f"{'':>9} {'tokens':>8} {'seconds':>8} {'writes':>8} {'bits/token':>10} "
            f"{'bits/s':>9} {'bits/write':>10}"
        )
        for name in ("model", "baseline"):
            if name in out:
                r = out[name]
                print(
                    f"{name:>9} {r['tokens']:>8} {r['seconds']:>8.1f} {r['writes']:>8} "
                    f"{r['bits_per_token']:>10.4f} {r['bits_per_second']:>9.1f} "
                    f"{r['bits_per_write']:>10.3f}"
                )
    return 0
