"""The user's receiver of TPA Stream's claim webhooks, with the harness in TPA Stream's place
(docs/sources/payers.md 2.9): it takes a signed claim with 2xx, is idempotent by claim id (a retry
or a replay gets 2xx or 406, never an error TPA Stream would retry for hours), and refuses what is
unsigned, signed otherwise or expired before acting on the body.

Every claim sent is the bundle's valid webhook claim (samples/valid/claim-webhook.json) with an id
of its own, so a refusal is the receiver's refusal of a webhook TPA Stream may really send."""

from __future__ import annotations

import pytest

requirement = pytest.mark.requirement
pytestmark = pytest.mark.mutating  # synthetic claims at the user's receiver


@requirement("TPA-HOOK-7")
def test_signed_claim_is_taken(sender):
    """A claim webhook signed with the trusted key is answered 2xx"""
    response = sender.post(sender.claim(sender.new_id()))
    assert 200 <= response.status_code < 300, (
        f"TPA-HOOK-7: a valid, signed claim webhook was answered {response.status_code}, expected 2xx"
    )


@requirement("TPA-HOOK-7")
def test_claim_without_a_type_is_taken(sender):
    """A claim whose type is null (the carrier gave none, TPA-DATA-10) is taken like any other"""
    response = sender.post(sender.claim(sender.new_id(), type=None))
    assert 200 <= response.status_code < 300, (
        f"TPA-HOOK-7: a signed claim webhook with type null was answered {response.status_code}, expected 2xx"
    )


@requirement("TPA-HOOK-7")
def test_redelivery_is_idempotent(sender):
    """The same claim delivered again (a retry or a replay) is answered 2xx or 406, never an error"""
    body = sender.claim(sender.new_id())
    first = sender.post(body)
    assert 200 <= first.status_code < 300, f"TPA-HOOK-7: the first delivery was answered {first.status_code}"
    again = sender.post(body)
    assert 200 <= again.status_code < 300 or again.status_code == 406, (
        f"TPA-HOOK-7: the same claim delivered again was answered {again.status_code}; TPA Stream retries "
        "anything but 2xx and 406 for up to 4 hours"
    )


@requirement("TPA-HOOK-3")
@pytest.mark.parametrize("how", ["missing", "alg-none", "hs256-public-key", "other-key", "expired", "no-exp"])
def test_bad_signature_is_refused(sender, how):
    """A webhook without a signature, signed by another key or algorithm, expired or without exp is refused with a 4xx"""
    response = sender.post(sender.claim(sender.new_id()), signature=how)
    assert 400 <= response.status_code < 500, (
        f"TPA-HOOK-3: a claim webhook with a {how} signature was answered {response.status_code}, expected a refusal (4xx)"
    )
