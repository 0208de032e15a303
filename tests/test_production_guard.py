"""Production is never written to unless the user allowed it for that run, and confirmed it."""

import json
import os
import subprocess
import sys

import pytest
from certify_runs import certify
from local_payer import SUITES, ltss_payer, write_target


def _pytest(config, env, reports, *extra):
    """The same run through plain pytest with the plugin's options."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(SUITES / "test_upload.py"),
        str(SUITES / "test_idempotency.py"),
        "--payercert-target",
        "prod",
        "--payercert-config",
        str(config),
        "--payercert-reports",
        str(reports),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, timeout=300, cwd=config.parent
    )


@pytest.fixture
def prod(tmp_path):
    with ltss_payer() as (simulator, ca, local):
        config, env = write_target(tmp_path, local, ca, name="prod", production=True)
        yield simulator, config, env, tmp_path


def test_mutating_tests_are_skipped_on_production(prod):
    simulator, config, env, folder = prod
    done = _pytest(config, env, folder / "reports")
    assert done.returncode == 0, done.stdout[-2000:]
    guarded = json.loads((folder / "reports" / "run.json").read_text())["guarded"]
    assert guarded and all("test_upload.py" in g or "test_idempotency.py" in g for g in guarded)
    assert any("test_valid_entry_is_accepted" in g for g in guarded)
    assert simulator.entries == {}, "a billing entry was created on the production target"
    assert "production guard" in done.stdout


def test_allow_mutations_without_confirmation_is_refused(prod):
    simulator, config, env, folder = prod
    result = certify(
        folder / "reports", "--feed", "ltss", "--target", "prod", "--config", str(config), "--allow-mutations", env=env
    )
    assert result.code == 2, result.stdout + result.stderr
    assert "PAYERCERT_CONFIRM_PRODUCTION" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert simulator.entries == {}


def test_wrong_host_confirmation_is_refused(prod):
    simulator, config, env, folder = prod
    result = certify(
        folder / "reports",
        "--feed",
        "ltss",
        "--target",
        "prod",
        "--config",
        str(config),
        "--allow-mutations",
        env={**env, "PAYERCERT_CONFIRM_PRODUCTION": "ltss.health.maryland.gov"},
    )
    assert result.code == 2 and "does not name the production host" in result.stderr
    assert simulator.entries == {}


def test_confirmed_mutations_run(prod):
    simulator, config, env, folder = prod
    done = _pytest(
        config, {**env, "PAYERCERT_CONFIRM_PRODUCTION": "127.0.0.1"}, folder / "reports", "--payercert-allow-mutations"
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert json.loads((folder / "reports" / "run.json").read_text())["guarded"] == []
    assert simulator.entries, "the allowed, confirmed run created no entry"


PLANTED = """
import pytest

@pytest.mark.readonly
def test_declared_read_only():
    pass

@pytest.mark.mutatng
def test_misspelt_marker():
    raise AssertionError("ran on production")

def test_unmarked():
    raise AssertionError("ran on production")
"""


def test_only_declared_read_only_tests_run_on_production(prod, tmp_path):
    """Fail safe: a misspelt or missing marker means "may write", and such a test is skipped on
    production (here without --strict-markers, as a user's own pytest configuration may run)."""
    _simulator, config, env, folder = prod
    planted = tmp_path / "planted" / "test_planted.py"
    planted.parent.mkdir()
    planted.write_text(PLANTED)
    command = [sys.executable, "-m", "pytest", str(planted), "--payercert-target", "prod"]
    command += ["--payercert-config", str(config), "--payercert-reports", str(folder / "reports"), "-p"]
    command += ["no:cacheprovider", "-rs", "-q", "--rootdir", str(planted.parent)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, cwd=planted.parent)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed, 2 skipped" in done.stdout, done.stdout[-3000:]
    assert "SKIPPED [2]" in done.stdout and "production guard: prod is production" in done.stdout, done.stdout
    guarded = json.loads((folder / "reports" / "run.json").read_text())["guarded"]
    assert sorted(g.rsplit("::", 1)[1] for g in guarded) == ["test_misspelt_marker", "test_unmarked"]
    strict = subprocess.run([*command, "--strict-markers"], capture_output=True, text=True, env={**os.environ, **env})
    assert strict.returncode == pytest.ExitCode.INTERRUPTED, strict.stdout[-2000:]  # collection refused
    assert "'mutatng' not found in `markers`" in strict.stdout, strict.stdout[-2000:]


def test_a_target_that_cannot_be_built_stops_a_plain_pytest_run(prod):
    """A missing secret is the run's end with its reason, not each test's harness error."""
    _simulator, config, env, folder = prod
    env = {k: v for k, v in env.items() if k != "T_PASSWORD"}
    done = _pytest(config, env, folder / "reports", "-k", "valid_entry_is_accepted")  # the guard asks first
    assert done.returncode == 2, done.stdout[-2000:]
    assert "payercert: target prod: password comes from the environment variable T_PASSWORD, which is not set" in (
        done.stdout + done.stderr
    )
