"""The claim state machine seen from the biller: submit, maybe cancel, watch the webhooks; every
observed sequence must be legal per claim-states.yaml and terminal states stay terminal."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payercert.examples import every
from payercert.suites.lanternpay import states as sm
from payercert.suites.lanternpay.client import json_body
from payercert.suites.lanternpay.invoices import invoice

requirement = pytest.mark.requirement
KINDS = ["approve", "reject", "pending", "provisional", "payment_failed", "hold", "manual_cancel", "no_cancel"]
HELD = {"hold", "manual_cancel", "no_cancel"}  # the program keeps these pending until cancelled


def _rest(kind: str, cancelled: int | None) -> set[str]:
    """Where a claim of this kind comes to rest: {} means wait until the flow is quiet."""
    if cancelled is None or cancelled == 409:
        return {"pending"} if kind in HELD else {"paid", "rejected"}
    return set() if kind == "no_cancel" else {"cancelled", "rejected"}


def _assert_legal(observed: dict[str, list[str]], initial: str) -> None:
    for bcid, seq in observed.items():
        findings = sm.check_sequence(seq, initial)
        assert not findings, f"{findings[0][0]}: claim {bcid}: {findings[0][1]} (observed {seq})"


@pytest.mark.mutating
@requirement("LP-STATE-1", "LP-STATE-2", "LP-STATE-3", "LP-STATE-4", "LP-CAN-2", "LP-INV-10")
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=3),
    cancel_after=st.one_of(st.none(), st.sampled_from([0.0, 0.03, 0.08, 0.2])),
)
# every way a claim ends, whatever the draws: approved and paid, rejected, payment failed; cancelled
@every(
    [
        {"kinds": ["approve", "reject", "payment_failed"], "cancel_after": None},
        {"kinds": ["provisional", "manual_cancel", "no_cancel"], "cancel_after": 0.08},
    ]
)
def test_observed_claim_states_are_legal(lp, target, hooks, kinds, cancel_after):
    """Submit, maybe cancel after a while, and every claim's observed states follow claim-states.yaml"""
    items = target.require_data("items")["items"]
    body = invoice([items[k] for k in kinds])
    response = lp.submit_invoice(body)
    assert response.status_code in (200, 202), f"LP-INV-9: invoice answered {response.status_code}"
    accepted = json_body(response)
    ids = [c["billerClaimId"] for c in body["claims"]]
    status = None
    if cancel_after is not None:
        time.sleep(cancel_after)
        cancel = lp.cancel(accepted)
        status = cancel.status_code
        assert status in (200, 202, 409), f"LP-CAN-2: cancellation answered {status}"
    observed = hooks.watch(ids, {i: _rest(k, status) for i, k in zip(ids, kinds)})
    for bcid in ids:
        assert observed[bcid], f"LP-INV-10: claim {bcid} never came back in a webhook"
    _assert_legal(observed, target.reading("LP-R-INITIAL-STATE"))


@pytest.mark.mutating
@requirement("LP-CAN-2", "LP-CAN-4")
def test_cancellation_via_cancel_pending(lp, target, hooks):
    """A claim the program cannot cancel automatically goes cancelPending, then cancelled"""
    items = target.require_data("items")["items"]
    held = hooks.submit_and_watch(items["manual_cancel"], until="pending").resting_in("pending")
    response = lp.cancel(held.accepted)
    assert response.status_code in (200, 202), f"LP-CAN-2: cancellation answered {response.status_code}"
    bcid = held.bcid
    seq = hooks.watch([bcid], {bcid: {"cancelled"}})[bcid]
    assert seq[-2:] == ["cancelPending", "cancelled"], (
        f"LP-CAN-4: observed {seq}, expected ... cancelPending, cancelled"
    )
    _assert_legal({bcid: seq}, target.reading("LP-R-INITIAL-STATE"))


@pytest.mark.mutating
@requirement("LP-CAN-3")
def test_refused_cancellation_leaves_the_claim_unchanged(lp, target, hooks):
    """When the program refuses the cancellation, the claim returns to the state it had"""
    items = target.require_data("items")["items"]
    held = hooks.submit_and_watch(items["no_cancel"], until="pending").resting_in("pending")
    response = lp.cancel(held.accepted)
    assert response.status_code in (200, 202, 409), f"LP-CAN-3: cancellation answered {response.status_code}"
    time.sleep(hooks.quiet)
    bcid = held.bcid
    seq = hooks.watch([bcid], {bcid: {"pending", "cancelled"}})[bcid]
    assert seq[-1] == "pending", f"LP-CAN-3: after a refused cancellation the claim is {seq[-1]!r} (observed {seq})"


@pytest.mark.mutating
@requirement("LP-CAN-5", "LP-HTTP-4")
def test_cancellation_of_rejected_invoice_refused(lp, target, hooks):
    """An invoice whose claims are all rejected cannot be cancelled: 4xx with the error payload"""
    items = target.require_data("items")["items"]
    rejected = hooks.submit_and_watch(items["reject"]).resting_in("rejected")
    response = lp.cancel(rejected.accepted)
    assert 400 <= response.status_code < 500, f"LP-CAN-5: cancelling a rejected invoice answered {response.status_code}"


@pytest.mark.mutating
@requirement("LP-CAN-6")
def test_cancel_body_must_name_the_path_invoice(lp, target):
    """A cancellation whose body invoiceId differs from the path's is refused"""
    items = target.require_data("items")["items"]
    accepted = json_body(lp.submit_invoice(invoice([items["hold"]])))
    response = lp.cancel(accepted, {"invoiceId": "00000000-0000-4000-8000-000000000000"})
    assert 400 <= response.status_code < 500, f"LP-CAN-6: mismatched invoiceId answered {response.status_code}"


@pytest.mark.mutating
@requirement("LP-STATE-5")
def test_approved_claim_cannot_be_resubmitted(lp, target, hooks):
    """Resubmitting an approved claim (same invoice number and billerClaimId) is refused"""
    items = target.require_data("items")["items"]
    approved = hooks.submit_and_watch(items["approve_stay"], until="approved").resting_in("approved")
    again = lp.submit_invoice(approved.body)
    assert 400 <= again.status_code < 500, f"LP-STATE-5: resubmitting an approved claim answered {again.status_code}"


@pytest.mark.mutating
@requirement("LP-STATE-2", "LP-STATE-3")
def test_settled_claims_stay_settled(lp, target, hooks):
    """Once paid or rejected, a claim shows no further (illegal) state in the webhooks that follow"""
    items = target.require_data("items")["items"]
    body = invoice([items["approve"], items["reject"]])
    ids = [c["billerClaimId"] for c in body["claims"]]
    assert lp.submit_invoice(body).status_code in (200, 202)
    hooks.watch(ids)
    time.sleep(hooks.quiet)
    observed = hooks.watch(ids, {i: set() for i in ids})  # and then until nothing more arrives
    _assert_legal(observed, target.reading("LP-R-INITIAL-STATE"))
