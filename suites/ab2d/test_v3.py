"""API v3 (R4, IDR data, allow-listed contracts; docs/sources/ab2d.md 0.2, 1.1, 1.3, 1.9): the allow-list, _typeFilter,
the 2026-04-01 _since floor, no Group export, and the v3 trimmer's EOBs. An allow-listed client (the
second client where the target says so, data.second_v3_allowed) runs the export."""

import pytest

from payercert.suites.ab2d.client import STATUS_URL, findings_of, outcome_problems
from payercert.validators.findings import Severity

requirement = pytest.mark.requirement


def _cancel(client, response):
    if STATUS_URL.match(response.headers.get("content-location", "")):
        client.call("DELETE", response.headers["content-location"])


@pytest.mark.mutating
@requirement("AB2D-V3-1")
def test_not_allow_listed_is_403(ab2d, target):
    """A v3 kick-off by a sponsor not on the allow-list answers 403 with an OperationOutcome"""
    if target.require_data("v3_allowed")["v3_allowed"]:
        pytest.skip("the client under test is on the v3 allow-list")
    response = ab2d.kickoff_when_free("v3")
    _cancel(ab2d, response)
    assert response.status_code == 403, f"AB2D-V3-1: got {response.status_code}"
    problems = outcome_problems(response)
    texts = response.text
    assert not problems and (
        "V3 access not enabled for this PDP" in texts or "The V3 API is currently unavailable" in texts
    ), f"AB2D-V3-1: {problems or texts[:200]}"


@pytest.mark.mutating
@requirement("AB2D-V3-2")
@pytest.mark.parametrize(
    "type_filter,text",
    [
        ("ExplanationOfBenefit?service-date=gt2026-04-15", None),
        ("ExplanationOfBenefit?service-date=ge2026-04-01&service-date=lt2026-06-01", None),
        (
            "Coverage?service-date=gt2026-04-15",
            "The _typeFilter parameter must be for the ExplanationOfBenefit resource",
        ),
        (
            "ExplanationOfBenefit?_lastUpdated=gt2026-04-15",
            "The _typeFilter subquery must be for the service-date parameter",
        ),
        ("ExplanationOfBenefit?service-date=xx2026-04-15", "Invalid _typeFilter parameter"),
    ],
    ids=["gt", "range", "other-resource", "other-parameter", "bad-prefix"],
)
def test_type_filter(v3, type_filter, text):
    """_typeFilter=ExplanationOfBenefit?service-date=... starts a job; anything else answers 400 with its text"""
    response = v3.kickoff_when_free("v3", {"_typeFilter": type_filter})
    _cancel(v3, response)
    if text is None:
        assert response.status_code == 202, f"AB2D-V3-2: {type_filter} got {response.status_code} {response.text[:200]}"
    else:
        assert response.status_code == 400 and not outcome_problems(response, text), (
            f"AB2D-V3-2: {type_filter} got {response.status_code} {response.text[:200]}"
        )


@pytest.mark.mutating
@requirement("AB2D-V3-3")
def test_since_floor(v3):
    """On v3 a _since before 2026-04-01T00:00:00-05:00 answers 400"""
    response = v3.kickoff_when_free("v3", {"_since": "2026-03-31T23:00:00-05:00"})
    _cancel(v3, response)
    assert response.status_code == 400 and not outcome_problems(response), (
        f"AB2D-V3-3: got {response.status_code} {response.text[:200]}"
    )


@pytest.mark.mutating
@requirement("AB2D-V3-4")
def test_no_group_export(v3, target):
    """v3 has no Group export"""
    contract = target.require_data("second_contract")["second_contract"]
    response = v3.kickoff("v3", path=f"/Group/{contract}/$export")
    _cancel(v3, response)
    assert response.status_code in (400, 404, 405), f"AB2D-V3-4: v3 Group export got {response.status_code}"


@pytest.mark.mutating
@requirement("AB2D-V3-5")
def test_job_uuid_prefix(v3):
    """v3 job UUIDs start with 33333333"""
    export = v3.export("v3")
    assert export.job_uuid.startswith("33333333"), f"AB2D-V3-5: job {export.job_uuid}"


@pytest.mark.mutating
@requirement("AB2D-V3-6")
def test_v3_eobs(v3):
    """Every v3 line keeps only the v3 trimmer's elements (the bundle's eob-r4-v3 kind finds no error)"""
    export = v3.export("v3")
    assert export.files, "AB2D-MANIFEST-4: the v3 export has no file"
    errors = [(url, f) for url, found in findings_of(export).items() for f in found if f.severity is Severity.ERROR]
    if errors:
        url, first = errors[0]
        pytest.fail(
            f"AB2D-V3-6: {len(errors)} finding(s); first at line {first.location.line} "
            f"{first.location.pointer or ''} ({first.requirement}): {first.message}"
        )
