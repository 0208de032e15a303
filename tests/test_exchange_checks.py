"""Checks on every exchange (payercert/exchange_checks.py, feed.yaml `exchange_checks`): what a
feed's spec says of every response of a sort holds on each response, whatever the test that asked,
and a violation is named by the requirement it breaks."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from payercert.exchange_checks import violations
from payercert.feeds import discover, load_feed
from payercert.surfaces import surfaces_of


def exchange(method: str, url: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
    request = httpx.Request(method, url)
    return request, httpx.Response(status, content=body, headers=headers or {}, request=request)


def found(feed_id: str, method: str, url: str, status: int, body: bytes = b"", headers=None, readings=None):
    feed = load_feed(feed_id)
    request, response = exchange(method, url, status, body, headers)
    return [
        (v.requirement, v.problem) for v in violations(feed, readings or feed.default_readings(), request, response)
    ]


def test_an_error_without_its_payload_is_named_by_the_requirement_it_breaks():
    problems = found("lanternpay", "GET", "https://lp.example/contracts/1", 404, b"Not Found")
    assert [r for r, _ in problems] == ["LP-JSON-1"] and "not JSON" in problems[0][1]
    problems = found("lanternpay", "GET", "https://lp.example/contracts/1", 404, json.dumps({"type": None}).encode())
    assert problems == [("LP-ERR-1", "the body (error-payload): the record: required member title is missing")]
    assert (
        found(
            "lanternpay",
            "GET",
            "https://lp.example/contracts/1",
            404,
            json.dumps({"title": "No such contract"}).encode(),
        )
        == []
    )


def test_a_check_governs_only_the_responses_it_names():
    contract = (load_feed("lanternpay").root / "samples" / "valid" / "contract.json").read_bytes()
    assert found("lanternpay", "GET", "https://lp.example/contracts/1", 200, contract) == []  # not an error
    problems = found("lanternpay", "GET", "https://lp.example/contracts/1", 200, b'{"_links": {}}')
    assert "LP-CON-3" in [r for r, _ in problems]  # but a contract
    assert found("lanternpay", "POST", "https://lp.example/oauth/connect/token", 400, b'{"error": "x"}') == []
    # AB2D: a path no AB2D controller maps is answered by the framework, not AB2D's error handler
    assert found("ab2d", "GET", "https://ab2d.example/api/v1/fhir/$export", 404, b"Not Found") == []
    assert [r for r, _ in found("ab2d", "GET", "https://ab2d.example/api/v2/fhir/Job/x/$status", 404, b"{}")] == [
        "AB2D-ERR-1"
    ]


def test_headers_every_status_poll_carries_on_every_version():
    poll = "https://ab2d.example/api/v3/fhir/Job/33333333-aaaa/$status"
    good = {"X-Progress": "40% complete", "Retry-After": "5"}
    assert found("ab2d", "GET", poll, 202, headers=good) == []
    problems = found("ab2d", "GET", poll, 202, headers={"Retry-After": "5"})
    assert problems == [("AB2D-STATUS-1", r"header X-Progress is absent (wanted ^\d{1,3}% complete$)")]


def test_members_a_body_must_have():
    url = "https://lp.example/member/M-1/contracts"
    contracts = json.loads((load_feed("lanternpay").root / "samples" / "valid" / "member-contracts.json").read_bytes())
    assert found("lanternpay", "GET", url, 200, json.dumps(contracts).encode()) == []
    contracts["_links"].pop("self")
    assert found("lanternpay", "GET", url, 200, json.dumps(contracts).encode()) == [
        ("LP-HAL-7", "the body's /_links/self/href is absent (wanted ^https?://)")
    ]
    assert found("lanternpay", "GET", "https://lp.example/", 200, b"{}") == []  # the root has rules of its own


def test_an_unreadable_body_is_named_by_the_checks_requirement():
    """A successful WebBBS answer that is no CORE message at all breaks the check's own requirement."""
    body = b"<html>OK ErrorCode>Success</html>"
    problems = found("webbbs", "POST", "https://webbbs.example/soap/coreservice.svc/realtime", 200, body)
    assert [r for r, _ in problems] == ["WEBBBS-SOAP-1"] and problems[0][1].startswith(
        "the body is no message of webbbs: "
    )


def test_a_reading_that_allows_a_bare_answer_turns_its_check_off():
    url = "https://tpa.example/api/claims"
    assert [r for r, _ in found("tpastream", "GET", url, 403, b"")] == ["TPA-ERR-1"]
    assert found("tpastream", "GET", url, 403, b"", readings={"TPA-R-403-BODY": "bare"}) == []
    json_type = {"Content-Type": "application/json"}
    assert found("tpastream", "GET", url, 404, b'{"message": "No claim 7."}', json_type) == []


def test_a_json_body_under_another_content_type_is_named():
    url = "https://tpa.example/api/employer"
    problems = found("tpastream", "GET", url, 404, b'{"message": "No page 7."}', {"Content-Type": "text/html"})
    assert problems == [("TPA-FMT-3", "header Content-Type is 'text/html' (wanted ^application/json\\b)")]


@pytest.mark.parametrize("feed_id", discover())
def test_every_exchange_check_names_a_kind_and_requirements_of_its_feed(feed_id):
    feed = load_feed(feed_id)
    for check in feed.spec.get("exchange_checks", []):
        assert check.get("body") or check.get("headers") or check.get("members") or check.get("within"), check
        assert check.get("body", "any") == "any" or check["body"] in feed.kinds, check
        assert not (check.get("headers") or check.get("members") or check.get("within")) or "requirement" in check, (
            check
        )
        places = surfaces_of(feed_id).places
        assert "place" not in check["when"] or any(re.fullmatch(check["when"]["place"], p) for p in places), check
        assert check.get("requirement", next(iter(feed.requirements))) in feed.requirements, check
        for reading, option in check["when"].get("unless_reading", {}).items():
            assert option in feed.readings[reading]["options"], check


def test_a_violation_seen_by_any_test_is_reported_under_its_own_requirement(tmp_path):
    """A 404 body without message (the fault breaks the 404 rule, TPA-ERR-5) is met by tests of other
    requirements too: each such response is also a failure of TPA-ERR-1 (every error body has a
    message), in the certificate and in Allure, naming the exchange and the test that met it."""
    from certify_runs import certify

    result = certify(tmp_path / "reports", "--feed", "tpastream", "--fault", "error-without-message")
    assert result.code == 1, result.stdout[-2000:] + result.stderr[-2000:]
    (row,) = [r for r in result.feed("tpastream")["requirements"] if r["id"] == "TPA-ERR-1"]
    checks = [t for t in row["tests"] if t["title"] == "Every response: TPA-ERR-1"]
    assert checks and all(t["status"] == "failed" for t in checks), row
    assert all(
        "→ 404, during " in t["message"] and "required member message is missing" in t["message"] for t in checks
    )
    written = [json.loads(p.read_text()) for p in (tmp_path / "reports" / "allure-results").glob("*-result.json")]
    named = [r for r in written if r["name"] == "Every response: TPA-ERR-1"]
    assert len(named) == len(checks) and {label["value"] for r in named for label in r["labels"]} >= {"TPA-ERR-1"}


def test_a_slow_answer_is_a_finding_with_the_time_and_the_limit():
    from datetime import timedelta

    feed = load_feed("webbbs")
    body = b"<soap:Envelope><soap:Body><COREEnvelopeRealTimeRequest/></soap:Body></soap:Envelope>"
    request = httpx.Request("POST", "https://w.example/soap/coreservice.svc/realtime", content=body)
    response = httpx.Response(500, content=b"", request=request)
    place = surfaces_of("webbbs").place_of(request)
    response.elapsed = timedelta(seconds=23.4)
    problems = [(v.requirement, v.problem) for v in violations(feed, feed.default_readings(), request, response, place)]
    assert problems == [("WEBBBS-TIME-1", "answered in 23.4 s; the limit is 20 s")]
    response.elapsed = timedelta(seconds=19.9)
    assert violations(feed, feed.default_readings(), request, response, place) == []


def test_no_answer_within_the_limit_is_a_finding_never_a_vague_timeout():
    from payercert.exchange_checks import overdue

    feed = load_feed("webbbs")
    request = httpx.Request("POST", "https://w.example/mime/COREservice.aspx")
    found = overdue(feed, feed.default_readings(), request, "MIME batch", 70.0)
    assert [(v.requirement, v.problem) for v in found] == [
        ("WEBBBS-TIME-2", "no answer within 70.0 s; the limit is 60 s")
    ]
    assert overdue(feed, feed.default_readings(), request, "MIME batch", 30.0) == []  # cut short: cannot tell
