"""A verdict never hangs on the network or on timing: what the run could not tell is INCONCLUSIVE
(exit 3), never NOT CERTIFIED; a conforming payer behind an extra network hop certifies.

The payer here is the LTSS simulator configured as a sandbox target, reached through a TLS relay
(tests/tls_proxy.py) that plants one-shot trouble: a dropped connection, a wrong answer that the
replay does not see again.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from certify_runs import certify
from local_payer import ltss_payer, write_target
from tls_proxy import TlsProxy

from payercert.errors import EXIT_INCONCLUSIVE

pytestmark = pytest.mark.timeout(300)
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@contextlib.contextmanager
def sandbox_behind_relay(folder):
    """(relay, config, env): the conforming LTSS simulator as target `sandbox`, through the relay."""
    with ltss_payer() as (_simulator, ca, local), TlsProxy(local["urls"]["token"], ca.client_context()) as relay:
        relayed = {**local, "urls": {name: relay.url(url) for name, url in local["urls"].items()}}
        config, env = write_target(folder, relayed, relay.ca)
        yield relay, config, env


def _certify(folder, config, env, *args):
    return certify(folder / "reports", "--feed", "ltss", "--target", "sandbox", "--config", str(config), *args, env=env)


def test_conforming_payer_behind_a_relay_certifies(tmp_path):
    with sandbox_behind_relay(tmp_path) as (relay, config, env):
        result = _certify(tmp_path, config, env)
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.feed("ltss")["verdict"] == "CERTIFIED"
    assert relay.connections > 0  # the run really went through the relay
    seed = result.certificate["seed"]
    assert isinstance(seed, int)  # a non-local run draws a new seed and records it


def test_a_failure_that_does_not_reproduce_is_inconclusive(tmp_path):
    with sandbox_behind_relay(tmp_path) as (relay, config, env):
        relay.answer_once(b"grant_type=password", UNAVAILABLE)  # one token request gets a 503, once
        result = _certify(tmp_path, config, env, "--requirement", "LTSS-AUTH-1", "--seed", "7")
    assert result.code == EXIT_INCONCLUSIVE, result.stdout[-3000:] + result.stderr[-2000:]
    feed = result.feed("ltss")
    assert feed["verdict"] == "INCONCLUSIVE"
    assert result.certificate["seed"] == 7
    row = next(r for r in feed["requirements"] if r["id"] == "LTSS-AUTH-1")
    assert row["status"] == "inconclusive"
    assert row["message"].startswith("not reproduced on replay: LTSS-AUTH-1"), row["message"]
    assert not result.failed_requirements("ltss")


def test_a_dropped_connection_is_inconclusive(tmp_path):
    with sandbox_behind_relay(tmp_path) as (relay, config, env):
        relay.drop_once(b"grant_type=password")
        result = _certify(tmp_path, config, env, "--requirement", "LTSS-AUTH-1")
    assert result.code == EXIT_INCONCLUSIVE, result.stdout[-3000:] + result.stderr[-2000:]
    row = next(r for r in result.feed("ltss")["requirements"] if r["id"] == "LTSS-AUTH-1")
    assert row["status"] == "inconclusive"
    assert row["message"].startswith("transport: POST "), row["message"]
    assert "INCONCLUSIVE" in result.stdout and "run it again" in result.stdout


def test_a_failure_that_reproduces_is_a_failure(tmp_path):
    """The replay is no amnesty: a wrong answer given twice fails the requirement."""
    with sandbox_behind_relay(tmp_path) as (relay, config, env):
        relay.answer_once(b"grant_type=password", UNAVAILABLE)
        relay.answer_once(b"grant_type=password", UNAVAILABLE)
        result = _certify(tmp_path, config, env, "--requirement", "LTSS-AUTH-1")
    assert result.code == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "LTSS-AUTH-1" in result.failed_requirements("ltss")


def _drawn_bodies(reports):
    """The request bodies a run sent, without the fresh TransactionIds a suite makes itself."""
    texts = [p.read_text() for p in (reports / "allure-results").glob("*-attachment.txt")]
    bodies = [t.split("\n\n", 1)[1].split("\n\n---", 1)[0] for t in texts if t.startswith("POST ") and "\n\n" in t]
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return sorted(uuid.sub("<fresh>", body) for body in bodies)


def test_the_same_seed_draws_the_same_requests(tmp_path):
    """--seed replays a run's draws exactly, in another process (schemathesis' generated uploads)."""
    runs = [certify(tmp_path / f"r{i}", "--feed", "ltss", "--requirement", "LTSS-UP-6", "--seed", "5") for i in (1, 2)]
    other = certify(tmp_path / "r3", "--feed", "ltss", "--requirement", "LTSS-UP-6", "--seed", "6")
    for result in (*runs, other):
        assert result.certificate["seed"] in (5, 6)
    first, second, third = (_drawn_bodies(r.reports) for r in (*runs, other))
    assert len(first) > 5
    assert first == second
    assert first != third  # a different seed draws differently (so the comparison above can fail)
