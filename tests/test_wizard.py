"""The wizard (`payercert` alone on a terminal) never throws the user out: feeds by number or name,
bad answers asked again, a missing secret asked without echo and kept in memory, and the command
line that does the same printed before the run."""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console

from payercert import wizard


@pytest.fixture
def answers(monkeypatch):
    """Feed the prompts these answers in turn; record whether each was asked with echo off."""
    given: list[str] = []
    asked: list[tuple[str, bool]] = []

    def get_input(console, prompt, password, stream=None):
        asked.append((str(prompt), password))
        return given.pop(0)

    monkeypatch.setattr("rich.prompt.PromptBase.get_input", classmethod(lambda cls, *a, **k: get_input(*a, **k)))
    return given, asked


@pytest.fixture
def ran(monkeypatch):
    requests = []
    monkeypatch.setattr(wizard, "run_certify", lambda request, console: requests.append(request) or 0)
    return requests


def console() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_a_feed_by_name_and_a_bad_answer_asked_again(answers, ran, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    given, asked = answers
    given += ["ltss, 99", "7", "LTSS", "local", "smoke", "nope", "drop-tid-header"]
    out = console()
    assert wizard.run_wizard(out) == 0
    request = ran[0]
    assert (request.feeds, request.target, request.suite, request.fault) == (
        ["ltss"],
        "local",
        "smoke",
        "drop-tid-header",
    )
    shown = out.file.getvalue()
    assert "ltss, 99 is not one of the feeds" in shown and "7 is not one of the feeds" in shown
    assert "payercert certify --feed ltss --target local --suite smoke --fault drop-tid-header" in shown
    assert sum(1 for prompt, _ in asked if prompt.startswith("Fault profile")) == 2  # "nope" was asked again


def test_a_missing_secret_is_asked_without_echo_and_never_written(answers, ran, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIZARD_TEST_KEY", raising=False)
    (tmp_path / "payercert.toml").write_text(
        '[targets.sandbox]\nfeed = "tpastream"\nurls = {api = "https://127.0.0.1:1/api"}\n'
        '[targets.sandbox.credentials]\nemail = "qa@example.com"\napi_key = "env:WIZARD_TEST_KEY"\n'
    )
    given, asked = answers
    given += ["tpastream", "sandbox", "full", "s3cret-typed"]
    out = console()
    wizard.run_wizard(out)
    assert ("api_key (WIZARD_TEST_KEY is not set)", True) in [(p.split(":")[0], pw) for p, pw in asked]
    assert os.environ["WIZARD_TEST_KEY"] == "s3cret-typed"  # this process's memory only
    assert "s3cret-typed" not in out.file.getvalue()
    assert "s3cret-typed" not in (tmp_path / "payercert.toml").read_text()
    assert ran[0].target == "sandbox"


@pytest.mark.parametrize(
    "answer,feeds",
    [
        ("all", ["ab2d", "ltss"]),
        ("2", ["ltss"]),
        ("ltss ab2d", ["ltss", "ab2d"]),
        ("1,1", ["ab2d"]),
        ("x", None),
        ("3", None),
    ],
)
def test_feeds_by_number_or_name(answer, feeds):
    assert wizard.pick_feeds(answer, ["ab2d", "ltss"]) == feeds
