"""Structs generated from JSON Schema (validators/typed.py): at least as strict as the schema, and the
plain-line forms of FHIR's string patterns say what the regexes say on printable ASCII."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from payercert.validators.typed import PLAIN_FORMS, NotTypeable, typed_kind

SCHEMAS = Path(__file__).resolve().parents[1] / "specs" / "ab2d" / "schemas"
FORMS = {
    "text": lambda s: len(s) >= 1,
    "token": lambda s: len(s) >= 1 and " " not in s,
    "code": lambda s: len(s) >= 1 and s[0] != " " and s[-1] != " " and "  " not in s,
}


@pytest.mark.parametrize("pattern,form", sorted(PLAIN_FORMS.items()))
@given(text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12))
def test_plain_forms_agree_with_their_regex_on_printable_ascii(pattern: str, form: str, text: str):
    assert (re.search(pattern, text) is not None) == FORMS[form](text)


def _write(tmp_path: Path, schema: dict) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path.resolve()


def test_object_required_enum_pattern_contains_and_recursion(tmp_path: Path):
    schema = {
        "type": "object",
        "required": ["kind", "parts"],
        "additionalProperties": False,
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "code": {"type": "string", "pattern": "^[0-9]+$"},
            "parts": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/node"},
                "contains": {"required": ["leaf"]},
            },
        },
        "$defs": {
            "node": {
                "type": "object",
                "maxProperties": 1,
                "additionalProperties": False,
                "properties": {"leaf": {"type": "integer", "minimum": 1}, "node": {"$ref": "#/$defs/node"}},
            }
        },
    }
    types = typed_kind(_write(tmp_path, schema))
    for kind in (types.strict, types.plain):
        decode = msgspec.json.Decoder(kind).decode
        assert decode(b'{"kind":"a","code":"12","parts":[{"node":{"leaf":2}},{"leaf":1}]}').kind == "a"
        for bad in (
            b'{"kind":"c","parts":[{"leaf":1}]}',
            b'{"kind":"a","parts":[]}',
            b'{"kind":"a","code":"x","parts":[{"leaf":1}]}',
            b'{"kind":"a","parts":[{"node":{"leaf":1}}]}',
            b'{"kind":"a","parts":[{"leaf":1,"node":{}}]}',
            b'{"kind":"a","parts":[{"leaf":0}]}',
            b'{"kind":"a","parts":[{"leaf":1}],"other":1}',
            b'{"parts":[{"leaf":1}]}',
        ):
            with pytest.raises((msgspec.ValidationError, ValueError)):
                decode(bad)


def test_a_schema_it_cannot_translate_is_refused_not_skipped(tmp_path: Path):
    schema = {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}}
    with pytest.raises(NotTypeable):
        typed_kind(_write(tmp_path, schema))


@pytest.mark.parametrize("kind", ["eob-stu3", "eob-r4", "eob-r4-v3"])
def test_the_ab2d_schemas_are_typed(kind: str):
    types = typed_kind((SCHEMAS / f"{kind}.json").resolve())
    assert {"resourceType", "patient", "item"} <= set(types.strict.__struct_fields__)
