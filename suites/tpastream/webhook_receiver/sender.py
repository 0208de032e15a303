"""How the harness posts claim webhooks to the user's receiver, as TPA Stream would
(docs/sources/payers.md 2.9): application/json {"data": <claim>}, signed in TPAStream-Signature with
the key the receiver trusts in TPA Stream's place, and the ways a forged or stale signature looks."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payercert.errors import ConfigError
from payercert.feeds import load_feed
from payercert.session import TargetContext

SAMPLE = load_feed("tpastream").root / "samples" / "valid" / "claim-webhook.json"
SIGNATURE_LIFETIME_S = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_signing_key(value: str) -> rsa.RSAPrivateKey:
    """The key the receiver trusts: PEM text (the local reference receiver's) or a PEM file's path."""
    raw = value.encode() if value.lstrip().startswith("-----BEGIN") else _read(Path(value))
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--signing-key: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("--signing-key: TPA Stream signs with RSA (RS256); give an RSA private key")
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"--signing-key {path}: {exc.strerror or exc}") from None


@dataclass
class ClaimSender:
    target: TargetContext
    url: str
    key: rsa.RSAPrivateKey

    @classmethod
    def of(cls, target: TargetContext) -> ClaimSender:
        if "receiver" not in target.target.urls:
            pytest.skip(f"target {target.name} names no receiver URL (--receiver-url or urls.receiver)")
        if "signing_key" not in target.target.credentials:
            pytest.skip(
                f"target {target.name} names no signing key its receiver trusts (--signing-key or credentials.signing_key)"
            )
        return cls(target, target.url("receiver"), load_signing_key(target.credential("signing_key")))

    # --- what is sent ----------------------------------------------------------------------------
    @staticmethod
    def claim(claim_id: int, **changes: Any) -> dict[str, Any]:
        """The bundle's valid webhook claim, as a new claim: its own id (and claim_medical_id)."""
        body = copy.deepcopy(json.loads(SAMPLE.read_text(encoding="utf-8")))
        body["data"].update(id=claim_id, claim_medical_id=claim_id, **changes)
        return body

    @staticmethod
    def new_id() -> int:
        return int(time.time() * 1000) % 10**12

    def signature(self, how: str = "valid") -> str | None:
        """TPAStream-Signature as TPA Stream sends it, or forged / stale (`how`)."""
        now = int(time.time())
        claims = {"iss": "https://app.tpastream.com", "iat": now, "exp": now + SIGNATURE_LIFETIME_S}
        if how == "valid":
            return jwt.encode(claims, self.key, algorithm="RS256")
        if how == "missing":
            return None
        if how == "expired":
            return jwt.encode({**claims, "iat": now - 900, "exp": now - 600}, self.key, algorithm="RS256")
        if how == "other-key":
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return jwt.encode(claims, other, algorithm="RS256")
        if how == "no-exp":
            return jwt.encode({k: v for k, v in claims.items() if k != "exp"}, self.key, algorithm="RS256")
        if how == "alg-none":
            return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}."
        if how == "hs256-public-key":  # the RSA public key used as an HMAC secret (algorithm confusion)
            public = self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            signing = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
            return f"{signing}.{_b64(hmac.new(public, signing.encode(), hashlib.sha256).digest())}"
        raise ValueError(how)

    def post(self, body: dict[str, Any], signature: str = "valid") -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        token = self.signature(signature)
        if token is not None:
            headers["TPAStream-Signature"] = token
        return self.target.request("POST", self.url, content=json.dumps(body).encode(), headers=headers)
