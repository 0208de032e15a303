"""Many lines per call into C: the line checker and the rules' memo run over a whole block of lines, and
Python sees only the lines that need it.

For a line the checker passes, each rule's findings are remembered in C under the raw text of what
the rule reads (validators/_linecheck.c `scan`): its members, or for a rule over each element of an
array the members it reads of each element. A rule written with a member only as `m['key']` or
`m is None` is also remembered by those keys alone for the lines it passes, since only its failure
message shows the whole member. Equal raw text decodes to equal values, so a remembered answer is
the answer; a miss asks `evaluate`, which decodes the line and runs the rule (fastpath's Python).
What Python reads itself: a line the checker does not pass (the Structs and the schema path decide
it), a line some rule found something in (its findings are placed, or only counted past the
listing cap), and a line whose unique value the C memo cannot judge. Python's cost per line is then
that of the lines with something to say, not of every line.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import Any

from .placing import first_coded

try:
    from ._linecheck import drain, forget, memo, saturate, scan, see, seen, vector, vectors

    BUILT = True
except ImportError:  # pragma: no cover - a build without a C compiler
    BUILT = False

INTERNED_LIMIT = 1 << 16  # distinct rule answers held before the memo starts again (flat memory)
ASK_AGAIN = -1  # evaluate's answer for a line Python must read itself (a string msgspec will not decode)
Path = tuple[int, int, tuple[bytes, ...]]  # (member index, mode, subs): see _linecheck.c `memo`
WHOLE, EACH, MEMBERS, KIND = 0, 1, 2, 3
# checks whose members' kinds alone (absent, null, a number, a string of ASCII with a non-space
# character, anything else by its text) decide whether they hold: their messages show no value
KIND_DECIDES = {"required", "number", "any_present"}
# the checks whose members are all named by their parameters (`field`, `fields`, `lookup`/`when`.field)
NAMED_READS = KIND_DECIDES | {
    "date_format",
    "not_before",
    "date_window",
    "at_most_one_nonzero",
    "absent",
    "whole_number",
    "max_decimals",
    "not_negative",
    "unique",
    "in_data",
    "at_most_data",
    "pattern",
}


def rule_reads(rule) -> set[str] | None:
    """The record members a rule reads, or None when it may read any."""
    from .rules import Invariant

    check = rule.check
    if type(check) is Invariant:
        if check.each:  # the expressions read names inside the parts `each` selects, all in one member
            return {check.each.split(".", 1)[0].removesuffix("[]")}
        return set(check.names) | ({check.field} if check.field else set())
    if check.kind not in NAMED_READS:
        return None
    names = {check.field} if check.field else set()
    names.update(check.params.get("fields", ()))
    for key in ("lookup", "when"):
        spec = check.params.get(key)
        if isinstance(spec, dict):
            names.add(spec["field"])
    return names


def scan_spec(names: list[str], rule_parts: list, unique: dict[int, str]) -> tuple[tuple[bytes, ...], tuple] | None:
    """(names, groups) for `memo()`: one group per rule of `rule_parts` ((rule, names it reads,
    element reads)); `unique` maps a rule's index to the one member no two lines may share.
    None: some rule reads more than the C memo keys."""
    index = {name: k for k, name in enumerate(names)}
    groups: list[tuple[tuple[Path, ...], tuple[Path, ...] | None, bool]] = []
    for k, (rule, reads, elements) in enumerate(rule_parts):
        if k in unique:
            groups.append((((index[unique[k]], WHOLE, ()),), None, True))
            continue
        if elements is not None:
            member, element_names = elements
            if len(element_names) > 16:
                return None
            full: tuple[Path, ...] = ((index[member], EACH, tuple(n.encode() for n in element_names)),)
            groups.append((full, None, False))
            continue
        full = tuple((index[name], WHOLE, ()) for name in reads)
        groups.append((full, _passing(rule, index), False))
    return tuple(name.encode() for name in names), tuple(groups)


def _passing(rule, index: dict[str, int]) -> tuple[Path, ...] | None:
    """The paths that decide whether a rule holds, where they say less than its members' text: the
    kinds of a KIND_DECIDES check's members; for an invariant, a member its expressions read only as
    `m['key']` and `m is (not) None` is keyed by those keys."""
    from .rules import Invariant

    check = rule.check
    if check.kind in KIND_DECIDES:
        return tuple((index[name], KIND, ()) for name in sorted(rule_reads(rule) or ()))
    if type(check) is not Invariant or check.each:
        return None
    sources = [check.params["expr"]] + ([check.params["when"]] if "when" in check.params else [])
    uses: dict[str, set[str] | None] = {}
    for source in sources:
        tree = ast.parse(source, mode="eval")
        keyed = set()  # the Name nodes read through a constant key or compared with None
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
            ):
                keyed.add(id(node.value))
                keys = uses.setdefault(node.value.id, set())
                if keys is not None:
                    keys.add(node.slice.value)
            elif (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Name)
                and len(node.ops) == 1
                and isinstance(node.ops[0], (ast.Is, ast.IsNot))
                and isinstance(node.comparators[0], ast.Constant)
                and node.comparators[0].value is None
            ):
                keyed.add(id(node.left))
                uses.setdefault(node.left.id, set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and id(node) not in keyed:
                uses[node.id] = None  # read some other way: its whole text decides
    paths: list[Path] = []
    narrowed = False
    for name in sorted(uses):
        if name not in index:
            continue
        keys = uses[name]
        if keys is None or len(keys) > 16:
            paths.append((index[name], WHOLE, ()))
        else:
            paths.append((index[name], MEMBERS, tuple(key.encode() for key in sorted(keys))))
            narrowed = True
    return tuple(paths) if narrowed else None


class Answers:
    """One range's C memo and what its small ints stand for: per rule, the findings tuples its
    answers name (0: none), and per vector (the answers of a line) the line's findings."""

    def __init__(self, spec: tuple, findings_of: Callable[[int, bytes, bytes], tuple | None], all_errors: bool) -> None:
        names, groups = spec
        self.spec = spec
        self.memo = memo(names, groups)
        # (rule, line, values) -> its findings at line 0, every one of them, or None: the caller reads the line
        self.findings_of = findings_of
        self.all_errors = all_errors
        self.block: Any = b""
        self._fresh()

    def _fresh(self) -> None:
        groups = self.spec[1]
        self.results: list[list[tuple]] = [[()] for _ in groups]
        self.ids: list[dict] = [{(): 0} for _ in groups]
        self.interned = 0
        self.by_vector: dict[int, tuple] = {}

    def evaluate(self, rule: int, start: int, end: int, values: bytes) -> int:
        """The answer of rule `rule` for block[start:end] (`values`: the raw text of the members the
        rules read, as the checker packs them), on a memo miss."""
        found = self.findings_of(rule, bytes(self.block[start:end]), values)
        if found is None:
            return ASK_AGAIN
        ids = self.ids[rule]
        try:
            answer = ids.get(found)
            hashable = True
        except TypeError:  # a finding holding a list or a dict: a new answer each time
            answer, hashable = None, False
        if answer is None:
            answer = len(self.results[rule])
            self.results[rule].append(found)
            if hashable:
                ids[found] = answer
            self.interned += 1
        return answer

    def scan(self, program, block) -> tuple[int, int, list]:
        self.block = block
        try:
            return scan(program, self.memo, block, self.evaluate)
        finally:
            self.block = b""

    def findings(self, v: int) -> tuple:
        """The findings of the lines whose rules answered as vector `v` says, at line 0."""
        found = self.by_vector.get(v)
        if found is None:
            answers = vector(self.memo, v)
            found = tuple(f for rule, a in enumerate(answers) for f in self.results[rule][a])
            if not self.all_errors:
                found = first_coded(found)
            self.by_vector[v] = found
        return found

    def saturate(self, v: int) -> None:
        """Only count the lines of vector `v` from now on (its findings are past the listing cap)."""
        saturate(self.memo, v)

    def counted(self) -> Iterator[tuple[tuple, int]]:
        """(findings, lines) of the lines only counted since the last call."""
        for v, lines in drain(self.memo):
            yield self.findings(v), lines

    def full(self) -> bool:
        return self.interned >= INTERNED_LIMIT or vectors(self.memo) >= INTERNED_LIMIT

    def forget(self) -> None:
        """Start again (after `counted()` has been read): memory stays flat on answers that never repeat."""
        forget(self.memo)
        self._fresh()


__all__ = ["Answers", "scan_spec", "rule_reads", "ASK_AGAIN", "BUILT", "see", "seen"]
