"""The one place HTTP clients are built: verified TLS, explicit timeouts, a rate limit, a total
deadline and a body-size cap per exchange, and a recorder that attaches every exchange to the
report, redacted, with a curl line to reproduce it.

A misbehaving server (silence, a one-byte-a-second drip, a reset, a huge body, a certificate
that is not trusted) ends the exchange with a `TransportError`: one line, never a hang.
"""
from __future__ import annotations

import shlex
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import httpx

from .redact import REDACTOR

MAX_BODY = 20 * 1024 * 1024


class TransportError(Exception):
    """The exchange did not complete: the target's fault or the network's, not a finding on content."""


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


Recorder = Callable[["httpx.Request", "httpx.Response | None", str | None], None]


class Transport:
    def __init__(self, *, verify: Any = True, limits: Limits | None = None, rate: float | None = None,
                 recorder: Recorder | None = None):
        self.limits = limits or Limits()
        self.rate = RateLimiter(rate)
        self.recorder = recorder
        timeout = httpx.Timeout(self.limits.read, connect=self.limits.connect)
        self.client = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; the response is read whole (within the deadline and size cap)."""
        request = self.client.build_request(method, url, **kwargs)
        self.rate.wait()
        started = time.monotonic()
        try:
            response = self._exchange(request, started)
        except TransportError as exc:
            self._record(request, None, str(exc))
            raise
        self._record(request, response, None)
        return response

    def _exchange(self, request: httpx.Request, started: float) -> httpx.Response:
        try:
            response = self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise TransportError(describe(exc, request)) from None
        try:
            chunks, size = [], 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > self.limits.max_body:
                    raise TransportError(f"{_where(request)}: response body exceeds {self.limits.max_body} bytes")
                if time.monotonic() - started > self.limits.deadline:
                    raise TransportError(f"{_where(request)}: response not complete within {self.limits.deadline:g}s")
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise TransportError(describe(exc, request)) from None
        finally:
            response.close()
        whole = httpx.Response(response.status_code, headers=response.headers, content=b"".join(chunks),
                               request=request, extensions=response.extensions)
        whole.elapsed_seconds = time.monotonic() - started  # type: ignore[attr-defined]
        return whole

    def _record(self, request: httpx.Request, response: httpx.Response | None, error: str | None) -> None:
        if self.recorder is not None:
            self.recorder(request, response, error)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def describe(exc: httpx.HTTPError, request: httpx.Request) -> str:
    """One line that says what went wrong at which layer."""
    cause = exc.__context__ or exc.__cause__
    if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        reason = getattr(cause, "verify_message", None) or "certificate verify failed"
        return f"{_where(request)}: TLS certificate not trusted ({reason})"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{_where(request)}: no connection within the connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return f"{_where(request)}: no response within the read timeout"
    if isinstance(exc, httpx.ConnectError):
        return f"{_where(request)}: cannot connect ({_first_line(exc)})"
    if isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)):
        return f"{_where(request)}: connection broken ({_first_line(exc) or type(exc).__name__})"
    return f"{_where(request)}: {type(exc).__name__} {_first_line(exc)}"


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


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
