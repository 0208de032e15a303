"""A canary secret used for a full run appears nowhere under reports/ nor in the output."""

import base64
import json
import re

import pytest
from certify_runs import certify
from local_payer import ltss_payer, write_target

from payercert.redact import MASK, Redactor

JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{10,}\.eyJ")  # any JWT (header.payload) left in clear


def _everything(folder):
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    """A full run against a configured target whose every credential is a canary; one fault makes
    an auth test fail, so failure messages, tracebacks and attachments carry token responses."""
    folder = tmp_path_factory.mktemp("canary")
    with ltss_payer("accept-wrong-password") as (simulator, ca, local):
        config, env = write_target(folder, local, ca)
        result = certify(
            folder / "reports",
            "--feed",
            "ltss",
            "--target",
            "sandbox",
            "--config",
            str(config),
            env={**env, "PAYERCERT_EXAMPLES": "4"},
        )
        yield result, env, local


def test_the_run_really_exercised_secrets(canary_run):
    result, env, _ = canary_run
    assert result.code == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "LTSS-AUTH-5" in result.failed_requirements("ltss")
    attachments = list((result.reports / "allure-results").glob("*-attachment.txt"))
    assert len(attachments) > 50, "exchanges were not attached"
    assert any(MASK.encode() in data for _, data in _everything(result.reports)), "nothing was redacted at all"


def test_canary_secrets_appear_nowhere(canary_run):
    result, env, local = canary_run
    secrets = [env["T_APP_SECRET"], env["T_PASSWORD"], env["T_NS_PASSWORD"], env["T_NOSCOPE_SECRET"]]
    derived = [base64.b64encode(f"{env['T_APP_ID']}:{env['T_APP_SECRET']}".encode()).decode()]
    for needle in secrets + derived:
        assert needle not in result.stdout and needle not in result.stderr
        for path, data in _everything(result.reports):
            assert needle.encode() not in data, f"a canary secret leaked into {path.relative_to(result.reports)}"


def test_no_access_token_in_clear(canary_run):
    result, _, _ = canary_run
    for path, data in _everything(result.reports):
        assert not JWT.search(data), f"a JWT leaked into {path.relative_to(result.reports)}"
    assert not JWT.search(result.stdout.encode())


def test_redactor_masks_values_headers_and_keys():
    r = Redactor()
    r.add("s3cr3t-value")
    r.add_basic("app", "s3cr3t-value")
    assert r.text("x s3cr3t-value y") == f"x {MASK} y"
    assert r.headers([("Authorization", "Bearer abc.def"), ("TID", "1")]) == [
        ("Authorization", f"Bearer {MASK}"),
        ("TID", "1"),
    ]
    assert json.loads(r.body(b'{"access_token": "t0k3n", "n": 1}', "application/json")) == {
        "access_token": MASK,
        "n": 1,
    }
    assert "hunter2" not in r.body(b"grant_type=password&password=hunter2", "application/x-www-form-urlencoded")
    r.add("ab")  # too short to be a secret worth masking everywhere
    assert r.text("ab") == "ab"
