"""Claim webhooks (beyond the document: docs/sources/payers.md 2.9): a replayed claim is POSTed as
{"data": <claim>}, signed in TPAStream-Signature, and delivered by TPA Stream's rules (2xx and 406
end a delivery; anything else is retried with backoff).

TPA Stream has no API to set the webhook URL or to replay a claim (both are pages of its web app):
a target that offers them names `urls.webhook_settings` (PUT {"url", "ca_pem"}) and
`urls.webhook_replay` (POST, with {claim_id}), as the local simulator does; elsewhere these tests
skip and say so. The harness receives on its own HTTPS endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from payercert.feeds import load_feed
from payercert.suites.tpastream.client import schema
from payercert.suites.tpastream.receiver import ClaimReceiver
from payercert.validators.signature import check_signature

requirement = pytest.mark.requirement
pytestmark = pytest.mark.mutating  # setting the webhook URL and replaying a claim change the account


@pytest.fixture(scope="module")
def receiver() -> Iterator[ClaimReceiver]:
    hook = ClaimReceiver()
    yield hook
    hook.stop()


@pytest.fixture
def hooks(tpa, target, receiver) -> ClaimReceiver:
    """The receiver, set as the account's webhook URL."""
    urls = target.target.urls
    if "webhook_settings" not in urls or "webhook_replay" not in urls:
        pytest.skip(
            "TPA Stream sets the webhook URL and replays a claim in its web app only: name urls.webhook_settings "
            "and urls.webhook_replay where the target offers them (the local simulator does)"
        )
    body = {"url": receiver.url, "ca_pem": receiver.ca_pem()}
    response = target.request("PUT", urls["webhook_settings"], json=body, headers={"Authorization": tpa.auth()})
    assert response.status_code < 300, f"setting the webhook URL answered {response.status_code}"
    return receiver


def replay(tpa, target, hooks: ClaimReceiver, answer=lambda n: 200) -> int:
    """Replay the first claim's webhook, the receiver answering `answer(delivery number)`; its id."""
    claim_id = tpa.all_items("/claims", 1)[0]["id"]
    hooks.expect(answer)
    url = target.url("webhook_replay").replace("{claim_id}", str(claim_id))
    response = target.request("POST", url, headers={"Authorization": tpa.auth()})
    assert response.status_code < 300, f"replaying claim {claim_id}'s webhook answered {response.status_code}"
    return claim_id


def timing(target) -> tuple[float, float]:
    """(first retry, retry window) in seconds, as the target's options give them."""
    options = target.target.options
    first, window = float(options.get("webhook_first_retry_s", 60)), float(options.get("webhook_retry_window_s", 14400))
    if window > float(options.get("max_webhook_wait", 120)):
        pytest.skip(f"webhook retries go on for {window:g} s, beyond options.max_webhook_wait: not waited out")
    return first, window


@requirement("TPA-HOOK-1", "TPA-HOOK-8", "TPA-HOOK-9")
def test_replayed_claim_is_posted_as_json(tpa, target, hooks):
    """Replay webhook POSTs application/json {"data": <the replayed claim>}, a claim with claim_medical_id and policy_holder_id"""
    claim_id = replay(tpa, target, hooks)
    seen = hooks.wait_for(1, timeout=15)
    assert seen, "TPA-HOOK-8: no webhook came within 15 s of Replay webhook"
    first = seen[0]
    kind = first.headers.get("content-type", "").split(";")[0].strip()
    assert kind == "application/json", f"TPA-HOOK-1: a claim webhook came as Content-Type {kind!r}"
    assert isinstance(first.body, dict), f"TPA-HOOK-1: the webhook body is not a JSON object: {first.raw[:120]!r}"
    errors = list(schema("claim-webhook.json").errors(first.body))
    assert not errors, f"{errors[0].requirement or 'TPA-HOOK-1'}: the webhook {errors[0].message}"
    assert first.claim_id == claim_id, f"TPA-HOOK-8: replaying claim {claim_id} posted claim {first.claim_id}"


@requirement("TPA-HOOK-2")
def test_webhook_is_signed(tpa, target, hooks):
    """Every webhook carries TPAStream-Signature, a JWT signed RS256 with the published key, with an exp"""
    replay(tpa, target, hooks)
    seen = hooks.wait_for(1, timeout=15)
    assert seen, "TPA-HOOK-8: no webhook came within 15 s of Replay webhook"
    token = seen[0].headers.get("tpastream-signature")
    assert token, "TPA-HOOK-2: the webhook carries no TPAStream-Signature header"
    published = target.request("GET", target.url("webhook_keys"))
    assert published.status_code == 200, f"TPA-HOOK-2: the signing key URL answered {published.status_code}"
    try:
        key = serialization.load_ssh_public_key(published.content.strip().splitlines()[0])
    except (ValueError, IndexError) as exc:
        pytest.fail(f"TPA-HOOK-2: the signing key URL serves no OpenSSH public key ({exc})")
    spec = load_feed("tpastream").kinds["claim-webhook"].spec["signature"]
    findings = check_signature(spec, token, key)
    assert not findings, f"TPA-HOOK-2: {findings[0].message}"


@pytest.mark.parametrize(
    "status",
    [
        pytest.param(200, marks=requirement("TPA-HOOK-4"), id="2xx"),
        pytest.param(406, marks=requirement("TPA-HOOK-5"), id="406"),
    ],
)
def test_2xx_and_406_end_the_delivery(tpa, target, hooks, status):
    """A webhook answered 200, or 406 (consciously rejected), is not delivered again"""
    first, _window = timing(target)
    replay(tpa, target, hooks, answer=lambda n: status)
    assert hooks.wait_for(1, timeout=15), "TPA-HOOK-8: no webhook came within 15 s of Replay webhook"
    again = hooks.wait_for(2, timeout=first * 3 + 1)
    rule = "TPA-HOOK-4" if status == 200 else "TPA-HOOK-5"
    assert len(again) == 1, f"{rule}: a webhook answered {status} was delivered {len(again)} times"


@requirement("TPA-HOOK-6")
def test_other_answers_are_retried(tpa, target, hooks):
    """A webhook answered 500 is delivered again, the same claim each time, until it is answered 2xx"""
    _first, window = timing(target)
    claim_id = replay(tpa, target, hooks, answer=lambda n: 500 if n < 3 else 200)
    seen = hooks.wait_for(3, timeout=window + 5)
    assert len(seen) >= 3, (
        f"TPA-HOOK-6: a webhook answered 500 was delivered {len(seen)} time(s) in {window + 5:g} s, "
        "expected retries until a 2xx"
    )
    assert {d.claim_id for d in seen} == {claim_id}, "TPA-HOOK-6: a retry carried another claim"
