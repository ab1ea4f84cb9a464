"""The token grammar as masks over the vocabulary, for constrained decoding.

A sampled sequence must decode with `Tokenizer.decode(strict=True)` and re-encode to itself (the
canonical spelling `encode` writes), so at each step only the tokens that keep it so are allowed.
The state is a few small integers per sequence (arrays of shape [B], numpy or jax):

- `frame`, `bucket`: the time reached (frames since the start, bucket within the frame);
- `mode`: what the previous token demands of the next one:
  `FREE` (anything), `AFTER_AT` (an AT must be followed by a write, a register token or END: the
  encoder writes an AT only before a write or the end), `AFTER_SHORT_WAIT` (a `WAIT_r` with
  r < max_wait ends a gap, so no WAIT may follow it), `PENDING` (design 'split': a register token
  must be followed by its value token);
- `reg`: design 'split', the register index waiting for its value;
- `ended`: END was emitted; after it only PAD is allowed (padding of a finished row in a batch,
  cut off before decoding).

Allowed tokens in a live state: END (unless a value is pending); `WAIT_n` (not after an AT or a
short WAIT); `AT_b` only for b after the current bucket (time only moves forward; a WAIT resets
the bucket to 0), not right after another AT; write tokens (design 'write') whose value leaves the
bits the hardware ignores (`Register.unused_mask`) at zero; register tokens (design 'split') and,
after one, the value tokens with its unused bits zero. PAD and BOS are never generated.

`Grammar(tok)` holds the per-token tables; `allowed(state)` gives the mask [B, V] (or [V] for an
unbatched state) and `advance(state, token)` the next state, both in numpy or jax (`xp`), so the
sampler applies them inside its jitted decode step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthic.dataset.tokens import BOS, END, PAD, USED_REGISTERS, Tokenizer
from synthic.events.registers import REGISTERS

# token kinds
K_PAD, K_BOS, K_END, K_WAIT, K_AT, K_WRITE, K_REG, K_VAL = range(8)
# modes
FREE, AFTER_AT, AFTER_SHORT_WAIT, PENDING = range(4)
STATE_FIELDS = ("frame", "bucket", "mode", "reg", "ended")

UNUSED_MASKS = np.array([REGISTERS[int(a)].unused_mask for a in USED_REGISTERS], dtype=np.int64)


@dataclass(frozen=True)
class State:
    """The grammar state of a batch of sequences: int32 arrays of shape [B] (or scalars)."""

    frame: object
    bucket: object
    mode: object
    reg: object
    ended: object

    def tree(self) -> tuple:
        return (self.frame, self.bucket, self.mode, self.reg, self.ended)

    @classmethod
    def from_tree(cls, t) -> State:
        return cls(*t)

    def time_buckets(self, buckets: int):
        """The time reached, in buckets since the start."""
        return self.frame * buckets + self.bucket


class Grammar:
    """The grammar of `tok`'s token streams as vocabulary tables (see the module docstring)."""

    def __init__(self, tok: Tokenizer):
        self.tok = tok
        v = tok.vocab_size
        kind = np.zeros(v, np.int32)
        arg = np.zeros(v, np.int32)
        kind[PAD], kind[BOS], kind[END] = K_PAD, K_BOS, K_END
        w = np.arange(tok.wait_base, tok.at_base)
        kind[w], arg[w] = K_WAIT, w - tok.wait_base + 1
        a = np.arange(tok.at_base, tok.write_base)
        kind[a], arg[a] = K_AT, a - tok.at_base + 1
        value_ok = (np.arange(256)[None, :] & UNUSED_MASKS[:, None]) == 0  # [R, 256]
        self.value_ok = value_ok
        if tok.design == "write":
            x = np.arange(tok.write_base, v)
            kind[x], arg[x] = K_WRITE, (x - tok.write_base) // 256
            write_ok = np.zeros(v, bool)
            write_ok[x] = value_ok.reshape(-1)
        else:
            r = np.arange(tok.write_base, tok.value_base)
            kind[r], arg[r] = K_REG, r - tok.write_base
            x = np.arange(tok.value_base, v)
            kind[x], arg[x] = K_VAL, x - tok.value_base
            write_ok = kind == K_REG
        self.kind, self.arg, self.write_ok = kind, arg, write_ok
        # the value tokens allowed after each register token, as rows over the whole vocabulary
        pending = np.zeros((len(USED_REGISTERS), v), bool)
        if tok.design == "split":
            pending[:, tok.value_base :] = value_ok
        self.pending_ok = pending
        self.pad_only = np.arange(v) == PAD

    @property
    def vocab_size(self) -> int:
        return self.tok.vocab_size

    def initial(self, batch: int | None = None, xp=np) -> State:
        """The state at the start of a stream (time 0, nothing pending)."""
        z = xp.zeros((), xp.int32) if batch is None else xp.zeros((batch,), xp.int32)
        return State(z, z, z, z, z)

    def allowed(self, s: State, xp=np):
        """Boolean mask of the tokens allowed next: [V] for a scalar state, [B, V] for [B]."""
        kind, arg = xp.asarray(self.kind), xp.asarray(self.arg)
        mode = xp.asarray(s.mode)[..., None]
        bucket = xp.asarray(s.bucket)[..., None]
        live_free = (
            (kind == K_END)
            | ((kind == K_WAIT) & (mode == FREE))
            | ((kind == K_AT) & (mode != AFTER_AT) & (arg > bucket))
            | xp.asarray(self.write_ok)
        )
        pending = xp.asarray(self.pending_ok)[xp.asarray(s.reg)]
        live = xp.where(mode == PENDING, pending, live_free)
        return xp.where(xp.asarray(s.ended)[..., None] != 0, xp.asarray(self.pad_only), live)

    def advance(self, s: State, token, xp=np) -> State:
        """The state after `token` (an int array shaped like the state's fields)."""
        token = xp.asarray(token)
        k = xp.asarray(self.kind)[token]
        a = xp.asarray(self.arg)[token]
        ended = xp.asarray(s.ended)
        live = ended == 0
        is_wait, is_at = live & (k == K_WAIT), live & (k == K_AT)
        frame = xp.where(is_wait, s.frame + a, s.frame)
        bucket = xp.where(is_wait, 0, xp.where(is_at, a, s.bucket))
        mode = xp.where(
            is_wait,
            xp.where(a < self.tok.max_wait, AFTER_SHORT_WAIT, FREE),
            xp.where(
                is_at,
                AFTER_AT,
                xp.where(
                    live & (k == K_REG),
                    PENDING,
                    xp.where(live & ((k == K_WRITE) | (k == K_VAL)), FREE, s.mode),
                ),
            ),
        )
        reg = xp.where(live & (k == K_REG), a, s.reg)
        ended = xp.where(live & (k == K_END), 1, ended)
        cast = (lambda x: x.astype(xp.int32)) if hasattr(xp, "int32") else (lambda x: x)
        return State(cast(frame), cast(bucket), cast(mode), cast(reg), cast(ended))

    def run(self, tokens, s: State | None = None) -> State:
        """The (scalar, numpy) state after `tokens`, checking each is allowed (ValueError)."""
        s = s or self.initial()
        for i, t in enumerate(np.asarray(tokens, dtype=np.int64).tolist()):
            if not self.allowed(s)[t]:
                raise ValueError(f"token {i} ({self.tok.token_names()[t]}) breaks the grammar")
            s = self.advance(s, t)
        return s

    def valid_writes(self) -> int:
        """How many write tokens (design 'write') or register/value pairs are allowed."""
        return int(self.value_ok.sum())


def ok_to_stop(s: State, xp=np):
    """Whether END is allowed now (nothing pending, not ended)."""
    return (xp.asarray(s.mode) != PENDING) & (xp.asarray(s.ended) == 0)
