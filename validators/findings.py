"""Findings: what a validator says about one place in one file.

A finding names the requirement it comes from, so a file report, a suite failure and the
certificate all speak of the same catalogue entries.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, is_dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from payercert.errors import UnusableInput  # noqa: F401 (validators raise it from here)


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    line: int | None = None
    column: int | None = None
    pointer: str | None = None  # JSON pointer, XPath or X12 segment position

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}" + (f":{self.column}" if self.column else ""))
        if self.pointer:
            parts.append(self.pointer)
        return " ".join(parts) or "-"


@dataclass(frozen=True)
class Finding:
    requirement: str
    severity: Severity
    message: str
    code: str | None = None  # the payer's own error code where it has one
    location: Location = field(default_factory=Location)
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict:
        """As asdict() gives it, without its deep copy (a big file's report lists thousands)."""
        loc = self.location
        data = {
            "requirement": self.requirement,
            "severity": self.severity.value,
            "message": self.message,
            "code": self.code,
            "location": {"line": loc.line, "column": loc.column, "pointer": loc.pointer},
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
        }
        return {k: v for k, v in data.items() if v is not None or k == "code"}


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


@dataclass
class FileReport:
    """Everything found in one file."""

    path: str
    feed: str | None = None
    kind: str | None = None
    records: int = 0
    findings: list[Finding] = field(default_factory=list)
    skipped_checks: list[str] = field(default_factory=list)  # checks not applied, and why
    unusable: str | None = None  # one-line reason when the file could not be read at all
    # (requirement, severity value) -> findings counted but not listed (a big file's repeats)
    omitted: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # how the file was read, when the user should know
    recognised_by: str | None = None  # why this feed and kind: the evidence, or the options that named them

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR) + self._omitted(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING) + self._omitted(Severity.WARNING)

    def _omitted(self, severity: Severity) -> int:
        return sum(n for (_, sev), n in self.omitted.items() if sev == severity.value)

    def as_dict(self) -> dict:
        data: dict[str, Any] = {
            "path": self.path,
            "feed": self.feed,
            "kind": self.kind,
            "records": self.records,
            "findings": [f.as_dict() for f in self.findings],
        }
        if self.recognised_by:
            data["recognised_by"] = self.recognised_by
        if self.skipped_checks:
            data["skipped_checks"] = self.skipped_checks
        if self.omitted:
            data["omitted_findings"] = [
                {"requirement": r, "severity": s, "count": n} for (r, s), n in sorted(self.omitted.items())
            ]
        if self.notes:
            data["notes"] = self.notes
        if self.unusable:
            data["unusable"] = self.unusable
        return data


def as_json(value: Any) -> str:
    """A value as the user's file writes it (JSON), never a Python repr: "2024-01-01", null, {"end": ...}."""
    if isinstance(value, Decimal):
        return str(value)
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."
