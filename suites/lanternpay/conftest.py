"""Fixtures of the LanternPay suite: a client that starts at the root, and the harness's own HTTPS
webhook receiver subscribed at the target."""

from __future__ import annotations

import pytest

from payercert.suites.lanternpay.client import Hooks, LanternPayClient
from payercert.suites.lanternpay.receiver import WebhookReceiver


@pytest.fixture
def lp(target) -> LanternPayClient:
    return LanternPayClient(target)


@pytest.fixture(scope="session")
def _receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def hooks(target, lp, _receiver) -> Hooks:
    h = Hooks(target, lp, _receiver)
    h.use("header")
    return h
