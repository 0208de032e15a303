"""The web app's server side, without a browser: the token and host guard, the secrets a target
still needs (asked on the page, never written), and the choices it refuses in the user's terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from payercert.ui.app import Settings, create_app

TOML = """
[targets.sandbox]
feed = "tpastream"
urls = {api = "https://127.0.0.1:1/api"}
[targets.sandbox.credentials]
email = "qa@example.com"
api_key = "env:UI_TEST_API_KEY"
ssh_key = "prompt"
"""


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    config = tmp_path / "payercert.toml"
    config.write_text(TOML)
    settings = Settings(token="t0k", workdir=tmp_path / "runs", history=tmp_path / "history", config=config)
    return TestClient(create_app(settings), base_url="http://127.0.0.1")


def test_the_token_and_the_host_are_checked(client):
    assert client.get("/").status_code == 403
    assert client.get("/?token=nope").status_code == 403
    page = client.get("/?token=t0k")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/runs").status_code == 200  # the cookie the first visit set stands for the token
    other = TestClient(client.app, base_url="http://evil.example")
    assert other.get("/?token=t0k").status_code == 403  # a page on another name cannot reach it


def test_the_page_asks_for_what_the_environment_lacks(client, monkeypatch):
    monkeypatch.delenv("UI_TEST_API_KEY", raising=False)
    fragment = client.get("/secrets?target=sandbox&token=t0k").text
    assert 'type="password" name="secret:UI_TEST_API_KEY"' in fragment
    assert 'name="secret:PAYERCERT_PROMPTED_TARGET_SANDBOX_SSH_KEY"' in fragment  # a `prompt` credential
    monkeypatch.setenv("UI_TEST_API_KEY", "set-already")
    assert "UI_TEST_API_KEY" not in client.get("/secrets?target=sandbox&token=t0k").text
    assert client.get("/secrets?target=local&token=t0k").text == ""


@pytest.mark.parametrize(
    "form,said",
    [
        ({}, "pick at least one feed"),
        ({"feed": "ltss", "fault": "ab2d:kickoff-200"}, "belongs to ab2d: pick that feed alone"),
        ({"feed": "ltss", "target": "sandbox"}, "target sandbox is not configured for ltss"),
        ({"feed": "ltss", "waivers": "LTSS-NOPE-1: why"}, "no such requirement in ltss"),
        ({"feed": "ltss", "waivers": "LTSS-UP-4"}, "write its reason after a colon"),
        ({"feed": "ltss", "examples": "many"}, "is not a whole number"),
    ],
)
def test_a_choice_it_cannot_run_is_said_on_the_page(client, form, said):
    answer = client.post("/runs?token=t0k", data=form)
    assert answer.status_code == 400 and said in answer.text
