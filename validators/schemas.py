"""JSON Schema (2020-12) validation of file records, with errors mapped to requirements.

A bundle's schemas reference each other by relative `$ref`; the folder is loaded into one
registry. A schema or property may carry `x-requirement`: an error reports the nearest one on
the way from the root to the failing keyword.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .findings import as_json
from .schemadoc import apply_readings, load_document


def _max_decimals(validator, places, instance, schema):
    """`x-max-decimals: N`: a number with at most N decimal places (money at 2, quantities at 4).

    `multipleOf: 0.01` is no substitute: binary floats make 0.07 fail it."""
    if isinstance(instance, (int, float, Decimal)) and not isinstance(instance, bool):
        exact = instance if isinstance(instance, Decimal) else Decimal(repr(instance))
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            yield ValidationError(f"{instance!r} has more than {places} decimal places")


Validator = validators.extend(Draft202012Validator, {"x-max-decimals": _max_decimals})


@dataclass(frozen=True)
class SchemaError:
    message: str
    pointer: str
    requirement: str | None
    path: tuple = ()  # the pointer's tokens
    on_key: bool = False  # the error is about the field's name (propertyNames, additionalProperties)


def _say(error: Any) -> str:
    """A schema error in the user's words: the value seen (as JSON) and the rule, never a dump of the
    schema (jsonschema's own text for oneOf/anyOf/not prints the subschemas, x-requirement and all) nor
    a Python repr."""
    value, rule = _shown(error.instance), error.validator_value
    if error.validator == "oneOf":
        how_many = "more than one" if "valid under each of" in error.message else "none"
        return f"{value} matches {how_many} of the shapes allowed here"
    if error.validator == "anyOf":
        return f"{value} matches none of the shapes allowed here"
    if error.validator == "not":
        return f"{value} is not allowed here"
    if error.validator == "required":
        missing = re.match(r"^'(.*)' is a required property$", error.message)
        return f"required member {missing.group(1) if missing else rule} is missing"
    if error.validator == "additionalProperties":
        declared, patterns = error.schema.get("properties", {}), error.schema.get("patternProperties", {})
        extra = [
            k
            for k in (error.instance if isinstance(error.instance, dict) else ())
            if k not in declared and not any(re.search(p, k) for p in patterns)
        ]
        return f"member{'s' if len(extra) > 1 else ''} {', '.join(extra[:4]) or '?'} not allowed here"
    if error.validator == "enum":
        options = ", ".join(as_json(o) for o in rule[:6]) + (f" (and {len(rule) - 6} more)" if len(rule) > 6 else "")
        return f"{value} is not one of {options}"
    if error.validator == "const":
        return f"{value} is not {as_json(rule)}"
    if error.validator == "type":
        return f"{value} is not of type {rule if isinstance(rule, str) else ' or '.join(rule)}"
    if error.validator == "pattern":
        return f"{value} does not match {rule}"
    if error.validator == "format":
        return f"{value} is not a valid {rule}"
    return error.message.replace(repr(error.instance), value)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with {', '.join(list(value)[:4])}{', ...' if len(value) > 4 else ''}" if value else "{}"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return as_json(value)


class CompiledSchema:
    def __init__(self, schema: dict, registry: Registry):
        self.schema = schema
        self.registry = registry
        self.validator = Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def errors(self, instance: Any) -> Iterator[SchemaError]:
        for error in sorted(self.validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path]):
            path, on_key = tuple(error.absolute_path), False
            parent = list(error.schema_path)[-2:-1]
            if parent == ["propertyNames"]:  # the instance is the name itself, the path its object's
                path, on_key = path + (error.instance,), True
            elif parent == ["additionalProperties"]:
                on_key = True
            pointer = "".join(f"/{p}" for p in path)
            where = pointer or "the record"
            yield SchemaError(f"{where}: {_say(error)}"[:300], pointer, self._requirement(error), path, on_key)

    def _requirement(self, error) -> str | None:
        """Walk the schema path from the root, following `$ref`s, keeping the last x-requirement.

        jsonschema's path names the `$ref` keyword only sometimes: when the next step is not in the
        node at hand, the node's `$ref` is followed first."""
        resolver = self.registry.resolver(base_uri=self.schema["$id"])
        current: Any = self.schema
        found = current.get("x-requirement")
        for key in error.schema_path:
            while isinstance(current, dict) and key not in current and "$ref" in current:
                resolved = resolver.lookup(current["$ref"])
                current, resolver = resolved.contents, resolved.resolver
                found = current.get("x-requirement", found) if isinstance(current, dict) else found
            if isinstance(current, dict) and key == "$ref":
                resolved = resolver.lookup(current["$ref"])
                current, resolver = resolved.contents, resolved.resolver
            else:
                try:
                    current = current[key]
                except (KeyError, IndexError, TypeError):
                    break
            if isinstance(current, dict) and current.get("x-requirement"):
                found = current["x-requirement"]
        return found


@lru_cache(maxsize=32)
def compiled_schema(path: Path, decimal: bool = False, readings: tuple[tuple[str, str], ...] = ()) -> CompiledSchema:
    """The schema at `path`, with every schema of its folder available to `$ref`.

    decimal: the schemas' numbers are read as Decimal, for instances parsed with
    `parse_float=Decimal` (so that `multipleOf: 0.0001` is exact).
    readings: (reading id, option) pairs whose `x-reading` overrides replace the written keywords."""
    chosen = dict(readings)
    registry = Registry()
    for file in sorted(path.parent.glob("*.json")) + sorted(path.parent.glob("*.yaml")):
        resource = Resource.from_contents(
            apply_readings(load_document(file, decimal), chosen), default_specification=DRAFT202012
        )
        registry = registry.with_resource(file.resolve().as_uri(), resource)
    schema = apply_readings(load_document(path, decimal), chosen)
    schema.setdefault("$id", path.resolve().as_uri())
    return CompiledSchema(schema, registry)
