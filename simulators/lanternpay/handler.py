"""A reference webhook handler of a LanternPay biller: what the webhook-handler suite certifies.

It follows the document's "Asynchronous Webhook Handlers" advice: authenticate the call back,
check that the envelope is usable, queue the event and answer 202 at once; a worker applies the
events later. The event `id` de-duplicates redeliveries ("strongly recommended", Retry Policy), and
an event older than one already applied for the same invoice, contract or member is acknowledged
but not applied (a second-level retry can arrive after newer events, docs/sources/payers.md 1.7).

Events arrive at one URL per event (`/webhooks/{event}`, as a subscription configures them) or all
at `/webhooks`. Authentication is the subscription's one mode: a custom header, Basic, or an OAuth
Bearer token that this handler issues itself at `/oauth/token` (client_credentials).
"""

from __future__ import annotations

import asyncio
import json
import queue
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.feeds import load_feed
from payercert.simulation import Fault
from payercert.token_endpoint import basic_credentials, form_credentials, token_error, token_response
from payercert.validators.schemas import compiled_schema

EVENTS = (
    "onInvoiceStatusUpdated",
    "onPredeterminationStatusUpdated",
    "onMemberEligibilityStatus",
    "onContractStatusUpdated",
)
MODES = ("header", "basic", "oauth")
# what the handler needs to act on an event: the standard payload (the rest it reads leniently)
ENVELOPE = load_feed("lanternpay").root / "schemas" / "webhook-envelope.json"
# the states ClaimStatuses.state lists itself (the narrower reading of LP-R-WEBHOOK-CLAIM-STATE)
PROGRAM_STATES = {"noChange", "provisionallyApproved", "approved", "rejected"}
SEEN_IDS = 10_000  # de-duplication window

HANDLER_FAULTS = (
    Fault("redelivery-500", "LP-WHH-4", "answers 500 to a redelivered event id instead of acknowledging it"),
    Fault("accepts-wrong-credentials", "LP-WHH-6", "acknowledges call backs with missing or wrong credentials"),
    Fault("contract-status-400", "LP-WHH-8", "answers 400 to every contract status webhook"),
    Fault("slow", "LP-WHH-3", "applies the event before answering: every acknowledgement is over the latency limit"),
    Fault("answers-200", "LP-WHH-2", "acknowledges with 200 instead of the preferred 202"),
    Fault("unknown-field-400", "LP-WHH-7", "validates strictly: a payload with a field it does not know gets 400"),
    Fault("late-event-409", "LP-WHH-7", "answers 409 to an event older than one already applied for the same invoice"),
    Fault(
        "program-states-only",
        "LP-WHH-1",
        "knows only noChange/provisionallyApproved/approved/rejected: 400 to paid, cancelled, ...",
    ),
)

# fields the strict (faulty) handler knows: the document's field tables, nothing more
_KNOWN = {
    "envelope": {"id", "created", "type", "data", "_links"},
    "onInvoiceStatusUpdated": {"invoiceId", "claimStatuses", "claims", "invalidParams", "created"},
    "onPredeterminationStatusUpdated": {"invoiceId", "claimStatuses", "claims", "invalidParams", "created"},
    "onMemberEligibilityStatus": {"memberNumber", "program", "state", "statusTitle", "statusDescription"},
    "onContractStatusUpdated": {"contractId", "billerContractId", "contractLineItemStatus"},
}


class ReferenceHandler:
    def __init__(
        self,
        fault: str | None = None,
        *,
        auth: str = "header",
        slow_s: float = 1.0,
        latency_s: float = 2.0,
        readings: dict[str, str] | None = None,
    ):
        if auth not in MODES:
            raise ValueError(f"auth must be one of {', '.join(MODES)}")
        self.fault = next((f for f in HANDLER_FAULTS if f.name == fault), None) if fault else None
        self.mode = auth
        self.slow_s = slow_s
        self.latency_s = latency_s
        self.envelope = compiled_schema(ENVELOPE)
        self.secret = secrets.token_urlsafe(18)  # header value, Basic password or OAuth client secret
        self.user = "payercert-lanternpay"  # Basic username or OAuth client id
        self.tokens: dict[str, float] = {}  # issued Bearer token -> expiry (monotonic)
        self.seen: OrderedDict[str, int] = OrderedDict()  # event id -> deliveries
        self.latest: dict[str, int] = {}  # invoice/contract/member -> newest applied created
        self.newest: dict[str, int] = {}  # the same, as received (the faulty handler's check)
        self.applied: list[dict] = []  # what the worker did, in order
        self.lock = threading.Lock()
        self.inbox: queue.Queue = queue.Queue()
        threading.Thread(target=self._worker, daemon=True, name="lp-handler").start()
        self.app = Starlette(
            routes=[
                Route("/webhooks", self.webhook, methods=["POST"]),
                Route("/webhooks/{event}", self.webhook, methods=["POST"]),
                Route("/oauth/token", self.token, methods=["POST"]),
            ]
        )

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    def local_target(self, base_url: str) -> dict[str, Any]:
        """The subscription this handler expects, as a target of the webhook-handler suite."""
        credentials: dict[str, str] = {"webhook_auth": self.mode}
        if self.mode == "header":
            credentials.update(webhook_header_name="X-API-Key", webhook_header_value=self.secret)
        elif self.mode == "basic":
            credentials.update(webhook_username=self.user, webhook_password=self.secret)
        else:
            credentials.update(
                webhook_token_url=base_url + "/oauth/token",
                webhook_client_id=self.user,
                webhook_client_secret=self.secret,
            )
        return {
            "urls": {"webhook": base_url + "/webhooks", **{e: f"{base_url}/webhooks/{e}" for e in EVENTS}},
            "credentials": credentials,
            "secrets": [self.secret],
            "options": {"webhook_latency_s": self.latency_s},
        }

    # --- the call back ----------------------------------------------------------------------------
    async def webhook(self, request: Request) -> Response:
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "The body is not JSON.")
        problems = [e.message for e in self.envelope.errors(body)]
        if problems:  # no id to de-duplicate or no data to act on: LanternPay support must look
            return _problem(400, "Not a LanternPay webhook: " + problems[0])
        event = request.path_params.get("event") or _event_of(body)
        if event not in EVENTS:
            return _problem(404, f"No webhook {event!r} is configured here.")
        with self.lock:
            deliveries = self.seen.get(body["id"], 0) + 1
            self.seen[body["id"]] = deliveries
            self.seen.move_to_end(body["id"])
            while len(self.seen) > SEEN_IDS:
                self.seen.popitem(last=False)
        if deliveries > 1:  # a redelivery: acknowledged, never applied twice
            return _problem(500, "Event already handled.") if self.broken("redelivery-500") else self._ack()
        refusal = self._faulty_refusal(event, body)
        if refusal is not None:
            return refusal
        key = _subject(event, body["data"])
        if key is not None:
            with self.lock:
                self.newest[key] = max(self.newest.get(key, 0), body["created"])
        if self.broken("slow"):  # processing in the request instead of a queue
            await asyncio.sleep(self.slow_s)
        self.inbox.put((event, body))
        return self._ack()

    def _ack(self) -> Response:
        return Response(status_code=200 if self.broken("answers-200") else 202)

    def _faulty_refusal(self, event: str, body: dict) -> Response | None:
        data = body["data"]
        if self.broken("contract-status-400") and event == "onContractStatusUpdated":
            return _problem(400, "Unsupported webhook.")
        if self.broken("unknown-field-400"):
            unknown = (set(body) - _KNOWN["envelope"]) | (set(data) - _KNOWN[event])
            if unknown:
                return _problem(400, f"Unknown field(s): {', '.join(sorted(unknown))}.")
        if self.broken("program-states-only"):
            states = {state for s in _claim_statuses(data) if (state := s.get("state")) is not None}
            if states - PROGRAM_STATES:
                return _problem(400, f"Unknown claim state(s): {', '.join(sorted(states - PROGRAM_STATES))}.")
        if self.broken("late-event-409"):
            key = _subject(event, data)
            with self.lock:
                if key and body["created"] < self.newest.get(key, 0):
                    return _problem(409, "A newer event was already handled.")
        return None

    def _authenticate(self, request: Request) -> Response | None:
        if self.broken("accepts-wrong-credentials"):
            return None
        if self.mode == "header":
            given = request.headers.get("x-api-key")
            if given is None:
                return _problem(401, "Missing X-API-Key.")
            return None if secrets.compare_digest(given, self.secret) else _problem(403, "Wrong X-API-Key.")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if self.mode == "basic":
            user, password = basic_credentials(request) or ("", "")
            if user == self.user and secrets.compare_digest(password, self.secret):
                return None
            return _problem(401, "Basic credentials required.", {"WWW-Authenticate": 'Basic realm="webhooks"'})
        with self.lock:
            expiry = self.tokens.get(value) if scheme.lower() == "bearer" else None
        if expiry is not None and expiry > time.monotonic():
            return None
        return _problem(401, "A valid Bearer token is required.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # --- OAuth: the token endpoint the subscription's OAuth mode names ----------------------------
    async def token(self, request: Request) -> Response:
        form = await request.form()
        client_id, secret = basic_credentials(request) or form_credentials(form) or ("", "")
        if self.mode != "oauth" or client_id != self.user or not secrets.compare_digest(secret, self.secret):
            return token_error("invalid_client", 401)
        if form.get("grant_type") != "client_credentials":
            return token_error("unsupported_grant_type")
        token = secrets.token_urlsafe(24)  # opaque: the subscriber's own token, not a JWT
        with self.lock:
            self.tokens[token] = time.monotonic() + 300
        return token_response(token, 300)

    # --- the queue's worker: apply events in arrival order, the stale ones not at all -------------
    def _worker(self) -> None:
        while True:
            event, body = self.inbox.get()
            key = _subject(event, body["data"])
            with self.lock:
                stale = key is not None and body["created"] < self.latest.get(key, 0)
                if key is not None and not stale:
                    self.latest[key] = body["created"]
                self.applied.append({"id": body["id"], "event": event, "subject": key, "stale": stale})


def _event_of(body: dict) -> str | None:
    """Which configured event a payload sent to the one shared URL is: its type, else its data."""
    by_type = {
        "claiming.invoice.updated": "onInvoiceStatusUpdated",
        "claiming.predetermination.updated": "onPredeterminationStatusUpdated",
    }
    if body.get("type") in by_type:
        return by_type[body["type"]]
    if body.get("type") in EVENTS:  # the placeholder types of the two undocumented type strings
        return body["type"]
    data = body.get("data") or {}
    if "contractLineItemStatus" in data or "contractId" in data:
        return "onContractStatusUpdated"
    if "memberNumber" in data:
        return "onMemberEligibilityStatus"
    return None


def _claim_statuses(data: dict) -> list[dict]:
    statuses = data.get("claimStatuses", data.get("claims"))
    return [s for s in statuses if isinstance(s, dict)] if isinstance(statuses, list) else []


def _subject(event: str, data: dict) -> str | None:
    """What an event is about, for ordering: the invoice, the contract or the member."""
    if event == "onInvoiceStatusUpdated":
        return f"invoice:{data.get('invoiceId')}"
    if event == "onContractStatusUpdated":
        return f"contract:{data.get('contractId')}"
    if event == "onMemberEligibilityStatus":
        return f"member:{data.get('program')}:{data.get('memberNumber')}"
    return None  # a predetermination is information only: nothing to order


def _problem(status: int, title: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"title": title}, status_code=status, headers=headers)


def create_handler(fault: str | None = None, **options: Any) -> ReferenceHandler:
    options.pop("readings", None)  # the handler reads every documented form, whatever the reading
    return ReferenceHandler(fault, **options)
