"""The LTSS simulator answers every request as the payer would, generated oddities included: a
TransactionId that cannot be a header value is not echoed, one that is no string is refused with
400, and neither ever gets a 500 of the simulator's own making."""

from __future__ import annotations

import base64
import uuid

import pytest
from starlette.testclient import TestClient

from payercert.simulation import load_simulator


@pytest.fixture(scope="module")
def payer():
    simulator = load_simulator("ltss").create(None)
    client = TestClient(simulator.app, base_url="https://testserver")
    local = simulator.local_target("https://testserver")
    creds = local["credentials"]
    basic = base64.b64encode(f"{creds['app_id']}:{creds['app_secret']}".encode()).decode()
    token = client.post(
        simulator.token_path,
        data={"grant_type": "password", "username": creds["username"], "password": creds["password"]},
        headers={"Authorization": f"Basic {basic}"},
    ).json()["access_token"]
    return simulator, client, {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("tid", ["\u4295abc", "caf\u00e9", "tab\there", " padded "])
def test_transaction_id_that_is_no_header_value_is_not_echoed(payer, tid):
    simulator, client, auth = payer
    response = client.post(simulator.upload_path, json={"TransactionId": tid}, headers=auth)
    assert response.status_code == 400, response.text
    assert "tid" not in response.headers


def test_transaction_id_echoed_when_it_can_be(payer):
    simulator, client, auth = payer
    tid = str(uuid.uuid4())
    response = client.post(simulator.upload_path, json={"TransactionId": tid}, headers=auth)
    assert response.status_code == 400 and response.headers["tid"] == tid


@pytest.mark.parametrize("tid", [["a", "b"], {"id": "x"}])
def test_transaction_id_that_is_no_string_is_refused(payer, tid):
    simulator, client, auth = payer
    response = client.post(simulator.upload_path, json={"TransactionId": tid}, headers=auth)
    assert (response.status_code, response.json()) == (400, {"Message": "The request is invalid."})


def test_expiry_client_gets_short_tokens_and_the_others_long(payer):
    simulator, client, _auth = payer
    local = simulator.local_target("https://testserver")
    lifetimes = {}
    for name, account in (("default", local["credentials"]), ("short", local["accounts"]["short_token_client"])):
        basic = base64.b64encode(f"{account['app_id']}:{account['app_secret']}".encode()).decode()
        user = local["credentials"]
        answer = client.post(
            simulator.token_path,
            data={"grant_type": "password", "username": user["username"], "password": user["password"]},
            headers={"Authorization": f"Basic {basic}"},
        )
        lifetimes[name] = answer.json()["expires_in"]
    assert lifetimes == {"default": 3600, "short": 2}
