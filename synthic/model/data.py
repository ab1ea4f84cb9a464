"""Windows of the flat token arrays that `synthic tokenize` writes (`<set>.tokens.npy`, read
memory-mapped, and `<set>.meta.json`).

Training draws random windows of context + 1 tokens (inputs and their next-token targets) from
the whole flat array, so windows may cross from one sample's END into the next sample, as the
model will meet at generation. Batch i depends only on the seed and i, so the data position is
one integer in the resumable state and a resumed run sees the same batches.

Evaluation scores every token of every sample exactly once with one protocol for every model:
each sample is read as its own stream, preceded by one END token (what precedes a sample in the
flat training array), and cut into sliding windows of context + 1 tokens that move by `stride`;
a window scores only the targets no earlier window scored, so after the first window of a sample
every scored token has at least context - stride tokens of context. The per-token losses then sum
to the sample set's negative log-likelihood (`synthic.dataset.tokens.bits_per_second`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthic.dataset.tokens import END


@dataclass
class TokenSet:
    """One set (train, val or test) of a tokenised dataset."""

    tokens: np.ndarray  # flat, memory-mapped
    meta: dict

    @classmethod
    def load(cls, dataset_dir: str | os.PathLike, name: str) -> TokenSet:
        d = Path(dataset_dir)
        tokens = np.load(d / f"{name}.tokens.npy", mmap_mode="r", allow_pickle=False)
        with open(d / f"{name}.meta.json", encoding="utf-8") as f:
            meta = json.load(f)
        return cls(tokens, meta)

    @property
    def seconds(self) -> float:
        return float(self.meta["seconds"])

    def samples(self):
        """Each sample's tokens (a view of the flat array)."""
        for s in self.meta["samples"]:
            yield self.tokens[s["offset"] : s["offset"] + s["tokens"]]


def train_batch(tokens: np.ndarray, index: int, batch: int, context: int, seed: int) -> np.ndarray:
    """Batch number `index`: `batch` random windows of context + 1 tokens, (batch, context + 1)
    int32, a function of (seed, index) only."""
    n = len(tokens) - context - 1
    if n < 0:
        raise ValueError(f"{len(tokens)} training tokens are fewer than context + 1")
    starts = np.random.default_rng([seed, index]).integers(0, n + 1, size=batch)
    return np.stack([tokens[s : s + context + 1] for s in starts]).astype(np.int32)


@dataclass
class EvalWindows:
    """Sliding windows over a set: `tokens` (N, context + 1) int32 (END-padded) and `scored`
    (N, context) float32, 1 where the target at that position is scored."""

    tokens: np.ndarray
    scored: np.ndarray

    def batches(self, batch: int):
        """(tokens, scored) in batches of exactly `batch` windows; the last one is padded with
        unscored windows, so every batch has one shape (one compilation)."""
        n = len(self.tokens)
        for i in range(0, n, batch):
            t, s = self.tokens[i : i + batch], self.scored[i : i + batch]
            if len(t) < batch:
                pad = batch - len(t)
                t = np.concatenate([t, np.full((pad, t.shape[1]), END, np.int32)])
                s = np.concatenate([s, np.zeros((pad, s.shape[1]), np.float32)])
            yield t, s


def eval_windows(samples, context: int, stride: int | None = None) -> EvalWindows:
    """The sliding windows of the module docstring over `samples` (token arrays)."""
    stride = stride or max(context // 2, 1)
    if not 1 <= stride <= context:
        raise ValueError(f"stride {stride} must be in 1..context ({context})")
    windows, scored = [], []
    for sample in samples:
        stream = np.concatenate([[END], np.asarray(sample, dtype=np.int64)])
        targets = len(stream) - 1  # target j (1..targets) is stream[j], predicted from stream[:j]
        done = 0  # targets 1..done are scored
        start = 0
        while done < targets:
            start = min(start, max(targets - context, 0))
            window = np.full(context + 1, END, np.int32)
            part = stream[start : start + context + 1]
            window[: len(part)] = part
            mask = np.zeros(context, np.float32)
            # position p of the window predicts target start + p + 1
            first = done + 1 - (start + 1)
            last = min(start + context, targets) - (start + 1)
            mask[first : last + 1] = 1.0
            windows.append(window)
            scored.append(mask)
            done = min(start + context, targets)
            start += stride
    if not windows:
        return EvalWindows(np.zeros((0, context + 1), np.int32), np.zeros((0, context), np.float32))
    return EvalWindows(np.stack(windows), np.stack(scored))
