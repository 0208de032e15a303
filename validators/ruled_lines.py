"""NDJSON of a kind checked by its rules alone (no schema, no declared checks), read a block at a time
in C, for the generic engine (validators/engine.py).

The engine reads each line as text, parses it, checks its names and applies the rules. Here the line
checker (validators/_linecheck.c) takes a program that passes a line only when the engine would find
nothing in it but what the rules say: one JSON object, no member twice, no member outside the
kind's `fields`, and every `pattern` rule's value matching (so that rule holds). The rules of such a
line are looked up in the C memo (validators/linescan.py) by what each reads: their members' text,
or only their kinds for `required`, `number` and `any_present`; a `unique` rule's values are kept
in C. Every other line, and a block holding a carriage return that is not part of a CRLF (the text
reader starts a new line there), is handed to the engine as the text reader gives it, so its
findings are the engine's own. Lines of MAX_LINE bytes or more are counted in bytes here, in
characters by the text reader.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from .fastpath import at, open_bytes, pieces
from .findings import FileReport, UnusableInput
from .linecheck import NotCompilable, schema_program
from .linescan import BUILT, Answers, rule_reads, scan_spec, see, seen
from .placing import Placer, rule_findings
from .readers import STRICT, DuplicateKeys, Item, Record, ndjson_item, open_text
from .rules import RuleContext
from .ruleset import RuleSet


class RuledLines:
    """One kind's line program and what the C memo keys each rule by."""

    def __init__(self, ruleset: RuleSet, program: Any, names: list[str], parts: list, unique: dict[int, str]) -> None:
        self.ruleset, self.program, self.parts, self.unique = ruleset, program, parts, unique
        spec = scan_spec(names, parts, unique)
        assert spec is not None  # ruled_lines() keeps only rules it can key
        self.spec = spec

    def items(
        self, path: Path, report: FileReport, ctx: RuleContext, skipped: set[str], all_errors: bool
    ) -> Iterator[Item]:
        """The lines the engine must read itself, as its NDJSON reader gives them; the rule findings of
        the others go into `report` in their place (before the next line is yielded), and they count
        as records."""
        open_text(path).close()  # the engine's own refusals, word for word: binary content, UTF-16
        answers = Answers(self.spec, self._findings_of(ctx, skipped), all_errors)
        for index, field in self.unique.items():
            ctx.seen[field] = SeenValues(answers, index)
        reader = _TextLines(path, report)
        fh, _ = open_bytes(path)
        with fh:
            for piece in pieces(fh, 0, None):
                if isinstance(piece, memoryview):
                    block = bytes(piece)
                    if block.find(b"\r") < 0 or block.count(b"\r") == block.count(b"\r\n"):
                        yield from self._block(block, answers, report, reader)
                    else:  # the text reader ends a line at a lone carriage return too
                        yield from reader.lines(block, True)
                else:
                    yield from reader.lines(*piece)
                if answers.full():
                    answers.forget()

    def _block(self, block: bytes, answers: Answers, report: FileReport, reader: _TextLines) -> Iterator[Item]:
        count, records, needs = answers.scan(self.program, block)
        first = reader.line + 1
        for need in needs:
            if len(need) == 2:  # a line some rule found something in
                index, vector = need
                report.findings.extend(at(f, first + index) for f in answers.findings(vector))
            else:  # a line the checker does not pass: the engine reads it
                index, a, b = need
                reader.line = first + index - 1
                yield from reader.lines(block[a:b], True)
        reader.line = first - 1 + count
        report.records += records

    def _findings_of(self, ctx: RuleContext, skipped: set[str]):
        """(rule index, line, its members' raw text) -> every finding of that rule in the line, at line 0."""

        def findings(index: int, line: bytes, values: bytes) -> tuple:  # a whole line is small here
            rule = self.parts[index][0]
            result = self.ruleset.evaluate(json.loads(line, **STRICT), ctx, rules=[rule])
            skipped.update(result.skipped)
            return tuple(rule_findings(result.violations, Placer(Record(0, None, None), "ndjson"), True))

        return findings


class _TextLines:
    """Lines as the engine's text reader gives them (validators/readers.py), numbered as it numbers
    them: a lone carriage return ends a line there, a byte order mark opens the file unseen."""

    def __init__(self, path: Path, report: FileReport) -> None:
        self.path, self.report = path, report
        self.line = 0  # the last line read
        self.duplicates = DuplicateKeys()

    def lines(self, raw: bytes | None, fed: bool) -> Iterator[Item]:
        if raw is None:
            self.line += 1
            item = ndjson_item(self.line, None, self.report.records, self.duplicates)
            assert item is not None
            yield item
            return
        try:
            text = raw.decode("utf-8-sig" if self.line == 0 else "utf-8")
        except UnicodeDecodeError as exc:
            raise UnusableInput(f"{self.path}: not UTF-8 text ({exc.reason})") from None
        for line in io.StringIO(text + "\n" if fed and not text.endswith("\n") else text, newline=""):
            self.line += 1
            item = ndjson_item(self.line, line, self.report.records, self.duplicates)
            if item is not None:
                yield item


class SeenValues:
    """A unique rule's values so far (RuleContext.seen[field]): strings written with no escape are kept
    in the C memo, where the scanned lines put theirs, anything else here."""

    def __init__(self, answers: Answers, rule: int) -> None:
        self.memo, self.rule = answers.memo, rule
        self.others: set = set()

    def __contains__(self, value: object) -> bool:
        raw = _plain(value)
        return seen(self.memo, self.rule, raw) if raw is not None else value in self.others

    def add(self, value: object) -> None:
        raw = _plain(value)
        if raw is not None:
            see(self.memo, self.rule, raw)
        else:
            self.others.add(value)

    def __iter__(self):
        raise TypeError("the values of a file being read are not listed")


def _plain(value: object) -> bytes | None:
    """A string's JSON text when it needs no escape (how the scanned lines' values are kept)."""
    if not isinstance(value, str) or '"' in value or "\\" in value or any(ord(c) < 0x20 for c in value):
        return None
    try:
        return b'"' + value.encode("utf-8") + b'"'
    except UnicodeEncodeError:  # a lone surrogate: never written plainly
        return None


@lru_cache(maxsize=16)
def ruled_lines(feed_id: str, kind_name: str, readings: tuple[tuple[str, str], ...]) -> RuledLines | None:
    """The block reader for a rules-only kind's NDJSON, or None: the engine reads every line (no C
    checker, a rule whose members are not known, more members than the C memo keys)."""
    from payercert.feeds import load_feed

    from .ruleset import load_kind_rules

    ruleset = load_kind_rules(load_feed(feed_id).kinds[kind_name], dict(readings))
    if not BUILT or ruleset is None or ruleset.includes:
        return None
    schema: dict[str, Any] = {"type": "object"}
    if ruleset.fields:
        schema["properties"] = {name: {} for name in ruleset.fields}
        schema["additionalProperties"] = False
    parts: list[tuple] = []
    unique: dict[int, str] = {}
    names: set[str] = set()
    for rule in ruleset.rules:
        if rule.scope != "record":
            continue  # a session's rules are not a file's
        reads = rule_reads(rule)
        if reads is None:
            return None
        if rule.check.kind == "pattern" and rule.check.field and ruleset.fields:
            # the program passes a line only where the value matches, so the rule holds there
            prop = schema["properties"].setdefault(rule.check.field, {})
            prop.setdefault("allOf", []).append({"type": "string", "pattern": f"^(?:{rule.check.params['regex']})$"})
            continue
        if rule.check.kind == "unique":
            if not rule.check.field:
                return None
            unique[len(parts)] = rule.check.field
        names |= reads
        parts.append((rule, tuple(sorted(reads)), None))
    if len(names) > 64:
        return None
    try:
        program = schema_program(schema)
    except NotCompilable:
        return None
    return RuledLines(ruleset, program, sorted(names), parts, unique)
