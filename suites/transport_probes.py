"""Probes of the transport requirements every feed has (HTTPS only, a TLS floor, honest framing).

The plain-HTTP probe sends a request to the service's own port over plain HTTP, without credentials
(a client never sends a secret unencrypted), and judges the answer against the service's answer to
the same request over HTTPS: a refusal, a redirect to HTTPS or a front's own error page is fine; an
answer in 1xx/2xx, a redirect elsewhere, or the API's own answer (same status, media type and JSON
keys as over HTTPS) means the API is served unencrypted.

The raw exchange reads an answer as bytes to the end, so that its Content-Length can be held against
the body that arrived: an HTTP client library trusts Content-Length and hides a mismatch.
"""

from __future__ import annotations

import socket
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from payercert.errors import TransportError


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    keys: tuple[str, ...] = ()  # a JSON object's top-level keys: what marks the API's own answer
    location: str = ""

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        keys: tuple[str, ...] = ()
        if "json" in media_type:
            try:
                body = response.json()
            except ValueError:
                body = None
            keys = tuple(sorted(body)) if isinstance(body, dict) else ()
        return cls(response.status_code, media_type, keys, response.headers.get("location", ""))

    def __str__(self) -> str:
        return f"{self.status} {self.media_type or '(no media type)'}"


def plain_http_url(url: str) -> str:
    """The same URL over plain HTTP to the same port (the default port too: 443 stays 443)."""
    parts = urlsplit(url)
    port = parts.port or 443
    return parts._replace(scheme="http", netloc=f"{parts.hostname}:{port}").geturl()


def plain_answer(send: Callable[[], httpx.Response]) -> Answer | None:
    """The answer to `send` (the probe over plain HTTP), or None when the connection itself failed."""
    try:
        return Answer.of(send())
    except TransportError:
        return None


def served_over_plain_http(over_https: Answer, over_http: Answer | None) -> str | None:
    """Why the plain-HTTP answer shows the service served without TLS, or None when it was refused
    (`over_http` None: the connection itself failed)."""
    if over_http is None:
        return None
    if 300 <= over_http.status < 400 and over_http.location:
        if over_http.location.startswith("https://"):
            return None
        return f"plain HTTP was redirected to {over_http.location!r}, not to HTTPS"
    if over_http.status < 400:
        return f"plain HTTP was answered {over_http}"
    if over_http == over_https:
        return f"plain HTTP reached the service: it answered {over_http}, as it answers the same request over HTTPS"
    return None


def _trusting(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext:
    """A client context that trusts as the target does (`verify` as httpx takes it)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    return ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)


def handshake(url: str, verify: ssl.SSLContext | str | bool = True, version: ssl.TLSVersion | None = None) -> str:
    """The TLS version a handshake with `url`'s host negotiates: trusting as the target does (`verify`,
    as httpx takes it), or offering only `version` (certificates are not this probe's concern then)."""
    if version is None:
        context = _trusting(verify)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old protocol at all
        with warnings.catch_warnings():  # ssl deprecates TLS 1.0 and 1.1: offering them is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = version
    parts = urlsplit(url)
    host = parts.hostname or ""
    with socket.create_connection((host, parts.port or 443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.version() or ""


def accepted_old(url: str, version: ssl.TLSVersion) -> str | None:
    """The version a handshake offering only `version` negotiated, or None when it was refused."""
    try:
        return handshake(url, version=version)
    except (ssl.SSLError, OSError):
        return None


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes  # every byte after the header block until the server closed the connection (or the deadline)


def raw_exchange(
    url: str, verify: ssl.SSLContext | str | bool, headers: dict[str, str], body: bytes, deadline: float = 15.0
) -> RawAnswer:
    """One POST on a fresh connection with `Connection: close`, its answer read to the end."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    lines = [f"POST {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    context = _trusting(verify)
    received = bytearray()
    end = time.monotonic() + deadline
    with socket.create_connection((host, parts.port or 443), timeout=deadline) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            tls.sendall("\r\n".join(lines).encode("latin-1") + body)
            while time.monotonic() < end:
                tls.settimeout(max(0.1, end - time.monotonic()))
                try:
                    chunk = tls.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                received += chunk
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = status_line.split(" ", 2)
    status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    found = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return RawAnswer(status, found, rest)
