"""The `synthic` command line: one subcommand per pipeline step.

Each subcommand lives in its own module under `synthic.commands`, which defines
`add_parser(subparsers)` (registering its arguments, with defaults shown in --help) and
`run(args) -> int`. Expected failures (`SynthicError`, missing files) print one line on stderr
and exit with status 2; there is no traceback unless SYNTHIC_DEBUG is set.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from synthic import __version__
from synthic.errors import SynthicError

# In pipeline order. Each name is a module in synthic.commands.
COMMANDS = [
    "demo",
    "jukebox",
    "compile",
    "run",
    "record",
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
        print(f"synthic {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if os.environ.get("SYNTHIC_DEBUG"):
            raise
        where = f"{e.filename}: " if e.filename else ""
        print(f"synthic {args.command}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"synthic {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
