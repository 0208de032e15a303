"""LanternPay fault profiles: each one breaks exactly one requirement of the catalogue."""

import re
import uuid

from payercert.rewrite import Hook, Rewrite, drop, put
from payercert.simulation import Fault

ROOT = r"^/$"
CONTRACT = r"^/contracts/[^/]+$"
MEMBER_CONTRACTS = r"^/member/[^/]+/contracts$"


def _links(change):
    """A change to the root's _links."""

    def apply(root):
        change(root.get("_links", {}))

    return apply


INVOICE_UPDATES = "onInvoiceStatusUpdated"


def _statuses(change):
    """A change to the list of ClaimStatuses of an invoice or predetermination webhook (the list the
    change returns is sent)."""

    def apply(webhook):
        data = webhook.get("data") or {}
        for key in ("claimStatuses", "claims"):
            if isinstance(data.get(key), list):
                data[key] = change(data[key])

    return apply


def _each_status(change):
    return _statuses(lambda statuses: [change(s) or s for s in statuses])


def _rejected_said(state: str) -> Hook:
    """Invoice webhooks that say `state` where a claim is rejected."""
    return Hook(INVOICE_UPDATES, edit=_each_status(lambda s: s.get("state") == "rejected" and s.update(state=state)))


def _data(change):
    def apply(webhook):
        change(webhook.get("data") or {})

    return apply


def _line_items(change):
    def apply(contract):
        for item in contract.get("contractLineItems") or []:
            change(item)

    return apply


def _basic(asked) -> bool:
    return asked.headers.get("authorization", "").startswith("Basic ")


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
    # answers changed on one operation or for some requests only
    Fault(
        "root-200-empty",
        "LP-HTTP-2",
        "GET / answers 200 with an empty body",
        Rewrite(ROOT, text=lambda _: b"", headers={"Content-Type": None}),
    ),
    Fault(
        "eligibility-answered-200",
        "LP-HTTP-3",
        "a member eligibility request is answered 200, not 202",
        Rewrite(r"^/members/eligibility$", method="POST", status="202", to_status=200),
    ),
    Fault(
        "contract-number-with-leading-zero",
        "LP-JSON-1",
        "GET /contracts/{contractId} writes a line item's quantity with a leading zero (01)",
        Rewrite(CONTRACT, text=lambda body: re.sub(rb'"quantity":(\d)', rb'"quantity":0\1', body, count=1)),
    ),
    Fault(
        "contract-field-name-with-space",
        "LP-JSON-2",
        'GET /contracts/{contractId} names a field "billerContractId " (a trailing space)',
        Rewrite(CONTRACT, text=lambda body: body.replace(b'"billerContractId"', b'"billerContractId "', 1)),
    ),
    Fault(
        "contract-dates-slashed",
        "LP-FMT-2",
        "GET /contracts/{contractId} writes line item start dates as YYYY/MM/DD",
        Rewrite(
            CONTRACT,
            edit=_line_items(
                lambda item: item.get("startDate") and item.update(startDate=item["startDate"].replace("-", "/"))
            ),
        ),
    ),
    Fault(
        "contract-quantity-5-places",
        "LP-FMT-3",
        "GET /contracts/{contractId} writes quantities with 5 decimal places",
        Rewrite(CONTRACT, edit=_line_items(lambda item: item.update(quantity=1.00001))),
    ),
    Fault(
        "basic-auth-refused",
        "LP-AUTH-1",
        "Basic client id/secret is refused with 401 on POST /billers/{billerId}/invoice",
        Rewrite(r"^/billers/[^/]+/invoice$", method="POST", where=_basic, to_status=401, text=lambda _: b""),
    ),
    Fault(
        "token-without-access-token",
        "LP-AUTH-2",
        "the token endpoint's answer has no access_token",
        Rewrite(r"^/oauth/connect/token$", method="POST", edit=drop("access_token")),
    ),
    Fault(
        "invoice-response-drops-last-claim",
        "LP-INV-11",
        "the invoice response lists every claim but the last",
        Rewrite(
            r"^/billers/[^/]+/invoice$",
            method="POST",
            edit=lambda body: body.update(claims=(body.get("claims") or [])[:-1]),
        ),
    ),
    # webhooks changed as they are sent (payercert.rewrite.Hook)
    Fault(
        "one-id-for-every-event",
        "LP-WH-2",
        "every webhook carries the same id",
        hook=Hook(edit=lambda webhook: webhook.update(id="5d1c1c3e-7d7b-4f7e-9a57-0f2f4b3c2a10")),
    ),
    Fault(
        "invoice-webhook-without-error-link",
        "LP-WH-5",
        "invoice webhooks' _links has no lp:webhook-error",
        hook=Hook(INVOICE_UPDATES, edit=lambda webhook: (webhook.get("_links") or {}).pop("lp:webhook-error", None)),
    ),
    Fault(
        "invoice-status-without-invoice-id",
        "LP-WH-6",
        "invoice webhooks' InvoiceStatus has no invoiceId",
        hook=Hook(INVOICE_UPDATES, edit=_data(drop("invoiceId"))),
    ),
    Fault(
        "claim-status-without-benefit",
        "LP-WH-7",
        "invoice webhooks' ClaimStatuses have no benefit",
        hook=Hook(INVOICE_UPDATES, edit=_each_status(drop("benefit"))),
    ),
    Fault(
        "claim-state-no-change-capitalised",
        "LP-WH-8",
        'invoice webhooks say state "NoChange" where a claim is rejected',
        hook=_rejected_said("NoChange"),
    ),
    Fault(
        "claim-state-declined",
        "LP-STATE-1",
        'invoice webhooks say state "declined" where a claim is rejected',
        hook=_rejected_said("declined"),
    ),
    Fault(
        "claim-status-twice",
        "LP-WH-10",
        "invoice webhooks list every ClaimStatus twice",
        hook=Hook(INVOICE_UPDATES, edit=_statuses(lambda statuses: statuses + statuses)),
    ),
    Fault(
        "benefit-in-tenths-of-cents",
        "LP-FMT-4",
        "invoice webhooks write benefit with 3 decimal places",
        hook=Hook(
            INVOICE_UPDATES,
            edit=_each_status(lambda s: s.update(benefit=round(float(s.get("benefit") or 0) + 0.005, 3))),
        ),
    ),
    Fault(
        "invoice-updates-without-statuses",
        "LP-INV-10",
        "invoice webhooks carry an empty ClaimStatus list",
        hook=Hook(INVOICE_UPDATES, edit=_statuses(lambda statuses: [])),
    ),
    Fault(
        "cancel-pending-not-announced",
        "LP-CAN-4",
        "the cancelPending status is never sent",
        hook=Hook(INVOICE_UPDATES, edit=_statuses(lambda ss: [s for s in ss if s.get("state") != "cancelPending"])),
    ),
    Fault(
        "predetermination-data-not-invoice-status",
        "LP-PRE-2",
        "predetermination webhooks carry their ClaimStatuses under quotes",
        hook=Hook(
            "onPredeterminationStatusUpdated",
            edit=_data(lambda data: data.update(quotes=data.pop("claimStatuses", data.pop("claims", [])))),
        ),
    ),
    Fault(
        "eligibility-state-maybe",
        "LP-ELIG-2",
        'eligibility webhooks say state "maybe"',
        hook=Hook("onMemberEligibilityStatus", edit=_data(lambda data: data.update(state="maybe"))),
    ),
    Fault(
        "contract-webhook-without-line-statuses",
        "LP-CON-2",
        "contract webhooks carry no contractLineItemStatus",
        hook=Hook("onContractStatusUpdated", edit=_data(drop("contractLineItemStatus"))),
    ),
    Fault(
        "contract-webhook-names-another-contract",
        "LP-CON-5",
        "contract webhooks carry a contractId GET /contracts/{contractId} does not know",
        hook=Hook("onContractStatusUpdated", edit=_data(lambda d: d.update(contractId=str(uuid.uuid4())))),
    ),
    Fault(
        "approval-said-payment-failed",
        "LP-STATE-4",
        'invoice webhooks say "paymentFailed" where a claim is approved (its first announced state)',
        hook=Hook(
            INVOICE_UPDATES,
            edit=_each_status(lambda s: s.get("state") == "approved" and s.update(state="paymentFailed")),
        ),
    ),
    Fault(
        "cancellation-answered-500",
        "LP-CAN-2",
        "POST /invoices/{invoiceId}/cancel answers 500 (the cancellation goes nowhere)",
        Rewrite(r"^/invoices/[^/]+/cancel$", method="POST", status="20.", to_status=500, text=lambda _: b""),
    ),
    # the sender's own code paths (simulators/lanternpay/webhooks.py)
    Fault("header-auth-value-wrong", "LP-WHA-2", "custom header mode sends the header with another value"),
    Fault("basic-auth-password-wrong", "LP-WHA-3", "Basic mode sends another password"),
    Fault("oauth-token-not-from-endpoint", "LP-WHA-4", "OAuth mode sends a Bearer token it did not obtain"),
    Fault("redelivered-after-202", "LP-RETRY-1", "a webhook the handler answered 202 is delivered once more"),
    Fault("two-first-level-retries", "LP-RETRY-3", "a failed delivery gets 2 rapid attempts, not 5 retries"),
    Fault(
        "links-over-http",
        "LP-HTTP-1",
        "the root's links say http:// (the API built them behind a TLS-terminating proxy)",
        Rewrite(ROOT, text=lambda body: body.replace(b'"https://', b'"http://')),
    ),
    Fault(
        "authorization-code-unsupported",
        "LP-AUTH-3",
        "the token endpoint answers unsupported_grant_type to the authorization_code grant",
        Rewrite(
            r"^/oauth/connect/token$",
            method="POST",
            status="400",
            where=lambda asked: b"grant_type=authorization_code" in asked.body,
            edit=put("error", "unsupported_grant_type"),
        ),
    ),
)
