"""The native text format, `.events.txt`: one line per write, readable and diff-friendly.

It extends the original Synthic's `CH <n> <TYPE> <params> AT <t>` lines to every register:

    @synthic-events-text 1
    @length 4194304
    @meta {"title": "Overworld", "markers": [{"start": 0, "end": 70224, "label": "wait"}]}
    MIX POWER 1 AT 0
    MIX VOLUME 7 7 0 0 AT 8
    CH 1 SWEEP 0 0 0 AT 12
    CH 1 DUTY_LENGTH 2 0 AT 12
    CH 1 ENVELOPE 15 0 3 AT 12
    CH 1 FREQ_LO 214 AT 12
    CH 1 FREQ_HI 6 0 1 AT 12
    CH 3 WAVE_RAM 0 0x8F AT 16
    RAW FF27 0x00 AT 4

`AT t` is the number of T-cycles since the previous write (the original's convention), so
editing one line does not shift the rest. Parameters follow the bit fields of `registers.py`
in order (FREQ_HI: freq length_enable trigger; ENVELOPE: volume increase period; DUTY_LENGTH:
duty length), flags as 0/1 (true/false also read). Bits the hardware ignores, if any were
written, follow as `+0xNN`, so the format is lossless. `#` starts a comment line.

Reading checks the file against `synthic.limits` (1 GiB, 20 million writes, times and
`@length` within 24 hours) and validates `@meta` (`recording.check_meta`); a line may be at
most `MAX_LINE_CHARS` long, so memory stays bounded by the file's size.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterator
from functools import cache

import numpy as np

from synthic import limits
from synthic.errors import FormatError
from synthic.events.atomic import atomic_output
from synthic.events.native import MAX_META_BYTES
from synthic.events.recording import (
    MAX_LENGTH_CYCLES,
    Recording,
    check_length,
    check_writes,
    clean_meta,
    number_text,
    parse_meta_json,
)
from synthic.events.registers import BY_NAME, FIRST_ADDRESS, LAST_ADDRESS, REGISTERS, Register

MAGIC = "@synthic-events-text 1"
MAX_LINE_CHARS = MAX_META_BYTES + 16  # the longest line: "@meta " and the metadata
_FLAGS = {"true": 1, "false": 0}


def _target(reg: Register) -> str:
    if reg.kind == "RAW":
        return f"RAW {reg.name}"
    return "MIX" if reg.channel == 0 else f"CH {reg.channel}"


def format_write(address: int, value: int) -> str:
    """The line for one write, without its ` AT t` suffix."""
    reg = REGISTERS[address]
    if reg.kind == "RAW":
        return f"RAW {reg.name} 0x{value:02X}"
    if reg.kind == "WAVE_RAM":
        return f"CH 3 WAVE_RAM {address - 0xFF30} 0x{value:02X}"
    params = " ".join(str((value >> f.shift) & ((1 << f.width) - 1)) for f in reg.fields)
    unused = value & reg.unused_mask
    extra = f" +0x{unused:02X}" if unused else ""
    return f"{_target(reg)} {reg.kind} {params}{extra}"


@cache
def _tables() -> tuple[list[str], dict[str, tuple[int, int]]]:
    """All 48 x 256 line prefixes, and the reverse map for the fast reading path."""
    lines = [format_write(a, v) for a in range(FIRST_ADDRESS, LAST_ADDRESS + 1) for v in range(256)]
    back = {s: (FIRST_ADDRESS + i // 256, i % 256) for i, s in enumerate(lines)}
    return lines, back


# -- writing -------------------------------------------------------------------------------


def iter_lines(rec: Recording) -> Iterator[str]:
    lines, _ = _tables()
    yield MAGIC + "\n"
    yield f"@length {rec.length_cycles}\n"
    if rec.meta:
        yield "@meta " + json.dumps(clean_meta(rec.meta), ensure_ascii=False, sort_keys=True) + "\n"
    keys = ((rec.address.astype(np.int64) - FIRST_ADDRESS) << 8) | rec.value
    deltas = np.diff(rec.t_cycles, prepend=0)
    block = 1 << 14
    for lo in range(0, len(keys), block):
        k, d = keys[lo : lo + block].tolist(), deltas[lo : lo + block].tolist()
        yield "".join([f"{lines[i]} AT {dt}\n" for i, dt in zip(k, d, strict=True)])


def write(rec: Recording, path: str | os.PathLike) -> None:
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(iter_lines(rec))


# -- reading -------------------------------------------------------------------------------


def _parse_int(token: str, path: str, line: int, what: str) -> int:
    t = token.lower()
    if t in _FLAGS:
        return _FLAGS[t]
    try:
        x = int(t, 0)
    except ValueError:
        raise FormatError(path, f"{what}: {token[:40]!r} is not a number", line=line) from None
    if x.bit_length() > 64:
        raise FormatError(path, f"{what}: {token[:40]!r} is out of range", line=line)
    return x


def parse_write(prefix: str, path: str, line: int) -> tuple[int, int]:
    """Slow path: parse `CH 1 FREQ_HI 6 0 1`-style text into (address, value) with checks."""
    tokens = prefix.split()
    if not tokens:
        raise FormatError(path, "empty instruction before AT", line=line)
    if tokens[0] == "RAW":
        if len(tokens) != 3:
            raise FormatError(path, "RAW needs a register and a value", line=line)
        name = tokens[1].upper()
        reg = BY_NAME.get(name)
        if reg is None:
            try:
                address = int(name.removeprefix("0X"), 16)
                if address <= 0xFF:
                    address |= 0xFF00
            except ValueError:
                address = -1
            if address not in REGISTERS:
                raise FormatError(path, f"unknown register {tokens[1][:20]!r}", line=line) from None
            reg = REGISTERS[address]
        value = _parse_int(tokens[2], path, line, reg.name)
        if not 0 <= value <= 0xFF:
            raise FormatError(path, f"value {value} out of range 0-255 for {reg.name}", line=line)
        return reg.address, value
    if tokens[0] == "CH" and len(tokens) >= 3:
        channel = _parse_int(tokens[1], path, line, "channel")
        kind, params = tokens[2], tokens[3:]
    elif tokens[0] == "MIX" and len(tokens) >= 2:
        channel, kind, params = 0, tokens[1], tokens[2:]
    else:
        raise FormatError(path, f"unrecognised line {prefix.strip()[:60]!r}", line=line)
    kind = kind.upper()
    if kind == "WAVE_RAM":
        if channel != 3 or len(params) != 2:
            raise FormatError(path, "WAVE_RAM is 'CH 3 WAVE_RAM index value'", line=line)
        index = _parse_int(params[0], path, line, "wave RAM index")
        value = _parse_int(params[1], path, line, "wave RAM value")
        if not 0 <= index <= 15:
            raise FormatError(path, f"wave RAM index {index} out of range 0-15", line=line)
        if not 0 <= value <= 0xFF:
            raise FormatError(path, f"wave RAM value {value} out of range 0-255", line=line)
        return 0xFF30 + index, value
    reg = _REGISTER_FOR.get((channel, kind))
    if reg is None:
        where = "MIX" if channel == 0 else f"CH {channel}"
        raise FormatError(path, f"{where} has no instruction {kind[:40]!r}", line=line)
    unused = 0
    if params and params[-1].startswith("+"):
        unused = _parse_int(params[-1][1:], path, line, "unused bits")
        params = params[:-1]
        if unused & ~reg.unused_mask & 0xFF or unused > 0xFF or unused < 0:
            raise FormatError(path, f"{reg.name}: +{unused:#04x} overlaps used bits", line=line)
    if len(params) != len(reg.fields):
        names = " ".join(f.name for f in reg.fields)
        raise FormatError(path, f"{kind} takes {len(reg.fields)} values ({names})", line=line)
    value = unused
    for f, token in zip(reg.fields, params, strict=True):
        x = _parse_int(token, path, line, f"{reg.name} {f.name}")
        if not 0 <= x < (1 << f.width):
            raise FormatError(
                path, f"{reg.name} {f.name} = {x} out of range 0-{(1 << f.width) - 1}", line=line
            )
        value |= x << f.shift
    return reg.address, value


_REGISTER_FOR = {
    (r.channel, r.kind): r for r in REGISTERS.values() if r.kind not in ("RAW", "WAVE_RAM")
}


def read(path: str | os.PathLike) -> Recording:
    path = os.fspath(path)
    _, fast = _tables()
    times = array("q")
    codes = array("H")
    meta: dict = {}
    length = None
    t = 0
    max_t = MAX_LENGTH_CYCLES
    max_writes = limits.MAX_RECORDING_WRITES
    with open(path, encoding="utf-8", errors="strict", newline=None) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limits.MAX_TEXT_BYTES:
            raise FormatError(
                path,
                f"{size} bytes, larger than the {limits.MAX_TEXT_BYTES >> 20} MiB a text "
                "recording may be",
                offset=limits.MAX_TEXT_BYTES,
            )
        try:
            first = f.readline(256)
        except UnicodeDecodeError:
            raise FormatError(path, "not UTF-8 text", line=1) from None
        if first.strip() != MAGIC:
            raise FormatError(path, f"not a Synthic events text file (expected {MAGIC!r})", line=1)
        n = 1
        try:
            for n, raw in enumerate(iter(lambda: f.readline(MAX_LINE_CHARS), ""), start=2):
                prefix, sep, tail = raw.rpartition(" AT ")
                hit = fast.get(prefix) if sep else None
                if hit is None:
                    if len(raw) >= MAX_LINE_CHARS and not raw.endswith("\n"):
                        raise FormatError(
                            path, f"line longer than {MAX_LINE_CHARS} characters", line=n
                        )
                    s = raw.strip()
                    if not s or s.startswith("#"):
                        continue
                    if s.startswith("@"):
                        length, meta = _directive(s, path, n, length, meta)
                        continue
                    if not sep:
                        prefix, sep, tail = s.rpartition(" AT ")
                        if not sep:
                            raise FormatError(path, f"garbage line {s[:60]!r} (no 'AT t')", line=n)
                    hit = parse_write(prefix, path, n)
                try:
                    dt = int(tail)
                except ValueError:
                    raise FormatError(
                        path, f"time {tail.strip()[:60]!r} is not a number", line=n
                    ) from None
                if dt < 0:
                    raise FormatError(path, f"time goes backwards (AT {number_text(dt)})", line=n)
                t += dt
                if t > max_t:
                    check_length(t, path, "time", line=n)
                if len(times) >= max_writes:
                    check_writes(len(times) + 1, path, line=n)
                times.append(t)
                codes.append(((hit[0] - FIRST_ADDRESS) << 8) | hit[1])
        except UnicodeDecodeError:
            raise FormatError(path, "not UTF-8 text", line=n + 1) from None
    code = np.frombuffer(codes, np.uint16).astype(np.int64) if codes else np.zeros(0, np.int64)
    t_arr = np.frombuffer(times, np.int64).copy() if times else np.zeros(0, np.int64)
    del times, codes
    if length is None:
        length = int(t_arr[-1]) if len(t_arr) else 0
    elif len(t_arr) and length < t_arr[-1]:
        raise FormatError(
            path, f"@length {length} ends before the last write at {t_arr[-1]}", line=n
        )
    return Recording(
        t_arr,
        (code >> 8) + FIRST_ADDRESS,
        code & 0xFF,
        length_cycles=length,
        meta=meta,
        validate=False,
    )


def _directive(s: str, path: str, n: int, length, meta):
    key, _, arg = s.partition(" ")
    if key == "@length":
        try:
            length = int(arg)
        except ValueError:
            raise FormatError(path, f"@length {arg[:60]!r} is not a number", line=n) from None
        if length < 0:
            raise FormatError(path, f"negative @length {number_text(length)}", line=n)
        check_length(length, path, "@length", line=n)
    elif key == "@meta":
        meta = parse_meta_json(arg, path, line=n)
    else:
        raise FormatError(path, f"unknown directive {key[:60]!r}", line=n)
    return length, meta
