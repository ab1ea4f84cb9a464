"""`synthic bench train`: training tokens per second of the transformer, and forward-only.

The train step is the trainer's (synthic.model.train: AdamW with clipping and the decay mask, a
jitted step, the batch sharded over every local JAX device and the state replicated), fed with
`train_batch` windows drawn as in training (the numpy side counts). The data is a synthetic
stream of random tokens of the tokenisation's vocabulary (speed does not depend on what the
tokens are), or the train set of a tokenised DATASET (`--dataset`). The model is freshly
initialised at the `--size` preset (`--model MODEL_DIR` loads an exported one instead).

The first step (compile + one step) is timed and printed separately; then `--repeat` rounds of
`--steps` steps each; the figure is the median round's tokens per second (batch x context x
steps / round wall time). For reference, the forward pass alone (the loss, no gradient, eval mode:
what validation costs) in the same rounds. `--outputs both` times the full output layer and
the trainer's default one (the ids of the train set scored, the rest sharing one logit) round
by round in the same run, and prints their ratio. Devices are printed: the CPU here, a GPU
where one is (bf16 there, the preset's "auto" dtype).

For scale (issue 13): a 3.4M-parameter Flax NNX decoder (4 layers, width 256, context 512) trains
at about 3,100 tokens/s on 2 CPU cores.
"""

from __future__ import annotations

import statistics
import time


def add_arguments(p) -> None:
    from synthic.cli import int_between, seed
    from synthic.model.presets import PRESETS

    p.add_argument("--size", choices=list(PRESETS), default="tiny", help="model preset")
    p.add_argument("--steps", type=int_between(1, 100_000), default=10, help="steps per round")
    p.add_argument(
        "--repeat", type=int_between(1, 1000), default=3, help="timed rounds (median shown)"
    )
    p.add_argument("--batch", type=int_between(1, 65_536), default=16, help="windows per step")
    p.add_argument(
        "--context", type=int_between(1, 65_536), help="override the preset's context length"
    )
    p.add_argument("--dataset", metavar="DATASET", help="a tokenised dataset (its train set)")
    p.add_argument("--model", metavar="MODEL_DIR", help="an exported model instead of random init")
    p.add_argument("--seed", type=seed, default=0, help="parameters and data")
    p.add_argument(
        "--outputs",
        choices=("all", "seen", "both"),
        default="all",
        help="the output layer: every id, only the ids the --dataset's train set uses (the "
        "trainer's default), or both in the same run with their ratio",
    )


def devices_line() -> str:
    """The JAX devices, e.g. "devices: 1 x cpu (TFRT_CPU_0), backend cpu"."""
    import jax

    devs = jax.local_devices()
    kinds = sorted({d.device_kind for d in devs})
    return (
        f"devices: {len(devs)} x {jax.default_backend()} ({', '.join(kinds)}), "
        f"{jax.device_count()} in all"
    )


def model_line(model, source: str) -> str:
    import jax.numpy as jnp

    from synthic.model.model import count_params

    c = model.cfg
    return (
        f"model: {count_params(model):,} parameters ({source}; {c.layers} layers, width "
        f"{c.width}, {c.heads} heads, context {c.context}, vocabulary {c.vocab_size:,}, "
        f"compute {jnp.dtype(c.compute_dtype()).name})"
    )


def build_model(args, vocab_size: int, *, dropout: float | None = None, outputs=()):
    """(model, source): the exported model of `args.model`, or a fresh one at `args.size` (with
    `args.context` when given, scoring the ids `outputs` one by one when given)."""
    from synthic.errors import SynthicError
    from synthic.model.model import make_model, model_config

    if args.model:
        from synthic.model.train import load_model

        model, _ = load_model(args.model)
        if model.cfg.vocab_size != vocab_size:
            raise SynthicError(
                f"the model's vocabulary ({model.cfg.vocab_size}) is not the data's ({vocab_size})"
            )
        return model, f"loaded from {args.model}"
    overrides = {"vocab_size": vocab_size, "outputs": outputs}
    if getattr(args, "context", None):
        overrides["context"] = args.context
    if dropout is not None:
        overrides["dropout"] = dropout
    try:
        cfg = model_config(args.size, **overrides)
    except ValueError as e:
        raise SynthicError(str(e)) from None
    return make_model(cfg, args.seed), f"size {args.size}, random init"


def _tokens(args, context: int):
    """(flat training tokens, vocabulary size, where they come from)."""
    import numpy as np

    from synthic.dataset.tokens import Tokenizer

    if args.dataset:
        from pathlib import Path

        from synthic.dataset.tokens import load_tokenizer
        from synthic.model.data import TokenSet

        tok = load_tokenizer(Path(args.dataset) / "vocab.json")
        tokens = TokenSet.load(args.dataset, "train").tokens
        return tokens, tok.vocab_size, f"{len(tokens):,} tokens of {args.dataset}/train"
    vocab = Tokenizer("write").vocab_size
    n = max(200_000, 4 * (context + 1) * args.batch)
    tokens = np.random.default_rng(args.seed).integers(3, vocab, n).astype(np.uint16)
    return tokens, vocab, f"{n:,} random tokens (design 'write')"


def run(args) -> int:
    import jax
    import numpy as np

    from synthic.errors import SynthicError

    if args.model:  # the data's vocabulary must be the model's: read the model first
        import json
        from pathlib import Path

        context = json.loads((Path(args.model) / "config.json").read_text())["model"]["context"]
    else:
        from synthic.model.presets import PRESETS

        context = args.context or PRESETS[args.size]["context"]
    tokens, vocab, data_source = _tokens(args, context)
    if args.outputs != "all" and not args.dataset:
        raise SynthicError("--outputs seen or both needs --dataset (the ids its train set uses)")
    if args.outputs != "all" and args.model:
        raise SynthicError("--outputs seen or both builds fresh models: leave out --model")
    n_dev = jax.local_device_count()
    if args.batch % n_dev:
        raise SynthicError(f"--batch must be a multiple of the {n_dev} devices")
    modes = {"all": ["all"], "seen": ["seen"], "both": ["all", "seen"]}[args.outputs]
    benches = []
    for mode in modes:
        outputs = ()
        if mode == "seen":
            from synthic.model.train import output_ids

            outputs = output_ids(tokens)
        model, source = build_model(args, vocab, outputs=outputs)
        if len(tokens) < model.cfg.context + 1:
            raise SynthicError(f"{len(tokens)} training tokens are fewer than context + 1")
        benches.append(_Bench(args, model, tokens, f"{source}, outputs {mode}"))

    tokens_per_step = args.batch * benches[0].cfg.context
    print(
        f"synthic bench train: batch {args.batch} x context {benches[0].cfg.context} = "
        f"{tokens_per_step:,} tokens per step, {args.steps} steps per round, "
        f"median of {args.repeat} rounds"
    )
    print(devices_line())
    for b in benches:
        print(model_line(b.model, b.source))
    print(f"data: {data_source}")
    for b in benches:
        b.first()
    for _ in range(args.repeat):  # rounds of each in turn, so a busy machine slows all alike
        for b in benches:
            b.round(args.steps)
    for b in benches:
        if not np.isfinite(b.loss):
            raise SynthicError(f"the training loss is {b.loss}")
        t_train, t_fwd = statistics.median(b.train_s), statistics.median(b.forward_s)
        train_tps = tokens_per_step * args.steps / t_train
        fwd_tps = tokens_per_step * args.steps / t_fwd
        b.tps = train_tps
        name = f"[{b.source.rsplit(', ', 1)[-1]}] " if len(benches) > 1 else ""
        print(f"{name}compile + first train step: {b.first_train:.2f} s")
        print(f"{name}compile + first forward: {b.first_forward:.2f} s")
        print(
            f"{name}train: {train_tps:,.0f} tokens/s ({args.steps / t_train:.2f} steps/s, "
            f"{t_train / args.steps * 1000:.1f} ms per step)"
        )
        print(
            f"{name}forward only: {fwd_tps:,.0f} tokens/s ({t_fwd / args.steps * 1000:.1f} ms "
            f"per step; train step = {t_train / t_fwd:.1f} x forward)"
        )
    if len(benches) == 2:
        print(
            f"outputs seen ({len(benches[1].cfg.outputs):,} of {vocab:,} ids scored) against "
            f"all: {benches[1].tps / benches[0].tps:.2f} x the training tokens per second"
        )
    return 0


class _Bench:
    """One model's trainer step and forward pass, timed in rounds."""

    def __init__(self, args, model, tokens, source: str):
        import jax
        import jax.numpy as jnp
        from flax import nnx
        from jax.sharding import NamedSharding
        from jax.sharding import PartitionSpec as P

        from synthic.model.data import train_batch
        from synthic.model.optim import OptimConfig, make_optimizer
        from synthic.model.train import Trainable, step_functions

        self.model, self.cfg, self.source = model, model.cfg, source
        n_dev = jax.local_device_count()
        mesh = jax.make_mesh((n_dev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
        sharding, replicated = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())
        opt = nnx.Optimizer(model, make_optimizer(OptimConfig(), 10_000), wrt=nnx.Param)
        self.state, self.train_step, nll_sum = step_functions(Trainable(model, opt), replicated)
        every = jax.device_put(jnp.ones((args.batch, self.cfg.context), jnp.float32), sharding)
        self.forward = lambda state, batch: nll_sum(state, batch, every)  # the loss, no gradient
        index = 0

        def next_batch():
            nonlocal index
            index += 1
            b = train_batch(tokens, index, args.batch, self.cfg.context, args.seed)
            return jax.device_put(b, sharding)

        self.next_batch = next_batch
        self.train_s, self.forward_s, self.loss = [], [], float("nan")

    def first(self) -> None:
        start = time.perf_counter()
        self.state, loss = self.train_step(self.state, self.next_batch())
        loss.block_until_ready()
        self.first_train = time.perf_counter() - start
        start = time.perf_counter()
        self.forward(self.state, self.next_batch()).block_until_ready()
        self.first_forward = time.perf_counter() - start

    def round(self, steps: int) -> None:
        start = time.perf_counter()
        for _ in range(steps):
            self.state, loss = self.train_step(self.state, self.next_batch())
        loss.block_until_ready()
        self.train_s.append(time.perf_counter() - start)
        self.loss = float(loss)
        start = time.perf_counter()
        for _ in range(steps):
            out = self.forward(self.state, self.next_batch())
        out.block_until_ready()
        self.forward_s.append(time.perf_counter() - start)
