"""Tokenisation: a recording's writes become a sequence of integer tokens for the model, and back.

Two designs share one time rule and differ in how a write is spelled.

**Time rule (both designs).** Time is quantised to a grid of `bucket_cycles` T-cycles (default
912, 0.22 ms; it must divide the 70,224 T-cycles of a video frame, 1/59.73 s, so that a frame
holds a whole number of buckets, 77 by default). Each write's time is rounded to the nearest
grid point, q = floor((t + bucket/2) / bucket); rounding is monotone, so the order of the
writes, and writes on one cycle, are kept exactly. A grid point is a frame number
(q // buckets_per_frame) and a bucket within that frame (q % buckets_per_frame). The stream
holds:

- `WAIT_n` (n = 1..`max_wait`, default 64 frames, 1.07 s): advance n frames, to bucket 0 of
  the new frame. A gap of d frames is spelled d // max_wait tokens `WAIT_max` and one `WAIT_r`
  for the rest r > 0 (canonical, so tokens -> events -> tokens is exact);
- `AT_b` (b = 1..buckets-1): move to bucket b of the current frame (only forward, and only
  when the next write's bucket differs from the current one; after a WAIT the bucket is 0);
- `END`: the recording ends here (its `length_cycles`, quantised like a write, and never
  before its last write); every encoded recording ends with exactly one END.

So the writes of one burst (a sound driver's update, usually a few hundred T-cycles long) keep
their order and mostly share one bucket, costing one `AT` token per burst; the largest time
error is bucket/2 cycles (456 cycles, 0.11 ms by default). `time_error` measures it. A finer
grid costs few tokens (the bursts share a bucket whatever its width): on the jukebox recording
a 304-cycle grid needs 7% more tokens than 912, and 1596 2% fewer, while rendering the decoded
recording moves the sound by a mean log-mel difference of 0.1-0.9 dB at any of these widths
(0.01-0.5 dB for merely delaying the whole recording by 152 cycles; waveform differences are no
measure here, since a shift of a few cycles changes the oscillators' phase).

**Writes.** Only the 39 registers the chip has are spelled: NR10-NR14, NR21-NR24, NR30-NR34,
NR41-NR44, NR50-NR52 and the 16 bytes of wave RAM; writes to the unused addresses (FF15, FF1F,
FF27-FF2F, which the hardware ignores) are dropped by `encode` (they change nothing audible;
`unused_writes` counts them). Every value byte is kept, unused bits included.

- design `"write"` (A): one token `W(register, value)` per write: 39 x 256 = 9,984 write tokens.
- design `"split"` (B): a register token `R(register)` then a value token `V(value)`:
  39 + 256 tokens, sequences about twice as long.

Ids: 0 PAD, 1 BOS (reserved for the model; `encode` does not emit it), 2 END, then the WAIT
tokens, the AT tokens, then the write tokens (A) or the register then value tokens (B). The
default design is `"write"`: with the same time rule it needs about half the tokens per second
of music (so a model with a fixed context sees twice as much music) and every token is one
whole, valid write, so a sampled sequence can never hold a dangling register token; its larger
embedding table (about 10k rows) is negligible next to a transformer's other weights. The
comparison in bits per second of music needs a trained model (the next issue):
`bits_per_second` computes it from a model's per-token losses.

**The original's design.** `"original"` (C) re-spells what the original Synthic modelled: its
7-byte binary records (`synthic.events.legacy`: u32 big-endian time delta in T-cycles, u8
channel 1-2, u8 command 1-4, u8 raw value), one token per byte, for the comparison with the
original's byte-level model (issue 13). A recording is first reduced to what that format holds,
through legacy's lossy path (`original_subset`): the writes to NR11-NR14 and NR21-NR24 with every
value bit, each at its own time (a dropped write's time carries forward), and the same length.
Times follow the time rule above (each write rounded to the 912-cycle grid; the deltas are
multiples of `bucket_cycles`, written in T-cycles as the format has them), so design C and
design A on `original_subset` samples code exactly the same information: both decode to the same
recording, write for write, cycle for cycle (tests/test_original_model.py), and their bits per
second compare directly. The stream is the records' bytes, then the end as one more 4-byte
delta (from the last write to the quantised end; the original had no end, so nothing else
could say where a sample stops) and END: 7 n + 4 bytes and END for n writes. Ids: 0 PAD, 1
BOS, 2 END, byte b is `3 + b` (259 tokens). Not in `DESIGNS` (the workflow's designs, whose
vocabulary holds every register); `ALL_DESIGNS` lists the three.

`tokenize_dataset` writes a split's samples (the manifest of `synthic.dataset.split`) as one flat
token array per set (`train.tokens.npy`, `val.tokens.npy`, `test.tokens.npy`, uint16 when the
vocabulary fits, loadable with `np.load(path, mmap_mode="r")`), `<set>.meta.json` (each sample's
offset and token count in the flat array, seconds of music and source file) and `vocab.json`
(the design, its parameters and every token's name).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from synthic.events.atomic import atomic_output
from synthic.events.recording import Recording
from synthic.events.registers import CLOCK_HZ, FRAME_T_CYCLES, REGISTERS

DESIGNS = ("write", "split")  # the workflow's register designs
ORIGINAL = "original"  # the original Synthic's 7-byte records as bytes (see the docstring)
ALL_DESIGNS = (*DESIGNS, ORIGINAL)
DEFAULT_DESIGN = "write"
SETS = ("train", "val", "test")

PAD, BOS, END = 0, 1, 2
_N_SPECIAL = 3

# The registers the chip has (unused addresses, kind RAW, are left out), in address order.
USED_REGISTERS = np.array(
    [a for a in sorted(REGISTERS) if REGISTERS[a].kind != "RAW"], dtype=np.int64
)
_REG_INDEX = np.full(0x40, -1, dtype=np.int64)  # (address - 0xFF00) -> index in USED_REGISTERS
_REG_INDEX[USED_REGISTERS - 0xFF00] = np.arange(len(USED_REGISTERS))


@dataclass(frozen=True)
class Tokenizer:
    """One tokenisation: a design and its time parameters (see the module docstring)."""

    design: str = DEFAULT_DESIGN
    bucket_cycles: int = 912
    max_wait: int = 64

    def __post_init__(self) -> None:
        if self.design not in ALL_DESIGNS:
            raise ValueError(
                f"unknown design {self.design!r} (choose from {', '.join(ALL_DESIGNS)})"
            )
        if self.bucket_cycles < 1 or FRAME_T_CYCLES % self.bucket_cycles:
            raise ValueError(f"bucket_cycles {self.bucket_cycles} must divide {FRAME_T_CYCLES}")
        if self.max_wait < 1:
            raise ValueError("max_wait must be at least 1")

    # -- vocabulary -------------------------------------------------------------------------

    @property
    def buckets(self) -> int:
        """Buckets per frame."""
        return FRAME_T_CYCLES // self.bucket_cycles

    @property
    def wait_base(self) -> int:  # id of WAIT_1
        return _N_SPECIAL

    @property
    def at_base(self) -> int:  # id of AT_1
        return self.wait_base + self.max_wait

    @property
    def write_base(self) -> int:  # id of the first write (A) or register (B) token
        return self.at_base + self.buckets - 1

    @property
    def value_base(self) -> int:  # design B: id of V(0)
        return self.write_base + len(USED_REGISTERS)

    @property
    def vocab_size(self) -> int:
        if self.design == ORIGINAL:
            return _N_SPECIAL + 256
        n = len(USED_REGISTERS)
        return self.write_base + (n * 256 if self.design == "write" else n + 256)

    @property
    def dtype(self) -> type:
        return np.uint16 if self.vocab_size <= 1 << 16 else np.uint32

    def token_names(self) -> list[str]:
        names = ["PAD", "BOS", "END"]
        if self.design == ORIGINAL:
            return names + [f"B_{b:02X}" for b in range(256)]
        names += [f"WAIT_{n}" for n in range(1, self.max_wait + 1)]
        names += [f"AT_{b}" for b in range(1, self.buckets)]
        regs = [REGISTERS[int(a)].name for a in USED_REGISTERS]
        if self.design == "write":
            names += [f"{r}={v:02X}" for r in regs for v in range(256)]
        else:
            names += [f"R_{r}" for r in regs] + [f"V_{v:02X}" for v in range(256)]
        assert len(names) == self.vocab_size
        return names

    def params(self) -> dict:
        return {**asdict(self), "vocab_size": self.vocab_size}

    # -- time -------------------------------------------------------------------------------

    def quantise(self, t_cycles: np.ndarray | int) -> np.ndarray:
        """The grid point (in buckets) nearest to each time: floor((t + bucket/2) / bucket)."""
        t = np.asarray(t_cycles, dtype=np.int64)
        return (t + self.bucket_cycles // 2) // self.bucket_cycles

    def quantised_times(self, t_cycles: np.ndarray) -> np.ndarray:
        """Each time as decode gives it back: on the grid, in T-cycles."""
        return self.quantise(t_cycles) * self.bucket_cycles

    # -- encode / decode --------------------------------------------------------------------

    def encode(self, rec: Recording) -> np.ndarray:
        """The tokens of `rec` (ending with END); writes to unused registers are dropped (and in
        design "original" every write its format cannot hold: see `original_subset`)."""
        if self.design == ORIGINAL:
            return self._encode_original(rec)
        idx = _REG_INDEX[rec.address.astype(np.int64) - 0xFF00]
        keep = idx >= 0
        q = self.quantise(rec.t_cycles[keep])
        idx = idx[keep]
        val = rec.value[keep].astype(np.int64)
        q_end = max(int(self.quantise(rec.length_cycles)), int(q[-1]) if len(q) else 0)
        nb, kmax = self.buckets, self.max_wait
        wait_max = self.wait_base + kmax - 1
        out: list[int] = []
        frame = bucket = 0

        def advance(target: int) -> None:
            nonlocal frame, bucket
            f, b = divmod(target, nb)
            if f > frame:
                m, r = divmod(f - frame, kmax)
                out.extend([wait_max] * m)
                if r:
                    out.append(self.wait_base + r - 1)
                frame, bucket = f, 0
            if b != bucket:
                out.append(self.at_base + b - 1)
                bucket = b

        last = -1
        if self.design == "write":
            words = (self.write_base + idx * 256 + val).tolist()
            for qi, w in zip(q.tolist(), words, strict=True):
                if qi != last:
                    advance(qi)
                    last = qi
                out.append(w)
        else:
            regs = (self.write_base + idx).tolist()
            vals = (self.value_base + val).tolist()
            for qi, r, v in zip(q.tolist(), regs, vals, strict=True):
                if qi != last:
                    advance(qi)
                    last = qi
                out.append(r)
                out.append(v)
        advance(q_end)
        out.append(END)
        return np.array(out, dtype=self.dtype)

    def decode(self, tokens: Iterable[int], *, strict: bool = True, meta=None) -> Recording:
        """The recording that `tokens` spell; decoding stops at the first END (its time is the
        recording's length; without END the length is the time reached). PAD and BOS are
        skipped. With `strict` a malformed sequence (an AT that goes back, a register token
        without its value, a value token without a register; in design "original" a byte
        count that is not whole records and the end delta, a record with a channel or command
        the format does not have, a delta off the grid) raises ValueError; otherwise the
        offending token is skipped (for sampled sequences)."""
        if self.design == ORIGINAL:
            return self._decode_original(tokens, strict=strict, meta=meta)
        nb, bc = self.buckets, self.bucket_cycles
        t_out: list[int] = []
        a_out: list[int] = []
        v_out: list[int] = []
        frame = bucket = 0
        pending = -1  # design B: register index waiting for its value
        wb, ab, xb, vb = self.wait_base, self.at_base, self.write_base, self.value_base
        split = self.design == "split"
        end = None
        for i, tok in enumerate(np.asarray(tokens, dtype=np.int64).tolist()):
            problem = None
            if split and pending >= 0 and not vb <= tok < vb + 256:
                if strict:
                    raise ValueError(f"token {i}: a register token without its value")
                pending = -1
            if tok in (PAD, BOS):
                pass
            elif tok == END:
                end = (frame * nb + bucket) * bc
                break
            elif wb <= tok < ab:
                frame += tok - wb + 1
                bucket = 0
            elif ab <= tok < xb:
                b = tok - ab + 1
                if b < bucket:
                    problem = f"AT_{b} goes back from bucket {bucket}"
                else:
                    bucket = b
            elif not split and xb <= tok < self.vocab_size:
                r, v = divmod(tok - xb, 256)
                t_out.append((frame * nb + bucket) * bc)
                a_out.append(int(USED_REGISTERS[r]))
                v_out.append(v)
            elif split and xb <= tok < vb:
                pending = tok - xb
            elif split and vb <= tok < self.vocab_size:
                if pending < 0:
                    problem = "a value token without a register"
                else:
                    t_out.append((frame * nb + bucket) * bc)
                    a_out.append(int(USED_REGISTERS[pending]))
                    v_out.append(tok - vb)
                    pending = -1
            else:
                problem = f"token {tok} is outside the vocabulary ({self.vocab_size})"
            if problem is not None and strict:
                raise ValueError(f"token {i}: {problem}")
        if split and pending >= 0 and strict and end is None:
            raise ValueError("the tokens end with a register token without its value")
        if end is None:
            end = (frame * nb + bucket) * bc
        return Recording(t_out, a_out, v_out, length_cycles=end, meta=meta)

    # -- design "original": the 7-byte records as bytes --------------------------------------

    def _encode_original(self, rec: Recording) -> np.ndarray:
        from synthic.events import legacy

        pulse = original_subset(rec)
        q = self.quantise(pulse.t_cycles)
        q_end = max(int(self.quantise(pulse.length_cycles)), int(q[-1]) if len(q) else 0)
        deltas = np.diff(np.append(q, q_end), prepend=0) * self.bucket_cycles  # n + 1
        if len(deltas) and deltas.max() > legacy.MAX_DELTA:
            raise ValueError(f"a gap of {deltas.max()} T-cycles exceeds the 32-bit delta")
        records = np.zeros(len(q), legacy._RECORD)  # the format's own record layout
        records["dt"] = deltas[:-1]
        keys = [legacy._LEGACY[a] for a in pulse.address.tolist()]
        records["channel"] = [k[0] for k in keys]
        records["command"] = [legacy._COMMAND_NUMBER[k[1]] for k in keys]
        records["value"] = pulse.value
        data = records.tobytes() + int(deltas[-1]).to_bytes(4, "big")
        ids = np.frombuffer(data, np.uint8).astype(self.dtype) + _N_SPECIAL
        return np.append(ids, np.array([END], self.dtype))

    def _decode_original(self, tokens: Iterable[int], *, strict: bool, meta) -> Recording:
        from synthic.events import legacy

        ids = np.asarray(tokens, dtype=np.int64).ravel()
        ids = ids[(ids != PAD) & (ids != BOS)]
        ends = np.flatnonzero(ids == END)
        ended = len(ends) > 0
        if ended:
            ids = ids[: ends[0]]
        outside = (ids < _N_SPECIAL) | (ids >= self.vocab_size)
        if strict and outside.any():
            i = int(np.argmax(outside))
            raise ValueError(f"token {ids[i]} is not a byte token (byte {i})")
        data = (ids[~outside] - _N_SPECIAL).astype(np.uint8).tobytes()
        tail = 4 if ended else 0  # the end delta
        n, rest = divmod(len(data) - tail, legacy.BINARY_RECORD)
        if strict and (rest or n < 0):
            raise ValueError(
                f"{len(data)} bytes are not 7-byte records" + (" and a 4-byte end" if ended else "")
            )
        n = max(n, 0)
        end_delta = 0
        if ended and len(data) >= n * legacy.BINARY_RECORD + 4:
            end_delta = int.from_bytes(data[n * legacy.BINARY_RECORD :][-4:], "big")
        records = np.frombuffer(data, legacy._RECORD, n)
        t = np.cumsum(records["dt"], dtype=np.int64)
        key = records["channel"].astype(np.int64) % 4 * 8 + records["command"] % 8  # < 32
        address = legacy._ADDRESS_OF[key]
        valid = (records["channel"] >= 1) & (records["channel"] <= 2)
        valid &= (records["command"] >= 1) & (records["command"] <= 4)
        off_grid = np.append(records["dt"], end_delta) % self.bucket_cycles != 0
        if strict and not valid.all():
            i = int(np.argmax(~valid))
            raise ValueError(
                f"record {i}: channel {records['channel'][i]}, command {records['command'][i]} "
                "(the format has channels 1-2, commands 1-4)"
            )
        if strict and off_grid.any():
            raise ValueError(f"a time delta is not a multiple of {self.bucket_cycles} T-cycles")
        end = (int(t[-1]) if n else 0) + end_delta
        # an invalid record is skipped, its time carried forward to the next
        return Recording(
            t[valid], address[valid], records["value"][valid], length_cycles=end, meta=meta
        )


def original_subset(rec: Recording) -> Recording:
    """What the original Synthic's binary format holds of `rec`, through the lossy path of
    `synthic.events.legacy`: the writes to NR11-NR14 and NR21-NR24 with every value bit, each at
    its own time (so a dropped write's time carries forward to the next kept one), the same
    length and meta. The samples both sides of the comparison with the original's model see."""
    from synthic.events import legacy

    idx, _, _, _ = legacy._representable(rec, text=False, lossy=True, fmt="original binary")
    return rec.select(idx)


def tokenizer(design: str = DEFAULT_DESIGN, **params) -> Tokenizer:
    return Tokenizer(design, **params)


def encode(rec: Recording, design: str = DEFAULT_DESIGN, **params) -> np.ndarray:
    return Tokenizer(design, **params).encode(rec)


def decode(tokens: Iterable[int], design: str = DEFAULT_DESIGN, **params) -> Recording:
    return Tokenizer(design, **params).decode(tokens)


def unused_writes(rec: Recording) -> int:
    """How many writes of `rec` go to addresses the chip does not have (dropped by encode)."""
    return int(np.count_nonzero(_REG_INDEX[rec.address.astype(np.int64) - 0xFF00] < 0))


def kept_writes(rec: Recording) -> Recording:
    """`rec` without its writes to unused addresses (what encode keeps)."""
    return rec.select(_REG_INDEX[rec.address.astype(np.int64) - 0xFF00] >= 0)


@dataclass(frozen=True)
class TimeError:
    writes: int
    max_cycles: int
    mean_cycles: float

    @property
    def max_ms(self) -> float:
        return self.max_cycles / CLOCK_HZ * 1000

    @property
    def mean_ms(self) -> float:
        return self.mean_cycles / CLOCK_HZ * 1000


def time_error(rec: Recording, tok: Tokenizer | None = None) -> TimeError:
    """How far the time rule moves the writes of `rec` (absolute error, in T-cycles)."""
    tok = tok or Tokenizer()
    t = kept_writes(rec).t_cycles
    if not len(t):
        return TimeError(0, 0, 0.0)
    err = np.abs(tok.quantised_times(t) - t)
    return TimeError(len(t), int(err.max()), float(err.mean()))


def tokens_per_second(recs: Iterable[Recording], tok: Tokenizer | None = None) -> float:
    """Tokens per second of music over `recs` (END tokens included)."""
    tok = tok or Tokenizer()
    n = seconds = 0.0
    for rec in recs:
        n += len(tok.encode(rec))
        seconds += rec.duration_seconds
    return n / seconds if seconds else 0.0


def bits_per_second(token_losses_nats: np.ndarray | Iterable[float], seconds: float) -> float:
    """Bits per second of music: the model's summed per-token negative log-likelihoods
    (natural log, as cross-entropy losses are) in bits, divided by the seconds of music the
    tokens cover. The measure that compares designs whose sequences differ in length; the
    comparison of "write" and "split" is left to the training issue."""
    if seconds <= 0:
        raise ValueError("seconds must be above 0")
    total = float(np.sum(np.asarray(token_losses_nats, dtype=np.float64)))
    return total / math.log(2) / seconds


# -- the dataset ----------------------------------------------------------------------------


def tokenize_dataset(
    manifest,
    outdir: str | os.PathLike,
    design: str = DEFAULT_DESIGN,
    *,
    root: str | os.PathLike | None = None,
    transpose: tuple[float, ...] = (),
    swap_pulse: bool = False,
    pulse_only: bool = False,
    **params,
) -> dict[str, dict]:
    """Tokenise the kept samples of a split `manifest` (a DataFrame, or the path of its TSV) into
    `outdir`: vocab.json, and per set `<set>.tokens.npy` (flat, one sample after another, each
    ending with END) and `<set>.meta.json` (`samples`: a list of {"sample", "game", "offset",
    "tokens", "seconds"}; `tokens`, `seconds` totals). Sample paths that are relative are read
    relative to `root` (default: the current folder). Every file is written atomically.
    Augmentation, of the train set only (validation and test stay as recorded): each sample
    also `transpose`d by each of the semitones given (a variant whose periods would leave the
    registers' range is skipped), and with its pulse channels swapped (`swap_pulse`; skipped
    where CH1's sweep is used); each variant's meta names it under "augment". With
    `pulse_only` each sample is first reduced to what the original Synthic's format holds
    (`original_subset`; design "original" always is), noted in the meta as "pulse_only".
    Returns the meta of each set."""
    from synthic import events
    from synthic.dataset.split import read_manifest

    if not hasattr(manifest, "columns"):
        manifest = read_manifest(manifest)
    tok = Tokenizer(design, **params)
    reduce = pulse_only or design == ORIGINAL
    outdir = Path(outdir)
    rows = manifest[manifest["kept"].astype(bool)]
    metas = {}
    for name in SETS:
        part = rows[rows["set"] == name]
        arrays, samples, offset, seconds = [], [], 0, 0.0
        for _, row in part.iterrows():
            path = Path(row["sample"])
            if root is not None and not path.is_absolute():
                path = Path(root) / path
            rec = events.read(path)
            if reduce:
                rec = original_subset(rec)
            variants = [("", rec)]
            if name == "train":
                variants += _augmented(rec, transpose, swap_pulse)
            for augment, variant in variants:
                ids = tok.encode(variant)
                arrays.append(ids)
                entry = {
                    "sample": str(row["sample"]),
                    "game": str(row["game"]),
                    "offset": offset,
                    "tokens": len(ids),
                    "seconds": variant.duration_seconds,
                }
                if augment:
                    entry["augment"] = augment
                samples.append(entry)
                offset += len(ids)
                seconds += variant.duration_seconds
        flat = np.concatenate(arrays) if arrays else np.zeros(0, tok.dtype)
        with atomic_output(outdir / f"{name}.tokens.npy") as f:
            np.save(f, flat.astype(tok.dtype, copy=False), allow_pickle=False)
        meta = {
            "set": name,
            "design": design,
            "tokens": offset,
            "seconds": seconds,
            "tokens_per_second": offset / seconds if seconds else 0.0,
            **({"pulse_only": True} if reduce else {}),
            "samples": samples,
        }
        with atomic_output(outdir / f"{name}.meta.json", "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1)
        metas[name] = meta
    vocab = {
        "design": design,
        "params": tok.params(),
        "special": {"PAD": PAD, "BOS": BOS, "END": END},
        "dtype": np.dtype(tok.dtype).name,
        "tokens": tok.token_names(),
    }
    with atomic_output(outdir / "vocab.json", "w", encoding="utf-8") as f:
        json.dump(vocab, f, indent=1)
    return metas


def _augmented(rec, transpose: tuple[float, ...], swap_pulse: bool) -> list[tuple[str, object]]:
    """(label, recording) of the augmented variants of a train sample that can be made."""
    from synthic.errors import SynthicError
    from synthic.events import normalise

    out = []
    for semitones in transpose:
        try:
            out.append((f"transpose {semitones:+g}", normalise.transpose(rec, semitones)))
        except SynthicError:
            pass  # a period would leave 0..2047: no such variant
    if swap_pulse:
        try:
            out.append(("swap pulse", normalise.swap_pulse(rec)))
        except SynthicError:
            pass  # CH1's sweep is used: CH2 cannot play its part
    return out


def load_tokenizer(vocab_path: str | os.PathLike) -> Tokenizer:
    """The tokenizer a vocab.json written by `tokenize_dataset` describes."""
    with open(vocab_path, encoding="utf-8") as f:
        params = json.load(f)["params"]
    return Tokenizer(params["design"], params["bucket_cycles"], params["max_wait"])
