"""Validate files: find the feed and kind, read records as a stream, apply the compiled rules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from payercert.feeds import Feed, Kind

from . import errata
from .findings import FileReport, Finding, Location, Severity, UnusableInput
from .locate import RecordLines, escape
from .messages import MESSAGE_FORMATS, validate_message_file
from .placing import Placer, payer_today, rule_findings, schema_findings
from .readers import Item, ParseProblem, Record, read_records
from .recognise import Options, recognise, wrapped_records, wraps
from .rules import RuleContext
from .ruleset import RuleSet, load_kind_rules


def detect(path: Path, opts: Options) -> tuple[Feed, Kind, str]:
    """The feed, kind and format of a file: from the options where given, else from its content."""
    found = recognise(path, opts)
    return found.feed, found.kind, found.format


def validate_file(path: Path, opts: Options) -> FileReport:
    report = FileReport(str(path))
    try:
        _must_be_a_file(path)
        found = recognise(path, opts)
        feed, kind, fmt = found.feed, found.kind, found.format
        report.feed, report.kind, report.recognised_by = feed.id, kind.name, found.because
        if kind.spec.get("format") in MESSAGE_FORMATS:
            validate_message_file(path, feed, kind, fmt, opts.readings, opts.kind_options, report, opts.all_errors)
            return report
        if fmt == "ndjson" and "fast" in kind.spec and not found.wrapped:  # typed decoding, schema and rules
            from .fastpath import validate_fast

            validate_fast(path, feed, kind, opts, report)
            return report
        if "rules" not in kind.spec and "schema" not in kind.spec:
            raise UnusableInput(f"{path}: kind {kind.name} of feed {feed.id} has no file validator")
        _validate_records(path, fmt, feed, kind, opts, report)
        if opts.signature or opts.public_key:
            report.findings.extend(_signature_findings(feed, kind, opts))
        report.findings = errata.annotate(feed, report.findings)
    except UnusableInput as exc:
        report.unusable = str(exc)
    except RecursionError:  # Python's JSON reader follows about a thousand levels, and no payer nests so deep
        report.unusable = f"{path}: JSON nested deeper than the reader follows (about 1,000 levels)"
    return report


def _must_be_a_file(path: Path) -> None:
    """A regular file, or a one-line reason: a FIFO or a device would block or never end."""
    if path.is_file():
        return
    if not path.exists():
        raise UnusableInput(f"{path}: no such file")
    if path.is_dir():
        raise UnusableInput(f"{path}: a folder, not a file")
    raise UnusableInput(f"{path}: not a regular file (a FIFO, socket or device), not read")


def _signature_findings(feed: Feed, kind: Kind, opts: Options) -> list[Finding]:
    from .signature import check_signature, load_public_key, read_token

    if "signature" not in kind.spec:
        raise UnusableInput(f"a {kind.name} file of feed {feed.id} carries no signature to check")
    if not (opts.signature and opts.public_key):
        raise UnusableInput("checking a signature needs both --signature and --public-key")
    from zoneinfo import ZoneInfo  # the payer's clock, read only where a rule needs today

    when = datetime.combine(opts.as_of, datetime.min.time(), ZoneInfo(feed.timezone)) if opts.as_of else None
    return check_signature(kind.spec["signature"], read_token(opts.signature), load_public_key(opts.public_key), when)


def _coercer(ruleset: RuleSet | None):
    """CSV cells are text: give the fields the rules declare as numbers their JSON type back."""
    numeric = {name for name, spec in ruleset.fields.items() if spec.get("type") == "number"} if ruleset else set()

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


def _validate_records(path: Path, fmt: str, feed: Feed, kind: Kind, opts: Options, report: FileReport) -> None:
    """One pass over the records: syntax, duplicate names, the kind's JSON Schema (the shape),
    then its ordered rules and declared checks (what a schema cannot say), then its sequence (what
    records say together). Rules run on every record, a misshapen one too (a known deviation is
    still worth its warning); a rule stays silent on values of the wrong shape, which are the
    schema's findings.

    Kind options: `numbers: decimal` reads numbers (file and schemas) as Decimal, so decimal
    places are exact; `finding_lines: value` places a finding at its value's line rather than its
    key's; `schema_code` replaces the code SCHEMA (null: none, for a payer
    without error codes). Selected readings apply the schemas' `x-reading` overrides."""
    from .kind_checks import KindChecks, load_companion
    from .schemas import compiled_schema
    from .sequence import sequence_check

    readings = {**feed.default_readings(), **opts.readings}
    decimal = kind.spec.get("numbers") == "decimal"
    schema = (
        compiled_schema(kind.root / kind.spec["schema"], decimal, tuple(sorted(readings.items())))
        if "schema" in kind.spec
        else None
    )
    value_lines = kind.spec.get("finding_lines") == "value"
    schema_code = kind.spec.get("schema_code", "SCHEMA")
    ruleset = load_kind_rules(kind, readings)
    checks = KindChecks(feed, kind, load_companion(path, feed, kind, opts.companion), readings)
    sequence = sequence_check(feed, kind, readings)
    ctx = RuleContext(today=payer_today(feed, opts.as_of), data=opts.data)
    syntax_req = kind.spec.get("syntax_requirement", next(iter(feed.requirements), "SYNTAX"))
    shape_req = kind.spec.get("requirement", syntax_req)
    known_fields = set(ruleset.fields) if ruleset else set()
    unique_fields = {r.check.field for r in ruleset.rules if r.check.kind == "unique"} if ruleset else set()
    skipped: set[str] = set()
    records = read_records(path, fmt, _coercer(ruleset), decimal=decimal)
    if (
        fmt == "ndjson"
        and ruleset
        and schema is None
        and not (checks.checks or sequence or decimal or "wrapped" in kind.spec)
    ):
        from .ruled_lines import ruled_lines  # most lines read a block at a time in C; the rest as below

        scanned = ruled_lines(feed.id, kind.name, tuple(sorted(readings.items())))
        if scanned is not None:
            records = scanned.items(path, report, ctx, skipped, opts.all_errors)
    for item in _unwrapped(records, fmt, kind, syntax_req, report) if "wrapped" in kind.spec else records:
        if isinstance(item, ParseProblem):
            report.findings.append(
                Finding(syntax_req, Severity.ERROR, item.message, "SYNTAX", Location(item.line, item.column))
            )
            continue
        report.records += 1
        place = Placer(item, fmt, value_lines)
        report.findings.extend(_duplicate_findings(kind, syntax_req, item, place))
        if schema is not None:
            report.findings.extend(schema_findings(schema.errors(item.data), feed, shape_req, schema_code, place))
        if checks.checks or sequence is not None:
            lines = RecordLines(item)
            report.findings.extend(checks.check(item, lines))
            if sequence is not None:
                report.findings.extend(sequence.check(item, lines))
        if ruleset is None:
            continue
        if not isinstance(item.data, dict):
            report.findings.append(
                Finding(syntax_req, Severity.ERROR, f"a {ruleset.record} must be a JSON object", "SYNTAX", place(""))
            )
            continue
        for extra in sorted(set(item.data) - known_fields) if known_fields else ():
            report.findings.append(
                Finding(
                    syntax_req,
                    Severity.WARNING,
                    f"field {extra!r} is not in the data format",
                    None,
                    place(f"/{escape(extra)}"),
                )
            )
        result = ruleset.evaluate(item.data, ctx)
        skipped |= result.skipped
        report.findings.extend(rule_findings(result.violations, place, opts.all_errors))
        for name, value in item.data.items():
            if isinstance(value, (str, int, float)) and name in unique_fields:
                ctx.seen.setdefault(name, set()).add(value)
    report.skipped_checks.extend(checks.skipped)
    report.skipped_checks += [
        f"{rid} (needs target data: {', '.join(feed.requirements[rid].needs_data) or 'reference data'})"
        if rid in feed.requirements
        else rid
        for rid in sorted(skipped)
    ]


def _unwrapped(items: Iterable[Item], fmt: str, kind: Kind, syntax_req: str, report: FileReport) -> Iterator[Item]:
    """Records as they are, and those sent inside a wrapper the kind declares (feed.yaml `wrapped`: a FHIR
    Bundle's entries), each read as one record placed inside the wrapper, after one finding that says
    the file should hold the records themselves."""
    wrapped = kind.spec["wrapped"]
    holder, member = wrapped["records"]
    for item in items:
        if isinstance(item, ParseProblem) or not wraps(kind, item.data):
            yield item
            continue
        place = Placer(item, fmt)
        report.findings.append(Finding(wrapped["requirement"], Severity.ERROR, wrapped["message"], "SYNTAX", place("")))
        report.findings.extend(_duplicate_findings(kind, syntax_req, item, place))
        for index, record in enumerate(wrapped_records(kind, item.data)):
            within = f"/{holder}/{index}/{member}"  # from the wrapper's root, where its Locator starts
            locator = place.locator
            line = locator.line(within, value=True) if locator is not None else None
            yield Record(line or item.line, record, index, within=within, locator=locator)


def _duplicate_findings(kind: Kind, syntax_req: str, item: Record, place: Placer) -> Iterable[Finding]:
    """Names given twice in one object, at their second occurrence (the parser kept only the last)."""
    if not item.duplicate_keys:
        return
    requirement = kind.spec.get("duplicate_key_requirement", syntax_req)
    locator = place.locator
    if locator is not None:
        locator.lines  # scanning the record's text finds each duplicate's pointer and exact line  # noqa: B018
    if locator is not None and locator.duplicates:
        for pointer, line in locator.duplicates:
            yield Finding(
                requirement,
                Severity.ERROR,
                f"key {pointer.rsplit('/', 1)[1]!r} appears twice in one object; a JSON parser silently "
                "keeps only the last value",
                "DUPLICATE-KEY",
                Location(line, None, place.prefix + pointer),
            )
        return
    for key, line in item.duplicate_keys:  # CSV has no text to scan; the reader's lines are the best known
        yield Finding(
            requirement,
            Severity.ERROR,
            f"key {key!r} appears twice in one object; a JSON parser silently keeps only the last value",
            "DUPLICATE-KEY",
            Location(line),
        )
