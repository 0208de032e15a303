"""The Allure 3 HTML report renders offline and never loads anything from outside.

The report is a folder sharing Allure's scripts (served by `payercert report --serve`), or on request
one self-contained file. The decisive check opens the served report in headless Chromium whose only
way out is a recording proxy on 127.0.0.1: the proxy must record nothing for our report, and must
record the request of a copy that was given a remote script (so the check is not vacuous).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from payercert.errors import PayercertError, ReportToolMissing
from payercert.reporting.allure_html import (
    _allure_categories,
    ensure_allure,
    find_external_loads,
    render,
    strip_external_loads,
)
from payercert.reporting.serve import ReportServer

HAS_NODE = bool(shutil.which("node") and shutil.which("npm"))
needs_node = pytest.mark.skipif(
    not HAS_NODE, reason="node and npm are not on PATH: Allure 3 (npm 'allure') cannot render"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium)")

CATEGORIES = [
    {"name": "Payer non-conformance", "statuses": ["failed"], "message_regex": None},
    # allure-pytest writes a custom exception's qualified name ("pkg.mod.TransportError: ..."),
    # so a bare "^TransportError" would never match one defined in a module.
    {"name": "Transport failures", "statuses": ["broken"], "message_regex": r"^(?:[\w.]+\.)?TransportError\b"},
    {"name": "Harness errors", "statuses": ["broken"], "message_regex": None},
]

SAMPLE_TESTS = textwrap.dedent("""
    import allure

    class TransportError(Exception):
        pass

    @allure.epic("Claims")
    @allure.feature("837P submission")
    @allure.story("Accepted claim")
    def test_claim_accepted():
        assert True

    @allure.epic("Claims")
    @allure.feature("837P submission")
    @allure.story("Rejected claim")
    def test_claim_rejected():
        assert "A3" == "A1", "payer returned status A3"

    @allure.epic("Eligibility")
    @allure.feature("270/271")
    @allure.story("Endpoint down")
    def test_eligibility_endpoint():
        raise TransportError("payer endpoint unreachable")
""")


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def allure_results(tmp_path_factory) -> Path:
    """A real allure-results dir, written by allure-pytest in a child pytest."""
    work = tmp_path_factory.mktemp("sample")
    (work / "pytest.ini").write_text("[pytest]\n")
    (work / "test_sample.py").write_text(SAMPLE_TESTS)
    results = work / "allure-results"
    # Autoload off so only allure-pytest is loaded, whatever else the venv registers.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "allure_pytest.plugin",
            "-p",
            "no:cacheprovider",
            "-c",
            str(work / "pytest.ini"),
            f"--alluredir={results}",
            "test_sample.py",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one failure, one error: exit 1
    assert len(list(results.glob("*-result.json"))) == 3, proc.stdout
    return results


def _rendered(allure_results, out: Path, single_file: bool):
    ensure_allure()  # first use installs into the cache; later runs reuse it
    return render(
        [allure_results],
        out / "html",
        name="Payer X certification",
        history_path=out / "history.jsonl",
        categories=CATEGORIES,
        single_file=single_file,
    )


@pytest.fixture(scope="module")
def report(allure_results, tmp_path_factory):
    return _rendered(allure_results, tmp_path_factory.mktemp("report"), single_file=False)


@pytest.fixture(scope="module")
def single_report(allure_results, tmp_path_factory):
    return _rendered(allure_results, tmp_path_factory.mktemp("single"), single_file=True)


@pytest.fixture(scope="module")
def served(report):
    """The report folder as `payercert report --serve` serves it: (server, URL of the Allure report)."""
    reports = report.output_dir.parent
    (reports / "allure-report").symlink_to(report.output_dir)
    server = ReportServer(reports)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.server.started:
        time.sleep(0.01)
    yield server, server.url("allure-report/index.html")
    server.server.should_exit = True
    thread.join(timeout=5)


class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that records each request line (or CONNECT) and answers 502."""

    def __init__(self):
        self.requests: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket):
        with conn:
            conn.settimeout(5)
            try:
                head = conn.recv(65536)
                if head:
                    self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass

    def close(self):
        self._server.close()


@pytest.fixture
def proxy():
    p = RecordingProxy()
    yield p
    p.close()


# Chromium itself (not the page) calls Google at startup: sign-in ListAccounts
# (accounts.google.com), the component updater (update.googleapis.com) and network time
# (clients2.google.com); no flag stops the first two. On a page served over http its autofill asks
# content-autofill.googleapis.com about the page's forms: AutofillServerCommunication is turned off. They are sent straight to an unresolvable
# address so they leave nothing on the wire and nothing in the proxy's record. The static check
# in render() would still catch a report that names these hosts.
BROWSER_OWN_HOSTS = ["accounts.google.com", "update.googleapis.com", "clients2.google.com"]


def chromium(page: Path | str, proxy_port: int, profile: Path, *extra: str) -> str:
    """Chromium's output for `page` (a file, or a URL on 127.0.0.1 that the proxy lets through)."""
    url = page.as_uri() if isinstance(page, Path) else page
    direct = [url.split("/")[2]] if url.startswith("http://127.0.0.1:") else []
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,AutofillServerCommunication",
        "--no-pings",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>;" + ";".join(BROWSER_OWN_HOSTS + direct),
        "--host-resolver-rules=" + ", ".join(f"MAP {h} ~NOTFOUND" for h in BROWSER_OWN_HOSTS),
        "--virtual-time-budget=5000",
        *extra,
        url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


EMBEDDED = re.compile(r'd\("[\w/.-]+\.json","')  # a data file inlined into a single-file report


def report_data(index: Path, name: str):
    m = re.search(r'd\("' + re.escape(name) + r'","([A-Za-z0-9+/=]*)"\)', index.read_text())
    assert m, f"{name} not embedded in the report"
    return json.loads(base64.b64decode(m.group(1)))


# --- no npm needed -----------------------------------------------------------------------------


def test_categories_translate_to_allure3_matchers():
    assert _allure_categories(CATEGORIES) == [
        {"name": "Payer non-conformance", "matchers": {"statuses": ["failed"]}},
        {
            "name": "Transport failures",
            "matchers": {"statuses": ["broken"], "message": r"^(?:[\w.]+\.)?TransportError\b"},
        },
        {"name": "Harness errors", "matchers": {"statuses": ["broken"]}},
    ]
    with pytest.raises(ValueError, match="unknown status"):
        _allure_categories([{"name": "x", "statuses": ["failing"]}])


def test_cleaning_removes_analytics_and_remote_loads():
    page = textwrap.dedent("""
        <html><head>
        <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
        <link rel="stylesheet" href="https://cdn.example.org/a.css">
        <link rel="preconnect" href="//fonts.example.org">
        </head><body>
        <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
        <script>
            window.dataLayer = window.dataLayer || [];
            function gtag(){dataLayer.push(arguments);}
            gtag('config', 'G-LNDJ3J7WT0', {});
        </script>
        <script>window.allure = {};</script>
        <img srcset="a.png 1x, https://img.example.org/b.png 2x">
        <iframe src='https://example.org/frame'></iframe>
        <a href="https://allurereport.org">a link is not a load</a>
        </body></html>
    """)
    assert len(find_external_loads(page)) >= 6
    cleaned = strip_external_loads(page)
    assert find_external_loads(cleaned) == []
    assert "window.allure = {};" in cleaned and "data:image/svg+xml" in cleaned
    assert 'href="https://allurereport.org"' in cleaned
    for gone in ("googletagmanager", "gtag(", "G-LNDJ3J7WT0", "example.org/a.css", "img.example"):
        assert gone not in cleaned


def test_check_sees_remote_loads_inside_embedded_payloads():
    bundle = base64.b64encode(b'navigator.sendBeacon("https://t.example.org/c", x)').decode()
    desc = base64.b64encode(
        json.dumps({"descriptionHtml": '<img src="https://t.example.org/logo.png">'}).encode()
    ).decode()
    page = (
        f'<script src="data:text/javascript;base64,{bundle}"></script>'
        f'<script defer>Promise.allSettled([d("data/test-results/1.json","{desc}")])</script>'
    )
    found = find_external_loads(page)
    assert any("sendBeacon" in f for f in found), found
    assert any("logo.png" in f for f in found), found


def test_missing_node_is_a_one_line_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm
    with pytest.raises(ReportToolMissing) as err:
        ensure_allure(tmp_path / "home")
    assert "\n" not in str(err.value) and "Node.js" in str(err.value)


# --- rendering with the real tool --------------------------------------------------------------


@needs_node
def test_report_is_a_folder_that_shares_its_assets(report):
    assert report.index == report.output_dir / "index.html" and report.index.is_file()
    html = report.index.read_text(encoding="utf-8")
    assert "<title> Payer X certification </title>" in html
    assert len(html) < 64_000 and not EMBEDDED.search(html)  # the page, not the data
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert scripts and all((report.output_dir / src).is_file() for src in scripts)  # shared, beside it
    assert len(list((report.output_dir / "data" / "test-results").glob("*.json"))) == 3
    for marker in ("googletagmanager", "gtag(", "G-LNDJ3J7WT0"):
        for page in report.output_dir.rglob("*"):
            if page.is_file():
                assert marker not in page.read_text(encoding="utf-8", errors="replace"), page
    assert find_external_loads(html) == []
    listed = json.loads((report.output_dir / "test-results.json").read_text())["byId"].values()
    names = {tr["name"] for tr in listed}
    assert names == {"test_claim_accepted", "test_claim_rejected", "test_eligibility_endpoint"}


@needs_node
def test_single_file_report_embeds_everything(single_report):
    html = single_report.index.read_text(encoding="utf-8")
    assert EMBEDDED.search(html) and not (single_report.output_dir / "data").exists()
    assert find_external_loads(html) == []
    assert "test_claim_rejected" in json.dumps(report_data(single_report.index, "widgets/tree.json"))


def test_report_server_answers_only_its_own_path_on_127_0_0_1(tmp_path):
    (tmp_path / "certificate.html").write_text("<p>certified</p>")
    server = ReportServer(tmp_path)
    client = TestClient(server.app, base_url="http://127.0.0.1")
    assert server.url("certificate.html").startswith("http://127.0.0.1:")
    assert client.get(f"/{server.token}/certificate.html").text == "<p>certified</p>"
    assert client.get("/certificate.html").status_code == 404
    assert client.get(f"/{server.token}/certificate.html", headers={"host": "evil.example"}).status_code == 400
    assert [what for what, _ in server.links()] == ["certificate"]
    server.socket.close()


def test_serving_a_folder_without_reports_is_a_one_line_error(tmp_path):
    with pytest.raises(PayercertError, match="holds no rendered report"):
        ReportServer(tmp_path)


@needs_node
def test_categories_come_from_our_rules(report, allure_results):
    tree = json.loads((report.output_dir / "widgets" / "categories.json").read_text())
    nodes = tree["nodes"]

    def tests_under(node_id):
        node = nodes[node_id]
        if node.get("type") == "tr":
            return {node["name"]}
        return set().union(*(tests_under(c) for c in node.get("childrenIds", [])))

    shown = {nodes[r]["name"]: tests_under(r) for r in tree["roots"]}
    assert shown == {
        "Payer non-conformance": {"test_claim_rejected"},
        "Transport failures": {"test_eligibility_endpoint"},
    }
    # the surprise the regex above allows for:
    message = next(
        json.loads(p.read_text())["statusDetails"]["message"]
        for p in allure_results.glob("*-result.json")
        if "TransportError" in p.read_text()
    )
    assert message.startswith("test_sample.TransportError: ")


@needs_node
def test_history_gains_one_line_per_render(allure_results, tmp_path):
    history = tmp_path / "history.jsonl"
    for _ in range(2):
        render([allure_results], tmp_path / "html", name="trend", history_path=history, categories=CATEGORIES)
    assert len(history.read_text().splitlines()) == 2


@needs_node
def test_output_dir_is_emptied_first(allure_results, tmp_path):
    out = tmp_path / "html"
    out.mkdir()
    (out / "stale.html").write_text("<script src='https://example.org/old.js'></script>")
    render([allure_results], out, name="fresh", history_path=tmp_path / "h.jsonl", categories=CATEGORIES)
    assert not (out / "stale.html").exists()


# --- the decisive check: a real browser, a recording proxy --------------------------------------


@needs_node
@needs_chromium
def test_browser_loads_nothing_from_outside(served, proxy, tmp_path):
    dom = chromium(served[1], proxy.port, tmp_path / "profile", "--dump-dom")
    assert proxy.requests == []
    text = visible_text(dom)  # the app really ran: the tree and the failed test are on screen
    assert "Claims" in text and "test_claim_rejected" in text, text[:500]


@needs_node
@needs_chromium
def test_browser_check_catches_a_remote_script(single_report, proxy, tmp_path):
    tainted = tmp_path / "index.html"
    html = single_report.index.read_text(encoding="utf-8")
    tainted.write_text(
        html.replace("</body>", '<script src="https://example.org/x.js"></script></body>'), encoding="utf-8"
    )
    chromium(tainted, proxy.port, tmp_path / "profile", "--dump-dom")
    assert any("example.org" in line for line in proxy.requests), proxy.requests


def test_the_renderer_install_says_what_it_installs_and_happens_once(tmp_path, monkeypatch):
    from payercert.reporting import allure_html

    monkeypatch.setattr(allure_html, "_node", lambda: "node")
    monkeypatch.setattr(allure_html.shutil, "which", lambda name: f"/usr/bin/{name}")

    def npm_install(cmd, *, cwd, timeout, what):
        (cwd / "node_modules" / "allure").mkdir(parents=True)
        (cwd / "node_modules" / "allure" / "cli.js").write_text("")

    monkeypatch.setattr(allure_html, "_run", npm_install)
    said: list[str] = []
    allure_html.ensure_allure(tmp_path, say=said.append)
    assert len(said) == 1 and f"allure@{allure_html.ALLURE_VERSION}" in said[0] and "once" in said[0]
    allure_html.ensure_allure(tmp_path, say=said.append)
    assert len(said) == 1  # installed: nothing more to say
