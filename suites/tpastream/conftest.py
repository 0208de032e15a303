"""Fixtures of the TPA Stream suite: a client for the target."""

import pytest

from payercert.suites.tpastream.client import TpaClient


@pytest.fixture
def tpa(target) -> TpaClient:
    return TpaClient(target)
