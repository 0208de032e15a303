"""Idempotent Design and code 1400: a TransactionId creates at most one billing entry."""

import random

import pytest

from payercert.suites.ltss.client import fresh_id

requirement = pytest.mark.requirement


@pytest.mark.mutating
@requirement("LTSS-IDEM-1", "LTSS-1400-1")
def test_reused_transaction_id_creates_nothing(ltss, oracle, target):
    """Resending the TransactionId of a created entry never creates a second one"""
    entry = fresh_id(oracle.valid(random.Random(11)))
    first = ltss.upload(entry)
    assert first.status_code == 200, f"valid entry refused: {first.status_code} {first.text[:200]}"
    again = ltss.upload(entry)
    if target.reading("LTSS-R-REUSE") == "replay":
        assert again.status_code == 200, f"LTSS-IDEM-1 (replay reading): retry got {again.status_code}"
    else:
        assert again.status_code == 400 and ltss.error_code(again) == "1400", (
            f"LTSS-IDEM-1: reused TransactionId got {again.status_code} {again.text[:200]}, expected 400 1400"
        )
    changed = {**entry, "ProviderMa": entry["ProviderMa"]}
    changed["Units" if "Units" in entry else "Cost"] = 1
    third = ltss.upload(changed)
    assert third.status_code == 400 and ltss.error_code(third) == "1400", (
        f"LTSS-1400-1: a different entry under a used TransactionId got {third.status_code}, expected 400 1400"
    )


@pytest.mark.mutating
@requirement("LTSS-IDEM-2")
def test_transaction_id_of_failed_request_can_be_reused(ltss, oracle):
    """A TransactionId whose request failed validation is accepted once the entry is fixed"""
    rnd = random.Random(12)
    good = fresh_id(oracle.valid(rnd))
    bad = oracle.broken(good, "LTSS-1200-4", rnd)
    failed = ltss.upload(bad)
    assert failed.status_code == 400, f"an entry dated outside the window got {failed.status_code}"
    fixed = ltss.upload(good)
    assert fixed.status_code == 200, (
        f"LTSS-IDEM-2: reusing the TransactionId of a failed request got {fixed.status_code} {fixed.text[:200]}"
    )
