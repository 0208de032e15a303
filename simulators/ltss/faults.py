"""LTSS fault profiles: each one breaks exactly one requirement of the catalogue."""

from payercert.rewrite import Rewrite
from payercert.server import Listener
from payercert.simulation import Fault

TOKEN = r"/connect/token$"
UPLOAD = r"/uploadbillingentry$"


def _multipart(asked) -> bool:
    return asked.headers.get("content-type", "").startswith("multipart/form-data")


# A refusal with another rule's code (the rule found, the code mixed up): profile -> (the rule, the
# code it answers instead of its own, what it refuses)
WRONG_CODES = {
    "missing-transaction-id-1300": ("LTSS-1100-1", "1300", "a missing TransactionId"),
    "missing-date-1300": ("LTSS-1200-1", "1300", "a missing ServiceDate"),
    "unparsable-date-1300": ("LTSS-1200-2", "1300", "a ServiceDate not in mm-dd-yyyy"),
    "before-go-live-1300": ("LTSS-1200-3", "1300", "a date before the dda-go-live date"),
    "units-not-a-number-1200": ("LTSS-1300-1", "1200", "Units that is not a number"),
    "cost-not-a-number-1200": ("LTSS-1300-2", "1200", "Cost that is not a number"),
    "no-units-no-cost-1200": ("LTSS-1300-3", "1200", "an entry with neither Units nor Cost"),
    "unit-service-without-cost-1200": ("LTSS-1300-5", "1200", "a unit-based service without Cost"),
    "cost-service-with-units-1200": ("LTSS-1300-6", "1200", "a cost-based service with Units"),
    "duplicate-transaction-1300": ("LTSS-1400-1", "1300", "a reused TransactionId"),
    "blank-client-1600": ("LTSS-1500-1", "1600", "a blank ClientId"),
    "blank-provider-1500": ("LTSS-1600-1", "1500", "a blank Provider MA#"),
    "unknown-provider-1500": ("LTSS-1600-2", "1500", "a Provider MA# of no location"),
    "blank-service-1600": ("LTSS-1700-1", "1600", "a blank Service Identifier"),
    "unknown-service-1600": ("LTSS-1700-2", "1600", "an invalid Service Identifier"),
    "units-cap-1800": ("LTSS-1900-1", "1800", "Units over the service group's cap"),
}

FAULTS = (
    Fault("skip-365-day-window", "LTSS-1200-4", "accepts service dates more than 365 days ago or in the future"),
    Fault("skip-pilot-date", "LTSS-1200-5", "accepts service dates before the client's pilot date"),
    Fault("rules-out-of-order", "LTSS-UP-7", "checks the service identifier (1700) before the service date (1200)"),
    Fault("drop-tid-header", "LTSS-UP-4", "answers without the TID header"),
    Fault("accept-duplicate-transaction", "LTSS-IDEM-1", "creates a second entry for a reused TransactionId"),
    Fault("accept-fractional-units", "LTSS-1300-7", "accepts Units with decimals"),
    Fault("accept-3-decimal-cost", "LTSS-1300-8", "accepts Cost with three decimal places"),
    Fault("accept-expired-token", "LTSS-UP-2", "accepts a token after it expired"),
    Fault("accept-units-and-cost", "LTSS-1300-4", "returns 200 when both Units and Cost are non-zero"),
    Fault("wrong-code-unknown-client", "LTSS-1500-2", "answers 1600 instead of 1500 for an unknown client"),
    Fault("error-body-without-code", "LTSS-UP-6", "400 body carries the message but no error code"),
    Fault("accept-wrong-app-secret", "LTSS-AUTH-3", "issues a token for a wrong appSecret"),
    Fault("no-500-on-wrong-content-type", "LTSS-UP-5", "processes an upload that is not application/json"),
    Fault("accept-missing-token", "LTSS-UP-1", "accepts an upload with no Authorization header"),
    Fault("ignore-caps", "LTSS-1800-1", "does not enforce the max rate and max units of a service"),
    Fault("reject-reused-failed-id", "LTSS-IDEM-2", "refuses a TransactionId whose earlier request failed validation"),
    Fault("no-staff-profile-accepted", "LTSS-1000-1", "accepts uploads from an SSO user without a staff profile"),
    Fault("accept-wrong-password", "LTSS-AUTH-5", "issues a token for a wrong SSO password"),
    Fault("token-type-not-bearer", "LTSS-AUTH-2", 'answers token_type "bearer-jwt" instead of "Bearer"'),
    Fault("invalid-scope-issued", "LTSS-AUTH-4", "issues a token to a client whose scopes do not allow it"),
    Fault(
        "token-dies-early",
        "LTSS-AUTH-6",
        "a token stops working a quarter of the way through the expires_in it announces",
    ),
    *(
        Fault(name, rule, f"answers {what} with {code} instead of {rule.split('-')[1]}")
        for name, (rule, code, what) in WRONG_CODES.items()
    ),
    # answers changed for some requests only (payercert/rewrite.py)
    Fault(
        "multipart-token-request-refused",
        "LTSS-AUTH-1",
        "a token request sent as a multipart form (the document's curl -F) is refused with 400",
        Rewrite(TOKEN, method="POST", where=_multipart, to_status=400, text=lambda _: b'{"error":"invalid_request"}'),
    ),
    Fault(
        "json-token-request-400",
        "LTSS-AUTH-7",
        "a token request that is not a form is answered 400, not 500",
        Rewrite(TOKEN, method="POST", status="500", to_status=400),
    ),
    Fault(
        "accepted-entry-201",
        "LTSS-UP-3",
        "an accepted billing entry is answered 201, not 200",
        Rewrite(UPLOAD, method="POST", status="200", to_status=201),
    ),
    Fault(
        "plain-http-served",
        "LTSS-HTTP-1",
        "the API's port also answers plain HTTP, as over HTTPS",
        listener=Listener(plain_http=True),
    ),
)

# Faults that are only a change of the rules: drop a rule, recode it, or move it earlier.
RULE_CHANGES: dict[str, list[tuple[str, ...]]] = {
    "skip-365-day-window": [("drop", "LTSS-1200-4")],
    "skip-pilot-date": [("drop", "LTSS-1200-5")],
    "rules-out-of-order": [
        ("move_before", "LTSS-1700-1", "LTSS-1200-1"),
        ("move_before", "LTSS-1700-2", "LTSS-1200-1"),
    ],
    "accept-duplicate-transaction": [("drop", "LTSS-1400-1")],
    "accept-fractional-units": [("drop", "LTSS-1300-7")],
    "accept-3-decimal-cost": [("drop", "LTSS-1300-8")],
    # every service is unit- or cost-based, so 1300-5/6 would still refuse both: drop all three
    "accept-units-and-cost": [("drop", "LTSS-1300-4"), ("drop", "LTSS-1300-5"), ("drop", "LTSS-1300-6")],
    "wrong-code-unknown-client": [("recode", "LTSS-1500-2", "1600")],
    "ignore-caps": [("drop", "LTSS-1800-1"), ("drop", "LTSS-1900-1")],
    "no-staff-profile-accepted": [("drop", "LTSS-1000-1")],
    **{name: [("recode", rule, code)] for name, (rule, code, _) in WRONG_CODES.items()},
}
