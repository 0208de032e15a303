"""msgspec Structs generated from a kind's JSON Schema at load time: the fast form of the schema.

A line decoded straight into these types is valid under the schema; a line the types refuse is
handed to the schema itself for its findings (validators/fastpath.py). So every generated type is
*at least as strict* as its schema, never looser: what msgspec cannot say is checked in a
generated `__post_init__`, and what this module cannot translate at all raises NotTypeable when
the kind is loaded (the kind then has no fast path), rather than being skipped.

Translation:
- object -> Struct (field names are the member names; absent members are UNSET, FHIR JSON has no
  null); `required` -> a field without default; `additionalProperties: false` (or a schema that
  can never hold, like fhir-types.json's `outsideSubset`) or any `patternProperties` ->
  `forbid_unknown_fields` (a pattern member not listed in `properties` only costs the slow path);
- `const` / `enum` of strings or integers -> Literal; arrays -> list[...] with min/max items;
  string `pattern` -> Meta(pattern=...); integer/number bounds -> Meta(ge/le/gt/lt);
- `$ref` (within a file or to a sibling file), `allOf` (merged), recursion (forward references);
- `contains`, `not`, `if`/`then`/`else`, `anyOf`, `oneOf`, `maxProperties`/`minProperties` and a
  second `const`/`enum`/`pattern` on one value -> predicates run after decoding (see below).

Two variants are built. `strict` says exactly the schema. `plain` is for lines that are ASCII
and have no backslash (see `plain_line`): in such a line every string is its raw bytes, and the
only whitespace a string can hold is the space (JSON forbids raw control characters). A regex
call per string costs more than decoding the whole line (msgspec calls `re.search` for each), so
there FHIR's three string patterns (fhir-types.json `string`, `uri`, `code`) become a length
check plus a test for spaces (PLAIN_FORMS); any other pattern (dates, ids) is searched once per
distinct string and remembered.

The predicates are written out as Python source, one expression per check, and embedded in the
Struct's generated `__post_init__`: a call per keyword would cost more than the tests themselves.
"""

from __future__ import annotations

import itertools
import json
import keyword
import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .schemadoc import ANNOTATIONS, Ref, SchemaDocs, gather_members


class NotTypeable(Exception):
    """The schema uses something this module cannot turn into types soundly."""


class Element(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Base of every generated Struct. `get` and `[]` let the rules' expressions (rules-*.yaml) read a
    Struct like the dict the schema path hands them."""

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, UNSET)
        return default if value is UNSET else value

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, UNSET) if isinstance(key, str) else UNSET
        if value is UNSET:
            raise KeyError(key)
        return value


# FHIR's primitive patterns (fhir-types.json) and what each says of a string that holds only printable
# ASCII, where the space is the only whitespace: `string` = non-empty; `uri` = non-empty, no space;
# `code` = non-empty, no space at either end, no two spaces in a row. tests/test_typed.py checks these
# against the regexes themselves.
PLAIN_FORMS = {
    r"[ \r\n\t\S]+": "text",
    r"^\S+$": "token",
    r"^[^\s]+(\s[^\s]+)*$": "code",
}


def plain_line(raw: bytes) -> bool:
    """A line the `plain` types may decode: ASCII, no escape sequences."""
    return raw.isascii() and b"\\" not in raw


@dataclass(frozen=True)
class TypedKind:
    strict: type
    plain: type


@lru_cache(maxsize=16)
def typed_kind(schema_path: Path, readings: tuple[tuple[str, str], ...] = ()) -> TypedKind:
    """The Struct types of the schema at `schema_path` (with its `x-reading` options applied)."""
    return TypedKind(
        _Builder(schema_path, dict(readings), "strict").root(), _Builder(schema_path, dict(readings), "plain").root()
    )


# --- schema reading ---------------------------------------------------------------------------------------

PREDICATES = {
    "contains",
    "not",
    "if",
    "then",
    "else",
    "anyOf",
    "oneOf",
    "maxProperties",
    "minProperties",
    "minContains",
    "maxContains",
}
LOWER_BOUNDS = {"minItems", "minLength", "minimum", "exclusiveMinimum"}
UPPER_BOUNDS = {"maxItems", "maxLength", "maximum", "exclusiveMaximum"}
SINGLE = {"type", "const", "enum", "pattern", "additionalProperties", "uniqueItems"}


@dataclass
class Merged:
    """One schema with its `$ref`s and `allOf`s folded in."""

    keywords: dict
    properties: dict  # name -> [Ref]
    items: list  # [Ref]
    pattern_properties: dict  # pattern -> [Ref]
    predicates: list  # [Ref]: parts checked after decoding
    file: Path
    additional: Ref | None = None  # additionalProperties, with the file it came from


class _Builder(SchemaDocs):
    _ids = itertools.count()

    def __init__(self, path: Path, readings: dict[str, str], mode: str):
        """mode: "strict" (exactly the schema) or "plain" (for plain lines)."""
        super().__init__(readings, NotTypeable)
        self.folder, self.path, self.mode = path.parent, path, mode
        self.plain = mode == "plain"
        self.cache: dict[tuple, Any] = {}
        self.names: set[str] = set()
        self.struct_names: dict[tuple, str] = {}
        self.module = types.ModuleType(f"{__name__}._generated{next(self._ids)}")
        sys.modules[self.module.__name__] = self.module  # forward references resolve in this namespace

    def root(self) -> type:
        root = self.doc(self.path)
        annotation, checks = self.type_of([(root, self.path)], "Record")
        if checks or not (isinstance(annotation, type) and issubclass(annotation, Element)):
            raise NotTypeable("the record schema is not an object")
        return annotation

    def merge(self, refs: list[Ref]) -> Merged:
        out = Merged({}, {}, [], {}, [], refs[0][1])
        for node, file in self.pieces(refs):
            if node is False:
                raise NotTypeable("schema False")
            for key, value in node.items():
                if key.startswith("x-") or key in ("then", "else") or gather_members(out, key, value, file):
                    continue
                if key == "required":
                    out.keywords["required"] = sorted(set(out.keywords.get("required", ())) | set(value))
                elif key in PREDICATES:
                    part = {k: node[k] for k in ("if", "then", "else") if k in node} if key == "if" else {key: value}
                    out.predicates.append((part, file))
                elif key in LOWER_BOUNDS:
                    out.keywords[key] = max(value, out.keywords.get(key, value))
                elif key in UPPER_BOUNDS:
                    out.keywords[key] = min(value, out.keywords.get(key, value))
                elif key == "additionalProperties":
                    if out.additional is not None and not self.never((value, file)):
                        raise NotTypeable("two additionalProperties")
                    out.additional = out.additional if out.additional and self.never(out.additional) else (value, file)
                    out.keywords[key] = value
                elif key in SINGLE:
                    if key in out.keywords and out.keywords[key] != value:
                        out.predicates.append(({key: value}, file))
                    else:
                        out.keywords[key] = value
                else:
                    raise NotTypeable(f"keyword {key!r}")
        return out

    def never(self, ref: Ref) -> bool:
        """A schema no value satisfies: false, or `not` of one that only annotates (outsideSubset)."""
        node, file = ref
        if node is False:
            return True
        if isinstance(node, dict) and "$ref" in node and len([k for k in node if not k.startswith("x-")]) == 1:
            return self.never(self.resolve(node["$ref"], file))
        if isinstance(node, dict) and "not" in node:
            inner = node["not"]
            return inner is True or (
                isinstance(inner, dict) and all(k in ANNOTATIONS or k.startswith("x-") for k in inner)
            )
        return False

    # types
    def type_of(self, refs: list[Ref], hint: str) -> tuple[Any, list[Callable[[Any], bool]]]:
        """The msgspec type of a schema (all of `refs`), and the predicates its values must pass after decoding."""
        key = self._key(refs)
        if key in self.cache:
            cached = self.cache[key]
            if cached is not None:
                return cached
            if key in self.struct_names:  # a Struct being built: a recursive reference to it
                return self.struct_names[key], []
            return self._type_of(self.merge(refs), hint, key)  # an array on the way to that Struct

        self.cache[key] = None
        result = self._type_of(self.merge(refs), hint, key)
        self.cache[key] = result
        return result

    @staticmethod
    def _key(refs: list[Ref]) -> tuple:
        return tuple((file, json.dumps(node, sort_keys=True)) for node, file in refs)

    def _type_of(self, m: Merged, hint: str, key) -> tuple[Any, list]:
        kw = m.keywords
        kinds = kw.get("type")
        on_struct = (
            "object" in ({kinds} if isinstance(kinds, str) else set(kinds or ()))
            or not kinds
            and ("object" in self._implied(m))
        )
        predicates = m.predicates
        kinds = {kinds} if isinstance(kinds, str) else set(kinds) if kinds else self._implied(m)
        if kinds == {"array"} and "const" not in kw and "enum" not in kw:  # compiled knowing its items' type
            return self._array(m, hint, predicates)
        checks = [compile_predicate(self, p, on_struct) for p in predicates]
        if "const" in kw or "enum" in kw:
            values = [kw["const"]] if "const" in kw else list(kw["enum"])
            if "enum" in kw and "const" in kw:
                checks.append(compile_predicate(self, ({"enum": kw["enum"]}, m.file)))
            if (
                values
                and all(isinstance(v, str) for v in values)
                or all(isinstance(v, int) and not isinstance(v, bool) for v in values)
            ):
                if kinds and not kinds & ({"string"} if isinstance(values[0], str) else {"integer", "number"}):
                    raise NotTypeable(f"{hint}: const/enum outside its type")
                return Literal[tuple(values)], checks
            checks.append(compile_predicate(self, ({"enum": values}, m.file)))
            return Any, checks
        if len(kinds) != 1:
            if not kinds or kinds >= {"object", "array", "string", "number", "boolean", "null"}:
                if m.properties or m.items or any(k != "required" for k in kw):
                    raise NotTypeable(f"{hint}: constraints without a type")
                return Any, checks
            raise NotTypeable(f"{hint}: a union of types {sorted(kinds)}")
        kind = next(iter(kinds))
        if kind == "object":  # its own predicates run in its __post_init__ (so also where it recurs)
            return self._struct(m, hint, key, checks), []
        if kind == "string":
            return self._string(kw, checks)
        if kind in ("integer", "number"):
            bounds = {
                name: kw[k]
                for k, name in (
                    ("minimum", "ge"),
                    ("maximum", "le"),
                    ("exclusiveMinimum", "gt"),
                    ("exclusiveMaximum", "lt"),
                )
                if k in kw
            }
            base = int if kind == "integer" else Union[int, float]  # noqa: UP007 (a type built at run time)
            return (Annotated[base, Meta(**bounds)] if bounds else base), checks
        if kind == "boolean":
            return bool, checks
        if kind == "null":
            return None, checks
        raise NotTypeable(f"type {kind!r}")

    @staticmethod
    def _implied(m: Merged) -> set[str]:
        kw = m.keywords
        if m.properties or m.pattern_properties or "required" in kw or "additionalProperties" in kw:
            return {"object"}
        if m.items or "minItems" in kw or "maxItems" in kw:
            return {"array"}
        if "pattern" in kw or "minLength" in kw or "maxLength" in kw:
            return {"string"}
        return set()

    def _string(self, kw: dict, checks: list) -> tuple[Any, list]:
        meta = {
            "min_length" if k == "minLength" else "max_length": kw[k] for k in ("minLength", "maxLength") if k in kw
        }
        pattern = kw.get("pattern")
        form = PLAIN_FORMS.get(pattern) if pattern is not None else None
        if form and self.mode != "strict":
            meta["min_length"] = max(1, meta.get("min_length", 1))
        if pattern is None:
            pass
        elif form and self.plain:
            if form == "token":
                checks.append(_no_space)
            elif form == "code":
                checks.append(_code_spaces)
        elif self.plain:
            checks.append(_remembered_pattern(pattern))
        else:
            meta["pattern"] = pattern
        return (Annotated[str, Meta(**meta)] if meta else str), checks

    def _array(self, m: Merged, hint: str, predicates: list) -> tuple[Any, list]:
        refs = [r for r in m.items if r[0] is not True]
        item, item_checks = self.type_of(refs, hint + "Item") if refs else (Any, [])
        # `contains` and `items` over items that are always our Structs read their members directly
        of_structs = isinstance(item, type) and issubclass(item, Element)
        checks = [compile_predicate(self, p, items_on_struct=of_structs) for p in predicates]
        if item_checks:
            checks.append(_each(item_checks))
        if m.keywords.get("uniqueItems"):
            checks.append(compile_predicate(self, ({"uniqueItems": True}, m.file)))
        meta = {
            name: m.keywords[k]
            for k, name in (("minItems", "min_length"), ("maxItems", "max_length"))
            if k in m.keywords
        }
        return (Annotated[list[item], Meta(**meta)] if meta else list[item]), checks  # type: ignore[valid-type]

    def _struct(self, m: Merged, hint: str, key, own_checks: list) -> type:
        name = self._unique(hint)
        self.struct_names[key] = name
        additional = m.keywords.get("additionalProperties")
        if additional is not None and additional is not True:
            assert m.additional is not None  # merged together with the keyword (see merge)
            if not self.never(m.additional):
                raise NotTypeable(f"{hint}: additionalProperties with a schema")
        forbid = additional is not None and additional is not True or bool(m.pattern_properties)
        required = set(m.keywords.get("required", ()))
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []  # (name, type[, default]) for defstruct
        field_checks: list[tuple[str, Callable[[Any], bool]]] = []
        rename: dict[str, str] = {}
        for member in sorted(set(m.properties) | required, key=lambda n: (n not in required, n)):
            refs = list(m.properties.get(member, []))
            refs += [r for pattern, prs in m.pattern_properties.items() if re.search(pattern, member) for r in prs]
            refs = [r for r in refs if r[0] is not True]
            if refs:
                annotation, checks = self.type_of(refs, name + _title(member))
            else:
                annotation, checks = Any, []
            attr = member if member.isidentifier() and not keyword.iskeyword(member) else f"m{len(rename)}_"
            if attr != member:
                rename[attr] = member
            if member in required:
                fields.append((attr, annotation))
            else:
                fields.append((attr, Union[annotation, UnsetType] if annotation is not Any else Any, UNSET))  # noqa: UP007
            if checks:
                field_checks.append((attr, _all(checks)))
        namespace = {}
        post = _post_init(field_checks, own_checks)
        if post is not None:
            namespace["__post_init__"] = post
        cls = msgspec.defstruct(
            name,
            fields,
            bases=(Element,),
            module=self.module.__name__,
            namespace=namespace,
            forbid_unknown_fields=forbid,
            omit_defaults=True,
            kw_only=True,
            rename=rename or None,
            gc=False,
        )  # decoded trees hold no cycles
        setattr(self.module, name, cls)
        return cls

    def _unique(self, hint: str) -> str:
        name, n = hint, 1
        while name in self.names:
            n += 1
            name = f"{hint}{n}"
        self.names.add(name)
        return name


def _title(member: str) -> str:
    return "".join(ch for ch in member[:1].upper() + member[1:] if ch.isalnum())


# --- predicates: what msgspec cannot say, checked on the decoded value ----------------------------------


def _no_space(value: str) -> bool:
    return " " not in value


def _code_spaces(value: str) -> bool:
    return value[0] != " " and value[-1] != " " and "  " not in value


# the same two, as source for a generated __post_init__ (no call per string)
_no_space.inline = '" " not in v'  # type: ignore[attr-defined]
_code_spaces.inline = 'v[0] != " " and v[-1] != " " and "  " not in v'  # type: ignore[attr-defined]


PATTERN_MEMO = 4096  # strings remembered per pattern (dates repeat on every line of an export)


def _remembered_pattern(pattern: str) -> Callable[[str], bool]:
    """A `pattern` check that searches each distinct string once: a string that matched before is
    let through by a set lookup, cheaper than the regex call msgspec makes for every string."""
    regex = re.compile(pattern)
    matched: set[str] = set()

    def search(value: str) -> bool:
        if regex.search(value) is None:
            return False
        if len(matched) >= PATTERN_MEMO:
            matched.clear()
        matched.add(value)
        return True

    n = next(_fresh)
    return _expression(f"(v in _seen{n} or _search{n}(v))", {f"_seen{n}": matched, f"_search{n}": search})


def _each(checks: list) -> Callable[[Any], bool]:
    check = _all(checks)
    source = getattr(check, "inline", None)
    if source is not None:  # the item is `v` inside the generator, the list `v` outside it
        return _expression(f"all(({source}) for v in v)", getattr(check, "env", {}))
    return lambda values: all(map(check, values))


def _all(checks: list) -> Callable[[Any], bool]:
    return _conjunction(checks)


def _post_init(field_checks: list, own_checks: list) -> Callable | None:
    """`__post_init__` raising on the first field (or the Struct itself) whose predicates fail. Written out
    as source: it runs for every Struct decoded, and a loop over (name, check) pairs costs more."""
    if not field_checks and not own_checks:
        return None
    lines = ["def __post_init__(self):"]
    env: dict[str, Any] = dict(BASE_ENV)
    for n, check in enumerate(own_checks):
        env[f"s{n}"] = check
        env.update(getattr(check, "env", {}))
        test = f"({check.inline})" if hasattr(check, "inline") else f"s{n}(v)"
        lines += ["    v = self", f"    if not {test}:", "        raise ValueError('does not satisfy its schema')"]
    for n, (attr, check) in enumerate(field_checks):
        env[f"c{n}"] = check
        env.update(getattr(check, "env", {}))
        test = getattr(check, "inline", f"c{n}(v)")
        lines += [
            f"    v = self.{attr}",
            f"    if v is not UNSET and not ({test}):",
            f"        raise ValueError({attr!r} + ': does not satisfy its schema')",
        ]
    exec("\n".join(lines), env)  # noqa: S102 (our own generated source, no input in it)
    return env["__post_init__"]


MISSING = UNSET


def _member(value: Any, name: str) -> Any:
    """A member of an object (Struct or dict); MISSING for anything else."""
    if isinstance(value, Element):
        return getattr(value, name, MISSING)
    if isinstance(value, dict):
        return value.get(name, MISSING)
    return MISSING


def _members(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    return {f: v for f, v in zip(value.__struct_fields__, msgspec.structs.astuple(value)) if v is not UNSET}


def _count_members(value: Any) -> int:
    if isinstance(value, dict):
        return len(value)
    return len(value.__struct_fields__) - msgspec.structs.astuple(value).count(UNSET)  # C-level count


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value) if isinstance(value, (Element, list, dict)) else value


def _equal(a: Any, b: Any) -> bool:
    a = _plain(a)
    return (
        a == b
        and type(a) is type(b)
        or (_json_type(a) in ("integer", "number") and _json_type(b) in ("integer", "number") and a == b)
    )


def compile_predicate(
    builder: _Builder, ref: Ref, on_struct: bool = False, items_on_struct: bool = False
) -> Callable[[Any], bool]:
    """A function telling whether a decoded value satisfies the schema, written out as one Python
    expression over `v` (its `inline` source, which a generated `__post_init__` embeds: these run on
    every extension and item of every line, and a call per keyword costs more than the test).
    on_struct: `v` is one of our Structs; items_on_struct: `v` is a list of them."""
    env: dict[str, Any] = {}
    return _expression(_source(builder, ref, "v", on_struct, env, 0, items_on_struct), env)


_fresh = itertools.count()
INLINE_DEPTH = 6  # `$ref`s expanded in place; deeper (a recursive schema) calls a compiled predicate
BASE_ENV = {
    "UNSET": UNSET,
    "MISSING": MISSING,
    "OBJECTS": (Element, dict),
    "astuple": msgspec.structs.astuple,
    "Element": Element,
}
# `type` tests that need no _json_type (decoded values are Structs, dicts, lists, str, int, float, bool, None)
JSON_TYPE_TESTS = {
    "object": "isinstance({0}, OBJECTS)",
    "array": "isinstance({0}, list)",
    "string": "isinstance({0}, str)",
    "boolean": "isinstance({0}, bool)",
    "null": "{0} is None",
}


def _expression(source: str, env: dict) -> Callable[[Any], bool]:
    fn = eval(f"lambda v: {source}", {**BASE_ENV, **env})  # noqa: S307 (our own generated source)
    fn.inline, fn.env = source, env
    return fn


def _source(
    builder: _Builder, ref: Ref, var: str, on_struct: bool, env: dict, depth: int, items_on_struct: bool = False
) -> str:
    """`compile_predicate` as the source of an expression over the variable `var`. Each keyword reads
    as in `_keyword`, which still compiles what is not written out here (as a call)."""
    node, file = ref
    if node is True or node is False:
        return str(node)
    parts = []
    for key, arg in node.items():
        if key in ANNOTATIONS or key.startswith("x-") or key in ("then", "else"):
            continue
        parts.append(_keyword_source(builder, key, arg, node, file, var, on_struct, env, depth, items_on_struct))
    return "(" + " and ".join(parts) + ")" if parts else "True"


def _keyword_source(
    builder: _Builder,
    key: str,
    arg: Any,
    node: dict,
    file: Path,
    var: str,
    on_struct: bool,
    env: dict,
    depth: int,
    items_on_struct: bool = False,
) -> str:
    def same(s):
        return _source(builder, (s, file), var, on_struct, env, depth, items_on_struct)

    def sub(s, of):
        return _source(builder, (s, file), of, False, env, depth)

    def name(prefix, value=None):
        n = f"_{prefix}{next(_fresh)}"
        if value is not None:
            env[n] = value
        return n

    def member(of, n):  # _member written out
        return (
            f"(getattr({of}, {n!r}, MISSING) if isinstance({of}, Element) else "
            f"{of}.get({n!r}, MISSING) if isinstance({of}, dict) else MISSING)"
        )

    if key == "type" and set([arg] if isinstance(arg, str) else arg) <= set(JSON_TYPE_TESTS):
        return "(" + " or ".join(JSON_TYPE_TESTS[t].format(var) for t in ([arg] if isinstance(arg, str) else arg)) + ")"
    if on_struct and key == "required":
        return " and ".join(f"getattr({var}, {n!r}, UNSET) is not UNSET" for n in arg) or "True"
    if on_struct and key in ("maxProperties", "minProperties"):
        op = "<=" if key == "maxProperties" else ">="
        return f"(len({var}.__struct_fields__) - astuple({var}).count(UNSET) {op} {int(arg)})"
    if key == "$ref" and depth < INLINE_DEPTH:
        return _source(builder, builder.resolve(arg, file), var, False, env, depth + 1, items_on_struct)
    if key == "allOf":
        return "(" + " and ".join(same(s) for s in arg) + ")" if arg else "True"
    if key == "anyOf":
        return "(" + " or ".join(same(s) for s in arg) + ")" if arg else "False"
    if key == "not":
        return f"(not {same(arg)})"
    if key == "if":
        return f"({same(node.get('then', True))} if {same(arg)} else {same(node.get('else', True))})"
    if key == "const" and isinstance(arg, str):
        return f"({var} == {arg!r})"  # a str equals only a str
    if key == "enum" and all(isinstance(e, str) for e in arg):
        return f"(isinstance({var}, str) and {var} in {name('E', frozenset(arg))})"
    if key == "required":
        test = " and ".join(f"{member(var, n)} is not MISSING" for n in arg) or "True"
        return f"(not isinstance({var}, OBJECTS) or ({test}))"
    if key == "properties":
        tests = []
        for member_name, schema in arg.items():
            t = name("t")
            read = f"getattr({var}, {member_name!r}, UNSET)" if on_struct else member(var, member_name)
            tests.append(f"(({t} := {read}) is MISSING or {sub(schema, t)})")  # MISSING is UNSET
        return "(" + " and ".join(tests) + ")" if tests else "True"
    if key in ("items", "contains"):
        x = name("x")
        quantifier = "all" if key == "items" else "any"
        each = _source(builder, (arg, file), x, items_on_struct, env, depth)
        return f"(not isinstance({var}, list) or {quantifier}({each} for {x} in {var}))"
    return f"{name('k', _keyword(builder, key, arg, node, file, on_struct))}({var})"


def _closure_predicate(builder: _Builder, ref: Ref, on_struct: bool = False) -> Callable[[Any], bool]:
    """A function telling whether a decoded value (Struct, dict, list, scalar) satisfies the schema.
    on_struct: the value is known to be one of our Structs (a Struct's own checks): members are read
    with getattr directly, the commonest case and the one run on every extension and item."""
    node, file = ref
    if node is True:
        return lambda v: True
    if node is False:
        return lambda v: False
    tests: list[Callable[[Any], bool]] = []
    for key, arg in node.items():
        if key in ANNOTATIONS or key.startswith("x-") or key in ("then", "else"):
            continue
        if on_struct and key in STRUCT_KEYWORDS:
            tests.append(_struct_keyword(key, arg))
        else:
            tests.append(_keyword(builder, key, arg, node, file, on_struct))
    return _conjunction(tests)


STRUCT_KEYWORDS = {"required", "maxProperties", "minProperties"}


def _struct_keyword(key: str, arg: Any) -> Callable[[Any], bool]:
    if key == "required":
        if len(arg) == 1:
            name = arg[0]
            return lambda v: getattr(v, name, UNSET) is not UNSET
        return lambda v: all(getattr(v, n, UNSET) is not UNSET for n in arg)
    if key == "maxProperties":
        return lambda v: len(v.__struct_fields__) - msgspec.structs.astuple(v).count(UNSET) <= arg
    return lambda v: len(v.__struct_fields__) - msgspec.structs.astuple(v).count(UNSET) >= arg


def _conjunction(tests: list) -> Callable[[Any], bool]:
    """All of `tests`, without a generator per call (these run on every extension and item)."""
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    if all(hasattr(t, "inline") for t in tests):
        env: dict = {}
        for t in tests:
            env.update(getattr(t, "env", {}))
        return _expression(" and ".join(f"({t.inline})" for t in tests), env)
    if len(tests) == 2:
        first, second = tests
        return lambda v: first(v) and second(v)
    first, rest = tests[0], _conjunction(tests[1:])
    return lambda v: first(v) and rest(v)


def _keyword(
    builder: _Builder, key: str, arg: Any, node: dict, file: Path, on_struct: bool = False
) -> Callable[[Any], bool]:
    sub = lambda s: compile_predicate(builder, (s, file))  # noqa: E731
    same = lambda s: compile_predicate(builder, (s, file), on_struct)  # noqa: E731  (the value itself)
    if key == "$ref":
        target = builder.resolve(arg, file)
        cell: list[Callable[[Any], bool]] = []

        def referenced(v: Any) -> bool:
            # compiled on first use: a recursive schema would otherwise never finish compiling
            if not cell:
                cell.append(compile_predicate(builder, target))
            return cell[0](v)

        return referenced
    if key == "allOf":
        return _conjunction([same(s) for s in arg])
    if key == "anyOf":
        parts = [same(s) for s in arg]
        return lambda v: any(p(v) for p in parts)
    if key == "oneOf":
        parts = [same(s) for s in arg]
        return lambda v: sum(1 for p in parts if p(v)) == 1
    if key == "not":
        inner = same(arg)
        return lambda v: not inner(v)
    if key == "if":
        cond, then, other = same(arg), same(node.get("then", True)), same(node.get("else", True))
        return lambda v: then(v) if cond(v) else other(v)
    if key == "type":
        allowed = {arg} if isinstance(arg, str) else set(arg)
        if "number" in allowed:
            allowed.add("integer")
        return lambda v: _json_type(v) in allowed
    if key == "const":
        if isinstance(arg, str):
            return lambda v: v == arg  # a str equals only a str
        return lambda v: _equal(v, arg)
    if key == "enum":
        if all(isinstance(e, str) for e in arg):
            strings = frozenset(arg)
            return lambda v: isinstance(v, str) and v in strings
        return lambda v: any(_equal(v, e) for e in arg)
    if key == "required":
        if len(arg) == 1:
            name = arg[0]
            return lambda v: _member(v, name) is not MISSING or not isinstance(v, OBJECTS)
        return lambda v: not isinstance(v, OBJECTS) or all(_member(v, n) is not MISSING for n in arg)
    if key == "properties" and on_struct:
        props = [(name, sub(s)) for name, s in arg.items()]
        return _conjunction([(lambda v, n=n, p=p: (m := getattr(v, n, UNSET)) is UNSET or p(m)) for n, p in props])
    if key == "properties":
        props = [(name, sub(s)) for name, s in arg.items()]
        if len(props) == 1:
            ((name, test),) = props
            return lambda v: (m := _member(v, name)) is MISSING or test(m)
        return lambda v: all((m := _member(v, n)) is MISSING or p(m) for n, p in props)
    if key == "additionalProperties":
        known, patterns, extra = set(node.get("properties", ())), list(node.get("patternProperties", ())), sub(arg)
        return lambda v: (
            not _is_object(v)
            or all(
                extra(x)
                for n, x in _members(v).items()
                if n not in known and not any(re.search(p, n) for p in patterns)
            )
        )
    if key == "patternProperties":
        compiled = [(re.compile(p), sub(s)) for p, s in arg.items()]
        return lambda v: (
            not _is_object(v) or all(p(x) for n, x in _members(v).items() for r, p in compiled if r.search(n))
        )
    if key == "items":
        each = sub(arg)
        return lambda v: not isinstance(v, list) or all(map(each, v))
    if key == "contains":
        inner = sub(arg)
        return lambda v: not isinstance(v, list) or any(map(inner, v))
    if key in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"):
        applies = {
            "Items": lambda v: isinstance(v, list),
            "Length": lambda v: isinstance(v, str),
            "Properties": _is_object,
        }[key[3:]]
        size = _count_members if key.endswith("Properties") else len
        return (
            (lambda v: not applies(v) or size(v) >= arg)
            if key.startswith("min")
            else (lambda v: not applies(v) or size(v) <= arg)
        )
    if key == "pattern":
        regex = re.compile(arg)
        return lambda v: not isinstance(v, str) or regex.search(v) is not None
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {
            "minimum": lambda a: a >= arg,
            "maximum": lambda a: a <= arg,
            "exclusiveMinimum": lambda a: a > arg,
            "exclusiveMaximum": lambda a: a < arg,
        }[key]
        return lambda v: _json_type(v) not in ("integer", "number") or op(v)
    if key == "uniqueItems":
        return lambda v: (
            not arg or not isinstance(v, list) or len({json.dumps(_plain(x), sort_keys=True) for x in v}) == len(v)
        )
    raise NotTypeable(f"keyword {key!r} in a predicate")


def _is_object(value: Any) -> bool:
    return isinstance(value, OBJECTS)


OBJECTS = (Element, dict)


__all__ = ["typed_kind", "TypedKind", "plain_line", "Element", "NotTypeable", "PLAIN_FORMS"]
