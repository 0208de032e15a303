"""feed.yaml checked against its schema (specs/feed.schema.json) when a feed is loaded.

An error names the file, the line and the key, in the user's words: `specs/x/feed.yaml:12:
requirements[3].levle: unknown key`. A misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    import yaml

SCHEMA = Path(__file__).parent / "specs" / "feed.schema.json"


def check_feed_document(path: Path, text: str, spec: Any) -> None:
    """Raise ConfigError for the first place (in document order) where `spec` breaks the schema."""
    errors = list(_validator().iter_errors(spec))
    if not errors:
        return
    import yaml  # a document that breaks the schema is read again, for its lines

    root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    placed = [(_place(root, error), error) for error in errors]
    (line, where), error = min(placed, key=lambda item: item[0][0])
    raise ConfigError(f"{path}:{line}: {where}: {_say(error)}")


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # only when a feed.yaml is parsed, not on every start

    return Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def _place(root: yaml.Node | None, error: Any) -> tuple[int, str]:
    """(line, key path) of an error: the unexpected key itself for an unknown key."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        path.append(_unexpected(error)[0])
    node, line = root, 1
    for part in path:
        node, at = _child(node, part)
        if at is None:
            break
        line = at
    return line, _dotted(path) or "(top)"


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, int | None]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, item.start_mark.line + 1
    return None, None


def _unexpected(error: Any) -> list[str]:
    allowed = set(error.schema.get("properties", {}))
    return sorted(k for k in error.instance if k not in allowed) or ["?"]


def _dotted(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _say(error: Any) -> str:
    if error.validator == "additionalProperties":
        return "unknown key" + (
            f" (known here: {', '.join(sorted(error.schema['properties']))})" if error.schema.get("properties") else ""
        )
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        return f"must be {error.validator_value}, not {type(error.instance).__name__} {error.instance!r}"[:200]
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the pattern {error.validator_value}"
    return str(error.message).splitlines()[0][:200]
