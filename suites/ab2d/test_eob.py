"""EOB content: every line of every downloaded file through the bundle's validator for its version
(AB2D's allowed subset, docs/sources/ab2d.md 1.9), one test per requirement so a finding names its own; plus what
only the run knows: the sponsor's enrollees and the _since filter."""

import json
from datetime import datetime

import pytest

from payercert.suites.ab2d.client import V2_SINCE, client_of, export_of, findings_of
from payercert.validators.findings import Severity

requirement = pytest.mark.requirement
VALIDATED = [
    "AB2D-NDJSON-1",
    "AB2D-NDJSON-2",
    "AB2D-NDJSON-3",
    "AB2D-NDJSON-5",
    "AB2D-EOB-1",
    "AB2D-EOB-2",
    "AB2D-EOB-3",
    "AB2D-EOB-4",
    "AB2D-EOB-5",
    "AB2D-EOB-6",
    "AB2D-EOB-7",
    "AB2D-EOB-8",
    "AB2D-EOB-9",
    "AB2D-EOB-10",
    "AB2D-EOB-11",
    "AB2D-EOB-12",
    "AB2D-EOB-13",
    "AB2D-EOB-14",
    "AB2D-EOB-15",
]
V1_ONLY, V2_ONLY = {"AB2D-EOB-13"}, {"AB2D-EOB-8", "AB2D-EOB-14"}
CASES = [
    pytest.param(v, r, marks=requirement(r), id=f"{v}-{r}")
    for v in ("v1", "v2", "v3")
    for r in VALIDATED
    if not (v != "v2" and r in V2_ONLY) and not (v != "v1" and r in V1_ONLY)
]


def lines(export):
    for url, response in export.files.items():
        if response.status_code == 200:
            for number, line in enumerate(response.content.splitlines(), 1):
                yield url, number, line


@pytest.mark.mutating
@pytest.mark.parametrize("version,rid", CASES)
def test_every_line_meets(request, version, rid):
    """Every line of the export meets the requirement (the bundle's validator finds nothing naming it: an
    error, or a warning of a SHOULD)"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    assert any(True for _ in lines(export)), "AB2D-EOB-1: the export has no line to validate"
    errors = [
        (url, f)
        for url, found in findings_of(export).items()
        for f in found
        if f.requirement == rid and f.severity in (Severity.ERROR, Severity.WARNING)
    ]
    if errors:
        url, first = errors[0]
        pytest.fail(
            f"{rid}: {len(errors)} finding(s); first at {url.rsplit('/', 1)[-1]} line "
            f"{first.location.line} {first.location.pointer or ''}: {first.message}"
        )


@pytest.mark.mutating
@requirement("AB2D-ISOLATION-5")
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_only_the_sponsors_enrollees(request, target, version):
    """Every EOB is about one of the sponsor's contract's enrollees"""
    ab2d = client_of(request, version)
    enrollees = {f"Patient/{p}" for p in target.require_data("enrollees")["enrollees"]}
    for url, number, line in lines(export_of(ab2d, version)):
        try:
            reference = (json.loads(line).get("patient") or {}).get("reference")
        except (ValueError, AttributeError):
            continue  # the validator's finding (AB2D-NDJSON-1)
        assert reference is None or reference in enrollees, (
            f"AB2D-ISOLATION-5: {url.rsplit('/', 1)[-1]} line {number}: {reference} is not an enrollee of the contract"
        )


@pytest.mark.mutating
@requirement("AB2D-EOB-17")
def test_since_filters_by_last_updated(ab2d):
    """With _since, every EOB's meta.lastUpdated is after it"""
    since = datetime.fromisoformat(V2_SINCE)
    for url, number, line in lines(export_of(ab2d, "v2")):
        try:
            updated = json.loads(line)["meta"]["lastUpdated"]
            when = datetime.fromisoformat(updated.replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        assert when > since, f"AB2D-EOB-17: {url.rsplit('/', 1)[-1]} line {number}: lastUpdated {updated} <= _since"


@pytest.mark.mutating
@requirement("AB2D-EOB-16")
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_current_mbi_and_status(request, version):
    """Every EOB carries a status and the current MBI extension"""
    ab2d = client_of(request, version)
    for url, number, line in lines(export_of(ab2d, version)):
        try:
            eob = json.loads(line)
        except ValueError:
            continue
        mbis = [
            e
            for e in eob.get("extension", [])
            if isinstance(e, dict)
            and (e.get("valueIdentifier") or {}).get("system") == "http://hl7.org/fhir/sid/us-mbi"
        ]
        current = [
            m
            for m in mbis
            if any(
                (c.get("valueCoding") or {}).get("code") == "current" for c in m["valueIdentifier"].get("extension", [])
            )
        ]
        assert current and "status" in eob, (
            f"AB2D-EOB-16: {url.rsplit('/', 1)[-1]} line {number}: no current MBI extension or no status"
        )
