"""The harness's own HTTPS receiver of TPA Stream's claim webhooks: it records every delivery (when,
headers, body) and answers as the running test tells it (by the delivery's number)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payercert.server import BackgroundServer
from payercert.tls import LocalCA


@dataclass(frozen=True)
class Delivery:
    at: float  # monotonic seconds
    headers: dict[str, str]  # names in lower case
    raw: bytes
    answered: int

    @property
    def body(self) -> Any:
        try:
            return json.loads(self.raw)
        except ValueError:
            return None

    @property
    def claim_id(self) -> Any:
        data = self.body.get("data") if isinstance(self.body, dict) else None
        return data.get("id") if isinstance(data, dict) else None


class ClaimReceiver:
    def __init__(self) -> None:
        self.ca = LocalCA()
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        self.answer: Callable[[int], int] = lambda n: 200  # delivery number (1, 2, ...) -> status
        self.server = BackgroundServer(Starlette(routes=[Route("/claims", self.hook, methods=["POST"])]), self.ca)
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.base_url + "/claims"

    def ca_pem(self) -> str:
        return self.ca.ca_path.read_text()

    def expect(self, answer: Callable[[int], int]) -> None:
        """Forget what came before; answer the next deliveries so."""
        with self.lock:
            self.deliveries, self.answer = [], answer

    def seen(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def wait_for(self, count: int, timeout: float) -> list[Delivery]:
        """The deliveries once `count` have come, or when `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.seen()) < count:
            time.sleep(0.02)
        return self.seen()

    async def hook(self, request: Request) -> Response:
        raw = await request.body()
        with self.lock:
            status = self.answer(len(self.deliveries) + 1)
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.deliveries.append(Delivery(time.monotonic(), headers, raw, status))
        return Response(status_code=status)

    def stop(self) -> None:
        self.server.stop()
        self.ca.cleanup()
