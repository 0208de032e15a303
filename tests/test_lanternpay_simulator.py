"""The LanternPay simulator on its own: root, auth, invoice validation, adjudication and webhooks."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from payercert.feeds import load_feed
from payercert.server import BackgroundServer
from payercert.simulation import load_simulator
from payercert.tls import LocalCA
from payercert.validators.schemas import compiled_schema

SCHEMAS = load_feed("lanternpay").root / "schemas"
SAMPLE = json.loads((SCHEMAS.parent / "samples/valid/doc-invoice-request-medibank.corrected.json").read_text())


def _sim(fault=None, **options):
    sim = load_simulator("lanternpay").create(fault, step_delay=0.02, retry_scale=0.01, **options)
    local = sim.local_target("http://testserver")
    return sim, TestClient(sim.app), local


def _basic(local) -> dict:
    c = local["credentials"]
    return {"Authorization": "Basic " + base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()}


def _invoice(item: str, n: int = 1) -> dict:
    claim = SAMPLE["claims"][0]
    return {**SAMPLE, "claims": [{**claim, "billerClaimId": f"C{i}", "itemCode": item} for i in range(n)]}


def test_root_is_valid_hal():
    _, client, _ = _sim()
    response = client.get("/")
    assert response.status_code == 200
    assert list(compiled_schema(SCHEMAS / "root.json").errors(response.json())) == []


def test_token_and_bearer_and_basic():
    _, client, local = _sim()
    token = client.post("/oauth/connect/token", data={"grant_type": "client_credentials"}, headers=_basic(local))
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
    url = f"/billers/{local['credentials']['biller_id']}/invoice"
    bearer = {"Authorization": "Bearer " + token.json()["access_token"]}
    for headers in (bearer, _basic(local)):
        response = client.post(url, json=_invoice("LP-HOLD-01"), headers=headers)
        assert response.status_code == 202, response.text
        assert list(compiled_schema(SCHEMAS / "invoice-response.json").errors(response.json())) == []
    assert client.post(url, json=_invoice("LP-HOLD-01")).status_code == 401
    code = client.post(
        "/oauth/connect/token", data={"grant_type": "authorization_code", "code": "x"}, headers=_basic(local)
    )
    assert code.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("fault", [None, "invalid-params-off-by-one"])
def test_invalid_invoice_names_the_broken_field(fault):
    _, client, local = _sim(fault)
    invoice = _invoice("LP-HOLD-01", 3)
    del invoice["claims"][1]["itemCode"]
    invoice["claims"][2]["taxCode"] = "gst"
    response = client.post(f"/billers/{local['credentials']['biller_id']}/invoice", json=invoice, headers=_basic(local))
    assert response.status_code == 400
    body = response.json()
    assert list(compiled_schema(SCHEMAS / "error-payload.json").errors(body)) == []
    names = {p["name"] for p in body["invalidParams"]}
    expected = {"claims[1].itemCode", "claims[2].taxCode"}
    assert (names == expected) == (fault is None), names


class Receiver:
    def __init__(self, status=202):
        self.status = status
        self.calls: list[tuple[float, dict, dict]] = []
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks/{event}", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = json.loads(await request.body())
        with self.lock:
            self.calls.append((time.monotonic(), dict(request.headers), body))
        return Response(status_code=self.status(body) if callable(self.status) else self.status)


@pytest.fixture
def receiver():
    ca = LocalCA()
    rec = Receiver()
    server = BackgroundServer(rec.app, ca).start()
    rec.base, rec.ca = server.base_url, ca._ca.cert_pem.bytes().decode()
    yield rec
    server.stop()
    ca.cleanup()


def _subscribe(client, local, rec, auth=None):
    events = [
        "onInvoiceStatusUpdated",
        "onPredeterminationStatusUpdated",
        "onMemberEligibilityStatus",
        "onContractStatusUpdated",
    ]
    response = client.put(
        "/_payercert/subscription",
        headers=_basic(local),
        json={
            "urls": {e: f"{rec.base}/hooks/{e}" for e in events},
            "ca_pem": rec.ca,
            "auth": auth or {"mode": "header", "name": "X-API-Key", "value": "k-123"},
        },
    )
    assert response.status_code == 204


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_adjudication_webhooks_follow_the_state_machine(receiver):
    _, client, local = _sim()
    _subscribe(client, local, receiver)
    response = client.post(
        f"/billers/{local['credentials']['biller_id']}/invoice", json=_invoice("LP-PROV-01"), headers=_basic(local)
    )
    assert _wait(lambda: len(receiver.calls) == 3)
    states = [c[2]["data"]["claimStatuses"][0]["state"] for c in receiver.calls]
    assert states == ["provisionallyApproved", "approved", "paid"]
    assert all(c[1]["x-api-key"] == "k-123" for c in receiver.calls)
    schema = compiled_schema(SCHEMAS / "webhook.json")
    assert all(list(schema.errors(c[2])) == [] for c in receiver.calls)
    assert response.json()["invoiceId"] == receiver.calls[0][2]["data"]["invoiceId"]


def test_cancellation_of_a_held_claim(receiver):
    _, client, local = _sim()
    _subscribe(client, local, receiver)
    invoice = client.post(
        f"/billers/{local['credentials']['biller_id']}/invoice", json=_invoice("LP-MANUAL-01"), headers=_basic(local)
    ).json()
    assert _wait(lambda: len(receiver.calls) == 1)
    cancel = client.post(
        f"/invoices/{invoice['invoiceId']}/cancel", json={"invoiceId": invoice["invoiceId"]}, headers=_basic(local)
    )
    assert cancel.status_code == 202
    assert _wait(lambda: len(receiver.calls) == 3)
    assert [c[2]["data"]["claimStatuses"][0]["state"] for c in receiver.calls] == [
        "pending",
        "cancelPending",
        "cancelled",
    ]
    again = client.post(
        f"/invoices/{invoice['invoiceId']}/cancel", json={"invoiceId": invoice["invoiceId"]}, headers=_basic(local)
    )
    assert again.status_code == 409


def test_retry_policy_24_deliveries_same_id(receiver):
    receiver.status = 500
    _, client, local = _sim()
    _subscribe(client, local, receiver)
    client.post(
        f"/billers/{local['credentials']['biller_id']}/invoice", json=_invoice("LP-HOLD-01"), headers=_basic(local)
    )
    assert _wait(lambda: len(receiver.calls) >= 24, timeout=10)
    time.sleep(0.3)
    assert len(receiver.calls) == 24
    assert len({c[2]["id"] for c in receiver.calls}) == 1


def test_readings_change_the_simulator_and_the_schemas(receiver):
    """LP-R-INVOICE-STATUS-ARRAY=claims: the simulator sends claims, which only that reading's schema accepts."""
    sim, client, local = _sim(readings={"LP-R-INVOICE-STATUS-ARRAY": "claims", "LP-R-RETRY-COUNT": "20"})
    assert (sim.outbox.first_round, sim.outbox.per_round) == (5, 5)
    _subscribe(client, local, receiver)
    client.post(
        f"/billers/{local['credentials']['biller_id']}/invoice", json=_invoice("LP-HOLD-01"), headers=_basic(local)
    )
    assert _wait(lambda: len(receiver.calls) == 1)
    body = receiver.calls[0][2]
    assert "claims" in body["data"] and "claimStatuses" not in body["data"]
    reading = (("LP-R-INVOICE-STATUS-ARRAY", "claims"),)
    assert list(compiled_schema(SCHEMAS / "webhook.json", readings=reading).errors(body)) == []
    assert any(e.requirement == "LP-WH-6" for e in compiled_schema(SCHEMAS / "webhook.json").errors(body))
