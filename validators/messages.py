"""Files holding one message: whole HTTP messages or bare bodies of SOAP, MTOM, MIME form-data, or X12.

Kinds read here name one `format:` in feed.yaml (`soap | mtom | mime | x12 | sftp-file`) and detection
hints (`detect: starts_with, content_type, content_type_params, xml_root, body_elements, form_field,
path_contains`). The format comes from the content: an HTTP start line and its Content-Type, an XML
document, or an `ISA` start. The file is read whole (a CORE message is at most a few megabytes;
`MAX_BYTES` bounds it) and checked by `core_checks` (envelopes) or `x12` (payloads). Hostile or broken
input becomes a finding (XML with a DTD, a broken MIME package) or a one-line unusable-input error.
"""

from __future__ import annotations

import re
from pathlib import Path

from payercert.feeds import Feed, Kind, discover, load_feed

from .findings import FileReport, Finding, Location, Severity, UnusableInput
from .httpmsg import content_type_params, looks_like_http, parse_entity, parse_http

MESSAGE_FORMATS = ("soap", "mtom", "mime", "x12", "sftp-file")
MAX_BYTES = 64 * 1024 * 1024
HEAD = 64 * 1024


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD)


def sniff_message_format(head: bytes) -> str | None:
    """soap, mtom, mime or x12 from the first bytes; None when the file is none of them."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"ISA"):
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


def _format_of(content_type: str | None) -> str:
    media = content_type_params(content_type).get_content_type()
    return {"multipart/related": "mtom", "multipart/form-data": "mime"}.get(media, "soap")


def _score(kind: Kind, fmt: str, head: bytes, path: Path) -> int | None:
    """How well a kind's detection hints fit (None: the kind cannot read this file)."""
    spec_fmt = kind.spec.get("format")
    detect = kind.spec.get("detect", {})
    if spec_fmt != fmt and not (fmt == "x12" and spec_fmt == "sftp-file"):
        return None
    if detect.get("path_contains") and detect["path_contains"] not in path.as_posix():
        return None
    score = 1
    text = head.decode("latin-1")
    for name in detect.get("body_elements", []):
        if re.search(rf"<(\w+:)?{re.escape(name)}[\s>/]", text):
            score += 2
    for field, value in detect.get("form_field", {}).items():
        if re.search(rf'name="?{re.escape(field)}"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n{re.escape(value)}\r?\n', text):
            score += 2
    if detect.get("path_contains"):
        score += 2
    return score


def detect_message_kind(path: Path, feed_id: str | None, kind_name: str | None) -> tuple[Feed, Kind, str] | None:
    """The feed and kind of a message file, or None when it holds no message format any feed reads."""
    fmt = sniff_message_format(_head(path))
    if fmt is None:
        return None
    best: tuple[int, Feed, Kind] | None = None
    for fid in [feed_id] if feed_id else discover():
        feed = load_feed(fid)
        for kind in feed.kinds.values():
            if kind_name and kind.name != kind_name:
                continue
            score = _score(kind, fmt, _head(path), path)
            if score is not None and (best is None or score > best[0]):
                best = (score, feed, kind)
    return None if best is None else (best[1], best[2], fmt)


def validate_message_file(
    path: Path,
    feed: Feed,
    kind: Kind,
    fmt: str,
    readings: dict[str, str],
    kind_options: dict[str, str],
    report: FileReport,
) -> None:
    from .core_checks import check_bytes, x12_findings

    if path.stat().st_size > MAX_BYTES:
        raise UnusableInput(f"{path}: {path.stat().st_size} bytes is too large for one message (limit {MAX_BYTES})")
    raw = path.read_bytes()
    report.records = 1
    if kind.spec.get("format") in ("x12", "sftp-file"):
        _x12_file(raw, feed, kind, kind_options, report, x12_findings)
        return
    _, findings = check_bytes(raw, feed, readings={**feed.default_readings(), **readings})
    report.findings.extend(findings)


def _x12_file(raw: bytes, feed: Feed, kind: Kind, kind_options: dict[str, str], report: FileReport, x12_findings):
    if raw.startswith(b"PK\x03\x04"):  # a zip archive: the document allows X12 files only (1.1.1 NOTE)
        report.findings.append(
            Finding(
                kind.spec.get("syntax_requirement", "X12"),
                Severity.ERROR,
                "a zip archive; upload one X12 file at a time",
                None,
                Location(pointer="file"),
            )
        )
        return
    payload_type = kind_options.get("payload_type")
    table = feed.spec.get("x12_payloads", {})
    if payload_type is not None and payload_type not in table:
        raise UnusableInput(
            f"payload_type {payload_type!r} is not an X12 payload type of feed {feed.id} "
            f"(one of: {', '.join(sorted(table))})"
        )
    ids = table.get(payload_type) if payload_type else None
    rid = (feed.spec.get("x12_requirements") or {}).get("payload-type")
    if ids is None and rid:
        report.skipped_checks.append(
            f"{rid} (needs the PayloadType the payload travels under: --kind-option payload_type=...)"
        )
    realtime = bool(payload_type) and payload_type in feed.spec.get("payload_types", {}).get("RealTime", {}).get(
        "request", []
    )
    report.findings.extend(x12_findings(raw, feed.spec, ids, realtime))
