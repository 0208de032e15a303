"""SSH-JWT (beyond the document: docs/sources/payers.md 2.3, TPA Stream's 2026 authentication page):
"Authorization: SSH-JWT <jwt>", signed with a key registered at /settings/ssh, claims email, iat, exp,
alg matching the key type, no clock-skew tolerance. Needs the `ssh_private_key` credential (a PEM
private key); skipped without it. Read-only (GETs only), so nothing here is `mutating`."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from payercert.errors import ConfigError
from payercert.redact import REDACTOR
from payercert.suites.tpastream.client import error_findings, strict_json

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement
ALGS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


def alg_of(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in ALGS:
        return ALGS[key.curve.name]
    pytest.skip(f"ssh_private_key is a {type(key).__name__}: TPA Stream accepts RSA, Ed25519 and P-256/384/521")


def same_type_key(key):
    """A fresh key of the registered key's type: registered nowhere."""
    if isinstance(key, rsa.RSAPrivateKey):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(key.curve)


def other_type_key(key):
    """A key of another type, so the token's alg cannot match the registered key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ssh_key(target):
    try:
        pem = target.credential("ssh_private_key")
    except ConfigError:
        pytest.skip("no ssh_private_key credential configured: SSH-JWT not tested")
    REDACTOR.add(pem)
    return serialization.load_pem_private_key(pem.encode(), password=None)


def make(target, key, *, drop=(), **claims):
    now = int(time.time())
    body = {"email": target.credential("email"), "iat": now, "exp": now + 900, **claims}
    for name in drop:
        body.pop(name)
    token = jwt.encode(body, key, algorithm=alg_of(key))
    REDACTOR.add(token)  # a bearer credential until exp
    return token


def ids(response):
    return [c["id"] for c in strict_json(response.content)["data"]]


@requirement("TPA-JWT-1")
def test_ssh_jwt_is_accepted_like_basic(tpa, target, ssh_key):
    """A JWT signed with the registered key gets 200 and the same data as Basic"""
    response = tpa.get("/claims", {"per_page": 5}, authorization=f"SSH-JWT {make(target, ssh_key)}")
    assert response.status_code == 200, f"TPA-JWT-1: SSH-JWT answered {response.status_code} {response.text[:200]}"
    assert ids(response) == ids(tpa.get("/claims", {"per_page": 5})), "TPA-JWT-1: SSH-JWT and Basic got different data"


@requirement("TPA-JWT-2")
def test_scheme_is_case_insensitive(tpa, target, ssh_key):
    """ "ssh-jwt" in lower case is accepted"""
    response = tpa.get("/claims", {"per_page": 1}, authorization=f"ssh-jwt {make(target, ssh_key)}")
    assert response.status_code == 200, f"TPA-JWT-2: 'ssh-jwt' answered {response.status_code}"


@requirement("TPA-JWT-3")
def test_bearer_is_refused(tpa, target, ssh_key):
    """A valid JWT sent as Bearer is refused with 401"""
    response = tpa.get("/claims", {"per_page": 1}, authorization=f"Bearer {make(target, ssh_key)}")
    assert response.status_code == 401, f"TPA-JWT-3: Bearer <jwt> answered {response.status_code}, expected 401"


@requirement("TPA-JWT-4")
@pytest.mark.parametrize(
    "token", ["not-a-jwt", "a.b", "!!!.???.###"], ids=["one-segment", "two-segments", "bad-base64"]
)
def test_undecodable_jwt_is_400(tpa, token):
    """A JWT that cannot be decoded gets 400 with a message"""
    response = tpa.get("/claims", authorization=f"SSH-JWT {token}")
    assert response.status_code == 400, f"TPA-JWT-4: {token!r} answered {response.status_code}, expected 400"
    assert not error_findings(response), f"TPA-JWT-4: {error_findings(response)[0]}"


@requirement("TPA-JWT-5")
@pytest.mark.parametrize("claim", ["email", "iat", "exp"])
def test_missing_claim_is_400(tpa, target, ssh_key, claim):
    """A JWT without email, iat or exp gets 400 with a message"""
    response = tpa.get("/claims", authorization=f"SSH-JWT {make(target, ssh_key, drop=[claim])}")
    assert response.status_code == 400, (
        f"TPA-JWT-5: a JWT without {claim} answered {response.status_code}, expected 400"
    )
    assert not error_findings(response), f"TPA-JWT-5: {error_findings(response)[0]}"


@requirement("TPA-JWT-6")
def test_alg_not_matching_the_key_is_400(tpa, target, ssh_key):
    """A JWT whose alg does not fit the registered key's type gets 400 with a message"""
    other = other_type_key(ssh_key)
    now = int(time.time())
    token = jwt.encode(
        {"email": target.credential("email"), "iat": now, "exp": now + 900},
        other,
        algorithm="RS256" if isinstance(other, rsa.RSAPrivateKey) else "EdDSA",
    )
    response = tpa.get("/claims", authorization=f"SSH-JWT {token}")
    assert response.status_code == 400, (
        f"TPA-JWT-6: a JWT with the wrong alg answered {response.status_code}, expected 400"
    )
    assert not error_findings(response), f"TPA-JWT-6: {error_findings(response)[0]}"


@requirement("TPA-JWT-7")
def test_unknown_key_and_unknown_email_get_the_same_401(tpa, target, ssh_key):
    """A JWT from an unregistered key and one for an unknown e-mail get the same 401"""
    stranger = tpa.get("/claims", authorization=f"SSH-JWT {make(target, same_type_key(ssh_key))}")
    nobody = tpa.get("/claims", authorization=f"SSH-JWT {make(target, ssh_key, email='nobody@example.com')}")
    assert stranger.status_code == 401, f"TPA-JWT-7: an unregistered key answered {stranger.status_code}"
    assert (nobody.status_code, nobody.text) == (stranger.status_code, stranger.text), (
        f"TPA-JWT-7: unknown e-mail {nobody.status_code} {nobody.text[:100]} vs bad signature {stranger.text[:100]}"
    )


@requirement("TPA-JWT-8")
def test_expired_jwt_is_401(tpa, target, ssh_key):
    """A JWT whose exp passed one second ago is refused with 401 (no clock-skew tolerance)"""
    now = int(time.time())
    response = tpa.get("/claims", authorization=f"SSH-JWT {make(target, ssh_key, iat=now - 60, exp=now - 1)}")
    assert response.status_code == 401, f"TPA-JWT-8: an expired JWT answered {response.status_code}, expected 401"


@requirement("TPA-JWT-9")
def test_jwt_from_the_future_is_refused(tpa, target, ssh_key):
    """A JWT issued in the future (iat ahead) is refused with a 4xx and a message"""
    now = int(time.time())
    response = tpa.get("/claims", authorization=f"SSH-JWT {make(target, ssh_key, iat=now + 120, exp=now + 900)}")
    assert 400 <= response.status_code < 500, f"TPA-JWT-9: a future iat answered {response.status_code}"
    assert not error_findings(response), f"TPA-JWT-9: {error_findings(response)[0]}"


@requirement("TPA-JWT-10")
def test_jwt_can_be_reused(tpa, target, ssh_key):
    """One JWT serves several requests until it expires"""
    header = f"SSH-JWT {make(target, ssh_key)}"
    codes = [tpa.get("/claims", {"per_page": 1}, authorization=header).status_code for _ in range(3)]
    assert codes == [200, 200, 200], f"TPA-JWT-10: reusing one JWT answered {codes}"


@requirement("TPA-IP-2")
def test_allow_list_applies_to_ssh_jwt(tpa, target, ssh_key):
    """A valid JWT from outside the allow-list gets 403 and no data"""
    address = target.target.options.get("outside_address")
    if not address:
        pytest.skip("no options.outside_address: cannot send from outside the allow-list")
    response = tpa.get(
        "/claims",
        {"per_page": 1},
        authorization=f"SSH-JWT {make(target, ssh_key)}",
        transport=target.transport_from(address),
    )
    assert response.status_code == 403, f"TPA-IP-2: SSH-JWT from outside the allow-list answered {response.status_code}"
    assert '"data"' not in response.text, "TPA-IP-2: a refused request got data"
