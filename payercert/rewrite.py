"""Faults as data: a change to a conforming simulator's answers on one surface, the way real servers
break (a member dropped on one endpoint only, a header missing on one API version, a value in
another form), written as a `Rewrite` a fault profile carries (`payercert.simulation.Fault`).

The ASGI middleware `rewriting` applies it to the answers whose request and status match; the
simulator itself stays conforming. `edit` changes the parsed JSON body in place, `json` returns the
body to send instead, `lines` edits each NDJSON record in place, `text` changes the bytes, `status`
sends another status code. A gzip body is changed inside its coding.

A `Hook` is the same for the webhooks a simulator sends: its sender hands each payload to
`Hook.payload` before posting it.

A server that ignores a request parameter is a `query` change: the simulator answers the request as
if the parameter had not been sent (`ignore`). `where` narrows a rewrite to some requests (those
without credentials, say).
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode


@dataclass(frozen=True)
class Asked:
    """The request an answer is for, as a rewrite sees it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # names in lower case
    body: bytes = b""  # read only for a rewrite with a `where`

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)


@dataclass(frozen=True)
class Rewrite:
    path: str  # regex searched in the request's path
    method: str = "GET"
    status: str = "2.."  # regex on the answer's status code
    edit: Callable[[Any], object] | None = None  # edits the parsed body in place (what it returns is ignored)
    json: Callable[[Any], Any] | None = None  # the parsed body -> the body sent instead
    lines: Callable[[Any], object] | None = None  # edits each NDJSON record in place
    text: Callable[[bytes], bytes] | None = None  # the body's bytes -> the bytes sent
    # set a header, drop it (None), or change it (a function of its value, None when absent)
    headers: Mapping[str, str | None | Callable[[str | None], str | None]] = field(default_factory=dict)
    to_status: int | None = None  # the status code sent instead
    where: Callable[[Asked], bool] | None = None  # which requests, beyond method and path
    query: Callable[[list[tuple[str, str]]], list[tuple[str, str]]] | None = None  # what the simulator reads

    def names(self, method: str, path: str) -> bool:
        return method == self.method and bool(re.search(self.path, path))

    def answers(self, status: int) -> bool:
        return bool(re.fullmatch(self.status, str(status)))

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


@dataclass(frozen=True)
class Hook:
    """A change to the webhooks a simulator sends, on the events `event` matches (the simulator's
    names for its webhook events)."""

    event: str = ".*"  # regex on the event
    edit: Callable[[Any], object] | None = None  # edits the payload in place (a copy; every attempt)

    def payload(self, event: str, body: Any) -> Any:
        if self.edit is None or not re.fullmatch(self.event, event):
            return body
        changed = copy.deepcopy(body)
        self.edit(changed)
        return changed


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


def ignore(name: str, when: Callable[[str], bool] = lambda value: True) -> Callable[[list[tuple[str, str]]], Any]:
    """A query change: the parameter `name` is not read (where `when` holds for its value)."""
    return lambda query: [(k, v) for k, v in query if not (k == name and when(v))]


def sent(name: str) -> Callable[[Asked], bool]:
    """A `where`: requests that send the query parameter `name`."""
    return lambda asked: asked.param(name) is not None


def no_credentials(asked: Asked) -> bool:
    """A `where`: requests without an Authorization header."""
    return "authorization" not in asked.headers


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def rewriting(app: Any, rewrite: Rewrite) -> Any:
    """`app` with `rewrite` applied to the answers it concerns (the rest pass through untouched)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not rewrite.names(scope["method"], scope["path"]):
            return await app(scope, receive, send)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if rewrite.where is not None:
            body, receive = await _read_body(receive)
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            if not rewrite.where(Asked(scope["method"], scope["path"], query, headers, body)):
                return await app(scope, receive, send)
        if rewrite.query is not None:
            scope = {**scope, "query_string": urlencode(rewrite.query(query)).encode("latin-1")}
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if not rewrite.answers(message["status"]):
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


async def _read_body(receive: Any) -> tuple[bytes, Any]:
    """The request's body, and a `receive` that hands the app the same messages again."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = iter(messages)

    async def replay() -> dict[str, Any]:
        return next(pending, None) or await receive()

    return body, replay


async def _send_changed(send: Any, start: dict[str, Any], content: bytes, rewrite: Rewrite) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
    zipped = headers.get("content-encoding", "").lower() == "gzip"
    body = rewrite.body(gzip.decompress(content) if zipped else content)
    if zipped:
        body = gzip.compress(body)
    for name, change in rewrite.headers.items():
        value = change(headers.get(name.lower())) if callable(change) else change
        headers.pop(name.lower(), None)
        if value is not None:
            headers[name.lower()] = value
    headers["content-length"] = str(len(body))
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    status = start["status"] if rewrite.to_status is None else rewrite.to_status
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
