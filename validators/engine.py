"""Validate files: find the feed and kind, read records as a stream, apply the compiled rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from payercert.feeds import Feed, Kind, discover, load_feed

from . import errata
from .findings import FileReport, Finding, Location, Severity, UnusableInput
from .locate import RecordLines, escape
from .messages import MESSAGE_FORMATS, detect_message_kind, validate_message_file
from .placing import Placer, payer_today, rule_findings
from .readers import ParseProblem, Record, csv_header, first_chars, read_records, sniff_format
from .rules import RuleContext
from .ruleset import RuleSet, load_kind_rules


@dataclass
class Options:
    feed: str | None = None
    kind: str | None = None
    as_of: date | None = None
    all_errors: bool = False
    data: dict[str, Any] | None = None
    readings: dict[str, str] = field(default_factory=dict)
    signature: str | None = None  # a detached signature sent with the file (token, @file or header line)
    public_key: Path | None = None  # the sender's key to verify it
    companion: Path | None = None  # the file a payload answers (--request), for the kind's companion checks
    kind_options: dict[str, str] = field(default_factory=dict)  # a kind's own options (feed.yaml kinds.*.options)
    jobs: int = 0  # processes for a kind with a fast NDJSON validator (validators/fastpath.py); 0: by file size


def detect(path: Path, opts: Options) -> tuple[Feed, Kind, str]:
    """The feed, kind and format of a file: from the options where given, else from its content."""
    feed, kind, fmt, _because = recognise(path, opts)
    return feed, kind, fmt


def recognise(path: Path, opts: Options) -> tuple[Feed, Kind, str, str]:
    """`detect`, and why: the evidence that picked the kind, or the options that named it."""
    message = detect_message_kind(path, opts.feed, opts.kind)  # SOAP/MTOM/MIME/X12 kinds (`format:`)
    if message is not None:
        feed, kind, fmt = message
        named = " (named with --kind)" if opts.kind else ""
        return feed, kind, fmt, f"a {fmt} message its content shows, matching the kind's detection hints{named}"
    head = first_chars(path)
    fmt = sniff_format(path, head)
    feeds = [opts.feed] if opts.feed else discover()
    candidates: list[tuple[int, Feed, Kind]] = []
    keys, item_keys, problem = _first_keys(path, fmt)
    line = None  # an NDJSON file's first line, read once: the evidence below and refine_kind read it
    if fmt == "ndjson":
        from .fastpath import first_line

        line = first_line(path)
    record_text = line.decode("utf-8", "replace") if line else head  # a line can be longer than the head
    many = fmt == "ndjson" or (fmt == "json" and head.lstrip().startswith("["))  # several records
    for feed_id in feeds:
        feed = load_feed(feed_id)
        for kind in feed.kinds.values():
            if opts.kind and kind.name != opts.kind:
                continue
            if fmt not in kind.spec.get("formats", []):  # a kind reads only the formats it names
                continue
            wanted_items = set(kind.spec.get("detect", {}).get("item_keys", []))
            shared = len(kind.detect_keys & keys) + len(wanted_items & item_keys)
            declared = len(kind.detect_keys) + len(wanted_items)
            # a few generic names (id, type, data) shared with a kind prove nothing: most of them must be there
            score = shared if shared * 2 > declared else 0
            if any(proof in record_text for proof in kind.spec.get("detect", {}).get("contains", [])):
                score += PROOF  # text only this kind's records hold (a version's coding system, say)
            if score and many and kind.spec.get("detect", {}).get("records") == "many":
                score += 1  # a kind that reads a file's records together (a sequence) over one that reads one
            candidates.append((score, feed, kind))
    candidates.sort(key=lambda c: -c[0])
    if not candidates:
        raise UnusableInput(f"{path}: no feed reads {fmt} files" + (f" of kind {opts.kind}" if opts.kind else ""))
    if candidates[0][0] == 0 and not (opts.feed and opts.kind):
        # No kind's evidence in the file: never a guess. A feed the user names vouches for a JSON file
        # its one kind reads (a syntax error in it is then that kind's finding); a CSV file must still
        # show its header's known columns.
        if opts.feed and fmt != "csv" and len(candidates) == 1:
            return candidates[0][1], candidates[0][2], fmt, f"--feed {opts.feed}: its one kind that reads {fmt}"
        if problem is not None:  # the file cannot be read far enough to show evidence: say why
            where = f"line {problem.line}" + (f" column {problem.column}" if problem.column else "")
            reason = problem.message.removeprefix(f"not {fmt.upper()}: ").removeprefix("not JSON: ")
            raise UnusableInput(f"{path}: not {fmt.upper()} at {where}: {reason}")
        if not opts.feed:
            raise UnusableInput(
                f"{path}: cannot tell which feed this file belongs to: it shows no kind's evidence "
                "(a CSV header naming known columns, a JSON record's known keys); name it with --feed and --kind"
            )
        if fmt == "csv":
            kind = candidates[0][2]
            known = ", ".join(sorted(kind.detect_keys)[:4])
            raise UnusableInput(
                f"{path}: the CSV header names none of the columns of {opts.feed} {kind.name} ({known}, ...)"
            )
        raise UnusableInput(f"{path}: cannot tell which kind of {opts.feed} this file is; name it with --kind")
    _refuse_two_ways(path, candidates, opts)
    best_feed, best_kind = candidates[0][1], candidates[0][2]
    if fmt == "ndjson" and best_kind.spec.get("detect", {}).get("match") and not opts.kind:  # names tie: by shape
        from .fastpath import refine_kind

        others = [k for _, f, k in candidates[1:] if f.id == best_feed.id]
        best_kind = refine_kind(path, best_feed, best_kind, others, line)
    return best_feed, best_kind, fmt, _because(best_kind, keys | item_keys, record_text, opts)


def _because(kind: Kind, seen: set[str], record_text: str, opts: Options) -> str:
    if opts.feed and opts.kind:
        return "named with --feed and --kind"
    detect = kind.spec.get("detect", {})
    declared = sorted(kind.detect_keys | set(detect.get("item_keys", [])))
    shared = [k for k in declared if k in seen]
    why = f"{len(shared)} of its {len(declared)} keys ({', '.join(shared[:5])}{', ...' if len(shared) > 5 else ''})"
    proofs = [p for p in detect.get("contains", []) if p in record_text]
    return why + (f", and {proofs[0]} in the record" if proofs else "") + (" (named with --kind)" if opts.kind else "")


PROOF = 10  # what a kind's `detect.contains` adds to its score: it outweighs any count of shared keys


def _refuse_two_ways(path: Path, candidates: list[tuple[int, Feed, Kind]], opts: Options) -> None:
    """Kinds that the record's keys fit equally, and that declare different proofs of which they are
    (`detect.contains`), none of which the record shows: the evidence points two ways."""
    if opts.kind or not candidates or candidates[0][0] == 0:
        return
    tied = [kind for score, _, kind in candidates if score == candidates[0][0]]
    proofs = {tuple(kind.spec.get("detect", {}).get("contains", [])) for kind in tied}
    if len(tied) > 1 and len(proofs) > 1:
        names = ", ".join(kind.name for kind in tied[:-1]) + f" or {tied[-1].name}"
        raise UnusableInput(f"{path}: looks like {names}, and shows none of what tells them apart; name it with --kind")


def _first_keys(path: Path, fmt: str) -> tuple[set[str], set[str], ParseProblem | None]:
    """The first record's keys, those of the item it carries (`data[0]`, or `data`), and the parse
    problem that stood in the way of reading it, if one did. A CSV file's evidence is its header."""
    if fmt == "csv":
        return set(csv_header(path)), set(), None
    for item in read_records(path, fmt):
        if isinstance(item, ParseProblem):
            return set(), set(), item
        if isinstance(item.data, dict):
            inner = item.data.get("data")
            inner = inner[0] if isinstance(inner, list) and inner else inner
            return set(item.data), set(inner) if isinstance(inner, dict) else set(), None
        return set(), set(), None
    return set(), set(), None


def validate_file(path: Path, opts: Options) -> FileReport:
    report = FileReport(str(path))
    try:
        _must_be_a_file(path)
        feed, kind, fmt, report.recognised_by = recognise(path, opts)
        report.feed, report.kind = feed.id, kind.name
        if kind.spec.get("format") in MESSAGE_FORMATS:
            validate_message_file(path, feed, kind, fmt, opts.readings, opts.kind_options, report)
            return report
        if fmt == "ndjson" and "fast" in kind.spec:  # typed decoding, schema and rules for the rare odd line
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
    key's; `schema_severity: level` gives a schema finding its requirement's level (MUST error,
    SHOULD warning, MAY info); `schema_code` replaces the code SCHEMA (null: none, for a payer
    without error codes). Selected readings apply the schemas' `x-reading` overrides."""
    from .kind_checks import KindChecks, load_companion, severity_of
    from .schemas import compiled_schema
    from .sequence import sequence_check

    readings = {**feed.default_readings(), **opts.readings}
    decimal = kind.spec.get("numbers") == "decimal"
    schema = (
        compiled_schema(kind.root / kind.spec["schema"], decimal, tuple(sorted(readings.items())))
        if "schema" in kind.spec
        else None
    )
    by_level = kind.spec.get("schema_severity") == "level"
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
    for item in read_records(path, fmt, _coercer(ruleset), decimal=decimal):
        if isinstance(item, ParseProblem):
            report.findings.append(
                Finding(syntax_req, Severity.ERROR, item.message, "SYNTAX", Location(item.line, item.column))
            )
            continue
        report.records += 1
        place = Placer(item, fmt, value_lines)
        report.findings.extend(_duplicate_findings(kind, syntax_req, item, place))
        reported: set[tuple] = set()
        for error in schema.errors(item.data) if schema is not None else ():
            requirement = error.requirement or shape_req
            where = place(error.pointer, key=error.on_key)
            if (where, requirement) in reported:
                continue  # one value failing two keywords of one requirement (pattern and format)
            reported.add((where, requirement))
            severity = severity_of(feed, requirement) if by_level else Severity.ERROR
            report.findings.append(Finding(requirement, severity, error.message, schema_code, where))
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
