"""The raw-line scanner (validators/_rawscan.c): whenever it passes a JSON line, the decoded line has no
member twice, every string under a name of its table has that name's form (the FHIR regexes
themselves) or passes its check, and every object under a name with a limit has no more members.
And it passes the plain lines that have all that, so the fast tier is really taken."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from payercert.validators.typed import FORM_FLAGS, PLAIN_FORMS

rawscan = pytest.importorskip("payercert.validators._rawscan", reason="the C scanner was not built")

REGEX = {form: re.compile(pattern) for pattern, form in PLAIN_FORMS.items()}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMS = {"system": "token", "code": "code", "display": "text"}
LIMITS = {"extension": 2}
PAIRS = {"extension": ("a", "b")}  # never both in one object
CHECKED = {"date": DATE}


def table():
    entries = {name.encode(): (FORM_FLAGS[form], LIMITS.get(name, -1), None, None, ()) for name, form in FORMS.items()}
    entries[b"extension"] = (0, LIMITS["extension"], None, None, ((b"a", b"b"),))
    entries[b"date"] = (0, -1, lambda raw: DATE.search(raw.decode("ascii")) is not None, set(), ())
    return rawscan.table(entries)


TABLE = table()


# An object is a list of (name, value) pairs, so that a name can be given twice.
class Pairs(list):
    """A JSON object as written: its members in order, names possibly repeated."""


names = st.sampled_from(["system", "code", "display", "extension", "date", "a", "b", "url"])
texts = st.text(alphabet=st.sampled_from(list(' ab"\\/\t\n\u00a0\u00e9\u2028x0-')), max_size=8) | st.sampled_from(
    ["2021-03-01", "2021-3-1", "", " ", "a b", "a  b", " a", "a "])
scalars = texts | st.integers(-5, 5) | st.booleans() | st.none() | st.floats(allow_nan=False, allow_infinity=False)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.lists(
    st.tuples(names, inner), max_size=5).map(Pairs), max_leaves=25)


def dump(value, ascii_only: bool, gap: str) -> str:
    if isinstance(value, Pairs):
        return "{" + gap + f",{gap}".join(f"{json.dumps(k)}{gap}:{gap}{dump(v, ascii_only, gap)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + f",{gap}".join(dump(v, ascii_only, gap) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def holds(value, governing: str | None = None) -> bool:
    """What a passed line promises, read off the decoded value."""
    if isinstance(value, Pairs):
        seen = [k for k, _ in value]
        if len(seen) != len(set(seen)):
            return False
        if governing in LIMITS and len(value) > LIMITS[governing]:
            return False
        if governing in PAIRS and set(PAIRS[governing]) <= set(seen):
            return False
        return all(holds(v, k) for k, v in value)
    if isinstance(value, list):
        return all(holds(v, governing) for v in value)
    if isinstance(value, str) and governing in FORMS:
        return REGEX[FORMS[governing]].search(value) is not None
    if isinstance(value, str) and governing in CHECKED:
        return CHECKED[governing].search(value) is not None
    return True


def plain(value, governing: str | None = None) -> bool:
    """Strings under the table's names are ASCII with no escape but \\" (what the scanner reads exactly)."""
    if isinstance(value, Pairs):
        return all(plain(v, k) for k, v in value)
    if isinstance(value, list):
        return all(plain(v, governing) for v in value)
    if isinstance(value, str) and governing in {*FORMS, *CHECKED}:
        return all(" " <= ch <= "~" and ch != "\\" for ch in value)
    return True


@settings(max_examples=1500, deadline=None)
@given(value=values.map(lambda v: Pairs([("root", v)])), ascii_only=st.booleans(), gap=st.sampled_from(["", " ", "\n\t "]))
def test_a_passed_line_holds_what_the_scanner_promises(value, ascii_only, gap):
    line = dump(value, ascii_only, gap).encode()
    passed = rawscan.scan(TABLE, line)
    assert passed is True or passed is False
    if passed:
        assert holds(value), line
    elif plain(value) and holds(value):
        pytest.fail(f"a plain line that holds was not passed: {line!r}")


@pytest.mark.parametrize("line", [
    b"", b"{", b"[" * 10_000, b"{" + b",".join(b'"m%d":1' % i for i in range(300)) + b"}", b'{"a":"\\', b'"x',
    b'{"a" 1}', b"\xff\xfe", b'{"a":1}}', b'{"a\\u0062":1,"ab":2}', b"{" * 200 + b"}" * 200, b"\x00" * 50,
])
def test_what_it_cannot_read_is_refused_never_an_error(line: bytes):
    assert rawscan.scan(TABLE, line) is False


def test_an_escaped_name_is_not_compared_raw_and_a_repeated_name_is_found():
    assert rawscan.scan(TABLE, b'{"a":1,"b":{"a":1}}') is True
    assert rawscan.scan(TABLE, b'{"a":1,"b":2,"a":3}') is False
    assert rawscan.scan(TABLE, b'{"a":[{"x":1},{"x":2}],"x":3}') is True


def test_a_check_is_asked_once_per_distinct_string():
    asked = []
    memo: set = set()
    tab = rawscan.table({b"date": (0, -1, lambda raw: asked.append(raw) or True, memo, ())})
    for _ in range(3):
        assert rawscan.scan(tab, b'{"date":"2021-01-01","x":[{"date":"2021-01-02"}]}')
    assert asked == [b"2021-01-01", b"2021-01-02"] and memo == {b"2021-01-01", b"2021-01-02"}


def test_a_bad_table_is_a_type_error():
    for bad in ({"system": (1, -1, None, None, ())}, {b"date": (0, -1, len, None, ())},
                {b"x": (1, -1, None, None)}, {b"x": (1, -1, None, None, ((b"a",),))}, {b"x": [1, -1, None, None, ()]}):
        with pytest.raises(TypeError):
            rawscan.table(bad)


@pytest.mark.parametrize("line,passed", [
    (b'{"extension":[{"p":1,"q":2}]}', True), (b'{"extension":[{"p":1,"q":2,"r":3}]}', False),
    (b'{"extension":{"p":1,"q":2,"r":3}}', False), (b'{"extension":[[{"p":1,"q":2,"r":3}]]}', False),
    (b'{"x":{"p":1,"q":2,"r":3}}', True), (b'{"extension":[{"t":{"p":1,"q":2,"r":3}}]}', True),
])
def test_a_member_limit_counts_the_objects_its_name_holds(line: bytes, passed: bool):
    assert rawscan.scan(TABLE, line) is passed


@pytest.mark.parametrize("line,passed", [
    (b'{"extension":[{"a":1},{"b":2}]}', True), (b'{"extension":[{"a":1,"b":2}]}', False),
    (b'{"extension":{"b":1,"a":2}}', False), (b'{"x":{"a":1,"b":2}}', True),
    (b'{"extension":[{"c":{"a":1,"b":2}}]}', True),
])
def test_an_exclusive_pair_is_never_found_together(line: bytes, passed: bool):
    assert rawscan.scan(TABLE, line) is passed


@pytest.mark.parametrize("line,passed", [
    (b'{"system":"http://a"}', True), (b'{"system":"http://a b"}', False), (b'{"system":""}', False),
    (b'{"system":"a\\tb"}', False), (b'{"system":"a\\u0062"}', False), (b'{"system":["x","y z"]}', False),
    (b'{"code":"a b"}', True), (b'{"code":"a  b"}', False), (b'{"code":" a"}', False), (b'{"code":"a "}', False),
    (b'{"display":"say \\"hi\\" now"}', True), (b'{"display":"caf\xc3\xa9"}', False), (b'{"other":"caf\xc3\xa9"}', True),
    (b'{"date":"2021-01-01"}', True), (b'{"date":"2021-1-1"}', False), (b'{"date":"2021\\/01"}', False),
])
def test_strings_are_checked_by_the_name_that_holds_them(line: bytes, passed: bool):
    assert rawscan.scan(TABLE, line) is passed


def test_the_text_of_wanted_top_level_members_keys_a_memo():
    def unpack(blob: bytes) -> list:
        out = []
        while blob:
            size, blob = int.from_bytes(blob[:8], "little", signed=True), blob[8:]
            out.append(None if size < 0 else blob[:size])
            blob = blob[max(size, 0):]
        return out

    line = b'{"a" : [1, {"b":2}] , "c":"x","d":{"a":5},"e":null}'
    assert unpack(rawscan.scan(TABLE, line, (b"a", b"c", b"z", b"e"))) == [b'[1, {"b":2}]', b'"x"', None, b"null"]
    assert rawscan.scan(TABLE, b'{"a":1,"a":2}', (b"a",)) is None  # refused: no text
    assert rawscan.scan(TABLE, b'[{"a":1}]', (b"a",)) == (-1).to_bytes(8, "little", signed=True)  # not top-level
    with pytest.raises(TypeError):
        rawscan.scan(TABLE, line, [b"a"])
    with pytest.raises(TypeError):  # at most 64: validators/fastpath.py keys its memo otherwise past that
        rawscan.scan(TABLE, line, tuple(b"n%d" % i for i in range(65)))
