"""`synthic info FILE...`: metadata, duration and writes per channel and register."""

from __future__ import annotations

import json
import re

from synthic import events
from synthic.cli import printable
from synthic.errors import display_name
from synthic.events.atomic import atomic_output
from synthic.events.summary import summarise

_META_SHOWN = ("title", "author", "game", "source", "sha1", "song", "format", "loop_cycles")


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "info",
        help="show what a recording holds",
        description="Show a recording's metadata, duration and writes per channel and per "
        "register, as a table or (--json) as JSON with the total under 'writes'.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="recordings in any supported format")
    p.add_argument("--from", dest="from_format", choices=list(events.FORMATS), help="input format")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON (one object, or a list)")
    out.add_argument("--tsv", action="store_true", help="one line per file, tab-separated")
    p.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    p.set_defaults(run=run)


def info(path: str, fmt: str | None = None) -> dict:
    rec = events.read(path, fmt)
    return {"file": path, "meta": rec.meta, **summarise(rec)}


# In JSON text, characters a terminal or a UTF-8 encoder must not meet raw (json.dumps escapes
# C0 controls itself): DEL, C1 controls, line separators, bidirectional overrides, lone
# surrogates (undecodable bytes of a file name). They can occur only inside strings, where a
# \uXXXX escape stands for the same character: the document stays valid and exact.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def format_json(results: list[dict]) -> str:
    doc = json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", doc)


def run(args) -> int:
    from synthic.cli import refuse_overwriting_input

    if args.output:
        refuse_overwriting_input(args.output, *args.files)
    results = [info(path, args.from_format) for path in args.files]
    if args.json:
        doc = format_json(results)
    elif args.tsv:
        doc = format_tsv(results)
    else:
        doc = "\n\n".join(format_table(r) for r in results)
    if args.output:
        with atomic_output(args.output, "w", encoding="utf-8") as f:
            f.write(doc + "\n")
        print(f"wrote {display_name(args.output)}")
    else:
        print(doc)
    return 0


def format_tsv(results: list[dict]) -> str:
    import pandas as pd

    rows = [
        {
            "file": printable(display_name(r["file"])),
            "title": printable(r["meta"].get("title", "")),
            "author": printable(r["meta"].get("author", "")),
            "duration_seconds": r["duration_seconds"],
            "writes": r["writes"],
            **r["writes_per_channel"],
        }
        for r in results
    ]
    return pd.DataFrame(rows).to_csv(sep="\t", index=False).rstrip("\n")


def format_table(r: dict) -> str:
    meta = r["meta"]
    rows = [("file", printable(display_name(r["file"])))]
    rows += [(k, printable(meta[k])) for k in _META_SHOWN if meta.get(k) not in (None, "")]
    rows += [
        ("duration", f"{r['duration_seconds']:.3f} s ({r['length_cycles']} T-cycles)"),
        (
            "writes",
            f"{r['writes']}"
            + (f" ({r['writes_per_second']:.1f} per second)" if r["writes_per_second"] else ""),
        ),
        ("markers", str(r["markers"])),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("")
    lines.append("channel  writes")
    lines += [f"{c:<7}  {n:>6}" for c, n in r["writes_per_channel"].items()]
    lines.append("")
    lines.append("register  writes")
    lines += [f"{name:<8}  {n:>6}" for name, n in r["writes_per_register"].items() if n]
    return "\n".join(lines)
