"""Schema documents as files hold them, with the chosen readings applied: what the jsonschema path
(validators/schemas.py), the generated Structs (validators/typed.py) and the line checker's compiler
(validators/linecheck.py) start from. Kept apart so that the fast paths do not import jsonschema,
which only a line they refuse needs.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

Ref = tuple[Any, Path]  # a schema node and the file it came from

# Keywords that say nothing about a value, with our spec bundles' own x- extensions (read elsewhere);
# an unknown x- keyword stays, for each compiler to refuse or pass over.
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "$comment",
        "$schema",
        "$id",
        "$anchor",
        "$defs",
        "definitions",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "x-requirement",
        "x-reading",
        "x-source",
        "x-undocumented",
        "x-checks",
    }
)


def gather_members(out: Any, key: str, value: Any, file: Path) -> bool:
    """Fold a piece's `properties`, `patternProperties` or `items` into `out` (a node being built, with
    lists of Refs by member name, by pattern, and for items); False for any other keyword."""
    if key == "items":
        out.items.append((value, file))
        return True
    into = {"properties": out.properties, "patternProperties": out.pattern_properties}.get(key)
    if into is None:
        return False
    for name, sub in value.items():
        into.setdefault(name, []).append((sub, file))
    return True


def apply_readings(node: Any, chosen: dict[str, str]) -> Any:
    """A schema document with the `x-reading` overrides of the chosen options (null removes a keyword)."""
    if isinstance(node, list):
        return [apply_readings(v, chosen) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: (v if k.startswith("x-") else apply_readings(v, chosen)) for k, v in node.items()}
    reading = node.get("x-reading")
    if isinstance(reading, dict):
        for rid, options in reading.items():
            option = chosen.get(rid)
            if option is not None and isinstance(options, dict) and option in options:
                for keyword, value in options[option].items():
                    if value is None:
                        out.pop(keyword, None)
                    else:
                        out[keyword] = copy.deepcopy(value)
    return out


def load_document(path: Path, decimal: bool = False) -> Any:
    """A schema document, its `$schema` dropped: a referenced document that names the 2020-12
    dialect would otherwise be checked by the plain validator, without our keywords."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        document = json.loads(text, parse_float=Decimal) if decimal else json.loads(text)
    else:
        import yaml  # only for a YAML schema document, and not at every start

        document = yaml.safe_load(text)
    if isinstance(document, dict):
        document.pop("$schema", None)
    return document


class SchemaDocs:
    """The documents a schema reaches, each read once with the readings applied, and `$ref`s between
    them (within a file, or to a sibling file) resolved to (node, file). `unresolved` is the exception
    a `$ref` that points nowhere raises."""

    def __init__(self, readings: dict[str, str], unresolved: type[Exception] = ValueError) -> None:
        self.readings = readings
        self.unresolved = unresolved
        self.docs: dict[Path, Any] = {}

    def doc(self, file: Path) -> Any:
        if file not in self.docs:
            self.docs[file] = apply_readings(load_document(file), self.readings)
        return self.docs[file]

    def pieces(self, refs: list[Ref]) -> list[Ref]:
        """Each schema of `refs` (a conjunction) with its `$ref`s and `allOf`s opened, as keyword dicts
        without annotations, in document order; `false` stays as (False, file), `true` goes."""
        out: list[Ref] = []
        stack = list(reversed(refs))
        opened = 0
        while stack:
            node, file = stack.pop()
            if node is True:
                continue
            if node is False:
                out.append((False, file))
                continue
            if not isinstance(node, dict):
                raise self.unresolved(f"schema {node!r}")
            opened += 1
            if opened > 1000:
                raise self.unresolved("a schema that is its own allOf or $ref")
            own = {k: v for k, v in node.items() if k not in ("$ref", "allOf") and k not in ANNOTATIONS}
            if own:
                out.append((own, file))
            inner = [self.resolve(node["$ref"], file)] if "$ref" in node else []
            inner += [(sub, file) for sub in node.get("allOf", ())]
            stack.extend(reversed(inner))
        return out

    def resolve(self, ref: str, file: Path) -> tuple[Any, Path]:
        target, _, pointer = ref.partition("#")
        file = (file.parent / target).resolve() if target else file
        node = self.doc(file)
        try:
            for token in filter(None, pointer.split("/")):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        except (KeyError, IndexError, TypeError):
            raise self.unresolved(f"$ref {ref!r} does not resolve") from None
        return node, file
