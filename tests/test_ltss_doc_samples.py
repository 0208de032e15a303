"""The LTSS document's own sample requests, run with real curl against the LTSS simulator.

Requirement: the document's sample curl lines (token with -d, token with -F, the Linux unit-based
upload, and the Windows cost-based upload translated to curl) succeed against the simulator
unchanged except for the host, the credentials, the token, the service identifiers and the date.

Each sample is kept below as text copied from the document (000_ee5496ec5d6e37b0.txt, version 4.1),
PDF text-extraction layout included. Only the named steps in LAYOUT, SUBSTITUTIONS and MENDS are
applied to it, programmatically, before the line is joined and run with `subprocess.run(shlex.split())`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from payer_documents import require_payer_document

from payercert.feeds import load_feed
from payercert.server import BackgroundServer
from payercert.simulators.ltss.app import LtssSimulator, create
from payercert.tls import LocalCA

ROOT = Path(__file__).resolve().parents[1]
FEED = load_feed("ltss")
CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(
    CURL is None, reason="the document's samples are curl command lines: curl is not on PATH"
)

DOC_TID = "80a4889c-6f1b-453d-a306-eccfb9382355"  # the samples' TransactionId, never substituted

# --- the document's samples, verbatim (blank lines and line wraps are the PDF's) -------------------

# Sample Requests / Linux: "Passing all options in as a request body".
TOKEN_CURL_D = """curl -X POST \\

https://provtestssoltss.health.maryland.gov /connect/token \\
-H 'Authorization: Basic e2FwcElkfTp7YXBwU2VjcmV0fQ==' \\
-H 'Content-Type: application/x-www-form-urlencoded' \\
-H 'cache-control: no-cache' \\
-d 'grant_type=password&username={{sso_username}}&password={{sso_password}}'"""

# "Alternately, using the Forms options of curl" (a multipart/form-data body; feed.yaml erratum).
TOKEN_CURL_F = """curl -X POST \\

https://provtestssoltss.health.maryland.gov/connect/token \\
-H 'Authorization: Basic e2FwcElkfTp7YXBwU2VjcmV0fQ==' \\
-H 'cache-control: no-cache' \\
-F grant_type=password \\
-F username={{sso_username}} \\

-F password={{sso_password}}"""

# Sample Billing Entry Request / Linux (With Unit-Based Service Identifier).
UNIT_UPLOAD_CURL = """curl -X POST \\

https://provtestltss.health.maryland.gov/ltssv2/Ltss.SelfServeApi.Web/api/providerupload/uploadbillin
gentry \\
-H 'Authorization': 'Bearer {{ api_token }}' \\
-H 'Content-Type': 'application/json' \\
-H 'cache-control': 'no-cache' \\
-data-raw '{ "TransactionId": "80a4889c-6f1b-453d-a306-eccfb9382355", "ServiceIdentifier":
"{{UnitBasedServiceIdentifier}}", "ServiceDate": "09-12-2020", "ClientLtssId": "A1234567890",
"ProviderMa": "A12345678", "Units": 2 }'"""

# Sample Billing Entry Request / Windows (With Cost-Based Service Identifier), PowerShell. The
# TransactionId closes with a typographic quote (U+201D), which PowerShell accepts as a quote.
COST_UPLOAD_POWERSHELL = """$headers = @{
"Authorization" = "Bearer {{access_token}}"
"Cache-Control" = "no-cache"
}
$params = @{
"TransactionId" = "80a4889c-6f1b-453d-a306-eccfb9382355\u201d
"ServiceIdentifier" = "{{CostBasedServiceIdentifier}}"
"ServiceDate" = "09-12-2020"
"ClientLtssId" = "A1234567890"
"ProviderMa" = "A12345678"
"Cost" = 5.4
}
Invoke-WebRequest -Uri
https://provtestltss.health.maryland.gov/ltssv2/Ltss.SelfServeApi.Web/api/providerupload/uploadbilli
ngentry -Headers $headers -Method POST -ContentType "application/json" -Body
($params|ConvertTo-Json)"""

# The PowerShell sample translated to an equivalent curl line (ours, not the document's): the same
# headers (Authorization, Cache-Control, and -ContentType as Content-Type), the same URL, and the
# same JSON body, field for field, with "Cost" = 5.4 (test_cost_translation_matches_powershell).
COST_UPLOAD_CURL = """curl -X POST \\
https://provtestltss.health.maryland.gov/ltssv2/Ltss.SelfServeApi.Web/api/providerupload/uploadbillingentry \\
-H 'Authorization: Bearer {{access_token}}' \\
-H 'Cache-Control: no-cache' \\
-H 'Content-Type: application/json' \\
--data-raw '{"TransactionId": "80a4889c-6f1b-453d-a306-eccfb9382355", "ServiceIdentifier": "{{CostBasedServiceIdentifier}}", "ServiceDate": "09-12-2020", "ClientLtssId": "A1234567890", "ProviderMa": "A12345678", "Cost": 5.4}'"""

# --- the steps applied to a sample, each named ----------------------------------------------------

# Page layout, not command content: the PDF wraps the upload URL at the page edge (feed.yaml records
# the same break, "uploadbillingentr" / "y", in the Test URLs). Blank lines are dropped and
# backslash continuations joined by join_lines().
LAYOUT = [
    ("layout: upload URL wrapped at the page edge", "uploadbillin\ngentry", "uploadbillingentry"),
]

# feed.yaml erratum "Sample Billing Entry Request (Linux)": the four mends it records.
MEND_AUTHORIZATION = (
    "erratum: -H 'Authorization': 'Bearer ...' is two shell words",
    "-H 'Authorization': 'Bearer {{ api_token }}'",
    "-H 'Authorization: Bearer {{ api_token }}'",
)
MEND_CONTENT_TYPE = (
    "erratum: -H 'Content-Type': 'application/json' is two shell words",
    "-H 'Content-Type': 'application/json'",
    "-H 'Content-Type: application/json'",
)
MEND_DATA_RAW = ("erratum: -data-raw for --data-raw", "\n-data-raw '", "\n--data-raw '")
# `-H 'cache-control': 'no-cache'` makes curl drop a header and fetch a second URL, http://no-cache/
# (test_cache_control_split_makes_a_second_transfer).
MEND_CACHE_CONTROL = (
    "erratum: -H 'cache-control': 'no-cache' is two shell words",
    "-H 'cache-control': 'no-cache'",
    "-H 'cache-control: no-cache'",
)
MENDS = [MEND_AUTHORIZATION, MEND_CONTENT_TYPE, MEND_DATA_RAW, MEND_CACHE_CONTROL]
WITHOUT_CACHE_CONTROL = MENDS[:3]

FEED_PATHS = {name: "/" + url.split("/", 3)[3] for name, url in FEED.environments["test"]["urls"].items()}
DOC_BASIC = "e2FwcElkfTp7YXBwU2VjcmV0fQ=="  # base64('{appId}:{appSecret}'), the document's placeholder


def service_date(today: date) -> str:
    """Inside the valid window: the payer's today minus a few days, mm-dd-yyyy."""
    return (today - timedelta(days=3)).strftime("%m-%d-%Y")


def substitutions(target: dict[str, Any], token: str | None = None) -> list[tuple[str, str, str]]:
    """(name, document text, replacement): host, credentials, token, service ids, date."""
    base = target["urls"]["token"].removesuffix(FEED_PATHS["token"])
    creds = target["credentials"]
    services = target["data"]["service_identifiers"]
    unit = next(s["id"] for s in services if s["basis"] == "unit")
    cost = next(s["id"] for s in services if s["basis"] == "cost")
    basic = base64.b64encode(f"{creds['app_id']}:{creds['app_secret']}".encode()).decode()
    today = datetime.now(ZoneInfo(FEED.timezone)).date()
    subs = [
        (
            "host: SSO host, with the document's stray space before /connect/token",
            "https://provtestssoltss.health.maryland.gov /connect/token",
            base + "/connect/token",
        ),
        ("host: SSO host", "https://provtestssoltss.health.maryland.gov", base),
        ("host: upload host", "https://provtestltss.health.maryland.gov", base),
        ("credentials: Basic base64(appId:appSecret)", DOC_BASIC, basic),
        ("credentials: {{sso_username}}", "{{sso_username}}", creds["username"]),
        ("credentials: {{sso_password}}", "{{sso_password}}", creds["password"]),
        ("service identifier: unit-based", "{{UnitBasedServiceIdentifier}}", unit),
        ("service identifier: cost-based", "{{CostBasedServiceIdentifier}}", cost),
        ("date: 09-12-2020 -> inside the 365-day window", "09-12-2020", service_date(today)),
    ]
    if token is not None:
        subs += [
            ("token: {{ api_token }}", "{{ api_token }}", token),
            ("token: {{access_token}} (PowerShell sample)", "{{access_token}}", token),
        ]
    return subs


def apply(text: str, steps: list[tuple[str, str, str]], *, required: bool = False) -> str:
    for name, old, new in steps:
        if required:
            assert old in text, f"step {name!r} does not apply: {old!r} not in the sample"
        text = text.replace(old, new)
    return text


def join_lines(text: str) -> str:
    """Drop the PDF's blank lines, then join backslash-continued lines into one shell line."""
    text = re.sub(r"\n[ \t]*\n", "\n", text)
    return text.replace("\\\n", " ")


def prepare(
    sample: str, target: dict[str, Any], *, token: str | None = None, mends: list[tuple[str, str, str]] = ()
) -> str:
    text = apply(sample, LAYOUT)
    text = apply(text, list(mends), required=True)
    text = apply(text, substitutions(target, token))
    leftovers = [s for s in ("{{", "maryland.gov", "09-12-2020", DOC_BASIC) if s in text]
    assert not leftovers, f"unsubstituted document text left: {leftovers}"
    return join_lines(text)


# --- running curl ---------------------------------------------------------------------------------


@dataclass
class CurlRun:
    argv: list[str]
    returncode: int
    statuses: list[str]  # one %{http_code} per transfer curl made
    headers: dict[str, str]  # the first response's headers, lower-cased names
    body: bytes  # the first response's body

    @property
    def status(self) -> str:
        return self.statuses[0] if self.statuses else ""

    def json(self) -> Any:
        return json.loads(self.body)


_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def run_curl(line: str, ca: LocalCA, workdir: Path) -> CurlRun:
    words = shlex.split(line)
    assert words[0] == "curl", line
    body, headers = workdir / "body", workdir / "headers"
    for f in (body, headers):
        f.unlink(missing_ok=True)
    # Harness options only, none changing the request: -q (ignore any ~/.curlrc), --cacert (trust the
    # local CA), --max-time (keep the suite fast), and -s -o -D -w to capture body, headers, status.
    argv = [
        CURL,
        "-q",
        "--cacert",
        str(ca.ca_path),
        "--max-time",
        "5",
        "-s",
        "-o",
        str(body),
        "-D",
        str(headers),
        "-w",
        "%{http_code}\n",
        *words[1:],
    ]
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    done = subprocess.run(argv, capture_output=True, env=env, timeout=30)
    statuses = re.findall(rb"^(\d{3})$", done.stdout, re.M)
    head: dict[str, str] = {}
    if headers.exists():
        first_block = headers.read_text("latin-1").replace("\r\n", "\n").split("\n\n")[0]
        for raw in first_block.splitlines()[1:]:
            name, sep, value = raw.partition(":")
            if sep:
                head[name.strip().lower()] = value.strip()
    return CurlRun(
        argv, done.returncode, [s.decode() for s in statuses], head, body.read_bytes() if body.exists() else b""
    )


# --- fixtures -------------------------------------------------------------------------------------


@dataclass
class Sim:
    sim: LtssSimulator
    server: BackgroundServer
    target: dict[str, Any]


@pytest.fixture(scope="module")
def ca():
    ca = LocalCA()
    yield ca
    ca.cleanup()


@pytest.fixture(scope="module")
def start_simulator(ca) -> Callable[[], Sim]:
    """Starts a fresh simulator (its own store) per call; all are stopped at module end."""
    servers: list[BackgroundServer] = []

    def start() -> Sim:
        sim = create()
        server = BackgroundServer(sim.app, ca).start()
        servers.append(server)
        return Sim(sim, server, sim.local_target(server.base_url))

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def shared(start_simulator) -> Sim:
    return start_simulator()


def doc_token(s: Sim, ca: LocalCA, workdir: Path) -> str:
    """A token obtained with the document's own -d token sample."""
    run = run_curl(prepare(TOKEN_CURL_D, s.target), ca, workdir)
    assert run.status == "200", run
    return run.json()["access_token"]


# --- the document's text and errata ----------------------------------------------------------------


def test_samples_are_the_documents_text():
    text = require_payer_document(FEED.doc).read_text("utf-8")
    for sample in (TOKEN_CURL_D, TOKEN_CURL_F, UNIT_UPLOAD_CURL, COST_UPLOAD_POWERSHELL):
        assert sample in text
    assert base64.b64decode(DOC_BASIC) == b"{appId}:{appSecret}"


def test_recorded_mends_are_feed_yaml_errata():
    erratum = next(e["text"] for e in FEED.spec["errata"] if e["where"] == "Sample Billing Entry Request (Linux)")
    assert "-H 'Authorization': 'Bearer ...'" in erratum
    assert "-H 'Content-Type': 'application/json'" in erratum
    assert "-data-raw for --data-raw" in erratum
    shared_tid = next(e["text"] for e in FEED.spec["errata"] if e["where"] == "Sample Billing Entry Request")
    assert "share one TransactionId" in shared_tid


def test_cost_translation_matches_powershell():
    blocks = dict(re.findall(r"^\$(\w+) = @\{\n(.*?)\n\}", COST_UPLOAD_POWERSHELL, re.M | re.S))

    def table(block: str) -> dict[str, Any]:
        out = {}
        for key, text, number in re.findall(r'^"([^"]+)" = (?:"([^"\u201d]*)["\u201d]|([-\d.]+))$', block, re.M):
            out[key] = text if not number else float(number)
        assert len(out) == len(block.splitlines()), block
        return out

    ps_headers = {k.lower(): v for k, v in table(blocks["headers"]).items()}
    ps_headers["content-type"] = re.search(r'-ContentType "([^"]+)"', COST_UPLOAD_POWERSHELL).group(1)
    ps_url = re.search(r"-Uri\n(\S+\n\S+) ", COST_UPLOAD_POWERSHELL).group(1).replace("\n", "")

    words = shlex.split(join_lines(COST_UPLOAD_CURL))
    curl_headers = dict(w.split(": ", 1) for w in (words[i + 1] for i, w in enumerate(words) if w == "-H"))
    assert {k.lower(): v for k, v in curl_headers.items()} == ps_headers
    assert json.loads(words[words.index("--data-raw") + 1]) == table(blocks["params"])
    assert table(blocks["params"])["Cost"] == 5.4
    assert ps_url in words


# --- the samples, run ------------------------------------------------------------------------------


@needs_curl
@pytest.mark.parametrize("sample", [TOKEN_CURL_D, TOKEN_CURL_F], ids=["token-d-urlencoded", "token-F-multipart"])
def test_token_sample(sample, shared, ca, tmp_path):
    line = prepare(sample, shared.target)
    assert shared.target["urls"]["token"] in shlex.split(line)  # the document's path is the simulator's
    run = run_curl(line, ca, tmp_path)
    assert run.returncode == 0 and run.statuses == ["200"], run
    assert run.headers["content-type"].startswith("application/json")
    body = run.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "Bearer"


@needs_curl
def test_unit_based_upload_sample(start_simulator, ca, tmp_path):
    s = start_simulator()
    line = prepare(UNIT_UPLOAD_CURL, s.target, token=doc_token(s, ca, tmp_path), mends=MENDS)
    assert s.target["urls"]["upload"] in shlex.split(line)
    run = run_curl(line, ca, tmp_path)
    assert run.returncode == 0 and run.statuses == ["200"], run
    assert run.headers["tid"] == DOC_TID
    entry = s.sim.entries[DOC_TID]
    assert entry["Units"] == 2 and "Cost" not in entry
    assert entry["ServiceIdentifier"] in {
        x["id"] for x in s.target["data"]["service_identifiers"] if x["basis"] == "unit"
    }


@needs_curl
def test_cost_based_upload_sample(start_simulator, ca, tmp_path):
    s = start_simulator()
    line = prepare(COST_UPLOAD_CURL, s.target, token=doc_token(s, ca, tmp_path))
    run = run_curl(line, ca, tmp_path)
    assert run.returncode == 0 and run.statuses == ["200"], run
    assert run.headers["tid"] == DOC_TID
    entry = s.sim.entries[DOC_TID]
    assert entry["Cost"] == 5.4 and "Units" not in entry
    assert entry["ServiceIdentifier"] in {
        x["id"] for x in s.target["data"]["service_identifiers"] if x["basis"] == "cost"
    }


@needs_curl
def test_second_upload_sample_against_one_store_is_1400(start_simulator, ca, tmp_path):
    """feed.yaml erratum: both upload samples carry one TransactionId, so the second gets 1400."""
    s = start_simulator()
    token = doc_token(s, ca, tmp_path)
    first = run_curl(prepare(UNIT_UPLOAD_CURL, s.target, token=token, mends=MENDS), ca, tmp_path)
    assert first.statuses == ["200"] and first.headers["tid"] == DOC_TID, first
    second = run_curl(prepare(COST_UPLOAD_CURL, s.target, token=token), ca, tmp_path)
    assert second.returncode == 0 and second.statuses == ["400"], second
    assert second.headers["tid"] == DOC_TID
    assert second.json()["ErrorCode"] == "1400"
    assert list(s.sim.entries) == [DOC_TID] and s.sim.entries[DOC_TID]["Units"] == 2  # no second entry


# --- the errata, evidenced -------------------------------------------------------------------------


@needs_curl
@pytest.mark.parametrize(
    "left_out, status",
    [
        (None, "500"),  # as printed: no Content-Type at all, body "ata-raw" (LTSS-UP-5)
        (MEND_AUTHORIZATION, "401"),  # no Authorization header (LTSS-UP-1)
        (MEND_CONTENT_TYPE, "500"),  # -H 'Content-Type:' removes the header (LTSS-UP-5)
        (MEND_DATA_RAW, "400"),  # -d 'ata-raw': not a JSON object
    ],
    ids=["as-printed", "authorization-unmended", "content-type-unmended", "data-raw-unmended"],
)
def test_linux_upload_without_the_recorded_mends_fails(left_out, status, start_simulator, ca, tmp_path):
    """As printed (all mends left out), or with just one recorded mend left out, the Linux upload line
    gets no 200 and creates nothing. Everything else is substituted, so only the mends differ."""
    s = start_simulator()
    mends = [] if left_out is None else [m for m in MENDS if m is not left_out]
    run = run_curl(prepare(UNIT_UPLOAD_CURL, s.target, token=doc_token(s, ca, tmp_path), mends=mends), ca, tmp_path)
    assert run.status == status and "200" not in run.statuses, run
    assert run.returncode != 0, run  # curl also takes the stray words for URLs and fails on them
    assert s.sim.entries == {}


def test_linux_upload_as_printed_splits_into_stray_words():
    words = shlex.split(join_lines(apply(UNIT_UPLOAD_CURL, LAYOUT)))
    assert words[words.index("-H") + 1] == "Authorization:"  # an empty header: curl removes it
    assert "Bearer {{ api_token }}" in words  # ... and the value becomes a URL
    assert "-data-raw" in words and "--data-raw" not in words  # -d with the body "ata-raw"


@needs_curl
def test_cache_control_split_makes_a_second_transfer(start_simulator, ca, tmp_path):
    """Without the cache-control mend, `-H 'cache-control': 'no-cache'` still splits: the upload
    itself succeeds, but curl then fetches http://no-cache/ as a second URL and exits non-zero."""
    s = start_simulator()
    line = prepare(UNIT_UPLOAD_CURL, s.target, token=doc_token(s, ca, tmp_path), mends=WITHOUT_CACHE_CONTROL)
    words = shlex.split(line)
    assert words[words.index("cache-control:") + 1] == "no-cache"
    run = run_curl(line, ca, tmp_path)
    assert len(run.statuses) == 2 and run.status == "200" and run.headers["tid"] == DOC_TID, run
    assert list(s.sim.entries) == [DOC_TID]
