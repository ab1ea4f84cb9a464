"""Scoring a token set: the summed negative log-likelihood of every token under the sliding-window
protocol of `synthic.model.data`, and the figures made from it."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from synthic.dataset.tokens import bits_per_second


def token_nll(logits: jax.Array, targets: jax.Array) -> jax.Array:
    """Per-token negative log-likelihood in nats: logits (B, T, V), targets (B, T) -> (B, T)."""
    return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), targets)


def scores(total_nats: float, tokens: int, seconds: float) -> dict:
    """The figures of a set: mean loss (nats per token), bits per token, bits per second."""
    return {
        "loss": total_nats / tokens,
        "bits_per_token": total_nats / tokens / math.log(2),
        "bits_per_second": bits_per_second([total_nats], seconds),
        "tokens": int(tokens),
        "seconds": float(seconds),
    }


def score_windows(nll_sum_fn, windows, batch: int, put=lambda x: x) -> tuple[float, int]:
    """Sum `nll_sum_fn(tokens, scored)` (a jitted function returning the scored tokens' summed
    NLL) over the windows' batches; returns (total nats, scored tokens). `put` places a batch on
    the devices."""
    total = 0.0
    for tokens, scored in windows.batches(batch):
        total += float(nll_sum_fn(put(tokens), put(scored)))
    return total, int(np.sum(windows.scored))
