"""LTSS NDJSON read a block at a time in C (validators/ruled_lines.py) gives the report the engine gives
reading every line as text: the same findings in the same order, records, skipped checks and
unusable verdict, on generated files that break every rule, repeat ids (written plainly, escaped,
as numbers), carry unknown or repeated names, blank and broken lines, lone carriage returns and a
byte order mark, with and without the target's reference data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payercert.validators import engine, fastpath, linescan, ruled_lines
from payercert.validators.recognise import Options
from payercert.validators.ruleset import load_reference_data

pytest.importorskip("payercert.validators._linecheck", reason="the C line checker was not built")

ROOT = Path(__file__).resolve().parents[1]
DATA = load_reference_data(ROOT / "specs/ltss/samples/data.yaml")
AS_OF = date(2026, 11, 20)

ids = st.sampled_from(
    [
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "not-a-uuid",
        "   ",
        "",
        "é-5b-d9cb",
    ]
)
values = {
    "TransactionId": st.one_of(ids, st.integers(0, 3), st.none()),
    "ServiceIdentifier": st.sampled_from(["PERSUP15", "TRANSP", "NOPE", ""]),
    "ServiceDate": st.sampled_from(
        ["11-19-2026", "01-04-2026", "13-45-2026", "2026-11-19", "11-21-2026", "07-22-2026"]
    ),
    "ClientLtssId": st.sampled_from(["A1234567890", "P4567890123", "Z9", " "]),
    "ProviderMa": st.sampled_from(["A12345678", "X1"]),
    "Units": st.one_of(st.integers(0, 100), st.sampled_from([1.5, "2", None])),
    "Cost": st.one_of(st.sampled_from([0, 12.5, 12.345, 300, "9"]), st.none()),
}


@st.composite
def entry(draw) -> bytes:
    record = {name: draw(strategy) for name, strategy in values.items() if draw(st.integers(0, 9))}
    if draw(st.integers(0, 9)) == 0:
        record["Extra"] = 1
    text = json.dumps(record, separators=(",", ":") if draw(st.booleans()) else (", ", ": "))
    way = draw(st.integers(0, 12))
    if way == 0 and '"TransactionId":"' in text:  # the same id, escaped: equal value, other text
        text = text.replace('"TransactionId":"', '"TransactionId":"\\u0030', 1).replace("\\u00300", "\\u0030", 1)
    elif way == 1:
        text = text[:-1] + (',"Units":1}' if len(text) > 2 else '"Units":1}')  # a name twice (or a new one)
    elif way == 2:
        text = text.replace(",", ",\r", 1)  # a lone carriage return: the text reader splits the line
    elif way == 3:
        text += "\r"  # CRLF
    return text.encode()


lines = st.one_of(entry(), st.sampled_from([b"", b"  ", b"{", b"[1]", b'"x"', b"\xff", b"{}"]))


def report(path: Path, scanned: bool, data, all_errors: bool):
    opts = Options(feed="ltss", kind="billing-entry", as_of=AS_OF, data=data, all_errors=all_errors)
    ruled_lines.ruled_lines.cache_clear()
    if not scanned:
        original = ruled_lines.ruled_lines
        ruled_lines.ruled_lines = lambda *args: None  # type: ignore[assignment]
    try:
        return engine.validate_file(path, opts).as_dict()
    finally:
        if not scanned:
            ruled_lines.ruled_lines = original  # type: ignore[assignment]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(lines, min_size=1, max_size=30),
    bom=st.booleans(),
    fed=st.booleans(),
    data=st.sampled_from([None, DATA]),
    all_errors=st.booleans(),
    block=st.integers(16, 4000),
    interned=st.integers(1, 6),
)
def test_block_reading_reports_what_the_text_reader_reports(
    tmp_path: Path, monkeypatch, body, bom, fed, data, all_errors, block, interned
):
    path = tmp_path / "entries.ndjson"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join(body) + (b"\n" if fed else b""))
    monkeypatch.setattr(fastpath, "BLOCK", block)
    monkeypatch.setattr(linescan, "INTERNED_LIMIT", interned)
    assert report(path, True, data, all_errors) == report(path, False, data, all_errors)


def test_the_block_reader_is_taken_for_ltss_entries(tmp_path: Path, monkeypatch):
    """The comparison above means something only if the block reader really reads LTSS lines."""
    scans = []
    scan = linescan.scan
    monkeypatch.setattr(linescan, "scan", lambda *args: scans.append(1) or scan(*args))
    path = tmp_path / "entries.ndjson"
    entry = {"TransactionId": "0f8fad5b-d9cb-469f-a165-70867728950e", "ServiceIdentifier": "PERSUP15"}
    path.write_text(json.dumps(entry) + "\n" + json.dumps(entry) + "\n")
    got = report(path, True, None, True)  # every coded finding, not only the first of a line
    assert scans and got["records"] == 2
    assert [f["requirement"] for f in got["findings"] if f["location"]["line"] == 2][:1] == ["LTSS-1200-1"]
    assert any(f["requirement"] == "LTSS-1400-1" and f["location"]["line"] == 2 for f in got["findings"])
