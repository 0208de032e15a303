"""ASC X12 5010 payloads: interchanges, their envelopes, and segment-level checks where pyx12 has a map.

- `split_interchanges(payload)`: the chunks between ASCII FS (0x1C) separators, CR/LF trimmed.
- `parse_interchange(chunk)`: the ISA read at its fixed width (106 characters, the element separator at
  position 4, the component separator ISA16, the segment terminator right after it) and the
  segments that follow up to IEA; `X12SyntaxError` when the ISA is unusable.
- `check_payload(payload, ...)`/`check_interchange(...)`: envelope findings: ISA/IEA, GS/GE, ST/SE
  control numbers and counts, version 5010, ST01/GS01/GS08/ST03 against the PayloadType, a single
  interchange/group/transaction set in RealTime. Each problem has a generic key (`PROBLEMS`) that a
  feed maps to its requirement (feed.yaml `x12_requirements`). Locations are `x12:<SEG>#<n>`, the n-th
  segment with that id in the payload, counted across its interchanges.
- `segment_findings(payload, ...)`: pyx12 (BSD, 4.0.0) validation against the implementation guide map,
  for the guides pyx12 registers (`pyx12_guides()`: 837P 005010X222A1, 837I 005010X223A2, 835
  005010X221A1, 999 005010X231A1, 277CA 005010X214, 834, 820). **270/271 (X279A1), 276/277 (X212),
  278 (X217), 837D (X224A2) and TA1 get envelope-level checks only**: pyx12 4.0.0 ships no registered
  5010 map for them (docs/sources/caqh-core.md 0.6 and 8).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

FS = b"\x1c"
ISA_LENGTH = 106
ISA_WIDTHS = (3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)

# generic problem -> what it means; feeds map the keys to requirement ids
PROBLEMS = {
    "isa": "the ISA is not 106 fixed-width characters with distinct separators and terminator",
    "counts-st": "SE01 is not the segment count from ST to SE, or SE02 is not ST02",
    "counts-group": "GE01/GE02 or IEA01/IEA02 do not match the group/interchange",
    "version": "not version 5010 (ISA12 00501, GS08 005010...)",
    "payload-type": "ST01/GS01/GS08/ST03 do not match the PayloadType",
    "single": "a RealTime payload holds more than one interchange, group or transaction set",
    "segment": "the transaction set does not follow its implementation guide",
}


class X12SyntaxError(ValueError):
    pass


@dataclass
class X12Problem:
    problem: str
    message: str
    location: str
    severity: str = "error"  # "warning": a layout the reader accepts and reports (indentation)
    consequents: tuple[X12Problem, ...] = ()  # what follows from this one alone (segments it left unplaceable)


@dataclass
class Interchange:
    isa: list[str]
    element_sep: str
    component_sep: str
    terminator: str
    segments: list[list[str]] = field(default_factory=list)  # after the ISA, up to and including IEA
    rest: str = ""  # text after IEA in the same chunk
    deviations: list[X12Problem] = field(default_factory=list)  # read past by a tolerant reading


def split_interchanges(payload: bytes | str) -> list[str]:
    """The FS-separated chunks of a payload (text), CR/LF around each trimmed, empty ones dropped."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return [c.strip("\r\n") for c in text.split("\x1c") if c.strip("\r\n")]


def read_isa(chunk: str, tolerant: bool = False) -> tuple[list[str], str, str, int, list[X12Problem]]:
    """(ISA elements, element separator, terminator, where the segments start, deviations read past)
    or X12SyntaxError. Strict, the ISA must be 106 fixed-width characters; tolerant, one whose
    elements are not padded to their widths is read by its separators and reported."""
    if not chunk.startswith("ISA"):
        raise X12SyntaxError(f"the interchange must open with ISA, not {chunk[:12]!r}")
    if len(chunk) < ISA_LENGTH:
        raise X12SyntaxError(f"the ISA is cut short: {len(chunk)} characters, 106 needed")
    sep, deviations = chunk[3], []
    elements = chunk[:105].split(sep)
    widths = [len(e) for e in elements]
    end = ISA_LENGTH
    if tuple(widths) != ISA_WIDTHS:
        parts = chunk.split(sep, 16)
        if not tolerant or len(parts) < 17 or len(parts[16]) < 2:
            raise X12SyntaxError(f"ISA element widths {widths} are not the fixed widths {list(ISA_WIDTHS)}")
        elements = [*parts[:16], parts[16][0]]
        end = len(chunk) - len(parts[16]) + 2
        deviations.append(
            X12Problem(
                "isa",
                f"ISA element widths {[len(e) for e in elements]} are not the fixed widths {list(ISA_WIDTHS)} "
                "(read by its separators)",
                "",
            )
        )
    term = chunk[end - 1]
    if term in (sep, elements[16]) or term.isalnum():
        raise X12SyntaxError(f"the segment terminator {term!r} is not distinct from the separators")
    return elements, sep, term, end, deviations


def parse_interchange(chunk: str, tolerant: bool = False) -> Interchange:
    """The interchange a chunk opens with. Tolerant (as a validator reads what real systems send):
    a non-fixed-width ISA and segments written one per line with indentation are read, each
    reported once in `deviations`; strict (as a server takes a file), they are X12SyntaxError."""
    elements, sep, term, pos, deviations = read_isa(chunk, tolerant)
    out = Interchange(elements, sep, elements[16], term, deviations=deviations)
    indented = False
    while pos < len(chunk):
        end = chunk.find(term, pos)
        end = len(chunk) if end < 0 else end
        text = chunk[pos:end].strip("\r\n")
        if tolerant and text != text.strip():
            indented, text = True, text.strip()
        pos = end + 1
        if not text and tolerant:
            continue
        seg = text.split(sep)
        out.segments.append(seg)
        if seg[0] == "IEA":
            break
    if indented:
        message = "segments are indented or padded with spaces or tabs (read as layout)"
        out.deviations.append(X12Problem("isa", message, "", "warning"))
    out.rest = chunk[pos:].lstrip() if tolerant else chunk[pos:].lstrip("\r\n")
    return out


def check_payload(payload: bytes | str, ids: dict | None = None, realtime: bool = False) -> list[X12Problem]:
    """Envelope problems of a whole payload; `ids` the PayloadType's {st01, gs01, gs08} (or {segment: TA1})."""
    ids = ids or {}
    out: list[X12Problem] = []
    seen: dict[str, int] = {}
    counts = {"ISA": 0, "GS": 0, "ST": 0}
    extra: list[str] = []

    def at(seg: str) -> str:
        seen[seg] = seen.get(seg, 0) + 1
        where = f"x12:{seg}#{seen[seg]}"
        if seg in counts:
            counts[seg] += 1
            if realtime and counts[seg] == 2:
                extra.append(where)
        return where

    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    if text.startswith("\ufeff"):  # a byte order mark, as some editors and exports write: reported, read past
        out.append(X12Problem("isa", "a UTF-8 byte order mark comes before the ISA", "x12:ISA#1"))
        text = text[1:]
    for chunk in split_interchanges(text.lstrip(" \t\r\n")):
        while chunk:
            where = at("ISA")
            try:
                isa, envelope, closed, deviations, chunk = _read_envelopes(chunk)
            except X12SyntaxError as exc:
                out.append(X12Problem("isa", str(exc), where))
                break  # the rest of this chunk cannot be read
            out += [X12Problem(d.problem, d.message, where, d.severity) for d in deviations]
            out += _check_envelopes(isa, envelope, closed, ids, at, where)
    if extra:  # one finding, at the first extra interchange, else group, else transaction set
        out.append(
            X12Problem(
                "single",
                "a RealTime payload must be one interchange with one group and one transaction set (a single inquiry)",
                extra[0],
            )
        )
    return out


def check_interchange(ic: Interchange, ids: dict, at=None, isa_where: str = "x12:ISA#1") -> list[X12Problem]:
    """Envelope problems of one parsed interchange. `at(seg)` numbers segment locations (shared across a payload)."""
    closed = bool(ic.segments) and ic.segments[-1][0] == "IEA"
    return _check_envelopes(ic.isa, list(_envelope_of(ic.segments)), closed, ids, at, isa_where)


# An envelope segment as the checks read it: its elements, and how many other segments came since
# the envelope segment before it (a transaction set's segment count needs nothing more of them).
Envelope = list[tuple[list[str], int]]
ENVELOPE_IDS = frozenset({"GS", "ST", "SE", "GE", "IEA"})


def _envelope_of(segments: list[list[str]]) -> Iterator[tuple[list[str], int]]:
    others = 0
    for seg in segments:
        if seg[0] in ENVELOPE_IDS:
            yield seg, others
            others = 0
        else:
            others += 1


def _read_envelopes(chunk: str) -> tuple[list[str], Envelope, bool, list[X12Problem], str]:
    """(ISA elements, envelope segments, whether an IEA closes it, deviations read past, the text after
    it) of the interchange a chunk opens with, read tolerantly as `parse_interchange` reads it. A
    regular interchange (no segment indented, padded or empty) is read by its envelope segments alone,
    the others counted, not split: a large batch is read at the speed of the text's own scanning."""
    elements, sep, term, pos, deviations = read_isa(chunk, tolerant=True)
    found = _regular_envelopes(chunk, sep, term, pos)
    if found is None:
        ic = parse_interchange(chunk, tolerant=True)
        closed = bool(ic.segments) and ic.segments[-1][0] == "IEA"
        return ic.isa, list(_envelope_of(ic.segments)), closed, ic.deviations, ic.rest
    envelope, closed, rest = found
    return elements, envelope, closed, deviations, rest


@functools.lru_cache(maxsize=32)
def _patterns(sep: str, term: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(an envelope segment's start after the terminator before it; a terminator followed by
    whitespace or another terminator). Both open with the terminator, so a search skips to it."""
    s, t = re.escape(sep), re.escape(term)
    return re.compile(rf"{t}[\r\n]*((?:GS|ST|SE|GE|IEA)(?={s}|{t}|$))"), re.compile(rf"{t}[\s{t}]")


def _regular_envelopes(chunk: str, sep: str, term: str, pos: int) -> tuple[Envelope, bool, str] | None:
    """The envelope of a regular interchange after its ISA (see `_read_envelopes`), or None when the
    interchange is not regular and must be read segment by segment."""
    if term in "\r\n":
        return None  # line ends that are terminators: only the segment-by-segment reading tells them apart
    envelope_at, spaced = _patterns(sep, term)
    envelope: Envelope = []
    previous_end, end = pos - 1, -1  # where the segment before ends: the ISA's terminator first
    for match in envelope_at.finditer(chunk, pos - 1):  # from the ISA's own terminator
        start = match.start(1)
        stop = chunk.find(term, start)
        stop = len(chunk) if stop < 0 else stop
        between = chunk.count(term, previous_end, match.start()) if match.start() > previous_end else 0
        envelope.append((chunk[start:stop].split(sep), between))
        previous_end = stop
        if match.group(1) == "IEA":
            end = stop
            break
    if end < 0:
        return None  # an interchange cut off: read segment by segment, as it always was
    # Regular: no segment empty, none with whitespace at either end once CR/LF are set aside (what
    # the segment-by-segment reading reads past, and reports); looked for from both ends of each.
    flat = chunk[pos - 1 : end + 1].replace("\r", "").replace("\n", "")
    if spaced.search(flat) or spaced.search(flat[::-1]):
        return None
    return envelope, True, chunk[end + 1 :].lstrip()


def _check_envelopes(
    isa: list[str], envelope: Envelope, closed: bool, ids: dict, at=None, isa_where: str = "x12:ISA#1"
) -> list[X12Problem]:
    """Envelope problems of one interchange's envelope segments (`at(seg)` numbers their locations,
    shared across a payload)."""
    if at is None:
        seen: dict[str, int] = {"ISA": 1}

        def at(seg: str) -> str:
            seen[seg] = seen.get(seg, 0) + 1
            return f"x12:{seg}#{seen[seg]}"

    out: list[X12Problem] = []
    if isa[12] != "00501":
        out.append(X12Problem("version", f"ISA12 is {isa[12]!r}, not 00501", isa_where))
    groups, sts, gs_ctrl, st, count = 0, 0, None, None, 0
    opened: dict[str, str] = {}  # the GS and ST not yet closed by their GE and SE, and where they are
    for seg, others in envelope:
        if st is not None:
            count += others  # the transaction set's segments between its envelope segments
        name = seg[0]
        where = at(name)
        if name in ("GS", "ST"):
            opened[name] = where
        elif name in ("GE", "SE"):
            opened.pop({"GE": "GS", "SE": "ST"}[name], None)

        def get(i: int, seg: list[str] = seg) -> str:
            return seg[i] if len(seg) > i else ""

        if name == "GS":
            groups, sts, gs_ctrl = groups + 1, 0, get(6)
            if not get(8).startswith("005010"):
                out.append(X12Problem("version", f"GS08 is {get(8)!r}, not a 005010 guide", where))
            if ids.get("gs08") and (get(1) != ids["gs01"] or get(8) != ids["gs08"]):
                out.append(
                    X12Problem(
                        "payload-type",
                        f"GS01/GS08 {get(1)}/{get(8)} do not match the PayloadType ({ids['gs01']}/{ids['gs08']})",
                        where,
                    )
                )
        elif name == "ST":
            st, count, sts = seg, 1, sts + 1
            if ids.get("st01") and (get(1) != ids["st01"] or (len(seg) > 3 and get(3) != ids["gs08"])):
                out.append(
                    X12Problem(
                        "payload-type",
                        f"ST01/ST03 {get(1)}/{get(3)} do not match the PayloadType ({ids['st01']}/{ids.get('gs08')})",
                        where,
                    )
                )
        elif name == "SE":
            count += 1
            if st is None or get(1) != str(count) or get(2) != st[2]:
                out.append(
                    X12Problem(
                        "counts-st",
                        f"SE {get(1)}*{get(2)}: the transaction set has {count} segments "
                        f"and ST02 {st[2] if st else '(no ST)'}",
                        where,
                    )
                )
            st = None
        elif name == "GE":
            if get(1) != str(sts) or get(2) != gs_ctrl:
                out.append(
                    X12Problem(
                        "counts-group",
                        f"GE {get(1)}*{get(2)}: the group has {sts} transaction sets and GS06 {gs_ctrl}",
                        where,
                    )
                )
        elif name == "IEA":
            if get(1) != str(groups) or get(2) != isa[13]:
                out.append(
                    X12Problem(
                        "counts-group",
                        f"IEA {get(1)}*{get(2)}: the interchange has {groups} groups and ISA13 {isa[13]}",
                        where,
                    )
                )
    if not closed:
        if "ST" in opened:  # a cut-off interchange leaves its last transaction set and group open too
            out.append(X12Problem("counts-st", "the transaction set this ST opens has no SE", opened["ST"]))
        if "GS" in opened:
            out.append(X12Problem("counts-group", "the group this GS opens has no GE", opened["GS"]))
        out.append(X12Problem("counts-group", "no IEA closes the interchange", at("IEA")))
    return out


# --------------------------------------------------------------------------------------------------
# pyx12: segment-level validation where it registers a 5010 map
# --------------------------------------------------------------------------------------------------
@cache
def pyx12_guides() -> frozenset[str]:
    """The 5010 implementation guides (GS08) pyx12 registers a map for, read from its maps.xml."""
    try:
        import pyx12
    except ImportError:
        return frozenset()
    maps = Path(pyx12.__file__).parent / "map" / "maps.xml"
    text = re.sub(r"<!--.*?-->", "", maps.read_text(encoding="utf-8"), flags=re.S)
    section = text.split('icvn="00501"', 1)[1] if 'icvn="00501"' in text else ""
    return frozenset(re.findall(r'vriic="(005010X[0-9A-Z]+)"', section))


def declared_guide(payload: bytes | str) -> str | None:
    """The implementation guide every functional group declares (GS08), when they all name one."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    guides = set()
    for chunk in split_interchanges(text.lstrip("\ufeff \t\r\n")):
        while chunk:
            try:
                _isa, envelope, _closed, _deviations, chunk = _read_envelopes(chunk)
            except X12SyntaxError:
                return None
            guides |= {seg[8] for seg, _ in envelope if seg[0] == "GS" and len(seg) > 8}
    return guides.pop() if len(guides) == 1 else None


def segment_findings(payload: bytes | str, guide: str) -> list[X12Problem]:
    """pyx12's errors for a payload of a guide it has a map for (empty list otherwise)."""
    if guide not in pyx12_guides():
        return []

    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    out: list[X12Problem] = []
    for n, chunk in enumerate(split_interchanges(text), 1):
        errors = _pyx12_errors(chunk)
        out += _with_consequents(
            [
                X12Problem("segment", msg, f"x12:interchange#{n} line {line}" if line else f"x12:interchange#{n}")
                for line, msg in errors
            ]
        )
    return out


_NOT_PLACED = re.compile(r"^Segment \S+ not found\.\s+Started at (\S+)")


def _with_consequents(problems: list[X12Problem]) -> list[X12Problem]:
    """One bad segment leaves pyx12 unable to place the segments after it, each reported as "not found,
    started at" the same place: those are attached to the first (its cause), not listed as defects."""
    out: list[X12Problem] = []
    for problem in problems:
        started = _NOT_PLACED.match(problem.message)
        cause = out[-1] if out else None
        cause_started = _NOT_PLACED.match(cause.message) if cause else None
        if started and cause is not None and cause_started and cause_started.group(1) == started.group(1):
            out[-1] = replace(cause, consequents=(*cause.consequents, problem))
        else:
            out.append(problem)
    return out


def _pyx12_errors(chunk: str) -> list[tuple[int | None, str]]:
    import json

    import pyx12.params
    import pyx12.x12n_document

    # pyx12 logs every error (element errors only there): kept here, never shown on the terminal
    logger, logged = logging.getLogger("pyx12"), _Logged()
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    logger.addHandler(logged)
    with tempfile.NamedTemporaryFile("w", suffix=".x12", encoding="utf-8", delete=True) as src:
        src.write(chunk)
        src.flush()
        report = io.StringIO()
        try:
            ok = pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), src.name, None, None, fd_json=report)
        except Exception as exc:  # pyx12 raises EngineError on maps it cannot load; one line
            return [
                (
                    None,
                    f"pyx12 could not validate it: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                )
            ]
        finally:
            logger.removeHandler(logged)
    if ok:
        return []
    try:
        doc = json.loads(report.getvalue() or "{}")
    except ValueError:
        return [(None, "pyx12 found errors (unreadable report)")]
    found: list[tuple[int | None, str]] = []

    def walk(node):
        if isinstance(node, dict):
            for err in node.get("errors", []) or []:
                if isinstance(err, dict):
                    found.append(
                        (
                            err.get("cur_line") or node.get("cur_line"),
                            str(err.get("err_str") or f"pyx12 error {err.get('err_cde', '')}").strip(),
                        )
                    )
                else:
                    found.append((node.get("cur_line"), str(err)))
            for v in node.values():
                if isinstance(v, (list, dict)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    return found or logged.errors or [(None, "pyx12 reports the transaction set invalid")]


class _Logged(logging.Handler):
    """pyx12's logged errors, "Line:3 ELE:10 - Data element ... is marked as Not Used", as (line, text)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[tuple[int | None, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        at = re.match(r"Line:(\d+)\s+(?:ELE:\S+\s+)?-\s*(.*)", text)
        self.errors.append((int(at.group(1)), at.group(2)) if at else (None, text))
