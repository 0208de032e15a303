"""A misbehaving target ends the exchange within its limits with a one-line TransportError."""

from __future__ import annotations

import datetime
import os
import ssl
import subprocess
import sys
import textwrap
import time

import pytest

from payercert.errors import TransportError
from payercert.tls import LocalCA
from payercert.transport import Limits, RateLimiter, Transport

from . import hostile_servers as hostile

pytestmark = pytest.mark.timeout(30)  # a regression here must fail, not hang the run

LIMITS = Limits(connect=2, read=2, deadline=4, max_body=1_000_000)
BOUND = LIMITS.deadline + LIMITS.read + 1.5  # the wall time no exchange may exceed


@pytest.fixture(scope="module")
def ca():
    ca = LocalCA()
    yield ca
    ca.cleanup()


@pytest.fixture()
def records():
    return []


@pytest.fixture()
def transport(ca, records):
    with Transport(
        verify=ca.client_context(), limits=LIMITS, recorder=lambda req, resp, err: records.append((req, resp, err))
    ) as t:
        yield t


def fail(transport: Transport, url: str, records: list) -> tuple[str, float]:
    """The request must fail with a one-line TransportError, within the bound, and be recorded."""
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        transport.request("GET", url)
    elapsed = time.monotonic() - started
    message = str(info.value)
    assert elapsed < BOUND, f"took {elapsed:.1f}s: {message}"
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(f"GET {url}: "), message
    chained = info.value.__cause__ or (None if info.value.__suppress_context__ else info.value.__context__)
    assert chained is None, f"the httpx traceback must not be chained: {chained!r}"
    assert len(records) == 1
    request, response, error = records[0]
    assert (str(request.url), response, error) == (url, None, message)
    return message[len(f"GET {url}: ") :], elapsed


def server_context_for(leaf) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(ctx)
    return ctx


# -- the control: a well-behaved TLS server passes, so the failures below are the target's ---


def test_trusted_server_answers(ca, transport, records):
    with hostile.answers_ok(ca.server_context()) as server:
        response = transport.request("GET", server.url)
    assert (response.status_code, response.content) == (200, b"ok")
    assert records == [(records[0][0], response, None)]


# -- one test per misbehaviour -------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_never_answers(ca, transport, records, tls):
    with hostile.never_answers(ca.server_context() if tls else None) as server:
        reason, elapsed = fail(transport, server.url, records)
    assert reason == "no response within the read timeout"
    assert elapsed >= LIMITS.read - 0.2


def test_silent_before_tls_handshake(transport, records):
    with hostile.silent_before_handshake() as server:
        reason, elapsed = fail(transport, server.url, records)
    assert reason == "no connection within the connect timeout"
    assert elapsed >= LIMITS.connect - 0.2


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_drips_body_one_byte_a_second(ca, transport, records, tls):
    with hostile.drips_body(ca.server_context() if tls else None) as server:
        reason, elapsed = fail(transport, server.url, records)
    assert reason == "response not complete within 4s"
    assert LIMITS.deadline - 0.2 <= elapsed < LIMITS.deadline + 0.5  # the deadline, not a chunk later


def test_drips_headers_one_byte_a_second(transport, records):
    with hostile.drips_headers() as server:
        reason, elapsed = fail(transport, server.url, records)
    assert reason == "response not complete within 4s"
    assert LIMITS.deadline - 0.2 <= elapsed < LIMITS.deadline + 0.5


def test_connection_reset(transport, records):
    with hostile.resets() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("connection broken ("), reason
    assert "reset" in reason.lower(), reason


@pytest.mark.parametrize(
    "server_factory",
    [hostile.huge_declared_body, hostile.huge_undeclared_body],
    ids=["content-length-2GB", "50MB-until-close"],
)
def test_huge_body(transport, records, server_factory):
    with server_factory() as server:
        reason, elapsed = fail(transport, server.url, records)
    assert reason.startswith("response body exceeds 1000000 bytes"), reason
    assert elapsed < 2


def test_untrusted_certificate(transport, records):
    stranger = LocalCA()  # a CA the client has never heard of
    try:
        with hostile.answers_ok(stranger.server_context()) as server:
            reason, _ = fail(transport, server.url, records)
    finally:
        stranger.cleanup()
    assert reason == "TLS certificate not trusted (unable to get local issuer certificate)"


def test_expired_certificate(ca, transport, records):
    leaf = ca.issue("127.0.0.1", not_after=datetime.datetime(2020, 1, 1))
    with hostile.answers_ok(server_context_for(leaf)) as server:
        reason, _ = fail(transport, server.url, records)
    assert reason == "TLS certificate has expired"


def test_certificate_for_another_host(ca, transport, records):
    leaf = ca.issue("payer.example")
    with hostile.answers_ok(server_context_for(leaf)) as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("TLS certificate not valid for this host ("), reason
    assert "127.0.0.1" in reason


def test_plain_http_behind_https(transport, records):
    with hostile.speaks_plain_to_tls() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("TLS handshake failed ("), reason


def test_closes_mid_headers(transport, records):
    with hostile.closes_mid_headers() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason == "connection closed before the response was complete"


def test_closes_mid_body(transport, records):
    with hostile.closes_mid_body() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("connection closed before the response was complete ("), reason
    assert "received 5 bytes, expected 10" in reason, reason


def test_garbage_instead_of_http(transport, records):
    with hostile.answers_garbage() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("not a valid HTTP response ("), reason
    assert len(reason) < 200


def test_body_that_does_not_decode(transport, records):
    with hostile.answers_bad_gzip() as server:
        reason, _ = fail(transport, server.url, records)
    assert reason.startswith("response body cannot be decoded (gzip"), reason


def test_unreachable_port(transport, records):
    with hostile.never_answers() as server:
        url = server.url
    reason, elapsed = fail(transport, url, records)  # the listener is closed now
    assert reason.startswith("cannot connect ("), reason
    assert elapsed < 1


# -- the rate limit --------------------------------------------------------------------------


def test_rate_limiter_spaces_calls():
    limiter = RateLimiter(rate=5)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    elapsed = time.monotonic() - started
    assert 0.95 <= elapsed < 1.6  # five intervals of 0.2s


def test_no_rate_limit_means_no_wait():
    limiter = RateLimiter(rate=None)
    started = time.monotonic()
    for _ in range(100):
        limiter.wait()
    assert time.monotonic() - started < 0.1


# -- in a pytest run: each failure is a one-liner and the run goes on ------------------------

SUITE = textwrap.dedent("""
    import os
    from payercert.transport import Limits, Transport

    LIMITS = Limits(connect=2, read=2, deadline=4, max_body=1_000_000)

    def test_silent_target():
        with Transport(limits=LIMITS) as transport:
            transport.request("GET", os.environ["SILENT_URL"])

    def test_resetting_target():
        with Transport(limits=LIMITS) as transport:
            transport.request("GET", os.environ["RESET_URL"])

    def test_after_them():
        assert True
""")


def test_pytest_run_goes_on_after_transport_failures(tmp_path):
    suite = tmp_path / "test_suite_hostile.py"
    suite.write_text(SUITE)
    with hostile.never_answers() as silent, hostile.resets() as reset:
        env = dict(os.environ, SILENT_URL=silent.url, RESET_URL=reset.url)
        started = time.monotonic()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(suite),
                "-p",
                "no:payercert",
                "-p",
                "no:cacheprovider",
                "-q",
                "--tb=line",
                "--timeout",
                "30",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "2 failed, 1 passed" in out, out
    assert elapsed < 20, out
    assert "Timeout" not in out, out  # pytest-timeout did not have to step in
    lines = [line for line in out.splitlines() if "payercert.errors.TransportError: GET " in line]
    assert len({line.split("TransportError: ", 1)[1] for line in lines}) == 2, out
    assert any(line.endswith(f"GET {silent.url}: no response within the read timeout") for line in lines), out
    assert any(f"GET {reset.url}: connection broken (" in line for line in lines), out
    assert "Traceback" not in out, out
