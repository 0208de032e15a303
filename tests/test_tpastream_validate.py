"""`payercert validate` on TPA Stream files gives exactly the findings each sample's expected file
lists: requirement, the line of the offending member's key, and the JSON pointer."""

import json
from pathlib import Path

import golden
import pytest
import yaml
from click.testing import CliRunner

from payercert.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "specs" / "tpastream" / "samples"


INDEX = yaml.safe_load((SAMPLES / "index.yaml").read_text())


def _validate(path: Path, *extra: str) -> dict:
    kind = INDEX[path.parent.name][path.name]["kind"]  # a file that does not parse cannot be detected
    result = CliRunner().invoke(
        app, ["validate", str(path), "--feed", "tpastream", "--kind", kind, "--format", "json", *extra]
    )
    return json.loads(result.stdout)["files"][0]


@pytest.mark.parametrize("sample", golden.samples("tpastream", "invalid"), ids=lambda p: p.name)
def test_invalid_sample_gives_exactly_its_expected_findings(sample):
    golden.check(sample, "tpastream", {"kind": INDEX["invalid"][sample.name]["kind"]})


@pytest.mark.parametrize(
    "sample", sorted(p for p in (SAMPLES / "valid").iterdir() if p.suffix in (".json", ".ndjson")), ids=lambda p: p.name
)
def test_valid_sample_is_clean(sample):
    assert _validate(sample)["findings"] == []


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
