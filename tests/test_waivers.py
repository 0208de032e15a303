"""A waived failure shows as WAIVED with its reason and does not fail the verdict."""

import json
import os
import subprocess
import sys

from local_payer import SUITES, ltss_payer, write_target

REASON = "Sandbox drops the TID header; accepted by the payer in ticket 4711"


def _run(folder, config, env):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITES / "test_upload.py"),
            "--payercert-target",
            "sandbox",
            "--payercert-config",
            str(config),
            "--payercert-reports",
            str(folder / "reports"),
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
        env={**os.environ, **env},
    )


def _requirement(folder, rid):
    cert = json.loads((folder / "reports" / "certificate.json").read_text())
    return next(r for r in cert["feeds"][0]["requirements"] if r["id"] == rid)


def test_waived_failure_does_not_fail(tmp_path):
    with ltss_payer("drop-tid-header") as (_, ca, local):
        config, env = write_target(tmp_path, local, ca, waivers={"LTSS-UP-4": REASON})
        done = _run(tmp_path, config, env)
    assert done.returncode == 0, done.stdout[-2000:]
    up4 = _requirement(tmp_path, "LTSS-UP-4")
    assert up4["status"] == "waived" and REASON in up4["message"]
    assert REASON in (tmp_path / "reports" / "certificate.html").read_text()
    assert _requirement(tmp_path, "LTSS-UP-3")["status"] == "passed"


def test_without_the_waiver_the_same_run_fails(tmp_path):
    with ltss_payer("drop-tid-header") as (_, ca, local):
        config, env = write_target(tmp_path, local, ca)
        done = _run(tmp_path, config, env)
    assert done.returncode == 1
    assert _requirement(tmp_path, "LTSS-UP-4")["status"] == "failed"


def test_tests_needing_reference_data_skip_with_a_reason(tmp_path):
    """A target without reference data: the generated-entry tests skip and say what is missing."""
    with ltss_payer() as (_, ca, local):
        config, env = write_target(tmp_path, local, ca)
        text = config.read_text().replace('data = "data.yaml"\n', "")
        config.write_text(text)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(SUITES / "test_validation.py"),
                "--payercert-target",
                "sandbox",
                "--payercert-config",
                str(config),
                "--payercert-reports",
                str(tmp_path / "reports"),
                "-p",
                "no:cacheprovider",
                "-q",
                "-rs",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env={**os.environ, **env},
        )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "has no reference data go_live, service_identifiers, clients, provider_mas" in done.stdout
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("1 passed"), summary  # only the 1000 test, which needs an account, not data


def test_a_waiver_given_for_one_run(tmp_path):
    """`certify --waive ID=REASON`: the same, for this run only, without editing payercert.toml."""
    from certify_runs import certify

    args = ("--feed", "ltss", "--target", "local", "--fault", "drop-tid-header", "--requirement", "LTSS-UP-4")
    waived = certify(tmp_path / "waived", *args, "--waive", f"LTSS-UP-4={REASON}")
    assert waived.code == 0, waived.stderr
    row = next(r for r in waived.feed("ltss")["requirements"] if r["id"] == "LTSS-UP-4")
    assert (row["status"], row["message"]) == ("waived", REASON)
    assert certify(tmp_path / "plain", *args).code == 1  # the same run without it fails
    unknown = certify(tmp_path / "unknown", *args, "--waive", "LTSS-NOPE-1=why")
    assert (unknown.code, unknown.stderr) == (2, "error: --waive LTSS-NOPE-1: no such requirement in ltss\n")
    bare = certify(tmp_path / "bare", *args, "--waive", "LTSS-UP-4")
    assert (bare.code, bare.stderr) == (2, "error: --waive 'LTSS-UP-4': write it as ID=REASON\n")
