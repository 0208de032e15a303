"""Schemathesis on specs/ltss/openapi.yaml: generated requests, checked against the documented
statuses, content types, headers and response schemas (its checks, on our transport)."""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payercert.auth import basic_auth
from payercert.feeds import load_feed

SCHEMA = schemathesis.openapi.from_path(str(load_feed("ltss").root / "openapi.yaml"))


def _operations() -> dict[str, schemathesis.APIOperation]:
    """The documented operations by path; one the schema does not describe well raises its own error."""
    operations = {}
    for result in SCHEMA.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        operations[operation.path] = operation
    return operations


OPERATIONS = _operations()
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
requirement = pytest.mark.requirement


def _send(target, url_name, case, headers):
    """Send a generated case through the target's transport (recorded, redacted, rate-limited)."""
    url = target.url(url_name)
    kwargs = case.as_transport_kwargs(base_url=url.removesuffix(case.operation.path), headers=headers)
    request_headers = {k: v for k, v in kwargs["headers"].items() if k.lower() not in ("user-agent", "connection")}
    if kwargs.get("json") is not None or "json" in kwargs:
        content = json.dumps(kwargs.get("json")).encode()
    elif isinstance(kwargs.get("data"), dict):
        content = urlencode({k: str(v) for k, v in kwargs["data"].items()}).encode()
    elif kwargs.get("files"):
        # a generated multipart field may hold a number: on the wire every part is text or bytes
        files = [(name, (part[0], _part(part[1]), *part[2:])) for name, part in kwargs["files"]]
        return target.request("POST", kwargs["url"], headers=request_headers, files=files)
    else:
        content = kwargs.get("data") or b""
    return target.request(
        kwargs["method"],
        kwargs["url"],
        headers=request_headers,
        params=kwargs.get("params"),
        content=content if isinstance(content, bytes) else str(content).encode(),
    )


def _part(value):
    return value if isinstance(value, (str, bytes)) else json.dumps(value)


def _validate(case, response, checks):
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        raise AssertionError(
            "OpenAPI conformance: " + "; ".join(str(e).splitlines()[0] for e in group.exceptions)
        ) from None


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
        response = _send(target, "token", case, {"Authorization": auth})
        assert response.status_code != 200 or "access_token" not in response.text or mode is GenerationMode.POSITIVE
        _validate(case, response, checks)

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
        response = _send(target, "upload", case, {"Authorization": f"Bearer {ltss.token()}"})
        _validate(case, response, checks)

    check()
