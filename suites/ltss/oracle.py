"""The suites' oracle: the compiled rules.yaml says what a conforming payer must answer.

Entries are generated from the same rules (valid ones by repair, invalid ones by breaking a
chosen rule), so the suites never hand-list cases the spec bundle already states.
"""

from __future__ import annotations

import random
from functools import cached_property
from pathlib import Path

from payercert.feeds import Feed
from payercert.session import TargetContext
from payercert.validators.placing import payer_today
from payercert.validators.rules import RuleContext
from payercert.validators.ruleset import Rule, RuleSet, load_ruleset

KIND = "billing-entry"
DATA = ("go_live", "service_identifiers", "clients", "provider_mas")


def rules_path(feed: Feed) -> Path:
    path = feed.kinds[KIND].rules_path
    if path is None:
        raise ValueError(f"the ltss feed's {KIND} kind names no rules file")
    return path


def default_rules() -> RuleSet:
    """The rules with the default readings: enough to name tests at collection time."""
    from payercert.feeds import load_feed

    feed = load_feed("ltss")
    return load_ruleset(rules_path(feed), feed.default_readings())


def record_rules(rules: RuleSet) -> list[Rule]:
    """Rules one entry can break on its own (not the caller's identity, not the store)."""
    return [r for r in rules.breakable() if r.check.kind != "unique"]


class Oracle:
    def __init__(self, target: TargetContext):
        self.target = target
        readings = {**target.feed.default_readings(), **target.target.readings}
        self.rules = load_ruleset(rules_path(target.feed), readings)
        self.data = target.require_data(*DATA)

    @cached_property
    def today(self):
        return payer_today(self.target.feed)

    def context(self) -> RuleContext:
        return RuleContext(today=payer_today(self.target.feed), data=self.data)

    def expected(self, entry: dict) -> str | None:
        return self.rules.expected_code(entry, self.context(), scopes=("record",))

    def codes(self, entry: dict) -> list[str]:
        found = self.rules.evaluate(entry, self.context()).violations
        return [v.rule.code for v in found if v.rule.code is not None]

    def explain(self, entry: dict) -> str:
        found = self.rules.evaluate(entry, self.context()).violations
        return "; ".join(f"{v.rule.id} {v.detail}" for v in found) or "no rule broken"

    def valid(self, rnd: random.Random) -> dict | None:
        return self.rules.valid_record(self.context(), rnd)

    def broken(self, entry: dict, rule_id: str, rnd: random.Random) -> dict | None:
        return self.rules.broken_record(entry, rule_id, self.context(), rnd)

    def with_defects(self, rule_ids: list[str], rnd: random.Random, attempts: int = 40) -> dict | None:
        """An entry that breaks every given rule at once, or None if they cannot fail together."""
        for _ in range(attempts):
            entry = self.valid(rnd)
            for rule_id in rule_ids:
                entry = self.broken(entry, rule_id, rnd) if entry else None
            if entry is None:
                continue
            broken = {v.rule.id for v in self.rules.evaluate(entry, self.context()).violations}
            if set(rule_ids) <= broken:
                return entry
        return None

    def service(self, basis: str) -> dict:
        return next(s for s in self.data["service_identifiers"] if s["basis"] == basis)
