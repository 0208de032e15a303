"""Fixtures of the AB2D suite: a client per account of the target (the sponsor under test, the
second client of the isolation tests, and a client whose jobs fail where the target has one)."""

import pytest

from payercert.suites.ab2d.client import Ab2dClient


@pytest.fixture
def ab2d(target) -> Ab2dClient:
    return Ab2dClient(target)


@pytest.fixture
def second(target) -> Ab2dClient:
    return Ab2dClient(target, "second_client")
