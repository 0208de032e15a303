"""Faults as data: a change to a conforming simulator's answers on one surface, the way real servers
break (a member dropped on one endpoint only, a header missing on one API version, a value in
another form), written as a `Rewrite` a fault profile carries (`payercert.simulation.Fault`).

The ASGI middleware `rewriting` applies it to the answers whose request and status match; the
simulator itself stays conforming. `edit` changes the parsed JSON body in place, `json` returns the
body to send instead, `lines` edits each NDJSON record in place, `text` changes the bytes. A gzip
body is changed inside its coding.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rewrite:
    path: str  # regex searched in the request's path
    method: str = "GET"
    status: str = "2.."  # regex on the answer's status code
    edit: Callable[[Any], object] | None = None  # edits the parsed body in place (what it returns is ignored)
    json: Callable[[Any], Any] | None = None  # the parsed body -> the body sent instead
    lines: Callable[[Any], object] | None = None  # edits each NDJSON record in place
    text: Callable[[bytes], bytes] | None = None  # the body's bytes -> the bytes sent
    headers: dict[str, str | None] = field(default_factory=dict)  # set a header, or drop it (None)

    def applies(self, method: str, path: str, status: int) -> bool:
        return (
            method == self.method and bool(re.search(self.path, path)) and bool(re.fullmatch(self.status, str(status)))
        )

    def body(self, content: bytes) -> bytes:
        if self.edit is not None or self.json is not None:
            value = json.loads(content)
            if self.edit is not None:
                self.edit(value)
            content = _dumps(self.json(value) if self.json is not None else value)
        if self.lines is not None:
            records = [json.loads(line) for line in content.splitlines() if line.strip()]
            for record in records:
                self.lines(record)
            content = b"".join(_dumps(r) + b"\n" for r in records)
        if self.text is not None:
            content = self.text(content)
        return content


# --- the changes most faults are made of ------------------------------------------------------------
def drop(key: str) -> Callable[[Any], None]:
    """An edit that removes a member of a JSON object."""

    def edit(body: Any) -> None:
        body.pop(key, None)

    return edit


def put(key: str, value: Any) -> Callable[[Any], None]:
    """An edit that sets a member of a JSON object."""

    def edit(body: Any) -> None:
        body[key] = value

    return edit


def replace_first(pattern: bytes, replacement: bytes) -> Callable[[bytes], bytes]:
    """A change of the bytes: the first match of `pattern` replaced."""
    return lambda content: re.sub(pattern, replacement, content, count=1)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def rewriting(app: Any, rewrite: Rewrite) -> Any:
    """`app` with `rewrite` applied to the answers it concerns (the rest pass through untouched)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if not rewrite.applies(scope["method"], scope["path"], message["status"]):
                    started["pass"] = True
                    return await send(message)
                started.update(message)
                return None
            if started.get("pass"):
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            return await _send_changed(send, started, b"".join(chunks), rewrite)

        return await app(scope, receive, capture)

    return wrapped


async def _send_changed(send: Any, start: dict[str, Any], content: bytes, rewrite: Rewrite) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
    zipped = headers.get("content-encoding", "").lower() == "gzip"
    body = rewrite.body(gzip.decompress(content) if zipped else content)
    if zipped:
        body = gzip.compress(body)
    for name, value in rewrite.headers.items():
        headers.pop(name.lower(), None)
        if value is not None:
            headers[name.lower()] = value
    headers["content-length"] = str(len(body))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": start["status"], "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
