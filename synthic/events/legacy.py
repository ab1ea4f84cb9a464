"""The original Synthic's formats, read and written for compatibility (pulse channels only).

Text: `CH <1|2> <TYPE> <params> AT <t>` with `t` the T-cycles since the previous such line;
TYPE is `FREQLSB f8`, `FREQMSB f3 len_en trig`, `VOLENVPER vol add period` or `DUTYLL duty len`
(flags as true/false or 0/1). The original shared stdout with its log, so lines that do not
start with `CH` are skipped, as it did; a `CH` line that does not parse is an error.

Binary: 7-byte records, u32 big-endian time delta, u8 channel (1 or 2), u8 command
(1 VOLENVPER, 2 DUTYLL, 3 FREQMSB, 4 FREQLSB), u8 raw register value.

Neither holds NR10, channels 3 and 4, NR50-NR52, wave RAM or metadata, and the text form cannot
hold the unused bits 3-5 of NR14/NR24. Writing such data raises `UnrepresentableError` unless
`lossy=True`; then the writes are dropped (their time carried to the next kept write, so the
timeline never shrinks, unlike the original's NR10 bug) and a `LossReport` says what went.

Reading checks the files against `synthic.limits` (text 1 GiB, binary 256 MiB, 20 million
writes, 24 hours); a `CH` line may be at most `MAX_LINE_BYTES` long (longer log lines are
skipped whole).
"""

from __future__ import annotations

import os
from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from synthic import limits
from synthic.errors import FormatError, UnrepresentableError
from synthic.events.atomic import atomic_output
from synthic.events.recording import (
    MAX_LENGTH_CYCLES,
    Recording,
    check_length,
    check_writes,
    number_text,
)
from synthic.events.registers import REGISTERS

# (channel, command) <-> register, in the original's numbering.
COMMANDS = {1: "VOLENVPER", 2: "DUTYLL", 3: "FREQMSB", 4: "FREQLSB"}
_COMMAND_NUMBER = {name: n for n, name in COMMANDS.items()}
_REGISTER = {
    (1, "VOLENVPER"): 0xFF12,
    (1, "DUTYLL"): 0xFF11,
    (1, "FREQMSB"): 0xFF14,
    (1, "FREQLSB"): 0xFF13,
    (2, "VOLENVPER"): 0xFF17,
    (2, "DUTYLL"): 0xFF16,
    (2, "FREQMSB"): 0xFF19,
    (2, "FREQLSB"): 0xFF18,
}
_LEGACY = {address: key for key, address in _REGISTER.items()}
_PARAMS = {  # field names in the order the text format lists them
    "FREQLSB": ("value",),
    "FREQMSB": ("freq", "length_enable", "trigger"),
    "VOLENVPER": ("volume", "increase", "period"),
    "DUTYLL": ("duty", "length"),
}
MAX_DELTA = 0xFFFFFFFF
BINARY_RECORD = 7
MAX_LINE_BYTES = 1 << 16  # a data line is about 30 bytes


@dataclass
class LossReport:
    """What a lossy conversion dropped or altered, counted by register name."""

    total: int = 0
    dropped: Counter = field(default_factory=Counter)
    altered: Counter = field(default_factory=Counter)

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    def __bool__(self) -> bool:
        return bool(self.dropped or self.altered)

    def summary(self) -> str:
        parts = []
        if self.dropped:
            pct = 100 * self.n_dropped / max(self.total, 1)
            detail = ", ".join(f"{k} {v}" for k, v in self.dropped.most_common())
            parts.append(f"dropped {self.n_dropped} of {self.total} writes ({pct:.1f} %: {detail})")
        if self.altered:
            detail = ", ".join(f"{k} {v}" for k, v in self.altered.most_common())
            parts.append(f"cleared unused bits in {sum(self.altered.values())} writes ({detail})")
        return "; ".join(parts) or "nothing lost"


def _representable(rec: Recording, *, text: bool, lossy: bool, fmt: str):
    """Indices of the writes the format can hold, after checking what it cannot."""
    keep = np.isin(rec.address, list(_LEGACY))
    report = LossReport(total=len(rec))
    values = rec.value.copy()
    for address in rec.address[~keep].tolist():
        report.dropped[_group(address)] += 1
    if text:
        hi = np.isin(rec.address, (0xFF14, 0xFF19)) & ((rec.value & 0x38) != 0)
        for address in np.unique(rec.address[hi]).tolist():
            report.altered[REGISTERS[address].name] = int(
                np.count_nonzero(hi & (rec.address == address))
            )
        values[hi] &= ~np.uint8(0x38)
    if report and not lossy:
        raise UnrepresentableError(
            f"the {fmt} format holds only channels 1-2 (NR11-NR14, NR21-NR24): would have "
            f"{report.summary()}; pass --lossy to convert anyway"
        )
    idx = np.flatnonzero(keep)
    t = rec.t_cycles[idx]
    deltas = np.diff(t, prepend=0)
    if len(deltas) and deltas.max() > MAX_DELTA:
        i = int(np.argmax(deltas))
        raise UnrepresentableError(
            f"gap of {deltas[i]} T-cycles before write {idx[i]} exceeds the {fmt} format's "
            f"32-bit delta ({MAX_DELTA})"
        )
    return idx, deltas, values, report


def _group(address: int) -> str:
    """How a lossy report names a dropped register: its name, or its channel's group."""
    if address >= 0xFF30:
        return "wave RAM"
    if 0xFF1A <= address <= 0xFF1E:
        return "CH3"
    if 0xFF1F <= address <= 0xFF23:
        return "CH4"
    if 0xFF24 <= address <= 0xFF26:
        return "NR50-NR52"
    return REGISTERS[address].name


# -- text ----------------------------------------------------------------------------------


def write_text(rec: Recording, path: str | os.PathLike, *, lossy: bool = False) -> LossReport:
    idx, deltas, values, report = _representable(rec, text=True, lossy=lossy, fmt="original text")
    lines = []
    for i, dt in zip(idx.tolist(), deltas.tolist(), strict=True):
        channel, command = _LEGACY[int(rec.address[i])]
        reg = REGISTERS[int(rec.address[i])]
        v = int(values[i])
        by_name = {f.name: (v >> f.shift) & ((1 << f.width) - 1) for f in reg.fields}
        params = []
        for name in _PARAMS[command]:
            x = by_name[name]
            params.append(("true" if x else "false") if name in _FLAG_NAMES else str(x))
        lines.append(f"CH {channel} {command} {' '.join(params)} AT {dt}\n")
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    return report


_FLAG_NAMES = {"length_enable", "trigger", "increase"}


def _check_size(f, path: str, limit: int, what: str) -> None:
    size = os.fstat(f.fileno()).st_size
    if size > limit:
        raise FormatError(
            path, f"{size} bytes, larger than the {limit >> 20} MiB {what} may be", offset=limit
        )


def _lines(f, path: str):
    """(line number, bytes) of each line that starts with `CH`; lines are read at most
    MAX_LINE_BYTES at a time: a longer `CH` line is an error, a longer other line skipped."""
    n = 0
    while True:
        raw = f.readline(MAX_LINE_BYTES)
        if not raw:
            return
        n += 1
        whole = raw.endswith(b"\n") or len(raw) < MAX_LINE_BYTES
        if raw.startswith(b"CH"):
            if not whole:
                raise FormatError(path, f"line longer than {MAX_LINE_BYTES} bytes", line=n)
            yield n, raw
        while not whole:  # skip the rest of a long log line
            raw = f.readline(MAX_LINE_BYTES)
            whole = not raw or raw.endswith(b"\n") or len(raw) < MAX_LINE_BYTES


def read_text(path: str | os.PathLike) -> Recording:
    path = os.fspath(path)
    times, addresses, values = array("q"), array("H"), array("B")
    t = 0
    max_writes = limits.MAX_RECORDING_WRITES
    with open(path, "rb") as f:
        _check_size(f, path, limits.MAX_TEXT_BYTES, "a text recording")
        for n, raw in _lines(f, path):
            try:
                s = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(path, "not UTF-8 text", line=n) from None
            # CH <channel> <command> <params...> AT <t>, split on whitespace (no regular
            # expression: a line of many spaces cannot make it backtrack).
            tokens = s.split()
            if tokens[0] != "CH" or len(tokens) < 5 or tokens[-2] != "AT":
                raise FormatError(path, f"garbage line {s.strip()[:60]!r}", line=n)
            channel_s, command, params, dt_s = tokens[1], tokens[2], tokens[3:-2], tokens[-1]
            if channel_s not in ("1", "2"):
                raise FormatError(
                    path, f"channel {channel_s[:20]!r} (the format has 1 and 2)", line=n
                )
            command = command.upper()
            if command not in _PARAMS:
                raise FormatError(path, f"unknown command {command[:40]!r}", line=n)
            address = _REGISTER[(int(channel_s), command)]
            reg = REGISTERS[address]
            fields = {f.name: f for f in reg.fields}
            if len(params) != len(_PARAMS[command]):
                raise FormatError(
                    path,
                    f"{command} takes {len(_PARAMS[command])} values, got {len(params)}",
                    line=n,
                )
            value = 0
            for name, token in zip(_PARAMS[command], params, strict=True):
                x = _number(token, path, n)
                fld = fields[name]
                if not 0 <= x < (1 << fld.width):
                    raise FormatError(
                        path, f"{command} {name} = {number_text(x)} out of range", line=n
                    )
                value |= x << fld.shift
            dt = _number(dt_s, path, n)
            if dt < 0:
                raise FormatError(path, f"time goes backwards (AT {number_text(dt)})", line=n)
            t += dt
            if t > MAX_LENGTH_CYCLES:
                check_length(t, path, "time", line=n)
            if len(times) >= max_writes:
                check_writes(len(times) + 1, path, line=n)
            times.append(t)
            addresses.append(address)
            values.append(value)
    return Recording(
        np.frombuffer(times, np.int64) if times else np.zeros(0, np.int64),
        np.frombuffer(addresses, np.uint16) if addresses else np.zeros(0, np.uint16),
        np.frombuffer(values, np.uint8) if values else np.zeros(0, np.uint8),
        validate=False,
    )


def _number(token: str, path: str, n: int) -> int:
    low = token.lower()
    if low in ("true", "false"):
        return int(low == "true")
    try:
        x = int(low, 0)
    except ValueError:
        raise FormatError(path, f"{token[:40]!r} is not a number", line=n) from None
    if x.bit_length() > 64:
        raise FormatError(path, f"{token[:40]!r} is out of range", line=n)
    return x


# -- binary --------------------------------------------------------------------------------

_RECORD = np.dtype([("dt", ">u4"), ("channel", "u1"), ("command", "u1"), ("value", "u1")])
# Address for (channel, command) packed as channel * 8 + command; 0 means invalid.
_ADDRESS_OF = np.zeros(32, np.uint16)
for (_ch, _name), _addr in _REGISTER.items():
    _ADDRESS_OF[_ch * 8 + _COMMAND_NUMBER[_name]] = _addr


def write_binary(rec: Recording, path: str | os.PathLike, *, lossy: bool = False) -> LossReport:
    idx, deltas, values, report = _representable(
        rec, text=False, lossy=lossy, fmt="original binary"
    )
    out = np.zeros(len(idx), _RECORD)
    out["dt"] = deltas
    keys = [_LEGACY[a] for a in rec.address[idx].tolist()]
    out["channel"] = [k[0] for k in keys]
    out["command"] = [_COMMAND_NUMBER[k[1]] for k in keys]
    out["value"] = values[idx]
    with atomic_output(path, "wb") as f:
        f.write(out.tobytes())
    return report


def read_binary(path: str | os.PathLike) -> Recording:
    path = os.fspath(path)
    with open(path, "rb") as f:
        _check_size(f, path, limits.MAX_EVENTS_BYTES, "an original binary recording")
        data = f.read()
    n, rest = divmod(len(data), BINARY_RECORD)
    if rest:
        raise FormatError(
            path,
            f"truncated: {len(data)} bytes is not a whole number of 7-byte records",
            offset=n * BINARY_RECORD,
        )
    rec = np.frombuffer(data, _RECORD, n)
    bad_channel = (rec["channel"] < 1) | (rec["channel"] > 2)
    bad_command = (rec["command"] < 1) | (rec["command"] > 4)
    bad = np.flatnonzero(bad_channel | bad_command)
    if len(bad):
        i = int(bad[0])
        if bad_channel[i]:
            raise FormatError(
                path,
                f"record {i}: channel {rec['channel'][i]} (expected 1 or 2)",
                offset=i * BINARY_RECORD + 4,
            )
        raise FormatError(
            path,
            f"record {i}: unknown command {rec['command'][i]} (expected 1-4)",
            offset=i * BINARY_RECORD + 5,
        )
    check_writes(n, path, offset=limits.MAX_RECORDING_WRITES * BINARY_RECORD)
    t = np.cumsum(rec["dt"], dtype=np.int64)  # at most 2**32 x 20 million: no overflow
    if n and t[-1] > MAX_LENGTH_CYCLES:
        i = int(np.argmax(t > MAX_LENGTH_CYCLES))
        check_length(int(t[i]), path, f"record {i} at", offset=i * BINARY_RECORD)
    address = _ADDRESS_OF[rec["channel"].astype(np.int64) * 8 + rec["command"]]
    return Recording(t, address, rec["value"].copy(), validate=False)
