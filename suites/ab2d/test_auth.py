"""Authorization: Okta client credentials (seed "Retrieve a token") and the bearer token on every
API call (seed "Secure the API"; docs/sources/ab2d.md 1.1, 1.3)."""

import secrets
import ssl
from urllib.parse import urlparse

import jwt
import pytest

from payercert.feeds import load_feed
from payercert.openapi import filled, secured_operations
from payercert.suites.ab2d.client import auth_refusal
from payercert.suites.transport_probes import accepted_old, handshake

requirement = pytest.mark.requirement


@pytest.mark.smoke
@requirement("AB2D-AUTH-2")
def test_good_credentials_get_a_token(ab2d):
    """client_credentials with Basic client_id:secret and scope clientCreds gets a bearer JWT and expires_in"""
    response = ab2d.request_token()
    assert response.status_code == 200, f"AB2D-AUTH-2: got {response.status_code} {response.text[:200]}"
    body = response.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2, (
        "AB2D-AUTH-2: access_token is not a JWT"
    )
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, (
        f"AB2D-AUTH-2: expires_in is {body.get('expires_in')!r}"
    )
    assert str(body.get("token_type", "")).lower() == "bearer", f"AB2D-AUTH-2: token_type {body.get('token_type')!r}"


@pytest.mark.readonly
@requirement("AB2D-AUTH-10")
def test_grant_and_scope_in_the_query_string_get_a_token(ab2d):
    """grant_type and scope in the token URL's query string (the tutorial's way) get a token too"""
    response = ab2d.request_token(in_query=True)
    assert response.status_code == 200, f"AB2D-AUTH-10: got {response.status_code} {response.text[:200]}"
    token = response.json().get("access_token")
    assert isinstance(token, str) and token.count(".") == 2, "AB2D-AUTH-10: access_token is not a JWT"


@pytest.mark.readonly
@requirement("AB2D-AUTH-7")
def test_token_claims(ab2d, target):
    """The access token names its issuer, audience AB2D, scope clientCreds and the client as subject"""
    claims = jwt.decode(ab2d.token(), options={"verify_signature": False})
    token_url = target.url("token")
    assert claims.get("aud") == "AB2D", f"AB2D-AUTH-7: aud {claims.get('aud')!r}"
    assert "clientCreds" in (claims.get("scp") or []), f"AB2D-AUTH-7: scp {claims.get('scp')!r}"
    assert claims.get("sub") == ab2d.client_id, "AB2D-AUTH-7: sub is not the client id"
    assert token_url.startswith(str(claims.get("iss", "-"))), (
        f"AB2D-AUTH-7: iss {claims.get('iss')!r} is not the token URL's authorization server"
    )


@pytest.mark.smoke
@requirement("AB2D-AUTH-3")
@pytest.mark.parametrize("case", ["wrong-secret", "unknown-client", "wrong-scope"])
def test_bad_token_requests_are_refused(ab2d, case):
    """A wrong secret, an unknown client id or a scope other than clientCreds gets a 4xx and no token"""
    kwargs = {
        "wrong-secret": {"secret": "wrong-" + secrets.token_hex(16)},
        "unknown-client": {"client_id": "0oa" + secrets.token_hex(8)},
        "wrong-scope": {"scope": "system/*.read"},
    }[case]
    response = ab2d.request_token(**kwargs)
    assert 400 <= response.status_code < 500, f"AB2D-AUTH-3: {case} got {response.status_code}"
    assert "access_token" not in response.text, f"AB2D-AUTH-3: {case} got an access_token"


@pytest.mark.smoke
@requirement("AB2D-AUTH-5", "AB2D-ERR-4")
@pytest.mark.parametrize(
    "header",
    [None, "Basic abc", "Bearer", "bearer x.y.z"],
    ids=["no-header", "basic", "bearer-without-token", "lowercase-scheme"],
)
def test_missing_or_malformed_authorization_is_401(ab2d, target, header):
    """No Authorization, a header not starting with "Bearer " or an empty token gets 401"""
    response = ab2d.call(
        "GET",
        ab2d.fhir("v1") + "/Job/9ad207d2-11ff-45b8-9c6c-2d59b86ea45c/$status",
        token=None,
        headers={"Authorization": header} if header else {},
    )
    auth_refusal(response, 401, "AB2D-AUTH-5", target)


def _self_signed(ab2d) -> str:
    claims = jwt.decode(ab2d.token(), options={"verify_signature": False})
    return jwt.encode(claims, secrets.token_bytes(32), algorithm="HS256")


@requirement("AB2D-AUTH-6", "AB2D-ERR-4")
@pytest.mark.parametrize("case", ["self-signed", "no-claims", "tampered-subject"])
def test_token_that_does_not_verify_is_403(ab2d, second, target, case):
    """A self-signed JWT, one without claims, or a signed token with another subject gets 403"""
    if case == "self-signed":
        token = _self_signed(ab2d)
    elif case == "no-claims":
        token = jwt.encode({}, secrets.token_bytes(32), algorithm="HS256")
    else:
        head, body, signature = ab2d.token().split(".")
        claims = jwt.decode(ab2d.token(), options={"verify_signature": False}) | {"sub": "0oa" + secrets.token_hex(8)}
        forged = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
        token = f"{head}.{forged}.{signature}"
    response = ab2d.kickoff("v1", token=token)
    auth_refusal(response, 403, "AB2D-AUTH-6", target)


@pytest.mark.readonly
@requirement("AB2D-AUTH-8")
def test_health_is_public(ab2d, target):
    """GET /health answers 200 without a token"""
    response = ab2d.call("GET", target.url("api").rstrip("/") + "/health", token=None)
    assert response.status_code == 200, f"AB2D-AUTH-8: /health got {response.status_code}"


@pytest.mark.smoke
@requirement("AB2D-AUTH-9")
def test_https_with_tls_1_2_or_later(ab2d, target):
    """The token URL and the API are HTTPS; the API negotiates TLS 1.2 or later and refuses a
    handshake that offers only TLS 1.1"""
    for name in ("token", "fhir_v1", "fhir_v2"):
        assert target.url(name).startswith("https://"), f"AB2D-AUTH-9: {name} URL is not https: {target.url(name)}"
    url = ab2d.fhir("v1")
    version = handshake(url, target.verify)
    assert version in ("TLSv1.2", "TLSv1.3"), f"AB2D-AUTH-9: negotiated {version}"
    old = accepted_old(url, ssl.TLSVersion.TLSv1_1)
    assert old is None, f"AB2D-AUTH-9: a handshake offering only TLS 1.1 was accepted ({old})"


# refused, nothing is written; wrongly accepted, a kick-off starts a job and a DELETE cancels one
SECURED = [
    pytest.param((m, p), id=f"{m} {p}", marks=[pytest.mark.readonly] if m == "GET" and "$export" not in p else [])
    for m, p in secured_operations(load_feed("ab2d").root / "openapi.yaml")
    if "/oauth2/" not in p
]


@requirement("AB2D-AUTH-5", "AB2D-ERR-4", "AB2D-DOWNLOAD-3")
@pytest.mark.parametrize("operation", SECURED)
def test_every_secured_operation_without_a_token_is_401(ab2d, target, operation):
    """Every operation the API secures, on every version (kick-off, status, cancel, download), answers 401 without a token"""
    method, template = operation
    origin = "{0.scheme}://{0.netloc}".format(urlparse(ab2d.fhir("v1")))
    response = ab2d.call(method, origin + filled(template, {}), token=None)  # refused before any lookup
    auth_refusal(response, 401, "AB2D-DOWNLOAD-3" if "/file/" in template else "AB2D-AUTH-5", target)


@requirement("AB2D-AUTH-6", "AB2D-ERR-4")
@pytest.mark.parametrize("operation", SECURED)
def test_every_secured_operation_refuses_a_token_that_does_not_verify(ab2d, target, operation):
    """Every operation the API secures, on every version, answers 403 to a self-signed token"""
    method, template = operation
    origin = "{0.scheme}://{0.netloc}".format(urlparse(ab2d.fhir("v1")))
    response = ab2d.call(method, origin + filled(template, {}), token=_self_signed(ab2d))
    auth_refusal(response, 403, "AB2D-AUTH-6", target)
