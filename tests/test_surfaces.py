"""Where a requirement applies and where a run checked it (payercert/surfaces.py): the catalogue's
surfaces resolve to real places, an exchange is placed where it belongs, exchange checks and tests
count their places, and the certificate shows "checked on N of M" with what was not reached."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from payercert.config import Target
from payercert.errors import ConfigError
from payercert.exchange_checks import covers
from payercert.feeds import discover, load_feed
from payercert.reporting.certificate import FeedRun, TestOutcome, build_certificate, render_html
from payercert.session import TargetContext
from payercert.surfaces import _resolve as resolve
from payercert.surfaces import coverage, surfaces_of


@pytest.mark.parametrize("feed_id", discover())
def test_every_declared_surface_is_a_place_of_the_feed(feed_id):
    surfaces = surfaces_of(feed_id)  # an unknown set or a glob that matches nothing raises
    for requirement, places in surfaces.governs.items():
        assert requirement in load_feed(feed_id).requirements
        assert places and all(p in surfaces.places for p in places), requirement


def test_a_surface_that_names_nothing_is_refused():
    places = surfaces_of("tpastream").places
    with pytest.raises(ConfigError, match="surface set @nowhere, which is not declared"):
        resolve("tpastream", "requirement TPA-X-1", ["@nowhere"], places, {})
    with pytest.raises(ConfigError, match="'GET /claim', which matches no place"):
        resolve("tpastream", "requirement TPA-X-1", ["GET /claim"], places, {})


def request(method: str, url: str, body: bytes = b"") -> httpx.Request:
    return httpx.Request(method, url, content=body)


def test_an_exchange_is_placed_at_its_operation_under_any_base_path():
    tpa = surfaces_of("tpastream")
    assert tpa.place_of(request("GET", "https://tpa.example/api/claims?page=2")) == "GET /claims"
    assert tpa.place_of(request("GET", "https://tpa.example/api/member/17/claims")) == "GET /member/{id}/claims"
    assert tpa.place_of(request("GET", "https://tpa.example/api/member")) == "GET /member"
    assert tpa.place_of(request("POST", "https://tpa.example/api/member")) is None  # no such operation
    ab2d = surfaces_of("ab2d")
    status = "https://ab2d.example/api/v3/fhir/Job/33333333-aaaa/$status"
    assert ab2d.place_of(request("GET", status)) == "GET /api/v3/fhir/Job/{jobUuid}/$status"
    assert ab2d.place_of(request("DELETE", status)) == "DELETE /api/v3/fhir/Job/{jobUuid}/$status"


def test_a_declared_place_is_told_by_the_message_it_carries():
    webbbs = surfaces_of("webbbs")
    batch = "https://w.example/soap/coreservice.svc/batch"
    submit = b"<soapenv:Body><cor:COREEnvelopeBatchSubmission>"
    ack = b"<soapenv:Body><cor:COREEnvelopeBatchSubmissionAckRetrievalRequest>"
    assert webbbs.place_of(request("POST", batch, submit)) == "SOAP batch submission"
    assert webbbs.place_of(request("POST", batch, ack)) == "SOAP batch acknowledgment retrieval"
    mime = b'--b\r\nContent-Disposition: form-data; name="ProcessingMode"\r\n\r\nRealTime\r\n--b--\r\n'
    assert webbbs.place_of(request("POST", "https://w.example/mime/COREservice.aspx", mime)) == "MIME RealTime"
    assert webbbs.place_of(request("POST", "https://w.example/mime/COREservice.aspx", b"")) is None


def _kind_text(feed, kind) -> str:
    """Everything a kind's validator reads: its spec, its schema and rule files."""
    text = json.dumps(kind.spec)
    root = feed.root
    names = [kind.spec.get("schema")] + [r if isinstance(r, str) else r.get("file") for r in _rules(kind.spec)]
    for name in filter(None, names):
        text += (root / name).read_text(encoding="utf-8")
        folder = (root / name).parent  # a schema's $refs to its neighbours
        text += "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.json"))
    return text


def _rules(spec) -> list:
    rules = spec.get("rules", [])
    return rules if isinstance(rules, list) else [rules]


@pytest.mark.parametrize("feed_id", discover())
def test_an_exchange_check_covers_only_what_it_can_find(feed_id):
    """A check counts as checking a requirement only when its validator can report that requirement."""
    feed = load_feed(feed_id)
    for check in feed.spec.get("exchange_checks", []):
        if check.get("body") in (None, "any"):
            reads = json.dumps(check) + json.dumps({k: v for k, v in feed.spec.items() if k != "requirements"})
            reads += "".join(_kind_text(feed, k) for k in feed.kinds.values()) if check.get("body") == "any" else ""
        else:
            reads = json.dumps(check) + _kind_text(feed, feed.kinds[check["body"]])
        for requirement in covers(feed, check):
            assert requirement in feed.requirements, requirement
            assert re.search(rf"\b{re.escape(requirement)}\b", reads), f"{feed_id}: {requirement} in {check['when']}"


def _context(feed_id: str) -> TargetContext:
    target = Target(name="t", feed=feed_id, environment="test", production=False, urls={}, credentials={})
    return TargetContext(load_feed(feed_id), target)


def test_an_exchange_check_counts_the_place_it_held_to_its_requirements():
    ctx = _context("ab2d")
    try:
        req = request("GET", "https://ab2d.example/api/v2/fhir/Job/0f5e/$status")
        ctx._record(req, httpx.Response(202, headers={"X-Progress": "50% complete", "Retry-After": "5"}), None)
        assert ctx.reached == ["GET /api/v2/fhir/Job/{jobUuid}/$status"]
        assert ("AB2D-STATUS-1", "GET /api/v2/fhir/Job/{jobUuid}/$status") in ctx.checked
        assert not ctx.violations
    finally:
        ctx.close()


def test_a_shared_result_counts_its_places_for_every_test_that_reads_it():
    ctx = _context("tpastream")
    try:

        def compute():
            ctx._record(request("GET", "https://tpa.example/api/member"), httpx.Response(500), None)
            return "walk"

        assert ctx.shared("walk", compute) == "walk"
        first, ctx.reached = ctx.reached, []
        assert ctx.shared("walk", lambda: pytest.fail("computed twice")) == "walk"
        assert first == ctx.reached == ["GET /member"]
    finally:
        ctx.close()


def test_the_certificate_shows_checked_on_n_of_m_and_what_was_not_reached():
    feed = load_feed("tpastream")
    reached = {"TPA-MONEY-1": {"GET /claims", "GET /member/{id}/claims"}}
    run = FeedRun(
        feed=feed,
        target="t",
        environment="test",
        suite="full",
        started=datetime(2026, 1, 1, tzinfo=UTC),
        finished=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=1),
        outcomes=[TestOutcome("n", "money", "tpastream", ("TPA-MONEY-1",), "passed")],
        waivers={},
        surfaces=coverage("tpastream", reached),
    )
    cert, _ = build_certificate([run])
    row = next(r for r in cert["feeds"][0]["requirements"] if r["id"] == "TPA-MONEY-1")
    assert row["surfaces"]["checked"] == ["GET /claims", "GET /member/{id}/claims"]
    assert row["surfaces"]["missed"] == ["GET /employer/{id}/claims", "GET /policy_holder/{id}/claims"]
    html = render_html(cert)
    assert "checked on 2 of 4; not reached: <code>GET /employer/{id}/claims</code>" in html
    places = cert["feeds"][0]["coverage"]["surfaces"]
    assert places["checked"] == 2 and places["governed"] == sum(
        len(p) for p in surfaces_of("tpastream").governs.values()
    )
