"""The webhook-handler suite against a handler the user runs: `--webhook-url`/`--webhook-auth` and
their payercert.toml equivalents, suite selection, the certificate's client scope, and the
reference handler's own behaviour. (Every fault profile is in the mutation matrix.)"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from certify_runs import certify

from payercert.config import Target
from payercert.errors import ConfigError, SecretMissing
from payercert.feeds import load_feed
from payercert.reporting.certificate import FeedRun, TestOutcome, build_certificate
from payercert.run_options import parse_auth_spec, with_options
from payercert.server import BackgroundServer
from payercert.simulators.lanternpay import create_handler
from payercert.tls import LocalCA

SUITES = Path(__file__).resolve().parents[1] / "suites" / "lanternpay"


@pytest.fixture
def served():
    """A reference handler as a user would run it: its own CA, credentials handed over by env vars."""
    started = []

    def start(auth: str, fault: str | None = None):
        handler = create_handler(fault, auth=auth, latency_s=0.5)
        ca = LocalCA()
        server = BackgroundServer(handler.app, ca).start()
        started.append((server, ca))
        return handler, ca, handler.local_target(server.base_url)

    yield start
    for server, ca in started:
        server.stop()
        ca.cleanup()


# --- --webhook-auth ---------------------------------------------------------------------------------


def test_webhook_auth_forms(monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "s3cret-value")
    header = parse_auth_spec("header:X-Hook-Key=env:HOOK_SECRET", "webhook_auth", where="--webhook-auth")
    assert header["webhook_auth"] == "header" and header["webhook_header_name"] == "X-Hook-Key"
    assert header["webhook_header_value"].reveal() == "s3cret-value" and "s3cret" not in repr(header)
    basic = parse_auth_spec("basic:biller=env:HOOK_SECRET", "webhook_auth", where="--webhook-auth")
    assert (basic["webhook_username"], basic["webhook_password"].reveal()) == ("biller", "s3cret-value")
    oauth = parse_auth_spec(
        "oauth:client-1=env:HOOK_SECRET@https://idp.example.com/oauth/token", "webhook_auth", where="--webhook-auth"
    )
    assert oauth["webhook_token_url"] == "https://idp.example.com/oauth/token"
    assert oauth["webhook_client_id"] == "client-1" and oauth["webhook_client_secret"].reveal() == "s3cret-value"


@pytest.mark.parametrize(
    "spec", ["token:X=env:A", "header:=env:A", "header:X", "oauth:c=env:A", "oauth:c=env:A@nowhere"]
)
def test_webhook_auth_malformed(spec, monkeypatch):
    monkeypatch.setenv("A", "value-a")
    with pytest.raises(ConfigError):
        parse_auth_spec(spec, "webhook_auth", where="--webhook-auth")


def test_webhook_auth_never_takes_the_value_itself():
    with pytest.raises(SecretMissing) as caught:
        parse_auth_spec("basic:biller=hunter2-literal", "webhook_auth", where="--webhook-auth")
    assert "hunter2" not in str(caught.value)


def test_webhook_url_wins_over_the_configured_urls(monkeypatch):
    monkeypatch.setenv("A", "value-a")
    hook = {"webhook-url": "https://pms.example.com/hooks"}
    ad_hoc = with_options("lanternpay", None, {**hook, "webhook-auth": "header:X-Key=env:A"}, "webhook-handler")
    assert ad_hoc.urls == {"webhook": "https://pms.example.com/hooks"} and not ad_hoc.production
    assert ad_hoc.name == "command-line" and ad_hoc.credentials["webhook_header_name"] == "X-Key"
    with pytest.raises(ConfigError, match="--webhook-url"):
        with_options("lanternpay", None, {"webhook-auth": "header:X-Key=env:A"}, "webhook-handler")
    with pytest.raises(ConfigError, match="not an http"):
        with_options("lanternpay", None, {"webhook-url": "ftp://pms.example.com"}, "webhook-handler")
    configured = Target(
        "mine", "lanternpay", "custom", False, {"onInvoiceStatusUpdated": "https://old.example.com/x"}, {}
    )
    assert with_options("lanternpay", configured, hook, "webhook-handler").urls == {"webhook": hook["webhook-url"]}
    assert with_options("lanternpay", configured, hook, "full").urls == configured.urls  # not this suite's option


# --- the command line, end to end ------------------------------------------------------------------


def test_certify_a_handler_by_webhook_url(tmp_path, served):
    """OAuth mode: the harness gets its Bearer token from the handler's IdP; the secret reaches no file."""
    _, ca, local = served("oauth")
    creds = local["credentials"]
    secret = creds["webhook_client_secret"]
    result = certify(
        tmp_path / "reports",
        "--feed",
        "lanternpay",
        "--suite",
        "webhook-handler",
        "--webhook-url",
        local["urls"]["webhook"],
        "--webhook-auth",
        f"oauth:{creds['webhook_client_id']}=env:HOOK_SECRET@{creds['webhook_token_url']}",
        env={"HOOK_SECRET": secret, "SSL_CERT_FILE": str(ca.ca_path)},
        cwd=tmp_path,
    )
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-2000:]
    feed = result.feed("lanternpay")
    assert feed["verdict"] == "CERTIFIED" and feed["suite"] == "webhook-handler" and feed["target"] == "command-line"
    rows = {r["id"]: r for r in feed["requirements"]}
    assert rows["LP-WHH-6"]["status"] == "passed" and rows["LP-HAL-1"]["status"] == "out of scope"
    assert feed["coverage"]["levels"]["MUST"] == {"total": 5, "covered": 5, "verified": 5}
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), f"the handler's secret leaked into {path}"


def test_certify_a_configured_handler_target(tmp_path, served):
    """payercert.toml: urls.webhook and credentials.webhook_auth; a handler that acts on wrong
    credentials is NOT CERTIFIED, naming LP-WHH-6."""
    _, ca, local = served("basic", fault="accepts-wrong-credentials")
    creds = local["credentials"]
    (tmp_path / "payercert.toml").write_text(
        '[targets.my-handler]\nfeed = "lanternpay"\n'
        f'ca_bundle = "{ca.ca_path}"\n'
        f'[targets.my-handler.urls]\nwebhook = "{local["urls"]["webhook"]}"\n'
        f'[targets.my-handler.credentials]\nwebhook_auth = "basic:{creds["webhook_username"]}=env:HOOK_PASSWORD"\n'
        "[targets.my-handler.options]\nwebhook_latency_s = 1.0\n"
    )
    result = certify(
        tmp_path / "reports",
        "--feed",
        "lanternpay",
        "--suite",
        "webhook-handler",
        "--target",
        "my-handler",
        "--config",
        str(tmp_path / "payercert.toml"),
        env={"HOOK_PASSWORD": creds["webhook_password"]},
        cwd=tmp_path,
    )
    assert result.code == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.failed_requirements("lanternpay") == {"LP-WHH-6"}


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--suite", "nope"], "has no suite 'nope'"),
        (["--webhook-url", "https://pms.example.com/hooks"], "--webhook-url belongs to the webhook-handler suite"),
        (["--suite", "webhook-handler", "--webhook-url"], "--webhook-url needs a value"),
        (
            [
                "--suite",
                "webhook-handler",
                "--webhook-url",
                "https://x.example.com",
                "--webhook-auth",
                "basic:u=plain-secret",
            ],
            "never the value itself",
        ),
        (
            ["--suite", "webhook-handler", "--webhook-url", "https://x.example.com", "--fault", "slow"],
            "--fault runs the local",
        ),
    ],
)
def test_certify_refuses_bad_handler_options(tmp_path, args, expected):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "payercert",
            "certify",
            "--feed",
            "lanternpay",
            "--no-html",
            "--reports",
            str(tmp_path / "r"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr and "plain-secret" not in done.stderr


def test_simulate_lists_the_handler_faults():
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "simulate", "lanternpay", "--suite", "webhook-handler", "--list-faults"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    assert ["redelivery-500", "LP-WHH-4"] in [line[:2] for line in lines] and all(
        line[1].startswith("LP-WHH-") for line in lines
    )


# --- which suite runs what ---------------------------------------------------------------------------


def _collected(reports: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITES),
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--payercert-reports",
            str(reports),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=reports.parent,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_full_suite_leaves_the_handler_suite_out_and_vice_versa(tmp_path):
    full = _collected(tmp_path / "full")
    handler = _collected(tmp_path / "handler", "--payercert-suite", "webhook-handler")
    assert full and not any("webhook_handler" in n for n in full)
    assert handler and all("webhook_handler" in n for n in handler)


# --- the certificate of a client suite -------------------------------------------------------------


def _run(outcomes: list[TestOutcome]) -> dict:
    now = datetime.now(UTC)
    run = FeedRun(
        feed=load_feed("lanternpay"),
        target="local",
        environment="simulator",
        suite="webhook-handler",
        started=now,
        finished=now,
        outcomes=outcomes,
        waivers={},
        client_areas=("webhook-handler",),
    )
    return build_certificate([run])[0]["feeds"][0]


def _outcome(rid: str, status: str = "passed") -> TestOutcome:
    return TestOutcome(
        nodeid=f"suites/lanternpay/webhook_handler/test_handler.py::{rid}",
        title=rid,
        feed="lanternpay",
        requirements=(rid,),
        status=status,
    )


def test_client_suite_counts_only_its_client_requirements():
    musts = [
        r.id for r in load_feed("lanternpay").requirements.values() if r.area == "webhook-handler" and r.level == "MUST"
    ]
    feed = _run([_outcome(rid) for rid in musts])
    assert feed["verdict"] == "CERTIFIED", feed["reasons"]
    statuses = {r["id"]: r["status"] for r in feed["requirements"]}
    assert statuses["LP-AUTH-1"] == "out of scope" and statuses["LP-INV-1"] == "out of scope"
    assert feed["coverage"]["levels"]["MUST"]["total"] == len(musts)
    missing = _run([_outcome(rid) for rid in musts[1:]])
    assert missing["verdict"] == "NOT CERTIFIED" and musts[0] in " ".join(missing["reasons"])


# --- the reference handler itself --------------------------------------------------------------------


def test_reference_handler_dedupes_and_refuses(served):
    handler, ca, local = served("header")
    key = {local["credentials"]["webhook_header_name"]: local["credentials"]["webhook_header_value"]}
    body = {
        "id": "3f1e2d3c-4b5a-4697-8887-766554433221",
        "created": 1583020800,
        "type": "onMemberEligibilityStatus",
        "data": {"memberNumber": "123", "program": "mpl", "state": "eligible"},
        "_links": {},
    }
    with httpx.Client(verify=ca.client_context()) as client:
        url = local["urls"]["onMemberEligibilityStatus"]
        assert client.post(url, json=body, headers=key).status_code == 202
        assert client.post(url, json=body, headers=key).status_code == 202  # a redelivery
        assert client.post(url, json=body).status_code == 401  # no credentials
        assert client.post(url, json=body, headers={next(iter(key)): "wrong"}).status_code == 403
        assert client.post(url, content=b"{not json", headers=key).status_code == 400
        assert client.post(url, json={"id": "x"}, headers=key).status_code == 400  # no usable envelope
    assert [a["id"] for a in _applied(handler)] == [body["id"]]  # applied once


def _applied(handler, timeout: float = 2.0) -> list[dict]:
    import time

    deadline = time.monotonic() + timeout
    while not handler.applied and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    return list(handler.applied)


def test_reference_handler_basic_mode(served):
    _, ca, local = served("basic")
    creds = local["credentials"]
    good = "Basic " + base64.b64encode(f"{creds['webhook_username']}:{creds['webhook_password']}".encode()).decode()
    with httpx.Client(verify=ca.client_context()) as client:
        response = client.post(local["urls"]["webhook"], json={"id": "x"}, headers={"Authorization": "Basic eDp5"})
        assert response.status_code == 401 and "Basic" in response.headers["www-authenticate"]
        assert (
            client.post(local["urls"]["webhook"], json={"id": "x"}, headers={"Authorization": good}).status_code == 400
        )
