"""Serve an ASGI app over HTTPS on 127.0.0.1 in a background thread (simulators, receivers)."""

from __future__ import annotations

import socket
import ssl
import threading
import time

import uvicorn

from .tls import LocalCA


class BackgroundServer:
    def __init__(
        self,
        app,
        ca: LocalCA,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        minimum_tls: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    ):
        self.host = host
        self.ca = ca
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )  # accepted sockets inherit it: no 40 ms Nagle stalls
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ssl_context_factory=lambda _config, _default: ca.server_context(minimum_tls),
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the local server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
