"""How the TPA Stream simulator posts claim webhooks (docs/sources/payers.md 2.9).

A claim is POSTed as application/json, `{"data": <claim>}` (the webhook form of the claim, with
claim_medical_id and policy_holder_id), to the URL of the account's settings, signed in the
TPAStream-Signature header: a JWT, RS256, with an exp, verifiable with the key the simulator
publishes at /keys as an OpenSSH `ssh-rsa` line (as https://app.tpastream.com/keys does). A 2xx ends
a delivery, a 406 too ("consciously rejected"); anything else, or no answer, is retried with
exponential backoff (doubling from `first_retry_s`) for up to `retry_window_s` (4 hours at TPA
Stream; seconds on the local target).
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger("payercert.simulators.tpastream")
SIGNATURE_LIFETIME_S = 300  # the document gives none; exp is what a receiver checks


class WebhookSender:
    def __init__(
        self,
        *,
        broken: Callable[[str], bool],
        first_retry_s: float = 60.0,
        retry_window_s: float = 4 * 3600.0,
        timeout_s: float = 10.0,
    ):
        self.broken = broken
        self.first_retry_s, self.retry_window_s, self.timeout_s = first_retry_s, retry_window_s, timeout_s
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.url: str | None = None
        self.ca_pem: str | None = None  # the local receiver's CA (a real receiver has a public certificate)

    def public_key(self) -> bytes:
        """The signing key as TPA Stream publishes it: one OpenSSH public key line."""
        return self.key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)

    def configure(self, url: str, ca_pem: str | None) -> None:
        self.url, self.ca_pem = url, ca_pem

    def post(self, claim: dict[str, Any]) -> bool:
        """Deliver one claim in the background; False when no URL is configured."""
        if not self.url:
            return False
        threading.Thread(target=self._deliver, args=(self.url, claim), daemon=True, name="tpa-webhook").start()
        return True

    # --- one delivery, with the retry policy --------------------------------------------------------
    def _deliver(self, url: str, claim: dict[str, Any]) -> None:
        verify: Any = ssl.create_default_context(cadata=self.ca_pem) if self.ca_pem else True
        started, delay = time.monotonic(), self.first_retry_s
        body = json.dumps({"data": claim}).encode()
        retried_anyway = False
        with httpx.Client(verify=verify, timeout=self.timeout_s) as client:
            while True:
                status = self._post(client, url, body)
                if status is not None and (200 <= status < 300 or status == 406):  # the delivery ends
                    if not self._retries_anyway(status) or retried_anyway:
                        return
                    retried_anyway = True  # the faults' one redelivery of an answer that ends it
                elif self.broken("webhook-not-retried"):
                    return
                if time.monotonic() - started + delay > self.retry_window_s:
                    return
                time.sleep(delay)
                delay *= 2

    def _retries_anyway(self, status: int) -> bool:
        if status == 406:
            return self.broken("webhook-retried-after-406")
        return self.broken("webhook-retried-after-2xx")

    def _post(self, client: httpx.Client, url: str, body: bytes) -> int | None:
        headers = {"Content-Type": "application/json"}
        if not self.broken("webhook-unsigned"):
            headers["TPAStream-Signature"] = self.signature()
        try:
            return client.post(url, content=body, headers=headers).status_code
        except (httpx.HTTPError, OSError):
            return None  # no answer: retried

    def signature(self) -> str:
        now = int(time.time())
        claims = {"iss": "https://app.tpastream.com", "iat": now, "exp": now + SIGNATURE_LIFETIME_S}
        return jwt.encode(claims, self.key, algorithm="RS256")
