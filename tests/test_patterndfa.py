"""Schema patterns as DFAs (validators/patterndfa.py): over printable ASCII a DFA says what `re.search`
says, for every pattern in the spec bundles and for generated text near each; patterns it cannot
express are left to Python."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from payercert.validators.patterndfa import pattern_dfa

ROOT = Path(__file__).resolve().parents[1]


def _bundle_patterns() -> list[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    found.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "specs").rglob("*")):
        if "samples" in path.parts or path.suffix not in (".json", ".yaml"):
            continue
        text = path.read_text(encoding="utf-8")
        walk(json.loads(text) if path.suffix == ".json" else yaml.safe_load(text))
    return sorted(found)


PATTERNS = _bundle_patterns() + [r"(a|b)c$", r"^(ab)*c?$", r"x{2,3}", r"[^a-c\d]", r"\w+\W", r"^.$", r"a.*?b"]
DFAS = {p: pattern_dfa(p) for p in PATTERNS}


def run(dfa: tuple[bytes, bytes], text: str) -> bool:
    table, accepting = dfa
    state = 1
    for byte in text.encode("ascii"):
        state = int.from_bytes(table[(state * 128 + byte) * 2 : (state * 128 + byte) * 2 + 2], "little")
    return accepting[state] == 1


def test_every_bundle_pattern_has_a_dfa():
    assert len(PATTERNS) > 20
    assert [p for p, d in DFAS.items() if d is None] == []


printable = st.characters(min_codepoint=32, max_codepoint=127)
# text near the patterns: their own characters, dates, ids, references, spaces
near = st.sampled_from(
    list("0123456789-:T.Z+ /aAPtei$?{}x")
    + ["2021-", "02-29", "Patient/", "carrier-", "https://", "/api/v2/fhir/", "sha256:", "T10:00:00"]
)
texts = st.lists(near | printable, max_size=24).map("".join)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_the_dfa_says_what_re_search_says(pattern, text):
    assert run(DFAS[pattern], text) == (re.search(pattern, text) is not None)


@pytest.mark.parametrize(
    "pattern",
    [r"(a)\1", r"a(?=b)", r"a(?!b)", r"(?<=a)b", r"a^b", r"a$b", r"a|b$", r"(?i)abc", r"a{1000}", r"\bword\b", "é"],
)
def test_what_a_dfa_cannot_say_is_left_to_python(pattern):
    assert pattern_dfa(pattern) is None
