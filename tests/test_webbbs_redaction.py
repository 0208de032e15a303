"""No WebBBS password reaches reports/: a full run against the simulator configured as a sandbox
target (credentials from env vars, as a user writes them), where every request carries a
wsse:Password in its SOAP header or a Password form field, and one test logs in with an aged one."""

import contextlib

import pytest
import yaml
from certify_runs import certify

from payercert.redact import MASK
from payercert.server import BackgroundServer
from payercert.simulators.webbbs import create
from payercert.tls import LocalCA


@contextlib.contextmanager
def webbbs_payer(fault=None):
    sim = create(fault)
    ca = LocalCA()
    with BackgroundServer(sim.app, ca) as server:
        yield sim, ca, sim.local_target(server.base_url)
    ca.cleanup()


def _write_target(folder, local, ca):
    (folder / "data.yaml").write_text(yaml.safe_dump(local["data"]))
    aged = local["accounts"]["aged_password"]
    env = {
        "W_USER": local["credentials"]["username"],
        "W_PASSWORD": local["credentials"]["password"],
        "W_AGED_USER": aged["username"],
        "W_AGED_PASSWORD": aged["password"],
    }
    lines = [
        "[targets.sandbox]",
        'feed = "webbbs"',
        "production = false",
        f'ca_bundle = "{ca.ca_path}"',
        'data = "data.yaml"',
        "[targets.sandbox.urls]",
        *[f'{k} = "{v}"' for k, v in local["urls"].items()],
        "[targets.sandbox.credentials]",
        'username = "env:W_USER"',
        'password = "env:W_PASSWORD"',
        "[targets.sandbox.accounts.aged_password]",
        'username = "env:W_AGED_USER"',
        'password = "env:W_AGED_PASSWORD"',
    ]
    config = folder / "payercert.toml"
    config.write_text("\n".join(lines) + "\n")
    return config, env


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    """One fault makes an auth test fail, so failure messages and attachments carry refused logins."""
    folder = tmp_path_factory.mktemp("webbbs-canary")
    with webbbs_payer("expired-password-accepted") as (sim, ca, local):
        config, env = _write_target(folder, local, ca)
        result = certify(
            folder / "reports",
            "--feed",
            "webbbs",
            "--target",
            "sandbox",
            "--config",
            str(config),
            env={**env, "PAYERCERT_EXAMPLES": "3"},
        )
        yield result, env


def test_the_run_sent_passwords(canary_run):
    result, _ = canary_run
    assert "WEBBBS-PASSWORD-8" in result.failed_requirements("webbbs"), result.stdout[-2000:]
    attachments = [p.read_bytes() for p in (result.reports / "allure-results").glob("*-attachment.txt")]
    assert len(attachments) > 50, "exchanges were not attached"
    assert any(b"Password" in a and MASK.encode() in a for a in attachments), "no password element was masked"


def test_no_webbbs_password_anywhere(canary_run):
    result, env = canary_run
    for needle in (env["W_PASSWORD"], env["W_AGED_PASSWORD"]):
        assert needle not in result.stdout and needle not in result.stderr
        for path in result.reports.rglob("*"):
            if path.is_file():
                assert needle.encode() not in path.read_bytes(), (
                    f"a WebBBS password leaked into {path.relative_to(result.reports)}"
                )
