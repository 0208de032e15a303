"""How a suite's failure message shows what a server sent: a header's value quoted, or "missing"
(never Python's None)."""

from __future__ import annotations

import httpx


def header_shown(response: httpx.Response, name: str) -> str:
    value = response.headers.get(name)
    return "missing" if value is None else repr(value)
