"""The conformance certificate: what a QA lead shows before go-live.

For each feed of a certify run: every requirement of the payer's document, the tests that check
it, their status, coverage by level, and a verdict. Written by every certify run as
``certificate.json`` and ``certificate.html`` in the run's reports folder.

Inputs are filled by the pytest plugin: one :class:`FeedRun` per feed, each with the
:class:`TestOutcome` of every test that ran (or was skipped or waived).

Rules
-----
Per requirement (from the outcomes that name it, catalogue order):

* ``client-side``  ``applies_to == "client"``: checked by ``payercert validate`` on files, not by
  endpoint suites; excluded from coverage and verdict (its tests are still listed).
* ``manual``       ``applies_to == "manual"``: no black-box test can observe it (a payer's website,
  help desk or outage; the requirement's text says why); checked by hand, excluded like client-side.
* ``out of scope`` a run of a suite that certifies the user's side (``FeedRun.client_areas``, e.g.
  a suite that certifies the user's webhook handler): every requirement that is not ``applies_to == "client"`` in
  one of those areas; excluded like client-side. The client requirements of those areas are then
  counted, in coverage and verdict, exactly as server requirements are in a full run.
* ``failed``       an outcome failed, not waived.
* ``inconclusive`` an outcome broke and none failed, not waived: the run could not tell (a
  transport error or timeout, a failure that did not reproduce on replay, or a defect of
  payercert's own, whose traceback is the test's ``detail``). Never a failure of the target.
* ``waived``       it would have failed (or an outcome has status ``waived``) and the target has
  a written waiver for it; the reason is the row's message.
* ``passed``       at least one outcome passed and none failed or broke.
* ``skipped``      all its outcomes were skipped; the message carries the skip reason(s).
* ``not covered``  no outcome names it.

Coverage (in-scope requirements only: ``applies_to`` server or both, or the client areas of a
client suite), per level and
in all: ``total``; ``covered`` = named by at least one outcome (whatever its status);
``verified`` = status passed or waived.

Verdict per feed: suite ``full`` (or a client suite): ``NOT CERTIFIED`` when a requirement failed,
a test that names no catalogued requirement failed, or an in-scope MUST requirement is skipped or
not covered; else ``INCONCLUSIVE`` when anything is inconclusive (a MUST requirement among them is
not verified either); else ``CERTIFIED``. Reasons are one line each. Suite ``smoke``: ``SMOKE
FAILED`` / ``INCONCLUSIVE`` / ``SMOKE PASSED`` by the same order; a ``--requirement`` run:
``CHECKS FAILED`` / ``INCONCLUSIVE`` / ``CHECKS PASSED``.
Overall: a failing verdict if any feed has one (``NOT CERTIFIED``, or ``SMOKE FAILED`` /
``CHECKS FAILED`` when every feed ran that way); else ``INCONCLUSIVE`` if any feed is; else
``CERTIFIED`` when every feed is, ``SMOKE PASSED`` or ``CHECKS PASSED`` otherwise.
``overall.ok`` (and :func:`verdict_ok`) is true when every feed is green; :func:`exit_code` maps
the overall verdict to the run's exit status (0 green, 1 failing, 3 inconclusive).

certificate.json shape (stable; keys are only ever added)::

    {"payercert_version", "generated",
     "overall": {"verdict", "ok"}, "seed",
     "feeds": [{"feed", "title", "document": {"doc", "title", "version"},
                "target", "environment", "suite", "fault", "started", "finished",
                "verdict", "reasons": [str],
                "coverage": {"levels": {"MUST"|"SHOULD"|"MAY": {"total", "covered", "verified"}},
                             "all": {"total", "covered", "verified"}, "client_side": int, "manual": int},
                "last_green": {"finished", "target", "suite", "verdict"} | null,
                "requirements": [{"id", "level", "applies_to", "area", "text", "section",
                                  "reading", "status", "message",
                                  "tests": [{"nodeid", "title", "status", "message", "detail"}]}],
                "unlinked_tests": [{"nodeid", "title", "status", "message", "detail", "requirements"}],
                "unknown_requirement_ids": [str]}]}

Times are ISO 8601 in UTC. ``last_green`` is the feed's last green run *including this one*
(so it is this run when this run is green). Nothing else goes in: no secrets, no URLs.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payercert import __version__
from payercert.errors import EXIT_FINDINGS, EXIT_INCONCLUSIVE, EXIT_OK
from payercert.feeds import LEVELS, Feed, Requirement, document_name

CERTIFIED = "CERTIFIED"
NOT_CERTIFIED = "NOT CERTIFIED"
SMOKE_PASSED = "SMOKE PASSED"
SMOKE_FAILED = "SMOKE FAILED"
CHECKS_PASSED = "CHECKS PASSED"
CHECKS_FAILED = "CHECKS FAILED"
INCONCLUSIVE = "INCONCLUSIVE"
GREEN = frozenset({CERTIFIED, SMOKE_PASSED, CHECKS_PASSED})
FAILING = frozenset({NOT_CERTIFIED, SMOKE_FAILED, CHECKS_FAILED})

OUTCOME_STATUSES = ("passed", "failed", "broken", "skipped", "waived")
REQUIREMENT_STATUSES = (
    "passed",
    "failed",
    "inconclusive",
    "waived",
    "skipped",
    "not covered",
    "client-side",
    "manual",
    "out of scope",
)
CLIENT_SIDE_NOTE = "checked by payercert validate on files, not by endpoint suites"
MANUAL_NOTE = "no black-box test can observe it: checked by hand"
OUT_OF_SCOPE_NOTE = "not checked by this suite (the feed's full suite certifies the payer's side)"
ONLY_NOTE = "not checked by this run (--requirement chose others)"
EXCLUDED = ("client-side", "manual", "out of scope")
MESSAGE_MAX = 400


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest test class

    nodeid: str
    title: str  # human test title
    feed: str
    requirements: tuple[str, ...]  # requirement ids the test verifies
    status: str  # passed | failed | broken | skipped | waived
    message: str = ""  # one line: failure, skip or waiver reason
    duration: float = 0.0
    detail: str = ""  # evidence beyond the line: a defect of payercert's own shows its traceback


@dataclass
class FeedRun:
    feed: Feed
    target: str  # target name, e.g. "local", "sandbox"
    environment: str  # e.g. "simulator", "test", "production"
    suite: str  # "full" or "smoke"
    started: datetime  # timezone-aware UTC
    finished: datetime
    outcomes: list[TestOutcome]
    waivers: dict[str, str]  # requirement id -> written reason
    fault: str | None = None  # simulator fault profile, if any
    client_areas: tuple[str, ...] = ()  # a client suite: the areas of client requirements it certifies
    only: tuple[str, ...] = ()  # a run of some requirements' tests only (--requirement): a check, not a certification
    # requirement -> {governed, checked, missed}: the places it governs and those a check reached
    surfaces: dict[str, dict[str, list[str]]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# building


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _one_line(text: Any) -> str:
    line = re.sub(r"\s+", " ", str(text or "")).strip()
    return line if len(line) <= MESSAGE_MAX else line[: MESSAGE_MAX - 1] + "…"


def _status(outcome: TestOutcome) -> tuple[str, str]:
    status = (outcome.status or "").lower()
    message = _one_line(outcome.message)
    if status == "error":
        status = "broken"
    if status not in OUTCOME_STATUSES:
        message = _one_line(f"unknown test status {outcome.status!r}. {message}")
        status = "broken"
    return status, message


def _requirement_status(
    req: Requirement,
    tests: list[dict],
    waivers: dict[str, str],
    client_areas: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
) -> tuple[str, str]:
    statuses = [t["status"] for t in tests]
    first = {s: next((t["message"] for t in tests if t["status"] == s), "") for s in set(statuses)}
    waiver = waivers.get(req.id)
    if only and req.id not in only and not tests:
        return "out of scope", ONLY_NOTE
    if client_areas:
        if req.applies_to != "client" or req.area not in client_areas:
            return "out of scope", OUT_OF_SCOPE_NOTE
    elif req.applies_to == "client":
        return "client-side", CLIENT_SIDE_NOTE
    elif req.applies_to == "manual":
        return "manual", MANUAL_NOTE
    if not tests:
        return "not covered", ""
    would_fail = "failed" in statuses or "broken" in statuses
    if would_fail and waiver is not None:
        return "waived", _one_line(waiver)
    if "failed" in statuses:
        return "failed", first["failed"]
    if "broken" in statuses:
        return "inconclusive", first["broken"]
    if "waived" in statuses:
        return "waived", _one_line(waiver) if waiver is not None else first["waived"]
    if "passed" in statuses:
        return "passed", _one_line(f"waiver on file, not needed: {waiver}") if waiver else ""
    reasons = list(dict.fromkeys(t["message"] for t in tests if t["message"]))
    return "skipped", "; ".join(reasons)


def _coverage(rows: list[dict]) -> dict:
    def count(sel: list[dict]) -> dict:
        return {
            "total": len(sel),
            "covered": sum(1 for r in sel if r["tests"]),
            "verified": sum(1 for r in sel if r["status"] in ("passed", "waived")),
        }

    scope = [r for r in rows if r["status"] not in EXCLUDED]
    return {
        "levels": {lvl: count([r for r in scope if r["level"] == lvl]) for lvl in LEVELS},
        "all": count(scope),
        "surfaces": {
            "governed": sum(len(r["surfaces"]["governed"]) for r in scope if r.get("surfaces")),
            "checked": sum(len(r["surfaces"]["checked"]) for r in scope if r.get("surfaces")),
            "requirements": sum(1 for r in scope if r.get("surfaces")),
        },
        "client_side": sum(1 for r in rows if r["status"] == "client-side"),
        "manual": sum(1 for r in rows if r["status"] == "manual"),
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _verdict(
    suite: str, rows: list[dict], unlinked: list[dict], client_suite: bool = False, partial: bool = False
) -> tuple[str, list[str]]:
    """Failures first (they decide), then what could not be told, each as one-line reasons."""
    failures: list[str] = []
    unknowns: list[str] = []
    for r in rows:
        if r["status"] == "failed":
            failures.append(f"{r['id']} failed" + (f": {r['message']}" if r["message"] else ""))
        elif r["status"] == "inconclusive":
            unknowns.append(f"{r['id']} inconclusive" + (f": {r['message']}" if r["message"] else ""))
    for t in unlinked:
        if t["status"] in ("failed", "broken"):
            what, into = ("failed", failures) if t["status"] == "failed" else ("inconclusive", unknowns)
            into.append(
                f"test {t['title'] or t['nodeid']} {what}, naming no catalogued requirement"
                + (f": {t['message']}" if t["message"] else "")
            )
    if suite == "smoke":
        return _decide(failures, unknowns, SMOKE_FAILED, SMOKE_PASSED)
    if partial:  # some requirements' tests only: they pass or fail, nothing is certified
        return _decide(failures, unknowns, CHECKS_FAILED, CHECKS_PASSED)
    unverified = [r for r in rows if r["level"] == "MUST" and r["status"] in ("skipped", "not covered")]
    if unverified:
        items = ", ".join(
            f"{r['id']} (skipped: {r['message']})"
            if r["status"] == "skipped" and r["message"]
            else f"{r['id']} ({r['status']})"
            for r in unverified
        )
        failures.append(f"{_plural(len(unverified), 'MUST requirement')} not verified: {items}")
    if suite != "full" and not client_suite:
        failures.insert(0, f"unknown suite {suite!r}: only a full suite can certify")
    return _decide(failures, unknowns, NOT_CERTIFIED, CERTIFIED)


def _decide(failures: list[str], unknowns: list[str], failing: str, green: str) -> tuple[str, list[str]]:
    if failures:
        return failing, failures + unknowns
    if unknowns:
        return INCONCLUSIVE, unknowns
    return green, []


def _feed_entry(run: FeedRun, last_green: dict[str, dict]) -> dict:
    feed = run.feed
    source = feed.spec.get("source", {}) or {}
    tests_by_req: dict[str, list[dict]] = {rid: [] for rid in feed.requirements}
    unlinked: list[dict] = []
    unknown: set[str] = set()
    for outcome in run.outcomes:
        status, message = _status(outcome)
        test = {
            "nodeid": outcome.nodeid,
            "title": _one_line(outcome.title),
            "status": status,
            "message": message,
            "detail": outcome.detail,
        }
        known = [rid for rid in outcome.requirements if rid in tests_by_req]
        unknown.update(rid for rid in outcome.requirements if rid not in tests_by_req)
        for rid in dict.fromkeys(known):
            tests_by_req[rid].append(test)
        if not known:
            unlinked.append({**test, "requirements": list(outcome.requirements)})

    rows = []
    for rid, req in feed.requirements.items():
        tests = tests_by_req[rid]
        status, message = _requirement_status(req, tests, run.waivers or {}, run.client_areas, run.only)
        rows.append(
            {
                "id": req.id,
                "level": req.level,
                "applies_to": req.applies_to,
                "area": req.area,
                "text": req.text,
                "section": req.section,
                "reading": req.reading,
                "status": status,
                "message": message,
                "tests": tests,
                "surfaces": run.surfaces.get(rid) if status not in EXCLUDED else None,
            }
        )

    verdict, reasons = _verdict(run.suite, rows, unlinked, bool(run.client_areas), bool(run.only))
    finished = _iso(run.finished)
    if verdict in (CERTIFIED, SMOKE_PASSED):  # a partial check is not the feed's last green run
        last_green[feed.id] = {"finished": finished, "target": run.target, "suite": run.suite, "verdict": verdict}
    return {
        "feed": feed.id,
        "title": feed.title,
        "document": {"doc": source.get("doc"), "title": source.get("title"), "version": source.get("version")},
        "target": run.target,
        "environment": run.environment,
        "suite": run.suite,
        "fault": run.fault,
        "only": list(run.only),
        "started": _iso(run.started),
        "finished": finished,
        "verdict": verdict,
        "reasons": reasons,
        "coverage": _coverage(rows),
        "last_green": dict(last_green[feed.id]) if feed.id in last_green else None,
        "requirements": rows,
        "unlinked_tests": unlinked,
        "unknown_requirement_ids": sorted(unknown),
    }


def _overall(feeds: list[dict]) -> dict:
    verdicts = [f["verdict"] for f in feeds]
    ok = bool(verdicts) and all(v in GREEN for v in verdicts)
    if ok:
        verdict = (
            CERTIFIED
            if all(v == CERTIFIED for v in verdicts)
            else SMOKE_PASSED
            if any(v == SMOKE_PASSED for v in verdicts)
            else CHECKS_PASSED
        )
    elif verdicts and not any(v in FAILING for v in verdicts):
        verdict = INCONCLUSIVE
    elif verdicts and all(f["suite"] == "smoke" for f in feeds):
        verdict = SMOKE_FAILED
    elif verdicts and all(f["only"] for f in feeds):
        verdict = CHECKS_FAILED
    else:
        verdict = NOT_CERTIFIED
    return {"verdict": verdict, "ok": ok}


def build_certificate(
    runs: Iterable[FeedRun],
    last_green: dict[str, dict] | None = None,
    *,
    now: datetime | None = None,
    seed: int | None = None,
) -> tuple[dict, dict]:
    """Return ``(certificate, updated_last_green)``; the input ``last_green`` is not modified."""
    updated = {k: dict(v) for k, v in (last_green or {}).items()}
    feeds = [_feed_entry(run, updated) for run in runs]
    cert = {
        "payercert_version": __version__,
        "generated": _iso(now or datetime.now(UTC)),
        "overall": _overall(feeds),
        "seed": seed,  # the run's Hypothesis seed: `--seed` replays its draws
        "feeds": feeds,
    }
    return cert, updated


def joined_certificate(parts: list[dict], last_green: dict[str, dict]) -> tuple[dict, dict]:
    """One certificate of the certificates of a run's parts (one feed each, certified side by side),
    as one process would have written it; and `last_green` with each part's feed brought up to date."""
    feeds = [entry for part in parts for entry in part["feeds"]]
    updated = {**last_green, **{f["feed"]: f["last_green"] for f in feeds if f.get("last_green") is not None}}
    cert = {
        "payercert_version": __version__,
        "generated": _iso(datetime.now(UTC)),
        "overall": _overall(feeds),
        "seed": parts[0].get("seed") if parts else None,
        "feeds": feeds,
    }
    return cert, updated


def verdict_ok(cert: dict) -> bool:
    """True when every feed of the certificate is green (CERTIFIED, or SMOKE PASSED for smoke runs)."""
    feeds = cert.get("feeds") or []
    return bool(feeds) and all(f.get("verdict") in GREEN for f in feeds)


def exit_code(cert: dict) -> int:
    """The run's exit status: 0 green, 1 a failing verdict, 3 inconclusive (worth a retry)."""
    if verdict_ok(cert):
        return EXIT_OK
    return EXIT_INCONCLUSIVE if cert.get("overall", {}).get("verdict") == INCONCLUSIVE else EXIT_FINDINGS


def write_certificate(cert: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write ``certificate.json`` and ``certificate.html`` into ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "certificate.json"
    html_path = out_dir / "certificate.html"
    json_path.write_text(json.dumps(cert, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(cert), encoding="utf-8")
    return json_path, html_path


# --------------------------------------------------------------------------------------------
# HTML (one self-contained file: inline CSS, no JavaScript, nothing loaded from outside)

CSS = """
@page { size: A4; margin: 12mm 11mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; padding: 24px; background: #f3f4f6; color: #1f2937;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 11.5px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 19px; margin: 0 0 2px; }
h3 { font-size: 15px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #d1d5db; }
.top { display: flex; justify-content: space-between; align-items: center; gap: 16px;
  background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 16px 20px; margin-bottom: 18px; }
.top .sub { color: #6b7280; margin-top: 4px; }
.feed { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 20px; margin-bottom: 22px; }
.feed + .feed { break-before: page; }
.head { display: flex; justify-content: space-between; align-items: flex-start; gap: 20px; }
.head .doc { color: #4b5563; }
.badge { display: inline-block; padding: 10px 20px; border-radius: 8px; font-size: 22px; font-weight: 800;
  letter-spacing: .04em; color: #fff; white-space: nowrap; border: 2px solid transparent; }
.badge.small { font-size: 14px; padding: 6px 12px; }
.badge.ok { background: #15803d; border-color: #166534; }
.badge.bad { background: #b91c1c; border-color: #991b1b; }
.badge.unknown { background: #c2410c; border-color: #9a3412; }
.notice { margin: 14px 0 0; padding: 8px 12px; border-radius: 6px; background: #fffbeb; border: 1px solid #fcd34d; color: #78350f; }
.meta { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 20px; margin: 16px 0 0;
  padding: 12px 14px; background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 8px; }
.meta div { min-width: 0; overflow-wrap: anywhere; }
.meta dt { color: #6b7280; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; margin: 0; }
.meta dd { margin: 0; font-weight: 600; }
.cov { margin: 16px 0 0; }
.cov table { border-collapse: collapse; width: 100%; }
.cov td { padding: 3px 8px 3px 0; vertical-align: middle; }
.cov td.lvl { width: 70px; font-weight: 700; }
.cov td.num { width: 300px; color: #374151; white-space: nowrap; }
.bar { position: relative; height: 14px; background: #e5e7eb; border-radius: 7px; overflow: hidden; }
.bar span { position: absolute; top: 0; left: 0; bottom: 0; }
.bar .covered { background: #fcd34d; }
.bar .verified { background: #16a34a; }
.legend { color: #6b7280; font-size: 11px; margin-top: 4px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; vertical-align: -1px; }
.reasons { margin: 16px 0 0; padding: 10px 14px 10px 30px; background: #fef2f2; border: 1px solid #fecaca; border-radius: 8px; color: #7f1d1d; }
.reasons li { margin: 2px 0; overflow-wrap: anywhere; }
.reasons.none { list-style: none; padding-left: 14px; background: #f0fdf4; border-color: #bbf7d0; color: #14532d; }
table.reqs { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.reqs th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280;
  border-bottom: 1px solid #d1d5db; padding: 4px 6px; }
table.reqs td { padding: 6px; border-bottom: 1px solid #e5e7eb; vertical-align: top; overflow-wrap: anywhere; }
table.reqs tbody { break-inside: avoid; }
table.reqs col.c-id { width: 118px; } table.reqs col.c-lvl { width: 70px; }
table.reqs col.c-sec { width: 190px; } table.reqs col.c-st { width: 104px; }
td.rid { font-weight: 700; }
.reading { color: #6b7280; font-size: 11px; margin-top: 2px; }
.surf { color: #6b7280; font-size: 11px; margin-top: 2px; }
.surf.partial { color: #b45309; }
.rmsg { margin-top: 4px; font-size: 12px; }
.rmsg.failed { color: #991b1b; } .rmsg.inconclusive { color: #9a3412; } .rmsg.waived { color: #92400e; } .rmsg.skipped { color: #4b5563; }
ul.tests { list-style: none; margin: 6px 0 0; padding: 6px 0 0 10px; border-left: 3px solid #e5e7eb; }
ul.tests li { margin: 2px 0; font-size: 12px; }
ul.tests .nodeid { color: #6b7280; display: block; }
ul.tests .tmsg { color: #374151; display: block; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11px; font-weight: 700;
  white-space: nowrap; border: 1px solid transparent; }
.pill.t { font-size: 10px; padding: 0 6px; margin-right: 4px; }
.pill.passed { background: #dcfce7; color: #166534; border-color: #86efac; }
.pill.failed { background: #fee2e2; color: #991b1b; border-color: #fca5a5; }
.pill.inconclusive { background: #ffedd5; color: #9a3412; border-color: #fdba74; }
.pill.waived { background: #fef3c7; color: #92400e; border-color: #fcd34d; }
.pill.skipped { background: #f3f4f6; color: #4b5563; border-color: #d1d5db; }
.pill.not-covered { background: #fff; color: #6b7280; border: 1px dashed #9ca3af; }
.pill.client-side { background: #e0f2fe; color: #075985; border-color: #7dd3fc; }
.pill.manual { background: #f5f3ff; color: #5b21b6; border-color: #c4b5fd; }
.pill.out-of-scope { background: #fff; color: #9ca3af; border-color: #e5e7eb; }
tr.st-failed td.rid { color: #b91c1c; } tr.st-inconclusive td.rid { color: #9a3412; }
pre.detail { font-size: 11px; white-space: pre-wrap; background: #f9fafb; border: 1px solid #e5e7eb; padding: 6px; }
.unlinked { margin-top: 18px; }
footer { color: #6b7280; font-size: 11px; text-align: center; margin: 8px 0 24px; }
table.summary { width: 100%; border-collapse: collapse; background: #fff; margin: 0 0 8px; }
table.summary th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280;
  border-bottom: 1px solid #d1d5db; padding: 4px 6px; }
table.summary td { padding: 6px; border-bottom: 1px solid #e5e7eb; vertical-align: top; overflow-wrap: anywhere; }
table.summary .n-failed { color: #b91c1c; font-weight: 700; } table.summary .n-passed { color: #166534; }
table.summary ul { margin: 0; padding-left: 16px; color: #7f1d1d; }
.summary-box { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 14px 20px; margin-bottom: 18px; }
.filter { margin: 6px 0 0; color: #374151; } .filter label { margin-right: 14px; cursor: pointer; }
body:has(#show-failed:checked) table.reqs tbody:not(.st-failed),
body:has(#show-open:checked) table.reqs tbody.st-passed, body:has(#show-open:checked) table.reqs tbody.st-waived,
body:has(#show-open:checked) table.reqs tbody.st-client-side, body:has(#show-open:checked) table.reqs tbody.st-manual,
body:has(#show-open:checked) table.reqs tbody.st-out-of-scope { display: none; }
body:has(#show-failed:checked) section.group:not(:has(tbody.st-failed)) { display: none; }
.bar .failed { background: #dc2626; }
@media print {
  .filter, .meta, .cov, .group, .unlinked { display: none; }
  .feed + .feed { break-before: auto; }
  .feed { margin-bottom: 8px; }
  table.summary { font-size: 10px; }
}
@media print {
  body { background: #fff; padding: 0; font-size: 10.5px; }
  .top, .feed { border: none; padding: 0; border-radius: 0; }
  .feed { margin-bottom: 0; }
  table.reqs thead { display: table-header-group; }
  .badge { font-size: 18px; }
  .cov td.num { width: 240px; }
}
"""

_e = html.escape


def _pill(status: str, *, small: bool = False) -> str:
    label = "inconclusive" if status == "broken" else status
    return f'<span class="pill{" t" if small else ""} {_e(label.replace(" ", "-"))}">{_e(label)}</span>'


def _badge(verdict: str, *, small: bool = False) -> str:
    cls = "ok" if verdict in GREEN else "unknown" if verdict == INCONCLUSIVE else "bad"
    return f'<span class="badge {cls}{" small" if small else ""}">{_e(verdict)}</span>'


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    return iso.replace("T", " ").replace("Z", " UTC")


def _pct(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


def _coverage_html(cov: dict, reqs: list[dict]) -> str:
    rows = []
    levels = [(lvl, c) for lvl, c in cov["levels"].items() if c["total"]]
    for label, c in levels + ([("All", cov["all"])] if len(levels) != 1 else []):
        t = c["total"]
        failed = sum(1 for r in reqs if r["status"] == "failed" and label in (r["level"], "All"))
        rows.append(
            f'<tr><td class="lvl">{_e(label)}</td>'
            f'<td><div class="bar"><span class="covered" style="width:{_pct(c["covered"], t)}%"></span>'
            f'<span class="failed" style="width:{_pct(c["verified"] + failed, t)}%"></span>'
            f'<span class="verified" style="width:{_pct(c["verified"], t)}%"></span></div></td>'
            f'<td class="num"><b>{c["verified"]}</b>/{t} verified · {failed} failed · {c["covered"]}/{t} covered'
            f" ({_pct(c['verified'], t):g}%)</td></tr>"
        )
    client = cov.get("client_side", 0)
    note = (
        (
            f" · {client} client-side requirement{'' if client == 1 else 's'} not counted"
            " (checked by <code>payercert validate</code>)"
        )
        if client
        else ""
    )
    manual = cov.get("manual", 0)
    note += (
        (
            f" · {manual} requirement{'' if manual == 1 else 's'} checked by hand, not counted"
            " (no black-box test can observe {})".format("it" if manual == 1 else "them")
        )
        if manual
        else ""
    )
    places = cov.get("surfaces", {})
    if places.get("governed"):
        note += (
            f" · surfaces: {places['checked']} of {places['governed']} places checked for the"
            f" {_plural(places['requirements'], 'requirement')} that govern several"
        )
    return (
        '<section class="cov"><table>' + "".join(rows) + "</table>"
        '<div class="legend">In-scope requirements:'
        '<i style="background:#16a34a"></i>verified (passed or waived)'
        '<i style="background:#dc2626"></i>failed'
        '<i style="background:#fcd34d"></i>covered by a test, not verified (inconclusive or skipped)'
        f'<i style="background:#e5e7eb"></i>not covered{note}</div></section>'
    )


def _last_green_html(feed: dict) -> str:
    lg = feed.get("last_green")
    if not lg:
        return "none recorded"
    if feed["verdict"] in GREEN and lg.get("finished") == feed["finished"] and lg.get("target") == feed["target"]:
        return "this run"
    return _e(
        f"{_when(lg.get('finished'))} · {lg.get('target', '?')} · {lg.get('suite', '?')} · {lg.get('verdict', '?')}"
    )


def _surfaces_html(surfaces: dict) -> str:
    checked, governed, missed = surfaces["checked"], surfaces["governed"], surfaces["missed"]
    line = f"checked on {len(checked)} of {len(governed)}"
    if missed:
        shown = ", ".join(f"<code>{_e(p)}</code>" for p in missed)
        return f'<div class="surf partial">{line}; not reached: {shown}</div>'
    return f'<div class="surf">{line}</div>'


def _requirement_rows(reqs: list[dict]) -> str:
    out = []
    for r in reqs:
        status_cls = r["status"].replace(" ", "-")
        text = _e(r["text"])
        if r.get("reading"):
            text += f'<div class="reading">depends on reading <code>{_e(r["reading"])}</code></div>'
        if r["message"] and r["status"] not in EXCLUDED:
            prefix = {"waived": "Waiver: ", "skipped": "Skipped: "}.get(r["status"], "")
            text += f'<div class="rmsg {status_cls}">{_e(prefix + r["message"])}</div>'
        elif r["status"] in EXCLUDED:
            text += f'<div class="rmsg">{_e(r["message"].capitalize())}.</div>'
        if r.get("surfaces"):
            text += _surfaces_html(r["surfaces"])
        if r["tests"]:
            items = []
            for t in r["tests"]:
                msg = f'<span class="tmsg">{_e(t["message"])}</span>' if t["message"] else ""
                if t.get("detail"):
                    msg += f'<details><summary>evidence</summary><pre class="detail">{_e(t["detail"])}</pre></details>'
                items.append(
                    f"<li>{_pill(t['status'], small=True)}{_e(t['title'] or t['nodeid'])}"
                    f'<span class="nodeid mono">{_e(t["nodeid"])}</span>{msg}</li>'
                )
            text += '<ul class="tests">' + "".join(items) + "</ul>"
        out.append(
            f'<tbody class="st-{status_cls}"><tr class="st-{status_cls}" id="{_e(r["id"])}"><td class="rid mono">{_e(r["id"])}</td>'
            f"<td>{_e(r['level'])}</td><td>{text}</td><td>{_e(r['area'])}</td>"
            f"<td>{_pill(r['status'])}</td></tr></tbody>"
        )
    return "".join(out)


def _by_section(reqs: list[dict]) -> list[tuple[str, list[dict]]]:
    """The requirements by document section, in the document's order, sections with a failure
    first; within a section, failures first."""
    sections: dict[str, list[dict]] = {}
    for r in reqs:
        sections.setdefault(r["section"], []).append(r)
    ordered = sorted(sections.items(), key=lambda item: not any(r["status"] == "failed" for r in item[1]))
    return [(name, sorted(rows, key=lambda r: r["status"] != "failed")) for name, rows in ordered]


def _section_html(section: str, reqs: list[dict]) -> str:
    counts: dict[str, int] = {}
    for r in reqs:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    return (
        f'<section class="group"><h3>{_e(section)} '
        f'<span style="font-weight:400;color:#6b7280;font-size:12px">— {_e(summary)}</span></h3>'
        '<table class="reqs"><colgroup><col class="c-id"><col class="c-lvl"><col><col class="c-sec"><col class="c-st"></colgroup>'
        "<thead><tr><th>Id</th><th>Level</th><th>Requirement and tests</th><th>Area</th><th>Status</th></tr></thead>"
        + _requirement_rows(reqs)
        + "</table></section>"
    )


def _feed_html(feed: dict, generated: str) -> str:
    doc = feed["document"]
    doc_line = _e(document_name(doc))
    meta = [
        ("Target", feed["target"]),
        ("Environment", feed["environment"]),
        ("Suite", feed["suite"]),
        ("Document", document_name(doc) or "—"),
        ("Generated", _when(generated)),
        ("Started", _when(feed["started"])),
        ("Finished", _when(feed["finished"])),
    ]
    if feed.get("fault"):
        meta.append(("Simulator fault", feed["fault"]))
    meta_html = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(str(v))}</dd></div>" for k, v in meta)
    meta_html += f"<div><dt>Last green run</dt><dd>{_last_green_html(feed)}</dd></div>"

    notices = []
    if feed["suite"] == "smoke":
        notices.append("Smoke suite: a quick health check, not a certification.")
    if feed.get("only"):
        notices.append(f"Only the tests of {', '.join(feed['only'])} ran: a check, not a certification.")
    if feed["environment"] == "simulator" or feed.get("fault"):
        notices.append(
            "Run against the payercert simulator"
            + (f" with fault profile “{feed['fault']}”" if feed.get("fault") else "")
            + ": this is evidence about the harness, not about the payer."
        )
    notice_html = "".join(f'<p class="notice">{_e(n)}</p>' for n in notices)

    if feed["reasons"]:
        reasons = '<ul class="reasons">' + "".join(f"<li>{_e(x)}</li>" for x in feed["reasons"]) + "</ul>"
    else:
        reasons = (
            '<ul class="reasons none"><li>No requirement failed'
            + ("; every in-scope MUST requirement is verified." if feed["suite"] != "smoke" else ".")
            + "</li></ul>"
        )

    tables = [_section_html(section, reqs) for section, reqs in _by_section(feed["requirements"])]

    unlinked = ""
    if feed.get("unlinked_tests") or feed.get("unknown_requirement_ids"):
        items = "".join(
            f'<li>{_pill(t["status"], small=True)}{_e(t["title"] or t["nodeid"])}<span class="nodeid mono">{_e(t["nodeid"])}'
            f"{' — names ' + _e(', '.join(t['requirements'])) if t['requirements'] else ' — names no requirement'}</span>"
            + (f'<span class="tmsg">{_e(t["message"])}</span>' if t["message"] else "")
            + (
                f'<details><summary>evidence</summary><pre class="detail">{_e(t["detail"])}</pre></details>'
                if t.get("detail")
                else ""
            )
            + "</li>"
            for t in feed.get("unlinked_tests", [])
        )
        unknown = feed.get("unknown_requirement_ids") or []
        unknown_html = (
            f"<p>Requirement ids named by tests but not in the catalogue: <code>{_e(', '.join(unknown))}</code></p>"
            if unknown
            else ""
        )
        unlinked = (
            f'<section class="unlinked"><h3>Tests linked to no catalogued requirement</h3>{unknown_html}'
            f'<ul class="tests">{items}</ul></section>'
        )

    return (
        f'<section class="feed" id="feed-{_e(feed["feed"])}">'
        f'<div class="head"><div><h2>{_e(feed["title"])}</h2>'
        f'<div class="doc">Feed <code>{_e(feed["feed"])}</code>{" · " + doc_line if doc_line else ""}</div></div>'
        f"<div>{_badge(feed['verdict'])}</div></div>"
        f'{notice_html}<dl class="meta">{meta_html}</dl>'
        f"{_coverage_html(feed['coverage'], feed['requirements'])}{reasons}{''.join(tables)}{unlinked}</section>"
    )


def _level_counts(reqs: list[dict], level: str) -> str:
    mine = [r for r in reqs if r["level"] == level and r["status"] not in EXCLUDED]
    if not mine:
        return "—"
    n = {s: sum(1 for r in mine if r["status"] == s) for s in ("passed", "failed", "waived")}
    untested = len(mine) - sum(n.values())
    return (
        f'<span class="n-passed">{n["passed"]} passed</span> · <span class="{"n-failed" if n["failed"] else ""}">'
        f"{n['failed']} failed</span> · {n['waived']} waived · {untested} not tested"
    )


def _summary_html(cert: dict) -> str:
    """Every feed on one screen: verdict, MUST and SHOULD counts, the failures in one line each."""
    rows = []
    for f in cert.get("feeds") or []:
        doc = f["document"]
        named = document_name(doc)
        reasons = f.get("reasons") or []
        shown = "".join(f"<li>{_e(_one_line(x)[:160])}</li>" for x in reasons[:4])
        more = f"<li>… and {len(reasons) - 4} more</li>" if len(reasons) > 4 else ""
        rows.append(
            f'<tr><td><a href="#feed-{_e(f["feed"])}"><b>{_e(f["title"])}</b></a><br>'
            f'<span style="color:#6b7280">{_e(named)} · {_e(f["target"])} · {_e(f["suite"])}</span></td>'
            f"<td>{_badge(f['verdict'], small=True)}</td>"
            f"<td>{_level_counts(f['requirements'], 'MUST')}</td><td>{_level_counts(f['requirements'], 'SHOULD')}</td>"
            f"<td>{'<ul>' + shown + more + '</ul>' if shown else '—'}</td></tr>"
        )
    if not rows:
        return ""
    return (
        '<section class="summary-box"><table class="summary"><thead><tr><th>Feed and document</th><th>Verdict</th>'
        "<th>MUST</th><th>SHOULD</th><th>Failures</th></tr></thead>" + "".join(rows) + "</table>"
        '<div class="filter">Show requirements: '
        '<label><input type="radio" name="show" id="show-all" checked> all</label>'
        '<label><input type="radio" name="show" id="show-failed"> failed only</label>'
        '<label><input type="radio" name="show" id="show-open"> not verified</label></div></section>'
    )


def render_html(cert: dict) -> str:
    """The certificate as one self-contained HTML page."""
    feeds = cert.get("feeds") or []
    overall = cert.get("overall") or {}
    names = ", ".join(f["title"] for f in feeds) or "no feed"
    body = "".join(_feed_html(f, cert.get("generated", "")) for f in feeds)
    if not feeds:
        body = '<section class="feed"><p>No feed was run.</p></section>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(overall.get('verdict', ''))} — payercert certificate — {_e(names)}</title>"
        f"<style>{CSS}</style></head><body><main>"
        '<header class="top"><div><h1>Conformance certificate</h1>'
        f'<div class="sub">{_e(names)} · generated {_e(_when(cert.get("generated")))}'
        f" · payercert {_e(str(cert.get('payercert_version', '')))}"
        + (f" · seed {_e(str(cert['seed']))}" if cert.get("seed") is not None else "")
        + "</div></div>"
        f"<div>Overall&nbsp; {_badge(overall.get('verdict', NOT_CERTIFIED), small=True)}</div></header>"
        f"{_summary_html(cert)}{body}<footer>Generated by payercert {_e(str(cert.get('payercert_version', '')))}. "
        "Per requirement: passed, failed, inconclusive (the run could not tell: transport trouble, a failure "
        "that did not reproduce, or a payercert defect; retry it), "
        "waived (accepted deviation, reason shown), skipped, not covered, client-side "
        "(checked by payercert validate, not counted), manual (checked by hand, not counted).</footer>"
        "</main></body></html>\n"
    )
