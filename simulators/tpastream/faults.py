"""TPA Stream fault profiles: each one breaks exactly one requirement of the catalogue.

Kept to what the matrix must prove (every certify run costs the harness's tests a few seconds);
PAGE-10 is still tested, just without a fault profile of its own."""

from payercert.rewrite import Rewrite, drop
from payercert.simulation import Fault

NESTED_EMPLOYER = r"/employer/[^/]+/claims$"
NESTED_MEMBER = r"/member/[^/]+/claims$"
NESTED_HOLDER = r"/policy_holder/[^/]+/claims$"


def _each(key: str, change):
    """A change to every item of a page's data (an item's member `key`, or the item when key is "")."""

    def apply(page):
        for item in page.get("data", []):
            if key:
                item[key] = change(item.get(key))
            else:
                change(item)

    return apply


def _lines(change):
    """A change to every claim line of every claim of a page."""
    return _each("", lambda claim: [change(line) for line in claim.get("claim_medical_lines") or []])


FAULTS = (
    Fault("pages-off-by-one", "TPA-PAGE-6", "pages is ceil(total / per_page) + 1"),
    Fault("has-next-on-last-page", "TPA-PAGE-2", "has_next is true on the last page"),
    Fault("per-page-ignored", "TPA-QUERY-2", "per_page is ignored: every page holds 10 items and says per_page 10"),
    Fault("wrong-total", "TPA-PAGE-11", "total counts one item more than the list holds"),
    Fault(
        "item-repeated-across-pages",
        "TPA-PAGE-11",
        "each page after the first starts with the last item of the page before",
    ),
    Fault("hide-read-ignored", "TPA-FILTER-1", "hide_read=on is ignored: read claims are returned"),
    Fault("hide-before-effective-date-ignored", "TPA-FILTER-2", "hide_before_effective_date=on is ignored"),
    Fault("employer-claims-leak", "TPA-NEST-1", "/employer/{id}/claims also lists a claim of another employer"),
    Fault(
        "nested-money-as-strings",
        "TPA-MONEY-1",
        "the nested claims lists (/employer|member|policy_holder/{id}/claims) write amounts as strings",
    ),
    Fault("error-without-message", "TPA-ERR-5", "a 404 body has error instead of message"),
    Fault("accept-wrong-api-key", "TPA-AUTH-2", "a known e-mail with any API key is accepted"),
    Fault("invalid-bounds", "TPA-RANGE-2", 'claim line date ranges carry bounds "[["'),
    Fault("range-reversed", "TPA-RANGE-4", "claim line date ranges of more than one day have start and end swapped"),
    Fault("claim-policy-holder-mismatch", "TPA-NEST-6", "policy_holder_fullname differs from policy_holder.fullname"),
    Fault("ip-allowlist-ignored", "TPA-IP-1", "valid credentials from outside the IP allow-list are served"),
    Fault(
        "prev-num-zero",
        "TPA-PAGE-5",
        "prev_num is 0 on page 1 (the document's sample; wrong under the default reading)",
    ),
    Fault("no-event-id", "TPA-ERR-6", "an unexpected error (500) has a message but no event_id"),
    Fault("jwt-expired-accepted", "TPA-JWT-8", "an expired SSH-JWT is accepted"),
    Fault("jwt-bearer-accepted", "TPA-JWT-3", "a JWT sent as Authorization: Bearer is accepted like SSH-JWT"),
    # answers changed on one surface only, the way real servers break (payercert/rewrite.py)
    Fault(
        "employer-claims-page-without-has-next",
        "TPA-PAGE-1",
        "the pages of /employer/{id}/claims have no has_next",
        Rewrite(NESTED_EMPLOYER, edit=drop("has_next")),
    ),
    Fault(
        "member-401-without-message",
        "TPA-ERR-3",
        "a 401 on /member says error instead of message",
        Rewrite(r"/member$", status="401", json=lambda body: {"error": body.get("message")}),
    ),
    Fault(
        "policy-holder-claim-lines-without-id",
        "TPA-DATA-2",
        "on /policy_holder/{id}/claims the claim lines have no vendor_system_id",
        Rewrite(NESTED_HOLDER, edit=_lines(lambda line: line.pop("vendor_system_id", None))),
    ),
    Fault(
        "employer-name-as-number",
        "TPA-DATA-3",
        "/employer writes each employer's name as a number",
        Rewrite(r"/employer$", edit=_each("name", lambda name: 1000 + len(str(name)))),
    ),
    Fault(
        "duplicate-total-on-policy-holders",
        "TPA-FMT-2",
        "the /policy_holder page writes total twice",
        Rewrite(r"/policy_holder$", text=lambda body: body.replace(b'{"', b'{"total":0,"', 1)),
    ),
    Fault(
        "member-range-with-extra-key",
        "TPA-RANGE-1",
        "a member's hire_term_daterange carries a fourth key, lower_inc",
        Rewrite(
            r"/member$",
            edit=_each("hire_term_daterange", lambda r: {**r, "lower_inc": True} if isinstance(r, dict) else r),
        ),
    ),
    Fault(
        "member-claims-range-slashed-dates",
        "TPA-RANGE-3",
        "on /member/{id}/claims a claim line's date range writes its start as YYYY/MM/DD",
        Rewrite(
            NESTED_MEMBER,
            edit=_lines(
                lambda line: (
                    isinstance(line.get("date_of_service"), dict)
                    and isinstance(line["date_of_service"].get("start"), str)
                    and line["date_of_service"].update(start=line["date_of_service"]["start"].replace("-", "/"))
                )
            ),
        ),
    ),
    Fault(
        "policy-holders-under-items",
        "TPA-FMT-1",
        "/policy_holder answers its entities under items, not data",
        Rewrite(r"/policy_holder$", json=lambda page: {("items" if k == "data" else k): v for k, v in page.items()}),
    ),
    Fault(
        "claim-type-as-string",
        "TPA-DATA-10",
        "on /employer/{id}/claims a claim's type is its name as a string",
        Rewrite(NESTED_EMPLOYER, edit=_each("type", lambda t: t.get("name") if isinstance(t, dict) else "medical")),
    ),
    # claim webhooks (simulators/tpastream/webhooks.py)
    Fault("webhook-unsigned", "TPA-HOOK-2", "claim webhooks carry no TPAStream-Signature"),
    Fault("webhook-retried-after-2xx", "TPA-HOOK-4", "a webhook answered 2xx is delivered once more"),
    Fault("webhook-retried-after-406", "TPA-HOOK-5", "a webhook answered 406 is delivered once more"),
    Fault("webhook-not-retried", "TPA-HOOK-6", "a webhook answered 500 is not retried"),
    Fault("replay-sends-another-claim", "TPA-HOOK-8", "Replay webhook posts another claim than the one replayed"),
    Fault("webhook-claim-without-policy-holder-id", "TPA-HOOK-9", "the webhook claim has no policy_holder_id"),
)
