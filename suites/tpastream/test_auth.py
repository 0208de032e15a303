"""Authentication (Basic e-mail:secret API key over HTTPS) and the IP CIDR allow-list.

Read-only: every request is a GET, so no test here is `mutating`. SSH-JWT (TPA-JWT-*) is not tested."""

import base64
import re
import secrets

import pytest

from payercert.auth import basic_auth
from payercert.feeds import load_feed
from payercert.openapi import secured_operations
from payercert.suites.tpastream.client import error_findings, strict_json
from payercert.suites.transport_probes import Answer, plain_answer, plain_http_url, served_over_plain_http
from payercert.wording import header_shown

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement


def assert_refused(response, status, req):
    assert response.status_code == status, (
        f"{req}: expected HTTP {status}, got {response.status_code} {response.text[:200]}"
    )
    problems = error_findings(response)
    assert not problems, f"TPA-ERR-{ {401: 3, 403: 4}[status] }: {problems[0]}"
    body = strict_json(response.content)
    assert "data" not in body, f"{req}: a refused request got data"


@pytest.mark.smoke
@requirement("TPA-AUTH-1", "TPA-FMT-1", "TPA-FMT-3")
def test_good_key_is_served(tpa):
    """Basic e-mail:API key gets 200 and the JSON envelope"""
    response = tpa.get("/claims", {"per_page": 1})
    assert response.status_code == 200, f"TPA-AUTH-1: got {response.status_code} {response.text[:200]}"
    assert response.headers.get("content-type", "").split(";")[0].strip() == "application/json", (
        f"TPA-FMT-3: Content-Type {header_shown(response, 'content-type')}"
    )
    body = strict_json(response.content)
    assert isinstance(body, dict) and isinstance(body.get("data"), list), "TPA-FMT-1: no data array in the body"


# every operation the document secures; the first (GET /claims) is also a smoke test
SECURED = [
    pytest.param(op, id=f"{op[0]} {op[1]}", marks=[pytest.mark.smoke] if n == 0 else [])
    for n, op in enumerate(secured_operations(load_feed("tpastream").root / "openapi.yaml"))
]


def secured_path(tpa, template: str) -> str:
    """An operation's path with a real id (a server may look the id up before it checks credentials)."""
    ids = tpa.path_ids()
    return re.sub(r"^/(\w+)/\{id\}", lambda m: f"/{m.group(1)}/{ids.get('/' + m.group(1), '1')}", template)


@requirement("TPA-AUTH-2", "TPA-ERR-3")
@pytest.mark.parametrize("operation", SECURED)
def test_wrong_key_is_401(tpa, target, operation):
    """A valid e-mail with a wrong API key gets 401 with a message and no data, on every operation"""
    wrong = basic_auth(target.credential("email"), "wrong-" + secrets.token_hex(12))
    response = tpa.get(secured_path(tpa, operation[1]), authorization=wrong)
    assert_refused(response, 401, "TPA-AUTH-2")


@requirement("TPA-AUTH-3", "TPA-ERR-3")
@pytest.mark.parametrize("operation", SECURED)
def test_no_credentials_is_401(tpa, operation):
    """A request without an Authorization header gets 401 with a message and no data, on every operation"""
    assert_refused(tpa.get(secured_path(tpa, operation[1]), authorization=None), 401, "TPA-AUTH-3")


@requirement("TPA-AUTH-4")
def test_unknown_email_answered_like_wrong_key(tpa, target):
    """An unknown e-mail gets exactly what a wrong API key gets"""
    key = "wrong-" + secrets.token_hex(12)
    wrong = tpa.get("/claims", authorization=basic_auth(target.credential("email"), key))
    unknown = tpa.get("/claims", authorization=basic_auth(f"nobody-{secrets.token_hex(4)}@example.com", key))
    assert (unknown.status_code, unknown.text) == (wrong.status_code, wrong.text), (
        f"TPA-AUTH-4: unknown e-mail {unknown.status_code} {unknown.text[:100]} vs wrong key {wrong.status_code} {wrong.text[:100]}"
    )


@requirement("TPA-AUTH-5")
@pytest.mark.parametrize(
    "header",
    ["Basic !!not-base64!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Token abc", "Basic"],
    ids=["not-base64", "no-colon", "unknown-scheme", "empty"],
)
def test_malformed_authorization_is_401(tpa, header):
    """A malformed Authorization header gets 401 with a message, never a 5xx"""
    response = tpa.get("/claims", authorization=header)
    assert response.status_code == 401, f"TPA-AUTH-5: {header.split()[0]}... got {response.status_code}"
    assert not error_findings(response), f"TPA-AUTH-5: {error_findings(response)[0]}"


@requirement("TPA-AUTH-8")
def test_no_session_stands_in_for_credentials(tpa):
    """Right after an accepted request, one without credentials is still refused"""
    assert tpa.get("/claims", {"per_page": 1}).status_code == 200
    response = tpa.get("/claims", {"per_page": 1}, authorization=None)
    assert response.status_code == 401, f"TPA-AUTH-8: got {response.status_code} without credentials after a 200"


@pytest.mark.smoke
@requirement("TPA-AUTH-6")
def test_plain_http_is_not_served(tpa):
    """A plain-HTTP request (no credentials) is refused or redirected to HTTPS, never answered with data"""
    url = tpa.url("/claims")
    assert url.startswith("https://"), f"TPA-AUTH-6: the API URL itself is not HTTPS: {url}"
    over_https = Answer.of(tpa.get("/claims", authorization=None))
    over_http = plain_answer(lambda: tpa.get("/claims", authorization=None, url=plain_http_url(url)))
    problem = served_over_plain_http(over_https, over_http)
    assert problem is None, f"TPA-AUTH-6: {problem}"


def _outside(target, tpa):
    """A request with valid credentials from outside the allow-list: from options.outside_address
    (an address of this host the credentials' allow-list excludes), else with accounts.restricted."""
    address = target.target.options.get("outside_address")
    if address:
        return tpa.get("/claims", {"per_page": 1}, transport=target.transport_from(address))
    account = target.require_account("restricted")
    return tpa.get("/claims", {"per_page": 1}, authorization=basic_auth(account["email"], account["api_key"]))


@pytest.mark.smoke
@requirement("TPA-IP-1", "TPA-ERR-4")
def test_outside_allow_list_is_403(tpa, target):
    """Valid credentials from outside the user's IP CIDR allow-list get 403 and no data"""
    response = _outside(target, tpa)
    assert response.status_code == 403, (
        f"TPA-IP-1: expected 403 from outside the allow-list, got {response.status_code}"
    )
    problems = error_findings(response, target.reading("TPA-R-403-BODY"))
    assert not problems, f"TPA-ERR-4: {problems[0]}"
    assert '"data"' not in response.text, "TPA-IP-1: a refused request got data"


@requirement("TPA-IP-1")
def test_restricted_account_is_403(tpa, target):
    """A user whose allow-list excludes this host gets 403 with valid credentials"""
    account = target.require_account("restricted")
    response = tpa.get("/claims", {"per_page": 1}, authorization=basic_auth(account["email"], account["api_key"]))
    assert response.status_code == 403, f"TPA-IP-1: restricted account got {response.status_code}, expected 403"
