"""`synthic wav IN -o OUT.wav`: render a recording or song to audio with the DMG APU model."""

from __future__ import annotations

import os
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from synthic import events
from synthic.collection import kind_of, strip_extension
from synthic.errors import SynthicError, display_name


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter, int_between

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
    p.add_argument(
        "--jobs",
        type=int_between(1, 1024),
        default=os.cpu_count(),
        help="parallel renders (folders)",
    )
    p.add_argument("--check", action="store_true", help="report silent, short or clipped renders")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="a folder IN with no recordings gives an empty output folder, not an error "
        "(the workflow's render of a refused or silent input)",
    )
    p.add_argument(
        "--drop-flagged",
        action="store_true",
        help="with --check: do not keep flagged renders (the workflow's quality gate)",
    )
    p.set_defaults(run=run)


def add_render_options(p, verb: str) -> None:
    """--seconds, --rate, --solo/--mute: shared with `synthic play` (verb: "render", "play")."""
    from synthic.cli import positive_seconds

    p.add_argument(
        "--seconds",
        type=positive_seconds,
        help=f"{verb} only the first SECONDS (default: all of it)",
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
    `synthic play` plays the same. Holds it whole: see `render_file_blocks`."""
    from synthic.audio import render_recording

    rec = events.read(src)
    return render_recording(rec, rate_hz=rate, seconds=seconds, solo=solo, mute=mute)


def render_file_blocks(src: str, rate: int, seconds=None, solo=None, mute=()):
    """(frames, blocks): `render_file`'s audio as consecutive float32 blocks of bounded size."""
    from synthic.audio import render_frames, render_recording_blocks

    rec = events.read(src)
    frames = render_frames(rec, rate, seconds)
    blocks = render_recording_blocks(rec, rate_hz=rate, seconds=seconds, solo=solo, mute=mute)
    return frames, blocks


def _render_all(jobs, options, workers: int):
    """A callable per job, in order, returning its line or raising its SynthicError: rendered in
    this process for one worker, else in a pool of processes started by a fork server (a plain
    fork of a process that has loaded JAX's threads may deadlock)."""
    if workers <= 1 or len(jobs) <= 1:
        for s, d in jobs:
            yield lambda s=s, d=d: render_one(s, d, *options)
        return
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(render_one, s, d, *options) for s, d in jobs]
        for fut in futures:
            yield fut.result


def render_one(src: str, dst: str, rate: int, seconds, solo, mute, check: bool, drop: bool) -> str:
    """Render src to dst a block at a time; the line to print. With check, measure the quality
    on the way; with drop too, a flagged render is not kept (a line starting "dropped")."""
    from synthic.audio import QualityMeter, write_audio_blocks

    frames, blocks = render_file_blocks(src, rate, seconds, solo, mute)
    meter = QualityMeter(rate) if check else None
    if meter is not None:
        blocks = meter.measure(blocks)
    flagged = lambda: meter is not None and not meter.result().ok  # noqa: E731
    kept = write_audio_blocks(
        dst, blocks, rate, frames=frames, keep=(lambda: not flagged()) if drop else None
    )
    if not kept:
        return f"dropped {display_name(src)}: {meter.result().reason}"
    line = f"wrote {display_name(dst)} ({frames / rate:.1f} s)"
    if flagged():
        line += f" FLAGGED: {meter.result().reason}"
    return line


def output_names(src: Path, files: list[Path], outdir: Path, ext: str) -> list[Path]:
    """Where each input file under the folder src renders to: the same relative folder under
    outdir, named by the input's stem (song.vgm -> song.wav); inputs whose stems collide in a
    folder (song.vgm, song.events) keep their whole name instead (song.vgm.wav,
    song.events.wav). Raises SynthicError if two outputs would still be one file."""
    stems = [p.relative_to(src).parent / strip_extension(p.name) for p in files]
    counts = Counter(os.path.normcase(str(s)) for s in stems)
    names = [
        outdir / (stem if counts[os.path.normcase(str(stem))] == 1 else p.relative_to(src))
        for stem, p in zip(stems, files, strict=True)
    ]
    names = [n.with_name(n.name + ext) for n in names]
    seen: dict[str, Path] = {}
    for name, p in zip(names, files, strict=True):
        key = os.path.normcase(str(name))
        if key in seen:
            raise SynthicError(
                f"{display_name(seen[key])} and {display_name(p)} would both render to"
                f" {display_name(name)}; rename one"
            )
        seen[key] = p
    return names


def run(args) -> int:
    from synthic.cli import printable, refuse_overwriting_input

    src = Path(args.input)
    options = (args.rate, args.seconds, args.solo, tuple(args.mute), args.check, args.drop_flagged)
    if not src.is_dir():
        refuse_overwriting_input(args.output, src)
        print(render_one(str(src), args.output, *options))
        return 0
    ext = Path(args.output).suffix.lower() if Path(args.output).suffix else ".wav"
    outdir = Path(args.output) if not Path(args.output).suffix else Path(args.output).parent
    files = [
        p for p in sorted(src.rglob("*")) if p.is_file() and kind_of(p.name) in ("vgm", "events")
    ]
    if not files and args.allow_empty:
        outdir.mkdir(parents=True, exist_ok=True)
        print(f"no recordings in {display_name(src)}: nothing to render")
        return 0
    if not files:
        raise SynthicError(f"{display_name(src)}: no recordings found")
    outputs = output_names(src, files, outdir, ext)
    refuse_overwriting_input(outputs, *files)
    jobs = [(str(p), str(out)) for p, out in zip(files, outputs, strict=True)]
    outdir.mkdir(parents=True, exist_ok=True)
    wrote = dropped = failed = 0
    for result in _render_all(jobs, options, args.jobs):
        try:
            line = result()
        except SynthicError as e:
            failed += 1
            print(f"synthic wav: error: {printable(e)}", file=sys.stderr)
            continue
        print(line)
        if line.startswith("dropped "):
            dropped += 1
        else:
            wrote += 1
    notes = [f"{n} {what}" for n, what in ((dropped, "dropped"), (failed, "failed")) if n]
    note = f" ({', '.join(notes)})" if notes else ""
    print(
        f"rendered {wrote} of {len(jobs)} recordings into {display_name(outdir)}"
        f" as {wrote} files{note}"
    )
    return 2 if failed else 0
