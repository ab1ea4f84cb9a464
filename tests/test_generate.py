"""Generation: the grammar masks, the KV cache, seeded sampling, sliding windows, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytest.importorskip("flax")

from synthic.dataset.tokens import BOS, END, PAD, USED_REGISTERS, Tokenizer  # noqa: E402
from synthic.events.registers import REGISTERS  # noqa: E402
from synthic.model import generate as gen  # noqa: E402
from synthic.model.grammar import K_AT, K_WAIT, K_WRITE, Grammar  # noqa: E402

VOCAB_WRITE = Tokenizer("write").vocab_size


def tiny_model(tok: Tokenizer, context: int = 32, seed: int = 0):
    from synthic.model.model import make_model, model_config

    cfg = model_config(
        "tiny", vocab_size=tok.vocab_size, context=context, layers=2, width=32, heads=2,
        dropout=0.0, dtype="float32",
    )  # fmt: skip
    m = make_model(cfg, seed)
    m.eval()
    return m


def _random_stream(g: Grammar, rng, length: int) -> list[int]:
    """A stream sampled under the grammar's mask, time tokens favoured, ended with END."""
    s, out = g.initial(), []
    for i in range(length):
        allowed = g.allowed(s)
        p = allowed.astype(float)
        p[(g.kind == K_WAIT) | (g.kind == K_AT)] *= 40
        p[END] *= 0.002 if i < length - 5 else 50
        t = int(rng.choice(len(p), p=p / p.sum()))
        out.append(t)
        s = g.advance(s, t)
        if t == END:
            return out
    while not g.allowed(s)[END]:  # a pending register token: its value first
        t = int(np.flatnonzero(g.allowed(s))[0])
        out.append(t)
        s = g.advance(s, t)
    return out + [END]


@pytest.mark.parametrize("design", ["write", "split"])
def test_grammar_streams_decode_strictly_and_reencode(design):
    """Property: every stream sampled under the mask decodes with strict=True and re-encodes
    to the same tokens; no write sets bits the hardware ignores; PAD/BOS never allowed."""
    tok = Tokenizer(design, bucket_cycles=912 * 11, max_wait=3)  # 7 buckets, short waits
    g = Grammar(tok)
    rng = np.random.default_rng(1)
    for _ in range(150):
        ids = _random_stream(g, rng, int(rng.integers(1, 50)))
        assert PAD not in ids and BOS not in ids
        rec = tok.decode(ids, strict=True)
        assert np.array_equal(tok.encode(rec), ids)
        for a, v in zip(rec.address.tolist(), rec.value.tolist(), strict=True):
            assert v & REGISTERS[a].unused_mask == 0


def test_grammar_masks():
    tok = Tokenizer("write")
    g = Grammar(tok)
    s = g.initial()
    m = g.allowed(s)
    assert not m[PAD] and not m[BOS] and m[END]
    nr52 = tok.write_base + 256 * list(USED_REGISTERS).index(0xFF26)
    assert m[nr52 + 0x80] and not m[nr52 + 0xFF] and not m[nr52 + 0x01]
    s = g.advance(s, tok.at_base + 9)  # AT_10
    m = g.allowed(s)
    assert not m[tok.at_base : tok.write_base].any()  # no AT right after an AT
    assert not m[tok.wait_base : tok.at_base].any() and m[END]
    s = g.advance(s, nr52 + 0x80)
    m = g.allowed(s)
    ats = m[tok.at_base : tok.write_base]
    assert not ats[:10].any() and ats[10:].all()  # only later buckets
    s = g.advance(s, tok.wait_base)  # WAIT_1: bucket 0, no WAIT next
    assert s.bucket == 0 and s.frame == 1
    m = g.allowed(s)
    assert m[tok.at_base : tok.write_base].all() and not m[tok.wait_base : tok.at_base].any()
    s = g.advance(s, END)
    assert np.flatnonzero(g.allowed(s)).tolist() == [PAD]
    # vectorised: a batch of states gives a [B, V] mask, the same in jax
    bs = g.initial(3)
    bs = g.advance(bs, np.array([tok.at_base + 4, END, nr52 + 0x80]))
    mb = g.allowed(bs)
    mj = np.asarray(g.allowed(g.advance(g.initial(3, xp=jnp), jnp.asarray(
        [tok.at_base + 4, END, nr52 + 0x80]), xp=jnp), xp=jnp))  # fmt: skip
    assert mb.shape == (3, tok.vocab_size) and np.array_equal(mb, mj)


def test_split_grammar_value_follows_register():
    tok = Tokenizer("split")
    g = Grammar(tok)
    r = list(USED_REGISTERS).index(0xFF1A)  # NR30: only bit 7 used
    s = g.advance(g.initial(), tok.write_base + r)
    m = g.allowed(s)
    assert np.flatnonzero(m).tolist() == [tok.value_base, tok.value_base + 0x80]
    assert g.kind[tok.write_base] != K_WRITE


def test_top_k_top_p_masks():
    logits = jnp.log(jnp.array([[0.05, 0.4, 0.1, 0.3, 0.15]]))
    assert gen.top_k_mask(logits, 2).tolist() == [[False, True, False, True, False]]
    assert gen.top_k_mask(logits, 0).all()
    # nucleus: 0.4 + 0.3 = 0.7 < 0.75, so 0.15 is needed too
    assert gen.top_p_mask(logits, 0.75).tolist() == [[False, True, False, True, True]]
    assert gen.top_p_mask(logits, 0.7).tolist() == [[False, True, False, True, False]]
    assert gen.top_p_mask(logits, 0.1).tolist() == [[False, True, False, False, False]]
    assert gen.top_p_mask(logits, 1.0).all()


def _nucleus_by_sort(logits: np.ndarray, p: float) -> np.ndarray:
    """The nucleus the plain way: sort, keep while the mass before a token is below p."""
    z = np.exp(logits - logits.max(-1, keepdims=True))
    probs = z / z.sum(-1, keepdims=True)
    order = np.argsort(-logits, axis=-1, kind="stable")
    srt = np.take_along_axis(probs, order, -1)
    before = np.cumsum(srt, -1) - srt
    threshold = np.min(np.where(before < p, np.take_along_axis(logits, order, -1), np.inf), -1)
    return logits >= threshold[..., None]


@pytest.mark.parametrize("p", [0.5, 0.9, 0.98])
def test_top_p_by_bisection_equals_the_sorted_nucleus(p):
    """Random logits over the write vocabulary, peaked and flat, with masked tokens (-1e9, as
    the grammar leaves them) and ties: the bisection keeps exactly the sorted nucleus."""
    rng = np.random.default_rng(int(p * 100))
    logits = rng.normal(0, 3, (24, 9615)).astype(np.float32)
    logits[:8] *= 0.1  # flat: a large nucleus
    logits[8:16, rng.integers(0, 9615, 4000)] = -1e9  # masked
    logits[16:, :50] = logits[16:, :1]  # ties at the top
    got = np.asarray(jax.jit(lambda x: gen.top_p_mask(x, p))(jnp.asarray(logits)))
    want = _nucleus_by_sort(logits.astype(np.float64), p)
    assert (got == want).all(), (got.sum(-1), want.sum(-1))


def test_ngram_ban():
    hist = jnp.array([-1, 5, 6, 7, 8, 5, 6, 7])
    banned = gen.ngram_ban(hist, 4, 10)  # 5 6 7 was followed by 8
    assert np.flatnonzero(np.asarray(banned)).tolist() == [8]
    assert not gen.ngram_ban(jnp.array([-1, -1, -1, 1, 2]), 3, 10).any()


def test_kv_cache_matches_full_forward():
    tok = Tokenizer("write")
    m = tiny_model(tok, context=32)
    ids = jnp.asarray(np.random.default_rng(0).integers(3, tok.vocab_size, (2, 24)))
    full = m(ids)
    cache = gen.init_cache(m, 2, 32)
    pre, cache = gen.forward_cached(m, ids[:, :10], cache, 0)
    steps = [pre]
    for p in range(10, 24):
        lg, cache = gen.forward_cached(m, ids[:, p : p + 1], cache, p)
        steps.append(lg)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=2e-5, rtol=1e-4)


@pytest.fixture(scope="module")
def sampler():
    tok = Tokenizer("write")
    s = gen.Sampling(temperature=1.0, top_k=64, top_p=0.98, repetition_penalty=1.3,
                     no_repeat_ngram=4, window=32)  # fmt: skip
    return gen.Sampler(tiny_model(tok, context=32), tok, s, chunk=16)


def test_same_seed_same_tokens_and_valid(sampler):
    tok = sampler.tok
    a = sampler.generate(2, seconds=0.3, seed=7)
    b = sampler.generate(2, seconds=0.3, seed=7)
    c = sampler.generate(2, seconds=0.3, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(len(x) == len(y) and np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    # a song does not depend on the batch it is sampled in
    one = sampler.generate(1, seconds=0.3, seed=7)
    assert np.array_equal(one[0], a[0])
    for ids in a:
        assert ids[-1] == END and END not in ids[:-1]
        rec = tok.decode(ids, strict=True)
        assert np.array_equal(tok.encode(rec), ids)
        assert rec.duration_seconds >= 0.3


def test_sliding_window_goes_past_the_context(sampler):
    songs = sampler.generate(2, seconds=0.5, seed=3)
    assert min(len(s) for s in songs) > 3 * sampler.context
    for ids in songs:
        assert sampler.tok.decode(ids, strict=True).duration_seconds >= 0.5


def test_prompt_is_continued(sampler):
    from synthic.events.recording import Recording

    tok = sampler.tok
    rec = Recording([0, 100, 50_000, 90_000], [0xFF26, 0xFF12, 0xFF12, 0xFF14],
                    [0x80, 0xF0, 0x00, 0x87], length_cycles=200_000)  # fmt: skip
    prompt = gen.prompt_tokens(rec, tok, 60_000 / 4_194_304)
    assert END not in prompt
    songs = sampler.generate(2, prompt=prompt, seconds=0.2, seed=0)
    for ids in songs:
        assert np.array_equal(ids[: len(prompt)], prompt)
        out = tok.decode(ids, strict=True)
        assert out.t_cycles[:3].tolist() == [0, 0, 50_160]  # the prompt's writes, on the grid


def test_greedy_is_deterministic_without_end():
    tok = Tokenizer("write")
    s = gen.Sampler(tiny_model(tok, context=16), tok, gen.Sampling(temperature=0), chunk=8)
    a = s.generate(1, max_tokens=40, seed=0)
    b = s.generate(1, max_tokens=40, seed=99)  # greedy: the seed does not matter
    assert np.array_equal(a[0], b[0]) and a[0][-1] == END and len(a[0]) <= 44


def test_loop_stats():
    loop = np.array([5, 6, 7, 8] * 10 + [END])
    st = gen.loop_stats(loop, 2.0)
    assert st["ngrams"] == 37 and st["distinct_per_second"] == 2.0
    assert st["repeated_fraction"] == pytest.approx(1 - 4 / 37)
    st = gen.loop_stats(np.arange(10, 30), 1.0)
    assert st["repeated_fraction"] == 0 and st["distinct_per_second"] == 17


def test_cli_writes_valid_events(tmp_path):
    from synthic import events
    from synthic.cli import main
    from synthic.model import checkpoint
    from synthic.model.model import count_params
    from synthic.model.train import load_model

    tok = Tokenizer("write")
    m = tiny_model(tok, context=32)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    from flax import nnx

    checkpoint.save_params(model_dir / "params", nnx.state(m, nnx.Param))
    summary = {"model": m.cfg.to_dict(), "vocab_size": tok.vocab_size,
               "parameters": count_params(m)}  # fmt: skip
    (model_dir / "config.json").write_text(json.dumps(summary))
    vocab = {"design": "write", "params": tok.params(), "tokens": tok.token_names()}
    (model_dir / "vocab.json").write_text(json.dumps(vocab))
    load_model(model_dir)  # the export format the trainer writes
    out = tmp_path / "out"
    rc = main([
        "generate", str(model_dir), "-o", str(out), "--songs", "2", "--seconds", "0.2",
        "--top-k", "32", "--seed", "5", "--batch", "2",
    ])  # fmt: skip
    assert rc == 0
    for k in (1, 2):
        rec = events.read(out / f"song_{k:02d}.events")
        assert rec.duration_seconds >= 0.2
        assert np.array_equal(tok.decode(tok.encode(rec)).value, rec.value)
    rows = (out / "generate.tsv").read_text().splitlines()
    assert len(rows) == 3 and "rejected" in rows[1]  # 0.2 s is under the gate's 5 s minimum
    assert not list(out.glob("*.wav"))
