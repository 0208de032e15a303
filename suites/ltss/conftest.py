"""Fixtures of the LTSS suite: a client for the target, and the rules as oracle."""

import pytest

from payercert.suites.ltss.client import LtssClient
from payercert.suites.ltss.oracle import Oracle


@pytest.fixture
def ltss(target) -> LtssClient:
    return LtssClient(target)


@pytest.fixture
def oracle(target) -> Oracle:
    return Oracle(target)
