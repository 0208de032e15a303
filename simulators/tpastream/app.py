"""The TPA Stream simulator's ASGI app: the document's GET endpoints, Basic auth with an e-mail and a
secret API key, a per-user IP CIDR allow-list, Flask-SQLAlchemy pagination, the two claim filters,
the nested claims paths and the error payload."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.feeds import load_feed
from payercert.simulation import load_simulator
from payercert.token_endpoint import basic_credentials

from .data import DataSet, pages_of
from .webhooks import WebhookSender

INTEGER = re.compile(r"^[0-9]+$")
# The documented trigger of an unexpected error (TPA-ERR-6): no real parameter; recorded in
# local_target()["options"]["error_url"] so the suite never guesses it.
ERROR_TRIGGER = ("payercert_raise", "1")


@dataclass
class User:
    user_id: int
    email: str
    api_key: str
    allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    ssh_keys: tuple = field(default=())  # public keys registered at /settings/ssh (SSH-JWT)


def key_alg(key) -> str | None:
    """The one alg a key type allows (docs/sources/payers.md 2.3): RSA RS256, Ed25519 EdDSA, P-256/384/521 ES256/384/512."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return "RS256"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "EdDSA"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(key.curve.name)
    return None


class BadRequest(Exception):
    pass


class TpaStreamSimulator:
    def __init__(
        self,
        fault: str | None = None,
        *,
        readings: dict[str, str] | None = None,
        seed: int = 7,
        employers: int = 3,
        claims: int = 60,
        members_per_employer: int = 4,
        webhook_first_retry_s: float = 60.0,
        webhook_retry_window_s: float = 4 * 3600.0,
    ):
        self.feed = load_feed("tpastream")
        self.fault = load_simulator("tpastream").fault(fault)
        self.readings = {**self.feed.default_readings(), **(readings or {})}
        self.user = User(
            4242, "certify@payercert.example", secrets.token_urlsafe(24), (ipaddress.ip_network("127.0.0.1/32"),)
        )
        self.restricted = User(
            4343, "restricted@payercert.example", secrets.token_urlsafe(24), (ipaddress.ip_network("192.0.2.0/24"),)
        )
        self.users = {u.email: u for u in (self.user, self.restricted)}
        self.ssh_key = ed25519.Ed25519PrivateKey.generate()
        self.user.ssh_keys = (self.ssh_key.public_key(),)
        self.ssh_pem = self.ssh_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.data = DataSet(
            seed=seed,
            employers=employers,
            claims=claims,
            members_per_employer=members_per_employer,
            user_id=self.user.user_id,
        )
        self.webhooks = WebhookSender(
            broken=self.broken, first_retry_s=webhook_first_retry_s, retry_window_s=webhook_retry_window_s
        )
        self.app = Starlette(
            routes=[
                Route("/keys", self.keys),
                # not TPA Stream's API: how a local run sets the webhook URL (Account Settings) and
                # presses a claim's "Replay webhook" (the claims page), which a real user does by hand
                Route("/_payercert/webhook", self.webhook_settings, methods=["PUT"]),
                Route("/_payercert/claims/{id}/replay", self.replay, methods=["POST"]),
                Route("/api/claims", self.claims),
                Route("/api/employer", self.employers),
                Route("/api/member", self.members),
                Route("/api/policy_holder", self.policy_holders),
                Route("/api/employer/{id}/claims", self.employer_claims),
                Route("/api/member/{id}/claims", self.member_claims),
                Route("/api/policy_holder/{id}/claims", self.policy_holder_claims),
            ],
            exception_handlers={HTTPException: self._http_error, Exception: self._unexpected},
        )

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    # --- the local target --------------------------------------------------------------------------
    def local_target(self, base_url: str) -> dict[str, Any]:
        reading = self.readings["TPA-R-EFFECTIVE-DATE"]
        read, before = self.data.read_claim_ids(), self.data.before_effective_ids(reading)
        return {
            "urls": {
                "api": base_url + "/api",
                "webhook_keys": base_url + "/keys",
                "webhook_settings": base_url + "/_payercert/webhook",
                "webhook_replay": base_url + "/_payercert/claims/{claim_id}/replay",
            },
            "credentials": {"email": self.user.email, "api_key": self.user.api_key, "ssh_private_key": self.ssh_pem},
            "accounts": {"restricted": {"email": self.restricted.email, "api_key": self.restricted.api_key}},
            "data": {
                "read_claim": read[0],
                "read_claims": read,
                "claim_before_effective_date": before[0],
                "claims_before_effective_date": before,
            },
            "secrets": [self.user.api_key, self.restricted.api_key, self.ssh_pem],
            "options": {
                # the credentials' allow-list is 127.0.0.1/32: this loopback address is outside it
                "outside_address": "127.0.0.2",
                # a request that the simulator answers with an unexpected error (500 + event_id)
                "error_url": f"{base_url}/api/claims?{ERROR_TRIGGER[0]}={ERROR_TRIGGER[1]}",
                # the webhook retry policy, scaled: first retry and how long retries go on (4 h at TPA Stream)
                "webhook_first_retry_s": self.webhooks.first_retry_s,
                "webhook_retry_window_s": self.webhooks.retry_window_s,
            },
        }

    # --- errors ----------------------------------------------------------------------------------
    def error(self, status: int, message: str) -> JSONResponse:
        if status == 404 and self.broken("error-without-message"):
            return JSONResponse({"error": message}, status_code=status)
        return JSONResponse({"message": message}, status_code=status)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # Starlette hands this handler only what it was registered for
        return self.error(exc.status_code, exc.detail or "error")

    async def _unexpected(self, request: Request, exc: Exception) -> Response:
        return self.unexpected()

    def unexpected(self) -> JSONResponse:
        body = {"message": "An unexpected error occurred; our engineers have been notified."}
        if not self.broken("no-event-id"):
            body["event_id"] = uuid.uuid4().hex
        return JSONResponse(body, status_code=500)

    # --- auth and the allow-list -----------------------------------------------------------------
    def _authorize(self, request: Request) -> User | Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if not scheme:
            return self.error(401, "Authentication required: send your e-mail and secret API key (Basic).")
        user: User | None = None
        if scheme.lower() == "ssh-jwt" or (scheme.lower() == "bearer" and self.broken("jwt-bearer-accepted")):
            answer = self._jwt_user(value.strip())
            if isinstance(answer, Response):
                return answer
            user = answer
        elif scheme.lower() == "basic":
            email, key = basic_credentials(request) or ("", "")
            candidate = self.users.get(email.lower()) if email else None
            if candidate is not None and (
                secrets.compare_digest(key.encode(), candidate.api_key.encode()) or self.broken("accept-wrong-api-key")
            ):
                user = candidate
        if user is None:  # unknown e-mail, wrong key, malformed header, unknown scheme: one answer
            return self.error(401, "Invalid e-mail or API key.")
        if not self._allowed(user, request) and not self.broken("ip-allowlist-ignored"):
            return self.error(403, "Your IP address is not in this user's allowed IP range.")
        return user

    def _jwt_user(self, token: str) -> User | Response:
        """SSH-JWT (docs/sources/payers.md 2.3): claims email, iat, exp; alg of the registered key; no clock-skew tolerance."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self.error(400, "JWT could not be decoded.")
        missing = [c for c in ("email", "iat", "exp") if c not in claims]
        if missing:
            return self.error(400, f"JWT missing required claim(s): {', '.join(missing)}.")
        user = self.users.get(str(claims["email"]).lower())
        if user is None:
            return self.error(401, "JWT could not be verified.")  # unknown e-mail and bad signature alike
        keys = user.ssh_keys
        algs = {key_alg(k) for k in keys}
        if keys and header.get("alg") not in algs:
            needs = sorted(algs, key=str)[0]  # (None: a key type no alg signs for)
            return self.error(
                400, f"JWT 'alg' header is {str(header.get('alg'))[:20]!r}; the registered key needs {needs!r}."
            )
        for key in keys:
            alg = key_alg(key)
            if alg is None:
                continue  # a key type no JWT alg signs for verifies nothing
            try:
                jwt.decode(
                    token,
                    key,
                    algorithms=[alg],
                    leeway=0,
                    options={"require": ["email", "iat", "exp"], "verify_exp": not self.broken("jwt-expired-accepted")},
                )
            except jwt.ExpiredSignatureError:
                return self.error(401, "JWT has expired.")
            except jwt.ImmatureSignatureError:
                return self.error(401, "JWT is not yet valid.")
            except jwt.PyJWTError:
                continue
            if isinstance(claims.get("iat"), (int, float)) and claims["iat"] > time.time():
                return self.error(401, "JWT is not yet valid.")
            return user
        return self.error(401, "JWT could not be verified.")  # unknown e-mail and bad signature alike

    @staticmethod
    def _allowed(user: User, request: Request) -> bool:
        try:
            address = ipaddress.ip_address(request.client.host if request.client else "")
        except ValueError:
            return False
        return any(address in net for net in user.allow)

    # --- list endpoints ----------------------------------------------------------------------------
    async def claims(self, request: Request) -> Response:
        return self._claims_list(request, lambda c: True)

    async def employer_claims(self, request: Request) -> Response:
        employer_id = self._entity_id(request, self.data.employers, "employer")
        if isinstance(employer_id, Response):
            return employer_id
        leak = self.broken("employer-claims-leak")
        other = next((c.id for c in self.data.claims if c.employer_id != employer_id), None) if leak else None
        return self._claims_list(request, lambda c: c.employer_id == employer_id or c.id == other, nested=True)

    async def member_claims(self, request: Request) -> Response:
        member_id = self._entity_id(request, self.data.members, "member")
        if isinstance(member_id, Response):
            return member_id
        return self._claims_list(request, lambda c: c.member_id == member_id, nested=True)

    async def policy_holder_claims(self, request: Request) -> Response:
        ph_id = self._entity_id(request, self.data.policy_holders, "policy holder")
        if isinstance(ph_id, Response):
            return ph_id
        return self._claims_list(request, lambda c: c.policy_holder_id == ph_id, nested=True)

    async def employers(self, request: Request) -> Response:
        return self._entity_list(request, self.data.employers)

    async def members(self, request: Request) -> Response:
        return self._entity_list(request, self.data.members)

    async def policy_holders(self, request: Request) -> Response:
        return self._entity_list(request, self.data.policy_holders)

    def _entity_id(self, request: Request, table: dict, what: str) -> int | Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        raw = request.path_params["id"]
        if not INTEGER.match(raw) or int(raw) not in table:
            return self.error(404, f"No {what} with id {raw[:40]}.")
        return int(raw)

    def _entity_list(self, request: Request, table: dict) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        ids = sorted(table)
        return self._page(request, ids, lambda i: table[i])

    def _claims_list(self, request: Request, keep: Callable[[Any], bool], nested: bool = False) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        if request.query_params.get(ERROR_TRIGGER[0]) == ERROR_TRIGGER[1]:
            return self.unexpected()  # what the handler of an unexpected exception answers
        hide_read = request.query_params.get("hide_read") == "on" and not self.broken("hide-read-ignored")
        hide_before = request.query_params.get("hide_before_effective_date") == "on" and not self.broken(
            "hide-before-effective-date-ignored"
        )
        reading = self.readings["TPA-R-EFFECTIVE-DATE"]
        ids = [
            c.id
            for c in self.data.claims
            if keep(c)
            and not (hide_read and c.read and user.user_id == self.data.user_id)
            and not (hide_before and self.data.before_effective(c, reading))
        ]
        if nested and self.broken("nested-money-as-strings"):  # a serialiser of one endpoint only
            return self._page(request, ids, lambda claim_id: _money_as_strings(self._claim(claim_id)))
        return self._page(request, ids, self._claim)

    def _claim(self, claim_id: int) -> dict:
        claim = self.data.claim(claim_id)
        if self.broken("invalid-bounds"):
            for line in claim["claim_medical_lines"]:
                if line["date_of_service"]:
                    line["date_of_service"]["bounds"] = "[["
        if self.broken("range-reversed"):
            for line in claim["claim_medical_lines"]:
                dos = line["date_of_service"]
                if dos and dos["start"] and dos["end"] and dos["start"] != dos["end"]:
                    dos["start"], dos["end"] = dos["end"], dos["start"]
        if self.broken("claim-policy-holder-mismatch") and claim.get("policy_holder"):
            claim["policy_holder_fullname"] = claim["policy_holder"].get("fullname", "") + " Jr."
        return claim

    # --- webhooks -----------------------------------------------------------------------------------
    async def keys(self, request: Request) -> Response:
        """The webhook signing key, as https://app.tpastream.com/keys serves it (an OpenSSH line)."""
        return Response(self.webhooks.public_key() + b"\n", media_type="text/plain")

    async def webhook_settings(self, request: Request) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return self.error(400, 'Give the webhook URL as {"url": ...}.')
        self.webhooks.configure(body["url"], body.get("ca_pem"))
        return Response(status_code=204)

    async def replay(self, request: Request) -> Response:
        claim_id = self._entity_id(request, {c.id: c for c in self.data.claims}, "claim")
        if isinstance(claim_id, Response):
            return claim_id
        if self.broken("replay-sends-another-claim"):
            claim_id = next(c.id for c in self.data.claims if c.id != claim_id)
        claim = self._claim(claim_id)
        if self.broken("webhook-claim-without-policy-holder-id"):
            claim.pop("policy_holder_id", None)
        if not self.webhooks.post(claim):
            return self.error(409, "No webhook URL is set in the account settings.")
        return Response(status_code=202)

    # --- Flask-SQLAlchemy's Pagination, serialised as-is ------------------------------------------
    def _page(self, request: Request, ids: list[int], build: Callable[[int], dict]) -> Response:
        try:
            page = _positive(request.query_params, "page", 1)
            per_page = _positive(request.query_params, "per_page", 10)
        except BadRequest as exc:
            return self.error(400, str(exc))
        if self.broken("per-page-ignored"):
            per_page = 10
        total = len(ids)
        start = (page - 1) * per_page
        if self.broken("item-repeated-across-pages") and page > 1:
            start -= 1
        chosen = ids[start : start + per_page] if start < total else []
        if not chosen and page != 1:  # error_out=True
            return self.error(404, f"Page {page} does not exist.")
        pages = pages_of(total, per_page)
        shown_total = total + 1 if self.broken("wrong-total") else total
        if self.broken("wrong-total"):
            pages = pages_of(shown_total, per_page)
        has_next, has_prev = page < pages, page > 1
        zero = self.readings["TPA-R-PREV-NUM"] == "zero" or self.broken("prev-num-zero")
        body = {
            "data": [build(i) for i in chosen],
            "has_next": has_next or (self.broken("has-next-on-last-page") and page == pages),
            "has_prev": has_prev,
            "next_num": page + 1 if has_next else None,
            "page": page,
            "pages": pages + 1 if self.broken("pages-off-by-one") else pages,
            "per_page": per_page,
            "prev_num": page - 1 if has_prev else (0 if zero else None),
            "total": shown_total,
        }
        return JSONResponse(body)


def _positive(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not INTEGER.match(raw) or int(raw) < 1:
        raise BadRequest(f"{name} must be a positive integer, got {raw[:40]!r}.")
    return int(raw)


def create(fault: str | None = None, **options: Any) -> TpaStreamSimulator:
    return TpaStreamSimulator(fault, **options)


def _money_as_strings(claim: dict) -> dict:
    """A claim whose money fields (amount_* and the like) are written as strings, e.g. "12.50"."""
    return {
        k: (f"{v:.2f}" if isinstance(v, (int, float)) and not isinstance(v, bool) and k.startswith("amount_") else v)
        for k, v in claim.items()
    }
