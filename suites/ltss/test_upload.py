"""Upload Billing Entry: success, the TID header, content type, and the 400 body."""

import random
import uuid

import pytest

from payercert.suites.ltss.client import fresh_id
from payercert.suites.ltss.oracle import default_rules
from payercert.wording import header_shown

requirement = pytest.mark.requirement
CODES = set(default_rules().codes)


def _entry(oracle, basis: str, seed: int) -> dict:
    rnd = random.Random(seed)
    for _ in range(50):
        entry = oracle.valid(rnd)
        if (
            entry
            and next(s for s in oracle.data["service_identifiers"] if s["id"] == entry["ServiceIdentifier"])["basis"]
            == basis
        ):
            return fresh_id(entry)
    pytest.skip(f"target data has no {basis}-based service identifier")


@pytest.mark.mutating
@requirement("LTSS-UP-3")
@pytest.mark.parametrize("basis", ["unit", "cost"])
def test_valid_entry_is_accepted(ltss, oracle, basis):
    """A valid unit-based or cost-based entry gets 200"""
    entry = _entry(oracle, basis, seed=7)
    response = ltss.upload(entry)
    assert response.status_code == 200, (
        f"LTSS-UP-3: valid entry ({oracle.explain(entry)}) got {response.status_code}: {response.text[:200]}"
    )


@pytest.mark.mutating
@requirement("LTSS-UP-4")
def test_tid_echoed_on_200(ltss, oracle):
    """An accepted entry's TransactionId comes back in the TID header"""
    entry = _entry(oracle, "unit", seed=8)
    response = ltss.upload(entry)
    assert response.status_code == 200, f"valid entry refused: {response.status_code} {response.text[:200]}"
    assert response.headers.get("TID") == entry["TransactionId"], (
        f"LTSS-UP-4: TID header {header_shown(response, 'TID')}, expected {entry['TransactionId']!r}"
    )


SMOKE_ENTRY = {"ServiceIdentifier": "PAYERCERT-SMOKE", "Units": 1}  # no ServiceDate: refused, never stored


@pytest.mark.smoke
@requirement("LTSS-UP-4")
def test_tid_echoed_on_400(ltss):
    """A deliberately invalid entry gets 400 with its TransactionId in TID"""
    tid = str(uuid.uuid4())
    response = ltss.upload({"TransactionId": tid, **SMOKE_ENTRY})
    assert response.status_code == 400, f"an entry without ServiceDate got {response.status_code}, expected 400"
    assert response.headers.get("TID") == tid, (
        f"LTSS-UP-4: TID on 400 is {header_shown(response, 'TID')}, expected {tid!r}"
    )


@pytest.mark.smoke
@requirement("LTSS-UP-6")
def test_400_body_has_code_and_message(ltss, target):
    """A 400 body is JSON with one of the document's error codes and a descriptive message"""
    response = ltss.upload({"TransactionId": str(uuid.uuid4()), **SMOKE_ENTRY})
    assert response.status_code == 400, f"an entry without ServiceDate got {response.status_code}, expected 400"
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
    assert isinstance(body, dict), f"LTSS-UP-6: 400 body is not a JSON object: {response.text[:200]!r}"
    code = ltss.error_code(response)
    assert code in CODES, (
        f"LTSS-UP-6: no error code of the document in {body} (reading {target.reading('LTSS-R-ERROR-BODY')})"
    )
    text_key = "ErrorCode" if target.reading("LTSS-R-ERROR-BODY") == "as-printed" else "Message"
    assert isinstance(body.get(text_key), str) and body[text_key].strip(), (
        f"LTSS-UP-6: no descriptive message in {body}"
    )


@requirement("LTSS-UP-4")
def test_tid_echoed_on_401(ltss):
    """The TID header is there on a 401 too"""
    tid = str(uuid.uuid4())
    response = ltss.upload({"TransactionId": tid}, authorization="Bearer invalid")
    assert response.status_code == 401
    assert response.headers.get("TID") == tid, (
        f"LTSS-UP-4: TID on 401 is {header_shown(response, 'TID')}, expected {tid!r}"
    )


@requirement("LTSS-UP-5")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_upload_that_is_not_json_gets_500(ltss, content_type):
    """An upload with another content type gets HTTP 500, as the document says"""
    response = ltss.upload(None, content_type=content_type, raw=b"TransactionId=" + str(uuid.uuid4()).encode())
    assert response.status_code == 500, (
        f"LTSS-UP-5: Content-Type {content_type} got {response.status_code}, expected 500"
    )
