"""The line checker (validators/_linecheck.c, its program compiled by validators/linecheck.py): a line it
passes is one JSON value as Python's strict reader takes it, with no member twice, and valid under the
schema as jsonschema judges it. And it passes the plainly written valid lines, so the fast tier is
really taken. The oracle is jsonschema itself, on a schema that uses every keyword the compiler reads,
and on AB2D's own EOB schemas."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from payercert.validators.linecheck import NotCompilable, compile_nodes, program_of
from payercert.validators.readers import STRICT

linecheck = pytest.importorskip("payercert.validators._linecheck", reason="the C line checker was not built")

ROOT = Path(__file__).resolve().parents[1]
CODE = r"^[^\s]+(\s[^\s]+)*$"

SCHEMA = {
    "type": "object",
    "required": ["kind", "items"],
    "properties": {
        "kind": {"enum": ["a", "b"]},
        "code": {"type": "string", "pattern": CODE},
        "uri": {"type": "string", "pattern": r"^\S+$"},
        "text": {"type": "string", "pattern": r"[ \r\n\t\S]+"},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "n": {"type": "integer", "minimum": 1, "maximum": 9},
        "x": {"type": "number"},
        "flag": {"type": "boolean"},
        "nothing": {"type": "null"},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {"$ref": "#/$defs/item"},
            "contains": {"properties": {"kind": {"const": "a"}}, "required": ["kind"]},
        },
        "ext": {
            "type": "array",
            "items": {
                "allOf": [
                    {"$ref": "#/$defs/ext"},
                    {
                        "if": {"properties": {"url": {"const": "m"}}, "required": ["url"]},
                        "then": {"required": ["valueCode"]},
                    },
                ]
            },
        },
        # two pieces whose additionalProperties judge each other's members: never folded into one node
        "scoped": {"allOf": [{"properties": {"a": True}, "additionalProperties": False}, {"properties": {"b": True}}]},
        "any": True,
    },
    "additionalProperties": {"$ref": "#/$defs/outside"},
    "$defs": {
        "outside": {"x-requirement": "R-1", "not": {"title": "a member outside the subset"}},
        "item": {
            "type": "object",
            "properties": {
                "kind": {"type": "string"},
                "date": {"$ref": "#/properties/date"},
                "period": {"type": "object"},
                "n": {"$ref": "#/properties/n"},
            },
            "not": {"required": ["date", "period"]},
            "additionalProperties": {"$ref": "#/$defs/outside"},
        },
        "ext": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": {"type": "string"}, "valueCode": {"$ref": "#/properties/code"}},
            "patternProperties": {"^value[A-Z]": True},
            "additionalProperties": False,
            "maxProperties": 2,
        },
    },
}
ORACLE = Draft202012Validator(SCHEMA)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    path.write_text(json.dumps(SCHEMA))
    return program_of(compile_nodes(path))


def valid(line: bytes, validator=ORACLE) -> bool:
    """Strict JSON (as validators/readers.py reads it), no member twice, valid under the schema."""
    twice = []

    def pairs(members):
        if len({k for k, _ in members}) != len(members):
            twice.append(members)
        return dict(members)

    try:
        data = json.loads(line.decode("utf-8"), object_pairs_hook=pairs, **STRICT)
    except (ValueError, RecursionError):
        return False
    return not twice and validator.is_valid(data)


# An object is a list of (name, value) pairs, so that a name can be given twice.
class Pairs(list):
    pass


strings = st.sampled_from(
    [
        "a",
        "b",
        "m",
        "",
        " ",
        "a b",
        "a  b",
        " a",
        "a ",
        "2021-03-01",
        "2021-3-1",
        'say "x"',
        "back\\slash",
        "tab\there",
        "caf\u00e9",
        "\u00a0",
        "x/y",
        "\ud800",
    ]
)
numbers = st.sampled_from([0, 1, 9, 10, -1, 1.0, 1.5, 2.5e3, 10**20, 3])
scalars = strings | numbers | st.booleans() | st.none()
member_names = st.sampled_from(
    [
        "kind",
        "code",
        "uri",
        "text",
        "date",
        "n",
        "x",
        "flag",
        "nothing",
        "items",
        "ext",
        "scoped",
        "any",
        "url",
        "valueCode",
        "valueX",
        "period",
        "a",
        "b",
        "other",
    ]
)


def _objects(inner):
    return st.lists(st.tuples(member_names, inner), max_size=6).map(Pairs)


values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | _objects(inner), max_leaves=20)

# records near the schema's shape, so that valid ones are common
items = st.lists(
    st.builds(
        lambda kind, date, n: Pairs([("kind", kind)] + date + n),
        st.sampled_from(["a", "b"]),
        st.sampled_from(
            [[], [("date", "2021-03-01")], [("period", Pairs())], [("date", "2021-03-01"), ("period", Pairs())]]
        ),
        st.sampled_from([[], [("n", 1)], [("n", 10)]]),
    ),
    min_size=0,
    max_size=5,
)
exts = st.lists(
    st.sampled_from(
        [
            Pairs([("url", "m"), ("valueCode", "c")]),
            Pairs([("url", "m")]),
            Pairs([("url", "u"), ("valueX", 1)]),
            Pairs([("url", "u"), ("other", 1)]),
        ]
    ),
    max_size=3,
)
optional = st.lists(st.tuples(member_names, scalars | values), max_size=3)
records = st.builds(
    lambda kind, its, ext, extra, scoped: Pairs(
        [("kind", kind), ("items", its)] + ([("ext", ext)] if ext else []) + extra + scoped
    ),
    st.sampled_from(["a", "b", "c"]),
    items,
    exts,
    optional,
    st.sampled_from([[], [("scoped", Pairs([("a", 1)]))], [("scoped", Pairs([("b", 1)]))]]),
)


def dump(value, ascii_only: bool, gap: str) -> str:
    if isinstance(value, Pairs):
        return (
            "{" + gap + f",{gap}".join(f"{json.dumps(k)}{gap}:{gap}{dump(v, ascii_only, gap)}" for k, v in value) + "}"
        )
    if isinstance(value, list):
        return "[" + f",{gap}".join(dump(v, ascii_only, gap) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records | values, st.booleans(), st.sampled_from(["", " ", "\t", "\r\n "]))
def test_a_passed_line_is_strict_json_without_a_member_twice_and_valid(program, record, ascii_only, gap):
    line = dump(record, ascii_only, gap).encode("utf-8", "surrogatepass")
    if linecheck.check(program, line):
        assert valid(line), line


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_plainly_written_valid_lines_pass(program, record):
    line = dump(record, True, "").encode()
    plain = b"\\" not in line and b"e+" not in line and b".0" not in line  # no escape, exponent or 1.0
    if plain and valid(line):
        assert linecheck.check(program, line), line


def test_on_plain_records_the_checker_agrees_with_jsonschema_both_ways(program):
    rnd = random.Random(7)
    lines = [_record(rnd) for _ in range(400)]
    verdicts = [bool(linecheck.check(program, line)) for line in lines]
    assert verdicts == [valid(line) for line in lines]
    assert 40 < sum(verdicts) < 360  # both sides are exercised


def _record(rnd: random.Random) -> bytes:
    its = [
        {"kind": rnd.choice("ab"), **rnd.choice([{}, {"date": "2021-03-01"}, {"date": "2021-3-1"}])}
        for _ in range(rnd.randint(1, 5))
    ]
    return json.dumps({"kind": rnd.choice("ab"), "items": its, "n": rnd.choice([1, 5, 0])}).encode()


@pytest.mark.parametrize(
    "line",
    [
        b'{"kind":"a","items":[{"kind":"a"}]}',
        b' {"kind" : "b" , "items" : [ {"kind":"a","n":9} , {"kind":"x"} ] , "x" : -0.5 } ',
        b'{"kind":"a","items":[{"kind":"a"}],"code":"a b","uri":"x/y","text":"say \\"x\\"","any":{"k":[1,{"k":2}]}}',
        b'{"kind":"a","items":[{"kind":"a"}],"ext":[{"url":"m","valueCode":"c"},{"url":"u","valueAny":[]}]}',
    ],
)
def test_valid_lines_pass(program, line):
    assert valid(line) and linecheck.check(program, line)


@pytest.mark.parametrize(
    "line",
    [
        b'{"kind":"a","items":[{"kind":"a"}],"kind":"b"}',  # a member twice
        b'{"kind":"a","items":[{"kind":"a"}],"any":{"k":1,"k":2}}',  # twice, where the schema says nothing
        b'{"kind":"a","items":[{"kind":"b"}]}',  # contains
        b'{"kind":"a","items":[{"kind":"a","date":"2021-03-01","period":{}}]}',  # not: required
        b'{"kind":"a","items":[{"kind":"a"}],"ext":[{"url":"m"}]}',  # if/then
        b'{"kind":"a","items":[{"kind":"a"}],"ext":[{"url":"u","other":1}]}',  # additionalProperties false
        b'{"kind":"a","items":[{"kind":"a"}],"scoped":{"b":1}}',  # the unfolded allOf
        b'{"kind":"a","items":[{"kind":"a"}],"n":1.0}',  # an integer to JSON Schema: the checker cannot tell
        b'{"kind":"a","items":[{"kind":"a"}],"x":1e400}',  # infinity: refused by the strict reader
        b'{"kind":"a","items":[{"kind":"a"}],"code":"caf\xc3"}',  # not UTF-8
        b'{"kind":"a","items":[{"kind":"a"}],"any":"a\x01b"}',  # a raw control character
        b'{"kind":"a","items":[{"kind":"a"}],"any":01}',
        b'{"kind":"a","items":[{"kind":"a"}]} x',
        b'{"kind":"a","items":[{"kind":"a"}],"k\\u0069nd":"a"}',  # an escaped name
        b'{"kind":"a","items":[{"kind":"a"}]',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_lines_the_checker_refuses(program, line):
    assert not linecheck.check(program, line)


def test_a_10_mb_line_is_read(program):
    big = b'{"kind":"a","items":[{"kind":"a"}],"any":"' + b"x" * (10 << 20) + b'"}'
    assert linecheck.check(program, big)


def test_captured_members_are_their_raw_text(program):
    line = b'{"items" : [{"kind":"a"}] ,"kind":"a","x": 1.5}'
    out = linecheck.check(program, line, (b"x", b"kind", b"missing"))
    parts, at = [], 0
    for _ in range(3):
        size = int.from_bytes(out[at : at + 8], "little", signed=True)
        parts.append(None if size < 0 else out[at + 8 : at + 8 + size])
        at += 8 + max(size, 0)
    assert parts == [b"1.5", b'"a"', None]
    assert linecheck.check(program, b'{"kind":"c"}', (b"kind",)) is None


@pytest.mark.parametrize(
    "schema,why",
    [
        ({"type": "string", "format": "date"}, "format"),
        ({"const": 1}, "non-strings"),
        ({"minimum": 0.5}, "integer bounds"),
        ({"not": {"type": "string"}}, "not"),
        ({"x-max-decimals": 2}, "x-max-decimals"),
        ({"uniqueItems": True}, "uniqueItems"),
    ],
)
def test_what_the_checker_cannot_read_is_refused_at_compile_time(tmp_path, schema, why):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema))
    with pytest.raises(NotCompilable, match=why):
        compile_nodes(path)


def test_a_malformed_program_is_a_python_error_not_a_crash():
    with pytest.raises(TypeError):
        linecheck.program(())
    with pytest.raises(ValueError):
        linecheck.program((None, None, None))


# --- AB2D's own schemas ------------------------------------------------------------------------------------

SAMPLES = ROOT / "specs" / "ab2d" / "samples"
KINDS = {
    "eob-stu3": ["eob-stu3-seed", "eob-stu3-drg-diagnosis"],
    "eob-r4": ["eob-r4", "eob-r4-2022-sample-shape"],
    "eob-r4-v3": ["eob-r4-v3"],
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ab2d_lines_pass_exactly_when_the_schema_holds(kind):
    from test_ab2d_validate import _mutations

    from payercert.validators.schemas import compiled_schema

    schema_path = ROOT / "specs" / "ab2d" / "schemas" / f"{kind}.json"
    program = program_of(compile_nodes(schema_path.resolve()))
    schema = compiled_schema(schema_path)
    passed = refused_valid = 0
    for sample in KINDS[kind]:
        data = json.loads((SAMPLES / "valid" / f"{sample}.ndjson").read_text(encoding="utf-8"))
        assert linecheck.check(program, json.dumps(data).encode())
        for line in _mutations(data, random.Random(sample + "checker"), 200):
            ok = valid(line, schema.validator)
            if linecheck.check(program, line):
                assert ok, line[:300]
                passed += 1
            elif ok and line.isascii() and b"\\u" not in line and b"\\t" not in line:  # these the checker leaves
                refused_valid += 1
    assert passed > 50 and refused_valid == 0


# --- the compiled program in the user's cache ---------------------------------------------------------------


def test_the_program_is_cached_and_a_changed_schema_is_compiled_again(tmp_path, monkeypatch):
    from payercert.validators import linecheck as compiler

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "schemas"
    folder.mkdir()
    path = folder / "record.json"
    path.write_text(json.dumps({"type": "object", "required": ["a"], "properties": {"a": {"pattern": "^x+$"}}}))
    compile_program = compiler.line_program.__wrapped__  # past the in-process memo
    first = compile_program(path)
    assert linecheck.check(first, b'{"a":"xx"}') and not linecheck.check(first, b'{"a":"y"}')
    assert len(list((tmp_path / "cache").rglob("linecheck-*"))) == 1

    def no_compiling(self, root):
        raise AssertionError("compiled again")

    with monkeypatch.context() as patched:
        patched.setattr(compiler._Compiler, "compile", no_compiling)
        cached = compile_program(path)  # from the cache
    assert linecheck.check(cached, b'{"a":"xx"}') and not linecheck.check(cached, b'{"a":"y"}')
    path.write_text(json.dumps({"type": "object", "required": ["b"]}))
    os.utime(path, ns=(1, 1))
    changed = compile_program(path)
    assert linecheck.check(changed, b'{"b":1}') and not linecheck.check(changed, b'{"a":"xx"}')


def test_an_unusable_cache_is_passed_by(tmp_path, monkeypatch):
    from payercert.validators import linecheck as compiler

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"type": "object", "required": ["a"]}))
    program = compiler.line_program.__wrapped__(path)
    assert linecheck.check(program, b'{"a":1}') and not linecheck.check(program, b"{}")
