"""Authentication: Basic client id/secret, OAuth client_credentials, refusals."""

import base64
import json

import pytest

from payercert.feeds import load_feed
from payercert.openapi import filled, secured_operations
from payercert.suites.lanternpay.client import json_body
from payercert.suites.lanternpay.invoices import invoice

requirement = pytest.mark.requirement


@pytest.mark.smoke
@requirement("LP-AUTH-2")
def test_client_credentials_token_issued(lp):
    """The lp:oauth-token endpoint issues a Bearer token for client_credentials"""
    response = lp.token_response()
    assert response.status_code == 200, f"LP-AUTH-2: token endpoint answered {response.status_code}"
    body = json_body(response)
    assert isinstance(body.get("access_token"), str) and body["access_token"], "LP-AUTH-2: no access_token"
    assert str(body.get("token_type", "")).lower() == "bearer", f"LP-AUTH-2: token_type {body.get('token_type')!r}"
    token = body["access_token"]
    if token.count(".") == 2:  # a JWT: it must expire
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=" * (-len(token.split(".")[1]) % 4)))
        assert "exp" in claims, "LP-AUTH-2: the JWT access token has no exp"


@pytest.mark.mutating
@pytest.mark.parametrize("mode", ["bearer", "basic"])
@requirement("LP-AUTH-1", "LP-AUTH-2")
def test_invoice_accepted_with_either_auth(lp, target, mode):
    """An invoice is accepted with a Bearer token and with Basic client id/secret"""
    items = target.require_data("items")["items"]
    response = lp.submit_invoice(invoice([items["hold"]]), mode=mode)
    which = "LP-AUTH-2" if mode == "bearer" else "LP-AUTH-1"
    assert response.status_code in (200, 202), f"{which}: invoice with {mode} auth answered {response.status_code}"


@pytest.mark.readonly
@requirement("LP-AUTH-3")
def test_authorization_code_grant_supported(lp, target):
    """The identity provider supports authorization_code (discovery lists it; a bad code is invalid_grant)"""
    issuer = lp.links()["lp:oauth-issuer"]["href"].rstrip("/")
    discovery = target.request("GET", issuer + "/.well-known/openid-configuration")
    if discovery.status_code == 200:
        grants = json_body(discovery).get("grant_types_supported") or []
        assert "authorization_code" in grants, f"LP-AUTH-3: grant_types_supported is {grants}"
    response = lp.token_response("authorization_code", code="payercert-not-a-code", redirect_uri="https://127.0.0.1/cb")
    assert response.status_code == 400, f"LP-AUTH-3: a bad authorization code answered {response.status_code}"
    error = json_body(response).get("error")
    assert error in ("invalid_grant", "invalid_request"), (
        f"LP-AUTH-3: authorization_code looks unsupported (error {error!r})"
    )


@pytest.mark.parametrize("how", ["none", "wrong-secret", "bad-bearer"])
@requirement("LP-AUTH-4")
def test_operations_need_credentials(lp, target, how):
    """An invoice without credentials, with a wrong secret or a forged token is refused with a 4xx"""
    items = target.require_data("items")["items"]
    authorization = {
        "none": "",
        "wrong-secret": lp.basic(None, "payercert-wrong-secret"),
        "bad-bearer": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    }[how]
    response = lp.submit_invoice(invoice([items["hold"]]), authorization=authorization)
    assert 400 <= response.status_code < 500, f"LP-AUTH-4: request with {how} answered {response.status_code}"
    assert "invoiceId" not in response.text, "LP-AUTH-4: a refused request returned data"


@requirement("LP-AUTH-5")
def test_credentials_do_not_act_for_another_biller(lp, target):
    """Another biller's credentials cannot submit for this biller"""
    other = target.require_account("other_biller")
    items = target.require_data("items")["items"]
    response = lp.submit_invoice(
        invoice([items["hold"]]), authorization=lp.basic(other["client_id"], other["client_secret"])
    )
    assert 400 <= response.status_code < 500, f"LP-AUTH-5: another biller's credentials answered {response.status_code}"


OPERATIONS = secured_operations(load_feed("lanternpay").root / "openapi.yaml")


@pytest.mark.parametrize("how", ["none", "wrong-secret", "bad-bearer"])
@pytest.mark.parametrize(
    "operation",
    # a refused request writes nothing, but one wrongly accepted would: only a GET is read-only
    [pytest.param((m, p), id=f"{m} {p}", marks=[pytest.mark.readonly] if m == "GET" else []) for m, p in OPERATIONS],
)
@requirement(
    "LP-AUTH-4", "LP-ERR-1", "LP-ERR-2", "LP-ERR-3"
)  # every refusal's body is the error payload (exchange_checks)
def test_every_operation_refuses_missing_or_wrong_credentials(lp, target, operation, how):
    """Every operation the API documents as secured refuses a request without credentials, with a wrong
    secret or a forged token: a 4xx and no data (read endpoints too)"""
    method, template = operation
    authorization = {
        "none": None,
        "wrong-secret": lp.basic(None, "payercert-wrong-secret"),
        "bad-bearer": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    }[how]
    url = target.url("api").rstrip("/") + filled(template, {"billerId": target.credential("biller_id")})
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    response = target.request(method, url, headers=headers, content=b"{}" if method != "GET" else None)
    assert 400 <= response.status_code < 500, (
        f"LP-AUTH-4: {method} {template} with {how} answered {response.status_code}"
    )
