"""A customer's reference receiver of TPA Stream's claim webhooks, the other side that the
webhook-receiver suite certifies (`payercert simulate tpastream --suite webhook-receiver`).

It does what docs/sources/payers.md 2.9 recommends: it verifies TPAStream-Signature (RS256 with the
key it trusts, exp required) before it looks at the body, answers 200 once it has taken a claim
and 406 to a claim it already has (a retry or a replay: idempotent by claim id), and refuses
anything unsigned or badly signed with 401. Its fault profiles break one of those rules each.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payercert.simulation import Fault

RECEIVER_FAULTS = (
    Fault("accepts-unsigned", "TPA-HOOK-3", "takes a claim webhook without TPAStream-Signature"),
    Fault("accepts-alg-none", "TPA-HOOK-3", 'takes a signature whose alg is "none" (checks no signature at all)'),
    Fault(
        "accepts-hs256", "TPA-HOOK-3", "takes an HS256 signature keyed with the RSA public key (algorithm confusion)"
    ),
    Fault("accepts-expired", "TPA-HOOK-3", "does not check exp: takes an expired signature"),
    Fault("redelivery-500", "TPA-HOOK-7", "answers 500 to a claim it already has (TPA Stream retries it for hours)"),
    Fault("null-type-422", "TPA-HOOK-7", "answers 422 to a claim whose type is null, which TPA Stream sends"),
)


class ReferenceReceiver:
    def __init__(self, fault: str | None = None):
        self.fault = next((f for f in RECEIVER_FAULTS if f.name == fault), None) if fault else None
        # the key pair a local run signs with; a real receiver trusts https://app.tpastream.com/keys
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key = self.signing_key.public_key()
        self.taken: set[Any] = set()
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/webhook", self.webhook, methods=["POST"])])

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    def local_target(self, base_url: str) -> dict[str, Any]:
        pem = self.signing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "urls": {"receiver": base_url + "/webhook"},
            "credentials": {"signing_key": pem},
            "secrets": [pem],
        }

    async def webhook(self, request: Request) -> Response:
        if not self._signed(request.headers.get("tpastream-signature")):
            return Response(status_code=401)
        try:
            claim = json.loads(await request.body())["data"]
            claim_id = claim["id"]
        except (ValueError, KeyError, TypeError):
            return Response(status_code=400)
        if claim.get("type") is None and self.broken("null-type-422"):
            return Response(status_code=422)
        with self.lock:
            if claim_id in self.taken:
                return Response(status_code=500 if self.broken("redelivery-500") else 406)
            self.taken.add(claim_id)
        return Response(status_code=200)

    def _signed(self, token: str | None) -> bool:
        """The signature verifies with the trusted key, RS256 only, with an exp not passed."""
        if not token:
            return self.broken("accepts-unsigned")
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            return False
        if alg == "none":
            return self.broken("accepts-alg-none")
        if alg == "HS256":
            return self.broken("accepts-hs256")
        try:
            jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                options={"require": ["exp"], "verify_exp": not self.broken("accepts-expired")},
            )
        except jwt.PyJWTError:
            return False
        return True


def create_receiver(fault: str | None = None, **options: Any) -> ReferenceReceiver:
    options.pop("readings", None)
    return ReferenceReceiver(fault)
