"""The CLI's promises: exit codes, one-line errors, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "specs" / "ltss" / "samples"


def run(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "payercert", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def one_line_error(done, *fragments):
    assert "Traceback" not in done.stderr + done.stdout
    lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_validate_exit_codes(tmp_path):
    assert run("validate", str(SAMPLES / "valid" / "unit-based.json"), "--as-of", "2026-11-20").returncode == 0
    assert run("validate", str(SAMPLES / "invalid" / "units-fractional.json"), "--as-of", "2026-11-20").returncode == 1
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\x00\x01\x02")
    assert run("validate", str(binary)).returncode == 2


def test_unknown_feed_is_one_line(tmp_path):
    done = run("certify", "--feed", "nosuchfeed", "--no-html", cwd=tmp_path)
    assert done.returncode == 2
    one_line_error(done, "unknown feed 'nosuchfeed'")


def test_unknown_fault_is_one_line(tmp_path):
    done = run("certify", "--feed", "ltss", "--fault", "nope", "--no-html", cwd=tmp_path)
    assert done.returncode == 2
    one_line_error(done, "no fault profile 'nope'")


def test_unknown_requirement_is_one_line(tmp_path):
    done = run("certify", "--feed", "ltss", "--requirement", "LTSS-NOPE-1", "--no-html", cwd=tmp_path)
    assert done.returncode == 2
    one_line_error(done, "--requirement LTSS-NOPE-1: no such requirement in ltss")


def test_missing_env_var_is_one_line(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.credentials]\n'
        'app_id = "x"\napp_secret = "env:PAYERCERT_TEST_UNSET_SECRET"\nusername = "u"\npassword = "env:PAYERCERT_TEST_UNSET_SECRET"\n'
    )
    done = run(
        "certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path, env={"PAYERCERT_TEST_UNSET_SECRET": ""}
    )
    assert done.returncode == 2
    one_line_error(done, "PAYERCERT_TEST_UNSET_SECRET", "not set")


def test_literal_secret_in_config_is_refused(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.credentials]\napp_secret = "plain-text-secret"\n'
    )
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    assert done.returncode == 2
    one_line_error(done, "never the value itself")
    assert "plain-text-secret" not in done.stderr + done.stdout


def test_bad_toml_and_unknown_target(tmp_path):
    (tmp_path / "payercert.toml").write_text("[targets.t\n")
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    assert done.returncode == 2
    one_line_error(done, "not valid TOML")
    (tmp_path / "payercert.toml").write_text('[targets.other]\nfeed = "ltss"\nenvironment = "test"\n')
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    one_line_error(done, "no target 't'", "local, other")


def test_waiver_needs_a_reason(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.waivers]\nLTSS-UP-4 = "ok"\n'
    )
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    one_line_error(done, "needs a written reason")


def test_fault_needs_local_target(tmp_path):
    done = run("certify", "--feed", "ltss", "--target", "sandbox", "--fault", "drop-tid-header", cwd=tmp_path)
    one_line_error(done, "--target local")


def test_list_faults_one_per_line():
    done = run("simulate", "ltss", "--list-faults")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 12
    from payercert.simulation import load_simulator

    names = [f.name for f in load_simulator("ltss").faults]
    assert [ln.split("\t")[0] for ln in lines] == names
    assert all(ln.split("\t")[1].startswith("LTSS-") for ln in lines)


def test_report_without_a_run_is_one_line(tmp_path):
    done = run("report", "--reports", str(tmp_path / "nothing"))
    assert done.returncode == 2
    one_line_error(done, "holds no certify run")


def test_usage_error_is_one_line():
    done = run("validate", "--no-such-option")
    assert done.returncode == 2
    one_line_error(done, "No such option")


def test_certify_without_node_still_writes_everything(tmp_path):
    """No Node.js: the HTML report is not rendered, said in one line; results and certificate stay."""
    python_dir = os.path.dirname(sys.executable)
    done = run(
        "certify",
        "--feed",
        "ltss",
        "--suite",
        "smoke",
        "--reports",
        str(tmp_path / "reports"),
        cwd=tmp_path,
        env={"PATH": python_dir},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "HTML report not rendered" in done.stdout and "Node.js" in done.stdout
    assert (tmp_path / "reports" / "certificate.json").is_file()
    assert any((tmp_path / "reports" / "allure-results").glob("*-result.json"))
    assert not (tmp_path / "reports" / "allure-report" / "index.html").exists()
