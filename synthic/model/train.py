"""Training: a jitted step, evaluation every `eval_every` steps, early stopping, checkpoints that
resume exactly, and an exported best model.

The work folder (default MODEL_DIR.work, never a declared output, since Snakemake deletes a
failed job's outputs) holds `checkpoints/` (the latest step and the best one), `metrics.jsonl`
and `loss.png`. A checkpoint holds the whole state (parameters, optimiser state and step, the
dropout PRNG keys) and JSON meta: the step, the data position, the early-stopping state and the
config; a run started again on the same work folder with the same config resumes from the latest
checkpoint and reproduces the uninterrupted run's losses exactly. At the end the best checkpoint's
parameters are exported to MODEL_DIR (`params/`, `config.json`, `vocab.json`, `metrics.jsonl`,
`loss.png`), written in a temporary folder and renamed into place.

Data-parallel over every local device: the batch is sharded over a 1-D mesh ("data") and the
state replicated; XLA inserts the gradient all-reduce.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from synthic.dataset.tokens import load_tokenizer
from synthic.errors import SynthicError
from synthic.model import checkpoint
from synthic.model.data import TokenSet, eval_windows, train_batch
from synthic.model.evaluate import score_windows, scores
from synthic.model.model import PRESETS, ModelConfig, Transformer, count_params, model_config
from synthic.model.optim import OptimConfig, make_optimizer


def step_functions(trainable: Trainable, sharding):
    """The state of `trainable` (placed with `sharding`) and its two jitted functions:
    `train_step(state, batch) -> (state, loss)` on batches of (B, T + 1) tokens (dropout on), and
    `nll_sum(state, tokens, scored)`, the summed loss in nats of the (B, T) positions marked in
    `scored` (dropout off). Shared by `train` and `synthic bench train`."""
    trainable.model.train()
    train_def, state = nnx.split(trainable)
    trainable.model.eval()
    eval_def, _ = nnx.split(trainable)
    state = jax.device_put(state, sharding)

    @jax.jit
    def train_step(state, batch):
        t = nnx.merge(train_def, state)

        def loss_fn(m):
            return m.nll(batch[:, :-1], batch[:, 1:]).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(t.model)
        t.optimizer.update(t.model, grads)
        return nnx.state(t), loss

    @jax.jit
    def nll_sum(state, tokens, scored):
        t = nnx.merge(eval_def, state)
        return jnp.sum(t.model.nll(tokens[:, :-1], tokens[:, 1:]) * scored)

    return state, train_step, nll_sum


def data_fingerprint(dataset_dir: str | os.PathLike) -> str:
    """A hash of what identifies a tokenised dataset's train and validation sets without reading
    the token arrays: vocab.json, both meta.json files (every sample's source, offset, length and
    seconds) and the arrays' sizes. A resumed run must see the data its checkpoint saw."""
    import hashlib

    d = Path(dataset_dir)
    h = hashlib.sha256()
    for name in ("vocab.json", "train.meta.json", "val.meta.json"):
        h.update(name.encode() + b"\0" + (d / name).read_bytes())
    for name in ("train.tokens.npy", "val.tokens.npy"):
        h.update(f"{name}:{(d / name).stat().st_size}".encode())
    return h.hexdigest()[:16]


def output_ids(tokens: np.ndarray, chunk: int = 1 << 22) -> tuple[int, ...]:
    """The distinct ids of a (memory-mapped) token array, read in chunks."""
    seen: set[int] = set()
    for i in range(0, len(tokens), chunk):
        seen.update(np.unique(np.asarray(tokens[i : i + chunk])).tolist())
    return tuple(sorted(seen))


@dataclass(frozen=True)
class TrainConfig:
    size: str = "tiny"  # a preset of synthic.model.model.PRESETS
    model: dict = field(default_factory=dict)  # ModelConfig fields overriding the preset
    optim: dict = field(default_factory=dict)  # OptimConfig fields overriding its defaults
    batch_size: int = 16  # windows per step, over all devices
    max_steps: int = 3000  # the schedule's length; early stopping usually ends sooner
    eval_every: int = 100  # steps between validation evaluations (and checkpoints)
    patience: int = 5  # stop after this many evaluations without a new best
    eval_stride: int = 0  # sliding-window stride of the evaluation; 0: context // 2
    eval_batch: int = 32  # windows per evaluation batch
    log_every: int = 20  # steps between metrics lines and progress lines
    # The output layer: "seen" scores the ids of the train set one by one and lets the rest
    # share one logit (the demo's train set uses 370 of 9,615 write tokens, and the output
    # layer was most of the tiny model's work); "all" scores every id.
    outputs: str = "seen"
    seed: int = 0  # parameters, dropout and the data order

    def __post_init__(self) -> None:
        if self.size not in PRESETS:
            raise SynthicError(
                f"unknown model size {self.size!r} (choose from {', '.join(PRESETS)})"
            )
        if self.outputs not in ("seen", "all"):
            raise SynthicError(f"outputs must be 'seen' or 'all', not {self.outputs!r}")
        unknown = set(self.model) - {f.name for f in dataclasses.fields(ModelConfig)}
        unknown |= set(self.optim) - {f.name for f in dataclasses.fields(OptimConfig)}
        if unknown:
            raise SynthicError(f"unknown model or optim setting: {', '.join(sorted(unknown))}")
        for name in (
            "batch_size",
            "max_steps",
            "eval_every",
            "patience",
            "eval_batch",
            "log_every",
        ):
            if getattr(self, name) < 1:
                raise SynthicError(f"{name} must be at least 1")

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SynthicError(f"unknown training setting: {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


class Trainable(nnx.Module):
    """The model and its optimiser, split and merged together."""

    def __init__(self, model: Transformer, optimizer: nnx.Optimizer):
        self.model, self.optimizer = model, optimizer


def _progress(step, max_steps, loss, tok_s, steps_s) -> str:
    left = (max_steps - step) / steps_s if steps_s > 0 else float("nan")
    m, s = divmod(int(left), 60) if left == left else (0, 0)
    return (
        f"step {step}/{max_steps}  loss {loss:.4f}  {tok_s:,.0f} tokens/s  at most {m}:{s:02d} left"
    )


def plot_losses(metrics_path: Path, png_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in metrics_path.read_text().splitlines() if line]
    tr = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    va = [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r]
    fig, ax = plt.subplots(figsize=(7, 4))
    if tr:
        ax.plot(*zip(*tr, strict=True), label="train", lw=1)
    if va:
        ax.plot(*zip(*va, strict=True), "o-", label="validation", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = png_path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, png_path)


def train(
    dataset_dir: str | os.PathLike,
    model_dir: str | os.PathLike,
    cfg: TrainConfig | None = None,
    *,
    work_dir: str | os.PathLike | None = None,
    resume: bool = True,
    restart_on_change: bool = False,
    stop_after: int | None = None,
    progress=None,
) -> dict | None:
    """Train on `dataset_dir` (written by `synthic tokenize`) and export the best model to
    `model_dir`; returns its summary (also in `model_dir/config.json`). `stop_after` ends the
    run after that many steps without saving or exporting (a simulated interruption; returns
    None). With `resume` (the default) a work folder whose latest checkpoint has the same config
    and the same data (`data_fingerprint`) is continued; without it the work folder is started
    afresh. A work folder of another config or other data is an error, or with
    `restart_on_change` (what the workflow asks for: a changed setting or a changed dataset
    retrains) started afresh with a message."""
    cfg = cfg or TrainConfig()
    progress = progress or sys.stderr
    dataset_dir, model_dir = Path(dataset_dir), Path(model_dir)
    work = Path(work_dir) if work_dir else model_dir.with_name(model_dir.name + ".work")
    tok = load_tokenizer(dataset_dir / "vocab.json")
    train_set, val_set = TokenSet.load(dataset_dir, "train"), TokenSet.load(dataset_dir, "val")
    outputs = output_ids(train_set.tokens) if cfg.outputs == "seen" else ()
    mcfg = model_config(cfg.size, **{"vocab_size": tok.vocab_size, "outputs": outputs, **cfg.model})
    ocfg = OptimConfig(**cfg.optim)
    windows = eval_windows(val_set.samples(), mcfg.context, cfg.eval_stride or None)
    has_val = bool(windows.scored.sum())
    if not has_val:  # a collection of one game: the split puts it in train
        print(
            "warning: the validation set is empty: training all max_steps without early "
            "stopping, exporting the last step",
            file=progress,
        )

    # -- devices: the batch sharded over a 1-D mesh, the state replicated ---------------------
    n_dev = jax.local_device_count()
    if cfg.batch_size % n_dev or cfg.eval_batch % n_dev:
        raise SynthicError(f"batch_size and eval_batch must be multiples of {n_dev} devices")
    mesh = jax.make_mesh((n_dev,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
    data_sharding, replicated = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())

    def put(x):
        return jax.device_put(x, data_sharding)

    # -- the model, the optimiser and the step functions --------------------------------------
    model = Transformer(mcfg, rngs=nnx.Rngs(params=cfg.seed, dropout=cfg.seed + 1))
    opt = nnx.Optimizer(model, make_optimizer(ocfg, cfg.max_steps), wrt=nnx.Param)
    trainable = Trainable(model, opt)
    state, train_step, nll_sum = step_functions(trainable, replicated)

    # -- resume or start ----------------------------------------------------------------------
    config_record = {"train": cfg.to_dict(), "model": mcfg.to_dict(), "optim": ocfg.to_dict(),
                     "data": data_fingerprint(dataset_dir)}  # fmt: skip
    if work.exists() and not resume:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    mgr = checkpoint.manager(work / "checkpoints")
    meta = {"step": 0, "data_index": 0, "best_loss": None, "best_step": None, "bad_evals": 0}
    latest = mgr.latest_step()
    if latest is not None:
        fresh_state = state
        state, saved = checkpoint.restore(mgr, latest, state)
        if saved["config"] != config_record:
            same_data = saved["config"].get("data") == config_record["data"]
            what = "another config" if same_data else "other data"
            if not restart_on_change:
                raise SynthicError(f"{work} holds a run with {what} (use --no-resume)")
            print(f"{work} holds a run with {what}: starting afresh", file=progress)
            mgr.close()
            shutil.rmtree(work)
            work.mkdir(parents=True)
            mgr = checkpoint.manager(work / "checkpoints")
            state = fresh_state
        else:
            meta = saved["state"]
            print(f"resuming from step {meta['step']} in {work}", file=progress)
    metrics_path = work / "metrics.jsonl"
    # keep the log lines up to the resumed step: later ones will be written again
    lines = metrics_path.read_text().splitlines() if metrics_path.exists() else []
    lines = [x for x in lines if x and json.loads(x)["step"] <= meta["step"]]
    metrics_path.write_text("".join(x + "\n" for x in lines))
    log = metrics_path.open("a", encoding="utf-8")

    def write(row):
        log.write(json.dumps(row) + "\n")
        log.flush()

    if meta["step"] == 0:
        n_params = count_params(model)
        print(
            f"{n_params:,} parameters, {n_dev} device(s), {len(train_set.tokens):,} "
            f"training tokens, {int(windows.scored.sum()):,} validation tokens",
            file=progress,
        )

    # -- the loop -----------------------------------------------------------------------------
    tokens_per_step = cfg.batch_size * mcfg.context
    t0, step0, run_losses = time.perf_counter(), meta["step"], []
    stopped_early = False
    try:
        while meta["step"] < cfg.max_steps:
            if stop_after is not None and meta["step"] >= stop_after:
                return None
            batch = train_batch(
                train_set.tokens, meta["data_index"], cfg.batch_size, mcfg.context, cfg.seed
            )
            meta["data_index"] += 1
            state, loss = train_step(state, put(batch))
            meta["step"] += 1
            step = meta["step"]
            run_losses.append(loss)
            if step % cfg.log_every == 0:
                mean = float(np.mean([float(x) for x in run_losses]))
                run_losses = []
                dt = time.perf_counter() - t0
                steps_s = (step - step0) / dt
                write(
                    {
                        "step": step,
                        "loss": mean,
                        "tokens_per_s": steps_s * tokens_per_step,
                        "steps_per_s": steps_s,
                        "elapsed_s": dt,
                    }
                )
                print(
                    _progress(step, cfg.max_steps, mean, steps_s * tokens_per_step, steps_s),
                    file=progress,
                )
            if (step % cfg.eval_every == 0 or step == cfg.max_steps) and not has_val:
                # no validation set: every checkpoint is the newest and the best (the
                # metric falls with the step), and nothing stops the run early
                meta["best_step"] = step
                print(f"step {step}: checkpoint (no validation set)", file=progress)
                checkpoint.save(
                    mgr, step, state, {"state": meta, "config": config_record}, -float(step)
                )
            elif step % cfg.eval_every == 0 or step == cfg.max_steps:
                total, n = score_windows(partial(nll_sum, state), windows, cfg.eval_batch, put)
                val = scores(total, n, val_set.seconds)
                improved = meta["best_loss"] is None or val["loss"] < meta["best_loss"]
                if improved:
                    meta["best_loss"], meta["best_step"], meta["bad_evals"] = val["loss"], step, 0
                else:
                    meta["bad_evals"] += 1
                write(
                    {
                        "step": step,
                        "val_loss": val["loss"],
                        "val_bits_per_token": val["bits_per_token"],
                        "val_bits_per_second": val["bits_per_second"],
                        "best": improved,
                    }
                )
                print(
                    f"step {step}: validation loss {val['loss']:.4f}, "
                    f"{val['bits_per_second']:.1f} bits/s" + (" (best)" if improved else ""),
                    file=progress,
                )
                checkpoint.save(
                    mgr, step, state, {"state": meta, "config": config_record}, val["loss"]
                )
                if meta["bad_evals"] >= cfg.patience:
                    stopped_early = True
                    print(f"no improvement in {cfg.patience} evaluations: stopping", file=progress)
                    break
        mgr.wait_until_finished()
        log.close()
        plot_losses(metrics_path, work / "loss.png")
        # -- export the best ----------------------------------------------------------------
        if meta["best_step"] is None:
            raise SynthicError("no evaluation ran: nothing to export")
        best, _ = checkpoint.restore(mgr, meta["best_step"], state)
        nnx.update(trainable, best)
        params = nnx.state(trainable.model, nnx.Param)
        validation = None
        if has_val:
            total, n = score_windows(partial(nll_sum, best), windows, cfg.eval_batch, put)
            validation = scores(total, n, val_set.seconds)
        summary = {
            **config_record,
            "dataset": os.path.abspath(dataset_dir),  # for `synthic evaluate`'s baseline
            "vocab_size": tok.vocab_size,
            "parameters": count_params(trainable.model),
            "best_step": meta["best_step"],
            "steps": meta["step"],
            "stopped_early": stopped_early,
            "validation": validation,  # None without a validation set
        }
        export(model_dir, params, summary, dataset_dir / "vocab.json", work)
        print(f"wrote {model_dir}", file=progress)
        return summary
    finally:
        mgr.wait_until_finished()
        mgr.close()
        if not log.closed:
            log.close()


def export(model_dir: Path, params, summary: dict, vocab: Path, work: Path) -> None:
    """Write the exported model in a temporary sibling folder and rename it into place."""
    tmp = model_dir.with_name(model_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    checkpoint.save_params(tmp / "params", params)
    (tmp / "config.json").write_text(json.dumps(summary, indent=1) + "\n")
    shutil.copyfile(vocab, tmp / "vocab.json")
    for name in ("metrics.jsonl", "loss.png"):
        shutil.copyfile(work / name, tmp / name)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    os.replace(tmp, model_dir)


def load_model(model_dir: str | os.PathLike) -> tuple[Transformer, dict]:
    """An exported model (in eval mode) and its config.json."""
    model_dir = Path(model_dir)
    summary = json.loads((model_dir / "config.json").read_text())
    mcfg = ModelConfig(**summary["model"])
    model = nnx.eval_shape(lambda: Transformer(mcfg, rngs=nnx.Rngs(0)))
    abstract = nnx.state(model, nnx.Param)
    params = checkpoint.load_params(model_dir / "params", abstract)
    model = Transformer(mcfg, rngs=nnx.Rngs(0))
    nnx.update(model, params)
    model.eval()
    return model, summary
