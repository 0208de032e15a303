"""Render Allure results into an offline HTML report with Allure 3.

Why this module exists: the harness writes Allure results (allure-pytest, Schemathesis); people
want a report that works without the internet. Allure 3 (npm ``allure``, pinned below) renders it
with Node alone: by default as a folder whose index.html shares Allure's scripts and loads each
test's data on demand (a browser reads it from a local web server, `payercert report --serve`), or
as one self-contained HTML file to attach to a ticket (``single_file``, every attachment inlined,
tens of MB for a full run). Its report templates hard-code a Google Tag Manager
``<script>`` that sends the report's id to Google. A healthcare QA report must never phone home,
so after ``allure generate`` every ``.html`` in the output is cleaned of the analytics tag and of
anything else that would load from outside, then checked again; a report that still would is
deleted and the render fails (``ReportRenderError``) rather than being handed out.

The tool is installed on first use into a per-user cache (``allure_home()``), the config file is
written to a temporary directory (never the user's cwd), and failures surface as two one-line
exceptions the CLI can print without a traceback.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from payercert.errors import ReportRenderError, ReportToolMissing

ALLURE_VERSION = "3.18.0"
NPM_TIMEOUT_S = 600
GENERATE_TIMEOUT_S = 300
STATUSES = frozenset({"failed", "broken", "passed", "skipped", "unknown"})


@dataclass
class RenderedReport:
    index: Path  # index.html: the whole report (single file) or its entry page
    output_dir: Path


def allure_home() -> Path:
    """Where the pinned allure npm package is installed: $PAYERCERT_ALLURE_HOME or ~/.cache/payercert/allure-<version>."""
    configured = os.environ.get("PAYERCERT_ALLURE_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "payercert" / f"allure-{ALLURE_VERSION}"


def ensure_allure(home: Path | None = None, say: Callable[[str], None] = lambda line: None) -> Path:
    """Install allure@<version> into ``home`` on first use and return its CLI entry (``cli.js``).

    Raises ReportToolMissing if node or npm is not on PATH, ReportRenderError if npm fails.
    """
    home = Path(home) if home is not None else allure_home()
    _node()
    npm = shutil.which("npm")
    if npm is None:
        raise ReportToolMissing(_missing_message())
    cli = home / "node_modules" / "allure" / "cli.js"
    marker = home / f".payercert-allure-{ALLURE_VERSION}.ok"  # written only after a complete install
    if marker.is_file() and cli.is_file():
        return cli
    say(
        f"installing the HTML report renderer (npm allure@{ALLURE_VERSION}) into {home}: "
        "once per machine, about a minute"
    )
    home.mkdir(parents=True, exist_ok=True)
    # Our own package.json stops npm from walking up and installing into some parent project.
    (home / "package.json").write_text(
        json.dumps({"name": "payercert-allure", "private": True, "dependencies": {"allure": ALLURE_VERSION}}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    _run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact", f"allure@{ALLURE_VERSION}"],
        cwd=home,
        timeout=NPM_TIMEOUT_S,
        what=f"npm install allure@{ALLURE_VERSION}",
    )
    if not cli.is_file():
        raise ReportRenderError(f"npm install allure@{ALLURE_VERSION} finished but {cli} is missing")
    marker.write_text(ALLURE_VERSION + "\n", encoding="utf-8")
    return cli


def render(
    results_dirs: list[Path],
    output_dir: Path,
    *,
    name: str,
    history_path: Path,
    categories: list[Category],
    say: Callable[[str], None] = lambda line: None,
    single_file: bool = False,
) -> RenderedReport:
    """Render ``results_dirs`` into ``output_dir`` (``index.html`` and its data, or with
    ``single_file`` one self-contained ``index.html``).

    ``output_dir`` is emptied first, so two runs never mix. Each render appends one line to
    ``history_path`` (a ``.jsonl``), which gives the report its trend. ``categories`` are
    ``{"name", "statuses", "message_regex"}`` dicts; the first matching one wins, so list specific
    rules before general ones. ``message_regex`` is a JavaScript regex searched (not full-matched)
    in the failure message.
    """
    results = [Path(d).resolve() for d in results_dirs if Path(d).is_dir()]
    if not results:
        shown = ", ".join(str(d) for d in results_dirs) or "(none given)"
        raise ReportRenderError(f"no Allure results to render: {shown}")
    output_dir = Path(output_dir).resolve()
    history_path = Path(history_path).resolve()
    _refuse_dangerous_output(output_dir, [*results, history_path])
    rules = _allure_categories(categories)
    try:
        cli = ensure_allure(say=say)
        node = _node()
    except ReportToolMissing:
        raise ReportToolMissing(_missing_message(results)) from None

    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    history_path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "name": name,
        "output": str(output_dir),
        "historyPath": str(history_path),
        "categories": rules,
        "plugins": {
            "awesome": {
                "options": {"singleFile": single_file, "reportName": name, "groupBy": ["epic", "feature", "story"]}
            }
        },
    }
    with tempfile.TemporaryDirectory(prefix="payercert-allure-") as tmp:
        rc = Path(tmp) / "allurerc.mjs"
        # JSON is valid JavaScript: no user string can break out of the config.
        rc.write_text("export default " + json.dumps(config, indent=2) + ";\n", encoding="utf-8")
        _run(
            [node, str(cli), "generate", *map(str, results), "-c", str(rc), "-o", str(output_dir)],
            cwd=Path(tmp),
            timeout=GENERATE_TIMEOUT_S,
            what="allure generate",
        )

    index = output_dir / "index.html"
    if not index.is_file():
        raise ReportRenderError(f"allure generate wrote no {index}")
    for page in sorted(output_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        cleaned = strip_external_loads(text)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")
        remaining = find_external_loads(cleaned)
        if remaining:
            shutil.rmtree(output_dir)
            raise ReportRenderError(f"{page.name} would still load from outside ({remaining[0]}); report deleted")
    return RenderedReport(index=index, output_dir=output_dir)


# --- categories --------------------------------------------------------------------------------


class Category(TypedDict):
    """A neutral category of failures: the first one whose statuses and message match takes a test."""

    name: str
    statuses: list[str]
    message_regex: str | None  # a JavaScript regex searched in the failure message; None: any message


def _allure_categories(categories: list[Category]) -> list[dict]:
    """Neutral ``{"name", "statuses", "message_regex"}`` -> Allure 3 ``{"name", "matchers"}`` rules."""
    rules = []
    for category in categories:
        statuses = list(category["statuses"])
        unknown = sorted(set(statuses) - STATUSES)
        if unknown:
            raise ValueError(f"category {category['name']!r}: unknown status {unknown[0]!r}")
        matcher: dict = {"statuses": statuses}
        if category.get("message_regex"):
            matcher["message"] = category["message_regex"]
        rules.append({"name": category["name"], "matchers": matcher})
    return rules


# --- cleaning and checking the HTML ------------------------------------------------------------

_ATTRS = r"(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)"
_SCRIPT = re.compile(r"<script\b" + _ATTRS + r">(?P<body>.*?)</script\s*>", re.I | re.S)
_LOADING_TAG = re.compile(
    r"<(?P<tag>link|img|iframe|frame|source|embed|object|audio|video|track|"
    r"input|base|image|use)\b" + _ATTRS + r"/?>",
    re.I,
)
_ATTR = re.compile(r"([^\s\"'>/=]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)")
_URL_ATTRS = {"src", "href", "xlink:href", "srcset", "data", "poster", "background"}
_REMOTE_URL = re.compile(r"^\s*(?:(?:https?|wss?|ftp):)?//", re.I)
_CSS_REMOTE = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"']?)\s*(?:(?:https?:)?//[^\s\"')]+)", re.I)
_JS_REMOTE = re.compile(
    r"\b(?:fetch|sendBeacon|WebSocket|EventSource|importScripts|open)\s*\(\s*"
    r"(?:[\"'`][A-Z]+[\"'`]\s*,\s*)?[\"'`](?:(?:https?|wss?):)?//[^\"'`]+",
    re.I,
)
_META_REFRESH = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[^>]*url\s*=\s*(?:https?:)?//", re.I)
_ANALYTICS = re.compile(
    r"googletagmanager|google-analytics|gtag\s*\(|\bG-LNDJ3J7WT0\b|"
    r"dataLayer\s*=|doubleclick\.net",
    re.I,
)
_DATA_URI = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)[^,\"'\s]*?;base64,(?P<b64>[A-Za-z0-9+/=]+)")
_REPORT_DATA = re.compile(r"\bd\(\"(?P<name>[^\"]+)\",\s*\"(?P<b64>[A-Za-z0-9+/=]*)\"\)")


def _attrs(text: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v.strip("\"'")) for k, v in _ATTR.findall(text)}


def _remote(value: str) -> bool:
    """True if a src/href/srcset value points off the machine (data:, blob:, relative: local)."""
    if value.strip().lower().startswith(("data:", "blob:")):
        return False
    candidates = [part.strip().split(" ")[0] for part in value.split(",")] if "," in value else [value]
    return any(_REMOTE_URL.match(c) for c in candidates)


def _remote_attr(attrs: str) -> str | None:
    for key, value in _attrs(attrs).items():
        if key in _URL_ATTRS and _remote(value):
            return value
    return None


def strip_external_loads(text: str) -> str:
    """Remove analytics scripts and every script/link/img/iframe/... that loads a remote URL."""

    def script(m: re.Match) -> str:
        if _remote_attr(m["attrs"]) or _ANALYTICS.search(m["body"]):
            return ""
        return m.group(0)

    text = _SCRIPT.sub(script, text)
    return _LOADING_TAG.sub(lambda m: "" if _remote_attr(m["attrs"]) else m.group(0), text)


def find_external_loads(text: str) -> list[str]:
    """Everything in an HTML text (and the base64 payloads it embeds) that would load from outside."""
    found = []
    for m in _SCRIPT.finditer(text):
        if (url := _remote_attr(m["attrs"])) is not None:
            found.append(f"<script src={url}>")
    for m in _LOADING_TAG.finditer(text):
        if (url := _remote_attr(m["attrs"])) is not None:
            found.append(f"<{m['tag']} {url}>")
    found += [m.group(0)[:120] for m in _CSS_REMOTE.finditer(text)]
    found += [m.group(0)[:120] for m in _JS_REMOTE.finditer(text)]
    found += [m.group(0)[:120] for m in _META_REFRESH.finditer(text)]
    found += [f"analytics: {m.group(0)}" for m in _ANALYTICS.finditer(text)]
    for payload in _embedded_payloads(text):
        found += find_external_loads(payload)
    return found


def _embedded_payloads(text: str):
    """Decoded text the report carries as base64: the app bundle (data: URIs) and report data.

    Report data is JSON; only the fields the report renders as HTML (``descriptionHtml``) and
    HTML/SVG attachments can load anything, so only those are yielded.
    """
    for m in _DATA_URI.finditer(text):
        if m["type"].lower() in {"text/javascript", "application/javascript", "text/css", "text/html", "image/svg+xml"}:
            if (decoded := _b64text(m["b64"])) is not None:
                yield decoded
    for m in _REPORT_DATA.finditer(text):
        if (decoded := _b64text(m["b64"])) is None:
            continue
        name = m["name"].split("?")[0].lower()
        if name.endswith((".html", ".htm", ".svg")):
            yield decoded
        elif name.endswith(".json"):
            try:
                yield from _html_fields(json.loads(decoded))
            except ValueError:
                continue


def _html_fields(value, key: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _html_fields(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _html_fields(v, key)
    elif isinstance(value, str) and key.lower().endswith("html"):
        yield value


def _b64text(data: str) -> str | None:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


# --- helpers -----------------------------------------------------------------------------------


def _missing_message(results: list[Path] | None = None) -> str:
    kept = f"Allure results are in {', '.join(str(r) for r in results)}" if results else "the Allure results are kept"
    return f"Node.js (node and npm) is not installed: the HTML report was not rendered; {kept}"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ReportToolMissing(_missing_message())
    return node


def _refuse_dangerous_output(output_dir: Path, keep: list[Path]) -> None:
    """output_dir is deleted before each render: never let that be home, cwd or the inputs."""
    for precious in [Path.home().resolve(), Path.cwd().resolve(), *keep]:
        if output_dir == precious or output_dir in precious.parents:
            raise ReportRenderError(f"refusing to empty {output_dir}: it holds {precious}")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run(cmd: list[str], *, cwd: Path, timeout: int, what: str) -> None:
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", "ALLURE_NO_ANALYTICS": "true"}
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ReportToolMissing(_missing_message()) from None
    except subprocess.TimeoutExpired:
        raise ReportRenderError(f"{what} timed out after {timeout} s") from None
    if proc.returncode != 0:
        lines = [_ANSI.sub("", ln).strip() for ln in (proc.stderr or proc.stdout).splitlines()]
        last = next((ln for ln in reversed(lines) if ln), "no output")
        raise ReportRenderError(f"{what} failed (exit {proc.returncode}): {last}")
