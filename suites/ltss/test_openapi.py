"""Schemathesis on specs/ltss/openapi.yaml: generated requests, checked against the documented
statuses, content types, headers and response schemas (its checks, on our transport)."""

import pytest
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payercert.auth import basic_auth
from payercert.feeds import load_feed
from payercert.openapi import conforms, operations, send

OPERATIONS = operations(load_feed("ltss").root / "openapi.yaml")
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
requirement = pytest.mark.requirement


def _path(name):
    return next(p for p in OPERATIONS if p.endswith(name))


@pytest.mark.readonly
@requirement("LTSS-AUTH-5")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_token_endpoint_conforms(target, mode):
    """Generated token requests (unknown users, malformed forms) get documented answers"""
    auth = basic_auth(target.credential("app_id"), target.credential("app_secret"))
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(max_examples=max(3, settings().max_examples // 3))
    @given(OPERATIONS[_path("/connect/token")].as_strategy(mode))
    def check(case):
        response = send(target, target.url("token"), case, {"Authorization": auth})
        assert response.status_code != 200 or "access_token" not in response.text or mode is GenerationMode.POSITIVE
        conforms(case, response, checks)

    check()


@requirement("LTSS-UP-6")
@pytest.mark.parametrize(
    "mode",
    [pytest.param(GenerationMode.POSITIVE, marks=pytest.mark.mutating), GenerationMode.NEGATIVE],
    ids=["positive", "negative"],
)
def test_upload_endpoint_conforms(target, ltss, mode):
    """Generated uploads get documented statuses, headers and bodies; schema-violating ones are refused"""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @settings(max_examples=max(3, settings().max_examples // 3))
    @given(OPERATIONS[_path("/uploadbillingentry")].as_strategy(mode))
    def check(case):
        response = send(target, target.url("upload"), case, {"Authorization": f"Bearer {ltss.token()}"})
        conforms(case, response, checks)

    check()
