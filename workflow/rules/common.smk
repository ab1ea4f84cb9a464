# Shared set-up: the package on the path, the validated config, the input collection.
import sys

# The Snakefile imports the package of this checkout; the rules run it with `python -m
# synthic`, which finds it from the working directory or from `pip install -e .`.
sys.path.insert(0, workflow.basedir)

from synthic import demo
from synthic.collection import find_inputs
from synthic.config import load_schema, validate
from synthic.errors import SynthicError

try:
    validate(
        config,
        load_schema(f"{workflow.basedir}/workflow/schemas/config.schema.yaml"),
        source="config",
    )
except SynthicError as e:
    raise WorkflowError(str(e)) from None


def collection():
    """Wildcard name -> input file for every recording of the collection."""
    if config["roms"] == "demo":
        return {name: f"results/demo/{name}.vgm" for name in demo.song_names()}
    try:
        return find_inputs(config["roms"])
    except SynthicError as e:
        raise WorkflowError(str(e)) from None


INPUTS = collection()
