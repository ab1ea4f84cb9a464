"""`synthic bench generate`: generation tokens/s and seconds of music per wall second.

The sampler is synthic.model.generate.Sampler (the KV cache, grammar-constrained decoding,
temperature 1 and top-p 0.98 as in config.yaml unless `--temperature`/`--top-p` say otherwise,
the sliding re-prefill past the context), run at
each `--batch` size for `--tokens` tokens per stream (END masked until then), on a freshly
initialised model of the `--size` preset (speed does not depend on the weights) or an exported
one (`--model MODEL_DIR`). The first run (compile + run) is timed and printed separately; the
figure is the median of `--repeat` runs. The baseline without a cache runs a full forward pass of
the model over a context-long buffer for every token (the steady state of generation without a
cache, where every window is full), then the same grammar mask and sampling, for
`--no-cache-tokens` tokens per round.

Seconds of music per token come from the tokenisation's rate: `--tokens-per-second`, else the
given `--dataset`'s meta.json (`tokens` / `seconds` over its sets), else about 250 tokens per
second of music for design 'write' (measured on the jukebox data). Music seconds per wall second
is tokens/s over that rate, for all streams together and per stream (one song's own pace);
"faster than real time" when a stream's music comes faster than it plays (per stream > 1).

For scale (issue 13): a 3.4M-parameter decoder (4 layers, width 256, context 512) samples at
about 1,400 tokens/s with a KV cache (33 without) on 2 CPU cores. Target with the demo model on
2 CPU cores: generation faster than real time.
"""

from __future__ import annotations

import statistics
import time

WRITE_TOKENS_PER_SECOND = 250.0  # design 'write' on the jukebox data (issue 13)


def _batches(text: str) -> list[int]:
    import argparse

    try:
        sizes = [int(x, 10) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not sizes or any(not 1 <= b <= 4096 for b in sizes):
        raise argparse.ArgumentTypeError(f"batch sizes must be from 1 to 4096: {text!r}")
    return sizes


def add_arguments(p) -> None:
    from synthic.cli import _number, int_between, seed
    from synthic.model.presets import PRESETS

    p.add_argument("--size", choices=list(PRESETS), default="tiny", help="model preset")
    p.add_argument(
        "--tokens", type=int_between(1, 100_000), default=512, help="tokens per stream per run"
    )
    p.add_argument(
        "--batch", type=_batches, default=[1, 16], help="batch sizes, comma-separated (1,16)"
    )
    p.add_argument(
        "--repeat", type=int_between(1, 1000), default=3, help="timed runs (median shown)"
    )
    p.add_argument(
        "--no-cache-tokens",
        type=int_between(0, 100_000),
        default=8,
        help="tokens per round of the no-cache baseline (0: skip it)",
    )
    p.add_argument(
        "--context", type=int_between(1, 65_536), help="override the preset's context length"
    )
    p.add_argument("--model", metavar="MODEL_DIR", help="an exported model instead of random init")
    p.add_argument(
        "--dataset", metavar="DATASET", help="a tokenised dataset: its tokens per second of music"
    )
    p.add_argument(
        "--tokens-per-second",
        type=_number,
        help="tokens per second of music (default: the dataset's, or 250 for design 'write')",
    )
    p.add_argument("--temperature", type=_number, default=1.0, help="sampling temperature")
    p.add_argument(
        "--top-p", type=_number, default=0.98, help="nucleus (1: off; it sorts the vocabulary)"
    )
    p.add_argument("--seed", type=seed, default=0, help="parameters and sampling")


def music_rate(args, design: str) -> tuple[float, str]:
    """(tokens per second of music, where the figure comes from)."""
    import json
    from pathlib import Path

    from synthic.errors import SynthicError

    if args.tokens_per_second is not None:
        if not args.tokens_per_second > 0:
            raise SynthicError("--tokens-per-second must be above 0")
        return args.tokens_per_second, "--tokens-per-second"
    if args.dataset:
        tokens = seconds = 0.0
        for name in ("train", "val", "test"):
            path = Path(args.dataset) / f"{name}.meta.json"
            if path.exists():
                meta = json.loads(path.read_text(encoding="utf-8"))
                tokens += meta["tokens"]
                seconds += meta["seconds"]
        if seconds > 0:
            return tokens / seconds, f"measured on {args.dataset}"
        raise SynthicError(f"{args.dataset} holds no seconds of music (no <set>.meta.json)")
    if design == "write":
        return WRITE_TOKENS_PER_SECOND, "design 'write' on the jukebox data"
    raise SynthicError(f"no default rate for design {design!r}: give --tokens-per-second")


def _setup(args):
    """(model in eval mode, tokenizer, source)."""
    from pathlib import Path

    from synthic.bench.train import build_model
    from synthic.dataset.tokens import Tokenizer, load_tokenizer
    from synthic.errors import SynthicError

    if args.model:
        from synthic.model.generate import load

        model, tok, _ = load(args.model)
        return model, tok, f"loaded from {args.model}"
    tok = load_tokenizer(Path(args.dataset) / "vocab.json") if args.dataset else Tokenizer("write")
    model, source = build_model(args, tok.vocab_size, dropout=0.0)
    if model.cfg.vocab_size != tok.vocab_size:
        raise SynthicError("the model's vocabulary is not the tokenizer's")
    model.eval()
    return model, tok, source


def no_cache_step(model, tok, sampling):
    """A jitted step without a cache: (params, buf (B, context), pos, gstate, keys, step) ->
    (buf with position pos sampled, gstate). A full forward pass over the buffer per token."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    from synthic.model.generate import _sample_row
    from synthic.model.grammar import K_VAL, K_WRITE, Grammar, State

    g = Grammar(tok)
    penalised = jnp.asarray((g.kind == K_WRITE) | (g.kind == K_VAL))
    graphdef, params = nnx.split(model)

    @jax.jit
    def step(params, buf, pos, gstate, hist, keys, i):
        m = nnx.merge(graphdef, params)
        logits = jax.lax.dynamic_index_in_dim(m(buf), pos - 1, axis=1, keepdims=False)
        gs = State.from_tree(gstate)
        allowed = g.allowed(gs, xp=jnp)
        ks = jax.vmap(lambda k: jax.random.fold_in(k, i))(keys)
        new = jax.vmap(lambda lg, al, h, k: _sample_row(lg, al, h, k, penalised, sampling))(
            logits, allowed, hist, ks
        )
        return buf.at[:, pos].set(new), g.advance(gs, new, xp=jnp).tree()

    return params, step


def run(args) -> int:
    import jax
    import jax.numpy as jnp

    from synthic.bench.train import devices_line, model_line
    from synthic.dataset.tokens import END
    from synthic.errors import SynthicError
    from synthic.model.generate import Sampler, Sampling

    model, tok, source = _setup(args)
    rate, rate_source = music_rate(args, tok.design)
    try:
        sampling = Sampling(temperature=args.temperature, top_p=args.top_p)
    except ValueError as e:
        raise SynthicError(str(e)) from None
    sampler = Sampler(model, tok, sampling)
    context = model.cfg.context
    print(
        f"synthic bench generate: {args.tokens:,} tokens per stream, batch "
        f"{', '.join(map(str, args.batch))}, median of {args.repeat} runs"
    )
    print(devices_line())
    print(model_line(model, source))
    print(
        f"tokenisation: design {tok.design!r}, {rate:,.1f} tokens per second of music "
        f"({rate_source}): {1000 / rate:.2f} ms of music per token"
    )
    print(
        f"sampling: temperature {sampling.temperature:g}, top-p {sampling.top_p:g}, "
        f"grammar-constrained; cache of {context} positions"
    )

    def kv_run(batch: int, seed: int) -> tuple[float, int]:
        start = time.perf_counter()
        songs = sampler.generate(
            batch, seconds=2.0 * args.tokens + 1, max_tokens=args.tokens, seed=seed
        )
        return time.perf_counter() - start, sum(len(s) for s in songs)

    nc_params, nc_step = no_cache_step(model, tok, sampling) if args.no_cache_tokens else (0, 0)

    def nc_run(batch: int, seed: int) -> tuple[float, int]:
        n = min(args.no_cache_tokens, context - 1)
        buf = jnp.full((batch, context), END, jnp.int32)
        gstate = tuple(jnp.zeros((batch,), jnp.int32) for _ in range(5))
        hist = jnp.full((batch, sampling.window), -1, jnp.int32)
        keys = jax.vmap(lambda r: jax.random.fold_in(jax.random.key(seed), r))(jnp.arange(batch))
        start = time.perf_counter()
        for i in range(n):
            buf, gstate = nc_step(nc_params, buf, jnp.int32(1 + i), gstate, hist, keys, i)
        buf.block_until_ready()
        return time.perf_counter() - start, batch * n

    header = (
        f"{'path':<9} {'batch':>5} {'tokens/s':>10} {'per stream':>10} "
        f"{'music s/s':>10} {'per stream':>10} {'first run s':>11} {'compile s':>9}"
    )
    rows = {}
    for batch in args.batch:
        for path, fn in (("kv-cache", kv_run), ("no-cache", nc_run)):
            if path == "no-cache" and not args.no_cache_tokens:
                continue
            first, _ = fn(batch, 0)
            runs = [fn(batch, 1 + r) for r in range(args.repeat)]
            wall = statistics.median(t for t, _ in runs)
            tps = statistics.median(n / t for t, n in runs)
            if tps <= 0:
                raise SynthicError(f"{path} at batch {batch} generated nothing")
            rows[path, batch] = tps
            if len(rows) == 1:
                print(header)
            print(
                f"{path:<9} {batch:>5} {tps:>10,.1f} {tps / batch:>10,.1f} {tps / rate:>10.3f} "
                f"{tps / batch / rate:>10.3f} {first:>11.2f} {max(first - wall, 0.0):>9.2f}"
            )
    print(
        "(compile s: first run minus the median run; music s/s: seconds of music per wall "
        "second, all streams and per stream)"
    )
    for batch in args.batch:
        if ("no-cache", batch) in rows:
            ratio = rows["kv-cache", batch] / rows["no-cache", batch]
            print(f"batch {batch}: KV cache {ratio:.1f}x the no-cache tokens/s")
    if 1 in args.batch:
        for batch in args.batch:
            if batch != 1:
                ratio = rows["kv-cache", batch] / rows["kv-cache", 1]
                print(f"batch {batch} vs 1 (KV cache): {ratio:.2f}x the tokens/s")
    for batch in args.batch:
        per_stream = rows["kv-cache", batch] / batch / rate
        verdict = "faster than real time" if per_stream > 1 else "SLOWER than real time"
        print(
            f"real time, batch {batch}: {per_stream:.2f}x per stream, "
            f"{per_stream * batch:.2f}x all streams ({verdict})"
        )
    return 0
