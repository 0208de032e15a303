"""Fixtures of the webhook-handler suite: the harness's client towards the user's handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payercert.suites.lanternpay.webhook_handler.sender import HandlerClient


@pytest.fixture
def handler(target) -> Iterator[HandlerClient]:
    client = HandlerClient(target)
    yield client
    client.report()
