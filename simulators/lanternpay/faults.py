"""LanternPay fault profiles: each one breaks exactly one requirement of the catalogue."""

import re

from payercert.rewrite import Rewrite, drop
from payercert.simulation import Fault

ROOT = r"^/$"
CONTRACT = r"^/contracts/[^/]+$"
MEMBER_CONTRACTS = r"^/member/[^/]+/contracts$"


def _links(change):
    """A change to the root's _links."""

    def apply(root):
        change(root.get("_links", {}))

    return apply


FAULTS = (
    Fault("root-without-links", "LP-HAL-1", "GET / answers 200 with a body that has no _links"),
    Fault("curies-as-object", "LP-HAL-5", "the root's curies is one object, not an array (as the document prints it)"),
    Fault("accept-wrong-secret", "LP-AUTH-4", "accepts Basic credentials with a wrong client secret"),
    Fault("invalid-invoice-200-empty", "LP-HTTP-4", "answers an invalid invoice with 200 and an empty body"),
    Fault("invalid-params-off-by-one", "LP-ERR-5", "invalidParams names claims[i+1] instead of the broken claims[i]"),
    Fault("status-title-too-long", "LP-WH-9", "sends statusTitle longer than 10 characters"),
    Fault("wrong-webhook-type", "LP-WH-4", "invoice updates carry type claiming.invoice.update"),
    Fault("webhook-id-changes-on-retry", "LP-WH-3", "every redelivery of an event carries a new id"),
    Fault("webhook-without-auth", "LP-WHA-1", "webhooks are delivered without the subscription's authentication"),
    Fault("retry-on-4xx", "LP-RETRY-2", "retries a webhook the handler answered with a 4xx"),
    Fault("no-second-level-retry", "LP-RETRY-4", "gives up after the first-level retries"),
    Fault("illegal-paid-to-pending", "LP-STATE-2", "a paid claim goes back to pending"),
    Fault("rejected-then-approved", "LP-STATE-3", "a rejected claim is later approved"),
    Fault(
        "predetermination-moves-claim",
        "LP-PRE-3",
        "a predetermination is followed by a claiming.invoice.updated webhook",
    ),
    Fault(
        "cancel-rejected-accepted", "LP-CAN-5", "accepts the cancellation of an invoice whose claims are all rejected"
    ),
    Fault("created-in-milliseconds", "LP-WH-1", "webhook created is epoch milliseconds, not seconds"),
    Fault("refused-cancel-stays-pending", "LP-CAN-3", "a refused cancellation leaves the claim in cancelPending"),
    Fault("approved-claim-resubmittable", "LP-STATE-5", "accepts a resubmission of an approved claim"),
    Fault(
        "retry-without-auth", "LP-WHA-1", "a retried webhook carries no authentication; only the first delivery does"
    ),
    # answers changed on one endpoint only (payercert/rewrite.py)
    Fault(
        "member-contracts-without-self",
        "LP-HAL-7",
        "GET /member/{memberNumber}/contracts answers without _links.self",
        Rewrite(MEMBER_CONTRACTS, edit=lambda body: body.get("_links", {}).pop("self", None)),
    ),
    Fault(
        "contract-error-without-title",
        "LP-ERR-1",
        "a 4xx of GET /contracts/{contractId} has no title",
        Rewrite(CONTRACT, status="4..", edit=drop("title")),
    ),
    Fault(
        "root-without-submit-predetermination",
        "LP-HAL-2",
        "the root's _links has no lp:submit-predetermination",
        Rewrite(ROOT, edit=_links(lambda links: links.pop("lp:submit-predetermination", None))),
    ),
    Fault(
        "submit-invoice-template-without-biller-id",
        "LP-HAL-3",
        "the root's lp:submit-invoice template names {biller} instead of {billerId}",
        Rewrite(
            ROOT,
            edit=_links(
                lambda links: links.get("lp:submit-invoice", {}).update(
                    href=links.get("lp:submit-invoice", {}).get("href", "").replace("{billerId}", "{biller}")
                )
            ),
        ),
    ),
    Fault(
        "oauth-issuer-without-href",
        "LP-HAL-4",
        "the root's lp:oauth-issuer link has a url instead of an href",
        Rewrite(
            ROOT,
            edit=_links(
                lambda links: links.update({"lp:oauth-issuer": {"url": links.get("lp:oauth-issuer", {}).get("href")}})
            ),
        ),
    ),
    Fault(
        "curie-not-templated",
        "LP-HAL-6",
        "the curie named lp lacks templated: true",
        Rewrite(
            ROOT,
            edit=_links(
                lambda links: [c.pop("templated", None) for c in links.get("curies", []) if c.get("name") == "lp"]
            ),
        ),
    ),
    Fault(
        "contract-without-program",
        "LP-CON-3",
        "GET /contracts/{contractId} returns the contract without program",
        Rewrite(CONTRACT, edit=drop("program")),
    ),
    Fault(
        "member-contracts-as-array",
        "LP-CON-4",
        "GET /member/{memberNumber}/contracts returns a bare array, not {contracts: [...]}",
        Rewrite(MEMBER_CONTRACTS, json=lambda body: body.get("contracts", [])),
    ),
    Fault(
        "contract-created-without-milliseconds",
        "LP-FMT-1",
        "GET /contracts/{contractId} writes created without milliseconds",
        Rewrite(CONTRACT, edit=lambda c: c.update(created=str(c.get("created", ""))[:19] + "+00:00")),
    ),
    Fault(
        "contract-id-without-dashes",
        "LP-FMT-5",
        "GET /contracts/{contractId} writes the contractId as 32 hex digits, without dashes",
        Rewrite(CONTRACT, edit=lambda c: c.update(contractId=str(c.get("contractId", "")).replace("-", ""))),
    ),
    Fault(
        "invoice-answer-without-invoice-id",
        "LP-INV-9",
        "an accepted invoice is answered without invoiceId",
        Rewrite(r"^/billers/[^/]+/invoice$", method="POST", edit=drop("invoiceId")),
    ),
    Fault(
        "eligibility-error-type-not-a-uri",
        "LP-ERR-2",
        "a 4xx of POST /members/eligibility gives type as a bare word",
        Rewrite(r"^/members/eligibility$", method="POST", status="4..", edit=lambda e: e.update(type="validation")),
    ),
    Fault(
        "invoice-invalid-params-without-reason",
        "LP-ERR-3",
        "a 4xx of POST /billers/{billerId}/invoice lists invalidParams without reason",
        Rewrite(
            r"^/billers/[^/]+/invoice$",
            method="POST",
            status="4..",
            edit=lambda e: [p.pop("reason", None) for p in e.get("invalidParams") or []],
        ),
    ),
    Fault(
        "invoice-invalid-param-dotted-index",
        "LP-ERR-4",
        "a 4xx of POST /billers/{billerId}/invoice names an array member claims.0.itemCode, not claims[0].itemCode",
        Rewrite(
            r"^/billers/[^/]+/invoice$",
            method="POST",
            status="4..",
            edit=lambda e: [
                p.update(name=re.sub(r"\[(\d+)\]", r".\1", str(p.get("name", ""))))
                for p in e.get("invalidParams") or []
            ],
        ),
    ),
)
