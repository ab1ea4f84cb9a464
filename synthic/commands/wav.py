"""`synthic wav IN -o OUT.wav`: render a recording or song to audio with the DMG APU model."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from synthic import events
from synthic.collection import kind_of, strip_extension
from synthic.errors import SynthicError


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter

    p = sub.add_parser(
        "wav",
        help="render a recording or song to WAV (or FLAC)",
        description="Render recordings through Synthic's model of the DMG sound chip to 16-bit "
        "stereo WAV (or FLAC, by the output's extension). IN may be a folder: then -o names a "
        "folder and every recording in IN is rendered, in parallel.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("input", metavar="IN", help="a recording in any supported format, or a folder")
    p.add_argument("-o", "--output", required=True, help="output .wav/.flac file, or a folder")
    add_render_options(p, "render")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel renders (folders)")
    p.add_argument("--check", action="store_true", help="report silent, short or clipped renders")
    p.add_argument(
        "--drop-flagged",
        action="store_true",
        help="with --check: do not keep flagged renders (the workflow's quality gate)",
    )
    p.set_defaults(run=run)


def add_render_options(p, verb: str) -> None:
    """--seconds, --rate, --solo/--mute: shared with `synthic play` (verb: "render", "play")."""
    p.add_argument(
        "--seconds", type=float, help=f"{verb} only the first SECONDS (default: all of it)"
    )
    p.add_argument(
        "--rate", type=int, default=44100, choices=[44100, 48000], help="sample rate (Hz)"
    )
    ch = p.add_mutually_exclusive_group()
    ch.add_argument("--solo", type=int, choices=[1, 2, 3, 4], help="play only this channel")
    ch.add_argument("--mute", type=int, choices=[1, 2, 3, 4], action="append", default=[],
                    help="silence this channel (repeatable; default: none)")  # fmt: skip


def render_file(src: str, rate: int, seconds=None, solo=None, mute=()):
    """The float32 (n, 2) audio `synthic wav` writes for src (before 16-bit quantisation);
    `synthic play` plays the same."""
    from synthic.audio import render_recording

    rec = events.read(src)
    return render_recording(rec, rate_hz=rate, seconds=seconds, solo=solo, mute=mute)


def render_one(src: str, dst: str, rate: int, seconds, solo, mute, check: bool, drop: bool) -> str:
    from synthic.audio import quality, write_audio

    audio = render_file(src, rate, seconds, solo, mute)
    q = quality(audio, rate) if check else None
    if q is not None and not q.ok and drop:
        return f"dropped {src}: {q.reason}"
    write_audio(dst, audio, rate)
    line = f"wrote {dst} ({len(audio) / rate:.1f} s)"
    if q is not None and not q.ok:
        line += f" FLAGGED: {q.reason}"
    return line


def run(args) -> int:
    src = Path(args.input)
    options = (args.rate, args.seconds, args.solo, tuple(args.mute), args.check, args.drop_flagged)
    if not src.is_dir():
        print(render_one(str(src), args.output, *options))
        return 0
    ext = Path(args.output).suffix.lower() if Path(args.output).suffix else ".wav"
    outdir = Path(args.output) if not Path(args.output).suffix else Path(args.output).parent
    jobs = [
        (str(p), str(outdir / p.relative_to(src).parent / (strip_extension(p.name) + ext)))
        for p in sorted(src.rglob("*"))
        if p.is_file() and kind_of(p.name) in ("vgm", "events")
    ]
    if not jobs:
        raise SynthicError(f"{src}: no recordings found")
    outdir.mkdir(parents=True, exist_ok=True)
    failed = 0
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(render_one, s, d, *options) for s, d in jobs]
        for fut in futures:
            try:
                print(fut.result())
            except SynthicError as e:
                failed += 1
                print(f"synthic wav: error: {e}", file=sys.stderr)
    print(f"rendered {len(jobs) - failed} of {len(jobs)} recordings into {outdir}")
    return 2 if failed else 0
