"""The CLI's promises: exit codes, and for every error exactly one line on stderr (nothing else: no
traceback, no third-party warning), each command run in a subprocess as a user runs it."""

import os
import re
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


def exact_error(done, line):
    """stderr is exactly this one line, and the exit code says the input was unusable."""
    assert (done.returncode, done.stderr) == (2, f"error: {line}\n")


def test_validate_exit_codes(tmp_path):
    assert run("validate", str(SAMPLES / "valid" / "unit-based.json"), "--as-of", "2026-11-20").returncode == 0
    assert run("validate", str(SAMPLES / "invalid" / "units-fractional.json"), "--as-of", "2026-11-20").returncode == 1
    binary = tmp_path / "x.json"
    binary.write_bytes(b"\x00\x01\x02")
    done = run("validate", str(binary))
    assert (done.returncode, done.stderr) == (2, "")  # an unusable file is a finding of the report
    assert done.stdout.splitlines()[0] == f"unusable {binary}: binary content, not a text file"


def test_unknown_feed_is_one_line(tmp_path):
    done = run("certify", "--feed", "nosuchfeed", "--no-html", cwd=tmp_path)
    exact_error(done, "unknown feed 'nosuchfeed' (known feeds: ab2d, lanternpay, ltss, tpastream, webbbs)")


def test_unknown_fault_is_one_line(tmp_path):
    done = run("certify", "--feed", "ltss", "--fault", "nope", "--no-html", cwd=tmp_path)
    from payercert.simulation import load_simulator

    known = ", ".join(f.name for f in load_simulator("ltss").faults)
    exact_error(done, f"simulator ltss has no fault profile 'nope' (known: {known})")


def test_unknown_requirement_is_one_line(tmp_path):
    done = run("certify", "--feed", "ltss", "--requirement", "LTSS-NOPE-1", "--no-html", cwd=tmp_path)
    exact_error(done, "--requirement LTSS-NOPE-1: no such requirement in ltss")


def test_missing_env_var_is_one_line(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.credentials]\n'
        'app_id = "x"\napp_secret = "env:PAYERCERT_TEST_UNSET_SECRET"\nusername = "u"\npassword = "env:PAYERCERT_TEST_UNSET_SECRET"\n'
    )
    done = run(
        "certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path, env={"PAYERCERT_TEST_UNSET_SECRET": ""}
    )
    exact_error(
        done, "target t: app_secret comes from the environment variable PAYERCERT_TEST_UNSET_SECRET, which is not set"
    )


def test_literal_secret_in_config_is_refused(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.credentials]\napp_secret = "plain-text-secret"\n'
    )
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    exact_error(done, "target t: app_secret must be 'env:NAME' or 'prompt', never the value itself")
    assert "plain-text-secret" not in done.stderr + done.stdout


def test_bad_toml_and_unknown_target(tmp_path):
    (tmp_path / "payercert.toml").write_text("[targets.t\n")
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    exact_error(
        done, "payercert.toml: not valid TOML (Expected ']' at the end of a table declaration (at line 1, column 11))"
    )
    (tmp_path / "payercert.toml").write_text('[targets.other]\nfeed = "ltss"\nenvironment = "test"\n')
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    exact_error(done, "no target 't' for feed ltss in payercert.toml (known: local, other)")


def test_waiver_needs_a_reason(tmp_path):
    (tmp_path / "payercert.toml").write_text(
        '[targets.t]\nfeed = "ltss"\nenvironment = "test"\n[targets.t.waivers]\nLTSS-UP-4 = "ok"\n'
    )
    done = run("certify", "--feed", "ltss", "--target", "t", "--no-html", cwd=tmp_path)
    exact_error(done, "target t: waiver of LTSS-UP-4 needs a written reason")


def test_fault_needs_local_target(tmp_path):
    done = run("certify", "--feed", "ltss", "--target", "sandbox", "--fault", "drop-tid-header", cwd=tmp_path)
    exact_error(done, "--fault runs the local simulator: use it with --target local")


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
    where = tmp_path / "nothing"
    exact_error(done, f"{where} holds no certify run: run `payercert certify --reports {where}` first")


def test_usage_error_is_one_line():
    done = run("validate", "--no-such-option")
    exact_error(done, "No such option '--no-such-option'. Did you mean '--kind-option'?")


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


def test_usage_errors_of_every_command_are_one_line(tmp_path):
    cases = {
        ("validate",): "give at least one file to validate",
        ("certify", "--seed", "-1"): "Invalid value for '--seed': -1 is not in the range x>=0.",
        (
            "simulate",
            "nosuchfeed",
        ): "unknown feed 'nosuchfeed' (known feeds: ab2d, lanternpay, ltss, tpastream, webbbs)",
        ("validate", "x.json", "--as-of", "tomorrow"): "--as-of 'tomorrow' is not a date in YYYY-MM-DD form",
        ("certify", "--reading", "nonsense"): "--reading 'nonsense': write it as ID=OPTION",
    }
    for args, line in cases.items():
        exact_error(run(*args, cwd=tmp_path), line)


def test_no_third_party_warning_reaches_the_terminal(tmp_path):
    """Even with Python told to show every warning, a command's stderr holds only its own line."""
    done = run("certify", "--feed", "nosuchfeed", env={"PYTHONWARNINGS": "always"}, cwd=tmp_path)
    exact_error(done, "unknown feed 'nosuchfeed' (known feeds: ab2d, lanternpay, ltss, tpastream, webbbs)")
    sftp = run("simulate", "webbbs", "--list-faults", env={"PYTHONWARNINGS": "always"}, cwd=tmp_path)  # asyncssh
    assert (sftp.returncode, sftp.stderr) == (0, ""), sftp.stderr


def test_piped_output_keeps_its_lines_whole(tmp_path):
    """Into a pipe (a CI log), a table is not squeezed into rich's default 80 columns."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "feeds"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    widest = max(len(line) for line in done.stdout.splitlines())
    assert 120 < widest <= 200, done.stdout
    with_columns = subprocess.run(
        [sys.executable, "-m", "payercert", "feeds"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "90"},
        cwd=tmp_path,
        timeout=60,
    )
    assert max(len(line) for line in with_columns.stdout.splitlines()) <= 90  # COLUMNS still decides


def test_help_shows_plain_metavars_and_the_version():
    for command in ("certify", "validate", "ui", "simulate", "report"):
        done = run(command, "--help")
        assert done.returncode == 0
        assert not re.search(r"<(list|str|bool|int|float|path|Path)\b", done.stdout), done.stdout  # no Python types
    shown = run("certify", "--help").stdout
    assert "--reports" in shown and "FOLDER" in shown and "ID=OPTION" in shown
    assert "table|json|junit|sarif" in run("validate", "--help").stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("payercert ") and len(version.stdout.split()) == 2


def test_piped_output_is_not_wrapped_at_80_columns(tmp_path):
    long = tmp_path / ("a-file-with-a-rather-long-name-" * 3 + ".json")
    long.write_text('{"TransactionId": 1}')
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "validate", str(long)], capture_output=True, text=True, env=env, timeout=120
    )
    assert any(str(long) in line for line in done.stdout.splitlines()), done.stdout


def test_a_request_s_command_line_makes_the_same_request(monkeypatch, tmp_path):
    """The command line the wizard prints and the web app shows (CertifyRequest.arguments) is one that
    `payercert certify` reads back into the very same request."""
    from click.testing import CliRunner

    from payercert import certify as certify_module
    from payercert.certify_request import CertifyRequest
    from payercert.cli import app

    made = CertifyRequest(
        feeds=["ltss", "ab2d"],
        target="sandbox",
        suite="smoke",
        config=tmp_path / "payercert.toml",
        reports=tmp_path / "r",
        history=tmp_path / "h",
        allow_mutations=True,
        readings={"LTSS-R-CLIENT-ERROR-STATUS": "identityserver"},
        waivers={"LTSS-UP-4": "ticket 4711"},
        html=False,
        examples=5,
        requirements=("LTSS-UP-4",),
        seed=7,
        options={"strict-ig": None},
        events=tmp_path / "e.jsonl",
    )
    read = []
    monkeypatch.setattr(certify_module, "run_certify", lambda request, console: read.append(request) or 0)
    assert CliRunner().invoke(app, ["certify", *made.arguments()]).exit_code == 0
    assert read == [made]
