"""The transformer, its optimiser and its data windows (synthic.model)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from synthic.dataset.tokens import END
from synthic.model.data import eval_windows, train_batch
from synthic.model.model import PRESETS, count_params, make_model, model_config, rotary
from synthic.model.optim import OptimConfig, make_optimizer, schedule

SMALL = dict(vocab_size=40, context=16, layers=1, width=32, heads=2, dropout=0.0)


def test_presets_sizes():
    counts = {
        s: count_params(nnx.eval_shape(lambda s=s: make_model(model_config(s)))) for s in PRESETS
    }
    assert counts["tiny"] < counts["small"] < counts["base"]
    assert 80e6 < counts["base"] < 110e6  # "about 100M"
    with pytest.raises(ValueError):
        model_config("huge")


def test_causal_and_shapes():
    model = make_model(model_config("tiny", **SMALL))
    model.eval()
    x = jnp.arange(16, dtype=jnp.int32)[None] % 40  # (1, 16)
    y = x.at[0, 10].set(3)
    a, b = model(x), model(y)
    assert a.shape == (1, 16, 40) and a.dtype == jnp.float32
    np.testing.assert_array_equal(a[0, :10], b[0, :10])  # the past ignores the future
    assert not np.allclose(a[0, 10:], b[0, 10:])


def test_tied_embeddings():
    model = make_model(model_config("tiny", **SMALL))
    names = ["/".join(map(str, k)) for k, _ in nnx.to_flat_state(nnx.state(model, nnx.Param))]
    assert [n for n in names if "embed" in n] == ["embed/embedding"]  # no separate output layer


def test_scored_outputs_are_a_proper_distribution_over_every_id():
    """With `outputs` (the ids the output layer scores one by one) the other ids share one
    logit: the softmax still sums to 1 over the whole vocabulary, every unscored id gets the same
    share, `nll` equals the cross-entropy of the full logits, and training the "other" row moves
    the unscored ids' probability (the gradient reaches it)."""
    import optax

    cfg = model_config("tiny", **SMALL, outputs=[9, 2, 5, 7, 3])
    assert cfg.outputs == (2, 3, 5, 7, 9) and cfg.to_dict()["outputs"] == [2, 3, 5, 7, 9]
    assert model_config("tiny", **SMALL, outputs=range(40)).outputs == ()  # all: the full layer
    with pytest.raises(ValueError):
        model_config("tiny", **SMALL, outputs=[40])
    model = make_model(cfg)
    model.eval()
    x = jnp.asarray(np.random.default_rng(0).integers(0, 40, (2, 12)), jnp.int32)
    logits = model(x[:, :-1])
    assert logits.shape == (2, 11, 40)
    p = jax.nn.softmax(logits)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    rest = np.setdiff1d(np.arange(40), cfg.outputs)
    np.testing.assert_allclose(p[..., rest], p[..., rest[:1]].repeat(len(rest), -1), rtol=1e-5)
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, x[:, 1:])
    np.testing.assert_allclose(model.nll(x[:, :-1], x[:, 1:]), ce, rtol=1e-5, atol=1e-6)
    grads = nnx.grad(lambda m: m.nll(x[:, :-1], jnp.full_like(x[:, 1:], 30)).mean())(model)
    assert float(jnp.abs(grads.other[...]).sum()) > 0
    # the full layer, for comparison: no "other" row, the same interface
    full = make_model(model_config("tiny", **SMALL))
    full.eval()
    assert not hasattr(full, "other")
    np.testing.assert_allclose(
        full.nll(x[:, :-1], x[:, 1:]),
        optax.softmax_cross_entropy_with_integer_labels(full(x[:, :-1]), x[:, 1:]),
        rtol=1e-5,
        atol=1e-6,
    )


def test_rotary_depends_on_relative_position():
    key = jax.random.key(0)
    q = jax.random.normal(key, (1, 1, 1, 8))
    k = jax.random.normal(jax.random.key(1), (1, 1, 1, 8))
    qs = rotary(jnp.tile(q, (1, 12, 1, 1)), 10_000.0)[0, :, 0]  # (T, D): q at every position
    ks = rotary(jnp.tile(k, (1, 12, 1, 1)), 10_000.0)[0, :, 0]
    np.testing.assert_allclose(qs[5] @ ks[2], qs[9] @ ks[6], rtol=1e-5)  # offset 3 both


def test_decay_mask_masks_norms_by_effect():
    """With zero gradients Adam's update is zero, so only weight decay moves a parameter:
    matrices shrink, RMSNorm scales stay exactly as they were."""
    model = make_model(model_config("tiny", **SMALL))
    tx = make_optimizer(OptimConfig(learning_rate=0.1, warmup_steps=0, weight_decay=0.5), 10)
    opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
    before = dict(nnx.to_flat_state(nnx.state(model, nnx.Param)))
    before = {k: np.asarray(v.get_value()) for k, v in before.items()}
    opt.update(model, jax.tree.map(jnp.zeros_like, nnx.state(model, nnx.Param)))
    after = {
        k: np.asarray(v.get_value()) for k, v in nnx.to_flat_state(nnx.state(model, nnx.Param))
    }
    norms = [k for k in before if k[-1] == "scale"]
    mats = [k for k in before if before[k].ndim == 2]
    assert len(norms) == 3 and len(mats) == 5
    for k in norms:
        np.testing.assert_array_equal(before[k], after[k])
    for k in mats:
        assert np.all(np.abs(after[k]) < np.abs(before[k]) + 1e-12)
        assert not np.array_equal(before[k], after[k])


def test_schedule_warmup_counts_in_decay_steps():
    cfg = OptimConfig(learning_rate=1e-3, warmup_steps=10, end_lr_fraction=0.1)
    lr = schedule(cfg, 100)
    assert float(lr(0)) == 0.0
    assert float(lr(10)) == pytest.approx(1e-3)
    assert float(lr(100)) == pytest.approx(1e-4)  # the end at the total, not total + warm-up
    assert float(lr(55)) == pytest.approx(1e-4 + 0.9e-3 * 0.5, rel=1e-4)


def test_train_batch_is_a_function_of_seed_and_index():
    tokens = np.arange(1000, dtype=np.uint16)
    a = train_batch(tokens, 7, 4, 16, seed=3)
    assert a.shape == (4, 17) and a.dtype == np.int32
    np.testing.assert_array_equal(a, train_batch(tokens, 7, 4, 16, seed=3))
    assert not np.array_equal(a, train_batch(tokens, 8, 4, 16, seed=3))
    np.testing.assert_array_equal(a[:, 1:], a[:, :-1] + 1)  # contiguous windows


@pytest.mark.parametrize("length", [1, 5, 16, 17, 40, 101])
@pytest.mark.parametrize("stride", [1, 5, 8, 16])
def test_eval_windows_score_every_token_once_with_context(length, stride):
    """Each sample is scored as [END] + sample: every token exactly once, each from its true
    history, and with at least context - stride tokens of it (or all there is)."""
    context = 16
    sample = np.arange(100, 100 + length)
    stream = np.concatenate([[END], sample])
    w = eval_windows([sample], context, stride)
    seen = []
    for toks, mask in zip(w.tokens, w.scored, strict=True):
        for p in np.flatnonzero(mask):
            j = int(toks[p + 1]) - 100 + 1  # the target's index in the stream
            np.testing.assert_array_equal(toks[: p + 1], stream[j - p - 1 : j])
            assert p + 1 >= min(j, context - stride + 1)
            seen.append(j)
    assert sorted(seen) == list(range(1, length + 1))
    two = eval_windows([sample, sample[:3]], context, stride)
    assert two.scored.sum() == length + min(length, 3)
