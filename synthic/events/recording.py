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

Readers check what they read against `synthic.limits` (`check_writes`, `check_length`) and
validate metadata (`check_meta`): the keys above must have their documented types, and lone
surrogates (a JSON `\\ud800` escape, a file name `os.fsdecode` could not decode) are escaped
(`clean_text`) so that every recording read can be written again as UTF-8.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

from synthic import limits
from synthic.errors import FormatError, SynthicError
from synthic.events.registers import CLOCK_HZ, FIRST_ADDRESS, LAST_ADDRESS, channel_of

MAX_LENGTH_CYCLES = limits.MAX_RECORDING_SECONDS * CLOCK_HZ  # 24 h in T-cycles
_INT64_MAX = (1 << 63) - 1


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

    def select(self, keep: np.ndarray) -> Recording:
        """The writes picked by `keep` (a boolean mask or increasing indices), on the same clock,
        with the same length and a copy of the metadata."""
        return Recording(
            self.t_cycles[keep],
            self.address[keep],
            self.value[keep],
            length_cycles=self.length_cycles,
            meta=dict(self.meta),
            validate=False,
        )

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


# -- checks of what a reader read ------------------------------------------------------------


def check_writes(count: int, path: str | None, *, offset=None, line=None) -> None:
    """Refuse more writes than a recording may hold (`synthic.limits.MAX_RECORDING_WRITES`)."""
    if count > limits.MAX_RECORDING_WRITES:
        raise FormatError(
            path,
            f"more than {limits.MAX_RECORDING_WRITES:,} writes (the most a recording may hold)",
            offset=offset,
            line=line,
        )


def check_length(
    t_cycles: int, path: str | None, what: str = "length", *, offset=None, line=None
) -> None:
    """Refuse a time or length beyond 24 hours (`synthic.limits.MAX_RECORDING_SECONDS`)."""
    if t_cycles > MAX_LENGTH_CYCLES:
        hours = limits.MAX_RECORDING_SECONDS // 3600
        raise FormatError(
            path,
            f"{what} {number_text(t_cycles)} T-cycles ({number_text(t_cycles // CLOCK_HZ)} s) "
            f"is beyond the {hours} hours a recording may last",
            offset=offset,
            line=line,
        )


def number_text(x: int) -> str:
    """`str(x)`, or "a N-bit number" when x is too large to print usefully (or at all: Python
    refuses to print an int of more than 4300 digits)."""
    if -(10**20) < x < 10**20:
        return str(x)
    return f"{'-' if x < 0 else ''}(a {x.bit_length()}-bit number)"


def clean_text(s: str) -> str:
    """`s` with lone surrogates escaped as `\\udcff` text, so it can be encoded as UTF-8."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")
    return s


class _TooDeep(Exception):
    pass


def _clean(x: Any, depth: int, max_depth: int | None) -> Any:
    if isinstance(x, str):
        return clean_text(x)
    if isinstance(x, list | dict):
        if max_depth is not None and depth >= max_depth:
            raise _TooDeep
        if isinstance(x, list):
            return [_clean(y, depth + 1, max_depth) for y in x]
        return {
            clean_text(k) if isinstance(k, str) else k: _clean(v, depth + 1, max_depth)
            for k, v in x.items()
        }
    return x


def clean_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """A copy of `meta` whose strings (keys too) can be encoded as UTF-8 (see `clean_text`);
    what writers serialise, so that a `source` made by `os.fsdecode` does not stop them. It
    must pass `check_meta`, as the readers require: nothing is written that cannot be read."""
    try:
        return check_meta(meta, None)
    except FormatError as e:
        raise SynthicError(f"cannot write this recording: {e.reason}") from None


_STR_KEYS = ("title", "author", "game", "source", "sha1", "format", "vgm_version", "stopped")
_INT_KEYS = ("song", "seed", "second_chip_writes_dropped")
# Metadata keys with a documented type (check_meta); any other key holds any JSON value.
KNOWN_META_KEYS = (*_STR_KEYS, *_INT_KEYS, "loop_cycles", "gd3", "markers")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_meta(meta: Any, path: str | None, *, offset=None, line=None) -> dict[str, Any]:
    """Metadata parsed from a file, validated: a JSON object nested at most
    `synthic.limits.MAX_META_DEPTH` deep whose known keys have their documented types
    (`markers` a list of {"start", "end", "label"} objects with 0 <= start <= end, `gd3` an
    object of strings, `loop_cycles` a whole number of T-cycles within 24 hours, `title` etc.
    strings, `song` a whole number). Returns a copy with lone surrogates escaped
    (`clean_text`); raises FormatError naming the key."""

    def bad(message: str) -> FormatError:
        return FormatError(path, f"metadata: {message}", offset=offset, line=line)

    if not isinstance(meta, dict):
        raise bad(f"must be a JSON object, not {_kind(meta)}")
    try:
        meta = _clean(meta, 0, limits.MAX_META_DEPTH)
    except _TooDeep:
        raise bad(f"nested more than {limits.MAX_META_DEPTH} levels deep") from None
    for key in _STR_KEYS:
        if key in meta and not isinstance(meta[key], str):
            raise bad(f"{key!r} must be a string, not {_kind(meta[key])}")
    for key in _INT_KEYS:
        if key in meta and not _is_int(meta[key]):
            raise bad(f"{key!r} must be a whole number, not {_kind(meta[key])}")
    if "loop_cycles" in meta:
        loop = meta["loop_cycles"]
        if not _is_int(loop) or not 0 <= loop <= MAX_LENGTH_CYCLES:
            raise bad(
                f"'loop_cycles' must be a whole number of T-cycles from 0 to {MAX_LENGTH_CYCLES}"
                f" (24 h), not {_kind(loop) if not _is_int(loop) else number_text(loop)}"
            )
    if "gd3" in meta:
        gd3 = meta["gd3"]
        if not isinstance(gd3, dict) or not all(isinstance(v, str) for v in gd3.values()):
            raise bad("'gd3' must be an object of strings")
    if "markers" in meta:
        markers = meta["markers"]
        if not isinstance(markers, list):
            raise bad(f"'markers' must be a list, not {_kind(markers)}")
        for i, m in enumerate(markers):
            if not (
                isinstance(m, dict)
                and _is_int(m.get("start"))
                and _is_int(m.get("end"))
                and 0 <= m["start"] <= m["end"] <= _INT64_MAX
                and isinstance(m.get("label"), str)
            ):
                raise bad(
                    f"marker {i} must be an object with whole numbers 0 <= 'start' <= 'end' "
                    "(T-cycles) and a string 'label'"
                )
    return meta


def _kind(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "a boolean"
    if isinstance(x, float):
        return f"the number {x!r}"
    return {str: "a string", int: "a whole number", list: "a list", dict: "an object"}.get(
        type(x), type(x).__name__
    )


def parse_meta_json(text: str | bytes, path: str | None, *, offset=None, line=None) -> dict:
    """`check_meta(json.loads(text))`; a JSON syntax error, an unparseable number or nesting
    too deep for the parser is a FormatError, never a traceback."""
    where = {"offset": offset, "line": line}
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as e:
        message = f"metadata is not valid JSON ({e.msg} at char {e.pos})"
        raise FormatError(path, message, **where) from None
    except UnicodeDecodeError:
        raise FormatError(path, "metadata is not UTF-8", **where) from None
    except RecursionError:
        depth = limits.MAX_META_DEPTH
        raise FormatError(path, f"metadata nested more than {depth} levels deep", **where) from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise FormatError(path, f"metadata is not valid JSON ({e})", **where) from None
    return check_meta(meta, path, **where)
