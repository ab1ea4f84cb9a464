"""Training (synthic.model.train): exact resume, early stopping, the kept checkpoints, the
export, data parallelism over two simulated CPU devices, and the command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthic.dataset.tokens import END, Tokenizer

# A model small enough for a few steps a second on one CPU core.
MODEL = dict(context=16, layers=1, width=32, heads=2, dropout=0.1)
FAST = dict(model=MODEL, batch_size=4, eval_batch=8, log_every=1, eval_stride=8)


def make_dataset(d: Path, seed: int = 0) -> Path:
    """A tokenised dataset in synthic tokenize's layout: design "split" (438 tokens), each
    sample a noisy repeating phrase, so there is something to learn."""
    tok = Tokenizer("split")
    rng = np.random.default_rng(seed)
    d.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", 12), ("val", 3), ("test", 2)):
        arrays, samples, offset = [], [], 0
        for i in range(n):
            phrase = rng.integers(tok.write_base, tok.vocab_size, size=rng.integers(3, 9))
            ids = np.concatenate([np.tile(phrase, 20)[: rng.integers(60, 140)], [END]])
            ids[rng.random(len(ids) - 1).nonzero()[0][::7]] = tok.wait_base  # some noise
            arrays.append(ids)
            samples.append(
                {
                    "sample": f"{name}{i}",
                    "game": "g",
                    "offset": offset,
                    "tokens": len(ids),
                    "seconds": len(ids) / 50,
                }
            )
            offset += len(ids)
        np.save(d / f"{name}.tokens.npy", np.concatenate(arrays).astype(np.uint16))
        meta = {"set": name, "tokens": offset, "seconds": offset / 50, "samples": samples}
        (d / f"{name}.meta.json").write_text(json.dumps(meta))
    (d / "vocab.json").write_text(json.dumps({"design": "split", "params": tok.params()}))
    return d


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("ds") / "dataset")


def _rows(path: Path):
    return [json.loads(x) for x in path.read_text().splitlines() if x]


def test_exact_resume_and_export(dataset, tmp_path):
    from synthic.model.train import TrainConfig, load_model, train

    cfg = TrainConfig(**FAST, max_steps=9, eval_every=3, patience=10)
    full = train(dataset, tmp_path / "a" / "model", cfg, progress=open(os.devnull, "w"))
    # interrupted after step 5 (the last checkpoint is step 3), then resumed
    assert train(dataset, tmp_path / "b" / "model", cfg, stop_after=5) is None
    assert not (tmp_path / "b" / "model").exists()
    resumed = train(dataset, tmp_path / "b" / "model", cfg)
    a = _rows(tmp_path / "a" / "model" / "metrics.jsonl")
    b = _rows(tmp_path / "b" / "model" / "metrics.jsonl")
    strip = ("tokens_per_s", "steps_per_s", "elapsed_s")

    def losses(rows):
        return [{k: v for k, v in r.items() if k not in strip} for r in rows]

    assert len(a) == 9 + 3
    assert losses(a) == losses(b)  # bit for bit: every train loss and validation loss
    assert full["validation"] == resumed["validation"]
    # the export: the best parameters, loadable, scoring what the summary says
    model, summary = load_model(tmp_path / "b" / "model")
    assert summary["best_step"] == full["best_step"]
    seen = np.unique(np.load(dataset / "train.tokens.npy")).tolist()
    assert list(model.cfg.outputs) == summary["model"]["outputs"] == seen  # outputs: "seen"
    for name in ("config.json", "vocab.json", "metrics.jsonl", "loss.png", "params"):
        assert (tmp_path / "b" / "model" / name).exists()
    assert not list((tmp_path / "b").glob("*.tmp"))
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "b").rglob("*"))


def test_early_stopping_keeps_latest_and_best(dataset, tmp_path):
    from synthic.model.train import TrainConfig, train

    # learning rate 0: the validation loss never improves after the first evaluation
    cfg = TrainConfig(
        **FAST, optim=dict(learning_rate=0.0), max_steps=100, eval_every=2, patience=3
    )
    s = train(dataset, tmp_path / "model", cfg, progress=open(os.devnull, "w"))
    assert s["stopped_early"] and s["steps"] == 8 and s["best_step"] == 2
    kept = sorted(
        int(p.name) for p in (tmp_path / "model.work" / "checkpoints").iterdir() if p.name.isdigit()
    )
    assert kept == [2, 8]  # the best and the latest
    rows = _rows(tmp_path / "model" / "metrics.jsonl")
    vals = [r for r in rows if "val_loss" in r]
    assert [r["best"] for r in vals] == [True, False, False, False]
    assert all(r["val_bits_per_second"] > 0 for r in vals)


SHARDED = """
import json, sys
import jax
jax.config.update("jax_num_cpu_devices", int(sys.argv[3]))
from synthic.model.train import TrainConfig, train
cfg = TrainConfig(**json.loads(sys.argv[4]))
train(sys.argv[1], sys.argv[2], cfg, resume=False)
print(jax.local_device_count())
"""


def test_two_devices_match_one(dataset, tmp_path):
    cfg = json.dumps({**FAST, "model": {**MODEL, "dropout": 0.0}, "max_steps": 4, "eval_every": 2})
    runs = {}
    for n in (1, 2):
        out = tmp_path / f"m{n}"
        r = subprocess.run(
            [sys.executable, "-c", SHARDED, str(dataset), str(out), str(n), cfg],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.split()[-1] == str(n)
        runs[n] = _rows(out / "metrics.jsonl")
    assert len(runs[1]) == len(runs[2]) == 6
    for a, b in zip(runs[1], runs[2], strict=True):
        key = "loss" if "loss" in a else "val_loss"
        assert a[key] == pytest.approx(b[key], rel=1e-5)


def test_cli_trains_and_rerun_resumes(dataset, tmp_path, capsys):
    from synthic.cli import main

    out = tmp_path / "model"
    cfg = json.dumps({**FAST, "max_steps": 4, "eval_every": 2, "log_every": 2})
    assert main(["train", str(dataset), "-o", str(out), "--config", cfg]) == 0
    err = capsys.readouterr().err
    assert "tokens/s" in err and "left" in err and f"wrote {out}" in err
    summary = json.loads((out / "config.json").read_text())
    assert summary["steps"] == 4 and summary["model"]["width"] == 32
    assert main(["train", str(dataset), "-o", str(out), "--config", cfg]) == 0
    assert "resuming from step 4" in capsys.readouterr().err
    other = json.dumps({**FAST, "max_steps": 6, "eval_every": 2})
    assert main(["train", str(dataset), "-o", str(out), "--config", other]) == 2
    assert "another config" in capsys.readouterr().err
    # what the workflow runs: a changed setting, then changed data, start afresh
    again = ["train", str(dataset), "-o", str(out), "--restart-on-change", "--config", other]
    assert main(again) == 0
    err = capsys.readouterr().err
    assert "holds a run with another config: starting afresh" in err and "resuming" not in err
    assert json.loads((out / "config.json").read_text())["steps"] == 6
    changed = make_dataset(tmp_path / "changed", seed=1)
    moved = ["train", str(changed), "-o", str(out), "--work", str(out) + ".work"]
    assert main([*moved, "--config", other]) == 2
    assert "other data" in capsys.readouterr().err
    assert main([*moved, "--restart-on-change", "--config", other]) == 0
    assert "holds a run with other data: starting afresh" in capsys.readouterr().err
    assert main(["train", str(dataset), "-o", str(out), "--config", '{"bogus": 1}']) == 2


def test_an_empty_validation_set_trains_to_max_steps(tmp_path):
    """A collection of one game has no validation set: training runs every step (no early
    stopping), checkpoints as it goes, and exports the last step with validation None."""
    from synthic.model.train import TrainConfig, load_model, train

    d = make_dataset(tmp_path / "dataset")
    np.save(d / "val.tokens.npy", np.zeros(0, np.uint16))
    (d / "val.meta.json").write_text(
        json.dumps({"set": "val", "tokens": 0, "seconds": 0.0, "samples": []})
    )
    log = tmp_path / "progress.txt"
    with open(log, "w") as progress:
        summary = train(d, tmp_path / "model", TrainConfig(**FAST, max_steps=6, eval_every=2,
                        patience=1), progress=progress)  # fmt: skip
    assert summary["validation"] is None and summary["best_step"] == summary["steps"] == 6
    assert not summary["stopped_early"]
    assert "the validation set is empty" in log.read_text()
    model, _ = load_model(tmp_path / "model")
    assert model.cfg.vocab_size == summary["vocab_size"]
