"""Webhooks LanternPay sends: the envelope, the InvoiceStatus, the delivery auth modes, the retry policy."""

from __future__ import annotations

import base64
import itertools
import time

import pytest

from payercert.broken import RequirementBroken
from payercert.suites.lanternpay.client import json_body
from payercert.suites.lanternpay.invoices import invoice

requirement = pytest.mark.requirement
SCHEMA = {
    "claiming.invoice.updated": "webhook-invoice-updated.json",
    "claiming.predetermination.updated": "webhook-predetermination-updated.json",
}


def submit(lp, items: list[str]) -> tuple[dict, dict]:
    body = invoice(items)
    response = lp.submit_invoice(body)
    assert response.status_code in (200, 202), f"LP-INV-9: invoice answered {response.status_code}"
    return body, json_body(response)


def check_webhook(lp, body, expected_type: str | None = None) -> list[tuple[str, str]]:
    """(requirement, message) of everything wrong with one invoice/predetermination webhook."""
    if body is None:
        return [("LP-JSON-1", "the webhook body is not JSON")]
    event_type = body.get("type") if isinstance(body, dict) else None
    schema = SCHEMA.get(event_type, "webhook.json") if isinstance(event_type, str) else "webhook.json"
    if expected_type:
        schema = SCHEMA[expected_type]
    found = [(r or "LP-WH-1", m) for r, m in lp.schema_errors(schema, body)]
    data = (body.get("data") or {}) if isinstance(body, dict) else {}
    statuses = data.get("claimStatuses", data.get("claims")) or [] if isinstance(data, dict) else []
    ids = [s.get("claimId") for s in statuses if isinstance(s, dict)]
    if len(set(ids)) != len(ids):
        found.append(("LP-WH-10", f"claimIds repeat within one InvoiceStatus: {ids}"))
    return found


def assert_clean(findings: list[tuple[str, str]], *requirements: str) -> None:
    """No finding; else the first, named by its own requirement (the others are counted)."""
    relevant = [f for f in findings if f[0] in requirements] or findings
    if relevant:
        more = f" (and {len(relevant) - 1} more)" if len(relevant) > 1 else ""
        raise RequirementBroken(relevant[0][0], relevant[0][1] + more)


@pytest.mark.mutating
@requirement(
    "LP-WH-1",
    "LP-WH-2",
    "LP-WH-4",
    "LP-WH-5",
    "LP-WH-6",
    "LP-WH-7",
    "LP-WH-8",
    "LP-WH-9",
    "LP-WH-10",
    "LP-FMT-1",
    "LP-FMT-4",
    "LP-INV-10",
    "LP-HTTP-3",
    "LP-JSON-2",
)
def test_invoice_updates_reach_the_biller(lp, target, hooks):
    """Every claim of an accepted invoice comes back in claiming.invoice.updated webhooks that follow the schema"""
    items = target.require_data("items")["items"]
    body, accepted = submit(lp, [items["provisional"], items["reject"], items["approve"]])
    ids = [c["billerClaimId"] for c in body["claims"]]
    receiver = hooks.receiver
    ok = receiver.wait(lambda: all(receiver.for_claim(i) for i in ids), hooks.timeout)
    assert ok, "LP-INV-10: not every claim of the invoice came back in a webhook"
    calls = receiver.wait_quiet(
        lambda: [c for c in receiver.snapshot() if any(c.mentions(i) for i in ids)], hooks.quiet, hooks.timeout
    )
    for call in calls:
        assert call.event == "onInvoiceStatusUpdated", f"LP-WH-4: an invoice update was posted to {call.event}"
        assert isinstance(call.body, dict) and call.body.get("type") == "claiming.invoice.updated", (
            f"LP-WH-4: type {call.body.get('type') if isinstance(call.body, dict) else None!r}, expected claiming.invoice.updated"
        )
        assert_clean(check_webhook(lp, call.body, "claiming.invoice.updated"))
        assert call.body["data"]["invoiceId"] == accepted["invoiceId"], (
            "LP-WH-6: invoiceId is not the submitted invoice's"
        )
    distinct = {}
    for call in calls:
        distinct.setdefault(call.body["id"], call.body)
        assert distinct[call.body["id"]] == call.body, "LP-WH-2: two different events share an id"


def _auth_problem(call, auth: dict, issued: set[str]) -> str | None:
    """What is wrong with one delivery's authentication, opening with the requirement it breaks: LP-WHA-1
    when it carries none, the mode's own (LP-WHA-2..4) when it carries it wrongly."""
    headers = {k.lower(): v for k, v in call.headers.items()}
    if auth["mode"] == "header":
        got = headers.get(auth["name"].lower())
        if got is None:
            return f"LP-WHA-1: header {auth['name']} is missing"
        return None if got == auth["value"] else f"LP-WHA-2: header {auth['name']} has another value"
    authorization = headers.get("authorization", "")
    if not authorization:
        return "LP-WHA-1: no Authorization header"
    if auth["mode"] == "basic":
        expected = "Basic " + base64.b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
        return None if authorization == expected else "LP-WHA-3: Basic authorization with other credentials"
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token in issued:
        return None
    return "LP-WHA-4: no Bearer token from the configured token endpoint"


@pytest.mark.mutating
@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("header", marks=requirement("LP-WHA-2")),
        pytest.param("basic", marks=requirement("LP-WHA-3")),
        pytest.param("oauth", marks=requirement("LP-WHA-4")),
    ],
)
@requirement("LP-WHA-1")
def test_webhook_carries_the_configured_auth(lp, target, hooks, mode):
    """Every delivery carries the subscription's auth: custom header, Basic, or an OAuth Bearer token"""
    auth = hooks.use(mode)
    items = target.require_data("items")["items"]
    watched = hooks.submit_and_watch(items["approve"])
    calls = hooks.receiver.for_claim(watched.bcid)
    assert calls, "LP-INV-10: no webhook arrived"
    for call in calls:
        problem = _auth_problem(call, auth, hooks.receiver.issued)
        assert problem is None, f"{problem} ({mode} mode)"


@pytest.mark.mutating
@requirement("LP-WHA-1")
@pytest.mark.parametrize("mode", ["header", "basic", "oauth"])
def test_retries_carry_the_configured_auth(lp, target, hooks, mode):
    """A delivery answered 500 is retried with the subscription's auth, as the first delivery was"""
    auth = hooks.use(mode)
    items = target.require_data("items")["items"]
    body = invoice([items["hold"]])
    bcid = body["claims"][0]["billerClaimId"]
    hooks.receiver.answers[bcid] = lambda n: 500 if n < 2 else 202
    assert lp.submit_invoice(body).status_code in (200, 202)
    receiver = hooks.receiver
    assert receiver.wait(lambda: len(receiver.for_claim(bcid)) >= 3, hooks.timeout), (
        f"LP-RETRY-3: {len(receiver.for_claim(bcid))} deliveries after 5xx answers, expected a retry after each"
    )
    for number, call in enumerate(receiver.for_claim(bcid)[:3], start=1):
        problem = _auth_problem(call, auth, receiver.issued)
        assert problem is None, f"{problem} ({mode} mode, delivery {number})"


@pytest.mark.mutating
@requirement("LP-WH-3", "LP-RETRY-1", "LP-RETRY-3")
def test_retries_after_5xx_keep_the_id_then_stop(lp, target, hooks):
    """After three 500s the fourth delivery succeeds: all four carry the same id, and none follows"""
    items = target.require_data("items")["items"]
    body = invoice([items["hold"]])
    bcid = body["claims"][0]["billerClaimId"]
    hooks.receiver.answers[bcid] = lambda n: 500 if n < 3 else 202
    response = lp.submit_invoice(body)
    assert response.status_code in (200, 202)
    receiver = hooks.receiver
    assert receiver.wait(lambda: len(receiver.for_claim(bcid)) >= 4, hooks.timeout), (
        f"LP-RETRY-3: {len(receiver.for_claim(bcid))} deliveries after 5xx answers, expected a retry after each"
    )
    time.sleep(max(hooks.quiet, 10 * hooks.retry_scale * 1.5))
    calls = receiver.for_claim(bcid)
    ids = {c.body["id"] for c in calls}
    assert len(ids) == 1, f"LP-WH-3: retries of one event carry {len(ids)} different ids"
    assert len(calls) == 4, f"LP-RETRY-1: {len(calls)} deliveries; after the 202 nothing more was expected"


@pytest.mark.mutating
@requirement("LP-RETRY-2")
def test_4xx_abandons_the_webhook(lp, target, hooks):
    """A 4xx from the handler: the webhook is not redelivered"""
    items = target.require_data("items")["items"]
    body = invoice([items["hold"]])
    bcid = body["claims"][0]["billerClaimId"]
    hooks.receiver.answers[bcid] = lambda n: 400
    assert lp.submit_invoice(body).status_code in (200, 202)
    assert hooks.receiver.wait(lambda: hooks.receiver.for_claim(bcid), hooks.timeout), "LP-INV-10: no webhook arrived"
    time.sleep(max(hooks.quiet, 10 * hooks.retry_scale * 1.5))
    calls = hooks.receiver.for_claim(bcid)
    assert len(calls) == 1, f"LP-RETRY-2: a webhook answered 400 was delivered {len(calls)} times"


@pytest.mark.mutating
@requirement("LP-RETRY-3", "LP-RETRY-4", "LP-WH-3")
def test_retry_policy_when_every_delivery_fails(lp, target, hooks):
    """Always 500: rapid first-level retries, then second-level rounds after 10/20/30 s (scaled), then no more"""
    count = int(target.reading("LP-R-RETRY-COUNT"))
    per_round = {24: 6, 21: 5, 20: 5}[count]
    first = {24: 6, 21: 6, 20: 5}[count]
    items = target.require_data("items")["items"]
    body = invoice([items["hold"]])
    bcid = body["claims"][0]["billerClaimId"]
    hooks.receiver.answers[bcid] = lambda n: 500
    assert lp.submit_invoice(body).status_code in (200, 202)
    scale = hooks.retry_scale
    span = 60 * scale + hooks.timeout
    receiver = hooks.receiver
    receiver.wait(lambda: len(receiver.for_claim(bcid)) >= count, span + hooks.timeout)
    time.sleep(max(hooks.quiet, 30 * scale * 1.5))
    calls = receiver.for_claim(bcid)
    assert len({c.body["id"] for c in calls}) == 1, "LP-WH-3: retries of one event carry different ids"
    times = [c.at for c in calls]
    rapid = 10 * scale  # "rapid succession": well inside the first second-level delay
    burst = 1 + len(list(itertools.takewhile(lambda gap: gap < rapid, (b - a for a, b in itertools.pairwise(times)))))
    assert burst >= first, (
        f"LP-RETRY-3: {burst} deliveries in rapid succession before the first pause, expected {first} "
        f"(the first delivery and 5 first-level retries; reading LP-R-RETRY-COUNT={count})"
    )
    assert len(calls) == count, (
        f"LP-RETRY-4: {len(calls)} deliveries of a failing event, expected {count} (reading LP-R-RETRY-COUNT={count})"
    )
    rounds = [times[:first]] + [times[first + i * per_round : first + (i + 1) * per_round] for i in range(3)]
    for r in rounds:
        gaps = [b - a for a, b in itertools.pairwise(r)]
        assert all(g < rapid for g in gaps), f"LP-RETRY-3: first-level retries not in rapid succession (gaps {gaps})"
    for delay, (before, after) in zip((10, 20, 30), itertools.pairwise(rounds)):
        gap = after[0] - before[-1]
        assert gap >= delay * scale * 0.9, (
            f"LP-RETRY-4: second-level attempt after {gap:.3f}s, expected >= {delay * scale:.3f}s"
        )
        assert gap <= delay * scale * 3 + 1, (
            f"LP-RETRY-4: second-level attempt after {gap:.3f}s, expected about {delay * scale:.3f}s"
        )
