"""The n-gram baseline: a proper distribution, against a plain-Python Kneser-Ney, sample
boundaries, and the `synthic baseline` command on a tiny dataset."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import numpy as np
import pytest

from synthic import demo, events
from synthic.dataset import tokens as T
from synthic.dataset.split import split
from synthic.model.ngram import NGram, evaluate, load_set

V = 9  # a small vocabulary: PAD, BOS, END and 6 more tokens


def _random_samples(seed: int, n: int = 6, low: int = 3, high: int = 8) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        body = rng.integers(low, high, size=int(rng.integers(0, 40)))
        body[rng.random(len(body)) < 0.5] = low  # some structure, so counts repeat
        out.append(np.concatenate([body, [T.END]]).astype(np.int64))
    return out


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distribution_sums_to_one(order):
    samples = _random_samples(order)  # tokens 3..7 and END: token 8 is never seen
    model = NGram.fit(samples, V, order)
    rng = np.random.default_rng(10 + order)
    histories = [[], [T.END], [8, 8, 8, 8], [T.BOS, 8, 3]]
    histories += [list(s[: int(rng.integers(0, len(s)))]) for s in samples]  # seen
    histories += [list(rng.integers(0, V, size=int(rng.integers(1, 8)))) for _ in range(20)]
    for history in histories:
        p = model.distribution(history)
        assert p.shape == (V,)
        assert math.isclose(p.sum(), 1.0, rel_tol=0, abs_tol=1e-12), history
        assert (p > 0).all()
    # the vectorised scores are the distribution's entries
    for s in samples[:3] + _random_samples(99, n=2, high=9):
        probs = model.token_probs([s])
        for i, tok in enumerate(s):
            assert probs[i] == pytest.approx(model.distribution(s[:i])[tok], rel=1e-12)
    unseen = model.token_bits([np.array([8, 8, T.END])])
    assert np.isfinite(unseen).all() and unseen[0] > math.log2(V)


def _reference_probability(samples, order, history, word, discounts):
    """Interpolated modified Kneser-Ney in plain Python, with the model's discounts."""
    counts = [defaultdict(int) for _ in range(order)]  # per context length c: (h, w) -> a
    lefts = [defaultdict(set) for _ in range(order)]
    for s in samples:
        seq = [T.BOS] * (order - 1) + [int(x) for x in s]
        for i in range(order - 1, len(seq)):
            for c in range(order):
                gram = tuple(seq[i - c : i + 1])
                if c == order - 1:
                    counts[c][gram] += 1
                else:
                    lefts[c][gram].add(seq[i - c - 1])
    for c in range(order - 1):
        for gram, left in lefts[c].items():
            counts[c][gram] = len(left)
    seq = [T.BOS] * (order - 1) + [int(x) for x in history]
    p = 1.0 / V
    for c in range(order):
        h = tuple(seq[len(seq) - c :]) if c else ()
        row = {g[-1]: a for g, a in counts[c].items() if g[:-1] == h}
        if not row:
            continue
        total = sum(row.values())
        d = [0.0, *discounts[c]]
        mass = sum(d[min(a, 3)] for a in row.values())
        a = row.get(word, 0)
        p = max(a - d[min(a, 3)], 0) / total + mass / total * p
    return p


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_matches_plain_kneser_ney(order):
    samples = _random_samples(20 + order, n=5)
    model = NGram.fit(samples, V, order)
    discounts = [level.discount for level in model.levels]
    for history in ([], [3], [3, 4], [4, 3, 3], [7, 7, 7], [8, 3], list(samples[0][:9])):
        p = model.distribution(history)
        for w in range(V):
            want = _reference_probability(samples, order, history, w, discounts)
            assert p[w] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_repeating_pattern_costs_almost_nothing():
    pattern = [3, 4, 5, 4, 6, 7]
    train = [np.array(pattern * 100 + [T.END]) for _ in range(3)]
    model = NGram.fit(train, V, 4)
    bits = model.token_bits([np.array(pattern * 50 + [T.END])])
    # learned: every token after the first few is all but certain (the discounts of about 3
    # counts in 300 keep a little mass for the lower orders)
    assert bits[10:-1].max() < 0.05
    assert bits[10:-1].mean() < 0.02
    assert bits[-1] < 12  # END after a fresh context: finite


def test_samples_are_scored_independently():
    samples = _random_samples(5, n=8)
    model = NGram.fit(samples[:5], V, 4)
    together = model.sample_bits(samples)
    for i, s in enumerate(samples):
        alone = model.sample_bits([s])[0]
        assert alone == pytest.approx(together[i], rel=1e-12)
        assert alone == pytest.approx(model.token_bits([s]).sum(), rel=1e-12)
    shuffled = model.sample_bits(samples[::-1])[::-1]
    assert np.allclose(shuffled, together, rtol=1e-12)
    # one long sample is not the same as its parts: the context carries over
    joined = model.sample_bits([np.concatenate(samples[:2])])[0]
    assert joined != pytest.approx(together[:2].sum(), rel=1e-9)


def _demo_tokens(design: str = "write") -> list[np.ndarray]:
    tok = T.Tokenizer(design)
    return [tok.encode(demo.render(name)).astype(np.int64) for name in demo.song_names()]


def test_higher_orders_fit_the_training_set_better():
    samples = _demo_tokens()
    vocab = T.Tokenizer().vocab_size
    bits = [NGram.fit(samples, vocab, n).token_bits(samples).mean() for n in range(1, 8)]
    assert all(b < a + 1e-9 for a, b in zip(bits, bits[1:], strict=False)), bits
    assert bits[-1] < 0.5 * bits[0]


def test_fit_refuses_bad_input():
    with pytest.raises(ValueError):
        NGram.fit([np.array([1, 2, V])], V, 2)
    with pytest.raises(ValueError):
        NGram.fit([np.array([], dtype=np.int64)], V, 2)
    with pytest.raises(ValueError):
        NGram.fit([np.array([3, 2])], V, 0)
    model = NGram.fit([np.array([3, 2])], V, 2)
    with pytest.raises(ValueError):
        model.distribution([V])
    with pytest.raises(ValueError):
        model.token_bits([np.array([3, -1])])


def _dataset(tmp_path, design: str = "write"):
    root = tmp_path / "samples"
    for i, name in enumerate(demo.song_names()):
        rec = demo.render(name)
        for game in (f"game{i}a", f"game{i}b"):
            (root / game).mkdir(parents=True)
            part = rec.between(0, rec.length_cycles // 2) if game.endswith("a") else rec
            events.write(part, root / game / f"{game}.s000.events")
    out = tmp_path / "dataset"
    T.tokenize_dataset(split(root, seed=0), out, design)
    return out


@pytest.mark.parametrize("design", T.DESIGNS)
def test_cli_baseline_report(cli, tmp_path, design):
    data = _dataset(tmp_path, design)
    report_path = tmp_path / "report" / "ngram.json"
    status, out, err = cli(
        "baseline", data, "--order", "1", "3", "--set", "val", "test", "-o", report_path
    )
    assert status == 0, err
    assert "bits/s" in out and len(out.splitlines()) == 1 + 2 * 3
    report = json.loads(report_path.read_text())
    assert report["design"] == design and [r["order"] for r in report["results"]] == [1, 3]
    train, _ = load_set(data, "train")
    val, val_meta = load_set(data, "val")
    model = NGram.fit(train, report["vocab_size"], 3)
    row = report["results"][1]
    assert row["val"] == pytest.approx(evaluate(model, val, val_meta["seconds"]))
    nats = model.token_bits(val) * math.log(2)
    assert row["val"]["bits_per_second"] == pytest.approx(
        T.bits_per_second(nats, val_meta["seconds"])
    )
    assert row["val"]["tokens"] == val_meta["tokens"]
    for r in report["results"]:
        for name in ("train", "val", "test"):
            assert 0 < r[name]["bits_per_token"] < math.log2(report["vocab_size"]) + 1
    status, _, err = cli("baseline", tmp_path / "nowhere")
    assert status == 2 and "error" in err
