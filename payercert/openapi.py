"""Schemathesis on a feed's OpenAPI document, its generated requests sent through the target's own
transport (recorded, redacted, rate-limited, within the deadline) and its checks' failures turned
into one-line assertions."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import schemathesis
import yaml
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from .session import TargetContext


def operations(document: Path) -> dict[str, schemathesis.APIOperation]:
    """The documented operations by path; one the document does not describe well raises its own error."""
    found = {}
    for result in schemathesis.openapi.from_path(str(document)).get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        found[operation.path] = operation
    return found


def conforms(case: Any, response: httpx.Response, checks: list) -> None:
    """Schemathesis' checks on one response, as one AssertionError naming every failed check."""
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        raise AssertionError(
            "OpenAPI conformance: " + "; ".join(str(e).splitlines()[0] for e in group.exceptions)
        ) from None


def send(target: TargetContext, url: str, case: Any, headers: dict[str, str]) -> httpx.Response:
    """A generated case sent to `url` (the operation's URL at the target): JSON, a form, or multipart."""
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


def _part(value: Any) -> str | bytes:
    return value if isinstance(value, str | bytes) else json.dumps(value)


def secured_operations(document: Path) -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation the document says needs credentials (its own
    `security`, else the document's; `security: []` needs none), in document order: the operations a
    suite calls without and with wrong credentials."""
    spec = yaml.safe_load(document.read_text(encoding="utf-8"))
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete") and operation.get("security", spec.get("security")):
                found.append((method.upper(), path))
    return found


def filled(template: str, values: dict[str, str]) -> str:
    """A path template with its parameters given: a value named in `values`, else a UUID nobody uses."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), template)
