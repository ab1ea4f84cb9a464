"""The workflow's configuration: validated against workflow/schemas/config.schema.yaml.

Messages name the offending key as a dotted path (`record.seconds`), so a typo in
config.yaml or on the command line (`--config key=value`) is found at once.
"""

from __future__ import annotations

import os
from typing import Any

import jsonschema
import yaml

from synthic.errors import SynthicError


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def validate(config: dict[str, Any], schema: dict[str, Any], *, source: str = "config") -> dict:
    """Check `config`, fill in schema defaults, and return it; raise SynthicError on a fault."""
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = _with_defaults(validator_cls)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        key = ".".join(str(p) for p in e.absolute_path)
        if e.validator == "additionalProperties":
            allowed = ", ".join(sorted(e.schema.get("properties", {})))
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            where = f"{key}." if key else ""
            msg = f"unknown key {where}{extra[0]} (allowed here: {allowed})"
        elif e.validator in ("oneOf", "anyOf"):
            kinds = " or ".join(_describe(s) for s in e.validator_value)
            msg = f"key {key}: {e.instance!r} is not {kinds}"
        else:
            msg = f"key {key or '(top level)'}: {e.message}"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SynthicError(f"{source}: {msg}{more}")
    return config


def _describe(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "a value")
    if kind == "array":
        return (
            "a list of "
            + _describe(schema.get("items", {})).removeprefix("a ").removeprefix("an ")
            + "s"
        )
    return {
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "object": "a mapping",
    }.get(kind, str(kind))


def _with_defaults(validator_cls):
    """A validator that also writes each property's `default` into the instance."""
    set_properties = validator_cls.VALIDATORS["properties"]

    def properties(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, sub["default"])
        yield from set_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_cls, {"properties": properties})
