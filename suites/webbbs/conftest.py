"""Fixtures of the WebBBS suite: a client for the target."""

import pytest

from payercert.suites.webbbs.client import WebbbsClient


@pytest.fixture
def webbbs(target) -> WebbbsClient:
    return WebbbsClient(target)
