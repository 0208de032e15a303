"""A run stopped by the user's own error found mid-run (here a signing key that cannot be read) says
so in one line, exits 2, and leaves no certificate: neither a new one that would certify what never
ran nor the previous run's."""

from __future__ import annotations

import pytest
from certify_runs import certify


def test_an_unreadable_key_stops_the_run_with_one_line_and_no_certificate(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "certificate.json").write_text('{"overall": {"verdict": "CERTIFIED"}}')  # a previous run's
    args = ["--feed", "tpastream", "--target", "local", "--suite", "webhook-receiver"]
    args += ["--receiver-url", "https://127.0.0.1:9/hook", "--signing-key", str(tmp_path / "missing.pem")]
    result = certify(reports, *args)
    assert result.code == 2, result.stdout + result.stderr
    shown = (result.stdout + result.stderr).strip().splitlines()
    assert shown[-1] == f"error: --signing-key {tmp_path / 'missing.pem'}: No such file or directory"
    assert "Traceback" not in result.stdout + result.stderr
    assert not (reports / "certificate.json").exists()


def test_a_key_that_is_not_an_rsa_private_key_is_named(tmp_path):
    from payercert.errors import ConfigError
    from payercert.suites.tpastream.webhook_receiver.sender import load_signing_key

    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ConfigError, match="^--signing-key: not an unencrypted PEM private key"):
        load_signing_key(str(key))
