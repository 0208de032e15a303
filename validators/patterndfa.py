"""A schema's `pattern` as a DFA over printable ASCII, for the line checker (validators/_linecheck.c).

The checker reads a string's characters only when they are printable ASCII (it leaves other strings to
the exact path), so a pattern needs no more than that alphabet, and for such text Python's `$` is the
end of the string (there is no newline to stop before). The regex is read with Python's own parser
(`re._parser`), so it means what `re.search` makes of it; anything this module does not turn into a DFA
(a back reference, a look-around, an anchor inside the pattern, a flag, a huge repeat) gives None and
the pattern stays a Python regex asked once per distinct string.

JSON Schema's `pattern` searches (it is not anchored unless the pattern is): an unanchored start is a
loop on every character before the pattern, an unanchored end a loop after it.
"""

from __future__ import annotations

import re
from re import _constants as C
from re import _parser

ALPHABET = range(32, 128)  # ASCII past the control characters: all the checker hands a pattern
EVERY = sum(1 << c for c in range(128))
MAX_REPEAT = 100  # a bigger bounded repeat is left to Python
MAX_STATES = 1024

SPACE = sum(1 << c for c in b" \t\n\r\f\v\x1c\x1d\x1e\x1f")  # str.isspace() below 128
DIGIT = sum(1 << c for c in b"0123456789")
WORD = sum(1 << c for c in range(128) if chr(c).isalnum() or c == ord("_"))
CATEGORIES = {
    C.CATEGORY_SPACE: SPACE,
    C.CATEGORY_NOT_SPACE: EVERY & ~SPACE,
    C.CATEGORY_DIGIT: DIGIT,
    C.CATEGORY_NOT_DIGIT: EVERY & ~DIGIT,
    C.CATEGORY_WORD: WORD,
    C.CATEGORY_NOT_WORD: EVERY & ~WORD,
}


class _Unsupported(Exception):
    pass


class _NFA:
    """States with epsilon edges and character-set edges (sets as 128-bit masks)."""

    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.edges: list[list[tuple[int, int]]] = []

    def state(self) -> int:
        self.eps.append([])
        self.edges.append([])
        if len(self.eps) > 20 * MAX_STATES:
            raise _Unsupported("too many states")
        return len(self.eps) - 1

    # each builder links `start` to a fresh end state and returns it
    def sequence(self, items, start: int) -> int:
        for op, arg in items:
            start = self.item(op, arg, start)
        return start

    def item(self, op, arg, start: int) -> int:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY):
            end = self.state()
            self.edges[start].append((_charset(op, arg), end))
            return end
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise _Unsupported("inline flags")
            return self.sequence(sub, start)
        if op is C.BRANCH:
            end = self.state()
            for alternative in arg[1]:
                first = self.state()
                self.eps[start].append(first)
                self.eps[self.sequence(alternative, first)].append(end)
            return end
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):  # greedy or not, the same strings match
            low, high, sub = arg
            if low > MAX_REPEAT or (high is not C.MAXREPEAT and high > MAX_REPEAT):
                raise _Unsupported("a large repeat")
            for _ in range(low):
                start = self.sequence(sub, start)
            if high is C.MAXREPEAT:
                loop = self.state()
                self.eps[start].append(loop)
                self.eps[self.sequence(sub, loop)].append(loop)
                return loop
            end = self.state()
            self.eps[start].append(end)
            for _ in range(high - low):
                start = self.sequence(sub, start)
                self.eps[start].append(end)
            return end
        raise _Unsupported(f"regex operator {op}")


def _charset(op, arg) -> int:
    if op is C.LITERAL:
        if arg >= 128:
            raise _Unsupported("a character past ASCII")
        return 1 << arg
    if op is C.NOT_LITERAL:
        return EVERY & ~(1 << arg) if arg < 128 else EVERY
    if op is C.ANY:
        return EVERY & ~(1 << 10)
    if op is C.CATEGORY:
        return CATEGORIES[arg]
    mask, negate = 0, False
    for item_op, item in arg:  # C.IN
        if item_op is C.NEGATE:
            negate = True
        elif item_op is C.LITERAL:
            mask |= 1 << item if item < 128 else 0
        elif item_op is C.RANGE:
            low, high = item
            mask |= sum(1 << c for c in range(low, min(high, 127) + 1))
        elif item_op is C.CATEGORY:
            mask |= CATEGORIES[item]
        else:
            raise _Unsupported(f"class item {item_op}")
    return EVERY & ~mask if negate else mask


def pattern_dfa(pattern: str) -> tuple[bytes, bytes] | None:
    """(transitions, accepting) for `re.search(pattern, text)` over printable ASCII text, or None.
    transitions: little-endian uint16, 128 per state (state 0 is dead: no match can follow);
    accepting: one byte per state. Start state: 1."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & ~(re.UNICODE | re.ASCII):  # what the pattern is compiled with by default
            return None
        items = list(parsed)
        anchored_start = items[:1] in ([(C.AT, C.AT_BEGINNING)], [(C.AT, C.AT_BEGINNING_STRING)])
        if anchored_start:
            items = items[1:]
        anchored_end = bool(items) and items[-1] in ((C.AT, C.AT_END), (C.AT, C.AT_END_STRING))
        if anchored_end:
            items = items[:-1]
        nfa = _NFA()
        start = nfa.state()
        if not anchored_start:
            nfa.edges[start].append((EVERY, start))
        final = nfa.sequence(items, start)
        if not anchored_end:
            nfa.edges[final].append((EVERY, final))
        return _determinise(nfa, start, final)
    except (_Unsupported, re.error, RecursionError, KeyError):
        return None


def _determinise(nfa: _NFA, start: int, final: int) -> tuple[bytes, bytes]:
    classes = _classes(nfa)

    def closure(states) -> frozenset[int]:
        seen, stack = set(states), list(states)
        while stack:
            for nxt in nfa.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    dead: frozenset[int] = frozenset()
    first = closure([start])
    index = {dead: 0, first: 1}
    order = [dead, first]
    rows: list[list[int]] = []
    at = 0
    while at < len(order):
        current = order[at]
        row = [0] * 128
        for members, mask in classes:
            targets = [nxt for s in current for charset, nxt in nfa.edges[s] if charset & mask]
            target = closure(targets) if targets else dead
            if target not in index:
                if len(order) >= MAX_STATES:
                    raise _Unsupported("too many DFA states")
                index[target] = len(order)
                order.append(target)
            for c in members:
                row[c] = index[target]
        rows.append(row)
        at += 1
    table = b"".join(c.to_bytes(2, "little") for row in rows for c in row)
    accepting = bytes(1 if final in states else 0 for states in order)
    return table, accepting


def _classes(nfa: _NFA) -> list[tuple[list[int], int]]:
    """The alphabet split into characters no edge tells apart: (characters, mask of one of them)."""
    masks = {charset for edges in nfa.edges for charset, _ in edges}
    groups: dict[tuple[bool, ...], list[int]] = {}
    for c in ALPHABET:
        groups.setdefault(tuple(bool(m >> c & 1) for m in masks), []).append(c)
    return [(members, 1 << members[0]) for members in groups.values()]
