"""Redaction: secrets never reach a log line, an Allure attachment, a report or a traceback.

Two nets: by name (headers, form fields and JSON keys that carry credentials) and by value
(every secret the run resolved, and the forms derived from it such as a Basic header).
"""

from __future__ import annotations

import base64
import builtins
import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|credential)", re.I)
# an XML element named for a secret (WS-Security's wsse:Password): its text, whatever the prefix
SECRET_ELEMENT = re.compile(
    r"(?P<open><(?P<name>(?:[\w.-]+:)?[\w.-]*(?:password|secret)[\w.-]*)(?:\s[^>]*)?>)"
    r"(?:<!\[CDATA\[.*?\]\]>|[^<]+)*?(?P<close></(?P=name)\s*>)",
    re.I | re.S,
)
MIN_LENGTH = 4  # shorter values would mask half the report


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern | None = None

    def add(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= MIN_LENGTH and value not in self._values:
                self._values.add(value)
                self._pattern = None

    def add_basic(self, user: str, secret: str) -> None:
        """A Basic header hides the secret inside base64: register that form too."""
        self.add(base64.b64encode(f"{user}:{secret}".encode()).decode())

    def known(self) -> Iterable[str]:
        return iter(self._values)

    def text(self, value: str) -> str:
        if not self._values or not value:
            return value
        if self._pattern is None:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub(MASK, value)

    def bytes(self, value: builtins.bytes) -> builtins.bytes:
        try:
            return self.text(value.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            for secret in self._values:
                value = value.replace(secret.encode(), MASK.encode())
            return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            if name.lower() in SECRET_HEADERS:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                value = f"{scheme} {MASK}".strip()
            out.append((name, self.text(value)))
        return out

    def data(self, value: Any) -> Any:
        """JSON-like data: secret-named keys masked, every string value-redacted."""
        if isinstance(value, dict):
            return {
                k: MASK if isinstance(k, str) and SECRET_KEYS.search(k) and v not in (None, "") else self.data(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, content: builtins.bytes, media_type: str) -> str:
        """A request or response body, as text fit for a report."""
        if "json" in media_type:
            try:
                return json.dumps(self.data(json.loads(content)), indent=2)
            except (ValueError, UnicodeDecodeError):
                pass
        if "x-www-form-urlencoded" in media_type:
            from urllib.parse import parse_qsl, urlencode

            pairs = parse_qsl(content.decode("utf-8", "replace"), keep_blank_values=True)
            return self.text(urlencode([(k, MASK if SECRET_KEYS.search(k) else v) for k, v in pairs]))
        text = content.decode("utf-8", "replace")
        text = re.sub(r'(name="[^"]*(?:pass|secret|token)[^"]*"\r?\n\r?\n)[^\r\n]*', rf"\1{MASK}", text, flags=re.I)
        text = SECRET_ELEMENT.sub(rf"\g<open>{MASK}\g<close>", text)
        return self.text(text)


REDACTOR = Redactor()
