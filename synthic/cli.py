"""The `synthic` command line: one subcommand per pipeline step.

Each subcommand lives in its own module under `synthic.commands`, which defines
`add_parser(subparsers)` (registering its arguments, with defaults shown in --help) and
`run(args) -> int`. Expected failures (`SynthicError`, missing files) print one line on stderr
and exit with status 2; there is no traceback unless SYNTHIC_DEBUG is set.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import re
import sys

from synthic import __version__
from synthic.errors import SynthicError, display_name
from synthic.limits import MAX_RECORDING_SECONDS

# In pipeline order. Each name is a module in synthic.commands.
COMMANDS = [
    "demo",
    "jukebox",
    "compile",
    "run",
    "inventory",
    "record",
    "prune",
    "split",
    "tokenize",
    "train",
    "generate",
    "evaluate",
    "songs",
    "pianoroll",
    "baseline",
    "summary",
    "convert",
    "info",
    "wav",
    "play",
    "rom",
    "bench",
]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults in --help (where there is one) and keep the descriptions' line breaks."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


# What must not reach a terminal or a one-line message raw: C0 controls, DEL, C1 controls (ESC
# and CSI start escape sequences), lone surrogates (undecodable bytes of a file name, which no
# encoder accepts), line and paragraph separators and the bidirectional overrides.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: object) -> str:
    """str(text) safe to print on a terminal or in one line: control characters (C0, DEL, C1),
    lone surrogates, line separators and bidirectional overrides become backslash escapes
    (\\t, \\n, \\x1b, \\u202e; an undecodable file-name byte, surrogate-escaped, \\xNN)."""
    return _UNPRINTABLE.sub(_escape, str(text))


MAX_SEED = (1 << 63) - 1  # seeds are 0 to 2**63 - 1 (numpy's default_rng takes any of them)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """argparse type of every --seconds: a finite number of seconds above 0 and at most
    synthic.limits.MAX_RECORDING_SECONDS (24 hours, the longest recording)."""
    value = _number(text)
    if not 0 < value <= MAX_RECORDING_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be above 0 and at most {MAX_RECORDING_SECONDS} (24 hours), not {text!r}"
        )
    return value


def seed(text: str) -> int:
    """argparse type of every --seed: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**63 - 1, not {text!r}")
    return value


def int_between(low: int, high: int):
    """argparse type: a whole number from low to high (inclusive)."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {text!r}")
        return value

    parse.__name__ = f"whole number from {low} to {high}"
    return parse


def _identity(path: str | os.PathLike) -> tuple:
    """What makes two names one file: (device, inode) for one that exists (any hard link or
    symbolic link to it), else where the name resolves to."""
    try:
        st = os.stat(path)
    except OSError:
        return ("path", os.path.normcase(os.path.realpath(path)))
    return ("inode", st.st_dev, st.st_ino)


def refuse_overwriting_input(outputs: str | os.PathLike | list, *inputs: str | os.PathLike) -> None:
    """Raise SynthicError when an output file (one, or a list) is one of the inputs, by name,
    link or path: writing it would destroy the input before (or while) it is read."""
    if isinstance(outputs, str | bytes | os.PathLike):
        outputs = [outputs]
    sources = {}
    for source in inputs:
        sources.setdefault(_identity(source), source)
        sources.setdefault(("path", os.path.normcase(os.path.realpath(source))), source)
    for output in outputs:
        source = sources.get(_identity(output))
        if source is not None:
            raise SynthicError(
                f"{display_name(output)}: the output would overwrite the input"
                f" {display_name(source)}; choose another output file"
            )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthic",
        description="Learn the music of Game Boy games and write new songs for its sound chip.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synthic {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"synthic.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SynthicError as e:
        if os.environ.get("SYNTHIC_DEBUG"):
            raise
        print(f"synthic {args.command}: error: {printable(e)}", file=sys.stderr)
        return 2
    except OSError as e:
        if os.environ.get("SYNTHIC_DEBUG"):
            raise
        where = f"{display_name(e.filename)}: " if e.filename else ""
        reason = printable(e.strerror or e)
        print(f"synthic {args.command}: error: {where}{reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"synthic {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
