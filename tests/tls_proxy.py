"""A TLS relay on 127.0.0.1 in front of a server: the extra network hop of a real sandbox.

Clients trust the relay's own CA; the relay connects on to the upstream server (trusting that
server's CA) and copies bytes both ways. With no intervention it changes nothing, so a run through
it must reach the verdict a direct run reaches. Interventions are one-shot and planted by the test
that wants them: `drop_once(marker)` closes the connection of the next request whose bytes contain
`marker` without an answer; `answer_once(marker, response)` answers it with `response` instead of
the upstream's answer. It connects on from the client's own loopback address, so an upstream's IP
allow-list sees the client as it would without the relay. Used by the harness's tests and by
bench/soak.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from urllib.parse import urlsplit

from payercert.tls import LocalCA

CHUNK = 65536


class TlsProxy:
    def __init__(self, upstream_url: str, upstream_trust: ssl.SSLContext):
        parts = urlsplit(upstream_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 443)
        self.upstream_trust = upstream_trust
        self.ca = LocalCA()
        self._interventions: list[tuple[bytes, bytes | None]] = []  # (marker, answer or None: drop)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0
        self.connections = 0

    def url(self, upstream_url: str) -> str:
        """The same URL, reached through the relay."""
        parts = urlsplit(upstream_url)
        return parts._replace(netloc=f"127.0.0.1:{self.port}").geturl()

    def drop_once(self, marker: bytes) -> None:
        with self._lock:
            self._interventions.append((marker, None))

    def answer_once(self, marker: bytes, response: bytes) -> None:
        with self._lock:
            self._interventions.append((marker, response))

    def start(self) -> TlsProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self.port = started.result(timeout=10)
        return self

    def close(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self.ca.cleanup()

    def __enter__(self) -> TlsProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- relaying ---------------------------------------------------------------------------------
    async def _listen(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ca.server_context())
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            host, port = self.upstream
            source = client_out.get_extra_info("peername")[0]
            up_in, up_out = await asyncio.open_connection(
                host, port, ssl=self.upstream_trust, server_hostname=host, local_addr=(source, 0)
            )
        except (OSError, ssl.SSLError):
            client_out.close()
            return
        back = asyncio.create_task(self._pump(up_in, client_out))
        try:
            while chunk := await client_in.read(CHUNK):
                intervention = self._take(chunk)
                if intervention is not None:
                    if intervention[1] is not None:
                        client_out.write(intervention[1])
                        await client_out.drain()
                    break  # a dropped or answered request ends its connection
                up_out.write(chunk)
                await up_out.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            back.cancel()
            for writer in (up_out, client_out):
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            while chunk := await source.read(CHUNK):
                sink.write(chunk)
                await sink.drain()
        sink.close()

    def _take(self, chunk: bytes) -> tuple[bytes, bytes | None] | None:
        with self._lock:
            for i, (marker, _answer) in enumerate(self._interventions):
                if marker in chunk:
                    return self._interventions.pop(i)
        return None
