"""The error payload: a JSON object with a message on every error, an event_id on unexpected ones,
and meaningful statuses. Read-only (GETs only), so nothing here is `mutating`."""

import pytest

from payercert.suites.tpastream.client import error_findings, strict_json

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement


@requirement("TPA-ERR-2", "TPA-QUERY-4")
@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": -1}, {"per_page": 0}, {"per_page": "abc"}, {"page": "1.5"}],
    ids=["page-0", "page-negative", "per_page-0", "per_page-text", "page-decimal"],
)
def test_invalid_paging_is_a_client_error(tpa, params):
    """A page or per_page that is not a positive integer gets a 4xx with a message (a 400 has a message)"""
    response = tpa.get("/claims", params)
    assert 400 <= response.status_code < 500, f"TPA-QUERY-4: {params} answered {response.status_code}"
    problems = error_findings(response)
    assert not problems, f"TPA-ERR-{2 if response.status_code == 400 else 1}: {problems[0]}"


@requirement("TPA-ERR-1", "TPA-ERR-7")
@pytest.mark.parametrize("case", ["no-credentials", "unknown-path", "bad-page", "unknown-employer"])
def test_every_error_has_a_message(tpa, case):
    """Every error body is a JSON object with a string message, under a 4xx status, never a 200"""
    response = {
        "no-credentials": lambda: tpa.get("/claims", authorization=None),
        "unknown-path": lambda: tpa.get("/no-such-resource"),
        "bad-page": lambda: tpa.get("/claims", {"page": "x"}),
        "unknown-employer": lambda: tpa.get("/employer/987654321012/claims"),
    }[case]()
    assert 400 <= response.status_code < 500, f"TPA-ERR-7: {case} answered {response.status_code}"
    problems = error_findings(response)
    assert not problems, f"TPA-ERR-1: {problems[0]}"


@requirement("TPA-ERR-6")
def test_unexpected_error_has_event_id(tpa, target):
    """An unexpected error (5xx) carries a message and a non-empty event_id"""
    url = target.target.options.get("error_url")
    if not url:
        pytest.skip("the target documents no request that causes an unexpected error (options.error_url)")
    response = tpa.get("", url=url)
    assert response.status_code >= 500, f"TPA-ERR-6: options.error_url answered {response.status_code}, not a 5xx"
    body = strict_json(response.content)
    assert isinstance(body, dict) and isinstance(body.get("message"), str), (
        f"TPA-ERR-6: 5xx body without message: {response.text[:200]}"
    )
    assert isinstance(body.get("event_id"), str) and body["event_id"], (
        f"TPA-ERR-6: 5xx body without event_id: {response.text[:200]}"
    )
