"""Predeterminations, member eligibility and contracts."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from payercert.feeds import load_feed
from payercert.suites.lanternpay import states as sm
from payercert.suites.lanternpay.client import json_body
from payercert.suites.lanternpay.invoices import invoice

requirement = pytest.mark.requirement
SAMPLES = load_feed("lanternpay").root / "samples" / "valid"


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.mark.mutating
@requirement("LP-PRE-2", "LP-PRE-3")
def test_predetermination_is_information_only(lp, target, hooks):
    """A predetermination comes back as claiming.predetermination.updated and moves no claim"""
    items = target.require_data("items")["items"]
    held = hooks.submit_and_watch(items["hold"], until="pending")
    bcid = held.bcid
    assert held.states[-1:] == ["pending"], f"the held claim did not reach pending: {held.states}"
    receiver = hooks.receiver
    quote = invoice(
        [items["approve"], items["hold"]],
        invoice_number=held.body["invoiceNumber"],
        ids=[bcid, "Q-" + uuid.uuid4().hex[:8]],
    )
    response = lp.submit_predetermination(quote)
    assert response.status_code in (200, 202), f"LP-PRE-2: predetermination answered {response.status_code}"
    ids = [c["billerClaimId"] for c in quote["claims"]]
    ok = receiver.wait(
        lambda: any(c.event == "onPredeterminationStatusUpdated" and c.mentions(ids[1]) for c in receiver.snapshot()),
        hooks.timeout,
    )
    assert ok, "LP-PRE-2: no claiming.predetermination.updated webhook arrived"
    time.sleep(hooks.quiet)
    calls = [c for c in receiver.snapshot() if c.mentions(ids[1])]
    for call in calls:
        if call.event == "onPredeterminationStatusUpdated":
            assert call.body.get("type") == "claiming.predetermination.updated", (
                f"LP-PRE-2: type {call.body.get('type')!r}"
            )
            lp.assert_schema("webhook-predetermination-updated.json", call.body, "the predetermination webhook")
    invoice_updates = [
        c for c in calls if isinstance(c.body, dict) and c.body.get("type") == "claiming.invoice.updated"
    ]
    assert not invoice_updates, "LP-PRE-3: a predetermination was followed by a claiming.invoice.updated webhook"
    held_states = sm.observed_states(receiver.for_claim(bcid), bcid)
    assert held_states == ["pending"], f"LP-PRE-3: the invoiced claim moved after a predetermination: {held_states}"


@pytest.mark.mutating
@requirement("LP-ELIG-2", "LP-HTTP-3", "LP-WH-1")
def test_eligibility_result_by_webhook(lp, target, hooks):
    """POST /members/eligibility answers 202 and the result arrives by the onMemberEligibilityStatus webhook"""
    request = {**_sample("eligibility-request.json"), "memberNumber": "PC" + uuid.uuid4().hex[:8]}
    response = lp.post(lp.link("lp:check-eligibility", "/members/eligibility"), request)
    assert response.status_code == 202, f"LP-HTTP-3: eligibility answered {response.status_code}"
    receiver = hooks.receiver

    def mine():
        return [
            c
            for c in receiver.snapshot()
            if c.event == "onMemberEligibilityStatus"
            and isinstance(c.body, dict)
            and (c.body.get("data") or {}).get("memberNumber") == request["memberNumber"]
        ]

    assert receiver.wait(lambda: mine(), hooks.timeout), "LP-ELIG-2: no eligibility webhook arrived"
    lp.assert_schema("webhook-member-eligibility.json", mine()[0].body, "the eligibility webhook")


@pytest.mark.mutating
@requirement(
    "LP-CON-2",
    "LP-CON-3",
    "LP-CON-4",
    "LP-CON-5",
    "LP-HAL-7",
    "LP-HTTP-2",
    "LP-HTTP-3",
    "LP-FMT-1",
    "LP-FMT-2",
    "LP-FMT-3",
    "LP-FMT-5",
    "LP-JSON-1",
    "LP-JSON-2",
)
def test_contract_created_announced_and_readable(lp, target, hooks):
    """A contract's status arrives by webhook; its contractId reads back by GET, also among the member's contracts"""
    request = _sample("contract-request.json")
    request["billerContractId"] = "PC-" + uuid.uuid4().hex[:10]
    request["member"]["memberNumber"] = "PC" + uuid.uuid4().hex[:8]
    biller = target.credential("biller_id")
    response = lp.post(lp.link("lp:create-contract", "/billers/{billerId}/contract", billerId=biller), request)
    assert response.status_code == 202, f"LP-HTTP-3: create contract answered {response.status_code}"
    receiver = hooks.receiver

    def mine():
        return [
            c
            for c in receiver.snapshot()
            if c.event == "onContractStatusUpdated"
            and isinstance(c.body, dict)
            and (c.body.get("data") or {}).get("billerContractId") == request["billerContractId"]
        ]

    assert receiver.wait(lambda: mine(), hooks.timeout), "LP-CON-2: no contract status webhook arrived"
    webhook = mine()[0].body
    lp.assert_schema("webhook-contract-status.json", webhook, "the contract status webhook")
    contract_id = webhook["data"]["contractId"]
    got = lp.get(lp.link("lp:contract", "/contracts/{contractId}", contractId=contract_id))
    assert got.status_code == 200, f"LP-CON-5: GET of the webhook's contractId answered {got.status_code}"
    contract = json_body(got)
    lp.assert_schema("contract.json", contract, "the contract")
    assert contract["contractId"] == contract_id, "LP-CON-3: GET returned another contract"
    assert len(contract.get("contractLineItems") or []) == len(request["contractLineItems"]), (
        "LP-CON-3: line items missing"
    )
    assert "self" in (contract.get("_links") or {}), "LP-HAL-7: the contract has no _links.self"
    listed = lp.get(
        lp.link(
            "lp:member-contracts", "/member/{memberNumber}/contracts", memberNumber=request["member"]["memberNumber"]
        )
    )
    assert listed.status_code == 200, f"LP-CON-4: member contracts answered {listed.status_code}"
    body = json_body(listed)
    lp.assert_schema("member-contracts.json", body, "the member's contracts")
    assert contract_id in [c["contractId"] for c in body["contracts"]], (
        "LP-CON-4: the contract is not among the member's"
    )
