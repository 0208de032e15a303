"""NDJSON at full speed: three tiers, each exact, the first that can judge a line decides it.

1. The line checker (validators/linecheck.py, C): the kind's JSON Schema compiled to a program that
   reads the line's bytes once, building nothing, and passes it only when it is strict JSON with no
   member twice and valid under the schema. It hands back the raw text of the members the rules
   read, which keys the rule memo; only on a memo miss is that text decoded for the rules.
2. msgspec Structs generated from the same schema (validators/typed.py, `fast: typed` in feed.yaml),
   which say no less than the schema, for the lines the checker leaves (it does not read every
   escape, non-ASCII text under a pattern, exponents): a line that decodes into them, and whose
   re-encoding shows no member lost, has no schema error. They are built on the first such line.
3. The same jsonschema + rules path as `validators/engine.py`, for the lines that break the
   schema: the findings are the same whichever tier takes a line.

Files are read as bytes, a megabyte block at a time, never whole (a line of MAX_LINE or more is a
finding, skipped unread). Where the kind's rules depend on the record alone, a block goes to C whole
(validators/linescan.py): the line checker and the rules' memo run over every line of it, and only
the lines with something to say come back here. Findings past the listing cap are counted without
being built. `jobs` > 1 splits an uncompressed file at line boundaries into byte ranges, one process
each, and renumbers their findings by counting each range's newlines.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import msgspec

from payercert.feeds import Feed, Kind, load_feed

from .findings import FileReport, Finding, Location, Severity
from .linecheck import NotCompilable, line_program
from .linecheck import check_line as program_check
from .placing import Placer, first_coded, payer_today, rule_findings, schema_findings
from .readers import MAX_LINE, STRICT, DuplicateKeys, Record
from .rules import RuleContext
from .ruleset import load_ruleset
from .typed import NotTypeable, plain_line, typed_kind

BOM = b"\xef\xbb\xbf"
MAX_LISTED = 1000  # findings listed per requirement and severity in one file; the rest are counted


@dataclass
class FastKind:
    """One kind's validators, compiled once per process."""

    feed: Feed
    kind: Kind
    readings: tuple[tuple[str, str], ...]
    syntax_req: str
    encoding_req: str
    layout_req: str | None
    program: Any = None  # the line checker's program (validators/linecheck.py), or None
    encoder: msgspec.json.Encoder = field(default_factory=msgspec.json.Encoder)
    buffer: bytearray = field(default_factory=bytearray)  # re-encodings, reused line after line

    def __post_init__(self) -> None:
        rules_path = self.kind.rules_path
        self.ruleset = load_ruleset(rules_path, dict(self.readings)) if rules_path else None
        self.rule_names = sorted(_rule_names(self.ruleset.rules)) if self.ruleset else []
        self.default_req = self.kind.spec.get("requirement", self.syntax_req)
        self.dup_req = self.kind.spec.get("duplicate_key_requirement", self.syntax_req)
        self.rule_memo: dict | None = {} if self.ruleset and _pure(self.ruleset) else None
        # each pure rule with the members it reads: its findings are remembered per distinct raw text of
        # those members alone (a rule over `precedence` is not worked out again because `diagnosis`
        # differs from line to line)
        self.rule_parts = (
            [(rule, tuple(sorted(_rule_names([rule]))), _element_reads(rule)) for rule in self.ruleset.rules]
            if self.ruleset is not None and self.rule_memo is not None
            else []
        )
        self.part_memo: dict = {}
        self.shared_results: dict = {}  # ids of the parts' tuples -> the line's LineResult
        # the members the line checker hands back for the memo key (it takes at most 64 names)
        self.rule_keys = tuple(name.encode() for name in self.rule_names) if len(self.rule_names) <= 64 else None

    @cached_property
    def scan_spec(self) -> tuple | None:
        """What the C memo keys each rule by (validators/linescan.py), or None: the lines are read one
        by one (no line checker, or rules whose outcome is not the record's alone)."""
        from .linescan import BUILT, scan_spec

        if self.program is None or not BUILT:
            return None
        if self.ruleset is None:
            return (), ()
        if self.rule_memo is None or self.rule_keys is None:
            return None
        return scan_spec(self.rule_names, self.rule_parts, {})

    def findings_of(self, ctx: RuleContext):
        """(rule index, line, the members' raw text) -> every finding of that rule in a line the
        checker passes, placed at line 0; None when a value will not decode (the line takes the
        per-line path)."""

        def findings(index: int, line: bytes, values: bytes) -> tuple | None:
            rule, names, _ = self.rule_parts[index]
            raws = _raw_members(self, values)
            try:
                rec = {name: msgspec.json.decode(raws[name]) for name in names if name in raws}
            except (msgspec.MsgspecError, ValueError):  # a lone surrogate
                return None
            return tuple(_rule_findings(self, rec, 0, ctx, True, [rule]))  # Answers keeps the first coded

        return findings

    @property
    def schema(self):
        from .schemas import compiled_schema

        return compiled_schema(self.kind.root / self.kind.spec["schema"])

    @cached_property
    def decoders(self) -> tuple[msgspec.json.Decoder, msgspec.json.Decoder] | None:
        """(strict, plain) decoders into the kind's Structs, built for the first line the line checker
        does not pass (most files have none); None: the schema has no Structs, the schema path decides."""
        try:
            types = typed_kind((self.kind.root / self.kind.spec["schema"]).resolve(), self.readings)
        except NotTypeable:
            if self.program is None:
                raise
            return None
        return msgspec.json.Decoder(types.strict), msgspec.json.Decoder(types.plain)


def _rule_names(rules) -> set[str]:
    """The record members the rules read (linescan.rule_reads): only these are handed to them."""
    from .linescan import rule_reads

    names: set[str] = set()
    for rule in rules:
        reads = rule_reads(rule)
        if reads is None:
            raise ValueError(f"rule {rule.id} may read any member of a record: a fast kind hands its rules only theirs")
        names |= reads
    return names


def _pure(ruleset) -> bool:
    """Every rule's outcome depends on the record's values alone (no memory of other records, no
    reference data): its findings may be worked out once per distinct set of values read."""
    from .rules import Invariant, Pattern

    return not ruleset.includes and all(type(rule.check) in (Invariant, Pattern) for rule in ruleset.rules)


MEMO_SIZE = 8192  # distinct rule inputs remembered; a payer's known deviations repeat on nearly every line


@lru_cache(maxsize=32)
def fast_kind(feed_id: str, kind_name: str, readings: tuple[tuple[str, str], ...] = ()) -> FastKind | None:
    feed = load_feed(feed_id)
    kind = feed.kinds[kind_name]
    if not kind.spec.get("fast"):
        return None
    if kind.spec["fast"] != "typed":
        raise ValueError(f"kind {kind_name} of feed {feed_id}: unknown fast validator {kind.spec['fast']!r}")
    syntax_req = kind.spec.get("syntax_requirement", next(iter(feed.requirements), "SYNTAX"))
    try:
        program = line_program((kind.root / kind.spec["schema"]).resolve(), readings)
    except NotCompilable:
        program = None  # every line takes the Structs
    fk = FastKind(
        feed,
        kind,
        readings,
        syntax_req,
        kind.spec.get("encoding_requirement", syntax_req),
        kind.spec.get("layout_requirement"),
        program,
    )
    if program is None:
        try:
            fk.decoders  # built now: every line needs them  # noqa: B018
        except NotTypeable as exc:
            raise ValueError(f"kind {kind_name} of feed {feed_id}: its schema cannot be typed: {exc}") from None
    return fk


# --- one line -------------------------------------------------------------------------------------------


@dataclass
class LineResult:
    findings: list[Finding]
    record: bool  # the line was a JSON value (counted as a record)
    placed: tuple[Finding, ...] = ()  # rule findings worked out once, at line 0: `at(line)` places them


NO_FINDINGS: list[Finding] = []  # the findings of every memoised LineResult: never appended to


def at(finding: Finding, line: int) -> Finding:
    loc = finding.location
    return Finding(
        finding.requirement, finding.severity, finding.message, finding.code, Location(line, loc.column, loc.pointer)
    )


def check_line(fk: FastKind, raw: bytes, line: int, ctx: RuleContext, all_errors: bool = False) -> LineResult:
    """Findings of one line (without its line feed)."""
    result = _check(fk, raw, line, ctx, all_errors)
    if result.placed:
        return LineResult(result.findings + [at(f, line) for f in result.placed], result.record)
    return result


def _check(fk: FastKind, raw: bytes, line: int, ctx: RuleContext, all_errors: bool) -> LineResult:
    """check_line, leaving memoised rule findings for the caller to place (or only count)."""
    if not raw or raw.isspace():  # as `not raw.strip()`, without copying the line
        findings = (
            [Finding(fk.layout_req, Severity.WARNING, "blank line", "NDJSON", Location(line))] if fk.layout_req else []
        )
        return LineResult(findings, False)
    if fk.program is not None:
        result = _checked(fk, raw, line, ctx, all_errors)
        if result is not None:
            return result
    obj = _decoded(fk, raw)
    if obj is None:
        return _slow(fk, raw, line, ctx, all_errors)
    return _ruled(fk, lambda: _read(fk, obj), None, line, ctx, all_errors)


def _checked(fk: FastKind, raw: bytes, line: int, ctx: RuleContext, all_errors: bool) -> LineResult | None:
    """The line checker's verdict, and the rules' findings when it passed the line; None when the line
    needs the Structs or the schema path (it breaks the schema, or the checker cannot tell)."""
    assert program_check is not None  # fk.program was made by the line checker, so it is built
    if fk.rule_keys is not None and fk.ruleset is not None:
        values = program_check(fk.program, raw, fk.rule_keys)
        if values is None:
            return None
        try:
            return _ruled(fk, lambda: _unpacked(fk, values), values, line, ctx, all_errors)
        except (msgspec.MsgspecError, ValueError):  # a string msgspec will not decode (a lone surrogate)
            return None
    if not program_check(fk.program, raw):
        return None
    return _ruled(fk, lambda: _read_dict(fk, msgspec.json.decode(raw)), None, line, ctx, all_errors)


def _ruled(fk: FastKind, record, values: bytes | None, line: int, ctx: RuleContext, all_errors: bool) -> LineResult:
    """A schema-valid line's rule findings; `record()` gives the members the rules read, `values` their
    raw text from the line checker (None: the Structs decided the line; their encoding keys the memo)."""
    if fk.ruleset is None:
        return LineResult([], True)
    memo = fk.rule_memo
    if memo is None:
        return LineResult(_rule_findings(fk, record(), line, ctx, all_errors), True)
    if values is not None:
        return _ruled_by_parts(fk, values, ctx, all_errors)
    # the encoding of the values the rules read is as good as the values: equal bytes, equal findings
    key = (all_errors, ctx.today, fk.encoder.encode(record()))
    result = memo.get(key)
    if result is None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        findings = tuple(_rule_findings(fk, record(), 0, ctx, all_errors))
        result = memo[key] = LineResult(NO_FINDINGS, True, findings)
    return result  # shared between lines: callers read it, never change it


def _ruled_by_parts(fk: FastKind, values: bytes, ctx: RuleContext, all_errors: bool) -> LineResult:
    """The rules' findings, each rule's remembered per distinct raw text of the members it reads; the
    line's result is shared by every line whose rules came out the same (the same remembered tuples)."""
    raws = _raw_members(fk, values)
    parts, memo = [], fk.part_memo
    key: tuple[Any, ...]
    for index, (rule, names, elements) in enumerate(fk.rule_parts):
        rec = None
        if elements is not None and elements[0] in raws:  # a rule over each element: key on what it reads
            member, reads = elements
            rec = {member: msgspec.json.decode(raws[member])}
            key = (index, all_errors, ctx.today, _projection(rec[member], reads))
        else:
            key = (index, all_errors, ctx.today, *[raws.get(name) for name in names])
        found = memo.get(key)
        if found is None:
            if len(memo) >= MEMO_SIZE:  # the shared results hold ids of these tuples: forget both
                memo.clear()
                fk.shared_results.clear()
            if rec is None:
                rec = {name: msgspec.json.decode(raws[name]) for name in names if name in raws}
            found = memo[key] = tuple(_rule_findings(fk, rec, 0, ctx, True, [rule]))
        parts.append(found)
    key = (all_errors, *map(id, parts))
    result = fk.shared_results.get(key)
    if result is None:
        if len(fk.shared_results) >= MEMO_SIZE:
            fk.shared_results.clear()
        found = tuple(f for part in parts for f in part)
        result = fk.shared_results[key] = LineResult(NO_FINDINGS, True, found if all_errors else first_coded(found))
    return result  # shared between lines: callers read it, never change it


def _element_reads(rule) -> tuple[str, tuple[str, ...]] | None:
    """(member, names) for an invariant over each element of a top-level array (`each: member[]`):
    its outcome depends only on the values those names have in each element, and on their order.
    None for any other rule (keyed on the raw text of what it reads)."""
    from .rules import Invariant

    check = rule.check
    if type(check) is not Invariant or not check.each.endswith("[]") or "." in check.each or check.at:
        return None
    return check.each[:-2], tuple(check.names)


def _projection(value: Any, reads: tuple[str, ...]) -> Any:
    """What an each-element rule reads of `value`, hashable (an EOB line's diagnoses differ from claim
    to claim, their `sequence`s hardly ever): per element, the type and value of each name read (the
    type too, since 1 == True), or the element itself where it is not an object."""
    if isinstance(value, list):
        key: tuple[Any, ...]
        if len(reads) == 1:
            name = reads[0]
            key = tuple(
                (type(x), x) if type(e) is dict else ("element", type(e), e)
                for e in value
                for x in (e.get(name) if type(e) is dict else None,)
            )
        else:
            key = tuple(
                tuple((type(x), x) for x in map(e.get, reads)) if type(e) is dict else ("element", type(e), e)
                for e in value
            )
        try:
            hash(key)
            return key
        except TypeError:  # a value read is an object or an array
            pass
    return ("value", msgspec.json.encode(value))


def _raw_members(fk: FastKind, values: bytes) -> dict[str, bytes]:
    """The raw text of each member the rules read that the line has, from the checker's answer (each
    member as its length, 8 bytes little-endian, -1 when absent, then its text)."""
    raws, at = {}, 0
    for name in fk.rule_names:
        size = int.from_bytes(values[at : at + 8], "little", signed=True)
        at += 8
        if size >= 0:
            raws[name] = values[at : at + size]
            at += size
    return raws


def _unpacked(fk: FastKind, values: bytes) -> dict:
    """The members the rules read, decoded from the checker's answer."""
    return {name: msgspec.json.decode(raw) for name, raw in _raw_members(fk, values).items()}


def _read_dict(fk: FastKind, data: dict) -> dict:
    return {name: data[name] for name in fk.rule_names if name in data}


def _read(fk: FastKind, obj: Any) -> dict:
    """The members of a decoded record that the rules read."""
    rec = {}
    for name in fk.rule_names:
        value = getattr(obj, name, msgspec.UNSET)
        if value is not msgspec.UNSET:
            rec[name] = value
    return rec


def _decoded(fk: FastKind, raw: bytes) -> Any:
    """The line decoded into the kind's Structs, or None when it needs the schema's own findings (it
    breaks the schema, or it may: a member given twice, which decoding would hide, so a decoded line
    is re-encoded to count its members)."""
    decoders = fk.decoders
    if decoders is None:
        return None
    strict, plain_decoder = decoders
    try:
        plain = plain_line(raw)
        obj = (plain_decoder if plain else strict).decode(raw)
    except (msgspec.MsgspecError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return obj if _same_members(fk, raw, obj, plain) else None


def _same_members(fk: FastKind, raw: bytes, obj: Any, plain: bool) -> bool:
    """No member was given twice. A decoder keeps the last of two, so re-encoding the decoded line
    gives fewer colons than the line has: each member has one, and a string holds the same colons
    before and after when it is written with no escape (a plain line: ASCII, no backslash), which
    whitespace cannot change. A line with escapes could spell a colon `\\u003a` that the re-encoding
    writes plainly, so there only `":` is counted, and only where every name ends in a literal `":`
    (no whitespace before a colon, no \\u0022 escape)."""
    if plain:
        fk.encoder.encode_into(obj, fk.buffer)
        return raw.count(b":") == fk.buffer.count(b":")
    if b" :" in raw or b"\t" in raw or b"\r" in raw or b"\\u00" in raw:
        return False
    return raw.count(b'":') == fk.encoder.encode(obj).count(b'":')


def _rule_findings(
    fk: FastKind, rec: dict, line: int, ctx: RuleContext, all_errors: bool, rules: list | None = None
) -> list[Finding]:
    assert fk.ruleset is not None  # asked only of a kind with rules (see _ruled)
    result = fk.ruleset.evaluate(rec, ctx, rules=rules)
    if not result.violations:
        return []
    return list(rule_findings(result.violations, Placer(Record(line, None, None), "ndjson"), all_errors))


def _slow(fk: FastKind, raw: bytes, line: int, ctx: RuleContext, all_errors: bool) -> LineResult:
    """The line through the schema and the rules, as the generic engine reads it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineResult(
            [
                Finding(
                    fk.encoding_req,
                    Severity.ERROR,
                    f"not UTF-8: {exc.reason} at byte {exc.start + 1}",
                    "ENCODING",
                    Location(line, exc.start + 1),
                )
            ],
            False,
        )
    duplicates = DuplicateKeys()
    try:
        data = json.loads(text, object_pairs_hook=duplicates, **STRICT)
    except json.JSONDecodeError as exc:
        return LineResult(
            [Finding(fk.syntax_req, Severity.ERROR, f"not JSON: {exc.msg}", "SYNTAX", Location(line, exc.colno))], False
        )
    except (ValueError, RecursionError) as exc:
        return LineResult(
            [Finding(fk.syntax_req, Severity.ERROR, f"not JSON: {str(exc)[:200]}", "SYNTAX", Location(line))], False
        )
    findings = [
        Finding(
            fk.dup_req,
            Severity.ERROR,
            f"key {key!r} appears twice in one object; a JSON parser silently keeps only the last value",
            "DUPLICATE-KEY",
            Location(line),
        )
        for key, _ in duplicates.take(text, line)
    ]
    findings += schema_findings(
        fk.schema.errors(data), fk.feed, fk.default_req, "SCHEMA", lambda pointer, key: Location(line, None, pointer)
    )
    if fk.ruleset is not None and isinstance(data, dict):
        findings += _rule_findings(fk, data, line, ctx, all_errors)
    return LineResult(findings, True)


def validate_ndjson_lines(
    feed_id: str,
    kind_name: str,
    lines: Iterable[bytes],
    *,
    readings: dict[str, str] | None = None,
    ctx: RuleContext | None = None,
    first_line: int = 1,
) -> Iterator[Finding]:
    """Findings of NDJSON lines (bytes, with or without their line feed) of a kind that has a fast
    validator, numbered from `first_line`. For callers that hold the lines already (a download)."""
    fk = _fast_kind_for(feed_id, kind_name, readings)
    ctx = ctx or RuleContext(today=_today(fk.feed))
    for number, raw in enumerate(lines, start=first_line):
        if number == 1 and raw.startswith(BOM):
            yield Finding(
                fk.encoding_req, Severity.ERROR, "the file starts with a byte order mark", "ENCODING", Location(1, 1)
            )
            raw = raw[len(BOM) :]
        yield from check_line(fk, raw.rstrip(b"\r\n") if raw.endswith(b"\n") else raw, number, ctx).findings


def _fast_kind_for(feed_id: str, kind_name: str, readings: dict[str, str] | None) -> FastKind:
    feed = load_feed(feed_id)
    chosen = {**feed.default_readings(), **(readings or {})}
    fk = fast_kind(feed_id, kind_name, tuple(sorted(chosen.items())))
    if fk is None:
        raise ValueError(f"kind {kind_name} of feed {feed_id} has no fast validator")
    return fk


def _today(feed: Feed):
    return payer_today(feed)


# --- a file, or a byte range of one ---------------------------------------------------------------------


@dataclass
class RangeResult:
    findings: list[Finding] = field(default_factory=list)
    omitted: Counter = field(default_factory=Counter)  # (requirement, Severity) -> findings not listed
    records: int = 0
    lines: int = 0  # newlines read: the next range's first line is this many lines further

    def add(self, finding: Finding, listed: Counter) -> None:
        key = (finding.requirement, finding.severity)
        if listed[key] < MAX_LISTED:
            listed[key] += 1
            self.findings.append(finding)
        else:
            self.omitted[key] += 1


def open_bytes(path: Path):
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw), True
    raw.seek(0)
    return raw, False


def _moved(f: Finding, offset: int) -> Finding:
    """A range's finding numbered in the whole file (every finding of a range is on its line)."""
    if not offset:
        return f
    assert f.location.line is not None
    return Finding(
        f.requirement,
        f.severity,
        f.message,
        f.code,
        Location(f.location.line + offset, f.location.column, f.location.pointer),
    )


def validate_range(
    path: str,
    feed_id: str,
    kind_name: str,
    readings: tuple[tuple[str, str], ...],
    today,
    all_errors: bool,
    start: int = 0,
    end: int | None = None,
) -> RangeResult:
    """Lines of `path` starting in [start, end) (start is a line start), numbered from 1."""
    fk = fast_kind(feed_id, kind_name, readings)
    if fk is None:
        raise ValueError(f"kind {kind_name} of feed {feed_id} has no fast validator")
    reading = _Reading(fk, RuleContext(today=today), all_errors, start)
    fh, _ = open_bytes(Path(path))
    with fh:
        if start:
            fh.seek(start)
        for piece in pieces(fh, start, end):
            if isinstance(piece, memoryview):
                reading.block(piece)
            else:
                reading.line(*piece)
    return reading.done()


class _Reading:
    """One range being read: its findings, listed up to the cap per requirement and counted past it."""

    def __init__(self, fk: FastKind, ctx: RuleContext, all_errors: bool, start: int) -> None:
        self.fk, self.ctx, self.all_errors, self.start = fk, ctx, all_errors, start
        self.out = RangeResult()
        self.listed: Counter[tuple[str, Severity]] = Counter()
        self.counted: dict[int, list] = {}  # id(memoised LineResult) -> [it, lines past the listing cap]
        self.number = 0  # lines read so far
        self.answers = None
        if fk.scan_spec is not None:
            from .linescan import Answers

            self.answers = Answers(fk.scan_spec, fk.findings_of(ctx), all_errors)

    def block(self, lines: memoryview) -> None:
        """Whole lines, each ending in a line feed."""
        if self.answers is None:
            for raw in bytes(lines).split(b"\n")[:-1]:
                self.line(raw, True)
            return
        count, records, needs = self.answers.scan(self.fk.program, lines)
        first = self.number + 1
        for need in needs:
            if len(need) == 2:  # a line some rule found something in
                index, vector = need
                if not _place(self.answers.findings(vector), first + index, self.out, self.listed):
                    self.answers.saturate(vector)  # none was placed, so none will be: only count it
            else:  # a line the checker does not pass, or the C memo cannot judge
                index, a, b = need
                self.number = first + index - 1
                self.line(bytes(lines[a:b]), True)
        self.number = first - 1 + count
        self.out.records += records
        if self.answers.full():
            self._count_answers()
            self.answers.forget()

    def line(self, raw: bytes | None, fed: bool) -> None:
        """One line (None: one of MAX_LINE bytes or more, not read)."""
        fk, out, listed = self.fk, self.out, self.listed
        self.number += 1
        number = self.number
        if raw is None:
            out.add(
                Finding(
                    fk.syntax_req,
                    Severity.ERROR,
                    f"line longer than {MAX_LINE >> 20} MiB: not read",
                    "SYNTAX",
                    Location(number),
                ),
                listed,
            )
            return
        if not fed and fk.layout_req:  # the last line, without its line feed
            result = check_line(fk, raw, number, self.ctx, self.all_errors)
            if result.record and not any(f.requirement == fk.syntax_req for f in result.findings):
                out.add(
                    Finding(
                        fk.layout_req, Severity.WARNING, "the last line has no line feed", "NDJSON", Location(number)
                    ),
                    listed,
                )
            out.records += result.record
            for finding in result.findings:
                out.add(finding, listed)
            return
        if number == 1 and self.start == 0 and raw.startswith(BOM):
            out.add(
                Finding(
                    fk.encoding_req,
                    Severity.ERROR,
                    "the file starts with a byte order mark (RFC 8259 8.1)",
                    "ENCODING",
                    Location(1, 1),
                ),
                listed,
            )
            raw = raw[len(BOM) :]
        result = _check(fk, raw, number, self.ctx, self.all_errors)
        out.records += result.record
        for finding in result.findings:
            out.add(finding, listed)
        if result.placed:
            spilled = self.counted.get(id(result))
            if spilled is not None:  # every finding of this memoised result is past the cap: count it
                spilled[1] += 1
            elif not _place(result.placed, number, out, listed):
                self.counted[id(result)] = [result, 0]  # holding the result keeps its id unique
                if len(self.counted) >= COUNTED_LIMIT:  # lines whose rules differ every time: keep memory flat
                    _count(self.counted, out)

    def _count_answers(self) -> None:
        assert self.answers is not None
        for findings, lines in self.answers.counted():
            for finding in findings:
                self.out.omitted[finding.requirement, finding.severity] += lines

    def done(self) -> RangeResult:
        self.out.lines = self.number
        _count(self.counted, self.out)
        if self.answers is not None:
            self._count_answers()
        return self.out


COUNTED_LIMIT = 8192  # distinct memoised results counted past the listing cap before they are added up


def _count(counted: dict[int, list], out: RangeResult) -> None:
    """Add the lines counted past the listing cap to `out.omitted`, and forget them."""
    for result, times in counted.values():
        for finding in result.placed:
            out.omitted[finding.requirement, finding.severity] += times
    counted.clear()


def _place(placed: tuple[Finding, ...], line: int, out: RangeResult, listed: Counter) -> bool:
    """Memoised findings placed at `line` while their requirement's listing has room, counted past
    it. False: none was placed (so none will be: the counts only grow)."""
    any_placed = False
    for finding in placed:
        key = finding.requirement, finding.severity
        if listed[key] < MAX_LISTED:
            listed[key] += 1
            out.findings.append(at(finding, line))
            any_placed = True
        else:
            out.omitted[key] += 1
    return any_placed


BLOCK = 1 << 20  # read a megabyte at a time: a call per line costs more than the line's check


def pieces(fh, start: int, end: int | None) -> Iterator[memoryview | tuple[bytes | None, bool]]:
    """The lines starting in [start, end) (start is a line start, and so is end when given), in order:
    runs of whole lines, each ending in a line feed, as a memoryview of the block read; and one line
    at a time, as (line without its line feed or None, whether it had one), where a line runs past a
    block (None: it is MAX_LINE bytes or more, skipped, never held), ends the file without a line
    feed, or is the file's first and starts with a byte order mark."""
    pos = start  # the offset of the next byte read
    pending: list[bytes] = []  # the start of a line that runs past the blocks read so far
    pending_size = 0
    skipping = False  # inside a line too long to read
    while end is None or pos < end:
        block = fh.read(BLOCK if end is None else min(BLOCK, end - pos))
        if not block:
            break
        if _bytes_read is not None:  # a watcher's progress: once a megabyte, never per line
            with _bytes_read.get_lock():
                _bytes_read.value += len(block)
        first = pos == 0
        pos += len(block)
        at = 0
        if pending or skipping or (first and block.startswith(BOM)):
            cut = block.find(b"\n")
            if cut < 0:
                pending_size += len(block)
                if not skipping:
                    pending.append(block)
                    if pending_size >= MAX_LINE:
                        skipping, pending = True, []
                        yield None, True
                continue
            if skipping:
                skipping = False
            else:
                line = b"".join(pending) + block[:cut] if pending else block[:cut]
                yield (line if len(line) < MAX_LINE else None), True
            pending, pending_size, at = [], 0, cut + 1
        last = block.rfind(b"\n")
        if last >= at:
            run = memoryview(block)[at : last + 1]
            if len(run) < MAX_LINE:  # so is every line in it (a block is smaller than MAX_LINE)
                yield run
            else:
                yield from (((line if len(line) < MAX_LINE else None), True) for line in bytes(run).split(b"\n")[:-1])
            at = last + 1
        if at < len(block):
            pending, pending_size = [block[at:]], len(block) - at
            if pending_size >= MAX_LINE:
                skipping, pending = True, []
                yield None, True
    if pending:
        line = b"".join(pending)
        yield (line if len(line) < MAX_LINE else None), False


def _boundaries(path: Path, jobs: int) -> list[int]:
    """Byte offsets of `jobs` ranges, each starting at a line start."""
    size = path.stat().st_size
    starts = [0]
    with path.open("rb") as fh:
        for i in range(1, jobs):
            fh.seek(max(i * size // jobs - 1, starts[-1]))
            fh.readline()  # to the start of the next line
            offset = fh.tell()
            if offset < size and offset > starts[-1]:
                starts.append(offset)
    return starts + [size]


def validate_fast(path: Path, feed: Feed, kind: Kind, opts, report: FileReport, log=None) -> None:
    """The whole file into `report`, over `opts.jobs` processes when it is not gzip."""
    readings = tuple(sorted({**feed.default_readings(), **opts.readings}.items()))
    today = payer_today(feed, opts.as_of)
    _, gzipped = open_bytes(path)
    jobs = getattr(opts, "jobs", 0) or (0 if gzipped else _auto_jobs(path))
    if jobs > 1 and gzipped:
        report.notes.append("gzip input is read by one process (--jobs applies to uncompressed files)")
    jobs = 1 if gzipped else max(1, jobs)
    args = (str(path), feed.id, kind.name, readings, today, opts.all_errors)
    watched = getattr(opts, "progress", None) if not gzipped else None
    with _watching(watched, path.stat().st_size) as counter:
        if jobs == 1:
            results = [validate_range(*args)]
        else:
            fast_kind(feed.id, kind.name, readings)  # compiled once here: forked workers inherit it
            bounds = _boundaries(path, jobs)
            ranges = list(zip(bounds, bounds[1:]))
            from concurrent.futures import ProcessPoolExecutor  # only for a file split over processes

            with ProcessPoolExecutor(
                max_workers=len(ranges), mp_context=_context(), initializer=_count_into, initargs=(counter,)
            ) as pool:
                results = [f.result() for f in [pool.submit(validate_range, *args, a, b) for a, b in ranges]]
    offset = 0
    listed: Counter[tuple[str, str]] = Counter()
    for part in results:
        for f in part.findings:
            moved = _moved(f, offset)
            key = (f.requirement, f.severity.value)
            if listed[key] < MAX_LISTED:
                listed[key] += 1
                report.findings.append(moved)
            else:
                report.omitted[key] += 1
        report.omitted.update({(req, sev.value): n for (req, sev), n in part.omitted.items()})
        report.records += part.records
        offset += part.lines


_bytes_read = None  # a shared counter of the bytes read, while a watcher wants progress


def _count_into(counter) -> None:
    global _bytes_read
    _bytes_read = counter


@contextlib.contextmanager
def _watching(progress, size: int):
    """While the file is read, tell `progress(bytes read, size)` five times a second (from a thread
    reading the counter the reading processes add to), and once more at the end."""
    if progress is None:
        yield None
        return
    counter = _context().Value("q", 0)
    _count_into(counter)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            progress(min(counter.value, size), size)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield counter
    finally:
        done.set()
        watcher.join()
        _count_into(None)
        progress(min(counter.value, size), size)  # every process's blocks counted: the whole file


AUTO_JOBS_FROM = 64 << 20  # a smaller file is done before more processes would have started


def _auto_jobs(path: Path) -> int:
    """One process per CPU this process may use, for a file big enough to gain from them."""
    if path.stat().st_size < AUTO_JOBS_FROM:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


def _context():
    import multiprocessing

    # fork shares the compiled validators; elsewhere each process compiles its own
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def first_line(path: Path) -> bytes | None:
    fh, _ = open_bytes(path)
    try:
        with fh:
            line = fh.readline(MAX_LINE)
            while line and not line.strip():
                line = fh.readline(MAX_LINE)
            return line or None
    except (OSError, EOFError):
        return None


__all__ = ["validate_ndjson_lines", "validate_fast", "validate_range", "check_line", "fast_kind", "first_line"]
