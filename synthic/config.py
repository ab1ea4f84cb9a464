"""The workflow's configuration: validated against workflow/schemas/config.schema.yaml.

Messages name the offending key as a dotted path (`record.seconds`), so a typo in
config.yaml or on the command line (`--config key=value`) is found at once.

Besides JSON Schema, `validate` refuses any number that is not finite (YAML's `.nan` and `.inf`
pass a schema's `minimum` and `maximum` checks unnoticed) and knows two keywords of Synthic's
own: `ordered: true` on an array (each item at most the next: a [min, max] range) and
`errorMessage` (the message of a failed `anyOf`/`oneOf` in that schema).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import jsonschema
import yaml

from synthic.errors import SynthicError


def load_schema(path: str | os.PathLike) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def validate(config: dict[str, Any], schema: dict[str, Any], *, source: str = "config") -> dict:
    """Check `config`, fill in schema defaults, and return it; raise SynthicError on a fault."""
    for key, x in _numbers(config, ()):
        if not math.isfinite(x):
            raise SynthicError(
                f"{source}: key {key or '(top level)'}: {x!r} is not a finite number"
            )
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
        elif e.validator in ("oneOf", "anyOf") and "errorMessage" in e.schema:
            msg = f"key {key}: {e.schema['errorMessage']}"
        elif e.validator in ("oneOf", "anyOf"):
            kinds = " or ".join(_describe(s) for s in e.validator_value)
            msg = f"key {key}: {e.instance!r} is not {kinds}"
        else:
            msg = f"key {key or '(top level)'}: {e.message}"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SynthicError(f"{source}: {msg}{more}")
    return config


def _numbers(x: Any, path: tuple) -> Iterator[tuple[str, float]]:
    """Every float in a config (mappings and lists, nested), with its dotted key."""
    if isinstance(x, float):
        yield ".".join(map(str, path)), x
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _numbers(v, (*path, k))
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            yield from _numbers(v, (*path, i))


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

    def ordered(validator, value, instance, schema):
        if value and isinstance(instance, list):
            for i in range(len(instance) - 1):
                lo, hi = instance[i], instance[i + 1]
                if _is_number(lo) and _is_number(hi) and lo > hi:
                    what = (
                        f"the minimum {lo!r} is more than the maximum {hi!r}"
                        if len(instance) == 2
                        else f"item {i} ({lo!r}) is more than item {i + 1} ({hi!r})"
                    )
                    yield jsonschema.ValidationError(f"{instance!r}: {what}")

    return jsonschema.validators.extend(
        validator_cls, {"properties": properties, "ordered": ordered}
    )


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
