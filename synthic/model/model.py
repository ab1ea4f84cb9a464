"""The transformer: a decoder-only language model over the token streams, in Flax NNX.

Read top to bottom, parts before the whole: rotary positions, causal self-attention, the MLP,
a pre-norm block, the model. Pre-norm (RMSNorm before each sub-layer, one more before the
output), rotary position embeddings on queries and keys (no learned positions, so nothing ties
the model to one context length but its training), and tied embeddings (the output layer is the
transpose of the input embedding). Linear layers have no biases. Attention is causal over the
whole context, or local (`window` > 0: each position sees itself and the `window - 1` positions
before it, a sliding window, as the original Synthic's byte-level model had with 512 bytes).
Shapes in comments: B batch, T time, C width, H heads, D head width, V vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from synthic.model.evaluate import token_nll
from synthic.model.presets import PRESETS  # the named sizes (no jax there, for the CLI)


@dataclass(frozen=True)
class ModelConfig:
    """The model's sizes. `vocab_size` comes from the dataset's vocab.json."""

    vocab_size: int = 9615
    context: int = 256  # tokens of context seen in training (and by the sliding evaluation)
    layers: int = 2  # transformer blocks
    width: int = 128  # C, the residual stream's width
    heads: int = 4  # H; the head width D = width // heads must be even (rotary pairs)
    mlp_ratio: int = 4  # the MLP's hidden width is mlp_ratio * width
    dropout: float = 0.1  # after attention and MLP, in training only
    rope_base: float = 10_000.0  # rotary wavelength base
    dtype: str = "auto"  # compute dtype: "float32", "bfloat16", or "auto" (bf16 on a GPU/TPU)
    window: int = 0  # local attention: positions seen, itself included; 0: the whole context
    # The ids the output layer scores one by one (sorted; () = every id). The others share one
    # learned "other" logit, spread evenly over them (see Transformer.logits).
    outputs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.width % self.heads or (self.width // self.heads) % 2:
            raise ValueError(f"width {self.width} must split into {self.heads} even-width heads")
        if min(self.vocab_size, self.context, self.layers, self.width, self.mlp_ratio) < 1:
            raise ValueError("every size must be at least 1")
        if self.window < 0:
            raise ValueError("window must be 0 (full causal attention) or above")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        if self.dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError(f"unknown dtype {self.dtype!r}")
        outputs = tuple(sorted({int(i) for i in self.outputs}))
        if outputs and not 0 <= outputs[0] <= outputs[-1] < self.vocab_size:
            raise ValueError(f"output ids must lie in [0, {self.vocab_size})")
        object.__setattr__(self, "outputs", () if len(outputs) == self.vocab_size else outputs)

    def to_dict(self) -> dict:
        """The fields as JSON gives them back (`outputs` a list)."""
        return {**asdict(self), "outputs": list(self.outputs)}

    def compute_dtype(self):
        if self.dtype == "auto":
            return jnp.bfloat16 if jax.default_backend() in ("gpu", "tpu") else jnp.float32
        return jnp.dtype(self.dtype)


def model_config(size: str = "tiny", **overrides) -> ModelConfig:
    """The preset `size` with `overrides` (any ModelConfig field) applied."""
    if size not in PRESETS:
        raise ValueError(f"unknown model size {size!r} (choose from {', '.join(PRESETS)})")
    return replace(ModelConfig(**PRESETS[size]), **overrides)


def rotary(x: jax.Array, base: float) -> jax.Array:
    """Rotate each pair (x[..., i], x[..., i + D/2]) of queries or keys (B, T, H, D) by the angle
    t / base^(2i/D) of its position t (Su et al., RoFormer)."""
    _, t, _, d = x.shape
    half = d // 2
    freq = base ** (-jnp.arange(half, dtype=jnp.float32) / half)  # (D/2,)
    angle = jnp.arange(t, dtype=jnp.float32)[:, None] * freq[None, :]  # (T, D/2)
    sin = jnp.sin(angle)[None, :, None, :]  # (1, T, 1, D/2)
    cos = jnp.cos(angle)[None, :, None, :]
    x1, x2 = x[..., :half].astype(jnp.float32), x[..., half:].astype(jnp.float32)
    out = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return out.astype(x.dtype)


class Attention(nnx.Module):
    """Causal multi-head self-attention with rotary positions, local with `cfg.window`."""

    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.heads, self.rope_base = cfg.heads, cfg.rope_base
        # (positions back, positions ahead) each query sees: the window's mask, with is_causal
        self.local = (cfg.window - 1, 0) if cfg.window else None
        dtype = cfg.compute_dtype()
        self.qkv = nnx.Linear(cfg.width, 3 * cfg.width, use_bias=False, dtype=dtype, rngs=rngs)
        self.out = nnx.Linear(cfg.width, cfg.width, use_bias=False, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, c = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads)  # (B, T, 3, H, D)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # (B, T, H, D) each
        q, k = rotary(q, self.rope_base), rotary(k, self.rope_base)
        y = jax.nn.dot_product_attention(
            q, k, v, is_causal=True, local_window_size=self.local
        )  # (B, T, H, D)
        return self.out(y.reshape(b, t, c))  # (B, T, C)


class MLP(nnx.Module):
    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        dtype, hidden = cfg.compute_dtype(), cfg.mlp_ratio * cfg.width
        self.up = nnx.Linear(cfg.width, hidden, use_bias=False, dtype=dtype, rngs=rngs)
        self.down = nnx.Linear(hidden, cfg.width, use_bias=False, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.down(jax.nn.gelu(self.up(x)))  # (B, T, C)


class Block(nnx.Module):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.norm1 = nnx.RMSNorm(cfg.width, rngs=rngs)
        self.attn = Attention(cfg, rngs=rngs)
        self.norm2 = nnx.RMSNorm(cfg.width, rngs=rngs)
        self.mlp = MLP(cfg, rngs=rngs)
        self.drop = nnx.Dropout(cfg.dropout, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.mlp(self.norm2(x)))


class Transformer(nnx.Module):
    """Token ids (B, T) -> next-token logits (B, T, V), in float32."""

    def __init__(self, cfg: ModelConfig, *, rngs: nnx.Rngs):
        self.cfg = cfg
        dtype = cfg.compute_dtype()
        init = nnx.initializers.normal(stddev=0.02)
        self.embed = nnx.Embed(
            cfg.vocab_size, cfg.width, dtype=dtype, embedding_init=init, rngs=rngs
        )
        self.blocks = nnx.List([Block(cfg, rngs=rngs) for _ in range(cfg.layers)])
        self.norm = nnx.RMSNorm(cfg.width, rngs=rngs)
        if cfg.outputs:
            self.other = nnx.Param(init(rngs.params(), (cfg.width,)))  # the "other" row

    def __call__(self, tokens: jax.Array) -> jax.Array:
        return self.logits(self.features(tokens))

    def features(self, tokens: jax.Array) -> jax.Array:
        """The final normalised residual stream (B, T, C) of token ids (B, T)."""
        x = self.embed(tokens)  # (B, T, C)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def _scored(self, x: jax.Array) -> jax.Array:
        """Logits (B, T, K + 1) of the K output ids and, last, of "other": the tied embedding's
        rows of those ids and the `other` vector."""
        table = self.embed.embedding[...]
        w = jnp.concatenate([table[jnp.asarray(self.cfg.outputs)], self.other[...][None]])
        return (x @ w.T.astype(x.dtype)).astype(jnp.float32)

    def logits(self, x: jax.Array) -> jax.Array:
        """Next-token logits (B, T, V) in float32 of features x. With a full output layer the
        tied embedding scores every id. With `cfg.outputs` (K ids) it scores those K and one
        "other" logit l_o; each of the V - K other ids gets l_o - log(V - K), so softmax gives
        them together the probability "other" has among K + 1 (a proper distribution over every
        id, and the matrix product costs K + 1 rows instead of V)."""
        if not self.cfg.outputs:
            return self.embed.attend(x).astype(jnp.float32)  # tied output layer: (B, T, V)
        scored = self._scored(x)
        rest = self.cfg.vocab_size - len(self.cfg.outputs)
        shape = (*x.shape[:-1], self.cfg.vocab_size)
        full = jnp.broadcast_to(scored[..., -1:] - math.log(rest), shape)
        return full.at[..., jnp.asarray(self.cfg.outputs)].set(scored[..., :-1])

    def nll(self, tokens: jax.Array, targets: jax.Array) -> jax.Array:
        """Per-token negative log-likelihood in nats (B, T) of `targets` after `tokens`: the
        same as the cross-entropy of `self(tokens)`, computed on the K + 1 scored logits only."""
        x = self.features(tokens)
        if not self.cfg.outputs:
            return token_nll(self.logits(x), targets)
        scored = self._scored(x)
        k = len(self.cfg.outputs)
        where = np.full(self.cfg.vocab_size, k, np.int32)  # id -> its column; "other": k
        where[list(self.cfg.outputs)] = np.arange(k)
        col = jnp.asarray(where)[targets]
        picked = jnp.take_along_axis(scored, col[..., None], axis=-1)[..., 0]
        spread = jnp.where(col == k, math.log(self.cfg.vocab_size - k), 0.0)
        return jax.nn.logsumexp(scored, axis=-1) - picked + spread


def make_model(cfg: ModelConfig, seed: int = 0) -> Transformer:
    """A freshly initialised model; `seed` gives the parameters and the dropout stream."""
    return Transformer(cfg, rngs=nnx.Rngs(params=seed, dropout=seed + 1))


def count_params(model: nnx.Module) -> int:
    return sum(x.size for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
