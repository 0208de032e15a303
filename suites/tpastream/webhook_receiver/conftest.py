"""Fixtures of the webhook-receiver suite: the harness's sender towards the user's receiver."""

from __future__ import annotations

import pytest

from payercert.errors import ConfigError
from payercert.suites.tpastream.webhook_receiver.sender import ClaimSender


@pytest.fixture
def sender(target) -> ClaimSender:
    try:
        return ClaimSender.of(target)
    except ConfigError as exc:  # a key that cannot be read is the user's to fix, not a finding
        pytest.exit(f"payercert: {exc}", returncode=exc.exit_code)
