"""How the LanternPay simulator delivers webhooks: the subscription's auth mode and the retry policy.

One worker thread per stream (an invoice, a predetermination, ...): the events of one stream are
delivered in order, each one (with all its retries) before the next, so a handler sees a claim's
states in the order they happened.
"""

from __future__ import annotations

import base64
import logging
import queue
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("payercert.simulators.lanternpay")

FIRST_LEVEL_RETRIES = 5  # "5 times in rapid succession"
SECOND_LEVEL_DELAYS = (10, 20, 30)  # "3 times with an increasing delay ... 10s, 20s, 30s"


@dataclass
class Subscription:
    """What the biller configured: a URL per event, one auth mode, and (local only) a CA to trust."""

    urls: dict[str, str] = field(default_factory=dict)
    auth: dict[str, str] = field(default_factory=dict)
    ca_pem: str | None = None

    def verify(self) -> Any:
        if not self.ca_pem:
            return True
        return ssl.create_default_context(cadata=self.ca_pem)


@dataclass
class Delivery:
    event: str  # onInvoiceStatusUpdated, ...
    body: dict  # the webhook, id included


class Outbox:
    def __init__(
        self,
        *,
        retry_scale: float = 1.0,
        timeout: float = 5.0,
        broken: Callable[[str], bool],
        sends: Callable[[str, dict], dict] = lambda event, body: body,
        deliveries: int = 24,
    ):
        self.retry_scale = retry_scale
        self.sends = sends  # the fault's change to each payload (payercert.rewrite.Hook)
        # reading LP-R-RETRY-COUNT: 24 = (1 + 5 FLR) x 4 rounds; 21 = 1 + 5, then 3 rounds of 5;
        # 20 = 4 rounds of 5 (the first delivery counted among the FLR's 5)
        self.first_round, self.per_round = {24: (6, 6), 21: (6, 5), 20: (5, 5)}[deliveries]
        if broken("two-first-level-retries"):
            self.first_round = 2
        self.timeout = timeout
        self.broken = broken
        self.subscription = Subscription()
        self._streams: dict[str, queue.Queue] = {}
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None
        self.abandoned: list[str] = []  # "notify LanternPay Support Staff"

    def configure(self, subscription: Subscription) -> None:
        with self._lock:
            self.subscription = subscription
            self._token = None

    def submit(self, stream: str, work: Callable[[], None]) -> None:
        """Run `work` on the stream's worker, after everything queued there before."""
        with self._lock:
            q = self._streams.get(stream)
            if q is None:
                q = self._streams[stream] = queue.Queue()
                threading.Thread(target=self._worker, args=(q,), daemon=True, name=f"lp-{stream[:8]}").start()
        q.put(work)

    def _worker(self, q: queue.Queue) -> None:
        while True:
            work = q.get()
            try:
                work()
            except Exception:  # a broken step must not kill the stream
                log.exception("lanternpay simulator: step failed")

    # --- one event, with the retry policy ----------------------------------------------------
    def deliver(self, delivery: Delivery) -> None:
        sub = self.subscription
        url = sub.urls.get(delivery.event)
        if not url:
            return
        rounds = [0.0] + (
            [] if self.broken("no-second-level-retry") else [d * self.retry_scale for d in SECOND_LEVEL_DELAYS]
        )
        redelivered = False
        with httpx.Client(verify=sub.verify(), timeout=self.timeout) as client:
            for n, delay in enumerate(rounds):
                if delay:
                    time.sleep(delay)
                for attempt in range(self.first_round if n == 0 else self.per_round):
                    body = self.sends(delivery.event, delivery.body)
                    if self.broken("webhook-id-changes-on-retry"):
                        body = {**body, "id": str(uuid.uuid4())}
                    retry = n > 0 or attempt > 0
                    outcome = self._post(client, url, body, sub, retry=retry)
                    if outcome == "ok" and self.broken("redelivered-after-202") and not redelivered:
                        redelivered = True
                        continue
                    if outcome == "ok":
                        return
                    if outcome == "abandon" and not self.broken("retry-on-4xx"):
                        self.abandoned.append(delivery.body["id"])
                        return
        self.abandoned.append(delivery.body["id"])

    def _post(self, client: httpx.Client, url: str, body: dict, sub: Subscription, *, retry: bool = False) -> str:
        try:
            headers = {} if retry and self.broken("retry-without-auth") else self._auth_headers(client, sub)
            response = client.post(url, json=body, headers=headers)
        except (httpx.HTTPError, OSError):
            return "retry"  # a timeout or a connection failure
        if response.status_code in (200, 202):
            return "ok"
        if 400 <= response.status_code < 500:
            return "abandon"
        return "retry"  # 5xx (and anything else unexpected)

    def _auth_headers(self, client: httpx.Client, sub: Subscription) -> dict[str, str]:
        if self.broken("webhook-without-auth"):
            return {}
        auth = sub.auth
        mode = auth.get("mode")
        if mode == "header":
            return {auth["name"]: auth["value"] + ("-x" if self.broken("header-auth-value-wrong") else "")}
        if mode == "basic":
            password = auth["password"] + ("-x" if self.broken("basic-auth-password-wrong") else "")
            raw = f"{auth['username']}:{password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        if mode == "oauth":
            if self.broken("oauth-token-not-from-endpoint"):
                return {"Authorization": "Bearer " + uuid.uuid4().hex}
            return {"Authorization": "Bearer " + self._oauth_token(client, auth)}
        return {}

    def _oauth_token(self, client: httpx.Client, auth: dict[str, str]) -> str:
        """client_credentials at the subscriber's token endpoint, cached until shortly before expiry."""
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        response = client.post(
            auth["token_url"],
            data={"grant_type": "client_credentials"},
            auth=(auth["client_id"], auth["client_secret"]),
        )
        response.raise_for_status()
        body = response.json()
        lifetime = float(body.get("expires_in") or 60)
        self._token = (body["access_token"], time.monotonic() + lifetime * 0.8)
        return body["access_token"]
