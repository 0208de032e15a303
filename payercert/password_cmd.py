"""`payercert validate --password`: a candidate password against a feed's password rules.

The candidate is read from a hidden prompt on a terminal, else from the first line of standard input
(for scripts and tests). It is held in a `Secret` (registered with the redactor), never echoed, logged
or written; findings describe the rule, never the password.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from rich.console import Console

from payercert.validators import render
from payercert.validators.findings import FileReport
from payercert.validators.passwords import check_password, valid_hash_line

from .errors import EXIT_FINDINGS, EXIT_OK, ConfigError, PayercertError
from .feeds import discover, load_feed
from .secrets import Secret


def read_candidate() -> Secret:
    if sys.stdin.isatty():
        value = click.prompt("Password to check", hide_input=True, err=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise PayercertError("no password given (type it at the prompt, or pipe it on standard input)")
    return Secret(value, "candidate password")


def read_history(path: Path) -> list[str]:
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise PayercertError(f"--history {path}: cannot be read ({type(exc).__name__})") from None
    bad = next((i for i, line in enumerate(lines, 1) if not valid_hash_line(line)), None)
    if bad:
        raise PayercertError(
            f"--history {path}: line {bad} is not a pbkdf2_sha256$<iterations>$<salt>$<hash> line "
            "(plain passwords are never read)"
        )
    return lines


def run_password_check(
    *,
    feed: str | None,
    username: str | None,
    history: Path | None,
    last_change: date | None,
    as_of: date | None,
    fmt: str,
    console: Console,
) -> int:
    feed = feed or _feed_with_password_rules()
    spec = load_feed(feed).spec
    rules = spec.get("password_rules")
    if not rules or "requirements" not in rules:
        raise ConfigError(f"feed {feed} has no password rules")
    lines = read_history(history) if history else []
    candidate = read_candidate()
    findings, skipped = check_password(
        candidate.reveal(),
        rules,
        rules["requirements"],
        username=username,
        history=lines,
        last_change=last_change,
        today=as_of,
    )
    report = FileReport("password (not shown)", feed, "password", 1, findings, skipped)
    if fmt == "json":
        print(render.as_json([report]))
    elif fmt == "junit":
        print(render.as_junit([report]))
    elif fmt == "sarif":
        print(render.as_sarif([report]))
    else:
        render.as_table([report], console)
    return EXIT_FINDINGS if report.errors else EXIT_OK


def _feed_with_password_rules() -> str:
    """The one feed whose document has password rules, when --feed is not given."""
    having = [f for f in discover() if "password_rules" in load_feed(f).spec]
    if len(having) != 1:
        raise ConfigError(f"name the feed with --feed (password rules: {', '.join(having) or 'no feed has them'})")
    return having[0]
