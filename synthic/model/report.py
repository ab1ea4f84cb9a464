"""Evaluation beyond the training loss: scoring recordings with a model and with baselines,
a copy baseline, musical statistics, verbatim copies and the validity of generated songs.

**One protocol for every model.** A recording (or a dataset sample) is scored token by token,
END included, in bits; bits per second divides the total by its seconds of music, bits per
write by its writes. The transformer reads each sample as its own stream after one END token,
in the sliding windows of `synthic.model.data.eval_windows` (each token scored once, after the
first window with at least context - stride tokens of context: `model_bits`); the n-gram and the
copy baseline see each sample's whole history (for them that is the full context they can use).

**Copy baseline** (`CopyBaseline`): the prediction of "what played one loop earlier". For
every lag L in 1..`max_lag` it keeps an exponentially decayed count (factor `decay` per token)
of how often token t equalled token t - L so far in the sample, and of how often it could be
compared; at each token the lag with the most decayed hits is the loop, and the model predicts
P(w) = lam [w = x[t - L]] + (1 - lam) U(w), where lam = (hits + 0.5) / (trials + 1) is that lag's
decayed hit rate and U the unigram of the train set (add-0.5 smoothing over the vocabulary),
so every token gets a finite loss. `decay` is chosen on the train set (`CopyBaseline.fit`).
On a perfectly periodic stream the hit rate tends to 1 and the bits per token to 0.

**Validity** (`validity`): a generated song is valid when the quality gate passes its render
(`synthic.audio.quality`: not silent, not too short, not clipped) and it is not stuck:
- *stuck on one note*: its pitched notes (CH1-CH3, the note view `synthic.notes.notes`) use
  fewer than 2 distinct MIDI notes (no pitched note at all counts as stuck too);
- *stuck on one loop*: the second half of its tokens (END left out) repeats one phrase of at
  most `LOOP_SECONDS` (2 s) of music: for some period P of at most 2 s (P tokens times the
  song's seconds per token) at least `LOOP_SHARE` (95 %) of those tokens equal the token P
  before.

**Verbatim copies** (`longest_verbatim`): the longest run of a song's tokens that occurs
verbatim (token for token, inside one sample) in the train set, by binary search on the length
over 64-bit polynomial hashes of the train samples' n-grams (exact in tokens, up to hash
collisions); its seconds of music are the largest span, from the first token's time to the
last one's, among the song's verbatim runs of every length the search tested (so exact for
the longest-in-tokens run, a lower bound otherwise).

**Musical statistics** (`musical_statistics`, Yang and Lerch 2018): per song, on the note view,
the pitch-class histogram (12), the pitch range (semitones over CH1-CH3), the note density
(notes per second per channel, 4), the inter-onset intervals (histogram of the gaps between
successive onsets of any channel, `IOI_BINS` seconds, 6) and the channel activity (share of the
song each channel sounds, 4). For each feature the Euclidean distances between the songs of
one set (intra-set) and between the songs of two sets (inter-set) each get a Gaussian kernel
density (scipy); the overlapping area OA is the integral of the smaller density (1: the sets
are alike, 0: nothing in common). `oa` compares the reference (test) set's intra-set distances
with the inter-set ones, `oa_generated` the generated set's. Like is compared with like: the
reference set is the held-out songs cut into excerpts as long as the generated songs (their
median length; the notes of the whole song, cut at the excerpt's bounds), so a test set of one
long song still gives a distribution, and a density counts notes over the same span.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from synthic.dataset.tokens import END, Tokenizer
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES

LOOP_SECONDS = 2.0
LOOP_SHARE = 0.95
IOI_BINS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8, math.inf)
FEATURES = ("pitch_class_histogram", "pitch_range", "note_density", "ioi", "channel_activity")


# -- figures ------------------------------------------------------------------------------------


def figures(bits: float, tokens: int, seconds: float, writes: int) -> dict:
    """bits_per_token, bits_per_second, bits_per_write and the totals they come from."""
    return {
        "bits": float(bits),
        "bits_per_token": bits / tokens if tokens else float("nan"),
        "bits_per_second": bits / seconds if seconds > 0 else float("nan"),
        "bits_per_write": bits / writes if writes else float("nan"),
        "tokens": int(tokens),
        "seconds": float(seconds),
        "writes": int(writes),
    }


def count_writes(tok: Tokenizer, ids: np.ndarray) -> int:
    """The writes a token stream spells (write tokens, or register tokens in design split)."""
    ids = np.asarray(ids, dtype=np.int64)
    if tok.design == "write":
        return int(np.count_nonzero(ids >= tok.write_base))
    return int(np.count_nonzero((ids >= tok.write_base) & (ids < tok.value_base)))


def token_times(tok: Tokenizer, ids: np.ndarray) -> np.ndarray:
    """The time in seconds reached after each token (WAIT and AT move it)."""
    ids = np.asarray(ids, dtype=np.int64)
    is_wait = (ids >= tok.wait_base) & (ids < tok.at_base)
    is_at = (ids >= tok.at_base) & (ids < tok.write_base)
    frames = np.cumsum(np.where(is_wait, ids - tok.wait_base + 1, 0))
    # the bucket: the last AT since the last WAIT (0 right after a WAIT)
    idx = np.arange(len(ids))
    last_wait = np.maximum.accumulate(np.where(is_wait, idx, -1))
    last_at = np.maximum.accumulate(np.where(is_at, idx, -1))
    bucket = np.where(last_at > last_wait, ids[np.maximum(last_at, 0)] - tok.at_base + 1, 0).astype(
        np.float64
    )
    return (frames * FRAME_T_CYCLES + bucket * tok.bucket_cycles) / CLOCK_HZ


# -- the transformer ----------------------------------------------------------------------------


class ModelScorer:
    """Per-sample bits of a token stream under an exported model, with the sliding-window
    protocol of training's evaluation (`synthic.model.data.eval_windows`)."""

    def __init__(self, model, summary: dict, batch: int = 8):
        import jax
        import jax.numpy as jnp
        from flax import nnx

        self.context = int(summary["model"]["context"])
        self.stride = summary.get("train", {}).get("eval_stride") or None
        self.batch = batch
        graphdef, self.state = nnx.split(model)

        @jax.jit
        def nll(state, tokens, scored):
            m = nnx.merge(graphdef, state)
            return jnp.sum(m.nll(tokens[:, :-1], tokens[:, 1:]) * scored, axis=1)

        self._nll = nll

    def sample_bits(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        """Each sample's total negative log2-likelihood (END included)."""
        from synthic.model.data import EvalWindows, eval_windows

        per = [eval_windows([s], self.context, self.stride) for s in samples]
        owner = np.concatenate([np.full(len(w.tokens), i) for i, w in enumerate(per)] or [[]])
        if not len(owner):
            return np.zeros(len(samples))
        windows = EvalWindows(
            np.concatenate([w.tokens for w in per]), np.concatenate([w.scored for w in per])
        )
        sums = []
        for tokens, scored in windows.batches(self.batch):
            sums.append(np.asarray(self._nll(self.state, tokens, scored), dtype=np.float64))
        sums = np.concatenate(sums)[: len(owner)]
        return np.bincount(owner.astype(np.int64), sums, minlength=len(samples)) / math.log(2)


def model_bits(model, summary: dict, samples: Sequence[np.ndarray], batch: int = 8) -> np.ndarray:
    return ModelScorer(model, summary, batch).sample_bits(samples)


# -- the copy baseline --------------------------------------------------------------------------


class CopyBaseline:
    """Predict the token one loop earlier, mixed with the unigram (module docstring)."""

    def __init__(self, unigram: np.ndarray, decay: float = 0.99, max_lag: int = 1024):
        self.unigram = np.asarray(unigram, dtype=np.float64)
        self.decay = float(decay)
        self.max_lag = int(max_lag)

    @classmethod
    def fit(
        cls,
        samples: Sequence[np.ndarray],
        vocab_size: int,
        decays: Sequence[float] = (0.7, 0.8, 0.9, 0.97, 0.99),
        max_lag: int = 1024,
        max_samples: int = 20,
    ) -> CopyBaseline:
        """The unigram of `samples`, and the decay that gives them the fewest bits (on up to
        `max_samples` of them, evenly spaced)."""
        counts = np.full(vocab_size, 0.5)
        for s in samples:
            counts += np.bincount(np.asarray(s, dtype=np.int64), minlength=vocab_size)
        unigram = counts / counts.sum()
        pick = list(samples)[:: max(1, len(samples) // max_samples)][:max_samples]
        best = None
        for d in decays:
            m = cls(unigram, d, max_lag)
            bits = sum(float(m.token_bits(s).sum()) for s in pick)
            if best is None or bits < best[0]:
                best = (bits, m)
        return best[1]

    def token_bits(self, sample: np.ndarray) -> np.ndarray:
        """Each token's negative log2-likelihood, given the sample so far."""
        x = np.asarray(sample, dtype=np.int64)
        n, L = len(x), self.max_lag
        hits = np.zeros(L)
        trials = np.zeros(L)
        lags = np.arange(1, L + 1)
        uni = self.unigram[x]
        out = np.empty(n)
        for t in range(n):
            k = min(t, L)  # lags 1..k can be compared
            if k and hits[:k].max() > 0:
                j = int(np.argmax(hits[:k]))
                lam = (hits[j] + 0.5) / (trials[j] + 1.0)
                p = lam * (x[t - j - 1] == x[t]) + (1 - lam) * uni[t]
            else:
                p = uni[t]
            out[t] = -math.log2(p)
            hits *= self.decay
            trials *= self.decay
            if k:
                hits[:k] += x[t - lags[:k]] == x[t]
                trials[:k] += 1.0
        return out

    def sample_bits(self, samples: Sequence[np.ndarray]) -> np.ndarray:
        return np.array([float(self.token_bits(s).sum()) for s in samples])


# -- verbatim copies ----------------------------------------------------------------------------

_BASE = 0x9E3779B97F4A7C15  # odd: invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)


class _Prefix:
    """Polynomial hashes modulo 2**64 of every k-gram of a token array, in O(n) for any k:
    G[i] = sum_{j<i} (x[j] + 1) B^-j, hash(x[a:b]) = B^(b-1) (G[b] - G[a])."""

    def __init__(self, x: np.ndarray):
        x = np.asarray(x, dtype=np.uint64) + np.uint64(1)
        n = len(x)
        with np.errstate(over="ignore"):
            inv = np.cumprod(np.full(n, _BASE_INV, np.uint64)) * np.uint64(_BASE)  # B^-j
            self.pow = np.concatenate([[np.uint64(1)], np.cumprod(np.full(n, _BASE, np.uint64))])
            self.g = np.concatenate([[np.uint64(0)], np.cumsum(x * inv, dtype=np.uint64)])
        self.n = n

    def hashes(self, k: int, starts: np.ndarray | None = None) -> np.ndarray:
        if starts is None:
            starts = np.arange(max(self.n - k + 1, 0))
        with np.errstate(over="ignore"):
            return self.pow[starts + k - 1] * (self.g[starts + k] - self.g[starts])


class TrainIndex:
    """The train samples, for `longest_verbatim`: hashed k-grams (never across two samples),
    one sorted set per k."""

    def __init__(self, samples: Sequence[np.ndarray]):
        lengths = np.array([len(s) for s in samples], dtype=np.int64)
        flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in samples] or [[]])
        self.prefix = _Prefix(flat)
        # for each position, where its sample ends
        ends = np.cumsum(lengths)
        self.sample_end = np.repeat(ends, lengths)
        self._sets: dict[int, np.ndarray] = {}

    def kgrams(self, k: int) -> np.ndarray:
        if k not in self._sets:
            starts = np.flatnonzero(np.arange(len(self.sample_end)) + k <= self.sample_end)
            self._sets[k] = np.unique(self.prefix.hashes(k, starts))
        return self._sets[k]

    def matches(self, song: np.ndarray, k: int, prefix: _Prefix | None = None) -> np.ndarray:
        """Start positions of the song's k-grams that occur in a train sample."""
        h = (prefix or _Prefix(song)).hashes(k)
        s = self.kgrams(k)
        if not len(s) or not len(h):
            return np.zeros(0, np.int64)
        i = np.minimum(np.searchsorted(s, h), len(s) - 1)
        return np.flatnonzero(s[i] == h)


def longest_verbatim(song: np.ndarray, index: TrainIndex, tok: Tokenizer) -> dict:
    """The longest run of `song`'s tokens (END left out) found verbatim in the train set:
    `tokens` and `seconds` (see the module docstring)."""
    x = np.asarray(song, dtype=np.int64)
    x = x[x != END]
    times = np.concatenate([[0.0], token_times(tok, x)])  # time before token i: times[i]
    best_tokens, best_seconds = 0, 0.0
    lo, hi = 0, len(x)  # invariant: a run of lo tokens matches; hi + 1 does not
    prefix = _Prefix(x)
    while lo < hi:
        k = (lo + hi + 1) // 2
        m = index.matches(x, k, prefix)
        if len(m):
            lo = k
            best_tokens = k
            best_seconds = max(best_seconds, float(np.max(times[m + k] - times[m])))
        else:
            hi = k - 1
    return {"tokens": best_tokens, "seconds": best_seconds}


# -- validity -----------------------------------------------------------------------------------


def loop_period(ids: np.ndarray, max_period: int | None = None, share: float = LOOP_SHARE):
    """The smallest period P (at most `max_period`, and a quarter of the stream) such that at
    least `share` of the second half's tokens (END left out) equal the token P before; None
    if there is none."""
    x = np.asarray(ids, dtype=np.int64)
    x = x[x != END]
    n = len(x)
    h = n // 2
    top = n // 4 if max_period is None else min(n // 4, max_period)
    for p in range(1, top + 1):
        if np.mean(x[h:] == x[h - p : n - p]) >= share:
            return p
    return None


def stuck(rec, ids: np.ndarray) -> str:
    """Why a song is stuck ("one note", "one loop") or "" (see the module docstring)."""
    from synthic.notes import notes

    pitches = {n.midi for n in notes(rec) if n.channel <= 3 and n.midi is not None}
    if len(pitches) < 2:
        return "one note"
    x = np.asarray(ids)
    n = int(np.count_nonzero(x != END))
    if n and rec.duration_seconds > 0:
        max_period = int(LOOP_SECONDS * n / rec.duration_seconds)
        if loop_period(x, max_period) is not None:
            return "one loop"
    return ""


def validity(rec, ids: np.ndarray, *, render: bool = True, rate_hz: int = 44_100) -> dict:
    """{"valid", "gate" (the quality gate's reason, "" if it passes or was not run), "stuck"}."""
    gate = ""
    if render:
        from synthic.audio import quality, render_recording

        q = quality(render_recording(rec, rate_hz=rate_hz), rate_hz)
        gate = "" if q.ok else q.reason
    why = stuck(rec, ids)
    return {"valid": not gate and not why, "gate": gate, "stuck": why}


# -- musical statistics -------------------------------------------------------------------------


def song_features(rec) -> dict[str, np.ndarray]:
    """The note-view features of one song (module docstring)."""
    from synthic.notes import notes

    return _features(notes(rec), max(rec.duration_seconds, 1e-9))


def excerpt_features(rec, seconds: float) -> list[dict[str, np.ndarray]]:
    """The features of each excerpt of `seconds` of `rec` (consecutive, from the start; at
    least one, the whole song when it is shorter): the song's notes that start in the excerpt,
    their durations cut at its end."""
    import dataclasses

    from synthic.notes import notes

    ns = notes(rec)
    total = rec.duration_seconds
    seconds = max(min(seconds, total), 1e-9)
    out = []
    for k in range(max(1, int(total / seconds + 1e-9))):
        start, end = k * seconds, (k + 1) * seconds
        part = [
            dataclasses.replace(n, onset=n.onset - start, duration=min(n.duration, end - n.onset))
            for n in ns
            if start <= n.onset < end
        ]
        out.append(_features(part, seconds))
    return out


def _features(ns, seconds: float) -> dict[str, np.ndarray]:
    from synthic.notes import note_density, pitch_class_histogram

    pitches = [n.midi for n in ns if n.channel <= 3 and n.midi is not None]
    onsets = np.sort([n.onset for n in ns])
    ioi = np.histogram(np.diff(onsets), bins=IOI_BINS)[0].astype(np.float64)
    active = np.zeros(4)
    for n in ns:
        active[n.channel - 1] += min(n.duration, max(seconds - n.onset, 0.0))
    density = note_density(ns, seconds)
    return {
        "pitch_class_histogram": pitch_class_histogram(ns),
        "pitch_range": np.array([max(pitches) - min(pitches) if pitches else 0.0], float),
        "note_density": np.array([density[c] for c in range(1, 5)]),
        "ioi": ioi / ioi.sum() if ioi.sum() else ioi,
        "channel_activity": np.minimum(active / seconds, 1.0),
    }


def _distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances: every pair of rows within a (b None) or between a and b."""
    if b is None:
        d = np.linalg.norm(a[:, None] - a[None], axis=-1)
        return d[np.triu_indices(len(a), 1)]
    return np.linalg.norm(a[:, None] - b[None], axis=-1).ravel()


def _kde(x: np.ndarray, scale: float):
    from scipy.stats import gaussian_kde

    x = np.asarray(x, dtype=np.float64)
    if len(x) >= 2 and np.ptp(x) > 0:
        try:
            return gaussian_kde(x)
        except np.linalg.LinAlgError:
            pass
    bw = 0.02 * scale  # a single value (or identical ones): a narrow kernel around them
    return lambda g: (
        np.mean(np.exp(-0.5 * ((g[:, None] - x[None]) / bw) ** 2), axis=1)
        / (bw * math.sqrt(2 * math.pi))
    )


def overlapping_area(a: np.ndarray, b: np.ndarray, points: int = 2000) -> float:
    """The overlapping area of the Gaussian kernel densities of two samples of distances."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not len(a) or not len(b):
        return float("nan")
    both = np.concatenate([a, b])
    scale = max(np.ptp(both), np.abs(both).max(), 1e-9)
    lo, hi = both.min() - 0.5 * scale, both.max() + 0.5 * scale
    g = np.linspace(lo, hi, points)
    fa, fb = _kde(a, scale), _kde(b, scale)
    return float(np.clip(np.trapezoid(np.minimum(fa(g), fb(g)), g), 0.0, 1.0))


def musical_statistics(generated: Sequence, reference: Sequence) -> dict:
    """Per feature: `oa` (reference intra-set vs inter-set), `oa_generated` (generated intra-set
    vs inter-set) and each set's mean feature distance within itself. The reference songs are
    cut into excerpts of the generated songs' median length (module docstring)."""
    fg = [song_features(r) for r in generated]
    length = float(np.median([r.duration_seconds for r in generated]))
    fr = [f for r in reference for f in excerpt_features(r, length)]
    out = {}
    for name in FEATURES:
        g = np.array([f[name] for f in fg])
        r = np.array([f[name] for f in fr])
        inter = _distances(g, r)
        intra_g, intra_r = _distances(g), _distances(r)
        out[name] = {
            "oa": overlapping_area(intra_r, inter),
            "oa_generated": overlapping_area(intra_g, inter),
            "intra_generated_mean": float(np.mean(intra_g)) if len(intra_g) else float("nan"),
            "intra_reference_mean": float(np.mean(intra_r)) if len(intra_r) else float("nan"),
            "inter_mean": float(np.mean(inter)) if len(inter) else float("nan"),
            "generated_songs": len(fg),
            "reference_excerpts": len(fr),
        }
    return out


# -- scoring sets and recordings ----------------------------------------------------------------


def score_samples(
    samples: Sequence[np.ndarray],
    seconds: float,
    tok: Tokenizer,
    *,
    model=None,
    summary: dict | None = None,
    ngram=None,
    copy: CopyBaseline | None = None,
) -> dict:
    """Figures (`figures`) of the given scorers on `samples` (token arrays, END included),
    keyed "model", "baseline", "copy" (each one given)."""
    tokens = int(sum(len(s) for s in samples))
    writes = sum(count_writes(tok, s) for s in samples)
    out = {}
    if model is not None:
        out["model"] = figures(
            float(model_bits(model, summary, samples).sum()), tokens, seconds, writes
        )
    if ngram is not None:
        out["baseline"] = figures(float(np.sum(ngram.token_bits(samples))), tokens, seconds, writes)
        out["baseline"]["order"] = ngram.order
    if copy is not None:
        out["copy"] = figures(float(copy.sample_bits(samples).sum()), tokens, seconds, writes)
        out["copy"]["decay"] = copy.decay
    return out


def dataset_of(model_dir: str | os.PathLike, summary: dict) -> Path | None:
    """The dataset the model was trained on, if its export records it and it still exists."""
    d = summary.get("dataset") or summary.get("train", {}).get("dataset")
    return Path(d) if d and Path(d, "vocab.json").exists() else None


def _same_tokenizer(a: Tokenizer, b: Tokenizer) -> bool:
    return (a.design, a.bucket_cycles, a.max_wait) == (b.design, b.bucket_cycles, b.max_wait)


def evaluate_recordings(
    model_dir: str | os.PathLike,
    paths: Sequence[str | os.PathLike],
    dataset_dir: str | os.PathLike | None = None,
    order: int = 10,
) -> dict:
    """`synthic evaluate MODEL RECORDINGS...`: {"model": figures, "baseline": figures}."""
    from synthic import events
    from synthic.errors import SynthicError
    from synthic.model.generate import load
    from synthic.model.ngram import NGram, load_set

    model, tok, summary = load(model_dir)
    recs = [events.read(p) for p in paths]
    samples = [tok.encode(r) for r in recs]
    seconds = sum(r.duration_seconds for r in recs)
    if seconds <= 0:
        raise SynthicError("the recordings hold no music (0 seconds)")
    dataset_dir = dataset_dir or dataset_of(model_dir, summary)
    ngram = None
    if dataset_dir is not None:
        from synthic.dataset.tokens import load_tokenizer

        if not _same_tokenizer(load_tokenizer(Path(dataset_dir) / "vocab.json"), tok):
            raise SynthicError(f"{dataset_dir}: another tokenisation than the model's")
        train, _ = load_set(dataset_dir, "train")
        ngram = NGram.fit(train, tok.vocab_size, order)
    out = score_samples(samples, seconds, tok, model=model, summary=summary, ngram=ngram)
    out["recordings"] = [str(p) for p in paths]
    return out


def metrics(
    model_dir: str | os.PathLike,
    dataset_dir: str | os.PathLike,
    generated_dir: str | os.PathLike,
    *,
    order: int = 10,
    render: bool = True,
) -> dict:
    """`synthic evaluate --metrics`: the test-set figures of the model, the n-gram and the copy
    baseline, and the generated songs' validity, verbatim copies and musical statistics
    against the test set."""
    from synthic import events
    from synthic.errors import SynthicError
    from synthic.model.generate import load, loop_stats
    from synthic.model.ngram import NGram, load_set

    model, tok, summary = load(model_dir)
    train, _ = load_set(dataset_dir, "train")
    test, test_meta = load_set(dataset_dir, "test")
    if not test:
        raise SynthicError(f"{dataset_dir}: the test set is empty")
    ngram = NGram.fit(train, tok.vocab_size, order)
    copy = CopyBaseline.fit(train, tok.vocab_size)
    out = score_samples(
        test, test_meta["seconds"], tok, model=model, summary=summary, ngram=ngram, copy=copy
    )
    out["set"] = "test"

    # -- generated songs ----------------------------------------------------------------------
    paths = sorted(Path(generated_dir).glob("*.events"))
    if not paths:
        raise SynthicError(f"{generated_dir}: no generated .events files")
    index = TrainIndex(train)
    gen_recs, songs = [], []
    for p in paths:
        rec = events.read(p)
        ids = tok.encode(rec)
        v = validity(rec, ids, render=render)
        verbatim = longest_verbatim(ids, index, tok)
        loops = loop_stats(ids, rec.duration_seconds)
        gen_recs.append(rec)
        songs.append(
            {
                "song": p.name,
                "seconds": rec.duration_seconds,
                **v,
                "verbatim_tokens": verbatim["tokens"],
                "verbatim_seconds": verbatim["seconds"],
                "distinct_4grams_per_second": loops["distinct_per_second"],
            }
        )
    test_recs = [tok.decode(s, strict=False) for s in test]
    test_stuck = [stuck(r, s) for r, s in zip(test_recs, test, strict=True)]
    out["generated"] = {
        "songs": len(songs),
        "validity_rate": float(np.mean([s["valid"] for s in songs])),
        "gate_failed": sum(bool(s["gate"]) for s in songs),
        "stuck_one_note": sum(s["stuck"] == "one note" for s in songs),
        "stuck_one_loop": sum(s["stuck"] == "one loop" for s in songs),
        "longest_verbatim_seconds": max(s["verbatim_seconds"] for s in songs),
        "longest_verbatim_tokens": max(s["verbatim_tokens"] for s in songs),
        "distinct_4grams_per_second": float(
            np.mean([s["distinct_4grams_per_second"] for s in songs])
        ),
        "per_song": songs,
    }
    out["test"] = {
        "songs": len(test),
        "not_stuck_rate": float(np.mean([not s for s in test_stuck])),
        "distinct_4grams_per_second": float(
            np.mean(
                [
                    loop_stats(s, r.duration_seconds)["distinct_per_second"]
                    for s, r in zip(test, test_recs, strict=True)
                ]
            )
        ),
    }
    out["musical"] = musical_statistics(gen_recs, test_recs)
    out["definitions"] = {
        "valid": "passes the quality gate and not stuck",
        "stuck_one_note": "fewer than 2 distinct MIDI notes on CH1-CH3 in the note view",
        "stuck_one_loop": f"at least {LOOP_SHARE:.0%} of the second half's tokens equal the "
        f"token one period earlier, for a period of at most {LOOP_SECONDS} s of music",
        "longest_verbatim": "longest token run found verbatim in one train sample",
        "musical.oa": "overlapping area of the test set's intra-set and the generated-vs-test "
        "inter-set distance densities (Yang and Lerch 2018)",
    }
    return out


def _finite(x):
    """NaN and infinities (a figure with nothing to measure) become null: JSON has no NaN."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float | np.floating) and not math.isfinite(x):
        return None
    return x


def write_json(data: dict, path: str | os.PathLike) -> None:
    """Write `data` as strict JSON (NaN as null) atomically."""
    from synthic.events.atomic import atomic_output

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, "w", encoding="utf-8") as f:
        json.dump(_finite(data), f, indent=1, default=float, allow_nan=False)
        f.write("\n")
