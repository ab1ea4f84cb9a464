"""The recording: every write a program made to the sound hardware, in order, with its T-cycle.

A `Recording` is three equal-length columns plus metadata:

- `t_cycles` (int64): when the write reached the bus, in T-cycles at 4,194,304 Hz counted from
  the start of the recording; non-decreasing, several writes on one cycle allowed;
- `address` (uint16): the register, 0xFF10-0xFF3F (wave RAM included);
- `value` (uint8): the byte written, unused bits included (lossless);

and `length_cycles`, where the recording ends (at or after the last write), and `meta`, a
JSON-serialisable dict: `source` (file name), `sha1`, `title`, `author`, `song` (GBS song index),
`markers` (a list of `{"start": t, "end": t, "label": str}` spans in T-cycles, e.g. buttons
pressed), `tags` (free-form), and anything a format carries (VGM's GD3 tags, loop point).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from synthic.events.registers import CLOCK_HZ, FIRST_ADDRESS, LAST_ADDRESS, channel_of


class Write(NamedTuple):
    t_cycles: int
    address: int
    value: int


class Recording:
    """A lossless sequence of sound-register writes (see the module docstring)."""

    __slots__ = ("t_cycles", "address", "value", "length_cycles", "meta")

    def __init__(
        self,
        t_cycles: Iterable[int] | np.ndarray = (),
        address: Iterable[int] | np.ndarray = (),
        value: Iterable[int] | np.ndarray = (),
        *,
        length_cycles: int | None = None,
        meta: dict[str, Any] | None = None,
        validate: bool = True,
    ) -> None:
        t = np.ascontiguousarray(t_cycles, dtype=np.int64)
        a = np.ascontiguousarray(address, dtype=np.int64 if validate else np.uint16)
        v = np.ascontiguousarray(value, dtype=np.int64 if validate else np.uint8)
        if validate:
            _check_columns(t, a, v)
        self.t_cycles = t
        self.address = a.astype(np.uint16, copy=False)
        self.value = v.astype(np.uint8, copy=False)
        last = int(t[-1]) if len(t) else 0
        if length_cycles is None:
            length_cycles = last
        elif length_cycles < last:
            raise ValueError(f"length_cycles {length_cycles} ends before the last write at {last}")
        self.length_cycles = int(length_cycles)
        self.meta = dict(meta or {})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_writes(cls, writes: Iterable[tuple[int, int, int]], **kwargs: Any) -> Recording:
        rows = list(writes)
        if not rows:
            return cls(**kwargs)
        t, a, v = zip(*rows, strict=True)
        return cls(t, a, v, **kwargs)

    @classmethod
    def concatenate(cls, parts: Iterable[Recording], *, gap_cycles: int = 0) -> Recording:
        """Play `parts` one after another, each starting `gap_cycles` after the previous ends.

        Metadata comes from the first part; markers of every part are shifted and kept.
        """
        parts = list(parts)
        if not parts:
            return cls()
        offsets, t_cols, markers = [], [], []
        start = 0
        for p in parts:
            offsets.append(start)
            t_cols.append(p.t_cycles + start)
            markers += [_shift_marker(m, start) for m in p.markers]
            start += p.length_cycles + gap_cycles
        meta = copy.deepcopy(parts[0].meta)
        meta["markers"] = markers
        if not markers:
            meta.pop("markers")
        return cls(
            np.concatenate(t_cols),
            np.concatenate([p.address for p in parts]),
            np.concatenate([p.value for p in parts]),
            length_cycles=start - gap_cycles,
            meta=meta,
            validate=False,
        )

    # -- views ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.t_cycles)

    def __iter__(self) -> Iterator[Write]:
        for t, a, v in zip(
            self.t_cycles.tolist(), self.address.tolist(), self.value.tolist(), strict=True
        ):
            yield Write(t, a, v)

    def __getitem__(self, index: int | slice) -> Write | Recording:
        """An int gives one `Write`; a slice of writes gives a `Recording` on the same clock."""
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("recordings can only be sliced contiguously")
            return Recording(
                self.t_cycles[index],
                self.address[index],
                self.value[index],
                length_cycles=self.length_cycles,
                meta=copy.deepcopy(self.meta),
                validate=False,
            )
        return Write(int(self.t_cycles[index]), int(self.address[index]), int(self.value[index]))

    def between(self, start_cycles: int, end_cycles: int, *, rebase: bool = True) -> Recording:
        """The writes with start <= t < end; with `rebase`, time 0 becomes `start_cycles`.

        Markers are clipped to the window.
        """
        if end_cycles < start_cycles:
            raise ValueError(f"end {end_cycles} before start {start_cycles}")
        lo, hi = np.searchsorted(self.t_cycles, [start_cycles, end_cycles], side="left")
        offset = start_cycles if rebase else 0
        meta = copy.deepcopy(self.meta)
        markers = []
        for m in self.markers:
            s, e = max(m["start"], start_cycles), min(m["end"], end_cycles)
            if s < e or (s == e and m["start"] == m["end"] and start_cycles <= s < end_cycles):
                markers.append({**m, "start": s - offset, "end": e - offset})
        meta["markers"] = markers
        if not markers:
            meta.pop("markers")
        return Recording(
            self.t_cycles[lo:hi] - offset,
            self.address[lo:hi],
            self.value[lo:hi],
            length_cycles=end_cycles - offset,
            meta=meta,
            validate=False,
        )

    @property
    def channel(self) -> np.ndarray:
        """Channel of each write: 1-4 for the sound channels, 0 for global control."""
        return channel_of(self.address)

    @property
    def markers(self) -> list[dict[str, Any]]:
        return list(self.meta.get("markers", ()))

    def add_marker(self, start_cycles: int, end_cycles: int, label: str, **data: Any) -> None:
        if end_cycles < start_cycles:
            raise ValueError(f"marker {label!r} ends ({end_cycles}) before it starts")
        self.meta.setdefault("markers", []).append(
            {"start": int(start_cycles), "end": int(end_cycles), "label": label, **data}
        )

    @property
    def duration_seconds(self) -> float:
        return self.length_cycles / CLOCK_HZ

    def equals(self, other: Recording) -> bool:
        """Same writes, same length and same metadata (compared as JSON)."""
        return (
            np.array_equal(self.t_cycles, other.t_cycles)
            and np.array_equal(self.address, other.address)
            and np.array_equal(self.value, other.value)
            and self.length_cycles == other.length_cycles
            and _json(self.meta) == _json(other.meta)
        )

    def same_writes(self, other: Recording) -> bool:
        """Same writes in the same order at the same cycles (metadata and length ignored)."""
        return (
            np.array_equal(self.t_cycles, other.t_cycles)
            and np.array_equal(self.address, other.address)
            and np.array_equal(self.value, other.value)
        )

    def __repr__(self) -> str:
        title = self.meta.get("title") or self.meta.get("source") or ""
        return (
            f"Recording({len(self)} writes, {self.duration_seconds:.2f} s"
            + (f", {title!r}" if title else "")
            + ")"
        )


def _check_columns(t: np.ndarray, a: np.ndarray, v: np.ndarray) -> None:
    if not (t.ndim == a.ndim == v.ndim == 1) or not (len(t) == len(a) == len(v)):
        raise ValueError(
            f"t_cycles, address and value must be 1-D and equally long "
            f"(got {t.shape}, {a.shape}, {v.shape})"
        )
    if len(t) == 0:
        return
    if t[0] < 0:
        raise ValueError(f"write 0 at negative time {t[0]}")
    back = np.flatnonzero(np.diff(t) < 0)
    if len(back):
        i = int(back[0]) + 1
        raise ValueError(f"time goes backwards at write {i}: {t[i]} after {t[i - 1]}")
    bad = np.flatnonzero((a < FIRST_ADDRESS) | (a > LAST_ADDRESS))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"write {i}: address {a[i]:#06x} is not a sound register (FF10-FF3F)")
    bad = np.flatnonzero((v < 0) | (v > 0xFF))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"write {i}: value {v[i]} is not a byte")


def _shift_marker(m: dict[str, Any], offset: int) -> dict[str, Any]:
    return {**m, "start": m["start"] + offset, "end": m["end"] + offset}


def _json(meta: dict[str, Any]) -> str:
    return json.dumps(meta, sort_keys=True, ensure_ascii=False)
