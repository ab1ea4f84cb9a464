"""Sampling new songs from a trained transformer: a KV cache, constrained decoding, any length.

The model (`synthic.model.model.Transformer`) has no cache of its own, so this module runs its
layers itself, with the model's own submodules and parameters: `forward_cached` feeds T tokens at
positions pos..pos+T-1 and stores their keys and values in a cache of `context` slots per layer
(rotary positions applied at those positions), so a prompt is prefilled in one call and each new
token costs one position. The decode step is jit-compiled and runs up to `chunk` tokens in a
`lax.while_loop` per call.

Each step masks the logits with the token grammar (`synthic.model.grammar`: every output decodes
strictly and re-encodes to itself, no bits the hardware ignores, time only forward), then applies
the repetition controls over the last `window` tokens (register language models collapse into
2-6-token loops without them: a repetition penalty on write tokens already in the window, CTRL
style, and a ban on any token that would repeat an n-gram of the window, lifted where it would
leave nothing allowed), then temperature, top-k and top-p (nucleus), and samples with a key
derived from the seed, the row and the step (`fold_in`), so the same seed gives the same tokens
whatever the batch, the chunking or the sliding.

Streams start with END, as every sample does in training (`synthic.model.data`: a sample follows
the END of the one before; BOS never occurs there), then the prompt: from scratch nothing, or the
first seconds of a recording (`prompt_tokens`). Any length: when the cache is full the last
`keep` tokens (3/4 of the context) are prefilled again from position 0 (the model only ever
attends within a window it was trained on), and generation goes on. With `seconds` the stream
runs until that much music has been generated after the prompt (END is masked until then and
forced after); without, until the model writes END or `max_tokens` is reached (END forced).

`loop_stats` measures loops: distinct n-grams per second and the share of repeated 4-grams.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from synthic.dataset.tokens import END, PAD, Tokenizer, load_tokenizer
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ
from synthic.model.grammar import K_VAL, K_WRITE, Grammar, State, ok_to_stop

NEG = -1e30  # logit of a masked token (finite: no NaN when a row is all but masked)


@dataclass(frozen=True)
class Sampling:
    """How each token is drawn. `temperature` 0 is greedy; `top_k` 0 and `top_p` 1 are off;
    `repetition_penalty` 1 and `no_repeat_ngram` 0 are off; both look at the last `window`
    tokens."""

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram: int = 0
    window: int = 64

    def __post_init__(self) -> None:
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError("temperature must be a finite number >= 0")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if not (self.repetition_penalty >= 1 and math.isfinite(self.repetition_penalty)):
            raise ValueError("repetition_penalty must be >= 1")
        if self.no_repeat_ngram < 0 or self.no_repeat_ngram == 1:
            raise ValueError("no_repeat_ngram must be 0 (off) or at least 2")
        if self.window < max(1, self.no_repeat_ngram):
            raise ValueError("window must hold at least one n-gram")


# -- the cached forward pass ----------------------------------------------------------------


def _rotary_at(x: jax.Array, positions: jax.Array, base: float) -> jax.Array:
    """`synthic.model.model.rotary` at the given positions (T,) instead of 0..T-1."""
    d = x.shape[-1]
    half = d // 2
    freq = base ** (-jnp.arange(half, dtype=jnp.float32) / half)
    angle = positions.astype(jnp.float32)[:, None] * freq[None, :]
    sin = jnp.sin(angle)[None, :, None, :]
    cos = jnp.cos(angle)[None, :, None, :]
    x1, x2 = x[..., :half].astype(jnp.float32), x[..., half:].astype(jnp.float32)
    return jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1).astype(x.dtype)


def init_cache(model, batch: int, length: int | None = None) -> tuple:
    """An empty cache: per layer (keys, values), each (B, length, H, D)."""
    cfg = model.cfg
    length = length or cfg.context
    shape = (batch, length, cfg.heads, cfg.width // cfg.heads)
    dtype = cfg.compute_dtype()
    return tuple((jnp.zeros(shape, dtype), jnp.zeros(shape, dtype)) for _ in range(cfg.layers))


def forward_cached(model, tokens: jax.Array, cache: tuple, pos) -> tuple[jax.Array, tuple]:
    """Logits (B, T, V) of `tokens` (B, T) at positions pos..pos+T-1, attending to the cache's
    first pos positions and to each other causally; returns them and the updated cache. Dropout
    is left out (inference)."""
    b, t = tokens.shape
    positions = pos + jnp.arange(t)
    x = model.embed(tokens)
    new_cache = []
    for block, (kc, vc) in zip(model.blocks, cache, strict=True):
        attn = block.attn
        h = block.norm1(x)
        c = h.shape[-1]
        heads = attn.heads
        d = c // heads
        qkv = attn.qkv(h).reshape(b, t, 3, heads, d)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        q, k = _rotary_at(q, positions, attn.rope_base), _rotary_at(k, positions, attn.rope_base)
        kc = jax.lax.dynamic_update_slice(kc, k.astype(kc.dtype), (0, pos, 0, 0))
        vc = jax.lax.dynamic_update_slice(vc, v.astype(vc.dtype), (0, pos, 0, 0))
        s = jnp.einsum("bqhd,bkhd->bhqk", q.astype(jnp.float32), kc.astype(jnp.float32))
        s = s / math.sqrt(d)
        visible = jnp.arange(kc.shape[1])[None, :] <= positions[:, None]  # (T, L)
        s = jnp.where(visible[None, None], s, NEG)
        p = jax.nn.softmax(s, axis=-1).astype(vc.dtype)
        y = jnp.einsum("bhqk,bkhd->bqhd", p, vc)
        x = x + attn.out(y.reshape(b, t, c))
        x = x + block.mlp(block.norm2(x))
        new_cache.append((kc, vc))
    x = model.norm(x)
    return model.logits(x), tuple(new_cache)


# -- sampling masks ---------------------------------------------------------------------------


TOP_P_STEPS = 32  # bisection steps of top_p_mask: a bracket of 100 / 2**32 (float32's grain)


def top_k_mask(logits: jax.Array, k: int) -> jax.Array:
    """The tokens among the k highest logits (ties at the k-th kept) along the last axis."""
    if k <= 0 or k >= logits.shape[-1]:
        return jnp.ones(logits.shape, bool)
    kth = jax.lax.top_k(logits, k)[0][..., -1:]
    return logits >= kth


def top_p_mask(logits: jax.Array, p: float) -> jax.Array:
    """The nucleus: the most probable tokens whose probabilities, before each, sum below `p`
    (so the smallest set reaching p; the most probable token is always kept; ties at the edge
    kept). That set is every logit at or above the largest threshold t whose tokens hold mass
    >= p; t is found by bisection (`TOP_P_STEPS` halvings of [max - 100, max], below which
    float32 probabilities are 0), one masked sum over the vocabulary a step: no sort, which cost
    36 ms a step at batch 16 over 9,615 tokens against 2 ms (tests/test_generate.py checks the
    two agree)."""
    if p >= 1:
        return jnp.ones(logits.shape, bool)
    probs = jax.nn.softmax(logits, axis=-1)
    hi = jnp.max(logits, axis=-1, keepdims=True)

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        enough = jnp.sum(jnp.where(logits >= mid, probs, 0.0), axis=-1, keepdims=True) >= p
        return jnp.where(enough, mid, lo), jnp.where(enough, hi, mid)

    lo, _ = jax.lax.fori_loop(0, TOP_P_STEPS, halve, (hi - 100.0, hi))
    return logits >= lo


def ngram_ban(hist: jax.Array, n: int, vocab: int) -> jax.Array:
    """Tokens (V,) that would complete an n-gram already in `hist` (W,) (oldest first, -1 for
    empty) after its last n-1 tokens."""
    w = hist.shape[0]
    m = w - n + 1
    last = hist[w - n + 1 :]
    match = hist[:m] >= 0
    for i in range(n - 1):
        match &= hist[i : i + m] == last[i]
    match &= jnp.all(last >= 0)
    nxt = hist[n - 1 :]
    return jnp.zeros(vocab, bool).at[jnp.where(match, nxt, vocab)].set(True, mode="drop")


def _sample_row(logits, allowed, hist, key, penalised, s: Sampling):
    """One row's token: logits (V,), allowed (V,), hist (W,), a key."""
    vocab = logits.shape[0]
    logits = jnp.where(allowed, logits, NEG)
    if s.repetition_penalty != 1:
        recent = hist[-s.window :]
        seen = (
            jnp.zeros(vocab, bool).at[jnp.where(recent >= 0, recent, vocab)].set(True, mode="drop")
        )
        seen &= penalised
        pen = s.repetition_penalty
        logits = jnp.where(seen, jnp.where(logits > 0, logits / pen, logits * pen), logits)
        logits = jnp.where(allowed, logits, NEG)
    if s.no_repeat_ngram:
        banned = ngram_ban(hist[-s.window :], s.no_repeat_ngram, vocab)
        left = allowed & ~banned
        logits = jnp.where(jnp.any(left), jnp.where(left, logits, NEG), logits)
    if s.temperature == 0:
        return jnp.argmax(logits).astype(jnp.int32)
    logits = logits / s.temperature
    keep = top_k_mask(logits, s.top_k) & top_p_mask(logits, s.top_p)
    logits = jnp.where(keep, logits, NEG)
    return jax.random.categorical(key, logits).astype(jnp.int32)


# -- the sampler ------------------------------------------------------------------------------


class Sampler:
    """Batched, seeded, constrained sampling from `model` over `tok`'s tokens."""

    def __init__(self, model, tok: Tokenizer, sampling: Sampling = Sampling(), chunk: int = 64):
        if model.cfg.vocab_size != tok.vocab_size:
            raise ValueError(
                f"the model's vocabulary ({model.cfg.vocab_size}) is not the tokenizer's "
                f"({tok.vocab_size})"
            )
        self.model, self.tok, self.sampling, self.chunk = model, tok, sampling, chunk
        self.grammar = g = Grammar(tok)
        self.context = model.cfg.context
        self.keep = max(1, self.context * 3 // 4)
        self.hist_len = max(sampling.window, 1)
        graphdef, params = nnx.split(model)
        self._params = params
        penalised = jnp.asarray((g.kind == K_WRITE) | (g.kind == K_VAL))
        gtabs = g

        def prefill(params, tokens, cache):
            m = nnx.merge(graphdef, params)
            logits, cache = forward_cached(m, tokens, cache, 0)
            return logits[:, -1], cache

        def steps(params, carry, n, row_keys, target, max_tokens, end_ok_early):
            m = nnx.merge(graphdef, params)
            bsz = carry["logits"].shape[0]
            out0 = jnp.full((bsz, chunk), PAD, jnp.int32)

            def body(i, c):
                gs = State.from_tree(c["gstate"])
                allowed = gtabs.allowed(gs, xp=jnp)
                time = gs.time_buckets(tok.buckets)
                force = (time >= target) | (c["step"] >= max_tokens)
                end_only = jnp.asarray(g.kind == 2)
                stop_ok = ok_to_stop(gs, xp=jnp)
                allowed = jnp.where((force & stop_ok)[:, None], allowed & end_only[None], allowed)
                allowed = jnp.where(
                    (~force & ~end_ok_early & stop_ok)[:, None],
                    allowed & ~end_only[None],
                    allowed,
                )
                keys = jax.vmap(lambda k: jax.random.fold_in(k, c["step"]))(row_keys)
                tok_ = jax.vmap(lambda lg, al, h, k: _sample_row(lg, al, h, k, penalised,
                                                                 sampling))(
                    c["logits"], allowed, c["hist"], keys
                )  # fmt: skip
                gs2 = gtabs.advance(gs, tok_, xp=jnp)
                logits, cache = forward_cached(m, tok_[:, None], c["cache"], c["pos"])
                return {
                    "cache": cache,
                    "pos": c["pos"] + 1,
                    "logits": logits[:, 0],
                    "gstate": gs2.tree(),
                    "hist": jnp.concatenate([c["hist"][:, 1:], tok_[:, None]], axis=1),
                    "step": c["step"] + 1,
                    "out": c["out"].at[:, i].set(tok_),
                }

            carry = {**carry, "out": out0}
            return jax.lax.fori_loop(0, n, body, carry)

        self._prefill = jax.jit(prefill)
        self._steps = jax.jit(steps)

    def generate(
        self,
        batch: int = 1,
        *,
        prompt: np.ndarray | None = None,
        seconds: float | None = None,
        max_tokens: int | None = None,
        seed: int = 0,
    ) -> list[np.ndarray]:
        """`batch` token streams (each the prompt, then what was sampled, ending with END;
        without the leading END). `prompt`: tokens to continue (a prefix of a stream, without
        END; `prompt_tokens` makes one from a recording). `seconds`: music to generate after
        the prompt (END masked until then); else the model ends each stream, within
        `max_tokens` sampled tokens (default: seconds x 2,000 + 1,024, or 8,192)."""
        g, tok = self.grammar, self.tok
        prompt = np.asarray([] if prompt is None else prompt, dtype=np.int64)
        s0 = g.run(prompt)
        if s0.ended:
            raise ValueError("the prompt holds END")
        stream = np.concatenate([[END], prompt]).astype(np.int32)
        if max_tokens is None:
            max_tokens = int(seconds * 2000) + 1024 if seconds is not None else 8192
        target = np.iinfo(np.int32).max
        if seconds is not None:
            target = int(s0.time_buckets(tok.buckets)) + math.ceil(
                seconds * CLOCK_HZ / tok.bucket_cycles
            )
        base = jax.random.key(seed)
        row_keys = jax.vmap(lambda r: jax.random.fold_in(base, r))(jnp.arange(batch))
        hist = np.full((batch, self.hist_len), -1, np.int32)
        tail = stream[1:][-self.hist_len :]
        if len(tail):
            hist[:, -len(tail) :] = tail
        seqs = np.tile(stream, (batch, 1))
        window = seqs[:, -self.keep :] if seqs.shape[1] > self.context else seqs
        logits, cache = self._prefill(self._params, jnp.asarray(window), self._cache(batch))
        carry = {
            "cache": cache,
            "pos": jnp.int32(window.shape[1]),
            "logits": logits,
            "gstate": tuple(jnp.full((batch,), int(x), jnp.int32) for x in s0.tree()),
            "hist": jnp.asarray(hist),
            "step": jnp.int32(0),
        }
        parts = [seqs]
        pos = window.shape[1]
        hard_limit = max_tokens + 4
        done = 0
        while done < hard_limit:
            if pos >= self.context:
                full = np.concatenate(parts, axis=1)
                parts = [full]
                window = full[:, -self.keep :]
                logits, cache = self._prefill(self._params, jnp.asarray(window), self._cache(batch))
                carry = {**carry, "cache": cache, "logits": logits, "pos": jnp.int32(self.keep)}
                pos = self.keep
            n = min(self.chunk, self.context - pos, hard_limit - done)
            carry = self._steps(
                self._params,
                carry,
                jnp.int32(n),
                row_keys,
                jnp.int32(target),
                jnp.int32(max_tokens),
                jnp.bool_(seconds is None),
            )
            out = np.asarray(carry.pop("out"))[:, :n]
            parts.append(out)
            pos += n
            done += n
            if np.all(np.asarray(carry["gstate"][4]) != 0):
                break
        full = np.concatenate(parts, axis=1)[:, 1:]
        songs = []
        for row in full:
            ends = np.flatnonzero(row == END)
            songs.append(row[: ends[0] + 1] if len(ends) else row)
        return songs

    def _cache(self, batch: int) -> tuple:
        return init_cache(self.model, batch, self.context)


# -- prompts, songs, loading --------------------------------------------------------------------


def prompt_tokens(rec: Recording, tok: Tokenizer, seconds: float) -> np.ndarray:
    """The tokens of the first `seconds` of `rec`, without END (a prompt to continue)."""
    end = min(rec.length_cycles, int(round(seconds * CLOCK_HZ)))
    ids = tok.encode(rec.between(0, end))
    return ids[:-1].astype(np.int64)


def decode_songs(tok: Tokenizer, songs: list[np.ndarray], meta: dict | None = None) -> list:
    """Each stream as a Recording (strict decoding: the grammar guarantees it)."""
    return [tok.decode(s, strict=True, meta=dict(meta or {})) for s in songs]


def load(model_dir: str | os.PathLike):
    """(model, tokenizer, config.json) of a model exported by `synthic train` (MODEL_DIR:
    params/, config.json, vocab.json)."""
    from synthic.model.train import load_model

    model_dir = Path(model_dir)
    model, summary = load_model(model_dir)
    return model, load_tokenizer(model_dir / "vocab.json"), summary


# -- loops --------------------------------------------------------------------------------------


def loop_stats(tokens: np.ndarray, seconds: float, n: int = 4) -> dict:
    """Loop measures of one stream: `distinct_per_second` (distinct n-grams per second of
    music), `repeated_fraction` (the share of its n-grams that occurred earlier in it),
    `ngrams`."""
    t = np.asarray(tokens, dtype=np.int64)
    t = t[t != END]
    count = max(0, len(t) - n + 1)
    if count == 0:
        return {"ngrams": 0, "distinct_per_second": 0.0, "repeated_fraction": 0.0}
    grams = np.lib.stride_tricks.sliding_window_view(t, n)
    distinct = len(np.unique(grams, axis=0))
    return {
        "ngrams": count,
        "distinct_per_second": distinct / seconds if seconds > 0 else 0.0,
        "repeated_fraction": 1.0 - distinct / count,
    }


def sampling_record(s: Sampling) -> dict:
    return asdict(s)
