"""Fixtures of the LanternPay suite: a client that starts at the root, and the harness's own HTTPS
webhook receiver subscribed at the target."""
from __future__ import annotations

import pytest
from payercert.suites.lanternpay.client import LanternPayClient
from payercert.suites.lanternpay.receiver import WebhookReceiver

from payercert.errors import ConfigError


@pytest.fixture
def lp(target) -> LanternPayClient:
    return LanternPayClient(target)


@pytest.fixture(scope="session")
def _receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


class Hooks:
    """The receiver, subscribed at the target with one delivery auth mode at a time."""

    def __init__(self, target, lp: LanternPayClient, receiver: WebhookReceiver):
        self.target, self.lp, self.receiver = target, lp, receiver
        options = target.target.options or {}
        self.retry_scale = float(options.get("retry_scale", 1.0))
        self.timeout = float(options.get("webhook_timeout_s", 10.0))   # how long a test waits for a webhook
        self.quiet = float(options.get("quiet_s", 0.4))                 # no news for this long: the flow is at rest

    def use(self, mode: str = "header") -> dict:
        current = self.target.cache.get("lp-hook-auth")
        if current and current["mode"] == mode:
            return current
        try:
            url = self.target.url("subscription")
        except ConfigError:
            pytest.skip("the target has no webhook subscription URL (urls.subscription): webhooks cannot be observed")
        auth = self.receiver.auth_config(mode)
        response = self.lp.target.request("PUT", url, headers={"Authorization": self.lp.basic()}, json={
            "urls": self.receiver.urls(), "auth": auth, "ca_pem": self.receiver.ca_pem()})
        assert response.status_code in (200, 201, 204), f"webhook subscription refused: HTTP {response.status_code}"
        self.receiver.auth = auth
        self.target.cache["lp-hook-auth"] = auth
        return auth


@pytest.fixture
def hooks(target, lp, _receiver) -> Hooks:
    h = Hooks(target, lp, _receiver)
    h.use("header")
    return h
