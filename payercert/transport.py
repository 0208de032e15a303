"""The one place HTTP clients are built: verified TLS, explicit timeouts, a rate limit, a total
deadline and a body-size cap per exchange, and a recorder that attaches every exchange to the
report, redacted, with a curl line to reproduce it.

A misbehaving server (silence, a one-byte-a-second drip, a reset, a huge body, a certificate
that is not trusted or has expired, bytes that are not HTTP) ends the exchange with a
`TransportError`: one line, never a hang. The deadline holds however the bytes trickle in: every
socket wait (connect, TLS handshake, read, write) is capped by the time the exchange has left.
"""

from __future__ import annotations

import shlex
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .errors import TransportError
from .redact import REDACTOR

MAX_BODY = 20 * 1024 * 1024


@dataclass
class Limits:
    connect: float = 10.0
    read: float = 15.0
    deadline: float = 30.0  # the whole exchange, however the bytes trickle in
    max_body: int = MAX_BODY


class RateLimiter:
    """At most `rate` requests a second, spaced evenly (a payer's sandbox is not a load test)."""

    def __init__(self, rate: float | None):
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


class _Deadline(threading.local):
    """When the exchange running on this thread must be over (None between exchanges), and what
    its response declared so far (for the one-line reason when the body fails)."""

    at: float | None = None
    encoding: str = ""

    def cap(self, timeout: float | None, expired: type[Exception]) -> float | None:
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise expired("deadline passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait (connect, TLS handshake, read, write) ends by the deadline, so a
    server that drips a byte just inside the read timeout cannot stretch the exchange."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline):
        self._stream, self._deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


# httpcore's socket option (level, name, value) or (level, name, None, length), as its backends take them
_SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend, deadline: _Deadline):
        self._backend, self._deadline = backend, deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(
            host, port, timeout, local_address=local_address, socket_options=socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[_SocketOption] | None = None
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_unix_socket(path, timeout, socket_options=socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


# httpcore's errors as the httpx errors a client of httpx expects (most specific first).
_HTTPX_ERRORS: list[tuple[type[Exception], type[httpx.TransportError]]] = [
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
]


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, public in _HTTPX_ERRORS:
            if isinstance(exc, core):
                raise public(str(exc), request=request) from exc
        raise


class _TooLarge(Exception):
    """The response body passed the size cap (Content-Length says so, or the bytes did)."""


class _Overdue(Exception):
    """The response body was still arriving when the deadline passed."""


class _Body(httpx.SyncByteStream):
    """A response body read within the exchange's size cap and deadline."""

    def __init__(self, stream: Iterable[bytes], request: httpx.Request, deadline: _Deadline, max_body: int):
        self._stream, self._request, self._deadline, self._max = stream, request, deadline, max_body

    def __iter__(self) -> Iterator[bytes]:
        size = 0
        with _as_httpx_errors(self._request):
            for chunk in self._stream:  # every socket wait is capped by the deadline
                size += len(chunk)
                if size > self._max:
                    raise _TooLarge("")
                if self._deadline.at is not None and time.monotonic() > self._deadline.at:
                    raise _Overdue()
                yield chunk

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            closer()


class _DeadlineTransport(httpx.BaseTransport):
    """httpx's transport, on an httpcore pool whose network backend caps every socket wait by the
    exchange's deadline (httpcore's public `network_backend` parameter; httpx offers no such hook)."""

    def __init__(self, verify: Any, deadline: _Deadline, max_body: int, local_address: str | None = None):
        self.deadline, self.max_body = deadline, max_body
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        self.pool = httpcore.ConnectionPool(
            ssl_context=context,
            local_address=local_address,
            network_backend=_DeadlineBackend(httpcore.SyncBackend(), deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core = httpcore.Request(
            method=request.method,
            headers=request.headers.raw,
            extensions=request.extensions,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            content=request.stream,
        )
        with _as_httpx_errors(request):
            response = self.pool.handle_request(core)
        headers = httpx.Headers(response.headers)
        self.deadline.encoding = headers.get("content-encoding", "?")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise _TooLarge(f" (Content-Length {declared})")
        body = _Body(response.stream, request, self.deadline, self.max_body)  # type: ignore[arg-type]
        return httpx.Response(status_code=response.status, headers=headers, extensions=response.extensions, stream=body)

    def close(self) -> None:
        self.pool.close()


Recorder = Callable[["httpx.Request", "httpx.Response | None", str | None], None]


class Transport:
    def __init__(
        self,
        *,
        verify: Any = True,
        limits: Limits | None = None,
        rate: float | None = None,
        recorder: Recorder | None = None,
        local_address: str | None = None,
    ):
        self.limits = limits or Limits()
        self.rate = RateLimiter(rate)
        self.recorder = recorder
        self.local_address = local_address  # the source address to send from (e.g. 127.0.0.2), or any
        timeout = httpx.Timeout(self.limits.read, connect=self.limits.connect)
        self._deadline = _Deadline()
        self.transport = _DeadlineTransport(verify, self._deadline, self.limits.max_body, local_address)
        self.client = httpx.Client(transport=self.transport, timeout=timeout, follow_redirects=False)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; the response is read whole (within the deadline and size cap)."""
        request = self.client.build_request(method, url, **kwargs)
        request.read()  # multipart bodies are streams: read once so the recorder can show them
        self.rate.wait()
        started = time.monotonic()
        self._deadline.at = started + self.limits.deadline
        try:
            response = self._exchange(request, started)
        except TransportError as exc:
            request.extensions["payercert.waited"] = time.monotonic() - started  # how long it went unanswered
            self._record(request, None, str(exc))
            raise
        finally:
            self._deadline.at = None
        self._record(request, response, None)
        return response

    def _exchange(self, request: httpx.Request, started: float) -> httpx.Response:
        """The whole response (read and decoded within the limits), or a one-line TransportError."""
        where, limits = _where(request), self.limits
        too_late = f"{where}: response not complete within {limits.deadline:g}s"
        try:
            return self.client.send(request)
        except _TooLarge as exc:
            raise TransportError(f"{where}: response body exceeds {limits.max_body} bytes{exc}") from None
        except _Overdue:
            raise TransportError(too_late) from None
        except httpx.DecodingError as exc:
            raise TransportError(
                f"{where}: response body cannot be decoded ({self._deadline.encoding}: {_first_line(exc)})"
            ) from None
        except httpx.TimeoutException as exc:
            overdue = time.monotonic() - started >= limits.deadline  # the deadline cut a socket wait short
            raise TransportError(too_late if overdue else describe(exc, request)) from None
        except httpx.HTTPError as exc:
            raise TransportError(describe(exc, request)) from None

    def _record(self, request: httpx.Request, response: httpx.Response | None, error: str | None) -> None:
        if self.recorder is not None:
            self.recorder(request, response, error)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def describe(exc: httpx.HTTPError, request: httpx.Request) -> str:
    """One line that says what went wrong at which layer."""
    return f"{_where(request)}: {_reason(exc)}"


def _reason(exc: httpx.HTTPError) -> str:
    detail = _first_line(exc) or type(exc).__name__
    tls = _cause(exc, ssl.SSLError)
    if isinstance(tls, ssl.SSLCertVerificationError):
        code, message = tls.verify_code, tls.verify_message or "certificate verify failed"
        if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
            return "TLS certificate has expired"
        if code == 9:  # X509_V_ERR_CERT_NOT_YET_VALID
            return "TLS certificate is not yet valid"
        if code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
            return f"TLS certificate not valid for this host ({message})"
        return f"TLS certificate not trusted ({message})"
    if isinstance(exc, httpx.ConnectTimeout):
        return "no connection within the connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "no response within the read timeout"
    if isinstance(exc, httpx.WriteTimeout):
        return "request not accepted within the write timeout"
    if tls is not None and isinstance(exc, httpx.ConnectError):
        return f"TLS handshake failed ({_first_line(tls) or type(tls).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({detail})"
    if isinstance(exc, httpx.RemoteProtocolError):
        if detail.startswith(("Server disconnected", "peer closed connection")):
            counts = detail.partition("(")[2].rstrip(")")  # "received 5 bytes, expected 10"
            return "connection closed before the response was complete" + (f" ({counts})" if counts else "")
        return f"not a valid HTTP response ({_clip(detail)})"
    if isinstance(exc, (httpx.ReadError, httpx.WriteError)):
        return f"connection broken ({detail})"
    if isinstance(exc, httpx.DecodingError):
        return f"response body cannot be decoded ({_clip(detail)})"
    return f"{type(exc).__name__} {_clip(detail)}"


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` along the chain of causes (httpx wraps httpcore wraps ssl)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(request: httpx.Request) -> str:
    return f"{request.method} {REDACTOR.text(str(request.url.copy_with(query=None)))}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def curl_line(request: httpx.Request, ca_hint: str | None = None) -> str:
    """A redacted curl command that reproduces the request."""
    parts = ["curl", "-X", request.method, shlex.quote(REDACTOR.text(str(request.url)))]
    if ca_hint:
        parts += ["--cacert", shlex.quote(ca_hint)]
    for name, value in REDACTOR.headers(request.headers.multi_items()):
        if name.lower() in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.content:
        media = request.headers.get("content-type", "")
        parts += ["--data-raw", shlex.quote(REDACTOR.body(request.content, media))]
    return " ".join(parts)


def exchange_text(request: httpx.Request, response: httpx.Response | None, error: str | None) -> str:
    """The exchange as a person reads it, redacted."""
    lines = [f"{request.method} {REDACTOR.text(str(request.url))}"]
    lines += [f"{k}: {v}" for k, v in REDACTOR.headers(request.headers.multi_items())]
    if request.content:
        lines += ["", REDACTOR.body(request.content, request.headers.get("content-type", ""))]
    lines += ["", "---", ""]
    if response is None:
        lines.append(f"no response: {error}")
    else:
        lines.append(f"HTTP {response.status_code} {response.reason_phrase}")
        lines += [f"{k}: {v}" for k, v in REDACTOR.headers(response.headers.multi_items())]
        if response.content:
            lines += ["", REDACTOR.body(response.content[:200_000], response.headers.get("content-type", ""))]
    return "\n".join(lines)
