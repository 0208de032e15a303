"""Fixtures of the AB2D suite: a client per account of the target (the sponsor under test, the
second client of the isolation tests, a client whose jobs fail where the target has one, and the
client the token-expiry tests wait out)."""

import pytest

from payercert.suites.ab2d.client import Ab2dClient


@pytest.fixture
def ab2d(target) -> Ab2dClient:
    return Ab2dClient(target)


@pytest.fixture
def second(target) -> Ab2dClient:
    return Ab2dClient(target, "second_client")


@pytest.fixture
def expiring(target) -> Ab2dClient:
    """The client whose tokens the expiry tests wait out: `short_token_client` where the target
    names one (tokens that live seconds), else the sponsor under test."""
    return Ab2dClient(target, "short_token_client" if target.target.account("short_token_client") else None)
