"""The pieces of an OAuth2 token endpoint (RFC 6749) that every simulator shares: reading the client's
credentials (HTTP Basic, or client_id/client_secret in the form), the error and success bodies of
sections 5.1 and 5.2 (never cached), and RS256 access tokens. Each simulator keeps what its payer does
its own way: the grant it accepts, its error statuses, its claims, its faults.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1: token responses are never cached


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(user, secret) of an `Authorization: Basic` header; None when there is none or it is malformed."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (user, secret) if sep else None


def form_credentials(form: Mapping[str, Any]) -> tuple[str, str] | None:
    """(client_id, client_secret) sent in the form body (client_secret_post); None without a client_id."""
    client_id = form.get("client_id")
    return (str(client_id), str(form.get("client_secret") or "")) if client_id else None


def token_error(error: str, status: int = 400, description: str | None = None) -> JSONResponse:
    """An RFC 6749 5.2 error: `error`, and `error_description` when the payer sends one."""
    body = {"error": error} | ({"error_description": description} if description else {})
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def token_response(access_token: str, lifetime: int, token_type: str = "Bearer", **extra: Any) -> JSONResponse:
    """An RFC 6749 5.1 success: the token, its type and lifetime in seconds, and any extra members."""
    body = {"access_token": access_token, "token_type": token_type, "expires_in": lifetime, **extra}
    return JSONResponse(body, headers=NO_STORE)


def signed_token(claims: Mapping[str, Any], key: Any, kid: str) -> str:
    """An RS256 JWT access token of `claims`, signed with the simulator's private key."""
    return jwt.encode(dict(claims), key, algorithm="RS256", headers={"kid": kid})
