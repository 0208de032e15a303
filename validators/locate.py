"""Where a JSON value sits in its text: the physical line of each JSON pointer of one record.

Findings point at the line of the offending member's key (or where an array element starts), so a
reader of a pretty-printed page goes straight to it; a kind may ask for the line of the value
instead (`finding_lines: value`). The text is scanned only when a record has a finding to place,
once per record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

_WS = re.compile(r"[ \t\n\r]*")
# json.decoder's string scanner (the C one where built): there at run time, absent from typeshed's json.decoder
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _skip_ws(text: str, pos: int) -> int:
    """The position after the blanks at `pos` (the pattern matches everywhere, if only the empty string)."""
    match = _WS.match(text, pos)
    assert match is not None
    return match.end()


def escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class Locator:
    """Lines by JSON pointer in one record's text (already known to be valid JSON), and the
    pointers and lines of names given twice in one object (the second occurrence)."""

    def __init__(self, text: str, first_line: int = 1):
        self.text, self.first_line = text, first_line
        self._lines: dict[str, int] = {}
        self._scanned = False
        self._values: dict[str, int] = {}  # where each value itself starts
        self.duplicates: list[tuple[str, int]] = []

    def line(self, pointer: str | None, value: bool = False) -> int | None:
        """The line of `pointer`'s key (of its value with value=True), or of its nearest enclosing
        value that is there."""
        lines = self.lines
        pointer = pointer or ""
        while pointer not in lines and pointer:
            pointer, value = pointer.rsplit("/", 1)[0], True
        return self._values.get(pointer, lines.get(pointer)) if value else lines.get(pointer)

    @property
    def lines(self) -> dict[str, int]:
        if not self._scanned:
            self._scanned = True
            try:
                self._value(_skip_ws(self.text, 0), "")
            except (IndexError, ValueError, RecursionError):
                pass  # not the JSON it was said to be: place what was found
        return self._lines

    def _at(self, pos: int) -> int:
        return self.first_line + self.text.count("\n", 0, pos)

    def _value(self, pos: int, pointer: str) -> int:
        """Scan the value at `pos` (no leading blanks); the position after it."""
        self._values[pointer] = self._at(pos)
        self._lines.setdefault(pointer, self._values[pointer])
        ch = self.text[pos]
        if ch == "{":
            return self._object(pos + 1, pointer)
        if ch == "[":
            return self._array(pos + 1, pointer)
        if ch == '"':
            return _scanstring(self.text, pos + 1)[1]
        for literal in ("true", "false", "null"):
            if self.text.startswith(literal, pos):
                return pos + len(literal)
        match = _NUMBER.match(self.text, pos)
        if match is None or not match.group():
            raise ValueError(f"no JSON value at {pos}")
        return match.end()

    def _object(self, pos: int, pointer: str) -> int:
        pos = _skip_ws(self.text, pos)
        if self.text[pos] == "}":
            return pos + 1
        seen: set[str] = set()
        while True:
            pos = _skip_ws(self.text, pos)
            key_pos = pos
            key, pos = _scanstring(self.text, pos + 1)
            child = f"{pointer}/{escape(key)}"
            if key in seen:  # the first occurrence keeps the pointer; the second is reported
                self.duplicates.append((child, self._at(key_pos)))
                child += "#duplicate"
            else:
                self._lines[child] = self._at(key_pos)
                seen.add(key)
            pos = _skip_ws(self.text, pos) + 1  # ':'
            pos = self._value(_skip_ws(self.text, pos), child)
            pos = _skip_ws(self.text, pos)
            if self.text[pos] == "}":
                return pos + 1
            pos += 1  # ','

    def _array(self, pos: int, pointer: str) -> int:
        pos = _skip_ws(self.text, pos)
        if self.text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self._value(_skip_ws(self.text, pos), f"{pointer}/{index}")
            index += 1
            pos = _skip_ws(self.text, pos)
            if self.text[pos] == "]":
                return pos + 1
            pos += 1  # ','


def pointer(tokens: Iterable) -> str:
    return "".join(f"/{escape(str(t))}" for t in tokens)


class RecordLines:
    """Lines inside one record by path tokens (`["claims", 2, "quantity"]`): of the value, or of
    its key with key=True; the record's first line when nothing better is known."""

    def __init__(self, record):
        self.record = record
        self.locator = Locator(record.text, record.line) if record.text else None

    def line(self, tokens: Iterable, key: bool = False) -> int:
        if self.locator is None:
            return self.record.line
        return self.locator.line(pointer(tokens), value=not key) or self.record.line
