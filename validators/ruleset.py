"""A feed's `rules.yaml`, compiled: ordered rules over one record.

The same compiled `RuleSet` is the file validator, the simulator's validation and the suites'
oracle (which error code must a payer return for this record?), so the three cannot drift.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from payercert import usercache

from .findings import Severity
from .rules import MISSING, Check, NeedsData, RuleContext, build_check, select

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Rule:
    id: str  # the requirement it checks, from the feed's catalogue
    code: str | None  # the payer's error code; None for advisory rules the payer does not enforce
    message: str
    severity: Severity
    check: Check

    @property
    def scope(self) -> str:
        return self.check.scope


@dataclass(frozen=True)
class Violation:
    rule: Rule
    detail: str
    pointer: str | None = None  # where in the record, when the check says (else its field)


@dataclass
class Evaluation:
    violations: list[Violation] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)  # rule ids not applied for want of data

    @property
    def first(self) -> Violation | None:
        return next((v for v in self.violations if v.rule.code is not None), None)


class RuleSet:
    def __init__(self, spec: dict, readings: dict[str, str] | None = None, folder: Path | None = None):
        self.record = spec.get("record", "record")
        self.fields: dict[str, dict] = spec.get("fields", {})
        self.codes: dict[str, str] = {str(k): v for k, v in spec.get("codes", {}).items()}
        self.data_spec: dict[str, dict] = spec.get("data", {})
        self.rules: list[Rule] = [self._rule(raw, readings or {}) for raw in spec.get("rules", [])]
        # `include: [{file, each}]`: another rules file applied to parts of this record (a page's items)
        self.includes: list[tuple[str | dict, RuleSet]] = [
            (inc.get("each", ""), load_ruleset((folder or Path(".")) / inc["file"], readings))
            for inc in spec.get("include", [])
        ]

    def _rule(self, raw: dict, readings: dict[str, str]) -> Rule:
        raw = dict(raw)
        for key, patch in raw.pop("readings", {}).items():
            reading, option = key.split("=", 1)
            if readings.get(reading) == option:
                raw.update(patch)
        code = str(raw["code"]) if raw.get("code") is not None else None
        message = raw.get("message") or self.codes.get(code or "", raw["id"])
        severity = Severity(raw.get("severity", "error"))
        return Rule(raw["id"], code, message, severity, build_check(raw))

    # --- the validator and the simulator ---------------------------------------------------
    def evaluate(
        self, rec: dict, ctx: RuleContext, *, scopes=("record",), stop_at_first=False, rules: list[Rule] | None = None
    ) -> Evaluation:
        """Violations of the rules (`rules`: only these of them, and no included file's) by `rec`."""
        result = Evaluation()
        for rule in self.rules if rules is None else rules:
            if rule.scope not in scopes:
                continue
            try:
                for detail in rule.check.failures(rec, ctx):
                    result.violations.append(Violation(rule, detail, getattr(detail, "pointer", None)))
                    if stop_at_first and rule.code is not None:
                        return result
            except NeedsData:
                result.skipped.add(rule.id)
                continue
        for each, included in self.includes if rules is None else ():
            for prefix, part in select(rec, each):
                if isinstance(part, dict):
                    for v in included.evaluate(part, ctx, scopes=scopes).violations:
                        result.violations.append(dataclasses.replace(v, pointer=prefix + (v.pointer or "")))
        return result

    def expected_code(self, rec: dict, ctx: RuleContext, scopes=("session", "record")) -> str | None:
        """The error code a conforming payer returns for this record, or None for success."""
        first = self.evaluate(rec, ctx, scopes=scopes, stop_at_first=True).first
        return first.rule.code if first else None

    def data_needed(self) -> list[str]:
        return list(self.data_spec)

    # --- the generators ---------------------------------------------------------------------
    def fresh_value(self, name: str, ctx: RuleContext, rnd: random.Random) -> Any:
        gen = self.fields.get(name, {}).get("generate")
        if gen == "uuid":
            import uuid  # only for a rule that draws identifiers (the suites')

            return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        if isinstance(gen, dict) and "data" in gen:
            table = ctx.table(gen["data"])
            row = rnd.choice(list(table))
            return row["id"] if isinstance(row, dict) else row
        if isinstance(gen, dict) and "date" in gen:
            return (ctx.today - timedelta(days=rnd.randint(0, int(gen.get("max_age_days", 30))))).strftime(gen["date"])
        if isinstance(gen, dict) and "integer" in gen:
            return rnd.randint(gen["integer"]["min"], gen["integer"]["max"])
        if isinstance(gen, dict) and "money" in gen:
            cents = rnd.randint(int(gen["money"]["min"] * 100), int(gen["money"]["max"] * 100))
            return round(cents / 100, 2)
        raise ValueError(f"field {name!r} has no generator")

    def valid_record(self, ctx: RuleContext, rnd: random.Random, attempts: int = 30) -> dict | None:
        """A record every rule accepts: fresh values, then each failing rule repairs it."""
        ctx.fresh = lambda name: self.fresh_value(name, ctx, rnd)
        rec = {name: self.fresh_value(name, ctx, rnd) for name in self.fields}
        for _ in range(attempts):
            first = self.evaluate(rec, ctx).violations
            if not first:
                return rec
            repaired = first[0].rule.check.repair(rec, ctx, rnd)
            if repaired is None:
                return None
            rec = repaired
        return None

    def broken_record(self, rec: dict, rule_id: str, ctx: RuleContext, rnd: random.Random) -> dict | None:
        """The record changed so that it breaks `rule_id` (it may then break others too)."""
        ctx.fresh = lambda name: self.fresh_value(name, ctx, rnd)
        out = self.rule(rule_id).check.breaks(dict(rec), ctx, rnd)
        if out is None:
            return None
        broken = self.evaluate(out, ctx, scopes=("record",))
        return out if any(v.rule.id == rule_id for v in broken.violations) else None

    def with_changes(self, changes: list[tuple]) -> RuleSet:
        """A copy with rules dropped, recoded or moved: how a simulator's fault profile deviates."""
        clone = copy.copy(self)
        rules = list(self.rules)

        def index(rule_id: str) -> int:
            return next(i for i, r in enumerate(rules) if r.id == rule_id)

        for op, rule_id, *arg in changes:
            if op == "drop":
                rules.pop(index(rule_id))
            elif op == "recode":
                rules[index(rule_id)] = dataclasses.replace(rules[index(rule_id)], code=arg[0])
            elif op == "move_before":
                rule = rules.pop(index(rule_id))
                rules.insert(index(arg[0]), rule)
            else:
                raise ValueError(f"unknown rule change {op!r}")
        clone.rules = rules
        return clone

    def requirement_ids(self) -> set[str]:
        """Every requirement these rules check, included files too."""
        return {r.id for r in self.rules}.union(*(inc.requirement_ids() for _, inc in self.includes))

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def breakable(self, scopes=("record",)) -> Iterator[Rule]:
        return (r for r in self.rules if r.scope in scopes and r.code is not None)


@functools.lru_cache(maxsize=64)
def _spec(path: Path) -> dict:
    """A rules file, parsed; kept in the user's cache as feed documents are (payercert/feeds.py)."""
    key = usercache.key_of(path)
    spec = usercache.load("rules", key)
    if spec is usercache.MISSING:
        import yaml  # only when the cache misses

        with path.open(encoding="utf-8") as fh:
            spec = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        usercache.store("rules", key, spec)
    return spec


def load_ruleset(path: Path, readings: dict[str, str] | None = None) -> RuleSet:
    """Compiled rules; the YAML is parsed once per process (suites compile per test)."""
    return RuleSet(copy.deepcopy(_spec(path)), readings, path.parent)


def load_kind_rules(kind, readings: dict[str, str] | None = None) -> RuleSet | None:
    """A kind's rules: one file, or a list of files each applied to the record or to parts of it
    (`{file, each}`, e.g. a page's arithmetic, then every item's own rules on `data[]`)."""
    spec = kind.spec.get("rules")
    if spec is None:
        return None
    if isinstance(spec, str):
        return load_ruleset(kind.root / spec, readings)
    includes = [entry if isinstance(entry, dict) else {"file": entry} for entry in spec]
    return RuleSet({"record": kind.spec.get("record", "record"), "include": includes}, readings, kind.root)


def load_reference_data(path: Path) -> dict[str, Any]:
    """Target reference data (YAML or JSON): dates become `date` objects, whether YAML read them as
    dates or they were written as ISO strings (JSON has no dates; a quoted YAML date is a string)."""
    import yaml

    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: reference data must be a mapping of names to values")
    return _dates(data)


def _dates(value: Any) -> Any:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # 2025-02-30 stays the text it is; a check that needs a date will say so
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value


__all__ = [
    "RuleSet",
    "Rule",
    "Violation",
    "Evaluation",
    "load_ruleset",
    "load_kind_rules",
    "load_reference_data",
    "MISSING",
    "date",
]
