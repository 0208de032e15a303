"""Pagination (Flask-SQLAlchemy's Pagination serialised as-is, docs/sources/payers.md 2.4): envelope invariants on
every answer to generated page/per_page values, full walks, and walks at two page sizes.

Read-only (GETs only), so nothing here is `mutating`."""

from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payercert.suites.tpastream.client import LISTS, envelope_findings, error_findings, strict_json

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement
INVARIANTS = [
    "TPA-PAGE-1",
    "TPA-PAGE-2",
    "TPA-PAGE-3",
    "TPA-PAGE-4",
    "TPA-PAGE-5",
    "TPA-PAGE-6",
    "TPA-PAGE-7",
    "TPA-PAGE-8",
    "TPA-PAGE-9",
    "TPA-QUERY-1",
    "TPA-QUERY-2",
]
PATHS = list(LISTS)
WALK_PER_PAGE = 7  # not a divisor of most totals: the last page is partial

number = st.one_of(st.integers(-3, 40), st.sampled_from([10**6, 2**31, 10**12]))
values = st.one_of(number, number.map(str), st.sampled_from(["abc", "1.5", "", "1e3", "0x10", "-0"]))


def _as_int(value):
    text = str(value)
    return int(text) if text.isdigit() else None


def answer_findings(tpa, target, path, page, per_page) -> list[tuple[str, str]]:
    """(requirement, message) for what one answer to page/per_page breaks."""
    response = tpa.get(path, {"page": page, "per_page": per_page})
    where = f"{path}?page={page!r}&per_page={per_page!r}"
    p, pp = _as_int(page), _as_int(per_page)
    if p is None or pp is None or p < 1 or pp < 1:
        if not 400 <= response.status_code < 500:
            return [("TPA-QUERY-4", f"{where} answered {response.status_code}, expected a 4xx")]
        return [("TPA-QUERY-4", f"{where}: {m}") for m in error_findings(response)]
    if response.status_code == 404 and p > 1:
        return [("TPA-QUERY-5", f"{where}: {m}") for m in error_findings(response)]  # beyond the last page
    if response.status_code != 200:
        return [("TPA-QUERY-1", f"{where} answered {response.status_code} {response.text[:200]}")]
    body = strict_json(response.content)
    return [(r, f"{where}: {m}") for r, m in envelope_findings(body, p, pp, target.reading("TPA-R-PREV-NUM"))]


def generated_findings(tpa, target) -> list[tuple[str, str]]:
    """Run the generated page/per_page answers once per run; each requirement's test reads its findings."""
    return target.shared("tpastream-generated-paging", lambda: _generated(tpa, target))


def _generated(tpa, target) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    nested = [f"{path}/{entity}/claims" for path, entity in tpa.path_ids().items()]

    @settings(max_examples=settings().max_examples * 2)
    @given(path=st.sampled_from(PATHS + nested), page=values, per_page=values)
    @example(path="/claims", page=1, per_page=1)
    @example(path="/claims", page=1, per_page=7)
    @example(path="/claims", page=2, per_page=7)
    @example(path="/claims", page=1, per_page=10**6)
    @example(path="/claims", page=10**6, per_page=5)
    @example(path="/employer", page=0, per_page=10)
    @example(path="/member", page=1, per_page=0)
    @example(path="/policy_holder", page=-1, per_page="abc")
    def check(path, page, per_page):
        found.extend(answer_findings(tpa, target, path, page, per_page))

    check()
    return found


@pytest.mark.parametrize(
    "requirement_id", [pytest.param(r, marks=requirement(r), id=r) for r in INVARIANTS + ["TPA-QUERY-4", "TPA-QUERY-5"]]
)
def test_envelope_for_generated_page_and_per_page(tpa, target, requirement_id):
    """Every answer to generated page/per_page values (0, negative, huge, past the last page, not integers)
    keeps the envelope invariants, or is a 4xx with a message"""
    mine = [m for r, m in generated_findings(tpa, target) if r == requirement_id]
    assert not mine, f"{requirement_id}: {len(mine)} answer(s) break it, first: {mine[0]}"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("requirement_id", [pytest.param(r, marks=requirement(r), id=r) for r in INVARIANTS])
def test_envelope_on_every_page_of_a_walk(tpa, target, path, requirement_id):
    """Every page of a walk at per_page=7, the last one included, keeps the envelope invariants"""
    walk = tpa.walk(path, WALK_PER_PAGE)
    assert walk.first, f"TPA-PAGE-1: walking {path} got no page: {walk.problems}"
    for page, body in enumerate(walk.pages, start=1):
        mine = [
            m
            for r, m in envelope_findings(body, page, WALK_PER_PAGE, target.reading("TPA-R-PREV-NUM"))
            if r == requirement_id
        ]
        assert not mine, f"{requirement_id} ({path} page {page}): {mine[0]}"


@requirement("TPA-QUERY-5", "TPA-PAGE-9")
@pytest.mark.parametrize("path", PATHS)
def test_page_after_the_last(tpa, path):
    """The page after the last is a 404 with a message, or 200 with no items and has_next false"""
    first = tpa.envelope(path, {"per_page": WALK_PER_PAGE})
    after = first["pages"] + 1
    response = tpa.get(path, {"page": after, "per_page": WALK_PER_PAGE})
    if response.status_code == 404:
        assert not error_findings(response), f"TPA-QUERY-5: {error_findings(response)[0]}"
        return
    assert response.status_code == 200, f"TPA-QUERY-5: page {after} (after the last) answered {response.status_code}"
    body = strict_json(response.content)
    assert body.get("data") == [] and body.get("has_next") is False, (
        f"TPA-PAGE-9: page {after} of {first['pages']} holds {len(body.get('data') or [])} items, has_next {body.get('has_next')}"
    )


@requirement("TPA-PAGE-11", "TPA-PAGE-12")
@pytest.mark.parametrize("path", PATHS)
def test_walk_returns_total_distinct_items(tpa, path):
    """Walking every page at per_page=7 returns exactly total items, none repeated, with the same total throughout"""
    walk = tpa.walk(path, WALK_PER_PAGE)
    assert not walk.problems, f"TPA-PAGE-11: the walk of {path} broke off: {walk.problems[0]}"
    totals = set(walk.envelopes)
    assert len(totals) == 1, f"TPA-PAGE-12: total/pages/per_page changed during the walk of {path}: {sorted(totals)}"
    ids = walk.ids
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not repeated, f"TPA-PAGE-11: {path} walk repeats ids {repeated[:5]}"
    assert len(ids) == walk.total, f"TPA-PAGE-11: {path} walk returned {len(ids)} items, total says {walk.total}"


@requirement("TPA-PAGE-11")
@pytest.mark.parametrize("path", PATHS)
def test_walks_at_two_page_sizes_agree(tpa, path):
    """Walks at per_page=7 and per_page=25 return the same items in the same order"""
    small, large = tpa.walk(path, WALK_PER_PAGE), tpa.walk(path, 25)
    assert not small.problems and not large.problems, f"TPA-PAGE-11: {(small.problems + large.problems)[0]}"
    assert small.ids == large.ids, (
        f"TPA-PAGE-11: {path} walks differ: {len(small.ids)} items at 7 per page, {len(large.ids)} at 25 "
        f"(only at 7: {sorted(set(small.ids) - set(large.ids))[:5]}, only at 25: {sorted(set(large.ids) - set(small.ids))[:5]})"
    )


@requirement("TPA-PAGE-10", "TPA-QUERY-3")
@pytest.mark.parametrize("path", PATHS)
def test_defaults(tpa, target, path):
    """Without page and per_page the answer is page 1 at per_page 10"""
    body = tpa.envelope(path)
    assert body.get("page") == 1, f"TPA-QUERY-3: without page, page is {body.get('page')}"
    mine = [m for r, m in envelope_findings(body, None, None, target.reading("TPA-R-PREV-NUM")) if r == "TPA-PAGE-10"]
    assert not mine, f"TPA-PAGE-10: {mine[0]}"
    assert len(body["data"]) == min(10, body["total"]), f"TPA-PAGE-10: {len(body['data'])} items without per_page"


@requirement("TPA-QUERY-2")
def test_per_page_1000(tpa):
    """per_page=1000, the document's recommendation, is honoured"""
    body = tpa.envelope("/claims", {"per_page": 1000})
    assert body.get("per_page") == 1000, f"TPA-QUERY-2: per_page=1000 answered per_page {body.get('per_page')}"
    assert len(body["data"]) == min(1000, body["total"]), f"TPA-QUERY-2: {len(body['data'])} items at per_page=1000"


@requirement("TPA-PAGE-7")
def test_empty_list(tpa, target):
    """An empty list (a member without claims) has total 0, pages 0, no data, no next or previous page"""
    for member in tpa.all_items("/member", 50):
        body = tpa.envelope(f"/member/{member['id']}/claims")
        if body.get("total") == 0:
            mine = [
                m for r, m in envelope_findings(body, None, None, target.reading("TPA-R-PREV-NUM")) if r == "TPA-PAGE-7"
            ]
            assert not mine, f"TPA-PAGE-7: {mine[0]}"
            return
    pytest.skip("no member without claims among the first 50: no empty list to check")
