"""Section 7 password rules (WebBBS): one finding per broken rule, and the CLI never echoes the password."""

import os
import subprocess
import sys
from datetime import date

import pytest

from payercert.feeds import load_feed
from payercert.validators.passwords import check_password, hash_password, matches_hash

RULES = load_feed("webbbs").spec["password_rules"]
REQ = RULES["requirements"]
GOOD = "Kp7#vRt2!qZ"


def broken(candidate, **kw):
    findings, _ = check_password(candidate, RULES, REQ, **kw)
    return {f.requirement for f in findings if f.severity.value == "error"}


def test_a_strong_password_passes_every_rule():
    history = [hash_password("Old#Pass1x", iterations=1000)]
    assert (
        broken(GOOD, username="TP000001", history=history, last_change=date(2024, 1, 1), today=date(2024, 2, 1))
        == set()
    )


@pytest.mark.parametrize(
    "candidate,rule",
    [
        ("Kp7#vR1", "length"),  # 7 characters
        ("Kp7#vRt2 qZ", "length"),  # a space is no letter, digit or special character
        ("kp7#vrt2!qz", "case"),
        ("KP7#VRT2!QZ", "case"),
        ("Kp#vRtx!qZ", "digit"),
        ("Kp7xvRt2kqZ", "special"),
        ("Tp000001#Kq", "username"),  # holds the Trading Partner ID
        ("100000pT#Kq9", "username"),  # TP000001 reversed
        ("Autumn12!", "dictionary"),  # the document's own sample (Figures 9, 11, 13)
        ("Pa55w0rd!9", "dictionary"),  # l33t does not hide a word
    ],
)
def test_each_rule_is_caught(candidate, rule):
    assert REQ[rule] in broken(candidate, username="TP000001")


def test_findings_never_contain_the_password():
    findings, _ = check_password("Autumn12!", RULES, REQ, username="TP000001")
    assert findings and all("Autumn" not in f.message and "autumn" not in f.message for f in findings)
    assert all(f.code == "Sender" for f in findings)  # 4.1.1: a weak password is refused with Sender


def test_history_of_six_hashes():
    old = [f"Older#Pass{i}" for i in range(8)]
    history = [hash_password(p, iterations=1000) for p in old]  # newest first
    assert matches_hash(old[0], history[0]) and not matches_hash(old[1], history[0])
    assert REQ["history"] in broken(old[5], history=history)  # the sixth most recent
    assert REQ["history"] not in broken(old[6], history=history)  # the seventh may come back


def test_aging_expires_after_ninety_days_and_warns_ten_days_ahead():
    def aging(days):
        findings, _ = check_password(
            GOOD, RULES, REQ, last_change=date(2024, 1, 1), today=date.fromordinal(date(2024, 1, 1).toordinal() + days)
        )
        return [f.severity.value for f in findings if f.requirement == REQ["aging"]]

    assert aging(79) == [] and aging(80) == ["warning"] and aging(89) == ["warning"]
    assert aging(90) == ["error"] and aging(120) == ["error"]


def test_checks_that_need_data_are_listed_as_skipped():
    _, skipped = check_password(GOOD, RULES, REQ)
    assert {s.split()[0] for s in skipped} == {REQ["username"], REQ["history"], REQ["aging"]}


def run(*args, stdin):
    return subprocess.run(
        [sys.executable, "-m", "payercert", "validate", "--password", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_cli_reads_stdin_and_never_echoes(tmp_path):
    done = run("--username", "TP000001", "--format", "json", stdin="Autumn12!\n")
    assert done.returncode == 1 and "WEBBBS-PASSWORD-6" in done.stdout
    assert "Autumn12" not in done.stdout + done.stderr
    history = tmp_path / "history"
    history.write_text(hash_password(GOOD, iterations=1000) + "\n")
    done = run("--username", "TP000001", "--history", str(history), stdin=GOOD + "\n")
    assert done.returncode == 1 and "WEBBBS-PASSWORD-7" in done.stdout and GOOD not in done.stdout
    done = run("--username", "TP000001", stdin="Zq9!mWx4#Lp\n")
    assert done.returncode == 0


def test_cli_refuses_a_plain_text_history_in_one_line(tmp_path):
    history = tmp_path / "history"
    history.write_text("MySecret#1\n")
    done = run("--history", str(history), stdin=GOOD + "\n")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "MySecret" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
