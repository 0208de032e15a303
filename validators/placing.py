"""Where a finding sits inside a record, and how a rule's violations become findings: shared by the
generic engine and the NDJSON fast path, so both word and place a violation the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from payercert.feeds import Feed

from .findings import Finding, Location, Severity
from .locate import Locator, escape
from .readers import Record


def payer_today(feed: Feed, as_of: date | None = None) -> date:
    """The payer's "today" (its own time zone), or the date a run fixed with --as-of."""
    from zoneinfo import ZoneInfo  # read only where a rule needs the payer's today

    return as_of or datetime.now(ZoneInfo(feed.timezone)).date()


class Placer:
    """Locations inside one record: its pointer from the file's root (an export's array index
    included) and the line of the offending member's key, found in the record's text on demand."""

    def __init__(self, item: Record, fmt: str, value_lines: bool = False):
        self.item = item
        self.prefix = item.within or (f"/{item.index}" if fmt == "json" and item.index is not None else "")
        self.value_lines = value_lines
        self._locator: Locator | None = None

    @property
    def locator(self) -> Locator | None:
        if self._locator is None and self.item.locator is not None:
            self._locator = self.item.locator  # the wrapper's: pointers inside it start with `within`
        elif self._locator is None and self.item.text is not None:
            self._locator = Locator(self.item.text, self.item.line)
        return self._locator

    def __call__(self, pointer: str | None, key: bool = False) -> Location:
        """Where `pointer` is; with value lines, a finding about a field's name (key=True) still
        points at its key."""
        value = self.value_lines and not key
        inside = self.item.within + (pointer or "")
        line = self.locator.line(inside, value=value) if self.locator and (inside or value) else None
        return Location(line or self.item.line, None, (self.prefix + (pointer or "")) or None)


LEVEL_SEVERITY = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}


def severity_of(feed: Feed, requirement: str) -> Severity:
    """A finding's severity is its requirement's level: MUST an error, SHOULD a warning, MAY information."""
    req = feed.requirements.get(requirement)
    return LEVEL_SEVERITY.get(req.level, Severity.ERROR) if req else Severity.ERROR


def schema_findings(errors: Iterable, feed: Feed, default_requirement: str, code: str | None, place) -> list[Finding]:
    """A kind's schema errors as findings, each requirement once per place (one value failing two
    keywords of one requirement, pattern and format, is one defect), at its requirement's level.
    `place(pointer, key)` gives a Location (a Placer, or the line of an NDJSON record)."""
    out: list[Finding] = []
    reported: set[tuple] = set()
    for error in errors:
        requirement = error.requirement or default_requirement
        where = place(error.pointer, key=error.on_key)
        if (where, requirement) not in reported:
            reported.add((where, requirement))
            out.append(Finding(requirement, severity_of(feed, requirement), error.message, code, where))
    return out


def rule_findings(violations, place: Placer, all_errors: bool) -> Iterable[Finding]:
    first_coded_seen = False
    for v in violations:
        if v.rule.code is not None:
            if first_coded_seen and not all_errors:
                continue
            first_coded_seen = True
        field_name = getattr(v.rule.check, "field", None)
        pointer = v.pointer or (f"/{escape(field_name)}" if field_name else "")
        yield Finding(v.rule.id, v.rule.severity, f"{v.rule.message}: {v.detail}", v.rule.code, place(pointer))


def first_coded(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """A record's findings as rule_findings words them without all_errors: the first that carries a
    payer's error code, and every one that carries none (for findings worked out rule by rule)."""
    out, coded = [], False
    for finding in findings:
        if finding.code is not None:
            if coded:
                continue
            coded = True
        out.append(finding)
    return tuple(out)
