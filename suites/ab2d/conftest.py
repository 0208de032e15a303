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


@pytest.fixture
def v3(target, ab2d, second) -> Ab2dClient:
    """A client on the v3 allow-list (the sponsor under test or the second client, as the target's
    data says), else the test is skipped."""
    data = target.require_data("v3_allowed", "second_v3_allowed")
    allowed = [c for c, ok in ((ab2d, data["v3_allowed"]), (second, data["second_v3_allowed"])) if ok]
    if not allowed:
        pytest.skip("the target names no client on the v3 allow-list")
    return allowed[0]
