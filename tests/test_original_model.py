"""The comparison with the original Synthic's model (issue 13): its byte design of the 7-byte
records, local attention, the "original" preset, and `synthic bench original` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthic import demo, events
from synthic.dataset import tokens as T
from synthic.dataset.split import split
from synthic.dataset.tokens import Tokenizer, original_subset
from synthic.events import legacy
from synthic.events.recording import Recording
from tests.strategies import recordings

PULSE = (0xFF11, 0xFF12, 0xFF13, 0xFF14, 0xFF16, 0xFF17, 0xFF18, 0xFF19)
short_deltas = st.one_of(st.integers(0, 16), st.integers(0, 100_000), st.integers(0, 2_000_000))


def test_vocabulary():
    tok = Tokenizer("original")
    names = tok.token_names()
    assert tok.vocab_size == len(names) == len(set(names)) == 259
    assert names[:3] == ["PAD", "BOS", "END"] and names[3] == "B_00" and names[-1] == "B_FF"
    assert tok.dtype == np.uint16
    assert "original" in T.ALL_DESIGNS and "original" not in T.DESIGNS  # the workflow's two


def test_original_subset_keeps_pulse_writes_at_their_times():
    rec = Recording(
        [0, 10, 20, 30, 40, 50],
        [0xFF10, 0xFF12, 0xFF1C, 0xFF19, 0xFF30, 0xFF26],
        [1, 0xF3, 2, 0xBF, 4, 0x80],  # 0xBF: NR24's unused bits kept
        length_cycles=1000,
        meta={"title": "x"},
    )
    sub = original_subset(rec)
    assert sub.t_cycles.tolist() == [10, 30]  # NR10 dropped, its time not lost
    assert sub.address.tolist() == [0xFF12, 0xFF19] and sub.value.tolist() == [0xF3, 0xBF]
    assert sub.length_cycles == 1000 and sub.meta == {"title": "x"}


def _same(a: Recording, b: Recording) -> None:
    assert np.array_equal(a.t_cycles, b.t_cycles)
    assert np.array_equal(a.address, b.address)
    assert np.array_equal(a.value, b.value)
    assert a.length_cycles == b.length_cycles


@settings(max_examples=60, deadline=None)
@given(rec=recordings(delta=short_deltas, with_meta=False, max_writes=80))
def test_round_trip_and_same_information_as_write(rec, tmp_path_factory):
    tok = Tokenizer("original")
    ids = tok.encode(rec)
    sub = original_subset(rec)
    assert ids.dtype == tok.dtype and ids[-1] == T.END and np.count_nonzero(ids == T.END) == 1
    assert len(ids) == 7 * len(sub) + 4 + 1 and np.all((ids[:-1] >= 3) & (ids[:-1] < 259))
    back = tok.decode(ids)
    assert np.array_equal(tok.encode(back), ids)  # tokens -> events -> tokens: exact
    # design "write" on the same reduced sample decodes to the same recording: same information
    write = Tokenizer("write")
    _same(back, write.decode(write.encode(sub)))
    # the bytes before the end are the original's binary file of the decoded recording
    path = tmp_path_factory.mktemp("bin") / "r.bin"
    assert not legacy.write_binary(back, path)  # nothing lost
    assert path.read_bytes() == (ids[:-5] - 3).astype(np.uint8).tobytes()


def test_decode_strict_and_lenient():
    tok = Tokenizer("original")
    rec = Recording(
        [912, 1824, 1824], [0xFF13, 0xFF14, 0xFF17], [1, 0x87, 0xF0], length_cycles=9120
    )
    ids = tok.encode(rec)
    _same(tok.decode(ids), rec)
    assert len(ids) == 3 * 7 + 5
    with pytest.raises(ValueError, match="7-byte records"):
        tok.decode(np.delete(ids, 3))
    bad = ids.copy()
    bad[7 + 4] = 3 + 3  # record 1: channel 3
    with pytest.raises(ValueError, match="channel 3"):
        tok.decode(bad)
    lenient = tok.decode(bad, strict=False)  # the bad record skipped, its time kept
    assert lenient.address.tolist() == [0xFF13, 0xFF17] and lenient.t_cycles.tolist() == [912, 1824]
    off = ids.copy()
    off[3] = 3 + 1  # record 0's delta gains 2**24 cycles: off the grid
    with pytest.raises(ValueError, match="multiple of 912"):
        tok.decode(off)
    with pytest.raises(ValueError, match="not a byte token"):
        tok.decode(np.append(ids[:-1], [T.END + 1000, T.END]))
    # without END: whole records, the length is the last write's time
    assert tok.decode(ids[: 2 * 7]).length_cycles == 1824


def test_tokenize_dataset_both_designs_code_the_same(tmp_path):
    root = tmp_path / "samples"
    for i, name in enumerate(demo.song_names()):
        (root / f"game{i}").mkdir(parents=True)
        events.write(demo.render(name), root / f"game{i}" / f"game{i}.s000.events")
    manifest = split(root, seed=0)
    orig = T.tokenize_dataset(manifest, tmp_path / "o", "original")
    ours = T.tokenize_dataset(manifest, tmp_path / "w", "write", pulse_only=True)
    plain = T.tokenize_dataset(manifest, tmp_path / "p", "write")
    to, tw = T.load_tokenizer(tmp_path / "o" / "vocab.json"), Tokenizer("write")
    assert to == Tokenizer("original")
    for name in T.SETS:
        assert orig[name]["pulse_only"] and ours[name]["pulse_only"]
        assert "pulse_only" not in plain[name]  # the workflow's datasets are as before
        assert orig[name]["seconds"] == ours[name]["seconds"] == plain[name]["seconds"]
        fo = np.load(tmp_path / "o" / f"{name}.tokens.npy")
        fw = np.load(tmp_path / "w" / f"{name}.tokens.npy")
        for so, sw in zip(orig[name]["samples"], ours[name]["samples"], strict=True):
            a = to.decode(fo[so["offset"] : so["offset"] + so["tokens"]])
            b = tw.decode(fw[sw["offset"] : sw["offset"] + sw["tokens"]])
            _same(a, b)
            assert set(a.address.tolist()) <= set(PULSE)


# -- the model ---------------------------------------------------------------------------------

jax = pytest.importorskip("jax")
pytest.importorskip("flax")


def test_original_preset_size():
    from flax import nnx

    from synthic.model.model import count_params, make_model, model_config

    cfg = model_config("original")
    assert (cfg.vocab_size, cfg.layers, cfg.width, cfg.window, cfg.context) == (
        259,
        5,
        256,
        512,
        1024,
    )
    n = count_params(nnx.eval_shape(lambda: make_model(cfg)))
    print(f"original preset: {n:,} parameters")
    assert 6.2e6 < n < 6.7e6  # "about 6.4M"
    assert model_config("small").window == 0  # the others stay fully causal
    with pytest.raises(ValueError):
        model_config("original", window=-1)


def _model(window: int, layers: int = 1):
    from synthic.model.model import make_model, model_config

    cfg = model_config(
        "original", vocab_size=40, context=24, layers=layers, width=32, heads=2, mlp_ratio=2,
        dropout=0.0, window=window,
    )  # fmt: skip
    model = make_model(cfg, seed=3)
    model.eval()
    return model


def test_window_mask_by_perturbation():
    """A token changes the outputs of exactly its window: itself and the window - 1 positions
    after it per layer; nothing before, nothing beyond."""
    x = (np.arange(24, dtype=np.int32)[None] * 7) % 40
    y = x.copy()
    y[0, 5] = (x[0, 5] + 1) % 40
    for layers, reach in ((1, 4), (2, 7)):  # window 4: 3 positions a layer
        model = _model(4, layers)
        d = np.abs(np.asarray(model(x) - model(y))).max(-1)[0]
        assert np.all(d[:5] == 0)
        assert np.all(d[5 : 5 + reach] > 0), d
        assert np.all(d[5 + reach :] == 0), d


def test_window_mask_by_gradient():
    import jax.numpy as jnp
    from flax import nnx

    model = _model(6)
    emb = model.embed.embedding.get_value()
    x = (jnp.arange(24)[None] * 5) % 40

    def out_at(e, t):  # the output at position 20 from embeddings e (B, T, C)
        h = e
        for block in model.blocks:
            h = block(h)
        return model.embed.attend(model.norm(h))[0, t].sum()

    g = jax.grad(out_at)(emb[x], 20)[0]  # (T, C)
    seen = np.abs(np.asarray(g)).sum(-1) > 0
    assert seen.tolist() == [15 <= t <= 20 for t in range(24)]
    # a window as long as the context is full causal attention
    full, long = _model(0), _model(24)
    nnx.update(long, nnx.state(full))
    np.testing.assert_allclose(np.asarray(full(x)), np.asarray(long(x)), rtol=1e-6, atol=1e-6)


# -- the benchmark -----------------------------------------------------------------------------


def test_bench_original_end_to_end(cli, tmp_path):
    from synthic.dataset.split import write_manifest

    root = tmp_path / "samples"
    for i, name in enumerate(demo.song_names()):
        rec = demo.render(name)
        for game in (f"game{i}a", f"game{i}b"):
            (root / game).mkdir(parents=True)
            part = rec.between(0, rec.length_cycles // 2) if game.endswith("a") else rec
            events.write(part, root / game / f"{game}.s000.events")
    write_manifest(split(root, seed=0), tmp_path / "manifest.tsv")
    tiny = "layers=1,width=32,heads=2,mlp_ratio=2,context=32"
    out = tmp_path / "report.json"
    status, stdout, err = cli(
        "bench", "original", tmp_path / "manifest.tsv", "--budget", "0.0002",
        "--original-model", tiny + ",window=8", "--ours-model", tiny, "--batch", "2",
        "--eval-batch", "4", "--orders-original", "7,14", "--orders-ours", "2,4",
        "--work", tmp_path / "work", "-o", out,
    )  # fmt: skip
    assert status == 0, err
    report = json.loads(out.read_text())
    o, w = report["original"], report["ours"]
    assert o["design"] == "original" and w["design"] == "write" and o["model"]["window"] == 8
    for r in (o, w):
        assert r["steps"] >= 1 and r["train_flops"] == r["steps"] * r["flops_per_step"]
        assert abs(r["train_flops"] - 0.0002e12) <= r["flops_per_step"] / 2 + 1
        assert r["test"]["tokens"] == report["data"][r["design"]]["test"]["tokens"]
        assert np.isfinite(r["test"]["bits_per_second"]) and r["test"]["bits_per_second"] > 0
    assert o["test"]["seconds"] == w["test"]["seconds"]
    for name, orders in (("original", [7, 14]), ("ours", [2, 4])):
        g = report["ngram"][name]
        assert [x["order"] for x in g["orders"]] == orders and g["best_order"] in orders
    assert "original (bytes)" in stdout and "ours (write)" in stdout and "n-gram (bytes)" in stdout
    assert (tmp_path / "work" / "original" / "test.tokens.npy").exists()
    assert cli("bench", "original", "--budget", "0")[0] == 2
    assert cli("bench", "original", "--ours-model", "nonsense=1")[0] == 2
