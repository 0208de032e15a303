"""The harness's own HTTPS webhook receiver: it plays the biller's handler towards LanternPay.

It records every delivery (arrival time, headers, body), answers as a test tells it to (per
billerClaimId, so the answer is set before the invoice is even submitted), and serves an OAuth
client_credentials token endpoint for the OAuth delivery mode.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.redact import REDACTOR
from payercert.server import BackgroundServer
from payercert.tls import LocalCA

EVENTS = (
    "onInvoiceStatusUpdated",
    "onPredeterminationStatusUpdated",
    "onMemberEligibilityStatus",
    "onContractStatusUpdated",
)


@dataclass
class Received:
    at: float
    event: str
    headers: dict[str, str]
    body: Any  # None when the body was not JSON
    answered: int

    @property
    def claim_statuses(self) -> list[dict]:
        data = self.body.get("data") if isinstance(self.body, dict) else None
        if not isinstance(data, dict):
            return []
        statuses = data.get("claimStatuses", data.get("claims"))
        return statuses if isinstance(statuses, list) else []

    def mentions(self, biller_claim_id: str) -> bool:
        return any(isinstance(s, dict) and s.get("billerClaimId") == biller_claim_id for s in self.claim_statuses)


class WebhookReceiver:
    def __init__(self) -> None:
        self.ca = LocalCA()
        self.calls: list[Received] = []
        self.lock = threading.Lock()
        self.answers: dict[str, Callable[[int], int]] = {}  # billerClaimId -> f(delivery number) -> status
        self.oauth_client = ("payercert-receiver", secrets.token_urlsafe(18))
        self.issued: set[str] = set()
        self.auth: dict[str, str] = {}
        REDACTOR.add(self.oauth_client[1])
        self.app = Starlette(
            routes=[
                Route("/hooks/{event}", self.hook, methods=["POST"]),
                Route("/oauth/token", self.token, methods=["POST"]),
            ]
        )
        self.server = BackgroundServer(self.app, self.ca).start()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def urls(self) -> dict[str, str]:
        return {event: f"{self.base_url}/hooks/{event}" for event in EVENTS}

    def ca_pem(self) -> str:
        return self.ca.ca_path.read_text()

    def auth_config(self, mode: str) -> dict[str, str]:
        if mode == "header":
            value = secrets.token_urlsafe(12)
            REDACTOR.add(value)
            return {"mode": "header", "name": "X-API-Key", "value": value}
        if mode == "basic":
            password = secrets.token_urlsafe(12)
            REDACTOR.add(password)
            return {"mode": "basic", "username": "payercert-hooks", "password": password}
        return {
            "mode": "oauth",
            "token_url": f"{self.base_url}/oauth/token",
            "client_id": self.oauth_client[0],
            "client_secret": self.oauth_client[1],
        }

    # --- what a test reads ----------------------------------------------------------------------
    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.calls)

    def for_claim(self, biller_claim_id: str, event: str | None = None) -> list[Received]:
        return [c for c in self.snapshot() if c.mentions(biller_claim_id) and (event is None or c.event == event)]

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def wait_quiet(
        self,
        select: Callable[[], list[Received]],
        quiet: float,
        timeout: float,
        done: Callable[[list[Received]], bool] = lambda _: False,
        ready: Callable[[list[Received]], bool] = lambda seen: bool(seen),
    ) -> list[Received]:
        """Wait until `done`, or until nothing new has arrived for `quiet` seconds once `ready`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = select()
            if seen and (done(seen) or (ready(seen) and time.monotonic() - seen[-1].at >= quiet)):
                return seen
            time.sleep(0.02)
        return select()

    # --- the endpoints ---------------------------------------------------------------------------
    async def hook(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        status = 202
        with self.lock:
            for bcid, answer in self.answers.items():
                probe = Received(0, "", {}, body, 0)
                if probe.mentions(bcid):
                    n = sum(1 for c in self.calls if c.mentions(bcid))
                    status = answer(n)
                    break
            self.calls.append(
                Received(time.monotonic(), request.path_params["event"], dict(request.headers), body, status)
            )
        return Response(status_code=status)

    async def token(self, request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        form = await request.form()
        try:
            client = base64.b64decode(value).decode().partition(":") if scheme.lower() == "basic" else ("", "", "")
        except ValueError:
            client = ("", "", "")
        client_id, secret = (client[0], client[2]) if client[0] else (form.get("client_id"), form.get("client_secret"))
        if (client_id, secret) != self.oauth_client:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = uuid.uuid4().hex + secrets.token_urlsafe(8)
        REDACTOR.add(token)
        with self.lock:
            self.issued.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 300})

    def stop(self) -> None:
        self.server.stop()
        self.ca.cleanup()
