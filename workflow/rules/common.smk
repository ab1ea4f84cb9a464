# Shared set-up: the package on the path, the validated config, the input collection.
import json
import sys
from pathlib import Path

# The Snakefile imports the package of this checkout; the rules run it with `python -m
# synthic`, which finds it from the working directory or from `pip install -e .`.
sys.path.insert(0, workflow.basedir)

from synthic import demo
from synthic.collection import Input, find_inputs
from synthic.config import load_schema, validate
from synthic.errors import SynthicError
from synthic.jukebox.collection import rom_name
from synthic.jukebox.sources import MIDI_EXTENSIONS

try:
    validate(
        config,
        load_schema(f"{workflow.basedir}/workflow/schemas/config.schema.yaml"),
        source="config",
    )
except SynthicError as e:
    raise WorkflowError(str(e)) from None


def collection():
    """The inputs of the collection (wildcard name -> Input) and the skipped files."""
    if config["roms"] == "jukebox":
        names = [rom_name(i) for i in range(1, config["jukebox"]["roms"] + 1)]
        found = [
            Input(name, f"results/jukebox/{name}.gb", None, "rom", "") for name in names
        ]
        return {i.name: i for i in found}, []
    if config["roms"] == "demo":
        found = [
            Input(name, f"results/demo/{name}.vgm", None, "vgm", "")
            for name in demo.song_names()
        ]
        return {i.name: i for i in found}, []
    try:
        found, skipped = find_inputs(config["roms"])
    except SynthicError as e:
        raise WorkflowError(str(e)) from None
    return {i.name: i for i in found}, skipped


def jukebox_midi_files(wildcards):
    """The MIDI files among the jukebox's sources (corpus names are no files), so that a
    changed file rebuilds the ROMs."""
    files = []
    for spec in config["jukebox"]["sources"]:
        path = Path(spec)
        if path.is_file():
            files.append(spec)
        elif path.is_dir():
            files += sorted(
                str(p) for p in path.rglob("*") if p.suffix.lower() in MIDI_EXTENSIONS
            )
    return files


INPUTS, SKIPPED = collection()
EXPLORE_JSON = json.dumps(config["record"].get("explore", {}), sort_keys=True)


def write_record_summary():
    """results/recordings.tsv: every input, its outcome, what was recorded or why not."""
    from synthic.record.summary import summarise, write_summary

    table = summarise(
        list(INPUTS.values()), SKIPPED, "results/recordings", "logs/record"
    )
    write_summary(table, "results/recordings.tsv")
    failed = table[table.outcome == "failed"]
    print(
        f"Synthic: {(table.outcome == 'recorded').sum()} inputs recorded, {len(failed)} failed, "
        f"{(table.outcome == 'skipped').sum()} skipped; see results/recordings.tsv",
        file=sys.stderr,
    )
    for _, row in failed.iterrows():
        print(f"  failed: {row['input']}: {row['reason']}", file=sys.stderr)
