"""TPA Stream fault profiles: each one breaks exactly one requirement of the catalogue.

Kept to what the matrix must prove (every certify run costs the harness's tests a few seconds);
PAGE-10 is still tested, just without a fault profile of its own."""

from payercert.rewrite import Rewrite, drop, no_credentials, put
from payercert.server import Listener
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


def _all(key: str, change):
    """A change to every object in the list each item holds under `key`."""

    def apply(values):
        for value in values if isinstance(values, list) else []:
            if isinstance(value, dict):
                change(value)
        return values

    return _each(key, apply)


def _empty_page(page):
    return {**page, "data": [], "total": 0, "pages": 0, "has_next": False}


def _message_as_error(body):
    return {"error": body.get("message")} if isinstance(body, dict) else body


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
    # statuses and envelopes changed on one endpoint or for some requests only
    Fault(
        "good-key-refused-on-claims",
        "TPA-AUTH-1",
        "GET /claims with valid credentials answers 401",
        Rewrite(
            r"/claims$", where=lambda asked: not no_credentials(asked), to_status=401, json=lambda _: {"message": "no"}
        ),
    ),
    Fault(
        "member-served-without-credentials",
        "TPA-AUTH-3",
        "GET /member without credentials is answered 200 with an empty page",
        Rewrite(
            r"/member$",
            where=no_credentials,
            status="401",
            to_status=200,
            json=lambda _: {"data": [], "page": 1, "pages": 0, "per_page": 10, "total": 0, "has_next": False},
        ),
    ),
    Fault(
        "claims-pages-count-from-0",
        "TPA-EP-1",
        "/claims numbers its first page 0",
        Rewrite(r"^/api/claims$", where=lambda asked: asked.param("page") in (None, "1"), edit=put("page", 0)),
    ),
    Fault("employers-empty", "TPA-EP-2", "/employer lists nothing", Rewrite(r"/employer$", json=_empty_page)),
    Fault("members-empty", "TPA-EP-3", "/member lists nothing", Rewrite(r"/member$", json=_empty_page)),
    Fault(
        "policy-holders-empty",
        "TPA-EP-4",
        "/policy_holder lists nothing",
        Rewrite(r"/policy_holder$", json=_empty_page),
    ),
    Fault(
        "employer-claims-not-served",
        "TPA-EP-5",
        "/employer/{id}/claims answers 404 for every id",
        Rewrite(NESTED_EMPLOYER, to_status=404, json=lambda _: {"message": "Not Found"}),
    ),
    Fault(
        "policy-holder-claims-not-served",
        "TPA-EP-6",
        "/policy_holder/{id}/claims answers 404 for every id",
        Rewrite(NESTED_HOLDER, to_status=404, json=lambda _: {"message": "Not Found"}),
    ),
    Fault(
        "member-claims-not-served",
        "TPA-EP-7",
        "/member/{id}/claims answers 404 for every id",
        Rewrite(NESTED_MEMBER, to_status=404, json=lambda _: {"message": "Not Found"}),
    ),
    Fault(
        "page-echo-off",
        "TPA-QUERY-1",
        "/claims answers page 1 whatever page was asked",
        Rewrite(r"^/api/claims$", where=lambda asked: asked.param("page") not in (None, "1"), edit=put("page", 1)),
    ),
    Fault(
        "not-found-as-text",
        "TPA-ERR-1",
        "a 404 is plain text",
        Rewrite(r"^/api/", status="404", text=lambda _: b"Not Found", headers={"Content-Type": "text/plain"}),
    ),
    Fault(
        "400-without-message",
        "TPA-ERR-2",
        "a 400 on /claims says error instead of message",
        Rewrite(r"/claims$", status="400", json=_message_as_error),
    ),
    Fault(
        "403-without-message",
        "TPA-ERR-4",
        "a 403 says error instead of message",
        Rewrite(r"^/api/", status="403", json=_message_as_error),
    ),
    Fault(
        "claims-without-lines",
        "TPA-DATA-1",
        "/claims drops every claim's claim_medical_lines",
        Rewrite(r"^/api/claims$", edit=_each("", lambda claim: claim.pop("claim_medical_lines", None))),
    ),
    Fault(
        "dependent-id-as-text",
        "TPA-DATA-6",
        "/member writes each dependent's id as a string",
        Rewrite(r"/member$", edit=_each("dependents", lambda ds: [{**d, "id": str(d.get("id"))} for d in ds or []])),
    ),
    Fault(
        "employer-payer-without-name",
        "TPA-DATA-7",
        "/employer drops the name of every payer",
        Rewrite(r"/employer$", edit=_all("payers", lambda payer: payer.pop("name", None))),
    ),
    Fault(
        "member-tenant-name-as-number",
        "TPA-DATA-8",
        "/member writes its tenant's name as a number",
        Rewrite(r"/member$", edit=_each("tenant", lambda t: {**t, "name": 7} if isinstance(t, dict) else t)),
    ),
    Fault(
        "claim-file-without-url",
        "TPA-DATA-9",
        "on /claims the TPA files have no url",
        Rewrite(r"^/api/claims$", edit=_all("tpafiles", lambda f: f.pop("url", None))),
    ),
    Fault(
        "plain-http-served",
        "TPA-AUTH-6",
        "the API's port also answers plain HTTP, as over HTTPS",
        listener=Listener(plain_http=True),
    ),
)
