"""`payercert validate` on TPA Stream files: duplicate keys and page arithmetic, as the samples
expect (lines of the page's arithmetic findings are the record's; the samples name the key's)."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from payercert.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "specs" / "tpastream" / "samples"
CHECKED = ("TPA-PAGE-", "TPA-FMT-2")


def _validate(path: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["validate", str(path), "--feed", "tpastream", "--format", "json", *extra])
    return json.loads(result.stdout)["files"][0]


def _cases():
    for expected in sorted((SAMPLES / "invalid").glob("*.expected.json")):
        wanted = [f for f in json.loads(expected.read_text()) if f["requirement"].startswith(CHECKED)]
        if wanted:
            sample = next(p for p in expected.parent.glob(expected.name.replace(".expected.json", ".*"))
                          if not p.name.endswith(".expected.json"))
            yield pytest.param(sample, wanted, id=sample.name)


@pytest.mark.parametrize("sample,wanted", list(_cases()))
def test_duplicates_and_page_arithmetic_are_reported(sample, wanted):
    report = _validate(sample)
    found = {f["requirement"] for f in report["findings"] if f["requirement"].startswith(CHECKED)}
    assert found == {w["requirement"] for w in wanted}
    duplicate_lines = {f["location"]["line"] for f in report["findings"] if f["code"] == "DUPLICATE-KEY"}
    assert duplicate_lines == {w["line"] for w in wanted if w["requirement"] == "TPA-FMT-2"}


def test_valid_pages_have_no_arithmetic_findings():
    pages = [p for p in (SAMPLES / "valid").glob("*page*.json")]
    assert pages
    for page in pages:
        assert not [f for f in _validate(page)["findings"] if f["requirement"].startswith("TPA-PAGE-")], page


def test_prev_num_zero_reading_accepts_the_documents_page_one():
    sample = SAMPLES / "invalid" / "doc-claims-response.json"
    default = {f["requirement"] for f in _validate(sample)["findings"]}
    zero = {f["requirement"] for f in _validate(sample, "--reading", "TPA-R-PREV-NUM=zero")["findings"]}
    assert "TPA-PAGE-5" in default and "TPA-PAGE-5" not in zero
