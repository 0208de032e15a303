"""Lines of the values inside one record: a finding about `/claims/2/quantity` points at the line
where that value is written, and a finding about a field's name at the line of its key.

The source map is built only for records that have findings, from the text the reader kept.
"""
from __future__ import annotations

from typing import Iterable

from json_source_map import calculate
from json_source_map.errors import BaseError

from .readers import Record


def pointer(tokens: Iterable) -> str:
    """A JSON pointer as the source map spells it (keys unescaped)."""
    return "".join(f"/{t}" for t in tokens)


class RecordLines:
    def __init__(self, record: Record):
        self.record = record
        self._map = None

    def _entries(self) -> dict:
        if self._map is None:
            self._map = {}
            if self.record.text:
                try:
                    self._map = calculate(self.record.text)
                except (BaseError, ValueError, IndexError):
                    pass  # the record parsed, so this does not happen; fall back to its first line
        return self._map

    def line(self, tokens: Iterable, key: bool = False) -> int:
        """The line of the value at `tokens` (of its key with key=True), else of the nearest
        enclosing value the map knows, else the record's first line."""
        path = list(tokens)
        while True:
            entry = self._entries().get(pointer(path))
            if entry is not None:
                start = entry.key_start if key and entry.key_start is not None else entry.value_start
                return self.record.line + start.line
            if not path:
                return self.record.line
            path.pop()
            key = False
