"""An n-gram language model over token ids with interpolated modified Kneser-Ney smoothing: the
baseline the transformer has to beat, in bits per second of music.

**Model.** `NGram.fit(samples, vocab_size, order)` counts, with numpy only, every n-gram of
the training samples up to `order` tokens (the token and up to `order - 1` tokens before it).
Each sample is scored on its own: its history starts as `order - 1` BOS tokens (BOS is only
ever a context, never predicted), so no context crosses a sample boundary and a sample's score
does not depend on the other samples. Contexts get integer ids level by level (the id of a
context of c tokens is the index of the pair (id of its c - 1 newest tokens, its oldest token)
among the sorted unique pairs of the training data), so any order fits int64 keys.

The probability (Chen and Goodman's interpolated modified Kneser-Ney) of token w after the
context h of c tokens is

    P_c(w | h) = max(a(h, w) - D_c(a(h, w)), 0) / A(h) + gamma(h) * P_{c-1}(w | h'),
    gamma(h) = (D_c1 N1(h) + D_c2 N2(h) + D_c3+ N3+(h)) / A(h)

where h' is h without its oldest token, a is the raw count at the highest order and the
continuation count (how many distinct tokens precede h w) below it, A(h) the sum of a(h, .),
Nk(h) how many tokens have a(h, w) = k, and the three discounts per order come from the
count-of-counts (D_k = k - (k + 1) Y n_{k+1} / n_k, Y = n1 / (n1 + 2 n2)), clipped into
[0.05, k]. A context never seen in training is skipped (P_c = P_{c-1}); below the unigram is
the uniform distribution over the whole vocabulary. Since every discount is at most its count,
each level sums to 1, so P is a proper distribution over the vocabulary for any context, and
every token, seen or not, gets a probability above 0 (a finite loss).

**Scores.** `NGram.token_bits(samples)` is every token's negative log2-likelihood (END included),
`evaluate` sums them per set: bits per token and bits per second of music (the sum divided by
the samples' seconds, as `synthic.dataset.tokens.bits_per_second` defines it), the measure that
compares tokenisations whose sequences differ in length. Every token is scored with its full
history back to the sample's start, which for an n-gram is the whole context it can use.

**Figures** (the default jukebox dataset, 8 ROMs split 6/1/1 by game; `synthic baseline DIR
--order ... --set val test`; fitting and scoring take a few seconds). Val bits per second:
design 'write' (about 250 tokens/s) 1755 at order 1, 1340 at 2, 1227 at 6, 1208 at 10 and
1205 from 16 on; design 'split' (about 390 tokens/s) 2393, 1454, 1317, 1218 and 1205 at the
same orders. At their best the two designs tie (1205 val, 1103-1106 test): the n-gram needs
about twice the order in 'split' for the same reach. About 40% of the bits go to the AT
(time within a frame) tokens in both designs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthic.dataset.tokens import BOS, SETS

MIN_DISCOUNT = 0.05


def _padded(samples: Sequence[np.ndarray], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """The samples one after another, each after `pad` BOS tokens (int64), and the positions of
    the tokens to predict (every token of every sample) in that array."""
    pieces, positions, start = [], [], 0
    for s in samples:
        s = np.asarray(s, dtype=np.int64).ravel()
        pieces.append(np.full(pad, BOS, dtype=np.int64))
        pieces.append(s)
        positions.append(np.arange(start + pad, start + pad + len(s), dtype=np.int64))
        start += pad + len(s)
    if not pieces:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(pieces), np.concatenate(positions)


def _discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney discounts (D1, D2, D3+) from the count-of-counts of `counts`."""
    n = np.array([np.count_nonzero(counts == k) for k in (1, 2, 3, 4)], dtype=np.float64)
    y = n[0] / (n[0] + 2 * n[1]) if n[0] > 0 and n[1] > 0 else 0.5
    d = np.empty(3)
    for k in (1, 2, 3):
        d[k - 1] = k - (k + 1) * y * n[k] / n[k - 1] if n[k - 1] > 0 else k * y
    return np.clip(np.nan_to_num(d, nan=0.5), MIN_DISCOUNT, [1.0, 2.0, 3.0])


def _lookup(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The index of each key in `sorted_keys`, -1 where it is missing."""
    if len(sorted_keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    idx = np.searchsorted(sorted_keys, keys)
    idx = np.minimum(idx, len(sorted_keys) - 1)
    return np.where(sorted_keys[idx] == keys, idx, -1)


@dataclass
class _Level:
    """The counts of one order: contexts of `c` tokens."""

    context_keys: np.ndarray  # sorted keys (id of the c-1 newest tokens * V + oldest token)
    keys: np.ndarray  # sorted keys context id * V + token of the n-grams seen
    counts: np.ndarray  # their counts (raw at the highest order, continuation below)
    total: np.ndarray  # per context id: A(h)
    gamma: np.ndarray  # per context id: the weight of the lower order
    discount: np.ndarray  # D1, D2, D3+

    def discounted(self, counts: np.ndarray) -> np.ndarray:
        d = np.concatenate([[0.0], self.discount])[np.minimum(counts, 3)]
        return np.maximum(counts - d, 0.0)


class NGram:
    """An interpolated modified Kneser-Ney n-gram model over token ids (see the module
    docstring). Build one with `NGram.fit`."""

    def __init__(self, order: int, vocab_size: int, levels: list[_Level]):
        self.order = order
        self.vocab_size = vocab_size
        self.levels = levels

    @classmethod
    def fit(cls, samples: Sequence[np.ndarray], vocab_size: int, order: int = 4) -> NGram:
        """Count the n-grams of `samples` (token-id arrays, each one sample) up to `order`."""
        if order < 1:
            raise ValueError("order must be at least 1")
        if vocab_size <= BOS:
            raise ValueError("vocab_size must hold BOS")
        V = int(vocab_size)
        padded, pos = _padded(samples, order - 1)
        if len(pos) == 0:
            raise ValueError("no tokens to train on")
        tok = padded[pos]
        if tok.min() < 0 or tok.max() >= V:
            raise ValueError(f"a token is outside the vocabulary (0..{V - 1})")
        if len(padded) * V >= 1 << 62:
            raise ValueError("too many tokens for int64 keys")
        # context ids of every position, newest token first
        hs = [np.zeros(len(pos), dtype=np.int64)]
        context_keys = [np.zeros(1, dtype=np.int64)]
        for c in range(1, order):
            key = hs[-1] * V + padded[pos - c]
            uniq, inv = np.unique(key, return_inverse=True)
            context_keys.append(uniq)
            hs.append(inv.ravel().astype(np.int64))
        levels = []
        for c in range(order):
            if c == order - 1:
                keys, counts = np.unique(hs[c] * V + tok, return_counts=True)
            else:  # continuation counts: distinct older tokens before (h, w)
                _, first = np.unique(hs[c + 1] * V + tok, return_index=True)
                keys, counts = np.unique(hs[c][first] * V + tok[first], return_counts=True)
            n_ctx = len(context_keys[c])
            ctx = keys // V
            total = np.bincount(ctx, weights=counts, minlength=n_ctx)
            discount = _discounts(counts)
            n1 = np.bincount(ctx, weights=counts == 1, minlength=n_ctx)
            n2 = np.bincount(ctx, weights=counts == 2, minlength=n_ctx)
            n3 = np.bincount(ctx, weights=counts >= 3, minlength=n_ctx)
            gamma = (discount[0] * n1 + discount[1] * n2 + discount[2] * n3) / total
            levels.append(_Level(context_keys[c], keys, counts, total, gamma, discount))
        return cls(order, V, levels)

    # -- contexts -------------------------------------------------------------------------

    def _context_ids(self, padded: np.ndarray, pos: np.ndarray) -> list[np.ndarray]:
        """Per level, the id of each position's context of c tokens (-1: never seen)."""
        V = self.vocab_size
        h = np.zeros(len(pos), dtype=np.int64)
        out = [h]
        for c in range(1, self.order):
            key = np.maximum(h, 0) * V + padded[pos - c]
            h = np.where(h >= 0, _lookup(self.levels[c].context_keys, key), -1)
            out.append(h)
        return out

    # -- probabilities --------------------------------------------------------------------

    def token_probs(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        """The probability of every token of every sample given its history within its sample
        (the samples' tokens one after another)."""
        V = self.vocab_size
        padded, pos = _padded(samples, self.order - 1)
        tok = padded[pos]
        if len(tok) and (tok.min() < 0 or tok.max() >= V):
            raise ValueError(f"a token is outside the vocabulary (0..{V - 1})")
        p = np.full(len(tok), 1.0 / V)
        for level, h in zip(self.levels, self._context_ids(padded, pos), strict=True):
            known = h >= 0
            hk = h[known]
            i = _lookup(level.keys, hk * V + tok[known])
            a = np.where(i >= 0, level.counts[np.maximum(i, 0)], 0)
            p[known] = level.discounted(a) / level.total[hk] + level.gamma[hk] * p[known]
        return p

    def token_bits(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        """Each token's negative log2-likelihood (the samples' tokens one after another)."""
        return -np.log2(self.token_probs(samples))

    def sample_bits(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        """Each sample's total negative log2-likelihood."""
        cum = np.concatenate([[0.0], np.cumsum(self.token_bits(samples))])
        ends = np.cumsum([len(s) for s in samples], dtype=np.int64)
        return cum[ends] - cum[ends - [len(s) for s in samples]]

    def distribution(self, history: Sequence[int] = ()) -> np.ndarray:
        """P(w | history) for every token id w: `history` is the sample's tokens so far (only
        the last order - 1 count; fewer means the sample's start, padded with BOS)."""
        V = self.vocab_size
        hist = np.asarray(history, dtype=np.int64)[max(0, len(history) - (self.order - 1)) :]
        if len(hist) and (hist.min() < 0 or hist.max() >= V):
            raise ValueError(f"a token is outside the vocabulary (0..{V - 1})")
        padded = np.concatenate([np.full(self.order - 1, BOS, np.int64), hist, [0]])
        pos = np.array([len(padded) - 1])
        p = np.full(V, 1.0 / V)
        for level, h in zip(self.levels, self._context_ids(padded, pos), strict=True):
            h = int(h[0])
            if h < 0:
                continue
            lo, hi = np.searchsorted(level.keys, [h * V, (h + 1) * V])
            words = level.keys[lo:hi] - h * V
            p *= level.gamma[h]
            p[words] += level.discounted(level.counts[lo:hi]) / level.total[h]
        return p

    @property
    def ngrams(self) -> list[int]:
        """How many distinct n-grams each order holds (order 1 first)."""
        return [len(level.keys) for level in self.levels]


# -- datasets -----------------------------------------------------------------------------


def load_set(dataset: str | os.PathLike, name: str) -> tuple[list[np.ndarray], dict]:
    """The samples of one set of a dataset written by `tokenize_dataset` (views of the
    memory-mapped flat array) and its meta."""
    dataset = Path(dataset)
    flat = np.load(dataset / f"{name}.tokens.npy", mmap_mode="r")
    with open(dataset / f"{name}.meta.json", encoding="utf-8") as f:
        meta = json.load(f)
    samples = [flat[s["offset"] : s["offset"] + s["tokens"]] for s in meta["samples"]]
    return samples, meta


def vocab_size(dataset: str | os.PathLike) -> int:
    with open(Path(dataset) / "vocab.json", encoding="utf-8") as f:
        return len(json.load(f)["tokens"])


def evaluate(model: NGram, samples: Sequence[np.ndarray], seconds: float) -> dict:
    """Total bits, tokens, seconds, bits per token and bits per second of music of `samples`."""
    bits = float(np.sum(model.token_bits(samples)))
    tokens = int(sum(len(s) for s in samples))
    return {
        "samples": len(samples),
        "tokens": tokens,
        "seconds": float(seconds),
        "bits": bits,
        "bits_per_token": bits / tokens if tokens else float("nan"),
        "bits_per_second": bits / seconds if seconds > 0 else float("nan"),
        "tokens_per_second": tokens / seconds if seconds > 0 else float("nan"),
    }


def baseline(
    dataset: str | os.PathLike, orders: Sequence[int] = (4,), sets: Sequence[str] = ("val",)
) -> dict:
    """Fit an n-gram of each order on the dataset's train set and evaluate it on `sets` and on
    the train set itself (for reference: optimistic, the model has seen it)."""
    V = vocab_size(dataset)
    train, train_meta = load_set(dataset, "train")
    data = {"train": (train, train_meta)}
    for name in sets:
        if name not in SETS:
            raise ValueError(f"unknown set {name!r}")
        data[name] = load_set(dataset, name)
    report = {"dataset": str(dataset), "design": train_meta.get("design"), "vocab_size": V}
    report["results"] = []
    for order in orders:
        model = NGram.fit(train, V, order)
        row = {"order": order, "ngrams": model.ngrams}
        for name, (samples, meta) in data.items():
            row[name] = evaluate(model, samples, meta["seconds"])
        report["results"].append(row)
    return report
