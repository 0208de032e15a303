"""The webhooks the harness sends to the user's handler, built from the spec bundle: every event
type of feed.yaml `webhooks`, claim states walked along claim-states.yaml, and every payload checked
against its schema (under the target's readings) before it leaves."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from functools import lru_cache

from payercert.feeds import load_feed
from payercert.suites.lanternpay import states as sm
from payercert.suites.lanternpay.client import schema_errors

FEED = load_feed("lanternpay")
WEBHOOKS: dict[str, dict] = FEED.spec["webhooks"]  # event -> {type | placeholder_type, schema, section}
EVENTS = tuple(WEBHOOKS)
SCHEMA_STATES = "LP-R-WEBHOOK-CLAIM-STATE"
PROGRAM_SETTABLE = {"noChange", "provisionallyApproved", "approved", "rejected"}  # ClaimStatuses.state's own list
PAID_STATES = {"approved", "paid", "provisionallyApproved", "paymentFailed"}


class InvalidWebhook(Exception):
    """The harness built a payload its own schema refuses: a harness error, not a finding."""


def type_of(event: str) -> str:
    spec = WEBHOOKS[event]
    return spec.get("type") or spec["placeholder_type"]  # the two blank types: the event's name (feed.yaml)


def envelope(event: str, data: dict, *, created: int | None = None) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "created": int(time.time()) if created is None else created,
        "type": type_of(event),
        "data": data,
        # "this value can be null if no retry is possible" (Invoice Status Updated, _links)
        "_links": {"lp:webhook-error": {"href": None}},
    }


def claim_status(
    state: str | None, *, claim_id: str | None = None, biller_claim_id: str | None = None, benefit: str = "42.50"
) -> dict:
    paid = state in PAID_STATES
    status = {
        "claimId": claim_id or str(uuid.uuid4()),
        "billerClaimId": biller_claim_id or "PC-" + uuid.uuid4().hex[:10],
        "benefit": float(Decimal(benefit) if paid else Decimal(0)),
        "adjudications": [{"reason": "Eligible amount", "amount": float(Decimal(benefit) if paid else Decimal(0))}],
        "statusDescription": f"The claim is {state or 'unchanged'}.",
    }
    if state is not None:
        status["state"] = state
        title = sm.machine()["states"].get(state, {}).get("title", "").title()
        if 0 < len(title) <= 10:  # "Maximum of 10 chars"
            status["statusTitle"] = title
    return status


def invoice_status(statuses: list[dict], array: str, *, invoice_id: str | None = None) -> dict:
    now = time.time()
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}+00:00"
    return {"invoiceId": invoice_id or str(uuid.uuid4()), "created": created, array: statuses}


def sample(event: str, readings: tuple, *, state: str = "approved", created: int | None = None) -> dict:
    """One valid webhook of an event type."""
    array = array_name(readings)
    if event in ("onInvoiceStatusUpdated", "onPredeterminationStatusUpdated"):
        data = invoice_status([claim_status(state)], array)
    elif event == "onMemberEligibilityStatus":
        data = {
            "memberNumber": "PC" + uuid.uuid4().hex[:8],
            "program": "mpl",
            "state": "eligible",
            "statusTitle": "Eligible",
            "statusDescription": "The member is eligible.",
        }
    else:
        data = {
            "contractId": str(uuid.uuid4()),
            "billerContractId": "PC-" + uuid.uuid4().hex[:8],
            "contractLineItemStatus": [
                {"contractLineItemId": str(uuid.uuid4()), "billerContractLineItemId": "1", "state": "approved"},
                {"contractLineItemId": str(uuid.uuid4()), "billerContractLineItemId": "2", "state": "rejected"},
            ],
        }
    return checked(event, envelope(event, data, created=created), readings)


def checked(event: str, body: dict, readings: tuple) -> dict:
    errors = schema_errors(WEBHOOKS[event]["schema"].removeprefix("schemas/"), body, readings)
    if errors:
        raise InvalidWebhook(f"the harness built an invalid {event} webhook: {errors[0][1]}")
    return body


def array_name(readings: tuple) -> str:
    """InvoiceStatus's array under the target's reading of LP-R-INVOICE-STATUS-ARRAY."""
    return "claims" if dict(readings).get("LP-R-INVOICE-STATUS-ARRAY") == "claims" else "claimStatuses"


def sendable_states(readings: tuple) -> set[str]:
    if dict(readings).get(SCHEMA_STATES) == "program-settable":
        return PROGRAM_SETTABLE - {"noChange"}
    return set(sm.states())


@lru_cache(maxsize=4)
def lifecycles(initial_option: str) -> tuple[tuple[str, ...], ...]:
    """Legal claim histories (claim-states.yaml, $previous resolved) that together show every state:
    walked from the initial states, the fewest that cover them all."""
    spec = sm.machine()
    edges: dict[str, list[str]] = {}
    for t in spec["transitions"]:
        edges.setdefault(t["from"], []).append(t["to"])
    terminal = sm.terminal()
    paths: list[tuple[str, ...]] = []

    def walk(path: tuple[str, ...], previous: str | None) -> None:
        here = path[-1]
        nexts = [] if here in terminal or len(path) >= 6 else edges.get(here, [])
        grown = False
        for named in nexts:
            to = previous if named == "$previous" else named
            if to is None or to in path:
                continue
            grown = True
            walk(path + (to,), here if to == "awaitingCancelResponse" else previous)
        if not grown:
            paths.append(path)

    for start in sm.initial(initial_option):
        walk((start,), None)
    uncovered, chosen = set(sm.states()), []
    while uncovered:
        best = max(paths, key=lambda p: (len(uncovered & set(p)), -len(p)))
        if not uncovered & set(best):
            break
        chosen.append(best)
        uncovered -= set(best)
    for path in chosen:
        findings = sm.check_sequence(list(path), initial_option)
        if findings:
            raise InvalidWebhook(f"claim-states.yaml walk {path} is not legal: {findings[0]}")
    return tuple(chosen)
