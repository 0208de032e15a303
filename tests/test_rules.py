"""Rule compilation: the primitives' three faces agree with each other, rule by rule."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payercert.feeds import load_feed
from payercert.validators.rules import RuleContext, build_check
from payercert.validators.ruleset import load_ruleset

FEED = load_feed("ltss")
RULES = load_ruleset(FEED.kinds["billing-entry"].rules_path, FEED.default_readings())
TODAY = date(2026, 11, 20)
DATA = {
    "go_live": TODAY - timedelta(days=400),
    "service_identifiers": [
        {"id": "U1", "basis": "unit", "max_units": 8},
        {"id": "C1", "basis": "cost", "max_rate": 90.0},
    ],
    "clients": ["A1", {"id": "P1", "pilot_date": TODAY - timedelta(days=30)}],
    "provider_mas": ["M1"],
}


def ctx():
    return RuleContext(today=TODAY, data=DATA)


def test_every_rule_names_a_catalogue_requirement():
    assert {r.id for r in RULES.rules} <= set(FEED.requirements)
    for rule in RULES.rules:
        req = FEED.requirements[rule.id]
        assert rule.code == req.code, f"{rule.id}: code {rule.code} in rules.yaml, {req.code} in feed.yaml"


def test_rules_follow_the_documents_code_order():
    codes = [int(r.code) for r in RULES.rules if r.code]
    assert codes == sorted(codes)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_generated_records_are_valid(rnd):
    record = RULES.valid_record(ctx(), rnd)
    if record is not None:
        assert RULES.evaluate(record, ctx()).violations == []


@pytest.mark.parametrize("rule_id", [r.id for r in RULES.breakable() if r.check.kind != "unique"])
def test_breaking_a_rule_violates_it(rule_id):
    rnd = random.Random(rule_id)
    broken = None
    for _ in range(50):
        record = RULES.valid_record(ctx(), rnd)
        broken = record and RULES.broken_record(record, rule_id, ctx(), rnd)
        if broken:
            break
    assert broken, f"{rule_id} could not be broken from any valid record"
    assert rule_id in {v.rule.id for v in RULES.evaluate(broken, ctx()).violations}
    assert RULES.expected_code(broken, ctx()) is not None


def test_first_failure_short_circuits_and_all_errors_lists_every_rule():
    entry = {"TransactionId": "t", "ServiceDate": "2026-11-01", "Units": 1.5, "Cost": 2.345}
    evaluation = RULES.evaluate(entry, ctx())
    codes = [v.rule.code for v in evaluation.violations if v.rule.code]
    assert codes[0] == "1200" and {"1300", "1500", "1600", "1700"} <= set(codes)
    assert RULES.expected_code(entry, ctx()) == "1200"


def test_checks_needing_data_are_skipped_without_it():
    evaluation = RULES.evaluate({"TransactionId": "t", "ClientLtssId": "nobody"}, RuleContext(today=TODAY))
    assert "LTSS-1500-2" in evaluation.skipped
    assert all(v.rule.id != "LTSS-1500-2" for v in evaluation.violations)


def test_readings_change_codes():
    strict = load_ruleset(FEED.kinds["billing-entry"].rules_path, {"LTSS-R-DECIMALS-CODE": "1400"})
    assert strict.rule("LTSS-1300-7").code == "1400"
    lenient = load_ruleset(FEED.kinds["billing-entry"].rules_path, {"LTSS-R-UNITS-DEFINED": "non-zero"})
    zero_units = {"ServiceIdentifier": "C1", "Units": 0, "Cost": 5.0}
    assert lenient.rule("LTSS-1300-6").check.failure(zero_units, ctx()) is None
    assert RULES.rule("LTSS-1300-6").check.failure(zero_units, ctx()) is not None


def test_fault_changes_drop_recode_and_move():
    changed = RULES.with_changes(
        [("drop", "LTSS-1200-4"), ("recode", "LTSS-1500-2", "1600"), ("move_before", "LTSS-1700-1", "LTSS-1100-1")]
    )
    ids = [r.id for r in changed.rules]
    assert "LTSS-1200-4" not in ids and ids.index("LTSS-1700-1") < ids.index("LTSS-1100-1")
    assert changed.rule("LTSS-1500-2").code == "1600" and RULES.rule("LTSS-1500-2").code == "1500"


@pytest.mark.parametrize(
    "value,ok",
    [("09-12-2026", True), ("9-12-2026", False), ("2026-09-12", False), ("02-30-2026", False), (20260912, False)],
)
def test_date_format_is_strict(value, ok):
    check = build_check({"check": "date_format", "field": "D", "format": "%m-%d-%Y"})
    assert (check.failure({"D": value}, ctx()) is None) == ok


@pytest.mark.parametrize("value,ok", [(5.4, True), (5.25, True), (5.255, False), (1e-3, False), (7, True)])
def test_max_decimals(value, ok):
    check = build_check({"check": "max_decimals", "field": "Cost", "places": 2})
    assert (check.failure({"Cost": value}, ctx()) is None) == ok


def test_unknown_primitive_is_refused():
    with pytest.raises(ValueError, match="unknown rule primitive"):
        build_check({"check": "nope"})


@pytest.mark.parametrize(
    "page,ok",
    [
        ({"page": 1, "pages": 3, "has_next": True, "total": 25, "per_page": 10}, True),
        ({"page": 3, "pages": 3, "has_next": True, "total": 25, "per_page": 10}, False),
        ({"page": 1, "pages": 0, "has_next": False, "total": 0, "per_page": 10}, True),
    ],
)
def test_invariant_primitive(page, ok):
    check = build_check({"check": "invariant", "expr": "has_next == (page < pages)"})
    assert (check.failure(page, ctx()) is None) == ok
    pages = build_check({"check": "invariant", "expr": "pages == ceil(total / per_page)", "when": "per_page > 0"})
    assert pages.failure(page, ctx()) is None


@pytest.mark.parametrize("expr", ["__import__('os')", "x.__class__", "open('f')", "[a for a in b]", "lambda: 1"])
def test_invariant_expressions_are_sandboxed(expr):
    with pytest.raises((ValueError, SyntaxError)):
        build_check({"check": "invariant", "expr": expr})


def test_reference_data_dates_from_json_or_quoted_yaml(tmp_path):
    """JSON has no dates and a quoted YAML date is text: both still give `date` values."""
    from datetime import date

    from payercert.validators.ruleset import load_reference_data

    (tmp_path / "d.json").write_text('{"go_live": "2025-07-01", "clients": [{"id": "A1", "pilot": "2025-02-30"}]}')
    (tmp_path / "d.yaml").write_text("go_live: '2025-07-01'\nother: 2025-07-02\n")
    assert load_reference_data(tmp_path / "d.json") == {
        "go_live": date(2025, 7, 1),
        "clients": [{"id": "A1", "pilot": "2025-02-30"}],  # not a calendar date: left as written
    }
    assert load_reference_data(tmp_path / "d.yaml") == {"go_live": date(2025, 7, 1), "other": date(2025, 7, 2)}


def test_schema_messages_show_the_value_and_the_rule_not_the_schema():
    from referencing import Registry

    from payercert.validators.schemas import CompiledSchema

    schema = {
        "$id": "https://payercert.invalid/t.json",
        "type": "object",
        "properties": {
            "period": {
                "oneOf": [
                    {"type": "object", "required": ["start"], "x-requirement": "T-1"},
                    {"type": "object", "required": ["end"], "x-requirement": "T-1"},
                ]
            },
            "kind": {"not": {"const": "forbidden"}},
            "n": {"type": "integer"},
        },
    }
    record = {"period": {"start": "2024-01-01", "end": "2024-02-01"}, "kind": "forbidden", "n": {"a": 1, "b": 2}}
    messages = sorted(e.message for e in CompiledSchema(schema, Registry()).errors(record))
    assert messages == [
        '/kind: "forbidden" is not allowed here',
        "/n: an object with a, b is not of type integer",
        "/period: an object with start, end matches more than one of the shapes allowed here",
    ]
    assert not any("x-requirement" in m for m in messages)


def test_schema_errors_become_one_finding_per_place_at_their_requirements_level():
    """One value failing two keywords of one requirement is one defect; a SHOULD is a warning."""
    from types import SimpleNamespace

    from payercert.feeds import load_feed
    from payercert.validators.findings import Location, Severity
    from payercert.validators.placing import schema_findings

    feed = load_feed("tpastream")
    should = next(r.id for r in feed.requirements.values() if r.level == "SHOULD")
    must = next(r.id for r in feed.requirements.values() if r.level == "MUST")
    errors = [
        SimpleNamespace(requirement=should, pointer="/a", on_key=False, message="pattern"),
        SimpleNamespace(requirement=should, pointer="/a", on_key=False, message="format"),
        SimpleNamespace(requirement=None, pointer="/b", on_key=False, message="type"),
    ]
    found = schema_findings(errors, feed, must, "SCHEMA", lambda pointer, key: Location(1, None, pointer))
    assert [(f.requirement, f.severity, f.location.pointer) for f in found] == [
        (should, Severity.WARNING, "/a"),
        (must, Severity.ERROR, "/b"),
    ]
