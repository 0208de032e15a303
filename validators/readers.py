"""Streaming readers: a file becomes a sequence of records with their physical line numbers.

Readers never load a whole file: NDJSON and CSV go line by line, a JSON array entry by entry.
A syntax problem becomes a `ParseProblem` at its line and column; the caller decides whether
that is a finding. Encoding trouble or binary content raises `UnusableInput`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, TypedDict

from .findings import UnusableInput

CHUNK = 1 << 16
MAX_LINE = 64 << 20  # a longer NDJSON line is a finding, skipped unread: never a memory spike


@dataclass
class Record:
    line: int
    data: Any
    index: int | None  # position in the file's array or lines, from 0; None for a lone JSON value
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)  # (key, line) given twice in one object
    text: str | None = None  # the record's own JSON text, to place findings on their lines (JSON formats)
    # A record read from inside a wrapper document (a FHIR Bundle's entry): its pointer in the wrapper,
    # and the wrapper's Locator (validators/locate.py) that places its findings.
    within: str = ""
    locator: Any = None


@dataclass
class ParseProblem:
    line: int
    column: int | None
    message: str


Item = Record | ParseProblem


def open_text(path: Path) -> TextIO:
    """Open a file as UTF-8 text (gzip transparently), refusing binary content up front."""
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    stream = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
    try:
        sample = stream.read(4096)
    except (OSError, EOFError) as exc:  # a corrupt or truncated gzip stream
        raw.close()
        raise UnusableInput(f"{path}: cannot be read ({exc})") from None
    if b"\x00" in sample:
        raw.close()
        encoding = _utf16(sample)
        if encoding:
            raise UnusableInput(f"{path}: {encoding} text, not UTF-8; convert it first (iconv -f {encoding} -t UTF-8)")
        raise UnusableInput(f"{path}: binary content, not a text file")
    stream.seek(0)
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def _utf16(sample: bytes) -> str | None:
    """UTF-16LE or UTF-16BE when the bytes are text in it (a BOM, or a NUL beside every ASCII byte)."""
    if sample[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16LE" if sample[:2] == b"\xff\xfe" else "UTF-16BE"
    pairs = sample[: len(sample) // 2 * 2][:512]
    if len(pairs) >= 8 and all(pairs[i + 1] == 0 and pairs[i] for i in range(0, len(pairs), 2)):
        return "UTF-16LE"
    if len(pairs) >= 8 and all(pairs[i] == 0 and pairs[i + 1] for i in range(0, len(pairs), 2)):
        return "UTF-16BE"
    return None


def sniff_format(path: Path, first_chars: str) -> str:
    """json, ndjson or csv, from the extension first and the content second."""
    name = path.name.lower().removesuffix(".gz")
    for ext, fmt in ((".ndjson", "ndjson"), (".jsonl", "ndjson"), (".csv", "csv"), (".json", "json")):
        if name.endswith(ext):
            return fmt
    stripped = first_chars.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        first_line = stripped.split("\n", 1)[0].strip()
        return "ndjson" if first_line.endswith("}") and "\n{" in stripped else "json"
    return "csv"


def _not_json(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


class JsonNumbers(TypedDict):
    """json.loads's keywords for what a number (or a constant) in the text becomes."""

    parse_constant: Callable[[str], Any]
    parse_float: Callable[[str], Any]


# Python's json accepts NaN, Infinity and numbers that overflow to inf: JSON does not.
STRICT: JsonNumbers = {"parse_constant": _not_json, "parse_float": _finite}
# Exact decimals, for payers that count decimal places (quantity at 4 dp, money at 2 dp).
STRICT_DECIMAL: JsonNumbers = {"parse_constant": _not_json, "parse_float": Decimal}

_LEADING_ZERO = re.compile(r"(?:^|[^\d.eE+-])-?0$")


def _why(text: str, pos: int, msg: str) -> str:
    """The decoder's message, or what is really wrong where it is misleading: `001` stops the
    decoder after the 0 with "Expecting ',' delimiter"."""
    if pos < len(text) and text[pos].isdigit() and _LEADING_ZERO.search(text[max(0, pos - 40) : pos]):
        number = re.match(r"\d+", text[pos:])  # None for a digit that is not decimal (str.isdigit() of "²")
        if number:
            return f"not JSON: a number with a leading zero (0{number.group()})"
    if msg.startswith("Unterminated string"):
        return "not JSON: a string that never ends (a cut-off line?)"
    return f"not JSON: {msg}"


class DuplicateKeys:
    """Builds objects like json does, remembering every key given twice in one object: a JSON
    parser silently keeps the last value, so a duplicate is a finding, not a detail."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict:
        obj: dict = {}
        for key, value in pairs:
            if key in obj:
                self.found.append(key)
            obj[key] = value
        return obj

    def take(self, text: str, first_line: int) -> list[tuple[str, int]]:
        """The duplicates found since the last call, each with the line of its second occurrence."""
        located = []
        for key in dict.fromkeys(self.found):
            hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
            offset = hits[1] if len(hits) > 1 else (hits[0] if hits else 0)
            located.append((key, first_line + text.count("\n", 0, offset)))
        self.found.clear()
        return located


def read_records(
    path: Path, fmt: str, coerce: Callable[[str, str], Any] | None = None, decimal: bool = False
) -> Iterator[Item]:
    """decimal: JSON numbers with a fraction or exponent become Decimal, not float."""
    strict = STRICT_DECIMAL if decimal else STRICT
    with open_text(path) as fh:
        try:
            if fmt == "ndjson":
                yield from _ndjson(fh, strict)
            elif fmt == "csv":
                yield from _csv(fh, coerce)
            else:
                yield from _json(fh, strict)
        except UnicodeDecodeError as exc:
            raise UnusableInput(f"{path}: not UTF-8 text ({exc.reason})") from None
        except (EOFError, OSError) as exc:
            raise UnusableInput(f"{path}: cannot be read to the end ({exc or type(exc).__name__})") from None


def _lines(fh: TextIO) -> Iterator[str | None]:
    """The file's lines; None for one of MAX_LINE characters or more, read past in chunks, never held."""
    while line := fh.readline(MAX_LINE):
        if len(line) < MAX_LINE or line.endswith("\n"):
            yield line
            continue
        while (rest := fh.readline(MAX_LINE)) and not rest.endswith("\n"):
            pass
        yield None


def _ndjson(fh: TextIO, strict: JsonNumbers = STRICT) -> Iterator[Item]:
    index = 0
    duplicates = DuplicateKeys()
    for line_no, line in enumerate(_lines(fh), start=1):
        item = ndjson_item(line_no, line, index, duplicates, strict)
        if item is not None:
            yield item
            index += isinstance(item, Record)


def ndjson_item(
    line_no: int, line: str | None, index: int, duplicates: DuplicateKeys, strict: JsonNumbers = STRICT
) -> Item | None:
    """One NDJSON line (with its line ending; None: one of MAX_LINE or more) read as a record or a
    problem, `index` records after the first; None for a blank line."""
    if line is None:
        return ParseProblem(line_no, None, f"line longer than {MAX_LINE >> 20} MiB: not read")
    if not line.strip():
        return None
    try:
        data = json.loads(line, object_pairs_hook=duplicates, **strict)
    except json.JSONDecodeError as exc:
        text = line.rstrip("\r\n")
        if exc.pos >= len(text) and text.strip()[:1] in ("{", "["):  # the value goes on past the line's end
            message = (
                "not JSON: the line ends inside a JSON value; NDJSON holds one whole record a line (pretty-printed?)"
            )
            return ParseProblem(line_no, len(text) + 1, message)
        return ParseProblem(line_no, min(exc.pos, len(text)) + 1, _why(line, exc.pos, exc.msg))
    except ValueError as exc:
        return ParseProblem(line_no, None, f"not JSON: {exc}")
    return Record(line_no, data, index, duplicates.take(line, line_no) if duplicates.found else [], line)


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's header row (empty when it has none that can be read)."""
    try:
        with open_text(path) as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error, ValueError):
        return []


def _csv(fh: TextIO, coerce: Callable[[str, str], Any] | None) -> Iterator[Item]:
    reader = csv.reader(fh)
    header: list[str] | None = None
    index = 0
    for row in reader:
        line_no = reader.line_num  # physical line where this row ends; rows are one line here
        if header is None:
            header = [h.strip() for h in row]
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield ParseProblem(line_no, None, f"row has {len(row)} cells, the header has {len(header)}")
            continue
        data = {}
        for name, cell in zip(header, row):
            if cell.strip() == "":
                continue  # an empty cell is an absent field
            data[name] = coerce(name, cell) if coerce else cell
        yield Record(line_no, data, index)
        index += 1


class _JsonStream:
    """Incremental scanner over a JSON document: one value, or an array decoded entry by entry."""

    def __init__(self, fh: TextIO, strict: JsonNumbers = STRICT):
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.line = 1  # line number at self.pos
        self.col_base = 0  # buffer offset where the current line starts
        self.eof = False
        self.duplicates = DuplicateKeys()
        self.decoder = json.JSONDecoder(object_pairs_hook=self.duplicates, **strict)
        self.last_duplicates: list[tuple[str, int]] = []
        self.last_text = ""  # the text of the value decode() returned last

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        # drop what is consumed so memory stays bounded by one entry
        self.col_base -= self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def advance(self, new_pos: int) -> None:
        consumed = self.buf[self.pos : new_pos]
        newlines = consumed.count("\n")
        if newlines:
            self.line += newlines
            self.col_base = self.pos + consumed.rindex("\n") + 1
        self.pos = new_pos

    def peek(self) -> str:
        """The next non-blank character, or '' at the end."""
        while True:
            stripped = len(self.buf) - len(self.buf[self.pos :].lstrip())
            self.advance(stripped)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return ""

    def take_duplicates(self) -> list[tuple[str, int]]:
        found, self.last_duplicates = self.last_duplicates, []
        return found

    def column(self) -> int:
        return self.pos - self.col_base + 1

    def decode(self) -> Any:
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                raise self._located(exc) from None
            except ValueError as exc:
                raise _Problem(ParseProblem(self.line, self.column(), f"not JSON: {exc}")) from None
            if end == len(self.buf) and not self.eof and self.buf[self.pos] not in '{["':
                # a number at the end of the buffer may continue in the next chunk
                if self.fill():
                    continue
            self.last_text = self.buf[self.pos : end]
            if self.duplicates.found:
                self.last_duplicates = self.duplicates.take(self.last_text, self.line)
            self.advance(end)
            return value

    def _located(self, exc: json.JSONDecodeError) -> _Problem:
        before = self.buf[self.pos : exc.pos]
        if "\n" in before:
            line = self.line + before.count("\n")
            column = len(before) - before.rindex("\n")
        else:
            line, column = self.line, exc.pos - self.col_base + 1
        return _Problem(ParseProblem(line, column, _why(self.buf, exc.pos, exc.msg)))


class _Problem(Exception):
    def __init__(self, problem: ParseProblem):
        self.problem = problem


def _json(fh: TextIO, strict: JsonNumbers = STRICT) -> Iterator[Item]:
    stream = _JsonStream(fh, strict)
    first = stream.peek()
    if first == "":
        yield ParseProblem(1, 1, "empty file")
        return
    try:
        if first != "[":
            line = stream.line
            value = stream.decode()
            yield Record(line, value, None, stream.take_duplicates(), stream.last_text)
            trailing = stream.peek()
            if trailing:
                yield ParseProblem(stream.line, stream.column(), "extra data after the JSON value")
            return
        stream.advance(stream.pos + 1)
        index = 0
        while True:
            ch = stream.peek()
            if ch == "]":
                stream.advance(stream.pos + 1)
                break
            if ch == "":
                yield ParseProblem(stream.line, stream.column(), "not JSON: unterminated array")
                return
            if index:
                if ch != ",":
                    yield ParseProblem(stream.line, stream.column(), "not JSON: expected ',' between array entries")
                    return
                stream.advance(stream.pos + 1)
                stream.peek()
            line = stream.line
            value = stream.decode()
            yield Record(line, value, index, stream.take_duplicates(), stream.last_text)
            index += 1
        if stream.peek():
            yield ParseProblem(stream.line, stream.column(), "extra data after the JSON array")
    except _Problem as exc:
        yield exc.problem


def first_chars(path: Path, size: int = 2048) -> str:
    with open_text(path) as fh:
        try:
            return fh.read(size)
        except UnicodeDecodeError as exc:
            raise UnusableInput(f"{path}: not UTF-8 text ({exc.reason})") from None


__all__ = ["Record", "ParseProblem", "read_records", "sniff_format", "first_chars", "open_text"]
