"""Every item of every page validates against its schema (specs/tpastream/schemas/, errors mapped to
requirements by x-requirement), plus what a schema cannot say: date-range order and non-emptiness,
a claim's consistency with itself, unique member names, the JSON content type.

Read-only (GETs only), so nothing here is `mutating`."""

from datetime import date

import pytest

from payercert.feeds import load_feed
from payercert.suites.tpastream.client import LISTS, NESTED, DuplicateName, schema, strict_json
from payercert.validators.rules import RuleContext
from payercert.validators.ruleset import load_kind_rules

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement
PER_PAGE = 100
SCHEMA_REQUIREMENTS = [
    "TPA-PAGE-1",
    "TPA-DATA-1",
    "TPA-DATA-2",
    "TPA-DATA-3",
    "TPA-DATA-4",
    "TPA-DATA-5",
    "TPA-DATA-6",
    "TPA-DATA-7",
    "TPA-DATA-8",
    "TPA-DATA-9",
    "TPA-DATA-10",
    "TPA-DATA-11",
    "TPA-RANGE-1",
    "TPA-RANGE-2",
    "TPA-RANGE-3",
    "TPA-MONEY-1",
    "TPA-MONEY-2",
    "TPA-TIME-1",
    "TPA-TIME-2",
    "TPA-ENUM-1",
    "TPA-ENUM-2",
    "TPA-ENUM-3",
    "TPA-ENUM-4",
]
ENDPOINT = {"/claims": "TPA-EP-1", "/employer": "TPA-EP-2", "/member": "TPA-EP-3", "/policy_holder": "TPA-EP-4"}


# The nested claims lists answer the same claims: every requirement on a claim holds there too, checked
# on the claims of the first employer, member and policy holder of each list.


def _every_list(tpa) -> dict[str, str]:
    """Path -> page schema of every list a claim or an entity is served on."""
    lists = dict(LISTS)
    for path, key in NESTED.items():
        for entity in tpa.all_items(path, 1):
            lists[f"{path}/{entity[key]}/claims"] = LISTS["/claims"]
    return lists


def schema_errors(tpa):
    """All schema errors of every page of the four lists and of nested claims lists, computed once per run."""

    def compute():
        found = []
        for path, name in _every_list(tpa).items():
            walk = tpa.walk(path, PER_PAGE)
            for number, body in enumerate(walk.pages, start=1):
                found += [(e.requirement, f"{path} page {number}{e.message}") for e in schema(name).errors(body)]
        return found

    return tpa.target.shared("tpastream-schema-errors", compute)


@pytest.mark.parametrize("requirement_id", [pytest.param(r, marks=requirement(r), id=r) for r in SCHEMA_REQUIREMENTS])
def test_every_item_validates(tpa, requirement_id):
    """Every page of /claims, /employer, /member and /policy_holder, and of the nested claims lists, validates against its schema"""
    mine = [m for r, m in schema_errors(tpa) if r == requirement_id]
    assert not mine, f"{requirement_id}: {len(mine)} schema error(s), first: {mine[0]}"


@pytest.mark.parametrize(
    "path", [pytest.param(p, marks=requirement(r, "TPA-FMT-1"), id=p) for p, r in ENDPOINT.items()]
)
def test_list_endpoint_serves_its_entities(tpa, path):
    """Each list endpoint answers a paginated envelope of its entities, starting with page 1"""
    walk = tpa.walk(path, PER_PAGE)
    assert not walk.problems, f"{ENDPOINT[path]}: {walk.problems[0]}"
    assert walk.first and walk.first.get("page") == 1, f"{ENDPOINT[path]}: the first page is not page 1"
    assert walk.total, f"{ENDPOINT[path]}: {path} lists nothing; the checks need at least one item"


def rule_violations(tpa, requirement_id: str) -> list[str]:
    """What the bundle's own rules (specs/tpastream/*-rules.yaml, the validator's) find on every page."""

    def compute():
        found = []
        feed = load_feed("tpastream")
        ctx = RuleContext(today=date.today())
        for path, name in LISTS.items():
            rules = load_kind_rules(feed.kinds[name.removesuffix(".json")], feed.default_readings())
            if rules is None:
                continue  # a list without rules has no rule findings
            for number, body in enumerate(tpa.walk(path, PER_PAGE).pages, start=1):
                found += [
                    (v.rule.id, f"{path} page {number} {v.pointer}: {v.detail}")
                    for v in rules.evaluate(body, ctx).violations
                ]
        return found

    return [
        message for rid, message in tpa.target.shared("tpastream-rule-violations", compute) if rid == requirement_id
    ]


@requirement("TPA-RANGE-4")
def test_date_ranges_are_ordered(tpa):
    """Every date range has start <= end"""
    found = rule_violations(tpa, "TPA-RANGE-4")
    assert not found, f"TPA-RANGE-4: {len(found)} range(s) end before they start, first: {found[0]}"


@requirement("TPA-RANGE-5")
def test_date_ranges_are_not_empty(tpa):
    """Every date range holds at least one day under its bounds"""
    found = rule_violations(tpa, "TPA-RANGE-5")
    assert not found, f"TPA-RANGE-5: {len(found)} empty range(s), first: {found[0]}"


@requirement("TPA-NEST-6")
def test_claims_are_consistent_within_themselves(tpa):
    """policy_holder_id matches policy_holder, policy_holder_fullname matches, members' employer_id matches employer.id"""
    found = rule_violations(tpa, "TPA-NEST-6")
    assert not found, f"TPA-NEST-6: {len(found)} inconsistent claim(s), first: {found[0]}"


@requirement("TPA-FMT-2")
@pytest.mark.parametrize("path", list(LISTS))
def test_member_names_are_unique(tpa, path):
    """No JSON object of a page repeats a member name (the document's sample has "status" twice)"""
    response = tpa.get(path, {"per_page": PER_PAGE})
    assert response.status_code == 200, f"TPA-EP-1: {path} answered {response.status_code}"
    try:
        strict_json(response.content)
    except DuplicateName as exc:
        raise AssertionError(f"TPA-FMT-2: {path}: {exc}") from None


@requirement("TPA-FMT-3")
@pytest.mark.parametrize("path", list(LISTS))
def test_json_content_type(tpa, path):
    """Pages and errors are served as application/json"""
    for response in (tpa.get(path, {"per_page": 1}), tpa.get(path, authorization=None)):
        media = response.headers.get("content-type", "").split(";")[0].strip()
        assert media == "application/json", f"TPA-FMT-3: {path} HTTP {response.status_code} Content-Type {media!r}"
