"""Checkpoints with orbax: arrays in its tensorstore format and JSON beside them, never pickle
(loading a model runs no code). Orbax writes each step to a temporary folder and renames it when
complete, so a checkpoint is whole or absent; saves are asynchronous until
`wait_until_finished`.

A training run keeps the latest checkpoint and the best one (lowest validation loss) with a
preservation policy of LatestN plus BestN: orbax's `best_fn` with `max_to_keep=1` alone would
delete the newest checkpoint, and a resume would silently restart from an older step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jax
import orbax.checkpoint as ocp
from flax import nnx
from orbax.checkpoint.checkpoint_managers import AnyPreservationPolicy, BestN, LatestN

METRIC = "val_loss"


def to_arrays(state: nnx.State) -> dict[str, jax.Array]:
    """The state as a flat dict, "path/to/leaf" -> array (typed PRNG keys included)."""
    return {"/".join(map(str, k)): v.get_value() for k, v in nnx.to_flat_state(state)}


def from_arrays(state: nnx.State, arrays: dict) -> nnx.State:
    """`state` with its arrays replaced by `arrays` (as `to_arrays` names them)."""
    flat = [(k, v.replace(arrays["/".join(map(str, k))])) for k, v in nnx.to_flat_state(state)]
    return nnx.from_flat_state(flat, cls=type(state))


def manager(directory: str | os.PathLike, keep_latest: int = 1) -> ocp.CheckpointManager:
    """A manager of `directory` keeping the `keep_latest` newest steps and the best one."""
    policy = AnyPreservationPolicy(
        [
            LatestN(n=keep_latest),
            # the lowest loss, and of equal losses the earliest (as early stopping counts it)
            BestN(get_metric_fn=lambda m: (m[METRIC], m["step"]), reverse=True, n=1),
        ]
    )
    options = ocp.CheckpointManagerOptions(preservation_policy=policy, create=True)
    return ocp.CheckpointManager(Path(directory).absolute(), options=options)


def save(mgr: ocp.CheckpointManager, step: int, state: nnx.State, meta: dict, val_loss: float):
    """Save asynchronously. `meta` is copied first: orbax writes it later, in another thread,
    and a dict the caller keeps changing would be saved with a later step's values."""
    meta = json.loads(json.dumps(meta))
    mgr.save(
        step,
        args=ocp.args.Composite(
            state=ocp.args.StandardSave(to_arrays(state)), meta=ocp.args.JsonSave(meta)
        ),
        metrics={METRIC: float(val_loss), "step": int(step)},
    )


def restore(mgr: ocp.CheckpointManager, step: int, state: nnx.State) -> tuple[nnx.State, dict]:
    """Step `step` into the shapes, dtypes and shardings of `state`; returns (state, meta)."""
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, to_arrays(state))
    got = mgr.restore(
        step,
        args=ocp.args.Composite(
            state=ocp.args.StandardRestore(target), meta=ocp.args.JsonRestore()
        ),
    )
    return from_arrays(state, got.state), dict(got.meta)


def save_params(directory: str | os.PathLike, params: nnx.State) -> None:
    """Parameters alone, for an exported model (`directory` must not exist)."""
    with ocp.StandardCheckpointer() as ckpt:
        ckpt.save(Path(directory).absolute(), to_arrays(params))
        ckpt.wait_until_finished()


def load_params(directory: str | os.PathLike, params: nnx.State) -> nnx.State:
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, to_arrays(params))
    with ocp.StandardCheckpointer() as ckpt:
        arrays = ckpt.restore(Path(directory).absolute(), target)
    return from_arrays(params, arrays)
