"""The LanternPay Provider API simulator: HAL root, OAuth + Basic, invoices with a deterministic
adjudication engine, cancellation, predeterminations, eligibility, contracts, and webhooks.

Requests are validated with the spec bundle's own JSON Schemas (`specs/lanternpay/schemas/`), and
every claim state change is checked against `claim-states.yaml`, so the simulator cannot drift from
the spec. Timings (adjudication steps, second-level retry delays) are scaled by options, so that a
local certify run takes seconds.

Adjudication is decided by the item code (see `OUTCOMES`): the same invoice always takes the same
path, whatever the program. Webhook delivery auth: custom header, Basic and OAuth client_credentials
are all implemented (`webhooks.py`).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import jwt
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.feeds import load_feed
from payercert.simulation import load_simulator
from payercert.simulators.keys import signing_key
from payercert.token_endpoint import basic_credentials, form_credentials, signed_token, token_error, token_response
from payercert.validators.schemas import compiled_schema

from .webhooks import Delivery, Outbox, Subscription

ERROR_TYPE = "https://docs.lanternpay.com/reference#validation-error"
INVOICE_UPDATED = "claiming.invoice.updated"
PREDETERMINATION_UPDATED = "claiming.predetermination.updated"
_REQUIRED = re.compile(r"^'([^']+)' is a required property")

# item code -> the program's decisions, in order, after submission (awaitingResponse), and how it
# answers a cancellation: "accept" (cancelled), "manual" (cancelPending, then cancelled), "refuse".
OUTCOMES: dict[str, dict[str, Any]] = {
    "LP-APPROVE": {"path": ["approved", "paid"], "cancel": "accept"},
    "LP-REJECT": {"path": ["rejected"], "cancel": "accept"},
    "LP-PEND": {"path": ["pending", "approved", "paid"], "cancel": "accept"},
    "LP-PROV": {"path": ["provisionallyApproved", "approved", "paid"], "cancel": "accept"},
    "LP-PAYFAIL": {"path": ["approved", "paymentFailed", "paid"], "cancel": "accept"},
    "LP-HOLD": {"path": ["pending"], "cancel": "accept"},
    "LP-MANUAL": {"path": ["pending"], "cancel": "manual"},
    "LP-NOCANCEL": {"path": ["pending"], "cancel": "refuse"},
    "LP-APPROVE-STAY": {"path": ["approved"], "cancel": "accept"},
}
DEFAULT_OUTCOME = {"path": ["approved", "paid"], "cancel": "accept"}
TITLES = {
    "pending": "Pending",
    "provisionallyApproved": "Prov. appr",
    "approved": "Approved",
    "paid": "Paid",
    "rejected": "Rejected",
    "paymentFailed": "Pay failed",
    "awaitingCancelResponse": "Cancelling",
    "cancelPending": "Cancel pnd",
    "cancelled": "Cancelled",
}


def outcome_of(item_code: str) -> dict[str, Any]:
    for prefix in sorted(OUTCOMES, key=len, reverse=True):
        if item_code == prefix or item_code.startswith(prefix + "-"):
            return OUTCOMES[prefix]
    return DEFAULT_OUTCOME


@dataclass
class Biller:
    biller_id: str
    client_id: str
    client_secret: str


@dataclass
class Claim:
    claim_id: str
    biller_claim_id: str | None
    item_code: str
    benefit: Decimal
    state: str = "awaitingResponse"
    before_cancel: str | None = None


@dataclass
class Invoice:
    invoice_id: str
    biller_id: str
    body: dict
    claims: list[Claim] = field(default_factory=list)


class StateMachine:
    def __init__(self, path):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.terminal = {s for s, d in spec["states"].items() if d.get("terminal")}
        self.edges = {(t["from"], t["to"]) for t in spec["transitions"]}

    def allowed(self, claim: Claim, to: str) -> bool:
        if claim.state in self.terminal:
            return False
        if (claim.state, to) in self.edges:
            return True
        return (claim.state, "$previous") in self.edges and to == claim.before_cancel


class LanternPaySimulator:
    def __init__(
        self,
        fault: str | None = None,
        *,
        step_delay: float = 0.05,
        retry_scale: float = 1.0,
        token_lifetime: int = 3600,
        readings: dict[str, str] | None = None,
    ):
        self.feed = load_feed("lanternpay")
        self.fault = load_simulator("lanternpay").fault(fault)
        self.readings = {**self.feed.default_readings(), **(readings or {})}
        self.schema_dir = self.feed.root / "schemas"
        self.machine = StateMachine(self.schema_dir.parent / "claim-states.yaml")
        self.step_delay = step_delay
        self.token_lifetime = token_lifetime
        self.key = signing_key()
        self.billers = {
            b.client_id: b
            for b in (
                Biller(str(uuid.uuid4()), "payercert-biller", secrets.token_urlsafe(18)),
                Biller(str(uuid.uuid4()), "payercert-other-biller", secrets.token_urlsafe(18)),
            )
        }
        self.invoices: dict[str, Invoice] = {}
        self.contracts: dict[str, dict] = {}
        self.lock = threading.RLock()
        self.base_url = ""
        self.outbox = Outbox(
            retry_scale=retry_scale,
            broken=self.broken,
            sends=self.fault.sends if self.fault else lambda event, body: body,
            deliveries=int(self.readings["LP-R-RETRY-COUNT"]),
        )
        # the name of InvoiceStatus's array: the field table's unless the target reads the samples
        self.status_array = "claims" if self.readings["LP-R-INVOICE-STATUS-ARRAY"] == "claims" else "claimStatuses"
        self.app = Starlette(
            routes=[
                Route("/", self.root, methods=["GET"]),
                Route("/oauth/connect/token", self.token, methods=["POST"]),
                Route("/oauth/.well-known/openid-configuration", self.discovery, methods=["GET"]),
                Route("/billers/{billerId}/invoice", self.submit_invoice, methods=["POST"]),
                Route("/billers/{billerId}/predetermination", self.submit_predetermination, methods=["POST"]),
                Route("/invoices/{invoiceId}/cancel", self.cancel_invoice, methods=["POST"]),
                Route("/members/eligibility", self.eligibility, methods=["POST"]),
                Route("/billers/{billerId}/contract", self.create_contract, methods=["POST"]),
                Route("/contracts/{contractId}", self.get_contract, methods=["GET"]),
                Route("/member/{memberNumber}/contracts", self.member_contracts, methods=["GET"]),
                # not LanternPay's API: how a local run configures its webhook subscription, which a
                # real biller sets up with LanternPay out of band ("During initial configuration")
                Route("/_payercert/subscription", self.subscribe, methods=["PUT"]),
            ]
        )

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    # --- the local target ------------------------------------------------------------------------
    def local_target(self, base_url: str) -> dict[str, Any]:
        self.base_url = base_url
        me, other = self.billers["payercert-biller"], self.billers["payercert-other-biller"]
        return {
            "urls": {"api": base_url, "subscription": base_url + "/_payercert/subscription"},
            "credentials": {"client_id": me.client_id, "client_secret": me.client_secret, "biller_id": me.biller_id},
            "accounts": {
                "other_biller": {
                    "client_id": other.client_id,
                    "client_secret": other.client_secret,
                    "biller_id": other.biller_id,
                }
            },
            "data": {
                "items": {
                    "approve": "LP-APPROVE-01",
                    "reject": "LP-REJECT-01",
                    "pending": "LP-PEND-01",
                    "provisional": "LP-PROV-01",
                    "payment_failed": "LP-PAYFAIL-01",
                    "hold": "LP-HOLD-01",
                    "manual_cancel": "LP-MANUAL-01",
                    "no_cancel": "LP-NOCANCEL-01",
                    "approve_stay": "LP-APPROVE-STAY-01",
                },
                "non_eligible_member": "900000000",
            },
            "secrets": [me.client_secret, other.client_secret],
            "options": {
                "retry_scale": self.outbox.retry_scale,
                "quiet_s": max(0.3, self.step_delay * 6),
                "webhook_timeout_s": 10.0,
            },
        }

    # --- root, discovery, token --------------------------------------------------------------------
    async def root(self, request: Request) -> Response:
        base = self._base(request)
        if self.broken("root-without-links"):
            return JSONResponse({"online": True})
        curie = {"name": "lp", "href": "https://docs.lanternpay.com/reference#{rel}", "templated": True}
        links = {
            "self": {"href": base},
            "lp:oauth-issuer": {"href": base + "/oauth"},
            "lp:oauth-token": {"href": base + "/oauth/connect/token"},
            "lp:submit-invoice": {"href": base + "/billers/{billerId}/invoice", "templated": True},
            "lp:submit-predetermination": {"href": base + "/billers/{billerId}/predetermination", "templated": True},
            "lp:check-eligibility": {"href": base + "/members/eligibility"},
            "lp:create-contract": {"href": base + "/billers/{billerId}/contract", "templated": True},
            "lp:contract": {"href": base + "/contracts/{contractId}", "templated": True},
            "lp:member-contracts": {"href": base + "/member/{memberNumber}/contracts", "templated": True},
            "curies": curie if self.broken("curies-as-object") else [curie],
        }
        return JSONResponse({"_links": links})

    async def discovery(self, request: Request) -> Response:
        base = self._base(request)
        return JSONResponse(
            {
                "issuer": base + "/oauth",
                "token_endpoint": base + "/oauth/connect/token",
                "authorization_endpoint": base + "/oauth/connect/authorize",
                "grant_types_supported": ["authorization_code", "client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def token(self, request: Request) -> Response:
        try:
            form = await request.form()
        except Exception:
            return token_error("invalid_request")
        biller = self._basic(request) or self._form_client(form)
        if biller is None:
            return token_error("invalid_client", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            # no authorization code has been issued by this simulator: any code is invalid
            return token_error("invalid_grant", description="unknown or expired authorization code")
        if grant != "client_credentials":
            return token_error("unsupported_grant_type")
        now = int(time.time())
        claims = {
            "iss": self._base(request) + "/oauth",
            "sub": biller.client_id,
            "client_id": biller.client_id,
            "iat": now,
            "exp": now + self.token_lifetime,
            "jti": uuid.uuid4().hex,
        }
        return token_response(signed_token(claims, self.key, "payercert-lp-sim"), self.token_lifetime)

    def _form_client(self, form) -> Biller | None:
        client_id, secret = form_credentials(form) or ("", "")
        biller = self.billers.get(client_id)
        if biller and secrets.compare_digest(secret, biller.client_secret):
            return biller
        return None

    def _basic(self, request: Request) -> Biller | None:
        client_id, secret = basic_credentials(request) or ("", "")
        biller = self.billers.get(client_id)
        if biller and (secrets.compare_digest(secret, biller.client_secret) or self.broken("accept-wrong-secret")):
            return biller
        return None

    def _caller(self, request: Request) -> Biller | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            return self._basic(request)
        if scheme.lower() == "bearer" and value:
            try:
                claims = jwt.decode(
                    value, self.key.public_key(), algorithms=["RS256"], options={"require": ["exp", "sub"]}
                )
            except jwt.PyJWTError:
                return None
            return self.billers.get(claims["sub"])
        return None

    def _authorise(self, request: Request, biller_id: str | None = None) -> Biller | Response:
        biller = self._caller(request)
        if biller is None:
            return _error(
                401,
                "Unauthorized: missing or invalid credentials.",
                headers={"WWW-Authenticate": 'Basic realm="lanternpay", Bearer'},
            )
        if biller_id is not None and biller_id != biller.biller_id:
            return _error(403, "Forbidden: these credentials do not act for this biller.")
        return biller

    # --- invoices ------------------------------------------------------------------------------------
    async def submit_invoice(self, request: Request) -> Response:
        biller = self._authorise(request, request.path_params["billerId"])
        if isinstance(biller, Response):
            return biller
        body, problem = await self._validated(request, "invoice.json")
        if problem is not None:
            return problem
        with self.lock:
            refused = self._resubmissions(biller, body)
            if refused:
                return _error(409, "A claim of this invoice is already approved and cannot be resubmitted.", refused)
            invoice = Invoice(str(uuid.uuid4()), biller.biller_id, body)
            for claim in body["claims"]:
                invoice.claims.append(
                    Claim(str(uuid.uuid4()), claim.get("billerClaimId"), claim["itemCode"], _benefit(claim))
                )
            self.invoices[invoice.invoice_id] = invoice
        self.outbox.submit(invoice.invoice_id, lambda: self._adjudicate(invoice))
        base = self._base(request)
        return JSONResponse(
            {
                "invoiceId": invoice.invoice_id,
                "claims": [{"claimId": c.claim_id, "billerClaimId": c.biller_claim_id} for c in invoice.claims],
                "_links": {"lp:cancel-invoice": {"href": f"{base}/invoices/{invoice.invoice_id}/cancel"}},
            },
            status_code=202,
        )

    def _resubmissions(self, biller: Biller, body: dict) -> list[dict]:
        """Claims of the same member, invoice number and billerClaimId that are approved already."""
        if self.broken("approved-claim-resubmittable"):
            return []
        key = (body["member"].get("memberNumber"), body.get("invoiceNumber"))
        approved = {
            c.biller_claim_id
            for inv in self.invoices.values()
            if inv.biller_id == biller.biller_id
            and (inv.body["member"].get("memberNumber"), inv.body.get("invoiceNumber")) == key
            for c in inv.claims
            if c.state in ("approved", "paid") and c.biller_claim_id
        }
        return [
            {"name": f"claims[{i}].billerClaimId", "reason": "This claim is approved and cannot be resubmitted."}
            for i, claim in enumerate(body["claims"])
            if claim.get("billerClaimId") in approved
        ]

    def _adjudicate(self, invoice: Invoice) -> None:
        for step in range(max(len(outcome_of(c.item_code)["path"]) for c in invoice.claims)):
            time.sleep(self.step_delay)
            for claim in invoice.claims:
                path = outcome_of(claim.item_code)["path"]
                if step < len(path):
                    self._move(invoice, claim, path[step])
        if self.broken("illegal-paid-to-pending"):
            for claim in invoice.claims:
                if claim.state == "paid":
                    self._move(invoice, claim, "pending", force=True)
        if self.broken("rejected-then-approved"):
            for claim in invoice.claims:
                if claim.state == "rejected":
                    self._move(invoice, claim, "approved", force=True)

    def _move(self, invoice: Invoice, claim: Claim, to: str, *, force: bool = False, announce: bool = True) -> bool:
        with self.lock:
            if not force and not self.machine.allowed(claim, to):
                return False  # e.g. the biller asked to cancel meanwhile: the program's next step no longer applies
            if to == "awaitingCancelResponse":
                claim.before_cancel = claim.state
            claim.state = to
            snapshot = self._claim_status(claim)
        if announce:
            self.outbox.deliver(
                Delivery(
                    "onInvoiceStatusUpdated",
                    self._webhook(
                        "wrong" if self.broken("wrong-webhook-type") else INVOICE_UPDATED,
                        {"invoiceId": invoice.invoice_id, "created": _now_iso(), self.status_array: [snapshot]},
                    ),
                )
            )
        return True

    def _claim_status(self, claim: Claim, state: str | None = None) -> dict:
        state = state or claim.state
        title = TITLES.get(state, state)
        if self.broken("status-title-too-long"):
            title = f"{title} by the program"
        benefit = (
            claim.benefit if state in ("approved", "paid", "provisionallyApproved", "paymentFailed") else Decimal(0)
        )
        return {
            "claimId": claim.claim_id,
            "billerClaimId": claim.biller_claim_id,
            "benefit": float(benefit),
            "adjudications": [{"reason": "Eligible amount", "amount": float(benefit)}],
            "state": state,
            "statusTitle": title,
            "statusDescription": f"The claim is {state}.",
        }

    def _webhook(self, type_: str, data: dict) -> dict:
        created = int(time.time())
        if type_ == "wrong":
            type_ = "claiming.invoice.update"
        return {
            "id": str(uuid.uuid4()),
            "created": created * 1000 if self.broken("created-in-milliseconds") else created,
            "type": type_,
            "data": data,
            "_links": {"lp:webhook-error": {"href": None}},
        }

    # --- cancellation ---------------------------------------------------------------------------------
    async def cancel_invoice(self, request: Request) -> Response:
        biller = self._authorise(request)
        if isinstance(biller, Response):
            return biller
        invoice_id = request.path_params["invoiceId"]
        body, problem = await self._validated(request, "cancel-invoice-request.json")
        if problem is not None:
            return problem
        if body["invoiceId"] != invoice_id:
            return _error(
                400,
                "The body's invoiceId is not the invoice of the path.",
                [{"name": "invoiceId", "reason": "Does not match the invoiceId of the path."}],
            )
        with self.lock:
            invoice = self.invoices.get(invoice_id)
            if invoice is None or invoice.biller_id != biller.biller_id:
                return _error(404, "Invoice not found.", [{"name": "invoiceId", "reason": "Invoice Id unknown."}])
            cancellable = [c for c in invoice.claims if self.machine.allowed(c, "awaitingCancelResponse")]
            if not cancellable and not self.broken("cancel-rejected-accepted"):
                return _error(
                    409,
                    "No claim of this invoice can be cancelled in its current state.",
                    [{"name": "invoiceId", "reason": "Every claim is rejected, cancelled or being cancelled."}],
                )
            for claim in cancellable:
                self._move(invoice, claim, "awaitingCancelResponse", announce=False)  # the biller knows it: unobserved
        self.outbox.submit(invoice_id, lambda: self._program_cancels(invoice, cancellable))
        return Response(status_code=202)

    def _program_cancels(self, invoice: Invoice, claims: list[Claim]) -> None:
        time.sleep(self.step_delay)
        for claim in claims:
            answer = outcome_of(claim.item_code)["cancel"]
            if claim.state != "awaitingCancelResponse":
                continue
            if answer == "accept":
                self._move(invoice, claim, "cancelled")
            elif answer == "manual":
                self._move(invoice, claim, "cancelPending")
                time.sleep(self.step_delay)
                self._move(invoice, claim, "cancelled")
            else:
                self._move(invoice, claim, "cancelPending")
                if self.broken("refused-cancel-stays-pending"):
                    continue
                time.sleep(self.step_delay)
                self._move(invoice, claim, claim.before_cancel or "pending")

    # --- predeterminations ------------------------------------------------------------------------------
    async def submit_predetermination(self, request: Request) -> Response:
        biller = self._authorise(request, request.path_params["billerId"])
        if isinstance(biller, Response):
            return biller
        body, problem = await self._validated(request, "predetermination.json")
        if problem is not None:
            return problem
        quote_id = str(uuid.uuid4())
        claims = [Claim(str(uuid.uuid4()), c.get("billerClaimId"), c["itemCode"], _benefit(c)) for c in body["claims"]]

        def answer() -> None:
            time.sleep(self.step_delay)
            statuses = [self._claim_status(c, _final_decision(c.item_code)) for c in claims]
            self.outbox.deliver(
                Delivery(
                    "onPredeterminationStatusUpdated",
                    self._webhook(
                        PREDETERMINATION_UPDATED,
                        {"invoiceId": quote_id, "created": _now_iso(), self.status_array: statuses},
                    ),
                )
            )
            if self.broken("predetermination-moves-claim"):
                self.outbox.deliver(
                    Delivery(
                        "onInvoiceStatusUpdated",
                        self._webhook(
                            INVOICE_UPDATED, {"invoiceId": quote_id, "created": _now_iso(), self.status_array: statuses}
                        ),
                    )
                )

        self.outbox.submit(quote_id, answer)
        return JSONResponse(
            {
                "invoiceId": quote_id,
                "claims": [{"claimId": c.claim_id, "billerClaimId": c.biller_claim_id} for c in claims],
            },
            status_code=202,
        )

    # --- member eligibility -------------------------------------------------------------------------------
    async def eligibility(self, request: Request) -> Response:
        biller = self._authorise(request)
        if isinstance(biller, Response):
            return biller
        body, problem = await self._validated(request, "member-eligibility-request.json")
        if problem is not None:
            return problem
        eligible = not str(body["memberNumber"]).startswith("9")
        data = {
            "memberNumber": body["memberNumber"],
            "program": body["program"],
            "state": "eligible" if eligible else "non-eligible",
            "statusTitle": "Eligible" if eligible else "Not elig.",
            "statusDescription": "The member is eligible." if eligible else "The member has no current plan.",
        }
        self.outbox.submit(
            "eligibility-" + uuid.uuid4().hex,
            lambda: self._later(
                Delivery("onMemberEligibilityStatus", self._webhook("onMemberEligibilityStatus", data))
            ),
        )
        return Response(status_code=202)

    def _later(self, delivery: Delivery) -> None:
        time.sleep(self.step_delay)
        self.outbox.deliver(delivery)

    # --- contracts ------------------------------------------------------------------------------------------
    async def create_contract(self, request: Request) -> Response:
        biller = self._authorise(request, request.path_params["billerId"])
        if isinstance(biller, Response):
            return biller
        body, problem = await self._validated(request, "contract-request.json")
        if problem is not None:
            return problem
        contract_id = str(uuid.uuid4())
        lines = []
        for line in body.get("contractLineItems") or []:
            quantity = line.get("quantity")
            state = "rejected" if quantity is not None and quantity > 100 else "approved"
            lines.append(
                {**line, "contractLineItemId": str(uuid.uuid4()), "quantityRemaining": quantity, "state": state}
            )
        contract = {
            "contractId": contract_id,
            "billerContractId": body.get("billerContractId"),
            "created": body["created"],
            "program": body["program"],
            "member": body.get("member"),
            "contractLineItems": lines,
        }
        with self.lock:
            self.contracts[contract_id] = {"biller": biller.biller_id, "contract": contract}
        data = {
            "contractId": contract_id,
            "billerContractId": body.get("billerContractId"),
            "contractLineItemStatus": [
                {
                    "contractLineItemId": ln["contractLineItemId"],
                    "billerContractLineItemId": ln.get("billerContractLineItemId"),
                    "state": ln["state"],
                }
                for ln in lines
            ],
        }
        self.outbox.submit(
            contract_id,
            lambda: self._later(Delivery("onContractStatusUpdated", self._webhook("onContractStatusUpdated", data))),
        )
        return Response(status_code=202)

    async def get_contract(self, request: Request) -> Response:
        biller = self._authorise(request)
        if isinstance(biller, Response):
            return biller
        stored = self.contracts.get(request.path_params["contractId"])
        if stored is None or stored["biller"] != biller.biller_id:
            return _error(404, "Contract not found.", [{"name": "contractId", "reason": "Contract Id unknown."}])
        contract = stored["contract"]
        return JSONResponse(
            {**contract, "_links": {"self": {"href": f"{self._base(request)}/contracts/{contract['contractId']}"}}}
        )

    async def member_contracts(self, request: Request) -> Response:
        biller = self._authorise(request)
        if isinstance(biller, Response):
            return biller
        number = request.path_params["memberNumber"]
        found = [
            s["contract"]
            for s in self.contracts.values()
            if s["biller"] == biller.biller_id and (s["contract"].get("member") or {}).get("memberNumber") == number
        ]
        return JSONResponse(
            {"contracts": found, "_links": {"self": {"href": f"{self._base(request)}/member/{number}/contracts"}}}
        )

    # --- the local webhook subscription ------------------------------------------------------------------------
    async def subscribe(self, request: Request) -> Response:
        biller = self._authorise(request)
        if isinstance(biller, Response):
            return biller
        body = _json(await request.body())
        if not isinstance(body, dict) or not isinstance(body.get("urls"), dict):
            return _error(400, "A subscription needs urls.", [{"name": "urls", "reason": "Mandatory"}])
        self.outbox.configure(Subscription(urls=body["urls"], auth=body.get("auth") or {}, ca_pem=body.get("ca_pem")))
        return Response(status_code=204)

    # --- validation ------------------------------------------------------------------------------------------------
    async def _validated(self, request: Request, schema: str) -> tuple[Any, Response | None]:
        raw = await request.body()
        body = _json(raw)
        if body is _INVALID:
            return None, _error(400, "The request body is not JSON.")
        # numbers as Decimal for the schema: multipleOf 0.0001 fails on binary floats (README.md)
        params = self._invalid_params(json.loads(raw, parse_float=Decimal), schema)
        if params:
            if self.broken("invalid-invoice-200-empty"):
                return None, Response(status_code=200)
            return None, _error(400, "Your request parameters didn't validate.", params)
        return body, None

    def _invalid_params(self, body: Any, schema: str) -> list[dict]:
        compiled = compiled_schema(self.schema_dir / schema, decimal=True)
        params: dict[str, str] = {}
        for error in compiled.validator.iter_errors(body):
            requirement = compiled._requirement(error)
            if requirement and self.feed.requirements[requirement].level != "MUST":
                continue  # a SHOULD (an unknown field, a duplicate billerClaimId): a warning, not a refusal
            path = list(error.absolute_path)
            missing = _REQUIRED.match(error.message) if error.validator == "required" else None
            if missing:
                path.append(missing.group(1))
            if self.broken("invalid-params-off-by-one") and len(path) > 1 and isinstance(path[1], int):
                path[1] += 1
            name = _param_name(path) or "body"
            params.setdefault(name, error.message[:200])
        return [{"name": n, "reason": r} for n, r in params.items()]

    def _base(self, request: Request) -> str:
        """The API's base as the client reached it (its Host), as a server behind a proxy or gateway
        names itself; the URL it was started on only where a request carries none."""
        return str(request.base_url).rstrip("/") if request.headers.get("host") else self.base_url


def _param_name(path: list) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _final_decision(item_code: str) -> str:
    path = outcome_of(item_code)["path"]
    decided = [s for s in path if s in ("approved", "rejected", "provisionallyApproved")]
    return decided[0] if decided else "pending"


def _benefit(claim: dict) -> Decimal:
    quantity = Decimal(str(claim.get("quantity") if claim.get("quantity") is not None else 1))
    price = Decimal(str(claim.get("unitPrice") if claim.get("unitPrice") is not None else 0))
    return (quantity * price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+00:00"


_INVALID = object()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _INVALID


def _error(status: int, title: str, params: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": ERROR_TYPE, "title": title}
    if params:
        body["invalidParams"] = params
    return JSONResponse(body, status_code=status, headers=headers)


def create(fault: str | None = None, **options: Any) -> LanternPaySimulator:
    return LanternPaySimulator(fault, **options)
