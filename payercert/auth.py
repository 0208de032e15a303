"""Credentials as a client sends them, for every suite: HTTP Basic, and OAuth2 access tokens kept
per target and renewed before they expire, as a real client renews them.

Every secret that goes into a header is registered with the redactor first (and a Basic header's
base64 form too), so no report shows it.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .redact import REDACTOR

RENEW_AT_MOST = 60.0  # seconds before expiry a token is renewed at the latest ...
RENEW_SHARE = 0.25  # ... or when this share of its lifetime is left, whichever comes first


def basic_auth(user: str, secret: str) -> str:
    """The `Authorization` value of HTTP Basic for user:secret."""
    REDACTOR.add(secret)
    REDACTOR.add_basic(user, secret)
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@dataclass(frozen=True)
class Token:
    value: str
    expires: float  # time.time() when it runs out, counted from when it was asked for
    lifetime: float  # seconds, as the server announced (expires_in)

    def fresh(self, now: float | None = None) -> bool:
        """Whether it is still worth sending: more than the renewal margin left."""
        left = self.expires - (time.time() if now is None else now)
        return left > min(RENEW_AT_MOST, self.lifetime * RENEW_SHARE)


def issued(value: str, lifetime: float, asked: float) -> Token:
    """A token answered with `expires_in` = lifetime to a request sent at `asked` (time.time())."""
    REDACTOR.add(value)
    return Token(value, asked + lifetime, lifetime)


def cached_token(cache: dict[Any, Any], key: Any, fetch: Callable[[], Token]) -> Token:
    """The token under `key` in a target's cache, fetched anew when it is missing or due for renewal."""
    token = cache.get(key)
    if not isinstance(token, Token) or not token.fresh():
        token = cache[key] = fetch()
    return token
