"""Checks on every exchange: what a feed's spec says of every response of a sort, checked on each
response a run receives, whatever the test that sent it (as Schemathesis runs its checks on every
response). A violation is named by the requirement it breaks, not by the test that happened to see it.

feed.yaml `exchange_checks` is a list of:

    when:     which responses: status (regex on the code, e.g. "4..|5.."), method, path (regex searched
              in the URL's path), not_path (regex: paths left out, e.g. a token endpoint's own errors),
              place (regex on the place the request is at, payercert/surfaces.py), body (regex
              searched in the body's text), unless_reading ({READING: OPTION}: the check does not
              apply under that reading)
    within:   SECONDS, the answer is complete within that time, else a violation of `requirement`
              with the time measured and the limit; a request that got no answer before the
              transport's deadline (never shorter than the longest limit) is one too
    body:     KIND, the body is a file of that kind: the kind's validator runs on it (the target's
              readings applied), each error finding a violation of its requirement, an unreadable
              body one of `requirement` (else of the kind's syntax requirement); `any`: whichever
              of the feed's kinds it shows itself to be. A kind that reads whole messages (SOAP, MTOM,
              MIME) gets the response with its status line and headers.
    headers:  {Name: REGEX}, each header is there and matches, else a violation of `requirement`
    members:  {JSON-POINTER: REGEX}, the JSON body has each member and its text matches, else a
              violation of `requirement` (e.g. "/_links/self/href": "^https://")
    covers:   the requirements a check holds a response to (default: its `requirement`, else the
              body kind's requirement): where it applies, it counts as checking them there
              (payercert/surfaces.py)
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .feeds import Feed


@dataclass(frozen=True)
class Violation:
    requirement: str
    problem: str  # one line, in the user's terms
    exchange: str  # "GET /api/claims → 404"
    request: httpx.Request | None = field(default=None, compare=False, repr=False)  # to ask again


def applying(
    feed: Feed, readings: dict[str, str], request: httpx.Request, response: httpx.Response, place: str | None = None
) -> list[dict[str, Any]]:
    """The feed's exchange checks that apply to one response."""
    checks = feed.spec.get("exchange_checks", [])
    return [c for c in checks if _applies(c.get("when", {}), readings, request, response, place)]


def longest_limit(feed: Feed) -> float:
    """The longest time limit of the feed's exchange checks (0 when it has none)."""
    return max((float(c["within"]) for c in feed.spec.get("exchange_checks", []) if "within" in c), default=0.0)


def overdue(
    feed: Feed, readings: dict[str, str], request: httpx.Request, place: str | None, waited: float
) -> list[Violation]:
    """A request that got no answer within `waited` seconds, at least a time limit that applies to it:
    a violation of that limit's requirement (the checks that need the answer's status or body cannot
    tell, and are left out)."""
    found = []
    for check in feed.spec.get("exchange_checks", []):
        when = check.get("when", {})
        if "within" not in check or "status" in when or "body" in when:
            continue
        if waited >= float(check["within"]) and _applies(when, readings, request, None, place):
            exchange = f"{request.method} {request.url.path} → no answer"
            problem = f"no answer within {waited:.1f} s; the limit is {float(check['within']):g} s"
            found.append(Violation(check["requirement"], problem, exchange, request))
    return found


def covers(feed: Feed, check: dict[str, Any]) -> tuple[str, ...]:
    """The requirements a check holds a response to."""
    if "covers" in check:
        return tuple(check["covers"])
    if "requirement" in check:
        return (check["requirement"],)
    kind = feed.kinds.get(check.get("body", ""))
    return (kind.spec["requirement"],) if kind is not None and "requirement" in kind.spec else ()


def violations(
    feed: Feed, readings: dict[str, str], request: httpx.Request, response: httpx.Response, place: str | None = None
) -> list[Violation]:
    """What the feed's exchange checks find in one response."""
    return find(feed, readings, request, response, applying(feed, readings, request, response, place))


def find(
    feed: Feed, readings: dict[str, str], request: httpx.Request, response: httpx.Response, checks: list[dict[str, Any]]
) -> list[Violation]:
    """What the given checks find in one response."""
    exchange = f"{request.method} {request.url.path} → {response.status_code}"
    found: list[Violation] = []
    for check in checks:
        if "within" in check and response.elapsed.total_seconds() > float(check["within"]):
            took, limit = response.elapsed.total_seconds(), float(check["within"])
            found.append(
                Violation(
                    check["requirement"], f"answered in {took:.1f} s; the limit is {limit:g} s", exchange, request
                )
            )
        for name, pattern in check.get("headers", {}).items():
            value = response.headers.get(name)
            if value is None or not re.search(pattern, value):
                seen = "absent" if value is None else f"{value!r}"
                problem = f"header {name} is {seen} (wanted {pattern})"
                found.append(Violation(check["requirement"], problem, exchange, request))
        for pointer, pattern in check.get("members", {}).items():
            value = _member(response, pointer)
            if value is None or not re.search(pattern, value):
                seen = "absent" if value is None else json.dumps(value)
                problem = f"the body's {pointer} is {seen} (wanted {pattern})"
                found.append(Violation(check["requirement"], problem, exchange, request))
        if "body" in check:
            body = _body_findings(feed, check["body"], check.get("requirement"), readings, response)
            found += [Violation(r, p, exchange, request) for r, p in body]
    return found


def _as_http(response: httpx.Response) -> bytes:
    """The response as a message file holds it: status line, headers and the body as received (already
    decoded from any transfer or content coding, so those headers go and Content-Length is its own)."""
    dropped = {"content-encoding", "transfer-encoding", "content-length"}
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items() if k.lower() not in dropped)
    head += f"Content-Length: {len(response.content)}\r\n"
    return head.encode("latin-1") + b"\r\n" + response.content


def _member(response: httpx.Response, pointer: str) -> str | None:
    """The text of a JSON body's member at `pointer` (a scalar as JSON writes it), None when absent."""
    try:
        node: Any = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    for token in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node if isinstance(node, str) else json.dumps(node)


def _applies(
    when: dict[str, Any],
    readings: dict[str, str],
    request: httpx.Request,
    response: httpx.Response | None,
    place: str | None = None,
) -> bool:
    if response is None and ("status" in when or "body" in when):
        return False
    if "status" in when and response is not None and not re.fullmatch(when["status"], str(response.status_code)):
        return False
    if "place" in when and (place is None or not re.fullmatch(when["place"], place)):
        return False
    if "method" in when and not re.fullmatch(when["method"], request.method):
        return False
    if "path" in when and not re.search(when["path"], request.url.path):
        return False
    if "not_path" in when and re.search(when["not_path"], request.url.path):
        return False
    if "body" in when and response is not None and not re.search(when["body"], response.content.decode("latin-1")):
        return False
    return not any(readings.get(rid) == option for rid, option in when.get("unless_reading", {}).items())


def _body_findings(
    feed: Feed, kind: str, unreadable: str | None, readings: dict[str, str], response: httpx.Response
) -> list[tuple[str, str]]:
    """The error findings of the kind's validator on the body (written to a file it reads as any file)."""
    from .validators.engine import Options, validate_file
    from .validators.messages import MESSAGE_FORMATS

    named = None if kind == "any" else feed.kinds[kind]
    whole = named is None or named.spec.get("format") in MESSAGE_FORMATS
    with tempfile.TemporaryDirectory(prefix="payercert-body-") as folder:
        formats = [] if named is None else named.spec.get("formats", [])
        path = Path(folder) / ("body." + formats[0] if formats else "body")  # read in the kind's format
        path.write_bytes(_as_http(response) if whole else response.content)
        report = validate_file(path, Options(feed=feed.id, kind=None if named is None else kind, readings=readings))
    if report.unusable is not None:  # named by the check's requirement, else the kind's syntax rule
        requirement = unreadable or (named.spec.get("syntax_requirement") if named is not None else None)
        what = kind if named is not None else f"message of {feed.id}"
        return [(requirement, f"the body is no {what}: {report.unusable.split(': ', 1)[-1]}")] if requirement else []
    return [(f.requirement, f"the body ({kind}): {f.message}") for f in report.findings if f.severity.value == "error"]
