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
what validation costs) in the same rounds. Devices are printed: the CPU here, a GPU where one is
(bf16 there, the preset's "auto" dtype).

For scale (issue 13): a 3.4M-parameter Flax NNX decoder (4 layers, width 256, context 512) trains
at about 3,100 tokens/s on 2 CPU cores.
"""

from __future__ import annotations

import statistics
import time


def add_arguments(p) -> None:
    from synthic.cli import int_between, seed
    from synthic.model.model import PRESETS

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


def build_model(args, vocab_size: int, *, dropout: float | None = None):
    """(model, source): the exported model of `args.model`, or a fresh one at `args.size` (with
    `args.context` when given)."""
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
    overrides = {"vocab_size": vocab_size}
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
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx
    from jax.sharding import NamedSharding
    from jax.sharding import PartitionSpec as P

    from synthic.errors import SynthicError
    from synthic.model.data import train_batch
    from synthic.model.optim import OptimConfig, make_optimizer
    from synthic.model.train import Trainable, step_functions

    if args.model:  # the data's vocabulary must be the model's: read the model first
        import json
        from pathlib import Path

        context = json.loads((Path(args.model) / "config.json").read_text())["model"]["context"]
    else:
        from synthic.model.model import PRESETS

        context = args.context or PRESETS[args.size]["context"]
    tokens, vocab, data_source = _tokens(args, context)
    model, source = build_model(args, vocab)
    cfg = model.cfg
    if len(tokens) < cfg.context + 1:
        raise SynthicError(f"{len(tokens)} training tokens are fewer than context + 1")
    n_dev = jax.local_device_count()
    if args.batch % n_dev:
        raise SynthicError(f"--batch must be a multiple of the {n_dev} devices")

    mesh = jax.make_mesh((n_dev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
    data_sharding, replicated = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())
    opt = nnx.Optimizer(model, make_optimizer(OptimConfig(), 10_000), wrt=nnx.Param)
    trainable = Trainable(model, opt)
    state, train_step, nll_sum = step_functions(trainable, replicated)  # the trainer's own

    every = jax.device_put(jnp.ones((args.batch, cfg.context), jnp.float32), data_sharding)

    def forward(state, batch):  # the loss alone (summed), no gradient
        return nll_sum(state, batch, every)

    index = 0

    def next_batch():
        nonlocal index
        index += 1
        b = train_batch(tokens, index, args.batch, cfg.context, args.seed)
        return jax.device_put(b, data_sharding)

    tokens_per_step = args.batch * cfg.context
    print(
        f"synthic bench train: batch {args.batch} x context {cfg.context} = "
        f"{tokens_per_step:,} tokens per step, {args.steps} steps per round, "
        f"median of {args.repeat} rounds"
    )
    print(devices_line())
    print(model_line(model, source))
    print(f"data: {data_source}")

    start = time.perf_counter()
    state, loss = train_step(state, next_batch())
    loss.block_until_ready()
    first_train = time.perf_counter() - start
    start = time.perf_counter()
    forward(state, next_batch()).block_until_ready()
    first_forward = time.perf_counter() - start

    train_s, forward_s = [], []
    for _ in range(args.repeat):  # a round of each in turn, so a busy machine slows both alike
        start = time.perf_counter()
        for _ in range(args.steps):
            state, loss = train_step(state, next_batch())
        loss.block_until_ready()
        train_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(args.steps):
            out = forward(state, next_batch())
        out.block_until_ready()
        forward_s.append(time.perf_counter() - start)
    if not np.isfinite(float(loss)):
        raise SynthicError(f"the training loss is {float(loss)}")
    t_train, t_fwd = statistics.median(train_s), statistics.median(forward_s)
    train_tps = tokens_per_step * args.steps / t_train
    fwd_tps = tokens_per_step * args.steps / t_fwd
    print(f"compile + first train step: {first_train:.2f} s")
    print(f"compile + first forward: {first_forward:.2f} s")
    print(
        f"train: {train_tps:,.0f} tokens/s ({args.steps / t_train:.2f} steps/s, "
        f"{t_train / args.steps * 1000:.1f} ms per step)"
    )
    print(
        f"forward only: {fwd_tps:,.0f} tokens/s ({t_fwd / args.steps * 1000:.1f} ms per step; "
        f"train step = {t_train / t_fwd:.1f} x forward)"
    )
    return 0
