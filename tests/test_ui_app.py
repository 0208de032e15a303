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


def test_history_links_serve_a_run_s_reports_and_nothing_beside_them(client, tmp_path):
    from payercert.history import record_run

    reports = tmp_path / "scheduled" / "reports"
    reports.mkdir(parents=True)
    (reports / "certificate.json").write_text("{}")
    (reports / "certificate.html").write_text("<p>the certificate</p>")
    (tmp_path / "scheduled" / "secret.txt").write_text("not a report")
    certificate = {
        "seed": 7,
        "feeds": [
            {
                "feed": "ltss",
                "verdict": "CERTIFIED",
                "started": "2026-12-01T00:00:00Z",
                "finished": "2026-12-01T00:01:00Z",
                "coverage": {"levels": {"MUST": {"total": 1, "covered": 1, "verified": 1}}},
                "requirements": [],
            }
        ],
    }
    record_run(tmp_path / "history", certificate, reports, "ltss-prod", "smoke")
    page = client.get("/history?token=t0k").text
    assert "ltss-prod" in page and 'href="/files/history/0/certificate.html"' in page
    assert client.get("/files/history/0/certificate.html").text == "<p>the certificate</p>"
    for beside in ("/files/history/0/../secret.txt", "/files/history/0/%2E%2E/secret.txt", "/files/history/1/x"):
        assert client.get(beside).status_code == 404, beside
    assert client.get("/files/here/payercert.toml").status_code == 404


def test_a_feed_s_own_options_are_on_the_form_and_reach_the_command_line(client, tmp_path):
    from starlette.datastructures import FormData

    from payercert.ui.app import _request

    page = client.get("/?token=t0k").text
    assert 'name="option:ab2d:strict-ig"' in page and 'name="option:tpastream:receiver-url"' in page
    settings = Settings(token="t0k", workdir=tmp_path / "runs", history=tmp_path / "history", config=None)
    asked = FormData(
        [
            ("feed", "tpastream"),
            ("suite", "webhook-receiver"),
            ("option:tpastream:receiver-url", "https://127.0.0.1:8443/claims"),
            ("option:tpastream:signing-key", ""),  # left empty: not sent
            ("option:ab2d:strict-ig", "1"),  # another feed's option: not this run's
        ]
    )
    line = _request(asked, settings).command_line()
    assert "--receiver-url https://127.0.0.1:8443/claims" in line
    assert "--signing-key" not in line and "--strict-ig" not in line
    strict = _request(FormData([("feed", "ab2d"), ("option:ab2d:strict-ig", "1")]), settings).command_line()
    assert "--strict-ig" in strict


def test_a_file_it_cannot_place_is_said_in_the_page_s_terms_and_then_named(client, tmp_path):
    page = client.get("/validate?token=t0k").text
    assert '<option value="ltss:billing-entry">' in page
    unknown = client.post("/validate?token=t0k", files={"file": ("mystery.json", b'{"hello": 1}')}).text
    assert "cannot tell which feed" in unknown and "name it in the Kind of file field" in unknown
    assert "name it with --" not in unknown and "mystery.json: mystery.json" not in unknown
    named = client.post(
        "/validate?token=t0k",
        files={"file": ("mystery.json", b'{"hello": 1}')},
        data={"kind": "ltss:billing-entry", "as_of": "2026-01-15"},
    ).text
    assert "LTSS-1100-1" in named and "cannot tell" not in named
    wrong_day = client.post("/validate?token=t0k", files={"file": ("m.json", b"{}")}, data={"as_of": "15/01/2026"})
    assert wrong_day.status_code == 400 and "is not a date" in wrong_day.text
