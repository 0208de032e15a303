"""A kind's JSON Schema compiled for the line checker (validators/_linecheck.c), which reads a line's
bytes once and says VALID without building a single Python object.

The schema becomes a graph of nodes, one per distinct schema (recursion is a cycle in the graph).
`$ref` and `allOf` are folded into their node where that changes nothing: keywords are conjunctive,
except that `additionalProperties` reads the `properties` and `patternProperties` beside it, so a
piece whose member names another piece's `additionalProperties` would judge stays a separate
conjunct (read again over the same bytes), as does a second `if` or `pattern`. FHIR's primitive
patterns become string forms checked in C (typed.PLAIN_FORMS), other patterns DFAs run in C
(validators/patterndfa.py), and a pattern no DFA expresses a Python regex asked once per distinct string.

A keyword this module does not know, `format`, a `const` or `enum` that is not all strings, a
non-integer bound, a `not` other than `not: {}` (outsideSubset) or `not: {required: [a, b]}` (a
choice type's two members never together): `NotCompilable`, and the kind goes without the checker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from payercert import usercache

from . import patterndfa
from .patterndfa import pattern_dfa
from .schemadoc import Ref, SchemaDocs, gather_members
from .typed import PLAIN_FORMS

check_line: Callable[..., Any] | None  # check(program, line[, names]): see _linecheck.pyi
_program: Callable[[tuple], Any] | None
try:
    from ._linecheck import check as check_line
    from ._linecheck import program as _program
except ImportError:  # pragma: no cover - a build without a C compiler
    check_line = _program = None

# _linecheck.c's type bits and string forms
T_NULL, T_BOOL, T_INT, T_FRAC, T_STR, T_ARR, T_OBJ = 1, 2, 4, 8, 16, 32, 64
T_ANY = 127
TYPES = {
    "null": T_NULL,
    "boolean": T_BOOL,
    "integer": T_INT,
    "number": T_INT | T_FRAC,
    "string": T_STR,
    "array": T_ARR,
    "object": T_OBJ,
}
FORM_FLAGS = {"text": 1, "token": 1 | 2, "code": 1 | 4}  # F_NONEMPTY, F_NOSPACE, F_CODE


class NotCompilable(Exception):
    """The schema says something the line checker does not read exactly."""


CACHE_FORMAT = "1"  # bump when the node layout changes


@lru_cache(maxsize=16)
def line_program(schema_path: Path, readings: tuple[tuple[str, str], ...] = ()):
    """The checker's program for a schema file with the chosen readings (None without the C checker).
    Compiling costs about 50 ms (the DFAs mostly), more than a small file takes to check, so the nodes
    are kept in the user's cache, keyed by the schema folder's files and this compiler's own."""
    if _program is None:
        return None
    sources = sorted(p for p in schema_path.parent.iterdir() if p.suffix in (".json", ".yaml", ".yml"))
    key = usercache.key_of(
        *sources, Path(__file__), Path(patterndfa.__file__), CACHE_FORMAT, str(schema_path), repr(sorted(readings))
    )
    nodes = usercache.load("linecheck", key)
    if nodes is usercache.MISSING:
        compiler = _Compiler(dict(readings))
        nodes = compiler.compile(schema_path.resolve())
        if all(file.parent == schema_path.resolve().parent for file in compiler.docs):  # the key covers them
            usercache.store("linecheck", key, nodes, same=lambda a, b: _tuples(a) == b)
    return program_of(_tuples(nodes))


def schema_program(schema: dict):
    """The checker's program for a schema written as a value, with no `$ref` to a file (None without
    the C checker). NotCompilable as for a file."""
    if _program is None:
        return None
    compiler = _Compiler({})
    compiler.node([(schema, Path("."))], force=True)
    return program_of(tuple(compiler.nodes))


def compile_nodes(schema_path: Path, readings: tuple[tuple[str, str], ...] = ()) -> tuple:
    """Node tuples in _linecheck.c's layout (patterns as strings): node 0 is `true`, node 1 `false`,
    node 2 the schema."""
    return _Compiler(dict(readings)).compile(schema_path.resolve())


def program_of(nodes: tuple):
    """The C program of compiled nodes: their Python patterns made callables."""
    if _program is None:
        raise RuntimeError("the line checker (validators/_linecheck.c) is not built")
    return _program(
        tuple(
            node[:2]
            + (_pattern_check(node[2]),)
            + node[3:19]
            + (tuple((_name_matcher(p), n) for p, n in node[19]),)
            + node[20:]
            for node in nodes
        )
    )


def _tuples(value: Any) -> Any:
    """msgpack gives lists back: the nodes are tuples all the way down."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


class _Node:
    """A node being built: _linecheck.c's fields by name."""

    def __init__(self) -> None:
        self.types = T_ANY
        self.flags = 0
        self.patterns: list[str] = []
        self.consts: set[str] | None = None
        self.minimum: int | None = None
        self.maximum: int | None = None
        self.min_items = self.max_items = self.min_props = self.max_props = -1
        self.items: list[Ref] = []
        self.contains: list[Ref] = []
        self.conjuncts: list[Ref] = []
        self.if_then: tuple[Ref, Ref | None, Ref | None] | None = None
        self.properties: dict[str, list[Ref]] = {}
        self.pattern_properties: dict[str, list[Ref]] = {}
        self.additional: list[Ref] = []
        self.scoped = False  # an additionalProperties decides members here
        self.required: set[str] = set()
        self.pairs: list[tuple[str, str]] = []
        self.never = False


class _Compiler(SchemaDocs):
    def __init__(self, readings: dict[str, str]) -> None:
        super().__init__(readings, NotCompilable)
        self.nodes: list[tuple | None] = [_true_node(), _false_node()]
        self.index: dict[tuple, int] = {}

    def compile(self, root: Path) -> tuple:
        index = self.node([(self.doc(root), root)], force=True)
        assert index == 2
        return tuple(self.nodes)

    def node(self, refs: list[Ref], force: bool = False) -> int:
        """The index of the node for all of `refs` (a conjunction)."""
        refs = [r for r in refs if r[0] is not True]
        if not refs and not force:
            return 0
        if any(r[0] is False for r in refs):
            return 1
        key = tuple((str(file), json.dumps(node, sort_keys=True)) for node, file in refs)
        if key in self.index:
            return self.index[key]
        at = len(self.nodes)
        self.index[key] = at
        self.nodes.append(None)  # a recursive reference to this schema finds its index
        self.nodes[at] = self.build(self.fold(refs))
        return at

    # folding $ref and allOf into one node
    def fold(self, refs: list[Ref]) -> _Node:
        out = _Node()
        for piece in self.pieces(refs):
            if piece[0] is False:
                out.never = True
            elif not self.merge(out, piece):
                out.conjuncts.append(piece)
        return out

    def merge(self, out: _Node, piece: Ref) -> bool:
        """Fold one keyword dict into `out`; False when it must stay a separate conjunct."""
        node, file = piece
        scoped = "additionalProperties" in node and not _is_true(node["additionalProperties"])
        names = set(node.get("properties", ()))
        if scoped and (out.scoped or not self._covered(out.properties, names, node)):
            return False  # its additionalProperties would judge members another piece names
        if not scoped and out.scoped and (node.get("patternProperties") or not self._covered_by(out, names)):
            return False
        if scoped and out.pattern_properties:
            return False  # a member an earlier pattern matches would escape this additionalProperties
        if "if" in node and out.if_then is not None:
            return False
        for key, value in node.items():
            self.keyword(out, key, value, file)
        if "if" in node:
            out.if_then = (
                (node["if"], file),
                (node["then"], file) if "then" in node else None,
                (node["else"], file) if "else" in node else None,
            )
        if scoped:
            out.scoped = True
        return True

    @staticmethod
    def _covered(properties: dict, names: set[str], node: dict) -> bool:
        """Members named by earlier pieces are properties (or pattern properties) of `node`."""
        patterns = list(node.get("patternProperties", ()))
        return all(name in names or any(re.search(p, name) for p in patterns) for name in properties)

    @staticmethod
    def _covered_by(out: _Node, names: set[str]) -> bool:
        return all(name in out.properties or any(re.search(p, name) for p in out.pattern_properties) for name in names)

    def keyword(self, out: _Node, key: str, value: Any, file: Path) -> None:
        if gather_members(out, key, value, file):
            return
        if key == "type":
            kinds = [value] if isinstance(value, str) else value
            mask = 0
            for kind in kinds:
                if kind not in TYPES:
                    raise NotCompilable(f"type {kind!r}")
                mask |= TYPES[kind]
            out.types &= mask
        elif key in ("const", "enum"):
            values = [value] if key == "const" else value
            if not all(isinstance(v, str) for v in values):
                raise NotCompilable(f"{key} of non-strings")
            out.consts = set(values) if out.consts is None else out.consts & set(values)
        elif key == "pattern":
            form = PLAIN_FORMS.get(value)
            if form:
                out.flags |= FORM_FLAGS[form]
            else:
                out.patterns.append(value)
        elif key in ("minimum", "maximum"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise NotCompilable(f"{key} {value!r}: only integer bounds")
            current = getattr(out, key)
            setattr(out, key, value if current is None else (max if key == "minimum" else min)(current, value))
        elif key in ("minItems", "minProperties"):
            attr = "min_items" if key == "minItems" else "min_props"
            setattr(out, attr, max(getattr(out, attr), value))
        elif key in ("maxItems", "maxProperties"):
            attr = "max_items" if key == "maxItems" else "max_props"
            current = getattr(out, attr)
            setattr(out, attr, value if current < 0 else min(current, value))
        elif key == "contains":
            out.contains.append((value, file))
        elif key == "required":
            out.required.update(value)
        elif key == "additionalProperties":
            out.additional.append((value, file))
        elif key in ("if", "then", "else"):
            pass  # read together in merge()
        elif key == "not":
            self.negation(out, value, file)
        else:
            raise NotCompilable(f"keyword {key!r}")

    def negation(self, out: _Node, value: Any, file: Path) -> None:
        inner = self.pieces([(value, file)])
        if not inner:  # not of a schema that holds for everything (outsideSubset)
            out.never = True
            return
        if (
            len(inner) == 1
            and inner[0][0] is not False
            and set(inner[0][0]) == {"required"}
            and len(inner[0][0]["required"]) == 2
        ):
            a, b = inner[0][0]["required"]
            out.pairs.append((a, b))
            out.types &= T_OBJ  # `required` holds for every non-object, so its `not` fails there
            return
        raise NotCompilable(f"not: {value!r}")

    # a folded node as the C tuple
    def build(self, m: _Node) -> tuple:
        if m.never or m.types == 0:
            return _false_node()
        names = set(m.properties) | m.required | {name for pair in m.pairs for name in pair}
        props = tuple((name.encode(), self.node(self._member_refs(m, name))) for name in sorted(names))
        pattern_props = tuple((p, self.node(refs)) for p, refs in m.pattern_properties.items())
        additional = self.node(m.additional) if m.additional else 0
        if_then = None
        if m.if_then is not None:
            cond, then, otherwise = m.if_then
            if_then = (
                self.node([cond]),
                self.node([then]) if then else None,
                self.node([otherwise]) if otherwise else None,
            )
        dfas = {p: pattern_dfa(p) for p in m.patterns}
        python_patterns = tuple(p for p, d in dfas.items() if d is None)
        return (
            m.types,
            m.flags,
            python_patterns or None,
            _consts(m.consts),
            m.minimum,
            m.maximum,
            m.min_items,
            m.max_items,
            m.min_props,
            m.max_props,
            self.node(m.items),
            tuple(self.node([ref]) for ref in m.contains),
            tuple(self.node([ref]) for ref in m.conjuncts),
            *(if_then or (None, None, None)),
            props,
            tuple(n.encode() for n in sorted(m.required)),
            tuple((a.encode(), b.encode()) for a, b in m.pairs),
            pattern_props,
            additional,
            tuple(d for d in dfas.values() if d is not None),
        )

    def _member_refs(self, m: _Node, name: str) -> list[Ref]:
        """What a member named `name` must satisfy: its properties, and every pattern property whose
        pattern its name matches (the C checker looks pattern properties up only for unnamed members)."""
        refs = list(m.properties.get(name, []))
        matched = False
        for pattern, prs in m.pattern_properties.items():
            if re.search(pattern, name):
                refs += prs
                matched = True
        if name not in m.properties and not matched:  # only required or paired: an additional member
            refs += m.additional
        return refs


def _is_true(schema: Any) -> bool:
    return schema is True or schema == {}


def _true_node() -> tuple:
    """_linecheck.c's node layout: types, string forms, Python pattern check, consts, minimum, maximum,
    min/max items, min/max properties, items, contains, allOf, if, then, else, properties, required,
    exclusive pairs, pattern properties, additionalProperties, pattern DFAs."""
    return (T_ANY, 0, None, None, None, None, -1, -1, -1, -1, 0, (), (), None, None, None, (), (), (), (), 0, ())


def _false_node() -> tuple:
    return (0,) + _true_node()[1:]


def _consts(values: set[str] | None) -> tuple[bytes, ...] | None:
    return None if values is None else tuple(sorted(v.encode() for v in values))


def _pattern_check(patterns: tuple[str, ...] | None) -> Callable[[bytes], bool] | None:
    """A string's bytes (ASCII: the checker asks only then) against every pattern, searched as
    JSON Schema says (not anchored unless the pattern is)."""
    if not patterns:
        return None
    regexes = [re.compile(p) for p in patterns]

    def matches(value: bytes) -> bool:
        text = value.decode("ascii")
        return all(r.search(text) for r in regexes)

    return matches


def _name_matcher(pattern: str) -> Callable[[bytes], bool]:
    regex = re.compile(pattern)

    def matches(name: bytes) -> bool:
        try:
            return regex.search(name.decode("utf-8")) is not None
        except UnicodeDecodeError:
            return False

    return matches
