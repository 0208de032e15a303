"""How the LTSS suites talk to a target: the document's requests, built one way, redacted."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from payercert.auth import Token, basic_auth, cached_token, issued
from payercert.redact import REDACTOR
from payercert.session import TargetContext


class LtssClient:
    def __init__(self, target: TargetContext):
        self.target = target

    # --- Authentication Endpoint -------------------------------------------------------------
    def token_response(
        self,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        form: str = "urlencoded",
    ) -> httpx.Response:
        t = self.target
        app_id = app_id if app_id is not None else t.credential("app_id")
        app_secret = app_secret if app_secret is not None else t.credential("app_secret")
        body = {
            "grant_type": "password",
            "username": username if username is not None else t.credential("username"),
            "password": password if password is not None else t.credential("password"),
        }
        headers = {"Authorization": basic_auth(app_id, app_secret), "cache-control": "no-cache"}
        if form == "urlencoded":
            kwargs: dict[str, Any] = {"data": body}
        elif form == "multipart":
            kwargs = {"files": {k: (None, v) for k, v in body.items()}}
        else:
            kwargs = {"json": body}
        response = t.request("POST", t.url("token"), headers=headers, **kwargs)
        _remember_token(response)
        return response

    def token(self) -> str:
        """A valid access token, renewed before it expires (payercert.auth).

        `exp` is whole seconds, so a token can be up to a second shorter-lived than expires_in says.
        """
        return cached_token(self.target.cache, "ltss-token", self._fresh_token).value

    def _fresh_token(self) -> Token:
        asked = time.time()
        response = self.token_response()
        assert response.status_code == 200, f"LTSS-AUTH-1: token request refused with HTTP {response.status_code}"
        body = response.json()
        return issued(body["access_token"], float(body.get("expires_in") or 60) - 1.0, asked)

    def token_for(self, account: dict[str, str]) -> str:
        response = self.token_response(username=account["username"], password=account["password"])
        assert response.status_code == 200, f"token for the test account refused: HTTP {response.status_code}"
        return response.json()["access_token"]

    # --- Upload Billing Entry ------------------------------------------------------------------
    def upload(
        self,
        entry: Any,
        *,
        token: str | None = None,
        authorization: str | None = None,
        content_type: str = "application/json",
        raw: bytes | None = None,
    ) -> httpx.Response:
        headers = {"Content-Type": content_type, "cache-control": "no-cache"}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token != "":
            headers["Authorization"] = f"Bearer {token or self.token()}"
        import json

        content = raw if raw is not None else json.dumps(entry).encode()
        return self.target.request("POST", self.target.url("upload"), headers=headers, content=content)

    def error_code(self, response: httpx.Response) -> str | None:
        """The error code of a 400 body, under the key the target's reading says."""
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        key = "Message" if self.target.reading("LTSS-R-ERROR-BODY") == "as-printed" else "ErrorCode"
        value = body.get(key)
        return str(value) if value is not None else None


def _remember_token(response: httpx.Response) -> None:
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        return
    if isinstance(token, str):
        REDACTOR.add(token)


def fresh_id(entry: dict) -> dict:
    """A new TransactionId for an entry about to be sent, unless the id itself is under test."""
    tid = entry.get("TransactionId")
    try:
        uuid.UUID(str(tid))
    except ValueError:
        return entry
    return {**entry, "TransactionId": str(uuid.uuid4())}
