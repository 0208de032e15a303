"""Checks a JSON Schema cannot state, declared as data under a kind's `checks:` in feed.yaml.

Each check names its requirement and one primitive (a check with none is prose for another part
of the validator, e.g. a sequence):

    unique:  {arrays: [/claims], field: billerClaimId}   no value twice in the arrays (each on its own)
    known:   {field: /program, codes: program_codes}     the value is one of a code list of feed.yaml
    companion_match:    {array: /claims, field: billerClaimId}
        the values of `field` in the array are those of the same array in the companion file
    companion_resolves: {array: /invalidParams, field: name}
        each value is a path `arrayName[i].fieldName` that resolves against the companion file:
        each index inside its array, each object on the way present, the last name a field of
        the companion's schema there (present or not)

The companion is the file a payload answers (the request of a response or an error payload):
`--request FILE`, else the sibling named by the kind's `companion: {suffix}`. Without one, the
companion checks are listed as skipped. A finding's severity is its requirement's level (MUST
error, SHOULD warning, MAY info) unless the check names one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payercert.feeds import Feed, Kind

from .findings import Finding, Location, Severity, UnusableInput
from .locate import RecordLines
from .placing import severity_of
from .readers import ParseProblem, Record, read_records

PRIMITIVES = ("unique", "known", "companion_match", "companion_resolves")


def tokens_of(pointer: str) -> list:
    return [int(t) if t.isdigit() else t for t in pointer.split("/")[1:]] if pointer else []


def value_at(data: Any, pointer: str) -> Any:
    for token in tokens_of(pointer):
        if isinstance(data, dict):
            data = data.get(str(token))
        elif isinstance(data, list) and isinstance(token, int) and token < len(data):
            data = data[token]
        else:
            return None
    return data


@dataclass
class Companion:
    path: Path
    kind: Kind
    data: Any


class KindChecks:
    """The declared checks of one kind, applied record by record."""

    def __init__(self, feed: Feed, kind: Kind, companion: Companion | None, readings: dict[str, str]):
        self.feed, self.kind, self.companion, self.readings = feed, kind, companion, readings
        self.checks = [
            c for c in kind.spec.get("checks", []) if isinstance(c, dict) and any(p in c for p in PRIMITIVES)
        ]

    @property
    def skipped(self) -> list[str]:
        """The companion checks not applied, with the data they need."""
        if self.companion is not None:
            return []
        out = []
        for check in self.checks:
            if "companion_match" in check or "companion_resolves" in check:
                req = self.feed.requirements.get(check["requirement"])
                needs = ", ".join(req.needs_data) if req and req.needs_data else "the companion file"
                out.append(f"{check['requirement']} (needs target data: {needs}; give it with --request)")
        return out

    def check(self, record: Record, lines: RecordLines) -> Iterator[Finding]:
        for check in self.checks:
            for line, message in self._run(check, record.data, lines):
                requirement = check["requirement"]
                severity = Severity(check["severity"]) if "severity" in check else severity_of(self.feed, requirement)
                yield Finding(requirement, severity, message, None, Location(line))

    def _run(self, check: dict, data: Any, lines: RecordLines) -> Iterable[tuple[int, str]]:
        if "unique" in check:
            return _unique(data, lines, **check["unique"])
        if "known" in check:
            return _known(data, lines, self._codes(check["known"]["codes"]), check["known"]["field"])
        if self.companion is None:
            return ()
        if "companion_match" in check:
            return _match(data, lines, self.companion, **check["companion_match"])
        return self._resolves(self.companion, data, lines, **check["companion_resolves"])

    def _codes(self, key: str) -> set[str]:
        """A code list of feed.yaml: a list, a mapping (its keys), or versions of either with a default."""
        codes = self.feed.spec.get(key, [])
        if isinstance(codes, dict) and "versions" in codes:
            codes = codes["versions"][codes["default_version"]].get("codes", {})
        return set(codes)

    def _resolves(
        self, companion: Companion, data: Any, lines: RecordLines, array: str, field: str
    ) -> Iterator[tuple[int, str]]:
        from .schemas import compiled_schema

        schema_path = companion.kind.root / companion.kind.spec["schema"]
        compiled = compiled_schema(
            schema_path, companion.kind.spec.get("numbers") == "decimal", tuple(sorted(self.readings.items()))
        )
        items = value_at(data, array)
        for i, item in enumerate(items if isinstance(items, list) else []):
            name = item.get(field) if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue  # the schema reports a missing or mistyped name
            why = resolve(name, companion.data, compiled)
            if why:
                yield (
                    lines.line(tokens_of(array) + [i, field]),
                    f"{array[1:]}[{i}].{field} {name!r} names no field of the request {companion.path.name}: {why}",
                )


def _unique(data: Any, lines: RecordLines, arrays: list[str], field: str) -> Iterator[tuple[int, str]]:
    for array in arrays:
        items = value_at(data, array)
        seen: dict[str, int] = {}
        for i, item in enumerate(items if isinstance(items, list) else []):
            value = item.get(field) if isinstance(item, dict) else None
            if value is None:
                continue
            key = json.dumps(value, sort_keys=True, default=str)
            if key in seen:
                yield (
                    lines.line(tokens_of(array) + [i, field]),
                    f"{array[1:]}[{i}].{field} {value!r} repeats {array[1:]}[{seen[key]}].{field}",
                )
            else:
                seen[key] = i


def _known(data: Any, lines: RecordLines, codes: set[str], field: str) -> Iterator[tuple[int, str]]:
    value = value_at(data, field)
    if isinstance(value, str) and value not in codes:
        yield lines.line(tokens_of(field)), f"{field[1:]} {value!r} is not a known code ({', '.join(sorted(codes))})"


def _match(data: Any, lines: RecordLines, companion: Companion, array: str, field: str) -> Iterator[tuple[int, str]]:
    def values(doc: Any) -> Counter:
        items = value_at(doc, array)
        return Counter(str(i.get(field)) for i in (items if isinstance(items, list) else []) if isinstance(i, dict))

    got, want = values(data), values(companion.data)
    if got != want:
        missing, extra = sorted((want - got).elements()), sorted((got - want).elements())
        parts = ([f"missing {field} {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {field} {', '.join(extra)}"] if extra else []
        )
        yield (
            lines.line(tokens_of(array)),
            f"{array[1:]} does not answer the request {companion.path.name}: {'; '.join(parts)}",
        )


PATH_FORM = re.compile(r"[^.\[\]]+(\[\d+\])*(\.[^.\[\]]+(\[\d+\])*)*")
PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def resolve(name: str, data: Any, compiled) -> str | None:
    """None when `name` (arrayName[i].fieldName, 0-based) resolves against data and its schema,
    else why not."""
    if not PATH_FORM.fullmatch(name):
        return f"{name!r} is not of the form arrayName[i].fieldName"
    tokens = [int(index) if index else word for index, word in PATH_TOKEN.findall(name)]
    resolver = compiled.registry.resolver(base_uri=compiled.schema["$id"])
    schema: Any = compiled.schema
    walked = ""
    for n, token in enumerate(tokens):
        while isinstance(schema, dict) and "$ref" in schema and "properties" not in schema and "items" not in schema:
            found = resolver.lookup(schema["$ref"])
            schema, resolver = found.contents, found.resolver
        if isinstance(token, int):
            if not isinstance(data, list) or not isinstance(schema, dict) or "items" not in schema:
                return f"{walked or 'the request'} is not an array"
            if token >= len(data):
                return f"{walked}[{token}] is outside the request's {len(data)} entries"
            data, schema, walked = data[token], schema["items"], f"{walked}[{token}]"
            continue
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        if token not in props:
            return f"{token!r} is not a field of {walked or 'the request'}"
        if n == len(tokens) - 1:
            return None
        if not isinstance(data, dict) or data.get(token) is None:
            return f"{(walked + '.' if walked else '') + token} is not in the request"
        data, schema, walked = data[token], props[token], (walked + "." if walked else "") + token
    return None


def load_companion(path: Path, feed: Feed, kind: Kind, explicit: Path | None) -> Companion | None:
    """The companion file of a payload, read and given its kind; None when there is none."""
    spec = kind.spec.get("companion")
    if not spec:
        return None
    if explicit is None:
        sibling = path.with_name(path.name.removesuffix(path.suffix) + spec.get("suffix", ".request.json"))
        if not sibling.is_file():
            return None
        explicit = sibling
    if not explicit.is_file():
        raise UnusableInput(f"--request {explicit}: no such file")
    names = spec.get("kinds") or [spec["kind"]]
    kinds = [feed.kinds[n] for n in names if n in feed.kinds]
    decimal = any(k.spec.get("numbers") == "decimal" for k in kinds)
    for item in read_records(explicit, "json", decimal=decimal):
        if isinstance(item, ParseProblem):
            raise UnusableInput(f"--request {explicit}: line {item.line}:{item.column or 1}: {item.message}")
        keys = set(item.data) if isinstance(item.data, dict) else set()
        chosen = max(kinds, key=lambda k: len(k.detect_keys & keys))  # ties: the first listed
        return Companion(explicit, chosen, item.data)
    raise UnusableInput(f"--request {explicit}: empty file")
