"""`synthic train DATASET_DIR -o MODEL_DIR`: train the transformer, export the best model."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter
    from synthic.model.presets import PRESETS

    p = sub.add_parser(
        "train",
        help="train the transformer on a tokenised dataset",
        description="Train the decoder-only transformer (synthic.model) on DATASET_DIR (written "
        "by synthic tokenize), evaluating on its validation set every eval_every steps and "
        "stopping after `patience` evaluations without improvement. Checkpoints (the latest "
        "and the best), metrics.jsonl and loss.png live in the work folder; a rerun with the "
        "same config resumes from its latest checkpoint. The best model is exported to "
        "MODEL_DIR (params/, config.json, vocab.json, metrics.jsonl, loss.png).",
        formatter_class=HelpFormatter,
    )
    p.add_argument("dataset", metavar="DATASET_DIR", help="folder written by synthic tokenize")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="exported model")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--size", choices=list(PRESETS), default=None, help="model size preset (default: tiny)"
    )
    g.add_argument(
        "--config",
        metavar="JSON",
        help="training settings (synthic.model.train.TrainConfig fields, e.g. "
        '\'{"size": "small", "max_steps": 500, "model": {"dropout": 0}}\'), '
        "as JSON text or the path of a JSON file",
    )
    p.add_argument("--work", metavar="DIR", help="work folder (default: MODEL_DIR.work)")
    p.add_argument(
        "--resume",
        action="store_true",
        default=True,
        help="continue the work folder's latest checkpoint if there is one "
        "(--no-resume starts afresh); default: resume",
    )
    p.add_argument("--no-resume", dest="resume", action="store_false", help=argparse_suppress())
    p.add_argument(
        "--restart-on-change",
        action="store_true",
        help="when the work folder holds a run of another config or other data, start afresh "
        "instead of stopping with an error (the workflow's choice)",
    )
    p.set_defaults(run=run)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def run(args) -> int:
    from synthic.errors import SynthicError
    from synthic.model.train import TrainConfig, train

    settings = {}
    if args.config:
        text = args.config
        if not text.lstrip().startswith("{"):
            text = Path(text).read_text(encoding="utf-8")
        try:
            settings = json.loads(text)
        except json.JSONDecodeError as e:
            raise SynthicError(f"--config is not valid JSON: {e}") from None
        if not isinstance(settings, dict):
            raise SynthicError("--config must be a JSON object")
    if args.size:
        settings["size"] = args.size
    summary = train(
        args.dataset,
        args.output,
        TrainConfig.from_dict(settings),
        work_dir=args.work,
        resume=args.resume,
        restart_on_change=args.restart_on_change,
    )
    v = summary["validation"]
    figures = (
        f"validation loss {v['loss']:.4f} nats/token, {v['bits_per_second']:.1f} bits/s"
        if v
        else "no validation set"
    )
    print(f"best step {summary['best_step']} of {summary['steps']}: {figures}", file=sys.stderr)
    return 0
