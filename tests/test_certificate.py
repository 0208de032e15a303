"""The conformance certificate: per-requirement status, coverage, verdicts, history, JSON and HTML."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from payercert.contract import FeedPackage
from payercert.feeds import Feed, Requirement, load_feed
from payercert.reporting.certificate import (
    FeedRun,
    TestOutcome,
    build_certificate,
    exit_code,
    render_html,
    verdict_ok,
    write_certificate,
)

T0 = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)


def _req(rid, level="MUST", applies_to="server", area="upload", text=None, section="Sec 1"):
    return Requirement(
        id=rid,
        level=level,
        applies_to=applies_to,
        area=area,
        text=text or f"text of {rid}",
        section=section,
        doc="doc.txt",
    )


def make_feed() -> Feed:
    reqs = [
        _req("F-AUTH-1", area="auth", section="Authentication"),
        _req("F-AUTH-2", area="auth"),
        _req("F-UP-1"),
        _req("F-UP-2", level="SHOULD"),
        _req("F-UP-3", level="MAY"),
        _req("F-BOTH-1", applies_to="both", area="validation"),
        _req("F-CLI-1", applies_to="client", area="validation"),
        _req("F-CLI-2", level="SHOULD", applies_to="client", area="validation"),
    ]
    spec = {"title": "Fake Feed", "source": {"doc": "doc.txt", "title": "Fake Payer API", "version": "2.0"}}
    package = FeedPackage("fake", Path("/nonexistent"))
    return Feed("fake", Path("/nonexistent"), spec, package, requirements={r.id: r for r in reqs})


SERVER_IDS = ["F-AUTH-1", "F-AUTH-2", "F-UP-1", "F-UP-2", "F-UP-3", "F-BOTH-1"]


def out(rid, status="passed", message="", *, rids=None, name=None):
    name = name or f"test_{rid.lower().replace('-', '_')}_{status}"
    return TestOutcome(
        nodeid=f"suites/fake/test_x.py::{name}",
        title=f"Checks {rid}",
        feed="fake",
        requirements=tuple(rids if rids is not None else (rid,)),
        status=status,
        message=message,
    )


def all_passed() -> list[TestOutcome]:
    return [out(rid) for rid in SERVER_IDS]


def run(outcomes, *, suite="full", waivers=None, feed=None, target="fake-test", finished=None):
    return FeedRun(
        feed=feed or make_feed(),
        target=target,
        environment="test",
        suite=suite,
        started=T0,
        finished=finished or T0 + timedelta(minutes=2),
        outcomes=outcomes,
        waivers=waivers or {},
    )


def replace(outcomes, rid, new):
    return [new if o.requirements == (rid,) else o for o in outcomes]


def cert_of(*runs, last_green=None):
    cert, lg = build_certificate(list(runs), last_green)
    return cert, lg


def rows(cert, feed_index=0):
    return {r["id"]: r for r in cert["feeds"][feed_index]["requirements"]}


# ------------------------------------------------------------------------------------- verdicts


def test_all_passed_is_certified():
    cert, _ = cert_of(run(all_passed()))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "CERTIFIED"
    assert feed["reasons"] == []
    assert cert["overall"] == {"verdict": "CERTIFIED", "ok": True}
    assert verdict_ok(cert) is True
    assert {rid: r["status"] for rid, r in rows(cert).items()} == {
        **{rid: "passed" for rid in SERVER_IDS},
        "F-CLI-1": "client-side",
        "F-CLI-2": "client-side",
    }


def test_one_failure_is_not_certified_and_names_requirement():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "TID header missing"))
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "NOT CERTIFIED"
    assert feed["reasons"] == ["F-UP-1 failed: TID header missing"]
    assert rows(cert)["F-UP-1"]["status"] == "failed"
    assert rows(cert)["F-UP-1"]["message"] == "TID header missing"
    assert cert["overall"] == {"verdict": "NOT CERTIFIED", "ok": False}
    assert verdict_ok(cert) is False


def test_failure_in_a_should_requirement_also_blocks():
    outcomes = replace(all_passed(), "F-UP-2", out("F-UP-2", "failed", "bad"))
    cert, _ = cert_of(run(outcomes))
    assert cert["feeds"][0]["verdict"] == "NOT CERTIFIED"
    assert cert["feeds"][0]["reasons"] == ["F-UP-2 failed: bad"]


def test_failure_wins_over_pass_of_another_test():
    outcomes = all_passed() + [out("F-UP-1", "failed", "second test fails", name="t2")]
    cert, _ = cert_of(run(outcomes))
    assert rows(cert)["F-UP-1"]["status"] == "failed"
    assert len(rows(cert)["F-UP-1"]["tests"]) == 2


def test_waived_failure_is_certified_with_reason():
    outcomes = replace(all_passed(), "F-AUTH-2", out("F-AUTH-2", "failed", "got 400, expected 401"))
    reason = "Payer runs IdentityServer4; accepted in ticket 4711"
    cert, _ = cert_of(run(outcomes, waivers={"F-AUTH-2": reason}))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "CERTIFIED"
    row = rows(cert)["F-AUTH-2"]
    assert row["status"] == "waived"
    assert row["message"] == reason
    assert row["tests"][0]["status"] == "failed"
    assert feed["coverage"]["levels"]["MUST"]["verified"] == 4
    page = render_html(cert)
    assert "waived" in page and reason in page


def test_waiver_not_needed_when_passing_stays_passed():
    cert, _ = cert_of(run(all_passed(), waivers={"F-UP-1": "old deviation"}))
    assert rows(cert)["F-UP-1"]["status"] == "passed"
    assert "old deviation" in rows(cert)["F-UP-1"]["message"]


def test_waived_outcome_status_counts_as_verified():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "waived", "known deviation"))
    cert, _ = cert_of(run(outcomes, waivers={"F-UP-1": "written reason"}))
    assert rows(cert)["F-UP-1"]["status"] == "waived"
    assert rows(cert)["F-UP-1"]["message"] == "written reason"
    assert cert["feeds"][0]["verdict"] == "CERTIFIED"


def test_must_only_skipped_is_not_certified_and_named():
    outcomes = replace(all_passed(), "F-AUTH-1", out("F-AUTH-1", "skipped", "target has no client without scopes"))
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    assert rows(cert)["F-AUTH-1"]["status"] == "skipped"
    assert rows(cert)["F-AUTH-1"]["message"] == "target has no client without scopes"
    assert feed["verdict"] == "NOT CERTIFIED"
    assert feed["reasons"] == [
        "1 MUST requirement not verified: F-AUTH-1 (skipped: target has no client without scopes)"
    ]


def test_must_not_covered_and_skipped_listed_together():
    outcomes = [o for o in all_passed() if o.requirements not in {("F-AUTH-2",), ("F-BOTH-1",)}]
    outcomes = replace(outcomes, "F-AUTH-1", out("F-AUTH-1", "skipped", "no scopes client"))
    cert, _ = cert_of(run(outcomes))
    reasons = cert["feeds"][0]["reasons"]
    assert reasons == [
        "3 MUST requirements not verified: F-AUTH-1 (skipped: no scopes client), "
        "F-AUTH-2 (not covered), F-BOTH-1 (not covered)"
    ]
    assert rows(cert)["F-AUTH-2"]["status"] == "not covered"
    assert rows(cert)["F-AUTH-2"]["tests"] == []


def test_should_not_covered_does_not_block_certification():
    outcomes = [o for o in all_passed() if o.requirements not in {("F-UP-2",), ("F-UP-3",)}]
    cert, _ = cert_of(run(outcomes))
    assert cert["feeds"][0]["verdict"] == "CERTIFIED"
    assert rows(cert)["F-UP-2"]["status"] == "not covered"


def test_broken_is_inconclusive_never_a_failure():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "broken", "transport: ConnectTimeout after 30 s"))
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    assert rows(cert)["F-UP-1"]["status"] == "inconclusive"
    assert feed["verdict"] == "INCONCLUSIVE"
    assert len(feed["reasons"]) == 1
    assert feed["reasons"][0].startswith("F-UP-1 inconclusive")
    assert "ConnectTimeout after 30 s" in feed["reasons"][0]
    assert feed["coverage"]["levels"]["MUST"]["verified"] == 3
    assert cert["overall"] == {"verdict": "INCONCLUSIVE", "ok": False}
    assert exit_code(cert) == 3
    page = render_html(cert)
    assert '<span class="pill inconclusive">inconclusive</span>' in page
    assert '<span class="badge unknown' in page


def test_a_failure_decides_over_inconclusive():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "broken", "transport: reset"))
    outcomes = replace(outcomes, "F-AUTH-1", out("F-AUTH-1", "failed", "got 200, expected 401"))
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "NOT CERTIFIED"
    assert feed["reasons"][0] == "F-AUTH-1 failed: got 200, expected 401"  # failures first
    assert feed["reasons"][1].startswith("F-UP-1 inconclusive")
    assert exit_code(cert) == 1


def test_harness_defect_keeps_its_traceback_as_evidence():
    trace = "Traceback (most recent call last):\n  File suites/x.py, line 3\nKeyError: 'x'"
    defect = TestOutcome(
        nodeid="suites/fake/test_x.py::t",
        title="t",
        feed="fake",
        requirements=("F-UP-1",),
        status="broken",
        message="payercert defect: KeyError: 'x'",
        detail=trace,
    )
    cert, _ = cert_of(run(replace(all_passed(), "F-UP-1", defect)))
    test = rows(cert)["F-UP-1"]["tests"][0]
    assert test["detail"] == trace
    assert "KeyError: &#x27;x&#x27;</pre>" in render_html(cert)


def test_seed_is_recorded():
    cert, _ = build_certificate([run(all_passed())], seed=1234)
    assert cert["seed"] == 1234
    assert "seed 1234" in render_html(cert)


def test_failed_beats_broken_in_row_status():
    outcomes = all_passed() + [out("F-UP-1", "broken", "timeout", name="a"), out("F-UP-1", "failed", "wrong", name="b")]
    cert, _ = cert_of(run(outcomes))
    assert rows(cert)["F-UP-1"]["status"] == "failed"
    assert rows(cert)["F-UP-1"]["message"] == "wrong"


def test_failed_test_naming_no_catalogued_requirement_blocks():
    outcomes = all_passed() + [out("X", "failed", "fixture crashed", rids=("NOPE-1",), name="orphan")]
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "NOT CERTIFIED"
    assert feed["unknown_requirement_ids"] == ["NOPE-1"]
    assert [t["nodeid"] for t in feed["unlinked_tests"]] == ["suites/fake/test_x.py::orphan"]
    assert "fixture crashed" in feed["reasons"][0]


# ------------------------------------------------------------------------------------- smoke


def test_smoke_passed_with_partial_coverage():
    outcomes = [out("F-UP-1"), out("F-AUTH-1", "skipped", "not in smoke")]
    cert, _ = cert_of(run(outcomes, suite="smoke"))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "SMOKE PASSED"
    assert feed["reasons"] == []
    assert feed["coverage"]["levels"]["MUST"] == {"total": 4, "covered": 2, "verified": 1}
    assert cert["overall"] == {"verdict": "SMOKE PASSED", "ok": True}
    assert verdict_ok(cert) is True


def test_smoke_failed():
    cert, _ = cert_of(run([out("F-UP-1", "failed", "500"), out("F-AUTH-1")], suite="smoke"))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "SMOKE FAILED"
    assert feed["reasons"] == ["F-UP-1 failed: 500"]
    assert cert["overall"] == {"verdict": "SMOKE FAILED", "ok": False}
    assert verdict_ok(cert) is False


def test_smoke_broken_is_inconclusive():
    cert, _ = cert_of(run([out("F-UP-1", "broken", "refused")], suite="smoke"))
    assert cert["feeds"][0]["verdict"] == "INCONCLUSIVE"
    cert, _ = cert_of(run([out("F-UP-1", "broken", "refused"), out("F-AUTH-1", "failed", "500")], suite="smoke"))
    assert cert["feeds"][0]["verdict"] == "SMOKE FAILED"


def _only(outcomes, only):
    return FeedRun(
        feed=make_feed(),
        target="fake-test",
        environment="test",
        suite="full",
        started=T0,
        finished=T0 + timedelta(minutes=1),
        outcomes=outcomes,
        waivers={},
        only=only,
    )


def test_a_run_of_some_requirements_is_a_check_not_a_certification():
    cert, last_green = cert_of(_only([out("F-UP-1")], ("F-UP-1",)))
    feed = cert["feeds"][0]
    assert feed["verdict"] == "CHECKS PASSED" and feed["only"] == ["F-UP-1"]
    assert rows(cert)["F-AUTH-1"]["status"] == "out of scope"  # not "not covered": it was not asked for
    assert rows(cert)["F-UP-1"]["status"] == "passed"
    assert cert["overall"] == {"verdict": "CHECKS PASSED", "ok": True}
    assert "fake" not in last_green  # a partial check never stands as the feed's last green run


def test_a_failing_requirement_check_names_it():
    cert, _ = cert_of(_only([out("F-UP-1", "failed", "500")], ("F-UP-1",)))
    assert cert["feeds"][0]["verdict"] == "CHECKS FAILED"
    assert cert["feeds"][0]["reasons"] == ["F-UP-1 failed: 500"]
    assert cert["overall"] == {"verdict": "CHECKS FAILED", "ok": False}


def test_a_manual_requirement_is_listed_but_neither_counted_nor_blocking():
    feed = make_feed()
    feed.requirements["F-OPS-1"] = _req("F-OPS-1", applies_to="manual", area="ops")
    cert, _ = cert_of(run(all_passed(), feed=feed))
    row = rows(cert)["F-OPS-1"]
    assert row["status"] == "manual" and "by hand" in row["message"]
    assert cert["feeds"][0]["verdict"] == "CERTIFIED"
    assert cert["feeds"][0]["coverage"]["manual"] == 1
    assert cert["feeds"][0]["coverage"]["levels"]["MUST"]["total"] == 4  # F-OPS-1 is not among them


# ------------------------------------------------------------------------------------- coverage


def test_client_side_excluded_from_coverage():
    # a client-side requirement named by a (failing) test still does not count anywhere
    outcomes = all_passed() + [out("F-CLI-1", "failed", "n/a")]
    cert, _ = cert_of(run(outcomes))
    feed = cert["feeds"][0]
    cov = feed["coverage"]
    assert cov["all"] == {"total": 6, "covered": 6, "verified": 6}
    assert cov["levels"] == {
        "MUST": {"total": 4, "covered": 4, "verified": 4},
        "SHOULD": {"total": 1, "covered": 1, "verified": 1},
        "MAY": {"total": 1, "covered": 1, "verified": 1},
    }
    assert cov["client_side"] == 2
    assert rows(cert)["F-CLI-1"]["status"] == "client-side"
    assert feed["verdict"] == "CERTIFIED"


def test_coverage_counts_covered_separately_from_verified():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "x"))
    outcomes = replace(outcomes, "F-AUTH-1", out("F-AUTH-1", "skipped", "y"))
    outcomes = [o for o in outcomes if o.requirements != ("F-UP-3",)]
    cov = cert_of(run(outcomes))[0]["feeds"][0]["coverage"]
    assert cov["levels"]["MUST"] == {"total": 4, "covered": 4, "verified": 2}
    assert cov["levels"]["MAY"] == {"total": 1, "covered": 0, "verified": 0}
    assert cov["all"] == {"total": 6, "covered": 5, "verified": 3}


# ------------------------------------------------------------------------------------- overall + history


def test_overall_needs_every_feed_certified():
    good = run(all_passed())
    bad = run(replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "x")))
    cert, _ = cert_of(good, bad)
    assert [f["verdict"] for f in cert["feeds"]] == ["CERTIFIED", "NOT CERTIFIED"]
    assert cert["overall"] == {"verdict": "NOT CERTIFIED", "ok": False}
    assert verdict_ok(cert) is False
    empty, _ = cert_of()
    assert empty["overall"]["ok"] is False and verdict_ok(empty) is False


def test_last_green_updated_only_on_green():
    previous = {"fake": {"finished": "2025-01-01T00:00:00Z", "target": "old", "suite": "full", "verdict": "CERTIFIED"}}
    before = json.loads(json.dumps(previous))

    bad = run(replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "x")))
    cert, lg = cert_of(bad, last_green=previous)
    assert lg == before
    assert cert["feeds"][0]["last_green"] == before["fake"]

    good = run(all_passed(), finished=T0 + timedelta(hours=1))
    cert, lg = cert_of(good, last_green=previous)
    assert lg["fake"] == {
        "finished": "2025-03-04T15:00:00Z",
        "target": "fake-test",
        "suite": "full",
        "verdict": "CERTIFIED",
    }
    assert cert["feeds"][0]["last_green"] == lg["fake"]
    assert previous == before  # the caller's dict is not mutated

    cert, lg = cert_of(bad, last_green=None)
    assert lg == {} and cert["feeds"][0]["last_green"] is None

    _, lg = cert_of(run([out("F-UP-1")], suite="smoke"), last_green=previous)
    assert lg["fake"]["verdict"] == "SMOKE PASSED" and lg["fake"]["suite"] == "smoke"


# ------------------------------------------------------------------------------------- files


def test_json_shape_and_files(tmp_path):
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "x"))
    cert, _ = build_certificate([run(outcomes)], None)
    jp, hp = write_certificate(cert, tmp_path / "reports")
    assert (jp.name, hp.name) == ("certificate.json", "certificate.html")
    data = json.loads(jp.read_text(encoding="utf-8"))
    assert data == cert
    assert set(data) == {"payercert_version", "generated", "overall", "seed", "feeds"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["generated"])
    feed = data["feeds"][0]
    for key in (
        "feed",
        "title",
        "document",
        "target",
        "environment",
        "suite",
        "fault",
        "started",
        "finished",
        "verdict",
        "reasons",
        "coverage",
        "last_green",
        "requirements",
    ):
        assert key in feed
    assert feed["document"] == {"doc": "doc.txt", "title": "Fake Payer API", "version": "2.0"}
    assert feed["started"] == "2025-03-04T14:00:00Z"
    row = feed["requirements"][0]
    for key in ("id", "level", "applies_to", "area", "text", "section", "status", "message", "tests"):
        assert key in row
    assert set(row["tests"][0]) == {"nodeid", "title", "status", "message", "detail"}
    assert [r["id"] for r in feed["requirements"]] == list(make_feed().requirements)


def _html_of(cert) -> str:
    return render_html(cert)


def test_html_contents_escaping_and_offline(tmp_path):
    evil = '<script>alert("x")</script>'
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", f"body was {evil}"))
    cert, _ = build_certificate([run(outcomes)], None)
    _, hp = write_certificate(cert, tmp_path)
    page = hp.read_text(encoding="utf-8")
    assert "NOT CERTIFIED" in page
    for rid in make_feed().requirements:
        assert rid in page
    assert evil not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    low = page.lower()
    assert "<script" not in low and "<link" not in low
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", low)
    assert "@import" not in low and "url(" not in low
    assert "@page" in low and "a4" in low  # print-friendly
    # grouped by document section, the section with a failure first; every feed in the summary first
    failing = rows(cert)["F-UP-1"]["section"]
    first_group = page.index('<section class="group">')
    assert page.index(f"<h3>{failing} ", first_group) == first_group + len('<section class="group">')
    assert page.index('class="summary"') < page.index('class="feed"')
    assert "Fake Payer API" in page and 'id="show-failed"' in page  # the filter
    assert '<tbody class="st-failed">' in page  # what the filter hides and shows


def test_html_certified_badge_and_pills():
    outcomes = replace(all_passed(), "F-AUTH-2", out("F-AUTH-2", "failed", "x"))
    outcomes = [o for o in outcomes if o.requirements != ("F-UP-3",)]
    outcomes = replace(outcomes, "F-UP-2", out("F-UP-2", "skipped", "not supported"))
    cert, _ = build_certificate([run(outcomes, waivers={"F-AUTH-2": "accepted"})], None)
    page = _html_of(cert)
    assert '<span class="badge ok">CERTIFIED</span>' in page
    assert "badge bad" not in page
    for pill in ("passed", "waived", "skipped", "not-covered", "client-side"):
        assert f'class="pill {pill}"' in page


def test_html_escapes_titles_and_waivers():
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", "failed", "x"))
    outcomes[0] = TestOutcome("n::<b>", "<img src=http://evil/x>", "fake", ("F-AUTH-1",), "passed")
    cert, _ = build_certificate([run(outcomes, waivers={"F-UP-1": "<a href='https://x'>t</a>"})], None)
    page = _html_of(cert)
    assert "<img" not in page
    assert "<a href='https://x'>" not in page and 'href="https' not in page
    assert "n::<b>" not in page and "n::&lt;b&gt;" in page
    assert "&lt;img src=http://evil/x&gt;" in page
    assert "&lt;a href=&#x27;https://x&#x27;&gt;t&lt;/a&gt;" in page


def test_real_ltss_catalogue_lists_every_requirement():
    feed = load_feed("ltss")
    outcomes = [out(rid, rids=(rid,)) for rid, r in feed.requirements.items() if r.applies_to != "client"]
    cert, _ = build_certificate([run(outcomes, feed=feed)], None)
    f = cert["feeds"][0]
    assert f["verdict"] == "CERTIFIED"
    clients = [rid for rid, r in feed.requirements.items() if r.applies_to == "client"]
    assert clients and f["coverage"]["client_side"] == len(clients)
    assert f["coverage"]["all"]["total"] == len(feed.requirements) - len(clients)
    page = render_html(cert)
    for rid in feed.requirements:
        assert f">{rid}<" in page
    assert f["document"]["version"] == feed.spec["source"]["version"]


@pytest.mark.parametrize("status", ["error", "xpassed"])
def test_odd_statuses_are_treated_as_broken(status):
    outcomes = replace(all_passed(), "F-UP-1", out("F-UP-1", status, "odd"))
    cert, _ = cert_of(run(outcomes))
    assert rows(cert)["F-UP-1"]["status"] == "inconclusive"
    assert cert["feeds"][0]["verdict"] == "INCONCLUSIVE"


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="no chromium (Debian package) to print with")
def test_the_printed_summary_of_every_feed_fits_two_pages(tmp_path):
    """A QA lead's printout: the summary and each feed's verdict and failures, at most two A4 pages,
    whatever the number of requirements (five real catalogues, a failure in each)."""
    import subprocess

    runs = []
    for feed_id in ("ab2d", "lanternpay", "ltss", "tpastream", "webbbs"):
        feed = load_feed(feed_id)
        server = [rid for rid, r in feed.requirements.items() if r.applies_to != "client"]
        outcomes = [out(rid, rids=(rid,)) for rid in server]
        outcomes[0] = out(server[0], "failed", "the answer lacked a field", rids=(server[0],))
        runs.append(run(outcomes, feed=feed))
    cert, _ = build_certificate(runs, None)
    _, page = write_certificate(cert, tmp_path)
    pdf = tmp_path / "certificate.pdf"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 1 <= pages <= 2, f"the printed certificate has {pages} pages"
    assert sum(len(f["requirements"]) for f in cert["feeds"]) > 400  # the screen version keeps them all
