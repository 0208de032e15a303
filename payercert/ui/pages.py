"""The web app's pages, rendered on the server: plain HTML, escaped once here, with htmx (vendored
under static/) for the live parts. Every function returns markup; nothing here reads a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from .live import GroupState, RunState, TestState
from .runs import Run

NAV = [("/", "Certify"), ("/runs", "Runs"), ("/validate", "Validate a file"), ("/history", "History")]


def e(value: Any) -> str:
    return escape(str(value), quote=True)


def css_status(status: str) -> str:
    return status.replace(" ", "-")


def badge(status: str, text: str | None = None) -> str:
    return f'<span class="status {e(css_status(status))}">{e(text or status)}</span>'


def layout(title: str, body: str, here: str = "") -> str:
    links = "".join(f'<a href="{href}"{" class=here" if href == here else ""}>{e(name)}</a>' for href, name in NAV)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} · payercert</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{{"includeIndicatorStyles": false, "allowEval": false, "selfRequestsOnly": true}}'>
<link rel="stylesheet" href="/static/ui.css">
<script src="/static/htmx.min.js"></script><script src="/static/htmx-sse.js"></script>
</head><body><header><span class="brand">payercert</span>{links}</header>
<main>{body}</main></body></html>"""


# --- certify ---------------------------------------------------------------------------------------
@dataclass
class FeedInfo:
    id: str
    title: str
    document: str  # the payer document's title and version
    faults: list[tuple[str, str]]  # (name, what it breaks)
    suites: list[str]
    readings: dict[str, dict]  # reading id -> {text, default, options}
    options: list[Any] = field(default_factory=list)  # the feed's own run options (payercert.contract.RunOption)
    kinds: list[tuple[str, str]] = field(default_factory=list)  # (kind id, what it is) of the files it validates


def certify_page(feeds: list[FeedInfo], targets: list[str], error: str | None, active: Run | None) -> str:
    running = (
        f'<p>A certification is running: <a href="/runs/{e(active.id)}">watch it</a>.</p>' if active is not None else ""
    )
    feed_boxes = "".join(
        f'<label><input type="checkbox" name="feed" value="{e(f.id)}"> <b>{e(f.id)}</b> {e(f.title)} '
        f'<span class="hint">({e(f.document)})</span></label>'
        for f in feeds
    )
    target_options = "".join(
        f'<option value="{e(t)}">{e(t)}{" (the bundled simulators)" if t == "local" else ""}</option>' for t in targets
    )
    faults = '<option value="">none: the conforming simulator</option>' + "".join(
        f'<optgroup label="{e(f.id)}">'
        + "".join(f'<option value="{e(f.id)}:{e(n)}">{e(n)} — breaks {e(b)}</option>' for n, b in f.faults)
        + "</optgroup>"
        for f in feeds
    )
    suites = sorted({s for f in feeds for s in f.suites} - {"full", "smoke"})
    suite_options = "".join(f'<option value="{e(s)}">{e(s)}</option>' for s in ["full", "smoke", *suites])
    readings = "".join(_readings_of(f) for f in feeds if f.readings)
    options = "".join(_options_of(f) for f in feeds if f.options)
    problem = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    return layout(
        "Certify",
        f"""<h1>Certify a payer feed</h1>{running}{problem}
<p>payercert checks a payer's system against the payer's own document, requirement by requirement.
Tick a feed and start: with the target <b>local</b> it runs against payercert's simulator of that payer,
which follows the document. To see what a failure looks like, pick a <b>fault profile</b>: the
simulator then breaks one requirement, and the run must say which. To check a file instead, use
<a href="/validate">Validate a file</a>.</p>
<form method="post" action="/runs">
<fieldset><legend>Feeds</legend>{feed_boxes}
<p class="hint">Pick one or more. A fault profile (below) belongs to one feed.</p></fieldset>
<fieldset><legend>Target</legend>
<label>Where to run <select name="target" id="target" hx-get="/secrets" hx-target="#secrets" hx-include="[name=feed]"
 hx-trigger="change">{target_options}</select></label>
<div id="secrets"></div>
<label>Fault profile (local simulators only: shows what a failure looks like)
<select name="fault">{faults}</select></label></fieldset>
<fieldset><legend>Suite</legend><label><select name="suite">{suite_options}</select></label>
<label>Examples per property <input type="number" name="examples" min="1" max="500" placeholder="25"></label>
<label>Seed <input type="number" name="seed" min="0" placeholder="0 on the local simulators"></label>
<label><input type="checkbox" name="html" value="1" checked> Render the Allure HTML report at the end
<span class="hint">(the first time, its renderer is installed once: about a minute)</span></label></fieldset>
<details><summary>Feed options: what a feed adds to a run (your own webhook handler, the IG's strict reading)</summary>{options}</details>
<details><summary>Readings: where a document can be read two ways, which way the payer reads it</summary>{readings}</details>
<details><summary>Waivers: deviations accepted for this run, each with its written reason</summary>
<label><textarea name="waivers" rows="4" cols="80" placeholder="LTSS-AUTH-7: the test SSO answers 400 to a JSON token request (ticket 4711)"></textarea></label>
<p class="hint">One per line, <code>REQUIREMENT-ID: reason</code>. A waived requirement's failure shows as WAIVED with the reason and does not fail the verdict.</p></details>
<p><button type="submit">Start certification</button></p>
</form>""",
        "/",
    )


def _readings_of(feed: FeedInfo) -> str:
    rows = []
    for rid, reading in feed.readings.items():
        default = reading.get("default", "")
        options = "".join(
            f'<option value="{e(name)}"{" selected" if name == default else ""}>{e(name)}{" (default)" if name == default else ""}'
            f" — {e(str(text)[:90])}</option>"
            for name, text in reading.get("options", {}).items()
        )
        rows.append(
            f'<label><b>{e(rid)}</b> <span class="hint">{e(str(reading.get("text", ""))[:200])}</span><br>'
            f'<select name="reading:{e(feed.id)}:{e(rid)}">{options}</select></label>'
        )
    return f"<fieldset><legend>{e(feed.id)}</legend>{''.join(rows)}</fieldset>"


def _options_of(feed: FeedInfo) -> str:
    rows = []
    for option in feed.options:
        where = f" (suite {', '.join(option.suites)})" if option.suites else ""
        field_name = f"option:{e(feed.id)}:{e(option.name)}"
        if option.metavar is None:
            control = f'<input type="checkbox" name="{field_name}" value="1"> <b>--{e(option.name)}</b>'
        else:
            control = (
                f"<b>--{e(option.name)}</b> "
                f'<input type="text" name="{field_name}" size="50" placeholder="{e(option.metavar)}">'
            )
        rows.append(f'<label>{control} <span class="hint">{e(option.help)}{e(where)}</span></label>')
    return f"<fieldset><legend>{e(feed.id)}</legend>{''.join(rows)}</fieldset>"


def secrets_fragment(needed: list[tuple[str, str]]) -> str:
    """Password fields for the credentials the chosen target reads from a variable that is not set."""
    if not needed:
        return ""
    fields = "".join(
        f'<label>{e(label)} <input type="password" name="secret:{e(variable)}" autocomplete="off"></label>'
        for variable, label in needed
    )
    return (
        f"<p class=hint>These credentials are not in the environment. What you type is kept in memory for "
        f"this run only, never written.</p>{fields}"
    )


# --- a run -----------------------------------------------------------------------------------------
def run_page(run: Run, state: RunState) -> str:
    c = run.request
    what = ", ".join(c.feeds) + f" on {c.target}" + (f" with fault {c.fault}" if c.fault else "") + f" ({c.suite})"
    live = (
        f'<div hx-ext="sse" sse-connect="/runs/{e(run.id)}/stream" sse-close="end">'
        f'<div id="state" sse-swap="state">{state_fragment(run, state)}</div></div>'
        if run.running
        else f'<div id="state">{state_fragment(run, state)}</div>'
    )
    return layout(
        f"Run {run.id}",
        f"""<h1>Certification {e(run.id)}: {e(what)}</h1>
<p class="hint">The same run from a terminal:</p><code class="cmd">{e(c.command_line())}</code>
{live}""",
        "/runs",
    )


def state_fragment(run: Run, state: RunState) -> str:
    elapsed = int(run.elapsed)
    percent = f'<progress max="{state.total or 1}" value="{state.done}"></progress>'
    if run.running:
        heading = badge("running", "running")
        current = f" · now: {e(state.current[1])}" if state.current else ""
        stop = (
            f'<button class="stop" hx-post="/runs/{e(run.id)}/stop" hx-target="#stopped" hx-swap="innerHTML">'
            "Stop</button> <span id=stopped></span>"
        )
    else:
        heading, current, stop = _verdicts(run), "", ""
    counts = (
        f'<p class="counts"><span>{state.done} of {state.total} tests</span>'
        f'<span class="passed">{state.count("passed")} passed</span>'
        f'<span class="failed">{state.count("failed") + state.count("broken")} failed</span>'
        f"<span>{state.count('skipped')} skipped</span><span>{state.count('waived')} waived</span>"
        f"<span>{elapsed // 60}:{elapsed % 60:02d} elapsed</span></p>"
    )
    failures = state.failures()
    failed = (
        "<h2>Failures</h2><ul>" + "".join(f"<li>{_test_link(run, t)}</li>" for t in failures) + "</ul>"
        if failures
        else ""
    )
    groups = "".join(_group(run, g) for g in state.groups())
    return f"""<p>{heading}{current} {stop}</p>{percent}{counts}{failed}
<h2>Requirement groups, in the document's order</h2>{groups}"""


def _verdicts(run: Run) -> str:
    if run.stopped_by_user:
        return badge("stopped", "STOPPED") + " The run was stopped: no certificate was written."
    certificate = run.certificate()
    if certificate is None:
        tail = run.output_tail()
        return badge("broken", "NO CERTIFICATE") + f" The run ended without a certificate.<pre>{e(tail)}</pre>"
    verdicts = " ".join(f"{e(f['feed'])} {badge(f['verdict'])}" for f in certificate["feeds"])
    links = "".join(
        f' · <a href="{_file_url(run, name)}">{label}</a>'
        for name, label in (("certificate.html", "certificate"), ("allure-report/index.html", "Allure report"))
        if (run.reports / name).is_file()
    )
    return f"{verdicts}{links}"


def _file_url(run: Run, name: str) -> str:
    return f"/files/runs/{quote(run.id)}/reports/{quote(name)}"


def _group(run: Run, group: GroupState) -> str:
    dots = "".join(f'<span class="dot-{t.status}" title="{e(t.title)}: {e(t.status)}">●</span>' for t in group.tests)
    failing = [t for t in group.tests if t.status in ("failed", "broken")]
    listed = "<ul>" + "".join(f"<li>{_test_link(run, t)}</li>" for t in failing) + "</ul>" if failing else ""
    feed = f"{e(group.feed)} · " if group.feed else ""
    return (
        f'<details class="group {e(group.status)}"{" open" if failing else ""}><summary>{badge(group.status)} '
        f'{feed}{e(group.name)} <span class="hint">{group.count("passed")}/{len(group.tests)} passed</span> '
        f'<span class="dots">{dots}</span></summary>{listed}</details>'
    )


def _test_link(run: Run, test: TestState) -> str:
    href = f"/runs/{quote(run.id)}/test?nodeid={quote(test.nodeid)}"
    named = f" <b>{e(', '.join(test.named))}</b>" if test.named else ""
    return f'{badge(test.status)}{named} <a href="{href}">{e(test.title)}</a><br><span class="hint">{e(test.message[:300])}</span>'


def test_page(
    run: Run, test: TestState, requirements: list[dict], exchanges: list[tuple[str, str]], replay: str
) -> str:
    rows = "".join(
        f"<tr><td><b>{e(r['id'])}</b> {e(r['level'])}</td><td>{e(r['text'])}</td>"
        f"<td>{e(r['document'])} § {e(r['section'])}</td></tr>"
        for r in requirements
    )
    shown = (
        "".join(f"<h3>{e(name)}</h3><pre>{e(text)}</pre>" for name, text in exchanges)
        if exchanges
        else "<p class=hint>No exchange was recorded for this test (it checked a file or a local computation).</p>"
    )
    return layout(
        test.title,
        f"""<p><a href="/runs/{e(run.id)}">← run {e(run.id)}</a></p>
<h1>{badge(test.status)} {e(test.title)}</h1>
<h2>Finding</h2><pre>{e(test.message or "(no message)")}</pre>
<h2>Requirements</h2><table><tr><th>requirement</th><th>text</th><th>document section</th></tr>{rows}</table>
<h2>Replay this test</h2><code class="cmd">{e(replay)}</code>
<h2>The exchanges (redacted as the reports are)</h2>{shown}
<p class="hint">Test id: {e(test.nodeid)}</p>""",
        "/runs",
    )


def runs_page(runs: list[Run]) -> str:
    rows = "".join(
        f'<tr><td><a href="/runs/{e(r.id)}">{e(r.id)}</a></td><td>{e(", ".join(r.request.feeds))}</td>'
        f"<td>{e(r.request.target)}</td><td>{e(r.request.fault or '')}</td>"
        f"<td>{badge('running') if r.running else _verdicts(r)}</td></tr>"
        for r in runs
    )
    body = (
        f"<table><tr><th>run</th><th>feeds</th><th>target</th><th>fault</th><th>verdict</th></tr>{rows}</table>"
        if runs
        else '<p>No certification started here yet: <a href="/">start one</a>.</p>'
    )
    return layout("Runs", f"<h1>Certifications started here</h1>{body}", "/runs")


# --- validate --------------------------------------------------------------------------------------
def validate_page(feeds: list[FeedInfo], result: str = "", error: str | None = None) -> str:
    problem = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    kinds = '<option value="">recognise it from the content</option>' + "".join(
        f'<optgroup label="{e(f.id)}: {e(f.title)}">'
        + "".join(f'<option value="{e(f.id)}:{e(k)}">{e(k)} — {e(text)}</option>' for k, text in f.kinds)
        + "</optgroup>"
        for f in feeds
        if f.kinds
    )
    return layout(
        "Validate a file",
        f"""<h1>Validate a file</h1>{problem}
<form method="post" action="/validate" enctype="multipart/form-data" id="validate-form">
<div class="drop" id="drop"><p>Drop a payer file here, or choose one:</p>
<input type="file" name="file" id="file" required></div>
<p class="hint">The feed and the kind of file are recognised from its content; a file that could be
more than one kind is reported as such, never guessed: then say which it is here.</p>
<label>Kind of file <select name="kind">{kinds}</select></label>
<label>The payer's today <input type="date" name="as_of"> <span class="hint">(rules that count days
from today give the same verdict on any day)</span></label>
<label><input type="checkbox" name="all_errors" value="1"> Every failing rule, not only the first one the
payer would return</label>
<p><button type="submit">Validate</button></p></form>
<div id="result">{result}</div>
<script src="/static/drop.js"></script>""",
        "/validate",
    )


def findings_fragment(name: str, report: Any, lines: list[bytes]) -> str:
    """A file's findings beside the lines they concern (lines without a finding around them are left out)."""
    if report.unusable:
        said = report.unusable if report.unusable.startswith(f"{name}:") else f"{name}: {report.unusable}"
        return f'<p class="error">{e(said)}</p>'
    verdict = badge("failed", f"{report.errors} error(s)") if report.errors else badge("passed", "no errors")
    head = (
        f"<h2>{e(name)}: {verdict}</h2><p>feed <b>{e(report.feed)}</b>, kind <b>{e(report.kind)}</b>, "
        f"{report.records} record(s). <span class=hint>{e(report.recognised_by or '')}</span></p>"
    )
    by_line: dict[int | None, list] = {}
    for finding in report.findings:
        by_line.setdefault(finding.location.line, []).append(finding)
    unplaced = by_line.pop(None, [])
    rows = []
    placed = {line: found for line, found in by_line.items() if line is not None}
    wanted = {n for line in placed for n in range(line - 1, line + 2)}
    for number, text in enumerate(lines, 1):
        if number not in wanted:
            continue
        here = placed.get(number, [])
        notes = "".join(
            f'<div class="finding {e(f.severity.value)}"><b>{e(f.requirement)}</b> {e(f.location.pointer or "")}: '
            f"{e(f.message)}</div>"
            for f in here
        )
        shown = text.decode("utf-8", errors="replace")
        shown = shown if len(shown) <= 400 else shown[:400] + f" … ({len(shown)} characters)"
        rows.append(
            f'<tr class="{"hit" if here else ""}"><td class="ln">{number}</td><td><code>{e(shown)}</code>{notes}</td></tr>'
        )
    whole = "".join(
        f'<li class="finding {e(f.severity.value)}"><b>{e(f.requirement)}</b> {e(str(f.location))}: {e(f.message)}</li>'
        for f in unplaced
    )
    table = f'<table class="source">{"".join(rows)}</table>' if rows else ""
    return head + (f"<ul>{whole}</ul>" if whole else "") + table


# --- history ---------------------------------------------------------------------------------------
def history_page(entries: list[dict[str, Any]], where: str) -> str:
    if not entries:
        return layout(
            "History",
            f"<h1>History</h1><p>No run recorded in {e(where)} yet. Every certify run adds a line there "
            "(scheduled smoke runs included).</p>",
            "/history",
        )
    series: dict[tuple[str, str], list[dict]] = {}
    for entry in entries:
        for feed in entry.get("feeds", []):
            series.setdefault((feed["feed"], entry.get("target", "")), []).append({**feed, "run": entry})
    trend = "".join(
        f"<tr><td>{e(feed)}</td><td>{e(target)}</td><td class=chips>"
        + "".join(
            f'<span class="{e(css_status(p["verdict"]))}" title="{e(p["run"].get("finished", ""))}: {e(p["verdict"])}"></span>'
            for p in points[-60:]
        )
        + f"</td><td>{badge(points[-1]['verdict'])}</td></tr>"
        for (feed, target), points in sorted(series.items())
    )
    rows = "".join(_history_row(entry) for entry in reversed(entries[-200:]))
    return layout(
        "History",
        f"""<h1>History</h1><p class=hint>From {e(where)}: every certify run, the scheduled ones too.</p>
<h2>Verdicts over time</h2><table><tr><th>feed</th><th>target</th><th>oldest → newest</th><th>last</th></tr>{trend}</table>
<h2>Runs</h2><table><tr><th>finished</th><th>target</th><th>suite</th><th>verdicts</th><th>reports</th></tr>{rows}</table>""",
        "/history",
    )


def _history_row(entry: dict[str, Any]) -> str:
    verdicts = " ".join(f"{e(f['feed'])} {badge(f['verdict'])}" for f in entry.get("feeds", []))
    links = []
    for name, label in (("certificate.html", "certificate"), ("allure-report/index.html", "Allure report")):
        if entry.get("reports_url"):
            links.append(f'<a href="{e(entry["reports_url"])}/{quote(name)}">{label}</a>')
    return (
        f"<tr><td>{e(entry.get('finished', ''))}</td><td>{e(entry.get('target', ''))}</td>"
        f"<td>{e(entry.get('suite', ''))}{' · fault ' + e(entry['fault']) if entry.get('fault') else ''}</td>"
        f"<td>{verdicts}</td><td>{' · '.join(links) or e(entry.get('reports', ''))}</td></tr>"
    )
