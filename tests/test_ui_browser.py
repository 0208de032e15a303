"""`payercert ui` end to end in headless Chromium (Debian's, driven by Playwright), as a QA engineer
uses it: refused without its token; certify a local simulator running a fault profile and watch it
finish NOT CERTIFIED; open the failure and read the requirement, the request and the response;
drop a file and read its findings beside its lines. Every request the pages make stays on
127.0.0.1."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from payercert.ui.app import Settings, create_app

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (Debian package chromium)"),
    pytest.mark.timeout(300),
]
ROOT = Path(__file__).resolve().parents[1]
TOKEN = "test-token-7f3a"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    import uvicorn

    folder = tmp_path_factory.mktemp("ui")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(token=TOKEN, workdir=folder / "runs", history=folder / "history", config=None, port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(20)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context()
    page = context.new_page()
    page.requests = []  # every URL the page asked for
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()
    outside = [u for u in page.requests if urlparse(u).hostname != "127.0.0.1" and not u.startswith("data:")]
    assert not outside, f"the page asked for something outside 127.0.0.1: {outside[:3]}"


def test_refused_without_its_token(page, app_url):
    assert page.goto(app_url + "/").status == 403
    assert page.goto(app_url + "/?token=wrong").status == 403
    assert "token" in page.text_content("body")


def test_certify_a_faulty_simulator_and_read_the_failure(page, app_url):
    page.goto(f"{app_url}/?token={TOKEN}")
    page.check("input[name=feed][value=ltss]")
    page.select_option("select[name=fault]", "ltss:drop-tid-header")
    page.uncheck("input[name=html]")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/runs/[^/?]+$"))
    assert "drop-tid-header" in page.text_content("h1")
    # watched live: the verdict replaces the running state when the run ends
    page.wait_for_selector("text=NOT CERTIFIED", timeout=240_000)
    counts = page.text_content(".counts")
    assert "failed" in counts and not counts.startswith("0 of")
    page.click("#state .group.failed a >> nth=0")
    page.wait_for_url(re.compile(r"/runs/[^/]+/test\?nodeid="))
    body = page.text_content("main")
    assert "LTSS-UP-4" in body  # the requirement the failure is named by, with its text and section
    assert "Upload Billing Entry Response" in body
    assert "--requirement LTSS-UP-4" in body and "--seed 0" in body  # how to replay it
    exchange = page.text_content("main pre:has-text('HTTP 200')")
    assert "POST https://127.0.0.1" in exchange and "TransactionId" in exchange  # request and response
    assert "Bearer [REDACTED]" in exchange  # redacted as the reports are


def test_drop_a_file_and_read_its_findings(page, app_url):
    sample = ROOT / "specs" / "ab2d" / "samples" / "invalid" / "eob-stu3-missing-patient.ndjson"
    page.goto(f"{app_url}/validate?token={TOKEN}")
    page.set_input_files("#file", str(sample))
    page.click("button[type=submit]")
    page.wait_for_selector("#result h2")
    assert "1 error" in page.text_content("#result h2")
    hit = page.text_content(".source tr.hit:has-text('AB2D-EOB-3')")
    assert "required member patient is missing" in hit
    assert hit.strip().startswith("2")  # beside line 2, the line that lacks its patient


def test_stop_a_running_certification(page, app_url):
    page.goto(f"{app_url}/?token={TOKEN}")
    page.check("input[name=feed][value=ab2d]")
    page.uncheck("input[name=html]")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/runs/[^/?]+$"))
    page.wait_for_selector("text=running", timeout=60_000)
    page.click("button.stop")
    page.wait_for_selector("text=STOPPED", timeout=60_000)
    assert "no certificate was written" in page.text_content("#state")
