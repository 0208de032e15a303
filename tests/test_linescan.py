"""Lines read a block at a time with the rules' memo in C (validators/linescan.py) give exactly the findings,
counts and records of the same lines read one by one in Python, on generated AB2D files whose lines
vary in what each rule reads: the rules' answers, the listing cap, the memo starting again, escapes
and spacing that change the raw text but not the value, lines the checker leaves to Python."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payercert.feeds import load_feed
from payercert.validators import fastpath, linescan
from payercert.validators.rules import RuleContext

pytest.importorskip("payercert.validators._linecheck", reason="the C line checker was not built")

ROOT = Path(__file__).resolve().parents[1]
SEED = json.loads((ROOT / "specs/ab2d/samples/valid/eob-stu3-seed.ndjson").read_text(encoding="utf-8"))
TODAY = date(2026, 12, 1)


def eob(precedence, period, sequences, spacing, escaped) -> bytes:
    record = json.loads(json.dumps(SEED))
    if precedence == "absent":
        record.pop("precedence")
    else:
        record["precedence"] = precedence
    if period is not None:
        record["billablePeriod"] = period
    for diagnosis, keep in zip(record["diagnosis"], sequences):
        if not keep:
            diagnosis.pop("sequence", None)
    text = json.dumps(record, separators=(", ", ": ") if spacing else (",", ":"))
    if escaped:  # the same value, other raw text: the memo keys by text, so this is a new key
        text = text.replace('"ExplanationOfBenefit"', '"Explanation\\u004ffBenefit"', 1)
    return text.encode()


ends = st.sampled_from(["2019-12-31", "2020-01-01", "2021-06-30", "2020-1-1"])
periods = st.one_of(
    st.none(),
    st.builds(lambda s, e: {"start": s, "end": e}, ends, ends),
    st.builds(lambda e: {"end": e}, ends),
    st.just({"start": "2021-01-01"}),
)
lines = st.one_of(
    st.builds(
        eob,
        st.sampled_from([0, 1, 2, "absent"]),
        periods,
        st.lists(st.booleans(), min_size=5, max_size=5),
        st.booleans(),
        st.booleans(),
    ),
    st.sampled_from([b"", b"   ", b"{", b'{"resourceType": "ExplanationOfBenefit"}', b"[]", b'"x"']),
)


def read(path: Path, scanned: bool, all_errors: bool):
    fk = fastpath.fast_kind("ab2d", "eob-stu3", tuple(sorted(load_feed("ab2d").default_readings().items())))
    reading = fastpath._Reading(fk, RuleContext(today=TODAY), all_errors, 0)
    if not scanned:
        reading.answers = None
    assert (reading.answers is not None) == scanned
    with path.open("rb") as fh:
        for piece in fastpath.pieces(fh, 0, None):
            reading.block(piece) if isinstance(piece, memoryview) else reading.line(*piece)
    out = reading.done()
    return out.findings, dict(out.omitted), out.records, out.lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(lines, min_size=1, max_size=40),
    cap=st.integers(1, 6),
    interned=st.integers(1, 8),
    block=st.integers(64, 9000),
    all_errors=st.booleans(),
    fed=st.booleans(),
)
def test_scanned_lines_say_what_lines_read_one_by_one_say(
    tmp_path: Path, monkeypatch, body, cap, interned, block, all_errors, fed
):
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\n".join(body) + (b"\n" if fed else b""))
    monkeypatch.setattr(fastpath, "MAX_LISTED", cap)
    monkeypatch.setattr(fastpath, "BLOCK", block)
    monkeypatch.setattr(linescan, "INTERNED_LIMIT", interned)
    assert read(path, True, all_errors) == read(path, False, all_errors)


def test_a_deviation_on_every_line_is_listed_to_the_cap_then_counted(tmp_path: Path, monkeypatch):
    """Only the lines with something to say reach Python, and past the cap not even those."""
    monkeypatch.setattr(fastpath, "MAX_LISTED", 3)
    path = tmp_path / "export.ndjson"
    path.write_bytes(
        b"".join(eob(0, {"end": f"2021-01-{1 + n % 28:02d}"}, [1] * 5, False, False) + b"\n" for n in range(50))
    )
    findings, omitted, records, count = read(path, True, False)
    assert [(f.requirement, f.location.line) for f in findings] == [("AB2D-DEV-1", n) for n in (1, 2, 3)]
    assert records == count == 50
    assert sum(omitted.values()) == 47


def test_passing_keys_come_from_the_members_an_invariant_reads_by_key():
    """`billablePeriod['end']` and `billablePeriod is not None` are decided by `end` alone; a name read
    any other way is keyed by its whole text."""
    from payercert.validators.findings import Severity
    from payercert.validators.rules import build_check
    from payercert.validators.ruleset import Rule

    def rule(expr, when=None):
        params = {"id": "R", "check": "invariant", "expr": expr, **({"when": when} if when else {})}
        return Rule("R", None, "m", Severity.WARNING, build_check(params))

    index = {"period": 0, "other": 1}
    assert linescan._passing(rule("period['end'] >= '2020'", "period is not None"), index) == ((0, 2, (b"end",)),)
    assert linescan._passing(rule("period['end'] >= other['start']"), index) == ((1, 2, (b"start",)), (0, 2, (b"end",)))
    assert linescan._passing(rule("len(period) > 1 or period['end']"), index) is None
    assert linescan._passing(rule("other >= 1"), index) is None
