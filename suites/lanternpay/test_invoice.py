"""Submit Invoice: valid invoices accepted with a claimId per claim; invalid ones refused with an
error payload whose invalidParams name the field actually broken (cases drawn from the schema)."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payercert.examples import every
from payercert.suites.lanternpay.client import (
    SCHEMAS,
    json_body,
)
from payercert.suites.lanternpay.invoices import invoice

requirement = pytest.mark.requirement
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def _required(schema: str) -> list[str]:
    return json.loads((SCHEMAS / schema).read_text())["required"]


# Mutations drawn from the schemas: every Mandatory field dropped, and values that break an enum,
# a format or the decimal places. (path inside the invoice, None = drop it, else the bad value)
INVOICE_DROPS = [((f,), None) for f in _required("invoice.json")]
MEMBER_DROPS = [(("member", f), None) for f in _required("member.json")]
CLAIM_DROPS = [(("claims", "#", f), None) for f in _required("claim.json")]
BAD_VALUES = [
    (("responsePriority",), "urgent"),
    (("created",), "2020-01-30 03:49:25"),
    (("invoiceDate",), "30/01/2020"),
    (("member", "birthDate"), "1990-02-30"),
    (("member", "gender"), "M"),
    (("claims", "#", "taxCode"), "gst"),
    (("claims", "#", "quantity"), 1.12345),
    (("claims", "#", "unitPrice"), "42.78"),
    (("claims", "#", "consentReceived"), "yes"),
]
MUTATIONS = INVOICE_DROPS + MEMBER_DROPS + CLAIM_DROPS + BAD_VALUES


def _apply(body: dict, path: tuple, value, index: int) -> str:
    """Break the invoice at path; return the invalidParams name of that field."""
    concrete = [index if p == "#" else p for p in path]
    node = body
    for p in concrete[:-1]:
        node = node[p]
    if value is None:
        node.pop(concrete[-1], None)
    else:
        node[concrete[-1]] = value
    name = ""
    for p in concrete:
        name += f"[{p}]" if isinstance(p, int) else ("." if name else "") + p
    return name


def _resolves(name: str, request: dict) -> bool:
    """LP-ERR-5: each index within the request's array, each object on the path present."""
    node = request
    parts = name.split(".")
    for n, part in enumerate(parts):
        m = _NAME.fullmatch(part)
        if not m:
            return False
        key, indexes = m.group(1), [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
        last = n == len(parts) - 1
        if not isinstance(node, dict):
            return False
        if key not in node:
            return last and not indexes
        node = node[key]
        for i in indexes:
            if not isinstance(node, list) or i >= len(node):
                return False
            node = node[i]
    return True


@pytest.mark.mutating
@requirement("LP-INV-9", "LP-INV-11", "LP-FMT-5", "LP-HTTP-3")
@given(
    kinds=st.lists(st.sampled_from(["approve", "reject", "pending", "provisional", "hold"]), min_size=1, max_size=4),
    bearer=st.booleans(),
)
@every([{"kinds": [k], "bearer": False} for k in ("approve", "reject", "pending", "provisional", "hold")])
@every([{"kinds": ["approve", "reject", "hold"], "bearer": True}])
def test_valid_invoice_gets_a_claim_id_per_claim(lp, target, kinds, bearer):
    """A valid invoice is answered 202 (or 200) with invoiceId and one distinct claimId per billerClaimId"""
    items = target.require_data("items")["items"]
    body = invoice([items[k] for k in kinds])
    response = lp.submit_invoice(body, mode="bearer" if bearer else "basic")
    assert response.status_code in (200, 202), (
        f"LP-INV-9: valid invoice answered {response.status_code}: {response.text[:200]}"
    )
    accepted = json_body(response)
    lp.assert_schema("invoice-response.json", accepted, "the invoice response")
    claim_ids = [c["claimId"] for c in accepted["claims"]]
    assert len(set(claim_ids)) == len(claim_ids), "LP-INV-9: claimIds are not distinct"
    sent = [c["billerClaimId"] for c in body["claims"]]
    got = [c.get("billerClaimId") for c in accepted["claims"]]
    assert sorted(got) == sorted(sent), f"LP-INV-11: response billerClaimIds {got} != submitted {sent}"


# Each mutation alone in a one-claim invoice, and each claim mutation in the middle of three claims
# (an index that is neither first nor last): always tried, whatever the draw.
EVERY_MUTATION = [{"mutation": m, "claims": 1, "index": 0} for m in MUTATIONS]
EVERY_MUTATION += [{"mutation": m, "claims": 3, "index": 1} for m in CLAIM_DROPS + BAD_VALUES if "#" in m[0]]


@requirement("LP-HTTP-4", "LP-ERR-1", "LP-ERR-2", "LP-ERR-3", "LP-ERR-4", "LP-ERR-5", "LP-ERR-6", "LP-JSON-1")
@given(mutation=st.sampled_from(MUTATIONS), claims=st.integers(min_value=1, max_value=3), index=st.integers(0, 2))
@every(EVERY_MUTATION)
def test_invalid_invoice_names_the_broken_field(lp, target, mutation, claims, index):
    """An invalid invoice gets a 4xx error payload whose invalidParams name the broken field"""
    items = target.require_data("items")["items"]
    body = invoice([items["hold"]] * claims)
    index %= claims  # the claim a claims[#] mutation breaks
    path, value = mutation
    broken = _apply(body, path, value, index)
    sent = copy.deepcopy(body)
    response = lp.submit_invoice(body)
    assert 400 <= response.status_code < 500, f"LP-HTTP-4: invoice with {broken} broken answered {response.status_code}"
    payload = json_body(response)
    errors = lp.schema_errors("error-payload.json", payload)
    assert not errors, f"{errors[0][0]}: the error payload does not follow error-payload.json: {errors[0][1]}"
    names = [p["name"] for p in payload.get("invalidParams") or []]
    assert names, f"LP-ERR-6: no invalidParams for the broken field {broken}"
    unresolved = [n for n in names if not _resolves(n, sent)]
    assert not unresolved, f"LP-ERR-5: invalidParams {unresolved} name no field of the request"
    assert broken in names, f"LP-ERR-5: {broken} was broken, but invalidParams name {names}"


@requirement("LP-HTTP-4", "LP-ERR-1", "LP-JSON-1")
def test_non_json_body_refused_with_error_payload(lp):
    """A body that is not JSON gets a 4xx with the error payload"""
    response = lp.target.request(
        "POST",
        lp.link("lp:submit-invoice", billerId=lp.target.credential("biller_id")),
        headers={"Authorization": lp.bearer(), "Content-Type": "application/json"},
        content=b'{"program": "mpl", "claims": [001]}',
    )
    assert 400 <= response.status_code < 500, f"LP-HTTP-4: a non-JSON body answered {response.status_code}"
    lp.assert_schema("error-payload.json", json_body(response), "the error payload")
