"""Smoke: a few read-only requests that show the target answers the documented envelope.

Every test of this suite is read-only (the document specifies only GETs), so none is `mutating`."""

import pytest

from payercert.suites.tpastream.client import envelope_findings, schema

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement


@pytest.mark.smoke
@requirement("TPA-AUTH-1", "TPA-EP-1", "TPA-PAGE-1")
def test_first_page_of_claims(tpa, target):
    """The first page of claims at per_page=1 is a valid claims page"""
    body = tpa.envelope("/claims", {"per_page": 1})
    # only what this test's requirements say: the full suite attributes the other findings
    problems = [
        f"{r}: {m}" for r, m in envelope_findings(body, 1, 1, target.reading("TPA-R-PREV-NUM")) if r == "TPA-PAGE-1"
    ]
    problems += [
        f"{e.requirement}: {e.message}"
        for e in schema("claims-page.json").errors(body)
        if e.requirement == "TPA-PAGE-1"
    ]
    assert not problems, problems[0]


@pytest.mark.smoke
@requirement("TPA-EP-2", "TPA-DATA-3")
def test_one_employer(tpa):
    """One employer (per_page=1) is a valid employers page"""
    body = tpa.envelope("/employer", {"per_page": 1})
    errors = [
        f"{e.requirement}: {e.message}"
        for e in schema("employers-page.json").errors(body)
        if e.requirement in ("TPA-PAGE-1", "TPA-DATA-3")
    ]
    assert not errors, errors[0]
