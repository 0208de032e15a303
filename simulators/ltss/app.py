"""The LTSS simulator's ASGI app: what the document says the payer does, and nothing more lenient."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.feeds import load_feed
from payercert.simulation import load_simulator
from payercert.simulators.keys import signing_key
from payercert.token_endpoint import basic_credentials, signed_token, token_error, token_response
from payercert.validators.rules import RuleContext
from payercert.validators.ruleset import load_ruleset

from .faults import RULE_CHANGES

ISSUER = "https://payercert.local/ltss-sso"
SCOPE = "ltss.providerupload"


@dataclass
class AppClient:
    app_id: str
    secret: str
    scopes: tuple[str, ...]
    token_lifetime: int | None = None  # seconds; None: the simulator's lifetime


@dataclass
class SsoUser:
    username: str
    password: str
    staff_profile: bool


def reference_data(today: date) -> dict[str, Any]:
    """Synthetic target data: the document keeps the real catalogue with DDA (docs/sources/payers.md 3.2)."""
    return {
        # go-live older than the 365-day window, so that window's edges can be seen; a client in
        # its pilot phase has its own, recent start ("client's pilot date", Data Format)
        "go_live": today - timedelta(days=400),
        "service_identifiers": [
            {"id": "PERSUP15", "basis": "unit", "max_units": 96, "text": "Personal supports, 15-minute units"},
            {"id": "DAYHAB", "basis": "unit", "max_units": 1, "text": "Day habilitation, daily unit"},
            {"id": "TRANSP", "basis": "cost", "max_rate": 250.00, "text": "Transportation, cost-based"},
            {"id": "ENVMOD", "basis": "cost", "max_rate": 1500.00, "text": "Environmental modification"},
        ],
        # the document's own sample ids are known, so its samples can succeed unchanged
        "clients": ["A1234567890", "B2345678901", {"id": "P4567890123", "pilot_date": today - timedelta(days=120)}],
        "provider_mas": ["A12345678", "B23456789"],
    }


class LtssSimulator:
    def __init__(
        self,
        fault: str | None = None,
        *,
        token_lifetime: int = 3600,
        short_token_lifetime: int = 2,
        today: Callable[[], date] | None = None,
        readings: dict[str, str] | None = None,
    ):
        self.feed = load_feed("ltss")
        self.fault = load_simulator("ltss").fault(fault)
        self.readings = {**self.feed.default_readings(), **(readings or {})}
        kind = self.feed.kinds["billing-entry"]
        if kind.rules_path is None:
            raise ValueError("the ltss feed's billing-entry kind names no rules file")
        rules = load_ruleset(kind.rules_path, self.readings)
        self.rules = rules.with_changes(RULE_CHANGES.get(fault, []) if fault is not None else [])
        self.token_lifetime = token_lifetime
        self._today = today or (lambda: datetime.now(ZoneInfo(self.feed.timezone)).date())
        self.data = reference_data(self.today())
        self.clients = {
            "payercert-demo-app": AppClient("payercert-demo-app", secrets.token_urlsafe(18), (SCOPE,)),
            "payercert-noscope-app": AppClient("payercert-noscope-app", secrets.token_urlsafe(18), ()),
            # the one client whose tokens expire in seconds: the expiry test asks for it by name,
            # so no other test's token can run out under a slow machine
            "payercert-short-token-app": AppClient(
                "payercert-short-token-app", secrets.token_urlsafe(18), (SCOPE,), short_token_lifetime
            ),
        }
        self.users = {
            "demo.provider": SsoUser("demo.provider", secrets.token_urlsafe(12) + "!a1", True),
            "nostaff.user": SsoUser("nostaff.user", secrets.token_urlsafe(12) + "!a1", False),
        }
        self.key = signing_key()
        # by TransactionId as sent: the rules require one, not that it is a string
        self.entries: dict[Any, dict] = {}
        self.failed_ids: set[str] = set()
        urls = self.feed.environments["test"]["urls"]
        self.token_path = urlparse(urls["token"]).path
        self.upload_path = urlparse(urls["upload"]).path
        self.app = Starlette(
            routes=[
                Route(self.token_path, self.token, methods=["POST"]),
                Route(self.upload_path, self.upload, methods=["POST"]),
            ]
        )

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    def today(self) -> date:
        return self._today()

    # --- the local target: everything a suite needs to test this simulator ------------------
    def local_target(self, base_url: str) -> dict[str, Any]:
        demo, noscope = self.clients["payercert-demo-app"], self.clients["payercert-noscope-app"]
        short = self.clients["payercert-short-token-app"]
        user, nostaff = self.users["demo.provider"], self.users["nostaff.user"]
        return {
            "urls": {"token": base_url + self.token_path, "upload": base_url + self.upload_path},
            "credentials": {
                "app_id": demo.app_id,
                "app_secret": demo.secret,
                "username": user.username,
                "password": user.password,
            },
            "accounts": {
                "no_scope_client": {"app_id": noscope.app_id, "app_secret": noscope.secret},
                "short_token_client": {"app_id": short.app_id, "app_secret": short.secret},
                "no_staff_user": {"username": nostaff.username, "password": nostaff.password},
            },
            "data": self.data,
            "secrets": [demo.secret, noscope.secret, short.secret, user.password, nostaff.password],
        }

    # --- token endpoint (Authentication Endpoint) ---------------------------------------------
    async def token(self, request: Request) -> Response:
        media = _media_type(request)
        if media not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if self.readings["LTSS-R-TOKEN-CONTENT-TYPE"] == "identityserver":
                return token_error("invalid_request", 400)
            return JSONResponse({"error": "server_error"}, status_code=500)
        client = self._client(request)
        if client is None:
            return token_error("invalid_client", self._client_error_status())
        try:
            form = await request.form()
        except Exception:
            return token_error("invalid_request", 400)
        if form.get("grant_type") != "password":
            return token_error("unsupported_grant_type", 400)
        if not client.scopes and not self.broken("invalid-scope-issued"):
            return token_error("invalid_scope", self._client_error_status())
        user = self.users.get(str(form.get("username", "")))
        password_ok = user is not None and secrets.compare_digest(str(form.get("password", "")), user.password)
        if user is None or not (password_ok or self.broken("accept-wrong-password")):
            return token_error("invalid_grant", 400, "invalid_username_or_password")
        return self._issue(client, user)

    def _client_error_status(self) -> int:
        return 400 if self.readings["LTSS-R-CLIENT-ERROR-STATUS"] == "identityserver" else 401

    def _client(self, request: Request) -> AppClient | None:
        app_id, secret = basic_credentials(request) or ("", "")
        client = self.clients.get(app_id)
        if client is None:
            return None
        if secrets.compare_digest(secret, client.secret) or self.broken("accept-wrong-app-secret"):
            return client
        return None

    def _issue(self, client: AppClient, user: SsoUser) -> Response:
        now, lifetime = int(time.time()), client.token_lifetime or self.token_lifetime
        scope = " ".join(client.scopes) or SCOPE
        claims = {
            "iss": ISSUER,
            "sub": user.username,
            "client_id": client.app_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + (lifetime // 4 if self.broken("token-dies-early") else lifetime),
            "jti": uuid.uuid4().hex,
        }
        token_type = "bearer-jwt" if self.broken("token-type-not-bearer") else "Bearer"
        return token_response(signed_token(claims, self.key, "payercert-sim"), lifetime, token_type, scope=scope)

    # --- upload endpoint (Upload Billing Entry) -------------------------------------------------
    async def upload(self, request: Request) -> Response:
        raw = await request.body()
        if _media_type(request) != "application/json" and not self.broken("no-500-on-wrong-content-type"):
            return JSONResponse({"Message": "An error has occurred."}, status_code=500)
        entry = _json_object(raw)
        tid = entry.get("TransactionId") if isinstance(entry, dict) else None
        headers = {"TID": tid} if _header_safe(tid) and not self.broken("drop-tid-header") else {}
        user = self._bearer_user(request)
        if user is None:
            return Response(status_code=401, headers={**headers, "WWW-Authenticate": "Bearer"})
        if not isinstance(entry, dict) or isinstance(tid, list | dict):  # what no model binding takes
            return JSONResponse({"Message": "The request is invalid."}, status_code=400, headers=headers)
        if self.readings["LTSS-R-REUSE"] == "replay" and self._is_retry(entry, user):
            return Response(status_code=200, headers=headers)  # the same entry again: nothing new is created
        ctx = RuleContext(
            today=self.today(),
            data=self.data,
            seen={"TransactionId": self._used_ids()},
            session={"staff_profile": user.staff_profile},
        )
        first = self.rules.evaluate(entry, ctx, scopes=("session", "record"), stop_at_first=True).first
        if first is not None:
            if isinstance(tid, str):
                self.failed_ids.add(tid)
            code = first.rule.code
            assert code is not None  # Evaluation.first is the first violation of a rule with a code
            return JSONResponse(self._error_body(code, first.rule.message), status_code=400, headers=headers)
        self.entries[tid] = {**entry, "_user": user.username}
        return Response(status_code=200, headers=headers)

    def _is_retry(self, entry: dict, user: SsoUser) -> bool:
        tid = entry.get("TransactionId")
        stored = self.entries.get(tid) if isinstance(tid, str) else None
        return stored is not None and stored == {**entry, "_user": user.username}

    def _used_ids(self) -> set[Any]:
        used = set(self.entries)
        return used | self.failed_ids if self.broken("reject-reused-failed-id") else used

    def _error_body(self, code: str, message: str) -> dict:
        if self.broken("error-body-without-code"):
            return {"Message": message}
        if self.readings["LTSS-R-ERROR-BODY"] == "as-printed":
            return {"Message": code, "ErrorCode": message}
        return {"ErrorCode": code, "Message": message}

    def _bearer_user(self, request: Request) -> SsoUser | None:
        header = request.headers.get("authorization")
        if header is None and self.broken("accept-missing-token"):
            return self.users["demo.provider"]
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=["RS256"],
                issuer=ISSUER,
                options={"verify_exp": not self.broken("accept-expired-token"), "require": ["exp", "sub"]},
            )
        except jwt.PyJWTError:
            return None
        return self.users.get(claims["sub"])


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _json_object(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def create(fault: str | None = None, **options: Any) -> LtssSimulator:
    return LtssSimulator(fault, **options)


def _header_safe(value: Any) -> TypeGuard[str]:
    """Echo a TransactionId only when it can travel as a header value: visible ASCII (RFC 9110's
    field-vchar and spaces between), which `str.isprintable` alone does not ensure."""
    return isinstance(value, str) and value.strip() == value and value != "" and value.isascii() and value.isprintable()
