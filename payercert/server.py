"""Serve an ASGI app over HTTPS on 127.0.0.1 in a background thread (simulators, receivers).

A `Listener` says how the port itself behaves: the oldest TLS version it accepts, whether it also
answers plain HTTP (a misconfigured server does: the same port serves the app unencrypted to a client
that speaks no TLS), and whether its answers declare a Content-Length other than their body's (TLS then
ends in a relay in front of the app, which edits the header). Fault profiles of the transport
requirements set it; the conforming simulators never do."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

import uvicorn

from .tls import LocalCA

TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS record carrying a handshake (RFC 8446 5.1)


@dataclass(frozen=True)
class Listener:
    oldest_tls: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    plain_http: bool = False  # also serve the app over plain HTTP on the same port
    content_length_off_by: int = 0  # each connection's first answer declares this many bytes more than it sends


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it: no 40 ms Nagle stalls
    sock.bind((host, port))
    return sock


class BackgroundServer:
    def __init__(
        self,
        app,
        ca: LocalCA,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        listener: Listener = Listener(),
    ):
        self.host = host
        self.ca = ca
        self._sock = _bound(host, port)
        self.port = self._sock.getsockname()[1]
        context = ca.server_context(listener.oldest_tls)
        if listener.content_length_off_by:  # TLS ends here so that the answers' headers can be changed
            plain = _bound(host, 0)
            self._servers: list[_Uvicorn | _Front] = [_Uvicorn(app, plain, None)]
            self._servers.append(
                _Front(self._sock, lambda _first: plain.getsockname()[1], context, listener.content_length_off_by)
            )
        elif listener.plain_http:  # the public port sorts connections by their first byte
            tls, plain = _bound(host, 0), _bound(host, 0)
            self._servers = [_Uvicorn(app, tls, lambda _config, _default: context), _Uvicorn(app, plain, None)]
            ports = tls.getsockname()[1], plain.getsockname()[1]
            self._servers.append(_Front(self._sock, lambda first: ports[0] if first == TLS_HANDSHAKE else ports[1]))
        else:
            self._servers = [_Uvicorn(app, self._sock, lambda _config, _default: context)]

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        for server in self._servers:
            server.start(timeout)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Uvicorn:
    """One uvicorn server on one bound socket, run in a daemon thread."""

    def __init__(self, app, sock: socket.socket, context_factory) -> None:
        self._sock = sock
        options = {"ssl_context_factory": context_factory} if context_factory else {}
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=5, **options
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self, timeout: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the local server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()


class _Front:
    """Accepts on the public port and relays each connection to a server behind it, chosen by the
    connection's first byte; with a TLS `context` it ends TLS itself and changes the Content-Length
    of each connection's first answer by `off_by`."""

    def __init__(self, sock: socket.socket, port_for, context: ssl.SSLContext | None = None, off_by: int = 0) -> None:
        self._sock, self._port_for, self._context, self._off_by = sock, port_for, context, off_by
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self, timeout: float) -> None:
        self._thread.start()
        serving = asyncio.start_server(self._relay, sock=self._sock, ssl=self._context)
        self._server = asyncio.run_coroutine_threadsafe(serving, self._loop).result(timeout)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._sock.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(1)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._port_for(first[:1]))
        except OSError:
            writer.close()
            return
        up_writer.write(first)
        answers = _pipe(up_reader, writer, self._off_by)
        await asyncio.gather(_pipe(reader, up_writer), answers)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, off_by: int = 0) -> None:
    try:
        if off_by:
            head = await reader.readuntil(b"\r\n\r\n")
            declared = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            if declared:
                value = str(int(declared[1]) + off_by).encode()
                head = head[: declared.start(1)] + value + head[declared.end(1) :]
            writer.write(head)
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()
