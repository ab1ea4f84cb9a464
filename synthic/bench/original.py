"""`synthic bench original`: the original Synthic's byte-level model against ours, same compute.

Issue 13: side by side with the original Synthic's model, re-implemented in Flax (preset
"original" of synthic.model.model: byte tokens of its 7-byte records, local attention over 512
bytes, 5 layers, width 256, 6.6M parameters), trained on the same pulse-channel data with the
same compute, compared in test bits per second of music on what both can represent.

**Data.** Every kept sample of MANIFEST (written by `synthic split`; its train, val and test
sets) is reduced to what the original's format holds (`synthic.dataset.tokens.original_subset`:
NR11-NR14 and NR21-NR24, every value bit, each write at its own time, the same length) and
tokenised twice: design "original" (the records' bytes) and design "write" (ours). Both put
time on the same 912-cycle grid, so both decode to the same recordings: they code the same
information, and bits per second compare directly.

**Same compute.** Each model's train step is the trainer's own jitted step
(`synthic.model.train.step_functions`: AdamW with warm-up (a tenth of the steps) and cosine
decay, batches of random windows as `synthic train` draws them); its cost is XLA's count of
floating-point operations of the compiled step (`jit(step).lower(...).compile()
.cost_analysis()["flops"]`), and each model trains for the steps that bring its total nearest to
`--budget` (the same for both: the totals differ by less than one step). XLA counts the masked
attention in full (it computes the whole T x T scores), so the local window saves no FLOPs
here, as it saved none in the original's dense implementation of its two 512-byte buckets.
Wall time is reported beside (training alone, and the first step with its compilation).

**Test.** Bits per second = the summed negative log-likelihood in bits of every test token
(END included) / the test set's seconds of music, with the one sliding-window protocol of
`synthic.model.data` (windows of the model's context moving by half of it). For scale, the
n-gram baseline (`synthic.model.ngram`, interpolated modified Kneser-Ney) on each token set:
each order of `--orders-*` is fitted on the train set, the best on the validation set is shown.

**Budget.** The default budget (4 TFLOP a model, batches of 2 windows: the most steps for so
little compute) took 11 minutes on the 2 shared CPU cores (load average 4.5 to 8.5, about 20
GFLOP/s): training about 3 minutes a model, the test set's forward passes 3 minutes for the
original (its sequences are 3.7 times longer: 828 bytes against 222 write tokens per second of
music) and 40 s for ours, the byte n-grams 80 s. The JSON (`-o`) holds every figure and more.

**Figures** (the demo collection, 1485 s of pulse-channel music to train on, 225 s to test;
`synthic bench original -o original.json`, default settings):

                      params  context window  TFLOP  steps  epochs  bits/token  test bits/s
    original (bytes)   6.62M     1024    512   4.06     35    0.06      2.4391       2020.6
    ours (write)       5.61M      512   full   3.99     96    0.30      5.0191       1113.4
    n-gram (bytes), order 56                                          0.3420        283.3
    n-gram (write), order 16                                          4.3203        958.4

At this budget both transformers have seen a fraction of an epoch (88 and 449 s of music) and
neither approaches the n-grams; ours, with 3.7 times fewer tokens per second of music, gets 5
times as much music per FLOP and leads. With four times the compute (`--budget 16`, 26 minutes
at load average 5-8):

    original (bytes)   6.62M     1024    512  15.99    138    0.23      0.9411        779.6
    ours (write)       5.61M      512   full  16.01    385    1.21      2.9386        651.9

both pass the write n-gram, ours still leads but by 1.2 times where it led by 1.8: the
original's loss falls faster per FLOP, and a larger budget (not run here) may reverse the
order; neither comes near the byte n-gram. The byte n-gram beats the write n-gram 3.4 times over
on the same information: its time costs 118 bits/s against 495 for the WAIT/AT tokens (a
delta from the previous write repeats where a position within the frame drifts) and its
writes 164 against 463 (a register and value predicted byte by byte, each with its own
back-off, where one of 9,984 write tokens is predicted whole).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

DESIGN_OF = {"original": "original", "ours": "write"}


def _overrides(text: str) -> dict:
    """argparse type of --original-model/--ours-model: "key=value,..." of ModelConfig fields."""
    import argparse
    import dataclasses

    from synthic.model.model import ModelConfig

    kinds = {f.name: type(f.default) for f in dataclasses.fields(ModelConfig)}  # int/float/str
    out = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in kinds or key == "vocab_size":
            raise argparse.ArgumentTypeError(f"not a model setting: {item!r}")
        try:
            out[key] = kinds[key](value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad value in {item!r}") from None
    return out


def _orders(text: str) -> tuple[int, ...]:
    import argparse

    try:
        orders = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of orders: {text!r}") from None
    if not orders or not all(1 <= o <= 256 for o in orders):
        raise argparse.ArgumentTypeError("orders must be from 1 to 256")
    return orders


def _budget(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 1e9):
        raise argparse.ArgumentTypeError(f"must be above 0 (TFLOP), not {text!r}")
    return value


def add_arguments(p) -> None:
    from synthic.cli import int_between, seed
    from synthic.model.presets import PRESETS

    p.add_argument(
        "manifest",
        nargs="?",
        default="results/manifest.tsv",
        help="the manifest TSV of a split (synthic split); its relative sample paths are read "
        "from --root",
    )
    p.add_argument("--root", default=".", help="folder the manifest's relative paths start from")
    p.add_argument(
        "--budget",
        type=_budget,
        default=4.0,
        metavar="TFLOP",
        help="training compute of each model, in 10^12 floating-point operations (XLA's count)",
    )
    p.add_argument(
        "--ours",
        choices=[s for s in PRESETS if s != "original"],
        default="small",
        help="our model's preset (on design 'write')",
    )
    p.add_argument("--batch", type=int_between(1, 4096), default=2, help="windows per step")
    p.add_argument(
        "--eval-batch", type=int_between(1, 4096), default=8, help="windows per test batch"
    )
    p.add_argument(
        "--original-model",
        type=_overrides,
        default="",
        metavar="K=V,...",
        help="ModelConfig fields overriding the 'original' preset, e.g. layers=1,context=64 "
        "(default: none)",
    )
    p.add_argument(
        "--ours-model",
        type=_overrides,
        default="",
        metavar="K=V,...",
        help="ModelConfig fields overriding our preset (default: none)",
    )
    p.add_argument(
        "--orders-original",
        type=_orders,
        default="14,28,56",
        metavar="N,...",
        help="n-gram orders tried on the bytes (7 bytes a write)",
    )
    p.add_argument(
        "--orders-ours", type=_orders, default="4,8,16", metavar="N,...", help="on 'write'"
    )
    p.add_argument(
        "--work",
        metavar="DIR",
        help="keep the two tokenised datasets in DIR/original and DIR/write (default: a "
        "temporary folder, removed at the end)",
    )
    p.add_argument("-o", "--output", metavar="JSON", help="write every figure as JSON here")
    p.add_argument("--seed", type=seed, default=0, help="parameters, dropout and data order")


def _flops(compiled) -> float:
    cost = compiled.cost_analysis()
    if isinstance(cost, list | tuple):  # older JAX: one dict per computation
        cost = cost[0]
    return float(cost["flops"])


def _side(name, dataset, args, data_sharding, replicated, progress) -> dict:
    """Build, cost, train and test one model; returns its figures."""
    from functools import partial

    import jax
    import numpy as np
    from flax import nnx

    from synthic.dataset.tokens import load_tokenizer
    from synthic.errors import SynthicError
    from synthic.model.data import TokenSet, eval_windows, train_batch
    from synthic.model.evaluate import score_windows, scores
    from synthic.model.model import count_params, make_model, model_config
    from synthic.model.optim import OptimConfig, make_optimizer
    from synthic.model.train import Trainable, step_functions

    tok = load_tokenizer(os.path.join(dataset, "vocab.json"))
    preset = "original" if name == "original" else args.ours
    overrides = args.original_model if name == "original" else args.ours_model
    try:
        cfg = model_config(preset, **{**overrides, "vocab_size": tok.vocab_size})
    except (TypeError, ValueError) as e:
        raise SynthicError(f"--{name}-model: {e}") from None
    train_set, test_set = TokenSet.load(dataset, "train"), TokenSet.load(dataset, "test")
    if len(train_set.tokens) < cfg.context + 1:
        raise SynthicError(f"{dataset}: fewer training tokens than context + 1")

    def build(total_steps: int):
        model = make_model(cfg, args.seed)
        optim = OptimConfig(warmup_steps=max(1, total_steps // 10))
        opt = nnx.Optimizer(model, make_optimizer(optim, total_steps), wrt=nnx.Param)
        return model, optim, step_functions(Trainable(model, opt), replicated)

    def batch(i):
        b = train_batch(train_set.tokens, i, args.batch, cfg.context, args.seed)
        return jax.device_put(b, data_sharding)

    # -- the cost of one step, then the steps the budget buys --------------------------------
    start = time.perf_counter()
    _, _, (state, train_step, _) = build(1000)
    flops = _flops(train_step.lower(state, batch(0)).compile())
    steps = max(1, round(args.budget * 1e12 / flops))
    cost_s = time.perf_counter() - start
    model, optim, (state, train_step, nll_sum) = build(steps)
    params = count_params(model)
    tokens_per_step = args.batch * cfg.context
    rate = train_set.meta["tokens"] / train_set.seconds  # tokens per second of music
    print(
        f"{name}: {params:,} parameters, design {tok.design!r}, {flops / 1e9:,.1f} GFLOP per "
        f"step of {args.batch} x {cfg.context} tokens: {steps} steps",
        file=progress,
    )

    # -- training ---------------------------------------------------------------------------
    start = time.perf_counter()
    state, loss = train_step(state, batch(0))
    loss.block_until_ready()
    first_s = time.perf_counter() - start
    losses = [float(loss)]
    start = time.perf_counter()
    every = max(1, steps // 10)
    for i in range(1, steps):
        state, loss = train_step(state, batch(i))
        if (i + 1) % every == 0 or i + 1 == steps:
            losses.append(float(loss))
            print(
                f"{name}: step {i + 1}/{steps}  loss {losses[-1]:.4f}  "
                f"{time.perf_counter() - start:.0f} s",
                file=progress,
            )
    loss.block_until_ready()
    train_s = time.perf_counter() - start
    if not np.isfinite(float(loss)):
        raise SynthicError(f"{name}: the training loss is {float(loss)}")

    # -- test -------------------------------------------------------------------------------
    start = time.perf_counter()
    windows = eval_windows(test_set.samples(), cfg.context)
    total, n = score_windows(
        partial(nll_sum, state),
        windows,
        args.eval_batch,
        lambda x: jax.device_put(x, data_sharding),
    )
    test_s = time.perf_counter() - start
    if n != test_set.meta["tokens"]:
        raise SynthicError(f"{name}: scored {n} test tokens of {test_set.meta['tokens']}")
    test = scores(total, n, test_set.seconds)
    print(
        f"{name}: test {test['bits_per_token']:.4f} bits/token, "
        f"{test['bits_per_second']:.1f} bits/s ({test_s:.0f} s)",
        file=progress,
    )
    return {
        "design": tok.design,
        "preset": preset,
        "model": cfg.to_dict(),
        "optim": optim.to_dict(),
        "parameters": params,
        "batch": args.batch,
        "flops_per_step": flops,
        "steps": steps,
        "train_flops": flops * steps,
        "train_tokens": steps * tokens_per_step,
        "train_music_seconds": steps * tokens_per_step / rate,
        "train_set_tokens": int(train_set.meta["tokens"]),
        "epochs": steps * tokens_per_step / train_set.meta["tokens"],
        "first_step_seconds": first_s,  # compile + one step
        "train_seconds": train_s,  # the other steps
        "cost_analysis_seconds": cost_s,
        "losses": losses,
        "test_windows": len(windows.tokens),
        "test_seconds_wall": test_s,
        "test": test,
    }


def _ngram(dataset: str, orders, progress) -> dict:
    from synthic.model.ngram import baseline

    start = time.perf_counter()
    report = baseline(dataset, orders, ["val", "test"])
    rows = report["results"]
    best = min(rows, key=lambda r: r["val"]["bits_per_second"])
    for r in rows:
        print(
            f"n-gram {report['design']} order {r['order']}: val {r['val']['bits_per_second']:.1f}"
            f", test {r['test']['bits_per_second']:.1f} bits/s",
            file=progress,
        )
    return {
        "orders": [
            {"order": r["order"], "val": r["val"], "test": r["test"], "ngrams": r["ngrams"]}
            for r in rows
        ],
        "best_order": best["order"],
        "test": best["test"],
        "seconds_wall": time.perf_counter() - start,
    }


def table(report: dict) -> str:
    """The printed table of a report."""
    head = (
        f"{'':<24}{'params':>10}{'vocab':>7}{'context':>8}{'window':>7}{'TFLOP':>8}"
        f"{'steps':>7}{'epochs':>7}{'music s':>9}{'wall s':>8}{'bits/token':>11}{'bits/s':>9}"
    )
    lines = [head]
    for name, label in (("original", "original (bytes)"), ("ours", "ours (write)")):
        r = report[name]
        m = r["model"]
        lines.append(
            f"{label:<24}{r['parameters'] / 1e6:>9.2f}M{m['vocab_size']:>7}{m['context']:>8}"
            f"{m['window'] or 'full':>7}{r['train_flops'] / 1e12:>8.3g}{r['steps']:>7}"
            f"{r['epochs']:>7.2f}{r['train_music_seconds']:>9.0f}"
            f"{r['first_step_seconds'] + r['train_seconds']:>8.0f}"
            f"{r['test']['bits_per_token']:>11.4f}{r['test']['bits_per_second']:>9.1f}"
        )
    for name, label in (("original", "bytes"), ("ours", "write")):
        g = report["ngram"][name]
        text = f"n-gram ({label}), order {g['best_order']}"
        lines.append(
            f"{text:<24}{'':>10}{report[name]['model']['vocab_size']:>7}{'':>8}{'':>7}"
            f"{'':>8}{'':>7}{'':>7}{'':>9}{g['seconds_wall']:>8.0f}"
            f"{g['test']['bits_per_token']:>11.4f}{g['test']['bits_per_second']:>9.1f}"
        )
    return "\n".join(lines)


def run(args) -> int:
    import json

    import jax
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    from synthic.bench.train import devices_line
    from synthic.dataset.split import read_manifest
    from synthic.dataset.tokens import tokenize_dataset
    from synthic.errors import SynthicError
    from synthic.events.atomic import atomic_output

    progress = sys.stderr
    n_dev = jax.local_device_count()
    if args.batch % n_dev or args.eval_batch % n_dev:
        raise SynthicError(f"--batch and --eval-batch must be multiples of the {n_dev} devices")
    mesh = jax.make_mesh((n_dev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
    data_sharding, replicated = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())
    load_start = os.getloadavg()
    start = time.perf_counter()
    try:
        manifest = read_manifest(args.manifest)
    except (OSError, KeyError, ValueError) as e:
        raise SynthicError(f"{args.manifest}: not a usable manifest ({e})") from None
    tmp = None if args.work else tempfile.TemporaryDirectory(prefix="synthic-original-")
    work = args.work or tmp.name
    try:
        report = {"manifest": os.path.abspath(args.manifest), "budget_tflop": args.budget}
        data = {}
        for name, design in DESIGN_OF.items():
            d = os.path.join(work, design)
            metas = tokenize_dataset(manifest, d, design, root=args.root, pulse_only=True)
            data[name] = d
            report.setdefault("data", {})[design] = {
                s: {
                    "samples": len(m["samples"]),
                    "tokens": m["tokens"],
                    "seconds": m["seconds"],
                    "tokens_per_second": m["tokens_per_second"],
                }
                for s, m in metas.items()
            }
        if not report["data"]["write"]["test"]["tokens"]:
            raise SynthicError(f"{args.manifest}: the test set is empty")
        print(
            f"synthic bench original: pulse channels only (NR11-NR14, NR21-NR24), "
            f"{report['data']['write']['train']['seconds']:.0f} s of music to train on, "
            f"{report['data']['write']['test']['seconds']:.0f} s to test; "
            f"{report['data']['original']['test']['tokens_per_second']:.0f} bytes/s, "
            f"{report['data']['write']['test']['tokens_per_second']:.0f} write tokens/s (test)"
        )
        print(devices_line())
        print(f"load average at the start: {' '.join(f'{x:.2f}' for x in load_start)}")
        for name in DESIGN_OF:
            report[name] = _side(name, data[name], args, data_sharding, replicated, progress)
        report["ngram"] = {
            name: _ngram(
                data[name],
                args.orders_original if name == "original" else args.orders_ours,
                progress,
            )
            for name in DESIGN_OF
        }
    finally:
        if tmp is not None:
            tmp.cleanup()
    report["load_average"] = {"start": load_start, "end": os.getloadavg()}
    report["wall_seconds"] = time.perf_counter() - start
    report["devices"] = devices_line()
    print(table(report))
    print(
        f"same compute: {report['original']['train_flops'] / 1e12:.4g} and "
        f"{report['ours']['train_flops'] / 1e12:.4g} TFLOP (budget {args.budget:g}); "
        f"{report['wall_seconds']:.0f} s in all; load average at the end: "
        f"{' '.join(f'{x:.2f}' for x in report['load_average']['end'])}"
    )
    if args.output:
        with atomic_output(args.output, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.output}", file=progress)
    return 0
