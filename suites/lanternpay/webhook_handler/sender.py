"""How the harness posts webhooks to the user's handler, as LanternPay would: the subscription's URL
per event, its one authentication mode ("Webhook Authentication"), and the time each answer took."""

from __future__ import annotations

import base64
import statistics
import time
from dataclasses import dataclass, field

import allure
import pytest

from payercert.auth import Token, basic_auth, cached_token, issued
from payercert.session import TargetContext

DEFAULT_LATENCY_S = 2.0  # the document says "very quickly" and gives no number: options.webhook_latency_s


@dataclass
class Ack:
    event: str
    status: int
    latency: float  # seconds from sending the request to the end of the answer
    what: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (200, 202)


@dataclass
class HandlerClient:
    target: TargetContext
    acks: list[Ack] = field(default_factory=list)

    def __post_init__(self) -> None:
        options = self.target.target.options or {}
        self.latency_limit = float(options.get("webhook_latency_s", DEFAULT_LATENCY_S))
        self.mode = self.target.target.credentials.get("webhook_auth")
        self.readings = tuple(sorted((rid, self.target.reading(rid)) for rid in self.target.feed.readings))

    # --- where and how ----------------------------------------------------------------------------
    def url(self, event: str) -> str:
        urls = self.target.target.urls
        if event in urls:
            return urls[event]
        if "webhook" not in urls:
            pytest.skip(f"target {self.target.name} has no URL for {event} (urls.webhook or urls.{event})")
        return urls["webhook"]

    def auth_headers(self) -> dict[str, str]:
        """The configured mode's credentials, as LanternPay sends them on every call back."""
        cred = self.target.credential
        if self.mode == "header":
            return {cred("webhook_header_name"): cred("webhook_header_value")}
        if self.mode == "basic":
            return {"Authorization": basic_auth(cred("webhook_username"), cred("webhook_password"))}
        if self.mode == "oauth":
            return {"Authorization": "Bearer " + self._token()}
        return {}

    def wrong_headers(self, how: str) -> dict[str, str]:
        """Credentials of the configured mode that must be refused: none at all, or wrong ones."""
        if self.mode is None:
            pytest.skip(
                "no webhook authentication is configured (--webhook-auth or credentials.webhook_auth); "
                "the document says webhooks must be configured with one"
            )
        if how == "missing":
            return {}
        wrong = "payercert-wrong-" + base64.b32encode(str(time.monotonic_ns()).encode()).decode()[:10].lower()
        cred = self.target.credential
        if self.mode == "header":
            return {cred("webhook_header_name"): wrong}
        if self.mode == "basic":
            return {"Authorization": basic_auth(cred("webhook_username"), wrong)}
        return {"Authorization": "Bearer " + wrong}

    def _token(self) -> str:
        """client_credentials at the subscriber's token endpoint, renewed before expiry (payercert.auth)."""
        return cached_token(self.target.cache, "lp-handler-token", self._fresh_token).value

    def _fresh_token(self) -> Token:
        cred = self.target.credential
        asked = time.time()
        response = self.target.request(
            "POST",
            cred("webhook_token_url"),
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic_auth(cred("webhook_client_id"), cred("webhook_client_secret"))},
        )
        assert response.status_code == 200, (
            f"the handler's token endpoint refused client_credentials: HTTP {response.status_code}"
        )
        body = response.json()
        return issued(body["access_token"], float(body.get("expires_in") or 60), asked)

    # --- one call back ----------------------------------------------------------------------------
    def send(self, event: str, body: dict, *, headers: dict[str, str] | None = None, what: str = "") -> Ack:
        response = self.target.request(
            "POST", self.url(event), json=body, headers=self.auth_headers() if headers is None else headers
        )
        ack = Ack(event, response.status_code, response.elapsed.total_seconds(), what or body.get("type", event))
        self.acks.append(ack)
        return ack

    def report(self) -> None:
        """Every answer's status and latency, attached to the test's report."""
        if not self.acks:
            return
        lines = [f"{a.status}  {a.latency * 1000:8.1f} ms  {a.event}  {a.what}" for a in self.acks]
        median = statistics.median(a.latency for a in self.acks)
        allure.dynamic.parameter("handler latency (median)", f"{median * 1000:.1f} ms", excluded=True)
        allure.attach(
            "\n".join([f"limit {self.latency_limit * 1000:.0f} ms", *lines]),
            name="handler answers and latency",
            attachment_type=allure.attachment_type.TEXT,
        )
