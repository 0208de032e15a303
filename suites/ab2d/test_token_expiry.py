"""Tokens run out (seed "Retrieve a token": "it does expire"; docs/sources/ab2d.md 1.1): an expired token is
refused with 403, and a client renews its token during a job without losing the job. The wait is
the token's own lifetime, so these tests use the target's `short_token_client` where it names one:
skipped where expires_in is beyond options.max_token_wait (default 120 s)."""

import time

import jwt
import pytest

from payercert.suites.ab2d.client import STATUS_URL, auth_refusal

requirement = pytest.mark.requirement


def expired_token_job(ab2d):
    """A job kicked off with a token that has run out since: (token, status URL), kept for the run."""

    def expire():
        fresh = ab2d.fresh_token()
        token, until, lifetime = fresh.value, fresh.expires, fresh.lifetime
        bound = float(ab2d.target.target.options.get("max_token_wait", 120))
        if lifetime > bound:
            pytest.skip(f"tokens live {lifetime}s, beyond options.max_token_wait ({bound:g}s)")
        kickoff = ab2d.kickoff_when_free("v1", token=token)
        location = kickoff.headers.get("content-location", "")
        if not STATUS_URL.match(location):
            pytest.fail(f"AB2D-KICKOFF-1: kick-off got {kickoff.status_code} with Content-Location {location!r}")
        # expires_in counts from the answer; the JWT's exp (whole seconds) may round up past it
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
        until = max(until, exp if isinstance(exp, (int, float)) else until)
        time.sleep(max(0.0, until - time.time()) + 0.3)
        return token, location

    return ab2d.target.shared(("ab2d-expired", ab2d.client_id), expire)


@pytest.mark.mutating
@requirement("AB2D-AUTH-6", "AB2D-ERR-4")
@pytest.mark.parametrize("call", ["status", "kickoff"])
def test_expired_token_is_403(expiring, target, call):
    """An expired bearer token is refused with 403"""
    token, location = expired_token_job(expiring)
    if call == "status":
        response = expiring.call("GET", location, token=token)
    else:
        response = expiring.kickoff("v1", token=token)
        if STATUS_URL.match(response.headers.get("content-location", "")):
            expiring.call("DELETE", response.headers["content-location"])
    auth_refusal(response, 403, "AB2D-AUTH-6", target)


@pytest.mark.mutating
@requirement("AB2D-AUTH-4", "AB2D-STATUS-4")
def test_job_survives_token_renewal(expiring):
    """After the token the job was started with runs out, a renewed token polls it to completion"""
    _token, location = expired_token_job(expiring)
    final, _polls = expiring.poll(location)
    assert final.status_code == 200, (
        f"AB2D-STATUS-4: with a renewed token the job answered {final.status_code} {final.text[:200]}"
    )
