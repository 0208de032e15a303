"""Transport(local_address=...): connections leave from a chosen source address (IP allow-list tests)."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from payercert.server import BackgroundServer
from payercert.tls import LocalCA
from payercert.transport import Limits, Transport

pytestmark = pytest.mark.timeout(30)


async def _peer(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.client.host)


@pytest.fixture(scope="module")
def server():
    ca = LocalCA()
    with BackgroundServer(Starlette(routes=[Route("/peer", _peer)]), ca) as srv:
        yield srv
    ca.cleanup()


@pytest.mark.parametrize("address,seen", [(None, "127.0.0.1"), ("127.0.0.2", "127.0.0.2")])
def test_source_address(server, address, seen):
    records = []
    with Transport(
        verify=server.ca.client_context(),
        limits=Limits(deadline=5),
        local_address=address,
        recorder=lambda *exchange: records.append(exchange),
    ) as transport:
        response = transport.request("GET", server.base_url + "/peer")
        assert response.text == seen
        assert len(records) == 1


def test_target_context_transport_from(server):
    from payercert.config import Target
    from payercert.feeds import load_feed
    from payercert.session import TargetContext

    target = Target(
        name="t",
        feed="tpastream",
        environment="custom",
        production=False,
        urls={"api": server.base_url},
        credentials={},
        ca_bundle=server.ca.client_context(),
    )
    ctx = TargetContext(load_feed("tpastream"), target)
    try:
        bound = ctx.transport_from("127.0.0.2")
        assert ctx.transport_from("127.0.0.2") is bound  # one per address
        assert bound.rate is ctx.transport.rate  # one rate limit for the target
        assert bound.request("GET", server.base_url + "/peer").text == "127.0.0.2"
        assert ctx.request("GET", server.base_url + "/peer").text == "127.0.0.1"
    finally:
        ctx.close()
