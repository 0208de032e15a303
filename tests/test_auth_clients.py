"""payercert.auth: Basic headers and OAuth2 tokens as every suite sends them."""

from __future__ import annotations

import base64

from payercert.auth import Token, basic_auth, cached_token, issued
from payercert.redact import REDACTOR


def test_basic_registers_the_secret_and_its_base64_form():
    header = basic_auth("client-7", "s3cret-value-for-basic")
    assert header == "Basic " + base64.b64encode(b"client-7:s3cret-value-for-basic").decode()
    assert REDACTOR.text(f"sent {header}") == "sent Basic [REDACTED]"
    assert "s3cret-value-for-basic" not in REDACTOR.text("password s3cret-value-for-basic")


def test_token_renewed_before_it_expires():
    """Renewed with a quarter of its lifetime left, or a minute, whichever comes first."""
    hour = Token("t", expires=1000.0 + 3600, lifetime=3600)
    assert hour.fresh(now=1000.0 + 3600 - 61) and not hour.fresh(now=1000.0 + 3600 - 59)
    short = Token("t", expires=1000.0 + 8, lifetime=8)
    assert short.fresh(now=1000.0 + 5.9) and not short.fresh(now=1000.0 + 6.1)


def test_cached_token_fetches_once_while_fresh_and_anew_when_due():
    fetched = []

    def fetch() -> Token:
        fetched.append(1)
        return issued(f"token-number-{len(fetched)}", 3600, asked=0 if len(fetched) == 1 else 10**12)

    cache: dict = {}
    first = cached_token(cache, "k", fetch)  # asked at 0: long expired by now, so due at once
    second = cached_token(cache, "k", fetch)
    third = cached_token(cache, "k", fetch)
    assert (first.value, second.value, third.value) == ("token-number-1", "token-number-2", "token-number-2")
    assert len(fetched) == 2
    assert REDACTOR.text("token-number-2") == "[REDACTED]"
