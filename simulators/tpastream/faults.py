"""TPA Stream fault profiles: each one breaks exactly one requirement of the catalogue.

Kept to what the matrix must prove (every certify run costs the harness's tests a few seconds);
PAGE-10 is still tested, just without a fault profile of its own."""

from payercert.simulation import Fault

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
)
