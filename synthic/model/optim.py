"""The optimiser: AdamW with linear warm-up and cosine decay, global-norm gradient clipping, and
weight decay on matrices only.

Decay applies to parameters with two or more dimensions (the linear kernels and the tied
embedding); RMSNorm scales and any biases (one dimension) are left alone. The rule is on the
array's rank, not its name: an `nnx.State` path ends in `.value`, so a mask keyed on the last
path element ("scale", "bias") silently matches nothing (tests/test_model.py checks the mask by
its effect).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import jax
import optax


@dataclass(frozen=True)
class OptimConfig:
    learning_rate: float = 1e-3  # peak, reached after the warm-up
    warmup_steps: int = 100
    end_lr_fraction: float = 0.1  # the cosine ends at this fraction of the peak
    weight_decay: float = 0.1  # decoupled (AdamW), matrices only
    b1: float = 0.9
    b2: float = 0.95
    clip_norm: float = 1.0  # global gradient norm

    def to_dict(self) -> dict:
        return asdict(self)


def decay_mask(params):
    """True where weight decay applies: parameters of rank 2 or more."""
    return jax.tree.map(lambda p: p.ndim >= 2, params)


def schedule(cfg: OptimConfig, total_steps: int) -> optax.Schedule:
    """Linear warm-up to the peak, then cosine to end_lr_fraction of it at `total_steps`
    (optax's `decay_steps` counts the warm-up steps, so it is the total)."""
    warmup = min(cfg.warmup_steps, max(total_steps - 1, 0))
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=cfg.learning_rate,
        warmup_steps=warmup,
        decay_steps=max(total_steps, warmup + 1),
        end_value=cfg.learning_rate * cfg.end_lr_fraction,
    )


def make_optimizer(cfg: OptimConfig, total_steps: int) -> optax.GradientTransformation:
    return optax.chain(
        optax.clip_by_global_norm(cfg.clip_norm),
        optax.adamw(
            schedule(cfg, total_steps),
            b1=cfg.b1,
            b2=cfg.b2,
            weight_decay=cfg.weight_decay,
            mask=decay_mask,
        ),
    )
