"""Schemathesis on specs/tpastream/openapi.yaml: generated page/per_page/filter/id values on every
documented GET, checked against the documented statuses, content types and response schemas (its
checks, on our transport). Read-only (GETs only), so nothing here is `mutating`.

Schemathesis's negative_data_rejection is not used: a value outside an enum the bundle declares
(hide_read other than "on") is ignored by the document's API, not refused, and that is no finding."""

import pytest
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payercert.feeds import load_feed
from payercert.openapi import conforms, operations

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

OPERATIONS = operations(load_feed("tpastream").root / "openapi.yaml")
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
ENDPOINT = {
    "/claims": "TPA-EP-1",
    "/employer": "TPA-EP-2",
    "/member": "TPA-EP-3",
    "/policy_holder": "TPA-EP-4",
    "/employer/{id}/claims": "TPA-EP-5",
    "/policy_holder/{id}/claims": "TPA-EP-6",
    "/member/{id}/claims": "TPA-EP-7",
}
requirement = pytest.mark.requirement


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=requirement(r, "TPA-ERR-7"), id=p.strip("/").replace("/", "-"))
        for p, r in ENDPOINT.items()
    ],
)
def test_operation_conforms(tpa, path, mode):
    """Generated requests get documented statuses, JSON content types and bodies that match the response schemas"""
    operation = OPERATIONS[path]

    @settings(max_examples=max(3, settings().max_examples // 4))
    @given(operation.as_strategy(mode))
    def check(case):
        url = tpa.url(case.formatted_path)
        response = tpa.target.request(
            "GET", url, params=case.query or None, headers={"Authorization": tpa.auth(), "Accept": "application/json"}
        )
        conforms(case, response, CHECKS)

    check()
