"""Authentication Endpoint: password grant with Basic appId:appSecret, token response, failures."""

import base64
import json
import secrets
import time
import uuid

import pytest

from payercert.errors import CannotTell

requirement = pytest.mark.requirement


def _jwt_header(token: str) -> dict:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


@pytest.mark.smoke
@requirement("LTSS-AUTH-1", "LTSS-AUTH-2")
def test_token_issued_for_password_grant(ltss):
    """A password grant with Basic client credentials returns a Bearer JWT"""
    response = ltss.token_response()
    assert response.status_code == 200, f"LTSS-AUTH-1: expected 200, got {response.status_code} {response.text[:200]}"
    body = response.json()
    missing = {"access_token", "expires_in", "token_type", "scope"} - set(body)
    assert not missing, f"LTSS-AUTH-2: token response lacks {sorted(missing)}"
    assert body["token_type"] == "Bearer", f"LTSS-AUTH-2: token_type must be 'Bearer', got {body['token_type']!r}"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, (
        f"LTSS-AUTH-2: expires_in must be a positive number of seconds, got {body['expires_in']!r}"
    )
    assert body["access_token"].count(".") == 2 and "alg" in _jwt_header(body["access_token"]), (
        "LTSS-AUTH-2: access_token is not a JWT"
    )


@pytest.mark.readonly
@requirement("LTSS-AUTH-1")
def test_token_issued_for_multipart_form(ltss):
    """The document's curl -F sample (multipart form) also gets a token"""
    response = ltss.token_response(form="multipart")
    assert response.status_code == 200, f"LTSS-AUTH-1: multipart token request got {response.status_code}"
    assert response.json().get("token_type") == "Bearer"


@pytest.mark.smoke
@requirement("LTSS-AUTH-3")
def test_wrong_app_secret_is_invalid_client(ltss, target):
    """A wrong appSecret gets invalid_client and no token"""
    response = ltss.token_response(app_secret="wrong-" + secrets.token_hex(8))
    status = 400 if target.reading("LTSS-R-CLIENT-ERROR-STATUS") == "identityserver" else 401
    assert response.status_code == status, f"LTSS-AUTH-3: expected HTTP {status}, got {response.status_code}"
    body = response.json()
    assert body.get("error") == "invalid_client", f"LTSS-AUTH-3: expected error invalid_client, got {body}"
    assert "access_token" not in body


@pytest.mark.readonly
@requirement("LTSS-AUTH-3")
def test_unknown_app_id_is_invalid_client(ltss, target):
    """An appId the payer never issued gets invalid_client"""
    response = ltss.token_response(app_id="unknown-" + uuid.uuid4().hex[:8])
    status = 400 if target.reading("LTSS-R-CLIENT-ERROR-STATUS") == "identityserver" else 401
    assert response.status_code == status and response.json().get("error") == "invalid_client", (
        f"LTSS-AUTH-3: expected {status} invalid_client, got {response.status_code} {response.text[:200]}"
    )


@pytest.mark.readonly
@requirement("LTSS-AUTH-4")
def test_client_without_scope_is_invalid_scope(ltss, target):
    """A client whose scopes do not allow issuance gets invalid_scope"""
    account = target.require_account("no_scope_client")
    response = ltss.token_response(app_id=account["app_id"], app_secret=account["app_secret"])
    status = 400 if target.reading("LTSS-R-CLIENT-ERROR-STATUS") == "identityserver" else 401
    assert response.status_code == status, f"LTSS-AUTH-4: expected HTTP {status}, got {response.status_code}"
    assert response.json().get("error") == "invalid_scope", f"LTSS-AUTH-4: got {response.text[:200]}"


@pytest.mark.smoke
@requirement("LTSS-AUTH-5")
def test_wrong_password_gets_no_token(ltss):
    """A wrong SSO password is refused with an OAuth error and no token"""
    response = ltss.token_response(password="Wrong-" + secrets.token_hex(8))
    assert response.status_code in (400, 401), f"LTSS-AUTH-5: expected 400 or 401, got {response.status_code}"
    body = response.json()
    assert "error" in body and "access_token" not in body, f"LTSS-AUTH-5: got {body}"


@pytest.mark.readonly
@requirement("LTSS-AUTH-7")
def test_token_request_that_is_not_a_form(ltss, target):
    """A token request with a JSON body is refused as the document says (HTTP 500)"""
    response = ltss.token_response(form="json")
    if target.reading("LTSS-R-TOKEN-CONTENT-TYPE") == "identityserver":
        assert response.status_code == 400 and response.json().get("error") == "invalid_request", (
            f"LTSS-AUTH-7 (identityserver reading): expected 400 invalid_request, got {response.status_code}"
        )
    else:
        assert response.status_code == 500, f"LTSS-AUTH-7: expected HTTP 500, got {response.status_code}"


@pytest.mark.smoke
@requirement("LTSS-UP-1")
def test_upload_without_token_is_401(ltss):
    """An upload with no Authorization header gets 401"""
    response = ltss.upload({"TransactionId": str(uuid.uuid4())}, token="")
    assert response.status_code == 401, f"LTSS-UP-1: expected 401, got {response.status_code}"


@pytest.mark.smoke
@requirement("LTSS-UP-2")
def test_upload_with_garbled_token_is_401(ltss):
    """An upload with a token that is not a valid JWT gets 401"""
    token = ltss.token()
    garbled = token[:-8] + ("A" * 8 if not token.endswith("A" * 8) else "B" * 8)
    for value in (f"Bearer {garbled}", "Bearer not-a-jwt", f"Basic {token}"):
        response = ltss.upload({"TransactionId": str(uuid.uuid4())}, authorization=value)
        assert response.status_code == 401, f"LTSS-UP-2: {value[:12]}... got {response.status_code}, expected 401"


def short_token(ltss, target) -> tuple[dict, float]:
    """A token short-lived enough to wait out, and when it was asked for (monotonic seconds, before
    the request left: the token cannot have been issued earlier).

    Waiting out a token is only practical when it lives seconds: a target names a client whose
    tokens are short-lived (`accounts.short_token_client`), or its own tokens are short enough
    (`options.max_token_wait`, default 15 s). Every other test keeps its ordinary, long-lived token."""
    short = target.target.account("short_token_client")
    asked = time.monotonic()
    response = ltss.token_response(**short) if short else ltss.token_response()
    assert response.status_code == 200, f"LTSS-AUTH-1: token request refused with HTTP {response.status_code}"
    body = response.json()
    longest_wait = float(target.target.options.get("max_token_wait", 15))
    if body["expires_in"] > longest_wait:
        pytest.skip(
            f"tokens live {body['expires_in']}s, longer than max_token_wait={longest_wait:g}s on this target "
            "(name a client with short-lived tokens under accounts.short_token_client)"
        )
    return body, asked


@pytest.mark.slow
@requirement("LTSS-UP-2", "LTSS-AUTH-6")
def test_expired_token_is_401(ltss, target):
    """A token is refused once expires_in seconds have passed"""
    body, _asked = short_token(ltss, target)
    accepted = ltss.upload({"TransactionId": str(uuid.uuid4())}, token=body["access_token"])
    assert accepted.status_code != 401, "LTSS-AUTH-6: a token was refused at once, before its expires_in passed"
    time.sleep(body["expires_in"] + 1.5)
    refused = ltss.upload({"TransactionId": str(uuid.uuid4())}, token=body["access_token"])
    assert refused.status_code == 401, f"LTSS-AUTH-6: an expired token got {refused.status_code}, expected 401"


@pytest.mark.slow
@requirement("LTSS-AUTH-6")
def test_token_works_for_the_lifetime_it_announces(ltss, target):
    """A token is accepted until its expires_in has passed: used when 40% of it is gone. A refusal
    counts only when it certainly came before the announced end, less the second a whole-second exp
    may round away (answered by then, the token asked for no earlier than measured); a later one
    cannot tell"""
    body, asked = short_token(ltss, target)
    lifetime = float(body["expires_in"])
    time.sleep(max(0.0, asked + lifetime * 0.4 - time.monotonic()))
    response = ltss.upload({"TransactionId": str(uuid.uuid4())}, token=body["access_token"])
    answered = time.monotonic() - asked
    if response.status_code == 401 and answered >= lifetime - 1.0:
        raise CannotTell(f"the use of a {lifetime:g} s token was answered only after {answered:.1f} s")
    assert response.status_code != 401, (
        f"LTSS-AUTH-6: a token announced to live {lifetime:g} s was refused {answered:.1f} s after it was asked for"
    )
