"""Rule primitives: the generic checks a feed's `rules.yaml` is built from.

Each primitive does three things with one record, so that a rule is written once and serves
everywhere: `failure` (the validator and the simulator ask: does this record break me?),
`breaks` (the suites ask: make this valid record break me) and `repair` (the generators ask:
make this record satisfy me). A primitive that needs target reference data it does not have
raises `NeedsData`; the caller reports the check as skipped, never as failed.
"""

from __future__ import annotations

import ast
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from .findings import as_json

MISSING = object()


class NeedsData(Exception):
    """The check needs reference data the target did not supply."""


@dataclass
class RuleContext:
    """What a check may look at besides the record."""

    today: date
    data: dict[str, Any] | None = None  # target reference data; None when not supplied
    # values already stored, per field: a set, or what stands for one (`in`, `add`: ruled_lines.SeenValues)
    seen: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)  # who is calling (server side only)
    fresh: Callable[[str], Any] | None = None  # a new valid-looking value for a field (generators)

    def table(self, name: str) -> Any:
        if self.data is None or name not in self.data:
            raise NeedsData(name)
        return self.data[name]


def _resolve(value: Any, ctx: RuleContext) -> Any:
    """`{data: name}` refers to target reference data; anything else is literal."""
    if isinstance(value, dict) and set(value) == {"data"}:
        return ctx.table(value["data"])
    return value


def present(rec: dict, name: str) -> bool:
    value = rec.get(name, MISSING)
    return value is not MISSING and value is not None and not (isinstance(value, str) and not value.strip())


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal | None:
    if not is_number(value):
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None


def nonzero(rec: dict, name: str) -> bool:
    value = rec.get(name)
    return present(rec, name) and not (is_number(value) and value == 0)


def parse_date(value: Any, fmt: str) -> date | None:
    """Strict: the text must match the format exactly (zero-padded), and be a real date."""
    return _parse_date(value, fmt) if isinstance(value, str) else None


@lru_cache(maxsize=4096)  # a file repeats its dates; rules parse each several times
def _parse_date(value: str, fmt: str) -> date | None:
    try:
        parsed = datetime.strptime(value, fmt).date()
    except ValueError:
        return None
    return parsed if parsed.strftime(fmt) == value else None


PRIMITIVES: dict[str, type[Check]] = {}


def primitive(name: str):
    def register(cls):
        cls.kind = name
        PRIMITIVES[name] = cls
        return cls

    return register


class Check:
    """Base: one parameterised check on one record."""

    kind = "check"
    scope = "record"  # record | session

    def __init__(self, params: dict):
        self.params = params
        self.field: str | None = params.get("field")

    def describe(self) -> str:
        return self.kind + (f"({self.field})" if self.field else "")

    # The three faces of a rule. Subclasses override what applies to them.
    def failure(self, rec: dict, ctx: RuleContext) -> str | None:
        raise NotImplementedError

    def failures(self, rec: dict, ctx: RuleContext) -> Iterator[str]:
        """Every failure in the record; one at most, but for checks over each part of it."""
        detail = self.failure(rec, ctx)
        if detail is not None:
            yield detail

    def breaks(self, rec: dict, ctx: RuleContext, rnd: random.Random) -> dict | None:
        return None

    def repair(self, rec: dict, ctx: RuleContext, rnd: random.Random) -> dict | None:
        return None


def _with(rec: dict, **changes: Any) -> dict:
    out = dict(rec)
    for key, value in changes.items():
        if value is MISSING:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@primitive("required")
class Required(Check):
    def failure(self, rec, ctx):
        return None if present(rec, self.field) else f"{self.field} is missing or blank"

    def breaks(self, rec, ctx, rnd):
        return _with(rec, **{self.field: rnd.choice([MISSING, "", None, "   "])})


@primitive("number")
class Number(Check):
    """A present value must be a JSON number."""

    def failure(self, rec, ctx):
        if not present(rec, self.field) or is_number(rec[self.field]):
            return None
        return f"{self.field} must be a number, got {type(rec[self.field]).__name__}"

    def breaks(self, rec, ctx, rnd):
        if not present(rec, self.field):
            return None
        return _with(rec, **{self.field: str(rec[self.field])})


@primitive("date_format")
class DateFormat(Check):
    def __init__(self, params):
        super().__init__(params)
        self.format = params["format"]

    def failure(self, rec, ctx):
        if not present(rec, self.field) or parse_date(rec[self.field], self.format):
            return None
        return f"{self.field} {as_json(rec[self.field])} is not a date in {self.format} form"

    def breaks(self, rec, ctx, rnd):
        good = parse_date(rec.get(self.field), self.format) or ctx.today
        bad = rnd.choice([good.isoformat(), good.strftime("%d/%m/%Y"), "13-45-2020", "02-30-2024", "tomorrow"])
        return _with(rec, **{self.field: bad})


class _DateCheck(Check):
    def __init__(self, params: dict) -> None:
        super().__init__(params)
        self.field: str = params["field"]  # a date check always names its field, as it does its format
        self.format = params["format"]

    def value(self, rec) -> date | None:
        return parse_date(rec.get(self.field), self.format) if present(rec, self.field) else None

    def set(self, rec, day: date) -> dict:
        return _with(rec, **{self.field: day.strftime(self.format)})


@primitive("not_before")
class NotBefore(_DateCheck):
    """The date may not precede a boundary: a date from target data (`date: {data: go_live}`), or
    one looked up for the record (`lookup: {field, in, attr}`, e.g. a client's pilot date)."""

    def boundary(self, rec, ctx) -> date | None:
        if "lookup" in self.params:
            row = Condition({**self.params["lookup"], "equals": None}).entry(rec, ctx)
            value = row.get(self.params["lookup"]["attr"]) if row else None
        else:
            value = _resolve(self.params["date"], ctx)
        if value is None or isinstance(value, date):
            return value
        return date.fromisoformat(str(value))

    def failure(self, rec, ctx):
        day = self.value(rec)
        limit = self.boundary(rec, ctx) if day is not None else None
        if limit is None or day >= limit:
            return None
        return f"{self.field} {day.isoformat()} is before {limit.isoformat()}"

    def breaks(self, rec, ctx, rnd):
        if "lookup" in self.params:
            spec = self.params["lookup"]
            rows = [r for r in ctx.table(spec["in"]) if isinstance(r, dict) and r.get(spec["attr"])]
            if not rows:
                return None
            rec = _with(rec, **{spec["field"]: rnd.choice(rows)["id"]})
        limit = self.boundary(rec, ctx)
        return None if limit is None else self.set(rec, limit - timedelta(days=rnd.randint(1, 30)))

    def repair(self, rec, ctx, rnd):
        limit = self.boundary(rec, ctx)
        if limit is None:
            return None
        return self.set(rec, limit + timedelta(days=rnd.randint(0, max(0, (ctx.today - limit).days))))


@primitive("date_window")
class DateWindow(_DateCheck):
    """The date lies within `max_age_days` before the payer's today, and not after it."""

    def bounds(self, ctx) -> tuple[date, date]:
        return ctx.today - timedelta(days=int(self.params["max_age_days"])), ctx.today

    def failure(self, rec, ctx):
        day = self.value(rec)
        if day is None:
            return None
        oldest, newest = self.bounds(ctx)
        if day > newest:
            return f"{self.field} {day.isoformat()} is after today ({newest.isoformat()})"
        if day < oldest:
            return f"{self.field} {day.isoformat()} is more than {self.params['max_age_days']} days ago"
        return None

    def breaks(self, rec, ctx, rnd):
        oldest, newest = self.bounds(ctx)
        return self.set(
            rec, rnd.choice([newest + timedelta(days=rnd.randint(1, 30)), oldest - timedelta(days=rnd.randint(1, 30))])
        )

    def repair(self, rec, ctx, rnd):
        oldest, newest = self.bounds(ctx)
        return self.set(rec, oldest + timedelta(days=rnd.randint(0, (newest - oldest).days)))


@primitive("any_present")
class AnyPresent(Check):
    def failure(self, rec, ctx):
        fields = self.params["fields"]
        return None if any(present(rec, f) for f in fields) else f"none of {', '.join(fields)} is given"

    def breaks(self, rec, ctx, rnd):
        return _with(rec, **{f: MISSING for f in self.params["fields"]})

    def repair(self, rec, ctx, rnd):
        name = rnd.choice(self.params["fields"])
        return _with(rec, **{name: ctx.fresh(name)}) if ctx.fresh else None


@primitive("at_most_one_nonzero")
class AtMostOneNonzero(Check):
    def failure(self, rec, ctx):
        given = [f for f in self.params["fields"] if nonzero(rec, f)]
        return f"both {' and '.join(given)} are given and non-zero" if len(given) > 1 else None

    def breaks(self, rec, ctx, rnd):
        return _with(rec, **{f: rec[f] if nonzero(rec, f) else rnd.randint(1, 5) for f in self.params["fields"]})

    def repair(self, rec, ctx, rnd):
        given = [f for f in self.params["fields"] if nonzero(rec, f)]
        return _with(rec, **{f: MISSING for f in given[1:]})


class Condition:
    """`when: {field, in, attr, equals}`: the record's field, looked up in a data table."""

    def __init__(self, spec: dict):
        self.field, self.table, self.attr, self.equals = spec["field"], spec["in"], spec["attr"], spec["equals"]

    def entry(self, rec: dict, ctx: RuleContext) -> dict | None:
        table = ctx.table(self.table)
        key = rec.get(self.field)
        return next((row for row in table if isinstance(row, dict) and row.get("id") == key), None)

    def holds(self, rec: dict, ctx: RuleContext) -> bool:
        row = self.entry(rec, ctx)
        return row is not None and row.get(self.attr) == self.equals

    def satisfy(self, rec: dict, ctx: RuleContext, rnd: random.Random) -> dict | None:
        rows = [row for row in ctx.table(self.table) if row.get(self.attr) == self.equals]
        return _with(rec, **{self.field: rnd.choice(rows)["id"]}) if rows else None


class _Conditional(Check):
    def __init__(self, params):
        super().__init__(params)
        self.when = Condition(params["when"]) if "when" in params else None

    def applies(self, rec, ctx) -> bool:
        return self.when is None or self.when.holds(rec, ctx)

    def breaks(self, rec, ctx, rnd):
        if self.when is not None and not self.when.holds(rec, ctx):
            rec = self.when.satisfy(rec, ctx, rnd)
            if rec is None:
                return None
        return self.violate(rec, ctx, rnd)

    def violate(self, rec, ctx, rnd) -> dict | None:
        raise NotImplementedError


@primitive("absent")
class Absent(_Conditional):
    """The field may not be given (optionally: unless it is zero)."""

    def failure(self, rec, ctx):
        allow_zero = self.params.get("allow_zero", False)
        given = nonzero(rec, self.field) if allow_zero else present(rec, self.field)
        if given and self.applies(rec, ctx):
            return f"{self.field} must not be given here" + (" unless zero" if allow_zero else "")
        return None

    def violate(self, rec, ctx, rnd):
        return _with(rec, **{self.field: rnd.randint(1, 5)})

    def repair(self, rec, ctx, rnd):
        return _with(rec, **{self.field: MISSING})


@primitive("whole_number")
class WholeNumber(Check):
    def failure(self, rec, ctx):
        value = rec.get(self.field)
        if present(rec, self.field) and is_number(value) and value != int(value):
            return f"{self.field} {as_json(value)} is not a whole number"
        return None

    def breaks(self, rec, ctx, rnd):
        if not present(rec, self.field):
            return None
        return _with(rec, **{self.field: int(rec[self.field]) + rnd.choice([0.5, 0.25, 0.1])})

    def repair(self, rec, ctx, rnd):
        return _with(rec, **{self.field: max(1, int(rec[self.field]))})


@primitive("max_decimals")
class MaxDecimals(Check):
    def __init__(self, params):
        super().__init__(params)
        self.places = int(params["places"])

    def failure(self, rec, ctx):
        value = _decimal(rec.get(self.field)) if present(rec, self.field) else None
        if value is not None and value.as_tuple().exponent < -self.places:
            return f"{self.field} {as_json(rec[self.field])} has more than {self.places} decimal places"
        return None

    def breaks(self, rec, ctx, rnd):
        if not present(rec, self.field):
            return None
        base = _decimal(rec[self.field]) or Decimal(1)
        extra = Decimal(rnd.randint(1, 9)) / (Decimal(10) ** (self.places + 1))
        return _with(rec, **{self.field: float(base.quantize(Decimal(1) / 10**self.places) + extra)})

    def repair(self, rec, ctx, rnd):
        value = _decimal(rec[self.field])
        return _with(rec, **{self.field: float(round(value, self.places))})


@primitive("not_negative")
class NotNegative(Check):
    def failure(self, rec, ctx):
        value = rec.get(self.field)
        return f"{self.field} {as_json(value)} is negative" if is_number(value) and value < 0 else None

    def breaks(self, rec, ctx, rnd):
        if not present(rec, self.field):
            return None
        return _with(rec, **{self.field: -abs(rec[self.field]) or -1})

    def repair(self, rec, ctx, rnd):
        return _with(rec, **{self.field: abs(rec[self.field])})


@primitive("unique")
class Unique(Check):
    """No two accepted records share this field's value (in one file, or in the payer's store)."""

    def failure(self, rec, ctx):
        value = rec.get(self.field)
        if not isinstance(value, (str, int, float)):
            return None  # an id that is not a scalar fails its own type rule, not this one
        if present(rec, self.field) and value in ctx.seen.get(self.field, ()):
            return f"{self.field} {as_json(value)} was already used"
        return None

    def breaks(self, rec, ctx, rnd):
        used = sorted(ctx.seen.get(self.field, ()))
        return _with(rec, **{self.field: rnd.choice(used)}) if used else None


@primitive("in_data")
class InData(Check):
    """The value is one the target knows (a client id, an MA number, a service identifier)."""

    def values(self, ctx) -> set:
        table = ctx.table(self.params["table"])
        return {row["id"] if isinstance(row, dict) else row for row in table}

    def failure(self, rec, ctx):
        if not present(rec, self.field):
            return None
        value = rec[self.field]
        known = isinstance(value, (str, int, float)) and value in self.values(ctx)
        return None if known else f"{self.field} {as_json(value)} is not known to the payer"

    def breaks(self, rec, ctx, rnd):
        known = self.values(ctx)
        candidate = "ZZ" + "".join(rnd.choice("0123456789") for _ in range(9))
        return None if candidate in known else _with(rec, **{self.field: candidate})

    def repair(self, rec, ctx, rnd):
        return _with(rec, **{self.field: rnd.choice(sorted(self.values(ctx)))})


@primitive("at_most_data")
class AtMostData(Check):
    """The value may not exceed a limit found in a data table row, e.g. a service's max units."""

    def __init__(self, params):
        super().__init__(params)
        self.lookup = Condition({**params["lookup"], "equals": None})

    def limit(self, rec, ctx) -> float | None:
        row = self.lookup.entry(rec, ctx)
        return None if row is None else row.get(self.lookup.attr)

    def failure(self, rec, ctx):
        value = rec.get(self.field)
        if not (present(rec, self.field) and is_number(value)):
            return None
        limit = self.limit(rec, ctx)
        if limit is not None and value > limit:
            return f"{self.field} {value} exceeds the limit {limit}"
        return None

    def breaks(self, rec, ctx, rnd):
        limit = self.limit(rec, ctx)
        if limit is None or not present(rec, self.field):
            return None
        step = 1 if isinstance(rec[self.field], int) else 0.01
        return _with(rec, **{self.field: round(limit + step * rnd.randint(1, 3), 2)})

    def repair(self, rec, ctx, rnd):
        limit = self.limit(rec, ctx)
        if limit is None:
            return None
        value = rec[self.field]
        return _with(rec, **{self.field: type(value)(min(value, limit))})


@primitive("pattern")
class Pattern(Check):
    def __init__(self, params):
        super().__init__(params)
        self.regex = re.compile(params["regex"])

    def failure(self, rec, ctx):
        value = rec.get(self.field)
        if present(rec, self.field) and not (isinstance(value, str) and self.regex.fullmatch(value)):
            return f"{self.field} {as_json(value)} does not match {self.params.get('name', self.regex.pattern)}"
        return None

    def breaks(self, rec, ctx, rnd):
        return _with(rec, **{self.field: rnd.choice(["not-a-guid", "12345", "80a4889c-6f1b-453d-a306eccfb9382355"])})


@primitive("session_flag")
class SessionFlag(Check):
    """A fact about the caller, not the record (e.g. the SSO user has a staff profile)."""

    scope = "session"

    def failure(self, rec, ctx):
        flag = self.params["flag"]
        return None if ctx.session.get(flag, True) else self.params.get("explain", f"session lacks {flag}")


def build_check(spec: dict) -> Check:
    kind = spec["check"]
    if kind not in PRIMITIVES:
        raise ValueError(f"unknown rule primitive {kind!r} (known: {', '.join(sorted(PRIMITIVES))})")
    return PRIMITIVES[kind](spec)


Generator = Callable[[random.Random, RuleContext], Any]


# --- invariants: one relation between fields of a record, e.g. a page's arithmetic -----------

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    ast.IfExp,
    ast.Subscript,
    ast.Attribute,
    ast.Tuple,
    ast.List,
)


def _days(start: Any, end: Any) -> int:
    """Days from one ISO date to another (a ValueError on anything else leaves it to the schema)."""
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


_FUNCTIONS = {
    "ceil": math.ceil,
    "len": len,
    "max": max,
    "min": min,
    "abs": abs,
    "days": _days,
    "get": _get,
    "coalesce": _coalesce,
}


class Failure(str):
    """A failure message that also says where in the record it is (a JSON pointer)."""

    pointer: str | None = None

    @classmethod
    def at(cls, message: str, pointer: str | None) -> Failure:
        failure = cls(message)
        failure.pointer = pointer
        return failure


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def select(rec: Any, path: str | dict) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every part of a record a path names.

    `a.b` walks objects, `a[]` every element of a list, "" the record itself; `{anywhere: [keys]}`
    every object below the record whose keys are exactly these (a date range, wherever it sits).
    """
    if isinstance(path, dict):
        yield from _having(rec, "", frozenset(path["anywhere"]))
        return
    found: list[tuple[str, Any]] = [("", rec)]
    for step in path.split(".") if path else []:
        many = step.endswith("[]")
        name = step.removesuffix("[]")
        nxt = []
        for pointer, value in found:
            if not hasattr(value, "get") or value.get(name) is None:  # a dict, or a typed record with get()
                continue
            child, where = value[name], f"{pointer}/{_escape(name)}"
            if many:
                nxt += [(f"{where}/{i}", v) for i, v in enumerate(child)] if isinstance(child, list) else []
            else:
                nxt.append((where, child))
        found = nxt
    yield from found


def _having(value: Any, pointer: str, keys: frozenset) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        if set(value) == keys:
            yield pointer, value
            return
        for key, child in value.items():
            yield from _having(child, f"{pointer}/{_escape(key)}", keys)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _having(child, f"{pointer}/{index}", keys)


def compile_expression(text: str):
    """A small, safe expression over a record's fields: comparisons, arithmetic, ceil/len/min/max."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"{text!r}: {type(node).__name__} is not allowed in a rule expression")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS):
            raise ValueError(f"{text!r}: only {', '.join(_FUNCTIONS)} may be called")
        if isinstance(node, ast.Attribute):
            raise ValueError(f"{text!r}: attributes are not allowed in a rule expression")
    return compile(tree, "<rule>", "eval")


class _Fields(dict):
    """Record fields as names; an absent field is None (so `x is None` reads naturally)."""

    def __missing__(self, key):
        if key in _FUNCTIONS:
            return _FUNCTIONS[key]
        return None


@primitive("invariant")
class Invariant(Check):
    """`expr` must hold (optionally only `when` another holds); values that make it meaningless
    (a missing field, a wrong type) leave it to the schema.

    `each` applies it to every part of the record a path selects (see `select`), with that part's
    fields as names; `at` names the field a failure points at (default: the part itself)."""

    def __init__(self, params: dict) -> None:
        super().__init__(params)
        self.expr = compile_expression(params["expr"])
        self.when = compile_expression(params["when"]) if "when" in params else None
        self.each = params.get("each", "")
        self.at = params.get("at")
        self.names = sorted(set(self.expr.co_names) | (set(self.when.co_names) if self.when else set()))
        self._outcomes: dict = {}
        # the names a failure message shows, parsed once (a warning may fire on every line of a file)
        self.shown = sorted(
            {
                n.id
                for n in ast.walk(ast.parse(params["expr"], mode="eval"))
                if isinstance(n, ast.Name) and n.id not in _FUNCTIONS
            }
        )

    def failure(self, rec, ctx):
        return next(self.failures(rec, ctx), None)

    def failures(self, rec, ctx):
        for pointer, part in select(rec, self.each):
            detail = self._failure(part)
            if detail is not None:
                where = f"{pointer}/{_escape(self.at)}" if self.at else pointer
                yield Failure.at(f"{where.lstrip('/') or 'record'}: {detail}" if self.each else detail, where or None)

    def _failure(self, rec):
        if not isinstance(rec, dict):
            if not hasattr(rec, "get"):
                return None
            # a typed record (validators/fastpath.py): the names it reads, functions left to _Fields
            rec = {name: rec.get(name) for name in self.names if name not in _FUNCTIONS}
        # the outcome depends only on the values of the names the expressions read: a known deviation
        # repeated on every line (or every element) of a big file is worked out and worded once
        # (scalars only; type too, since 1 == True)
        try:
            key = tuple((type(v), v) for v in (rec.get(name) for name in self.names))
            return self._outcomes[key]
        except TypeError:  # a value that is not hashable (a dict, a list): no memo
            return self._evaluate(rec)
        except KeyError:
            outcome = self._evaluate(rec)
            if len(self._outcomes) < 4096:
                self._outcomes[key] = outcome
            return outcome

    def _evaluate(self, rec):
        fields = _Fields(rec)
        try:
            if self.when is not None and not eval(self.when, {"__builtins__": {}}, fields):
                return None
            holds = eval(self.expr, {"__builtins__": {}}, fields)
        except (TypeError, ValueError, ZeroDivisionError, KeyError, IndexError, OverflowError):
            return None
        if holds:
            return None
        return "seen " + ", ".join(f"{n} {as_json(rec.get(n))}" for n in self.shown)
