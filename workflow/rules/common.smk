# Shared set-up: the package on the path, the validated config, the input collection.
import functools
import json
import os
import sys

# The Snakefile imports the package of this checkout; the rules run it with `python -m
# synthic`, which finds it from the working directory or from `pip install -e .`.
sys.path.insert(0, workflow.basedir)

from synthic import demo
from synthic.collection import fingerprint, read_inventory
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
    # What the schema cannot say: a sample's bounds in order, the fractions summing to 1.
    from synthic.dataset.prune import PruneConfig
    from synthic.dataset.split import check_fractions

    PruneConfig.from_dict(config["prune"])
    check_fractions(config["split"]["fractions"])
except SynthicError as e:
    raise WorkflowError(str(e)) from None
except ValueError as e:
    raise WorkflowError(f"config: {e}") from None

INVENTORY = "results/inventory.tsv"


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


def builtin_inputs():
    """The files of a collection the workflow builds itself (roms: jukebox or demo), or []."""
    if config["roms"] == "jukebox":
        return [
            f"results/jukebox/{rom_name(i)}.gb"
            for i in range(1, config["jukebox"]["roms"] + 1)
        ]
    if config["roms"] == "demo":
        return [f"results/demo/{name}.vgm" for name in demo.song_names()]
    return []


def collection_roots():
    """What `synthic inventory` searches: the built-in files, or the user's folders."""
    roots = config["roms"]
    return builtin_inputs() or ([roots] if isinstance(roots, str) else list(roots))


@functools.cache
def collection_fingerprint():
    """Names, sizes and times of the user's files (nothing is read): when it changes, the
    inventory is made again. A built-in collection's files are the inventory's inputs instead,
    and a job on a cluster (not the main process) never remakes the inventory."""
    if builtin_inputs() or not workflow.is_main_process:
        return ""
    try:
        return fingerprint(collection_roots())
    except SynthicError as e:
        raise WorkflowError(str(e)) from None


@functools.cache
def _inventory(path, mtime_ns):
    found, _ = read_inventory(path)
    return {i.name: i for i in found}


def inventory_file(wildcards=None):
    """The inventory, once the checkpoint that writes it is done."""
    return checkpoints.inventory.get().output[0]


def inventory():
    """The inputs of the collection (wildcard name -> synthic.collection.Input)."""
    path = inventory_file()
    return _inventory(path, os.stat(path).st_mtime_ns)


def input_of(name):
    try:
        return inventory()[name]
    except KeyError:
        raise WorkflowError(f"no input named {name!r} in {INVENTORY}") from None


def augment_options():
    """`synthic tokenize`'s augmentation options from config["tokens"]["augment"]."""
    augment = config["tokens"]["augment"]
    options = []
    if augment["transpose"]:
        options.append(
            "--transpose=" + ",".join(f"{s:g}" for s in augment["transpose"])
        )
    if augment["swap_pulse"]:
        options.append("--swap-pulse")
    return " ".join(options)
