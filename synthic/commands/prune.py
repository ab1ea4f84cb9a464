"""`synthic prune FOLDER -o OUTDIR`: one input's recordings become samples of hands-off music."""

from __future__ import annotations

import json
import time

from synthic.errors import SynthicError

# option name -> PruneConfig field, and the help text (the default is added from PruneConfig)
OPTIONS = {
    "min_seconds": "shortest sample, in seconds",
    "max_seconds": "longest sample, in seconds (a stretch is cut into equal samples)",
    "settle_seconds": "seconds after each press window or button marker still counted as busy",
    "silence_dbfs": "RMS level (dBFS) below which rendered audio is silence",
    "min_sounding": "least fraction of 50-ms blocks at or above --silence-dbfs (else 'silent')",
    "min_notes": "fewer distinct (channel, pitch) notes than this: 'sound effect'",
    "min_note_coverage": "least fraction of whole seconds in which a note starts "
    "(else 'sound effect')",
    "duplicate_overlap": "fraction of a sample's fingerprint already kept that makes it a "
    "duplicate",
}


def add_parser(sub) -> None:
    from synthic.cli import HelpFormatter
    from synthic.dataset.prune import PruneConfig

    defaults = PruneConfig()
    p = sub.add_parser(
        "prune",
        help="cut one input's recordings into samples of music (drop silence, sound effects, "
        "button presses, duplicates)",
        description="Read the recordings (.events) in FOLDER (one input's "
        "results/recordings/NAME/), cut their hands-off music into samples and write the kept "
        "ones as OUTDIR/RECORDING.sNNN.events, with OUTDIR/prune.tsv listing every candidate "
        "stretch, whether it was kept and why not (see synthic/dataset/prune.py for the "
        "rules). A folder without recordings gives an empty table. Settings come from "
        "--config JSON, then the options (which win).",
        formatter_class=HelpFormatter,
    )
    p.add_argument("folder", help="one input's folder of recordings")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder to write to")
    p.add_argument(
        "--config",
        metavar="JSON",
        help="settings as JSON, e.g. '{\"min_seconds\": 8}' "
        f"(defaults: {json.dumps(defaults.__dict__)})",
    )
    for key, text in OPTIONS.items():
        kind = int if key == "min_notes" else float
        p.add_argument(
            "--" + key.replace("_", "-"),
            type=kind,
            dest=key,
            default=None,
            help=f"{text} (default: {getattr(defaults, key)!r})",
        )
    p.add_argument(
        "--no-startup",
        dest="startup",
        action="store_false",
        default=None,
        help="leave out the hands-off start-up window of ROM recordings (default: keep it)",
    )
    p.add_argument(
        "--normalise",
        dest="normalise",
        action="store_true",
        default=None,
        help="drop the writes of each sample that provably change nothing "
        "(synthic.events.normalise; the render stays bit-identical) (default: off)",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from synthic.dataset.prune import PruneConfig, prune_recordings, summary

    try:
        settings = json.loads(args.config or "{}")
    except ValueError as e:
        raise SynthicError(f"--config: not valid JSON ({e})") from None
    if not isinstance(settings, dict):
        raise SynthicError("--config: must be a JSON object of settings")
    for key in (*OPTIONS, "startup", "normalise"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    try:
        config = PruneConfig.from_dict(settings)
    except (ValueError, TypeError) as e:
        raise SynthicError(f"settings: {e}") from None
    start = time.perf_counter()
    table = prune_recordings(args.folder, args.output, config)
    wall = time.perf_counter() - start
    recordings = table["recording"].nunique() if len(table) else 0
    print(f"pruned {recordings} recording(s) in {wall:.1f} s: {summary(table)}")
    return 0
