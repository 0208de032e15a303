"""Small raw-socket servers that misbehave in one way each, for the transport tests.

Every server listens on 127.0.0.1 (port 0), optionally wraps each connection in TLS, reads the
request head, then misbehaves. Each is a context manager: on exit it stops accepting, closes
every socket it opened and joins its (daemon) threads, so a test run never leaks or hangs.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Callable

Handler = Callable[["HostileServer", socket.socket], None]


class HostileServer:
    def __init__(
        self, handler: Handler, tls: ssl.SSLContext | None = None, read_request: bool = True, scheme: str | None = None
    ):
        self.handler = handler
        self.scheme = scheme or ("https" if tls else "http")
        self.tls = tls
        self.read_request = read_request
        self.stopped = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def __enter__(self) -> HostileServer:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            _close(conn)
        for thread in list(self._threads):
            thread.join(timeout=2)

    def _spawn(self, target: Callable, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
                with self._lock:
                    self._conns.append(conn)
            if self.read_request:
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(65536)
                    if not data:
                        return
                    head += data
            self.handler(self, conn)
        except (OSError, ssl.SSLError):
            pass  # the client hung up, or refused our certificate: both expected here
        finally:
            _close(conn)

    def wait(self, seconds: float) -> bool:
        """Sleep unless stopped; True if the server is stopping."""
        return self.stopped.wait(seconds)


def _close(conn: socket.socket) -> None:
    try:
        conn.close()
    except OSError:
        pass


# -- the misbehaviours ------------------------------------------------------------------------


def _silent(server: HostileServer, conn: socket.socket) -> None:
    server.wait(60)


def _drip_body(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
    while not server.wait(1.0):
        conn.sendall(b"x")


def _drip_headers(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not server.wait(1.0):
        conn.sendall(b"X")  # one endless header name, a byte a second


def _reset(server: HostileServer, conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # linger 0: the kernel sends RST, not FIN


def _huge_declared(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000000000\r\n\r\n")
    _stream(server, conn, 2_000_000_000)


def _huge_undeclared(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
    _stream(server, conn, 50 * 1024 * 1024)


def _stream(server: HostileServer, conn: socket.socket, total: int) -> None:
    chunk, sent = b"\0" * 65536, 0
    while sent < total and not server.stopped.is_set():
        conn.sendall(chunk)
        sent += len(chunk)


def _ok(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def _mid_headers(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: appl")
    conn.shutdown(socket.SHUT_WR)


def _mid_body(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nhalf.")
    conn.shutdown(socket.SHUT_WR)


def _garbage(server: HostileServer, conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage\nmore garbage\r\n\r\n")
    conn.shutdown(socket.SHUT_WR)


def _bad_gzip(server: HostileServer, conn: socket.socket) -> None:
    body = b"this is not gzip at all"
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (len(body), body)
    )


def never_answers(tls: ssl.SSLContext | None = None) -> HostileServer:
    return HostileServer(_silent, tls)


def silent_before_handshake() -> HostileServer:
    """Accepts the TCP connection and never says a word, not even a TLS ServerHello."""
    return HostileServer(_silent, None, read_request=False, scheme="https")


def drips_body(tls: ssl.SSLContext | None = None) -> HostileServer:
    return HostileServer(_drip_body, tls)


def drips_headers(tls: ssl.SSLContext | None = None) -> HostileServer:
    return HostileServer(_drip_headers, tls)


def resets() -> HostileServer:
    return HostileServer(_reset)


def huge_declared_body() -> HostileServer:
    return HostileServer(_huge_declared)


def huge_undeclared_body() -> HostileServer:
    return HostileServer(_huge_undeclared)


def answers_ok(tls: ssl.SSLContext | None = None) -> HostileServer:
    return HostileServer(_ok, tls)


def closes_mid_headers() -> HostileServer:
    return HostileServer(_mid_headers)


def closes_mid_body() -> HostileServer:
    return HostileServer(_mid_body)


def answers_garbage() -> HostileServer:
    return HostileServer(_garbage)


def answers_bad_gzip() -> HostileServer:
    return HostileServer(_bad_gzip)


def speaks_plain_to_tls() -> HostileServer:
    """An https URL whose server answers the ClientHello with plain text."""
    return HostileServer(_garbage, None, read_request=False, scheme="https")
