"""Which feed and kind a file is: the one place that reads each kind's declared evidence (feed.yaml
`kinds.*.detect`), and never guesses.

The format comes first, from the content: a message (an HTTP start line and its Content-Type, a MIME
entity's headers, an XML document, an `ISA` after an optional BOM and blanks), else JSON, NDJSON or
CSV. Then every kind that reads the format is scored by its evidence:

- `keys` (and `item_keys`, the keys of the item a page or webhook carries): more than half must be
  there, as a few generic names (id, type, data) prove nothing;
- `required`: keys every record of the kind has; `values`: {member: value} every record of the kind
  has (a FHIR resourceType): a record without them is not of the kind, whatever else it shares;
- `contains`: text only this kind's records hold (a version's code system), which outweighs any
  count of keys, once the keys are there;
- `match`: {member: regex} where names cannot tell kinds apart (read from an NDJSON file's first line);
- for messages: `body_elements`, `form_field`, `path_contains`;
- `wrapped`: the kind's records sent inside a document (a FHIR Bundle); the first record inside is
  then the evidence.

No evidence, or evidence that points two ways (kinds that fit equally and declare different proofs,
none of which the file shows), makes the file unusable with a one-line reason naming the candidates.
With --feed, a file that cannot be read far enough to show evidence says why (not JSON at line L
column C: ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from payercert.feeds import Feed, Kind, discover, load_feed

from .findings import UnusableInput
from .httpmsg import content_type_params, looks_like_http, parse_entity, parse_http
from .readers import ParseProblem, csv_header, first_chars, read_records, sniff_format

HEAD = 64 * 1024  # what a message's format and detection hints are read from
PROOF = 10  # what a kind's `detect.contains` adds to its score: it outweighs any count of shared keys
BOM = b"\xef\xbb\xbf"


# How a message says to name what the content does not tell (a front end without these options, the
# web app, says them in its own terms)
NAME_FEED_AND_KIND = "name it with --feed and --kind"
NAME_KIND = "name it with --kind"


@dataclass
class Options:
    """What the user said about the files to validate (the command line's options)."""

    feed: str | None = None
    kind: str | None = None
    as_of: date | None = None
    all_errors: bool = False
    data: dict[str, Any] | None = None
    readings: dict[str, str] = field(default_factory=dict)
    signature: str | None = None  # a detached signature sent with the file (token, @file or header line)
    public_key: Path | None = None  # the sender's key to verify it
    companion: Path | None = None  # the file a payload answers (--request), for the kind's companion checks
    kind_options: dict[str, str] = field(default_factory=dict)  # a kind's own options (feed.yaml kinds.*.options)
    jobs: int = 0  # processes for a kind with a fast NDJSON validator (validators/fastpath.py); 0: by file size
    # told (bytes read, bytes in all) as a large uncompressed NDJSON file of a fast kind is read
    progress: Callable[[int, int], None] | None = None


@dataclass
class Recognised:
    feed: Feed
    kind: Kind
    format: str
    because: str  # the evidence that picked the kind, or the options that named it
    wrapped: bool = False  # the records came inside a wrapper document the kind declares (a FHIR Bundle)


def recognise(path: Path, opts: Options) -> Recognised:
    """The feed, kind and format of a file, and why: from the options where given, else its content."""
    head = _head(path)
    fmt = sniff_message_format(head)
    if fmt is not None:
        message = _message_kind(path, head, fmt, opts)
        if message is not None:
            return message
        if head.lstrip(BOM + b" \t\r\n").startswith(b"<"):  # XML, and no kind's: nothing else reads it
            raise UnusableInput(f"{path}: {_unknown_xml(head.decode('latin-1'), opts)}")
    return _record_kind(path, opts)


# --- messages: SOAP, MTOM, MIME form-data, X12 ---------------------------------------------------------


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD)


def sniff_message_format(head: bytes) -> str | None:
    """soap, mtom, mime or x12 from the first bytes; None when the file is none of them."""
    text = head.lstrip(BOM + b" \t\r\n")
    if text.startswith(b"ISA") or _X12_WITHOUT_ISA.match(text):
        return "x12"
    if looks_like_http(text):
        try:
            ctype = parse_http(head).header("Content-Type")
        except ValueError:
            return "soap"  # an HTTP message whose head is broken: read as a message, reported as such
        return _format_of(ctype)
    entity = parse_entity(text)  # a MIME entity captured without its start line (a part, a form)
    if entity is not None:
        return _format_of(entity.header("Content-Type"))
    if text.startswith(b"<"):
        return "soap"
    return None


# A functional group's GS segment first, and a transaction set's ST after it: X12 that lost its ISA.
_X12_WITHOUT_ISA = re.compile(rb"GS([*|^:])[^\r\n]{10,}?(~|\r?\n)\s*ST\1")


def _format_of(content_type: str | None) -> str:
    media = content_type_params(content_type).get_content_type()
    return {"multipart/related": "mtom", "multipart/form-data": "mime"}.get(media, "soap")


def _message_kind(path: Path, head: bytes, fmt: str, opts: Options) -> Recognised | None:
    best: tuple[int, Feed, Kind] | None = None
    for feed in _feeds(opts):
        for kind in feed.kinds.values():
            if opts.kind and kind.name != opts.kind:
                continue
            score = _message_score(kind, fmt, head, path, named=bool(opts.kind))
            if score is not None and (best is None or score > best[0]):
                best = (score, feed, kind)
    if best is None:
        return None
    named = " (named with --kind)" if opts.kind else ""
    what = {"x12": "an X12 interchange", "mtom": "an MTOM package", "mime": "a MIME form"}.get(fmt, "a SOAP message")
    because = f"{what}, by its content, matching the kind's detection hints{named}"
    return Recognised(best[1], best[2], fmt, because)


def _message_score(kind: Kind, fmt: str, head: bytes, path: Path, named: bool = False) -> int | None:
    """How well a kind's detection hints fit (None: the kind cannot read this file). Unless the user
    named the kind, a SOAP kind needs its root element (`xml_root`, any SOAP version: a SOAP 1.1
    message is reported, not refused) and one of its `body_elements`, anywhere (a wrapper may hold it)."""
    spec_fmt = kind.spec.get("format")
    detect = kind.spec.get("detect", {})
    if spec_fmt != fmt and not (fmt == "x12" and spec_fmt == "sftp-file"):
        return None
    if detect.get("path_contains") and detect["path_contains"] not in path.as_posix():
        return None
    score = 1
    text = head.decode("latin-1")
    root = detect.get("xml_root", "").rsplit("}", 1)[-1]
    if fmt == "soap" and root and not named and _root_name(_xml_of(text)) != root:
        return None
    bodies = [n for n in detect.get("body_elements", []) if re.search(rf"<(\w+:)?{re.escape(n)}[\s>/]", text)]
    if detect.get("body_elements") and not bodies and not named:
        return None
    score += 2 * len(bodies)
    for field_name, value in detect.get("form_field", {}).items():
        form = rf'name="?{re.escape(field_name)}"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n{re.escape(value)}\r?\n'
        if re.search(form, text):
            score += 2
    if detect.get("path_contains"):
        score += 2
    return score


_PROLOG = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)", re.S)
_START_TAG = re.compile(r"\s*<(?:[\w.-]+:)?([\w.-]+)")


def _unknown_xml(text: str, opts: Options) -> str:
    """Why no kind reads an XML document: what it is, and what the XML kinds read."""
    body = re.search(r"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)", text)
    what = f"root element {_root_name(text) or '?'}" + (f", its Body holding {body.group(1)}" if body else "")
    kinds = [k for f in _feeds(opts) for k in f.kinds.values() if k.spec.get("detect", {}).get("body_elements")]
    wanted = sorted({n for k in kinds for n in k.spec["detect"]["body_elements"]})
    shown = ", ".join(wanted[:3]) + (", ..." if len(wanted) > 3 else "")
    return f"an XML document ({what}) that no kind of {opts.feed or 'any feed'} reads" + (
        f": they read a SOAP Envelope whose Body holds {shown}" if wanted else ""
    )


def _xml_of(text: str) -> str:
    """The XML of a message: the text itself, or what follows the headers of an HTTP message or MIME entity."""
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return text.lstrip("\ufeff")
    at = re.search(r"\r?\n\r?\n", text)
    return text[at.end() :] if at else ""


def _root_name(text: str) -> str | None:
    """The local name of an XML document's root element, past its declaration, comments and DOCTYPE."""
    pos = 0
    while (prolog := _PROLOG.match(text, pos)) is not None and prolog.end() > pos:
        pos = prolog.end()
    start = _START_TAG.match(text, pos)
    return start.group(1) if start else None


# --- records: JSON, NDJSON, CSV -----------------------------------------------------------------------


@dataclass
class _Evidence:
    keys: set[str]
    item_keys: set[str]
    text: str  # where `contains` proofs are looked for
    first: dict | None  # the first record, for `match`
    wrapper: dict | None  # a document holding the records (a Bundle), when that is what the file is
    many: bool  # several records (NDJSON, a JSON array, a wrapper)
    problem: ParseProblem | None  # what stood in the way of reading the first record


def _record_kind(path: Path, opts: Options) -> Recognised:
    head = first_chars(path)
    fmt = sniff_format(path, head)
    kinds = [(feed, kind) for feed in _feeds(opts) for kind in feed.kinds.values()]
    kinds = [(f, k) for f, k in kinds if not opts.kind or k.name == opts.kind]
    evidence = _evidence(path, fmt, head, [k for _, k in kinds])
    candidates: list[tuple[int, Feed, Kind]] = []
    elsewhere: list[Kind] = []  # kinds whose declared values the record has, in a format they do not read
    for feed, kind in kinds:
        wrapped = evidence.wrapper is not None and wraps(kind, evidence.wrapper)
        if fmt not in kind.spec.get("formats", []) and not wrapped:
            if kind.spec.get("detect", {}).get("values") and _ruled_out(kind, evidence) is None:
                elsewhere.append(kind)
            continue  # a kind reads only the formats it names (and the documents it declares it is wrapped in)
        if evidence.wrapper is not None and not wrapped:
            continue
        candidates.append((_score(kind, evidence), feed, kind))
    candidates.sort(key=lambda c: -c[0])
    if elsewhere and (not candidates or candidates[0][0] == 0):
        kind = elsewhere[0]
        values = ", ".join(f"{k} {json.dumps(v)}" for k, v in kind.spec["detect"]["values"].items())
        raise UnusableInput(
            f"{path}: a {fmt.upper()} document of {values}; {kind.name} files are "
            f"{' or '.join(f.upper() for f in kind.spec.get('formats', []))} (one record a line)"
        )
    if not candidates:
        raise UnusableInput(f"{path}: no feed reads {fmt} files" + (f" of kind {opts.kind}" if opts.kind else ""))
    if candidates[0][0] == 0 and not (opts.feed and opts.kind):
        return _without_evidence(path, fmt, candidates, evidence, opts)
    _refuse_two_ways(path, candidates, opts)
    feed, kind = candidates[0][1], candidates[0][2]
    if evidence.first is not None and kind.spec.get("detect", {}).get("match") and not opts.kind:
        kind = _by_shape(kind, [k for _, f, k in candidates[1:] if f.id == feed.id], evidence.first)
    return Recognised(feed, kind, fmt, _because(kind, evidence, opts), evidence.wrapper is not None)


def _feeds(opts: Options) -> list[Feed]:
    return [load_feed(feed_id) for feed_id in ([opts.feed] if opts.feed else discover())]


def _evidence(path: Path, fmt: str, head: str, kinds: list[Kind]) -> _Evidence:
    """The first record's keys, those of the item it carries (`data[0]`, or `data`), its text, and
    the parse problem that stood in the way of reading it, if one did. A CSV file's evidence is its
    header; an NDJSON file's first line is read whole (a line can be longer than the head)."""
    if fmt == "csv":
        return _Evidence(set(csv_header(path)), set(), head, None, None, True, None)
    if fmt == "ndjson":
        from .fastpath import first_line

        line = first_line(path)
        first = _decoded(line)
        problem = None if first is not None or line is None else _first_problem(path, fmt)
        text = line.decode("utf-8", "replace") if line else head
        return _of_record(first, text, kinds, True, problem)
    for item in read_records(path, fmt):
        if isinstance(item, ParseProblem):
            return _Evidence(set(), set(), head, None, None, False, item)
        return _of_record(item.data, head, kinds, item.index is not None, None)
    return _Evidence(set(), set(), head, None, None, False, None)


def _of_record(record: Any, text: str, kinds: list[Kind], many: bool, problem: ParseProblem | None) -> _Evidence:
    """The evidence of a first record; of the first record inside it, when it is a wrapper a kind declares."""
    wrapper = record if any(wraps(k, record) for k in kinds) else None
    if wrapper is not None:
        record = next((r for k in kinds if wraps(k, wrapper) for r in wrapped_records(k, wrapper)), None)
        text, many = json.dumps(record), True
    first = record if isinstance(record, dict) else None
    return _Evidence(*_keys(record), text, first, wrapper, many, problem)


def _first_problem(path: Path, fmt: str) -> ParseProblem | None:
    """Why the first record cannot be read, in the reader's words (line and column)."""
    first = next(iter(read_records(path, fmt)), None)
    return first if isinstance(first, ParseProblem) else None


def _decoded(line: bytes | None) -> Any:
    if line is None:
        return None
    try:
        return msgspec.json.decode(line.removeprefix(BOM))
    except (msgspec.MsgspecError, UnicodeDecodeError, ValueError):
        return None


def _keys(record: Any) -> tuple[set[str], set[str]]:
    if not isinstance(record, dict):
        return set(), set()
    inner = record.get("data")
    inner = inner[0] if isinstance(inner, list) and inner else inner
    return set(record), set(inner) if isinstance(inner, dict) else set()


def wraps(kind: Kind, data: Any) -> bool:
    """`data` is a document the kind declares its records may come wrapped in (`wrapped.match`)."""
    wrapped = kind.spec.get("wrapped") or {}
    return bool(wrapped) and isinstance(data, dict) and all(data.get(k) == v for k, v in wrapped["match"].items())


def wrapped_records(kind: Kind, data: dict) -> list[Any]:
    """The records inside a wrapper: `wrapped.records` is the path to them ([entry, resource]: the
    resource of each entry)."""
    holder, member = kind.spec["wrapped"]["records"]
    entries = data.get(holder)
    return [e.get(member) if isinstance(e, dict) else None for e in entries] if isinstance(entries, list) else []


def _score(kind: Kind, evidence: _Evidence) -> int:
    detect = kind.spec.get("detect", {})
    if _ruled_out(kind, evidence) is not None:
        return 0
    wanted_items = set(detect.get("item_keys", []))
    shared = len(kind.detect_keys & evidence.keys) + len(wanted_items & evidence.item_keys)
    declared = len(kind.detect_keys) + len(wanted_items)
    # a few generic names (id, type, data) shared with a kind prove nothing: most of them must be there
    score = shared if shared * 2 > declared else 0
    if score and any(proof in evidence.text for proof in detect.get("contains", [])):
        score += PROOF  # text only this kind's records hold (a version's coding system, say)
    if score and evidence.many and detect.get("records") == "many":
        score += 1  # a kind that reads a file's records together (a sequence) over one that reads one
    return score


def _ruled_out(kind: Kind, evidence: _Evidence) -> str | None:
    """Why the first record cannot be of this kind (a key it lacks, a value it does not have), if so."""
    detect = kind.spec.get("detect", {})
    missing = [key for key in detect.get("required", []) if key not in evidence.keys]
    if missing:
        return f"it has no {missing[0]}"
    for member, wanted in detect.get("values", {}).items():
        seen = evidence.first.get(member) if evidence.first is not None else None
        if seen != wanted:
            return f"its {member} is {json.dumps(seen)}, not {json.dumps(wanted)}"
    return None


def _without_evidence(
    path: Path, fmt: str, candidates: list[tuple[int, Feed, Kind]], evidence: _Evidence, opts: Options
) -> Recognised:
    """No kind's evidence in the file: never a guess. A feed the user names vouches for a JSON file its
    one kind reads (a syntax error in it is then that kind's finding); a CSV file must still show its
    header's known columns."""
    if opts.feed and fmt != "csv" and len(candidates) == 1:
        feed, kind = candidates[0][1], candidates[0][2]
        return Recognised(feed, kind, fmt, f"--feed {opts.feed}: its one kind that reads {fmt}")
    if evidence.problem is not None:  # the file cannot be read far enough to show evidence: say why
        problem = evidence.problem
        where = f"line {problem.line}" + (f" column {problem.column}" if problem.column else "")
        reason = problem.message.removeprefix(f"not {fmt.upper()}: ").removeprefix("not JSON: ")
        raise UnusableInput(f"{path}: not {fmt.upper()} at {where}: {reason}")
    seen = _what_rules_out(candidates, evidence)
    if not opts.feed:
        raise UnusableInput(
            f"{path}: cannot tell which feed this file belongs to: it shows no kind's evidence "
            f"(a CSV header naming known columns, a JSON record's known keys){seen}; {NAME_FEED_AND_KIND}"
        )
    if fmt == "csv":
        kind = candidates[0][2]
        known = ", ".join(sorted(kind.detect_keys)[:4])
        raise UnusableInput(
            f"{path}: the CSV header names none of the columns of {opts.feed} {kind.name} ({known}, ...)"
        )
    raise UnusableInput(f"{path}: cannot tell which kind of {opts.feed} this file is{seen}; {NAME_KIND}")


def _what_rules_out(candidates: list[tuple[int, Feed, Kind]], evidence: _Evidence) -> str:
    """What the file shows that its candidate kinds do not have (e.g. "its resourceType is "Claim",
    not "ExplanationOfBenefit""), and the wrapper it came in, for the reason."""
    inside = f" inside a {evidence.wrapper.get('resourceType', 'wrapper')}" if evidence.wrapper else ""
    reasons = [r for _, _, kind in candidates if evidence.first and (r := _ruled_out(kind, evidence))]
    if reasons:
        return f"; the first record{inside}: {reasons[0]}"
    return f"; the first record{inside} is of none of its kinds" if inside else ""


def _refuse_two_ways(path: Path, candidates: list[tuple[int, Feed, Kind]], opts: Options) -> None:
    """Kinds that the record's keys fit equally, and that declare different proofs of which they are
    (`detect.contains`), none of which the record shows: the evidence points two ways."""
    if opts.kind or not candidates or candidates[0][0] == 0:
        return
    tied = [kind for score, _, kind in candidates if score == candidates[0][0]]
    proofs = {tuple(kind.spec.get("detect", {}).get("contains", [])) for kind in tied}
    if len(tied) > 1 and len(proofs) > 1:
        names = ", ".join(kind.name for kind in tied[:-1]) + f" or {tied[-1].name}"
        raise UnusableInput(f"{path}: looks like {names}, and shows none of what tells them apart; {NAME_KIND}")


def _by_shape(kind: Kind, others: list[Kind], first: dict) -> Kind:
    """Where member names cannot tell (an R4 v2 record has no member of its own; v3 may have none of
    its own either): a kind's `detect.match` ({member: regex}) must hold for the first record, else the
    first other kind of the feed whose `match` holds is taken."""
    if _matches(kind, first):
        return kind
    return next(
        (other for other in others if other.spec.get("detect", {}).get("match") and _matches(other, first)), kind
    )


def _matches(kind: Kind, data: dict) -> bool:
    return all(
        isinstance(data.get(member), str) and re.search(regex, data[member])
        for member, regex in kind.spec["detect"]["match"].items()
    )


def _because(kind: Kind, evidence: _Evidence, opts: Options) -> str:
    if opts.feed and opts.kind:
        return "named with --feed and --kind"
    detect = kind.spec.get("detect", {})
    declared = sorted(kind.detect_keys | set(detect.get("item_keys", [])))
    seen = evidence.keys | evidence.item_keys
    shared = [k for k in declared if k in seen]
    why = f"{len(shared)} of its {len(declared)} keys ({', '.join(shared[:5])}{', ...' if len(shared) > 5 else ''})"
    proofs = [p for p in detect.get("contains", []) if p in evidence.text]
    inside = (
        f" of the first record inside a {evidence.wrapper.get('resourceType', 'document')}" if evidence.wrapper else ""
    )
    return (
        why
        + inside
        + (f", and {proofs[0]} in the record" if proofs else "")
        + (" (named with --kind)" if opts.kind else "")
    )
