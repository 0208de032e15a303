"""Whole HTTP/1.1 messages held in files: start line, headers, body.

A sample file or a captured exchange is a request (`POST /path HTTP/1.1`) or a response
(`HTTP/1.1 200 OK`), its headers, an empty line and the body bytes, untouched. Lines end in CRLF;
bare LF is accepted for the head only (the body is never rewritten).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import email.message

_START = re.compile(rb"^(?:[A-Z]+ \S+ HTTP/\d\.\d|HTTP/\d\.\d \d{3}(?: .*)?)\r?$")


@dataclass
class HttpMessage:
    start_line: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # as sent, in order, duplicates kept
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return not self.start_line.startswith("HTTP/")

    @property
    def status(self) -> int | None:
        return None if self.is_request else int(self.start_line.split()[1])

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def header_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.headers:
            out.setdefault(k, v)
        return out


def looks_like_http(raw: bytes) -> bool:
    line = raw.split(b"\n", 1)[0]
    return bool(_START.match(line))


def parse_http(raw: bytes) -> HttpMessage:
    """Split a whole HTTP message; ValueError (one line) when it has no start line or header block end."""
    if not looks_like_http(raw):
        raise ValueError("not an HTTP message: the first line is neither a request line nor a status line")
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(sep)
        if found:
            break
    else:
        raise ValueError("the HTTP header block has no end (no empty line before the body)")
    try:
        lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    except UnicodeDecodeError as exc:  # latin-1 never fails; kept for clarity of intent
        raise ValueError(f"unreadable HTTP header: {exc}") from None
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.strip():
            raise ValueError(f"malformed HTTP header line {line[:60]!r}")
        headers.append((name, value.strip()))
    return HttpMessage(lines[0].strip(), headers, body)


_ENTITY_HEADER = re.compile(
    rb"^(?:MIME-Version|Content-Type|Content-ID|Content-Transfer-Encoding|Content-Disposition):", re.I
)


def parse_entity(raw: bytes) -> HttpMessage | None:
    """A MIME entity as captured without its HTTP start line (headers, an empty line, the body), or
    None: `start_line` is empty, and the headers must name a Content-Type."""
    if not _ENTITY_HEADER.match(raw):
        return None
    try:
        entity = parse_http(b"POST / HTTP/1.1\r\n" + raw)
    except ValueError:
        return None
    if entity.header("Content-Type") is None:
        return None
    return HttpMessage("", entity.headers, entity.body)


def content_type_params(content_type: str | None) -> email.message.Message:
    import email.message  # only for an HTTP message's parameters, and not at every start

    """A Content-Type parsed by the stdlib (media type and its parameters, quoted-pair aware)."""
    msg = email.message.Message()
    msg["Content-Type"] = content_type or ""
    return msg
