"""Validate files: find the feed and kind, read records as a stream, apply the compiled rules."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from payercert.feeds import Feed, Kind, discover, load_feed

from .findings import FileReport, Finding, Location, Severity, UnusableInput
from .readers import ParseProblem, Record, first_chars, read_records, sniff_format
from .rules import RuleContext
from .ruleset import RuleSet, load_ruleset


@dataclass
class Options:
    feed: str | None = None
    kind: str | None = None
    as_of: date | None = None
    all_errors: bool = False
    data: dict[str, Any] | None = None
    readings: dict[str, str] = field(default_factory=dict)
    jobs: int = 1  # processes for a kind with a fast NDJSON validator (validators/fastpath.py)


def payer_today(feed: Feed, as_of: date | None = None) -> date:
    return as_of or datetime.now(ZoneInfo(feed.timezone)).date()


def detect(path: Path, opts: Options) -> tuple[Feed, Kind, str]:
    """The feed, kind and format of a file: from the options where given, else from its content."""
    head = first_chars(path)
    fmt = sniff_format(path, head)
    feeds = [opts.feed] if opts.feed else discover()
    candidates: list[tuple[int, Feed, Kind]] = []
    keys, item_keys = _first_keys(path, fmt)
    for feed_id in feeds:
        feed = load_feed(feed_id)
        for kind in feed.kinds.values():
            if opts.kind and kind.name != opts.kind:
                continue
            if fmt not in kind.spec.get("formats", []):  # a kind reads only the formats it names
                continue
            wanted_items = set(kind.spec.get("detect", {}).get("item_keys", []))
            candidates.append((len(kind.detect_keys & keys) + len(wanted_items & item_keys), feed, kind))
    candidates.sort(key=lambda c: -c[0])
    if not candidates:
        raise UnusableInput(f"{path}: no feed reads {fmt} files" + (f" of kind {opts.kind}" if opts.kind else ""))
    if candidates[0][0] == 0 and not (opts.feed and opts.kind):
        if len(candidates) == 1:
            return candidates[0][1], candidates[0][2], fmt
        raise UnusableInput(f"{path}: cannot tell which feed this file belongs to; name it with --feed (and --kind)")
    best_feed, best_kind = candidates[0][1], candidates[0][2]
    if fmt == "ndjson" and best_kind.spec.get("detect", {}).get("match") and not opts.kind:  # names tie: by shape
        from .fastpath import first_line, refine_kind

        others = [k for _, f, k in candidates[1:] if f.id == best_feed.id]
        best_kind = refine_kind(path, best_feed, best_kind, others, first_line(path))
    return best_feed, best_kind, fmt


def _first_keys(path: Path, fmt: str) -> tuple[set[str], set[str]]:
    """The first record's keys, and those of the item it carries (`data[0]`, or `data`)."""
    for item in read_records(path, fmt):
        if isinstance(item, Record) and isinstance(item.data, dict):
            inner = item.data.get("data")
            inner = inner[0] if isinstance(inner, list) and inner else inner
            return set(item.data), set(inner) if isinstance(inner, dict) else set()
        return set(), set()
    return set(), set()


def validate_file(path: Path, opts: Options) -> FileReport:
    report = FileReport(str(path))
    try:
        if not path.is_file():
            raise UnusableInput(f"{path}: no such file")
        feed, kind, fmt = detect(path, opts)
        report.feed, report.kind = feed.id, kind.name
        if fmt == "ndjson" and "fast" in kind.spec:  # typed decoding, schema and rules for the rare odd line
            from .fastpath import validate_fast

            validate_fast(path, feed, kind, opts, report)
            return report
        if kind.rules_path is None and "schema" not in kind.spec:
            raise UnusableInput(f"{path}: kind {kind.name} of feed {feed.id} has no file validator")
        if "schema" in kind.spec:  # the shape first, then the rules a schema cannot say
            _apply_schema(path, fmt, feed, kind, report)
        if kind.rules_path is not None:
            ruleset = load_ruleset(kind.rules_path, {**feed.default_readings(), **opts.readings})
            _apply_rules(path, fmt, feed, kind, ruleset, opts, report, schema_checked="schema" in kind.spec)
    except UnusableInput as exc:
        report.unusable = str(exc)
    return report


def _coercer(ruleset: RuleSet):
    """CSV cells are text: give the fields the rules declare as numbers their JSON type back."""
    numeric = {name for name, spec in ruleset.fields.items() if spec.get("type") == "number"}

    def coerce(name: str, cell: str) -> Any:
        if name not in numeric:
            return cell
        try:
            number = float(cell)
        except ValueError:
            return cell
        if number != number or number in (float("inf"), float("-inf")):
            return cell  # nan and inf are not numbers a payer takes
        return int(number) if number.is_integer() and "." not in cell else number

    return coerce


def _apply_rules(path: Path, fmt: str, feed: Feed, kind: Kind, ruleset: RuleSet, opts: Options, report: FileReport,
                 schema_checked: bool = False):
    """Ordered rules over each record. After a schema pass, syntax and shape are not repeated."""
    ctx = RuleContext(today=payer_today(feed, opts.as_of), data=opts.data)
    syntax_req = kind.spec.get("syntax_requirement", next(iter(feed.requirements), "SYNTAX"))
    known_fields = set(ruleset.fields)
    unique_fields = {r.check.field for r in ruleset.rules if r.check.kind == "unique"}
    skipped: set[str] = set()
    for item in read_records(path, fmt, _coercer(ruleset)):
        if isinstance(item, ParseProblem):
            if not schema_checked:
                report.findings.append(Finding(syntax_req, Severity.ERROR, item.message, "SYNTAX",
                                               Location(item.line, item.column)))
            continue
        pointer = f"/{item.index}" if fmt == "json" and item.index is not None else None
        if not schema_checked:
            report.records += 1
            report.findings.extend(_duplicate_findings(kind, syntax_req, item))
        if not isinstance(item.data, dict):
            if not schema_checked:
                report.findings.append(Finding(syntax_req, Severity.ERROR, f"a {ruleset.record} must be a JSON object",
                                               "SYNTAX", Location(item.line, None, pointer)))
            continue
        for extra in sorted(set(item.data) - known_fields) if known_fields else ():
            report.findings.append(Finding(syntax_req, Severity.WARNING, f"field {extra!r} is not in the data format",
                                           None, Location(item.line, None, _join(pointer, extra))))
        result = ruleset.evaluate(item.data, ctx)
        skipped |= result.skipped
        report.findings.extend(_findings(result.violations, item, pointer, opts.all_errors))
        for name, value in item.data.items():
            if isinstance(value, (str, int, float)) and name in unique_fields:
                ctx.seen.setdefault(name, set()).add(value)
    report.skipped_checks = [f"{rid} (needs target data: {', '.join(feed.requirements[rid].needs_data) or 'reference data'})"
                             if rid in feed.requirements else rid for rid in sorted(skipped)]


def _duplicate_findings(kind: Kind, syntax_req: str, item: Record) -> Iterable[Finding]:
    requirement = kind.spec.get("duplicate_key_requirement", syntax_req)
    for key, line in item.duplicate_keys:
        yield Finding(requirement, Severity.ERROR,
                      f"key {key!r} appears twice in one object; a JSON parser silently keeps only the last value",
                      "DUPLICATE-KEY", Location(line))


def _apply_schema(path: Path, fmt: str, feed: Feed, kind: Kind, report: FileReport) -> None:
    """A kind described by a JSON Schema: each record validated, each error mapped to the
    requirement its schema names (`x-requirement`), nearest first."""
    from .schemas import compiled_schema

    validator = compiled_schema(kind.root / kind.spec["schema"])
    syntax_req = kind.spec.get("syntax_requirement", next(iter(feed.requirements), "SYNTAX"))
    default_req = kind.spec.get("requirement", syntax_req)
    for item in read_records(path, fmt):
        if isinstance(item, ParseProblem):
            report.findings.append(Finding(syntax_req, Severity.ERROR, item.message, "SYNTAX",
                                           Location(item.line, item.column)))
            continue
        report.records += 1
        prefix = f"/{item.index}" if fmt == "json" and item.index is not None else ""
        report.findings.extend(_duplicate_findings(kind, syntax_req, item))
        for error in validator.errors(item.data):
            report.findings.append(Finding(error.requirement or default_req, Severity.ERROR, error.message,
                                           "SCHEMA", Location(item.line, None, prefix + error.pointer)))


def _findings(violations, item: Record, pointer: str | None, all_errors: bool) -> Iterable[Finding]:
    first_coded_seen = False
    for v in violations:
        if v.rule.code is not None:
            if first_coded_seen and not all_errors:
                continue
            first_coded_seen = True
        field_name = getattr(v.rule.check, "field", None)
        yield Finding(v.rule.id, v.rule.severity, f"{v.rule.message}: {v.detail}", v.rule.code,
                      Location(item.line, None, _join(pointer, field_name)))


def _join(pointer: str | None, name: str | None) -> str | None:
    if name is None:
        return pointer
    return f"{pointer or ''}/{name}"
