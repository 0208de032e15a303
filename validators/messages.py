"""Files holding one message: whole HTTP messages or bare bodies of SOAP, MTOM, MIME form-data, or X12.

Kinds read here name one `format:` in feed.yaml (`soap | mtom | mime | x12 | sftp-file`); which kind a
file is comes from validators/recognise.py. The file is read whole (a CORE message is at most a few megabytes;
`MAX_BYTES` bounds it) and checked by `core_checks` (envelopes) or `x12` (payloads). Hostile or broken
input becomes a finding (XML with a DTD, a broken MIME package) or a one-line unusable-input error.
"""

from __future__ import annotations

from pathlib import Path

from payercert.feeds import Feed, Kind

from .findings import FileReport, Finding, Location, Severity, UnusableInput

MESSAGE_FORMATS = ("soap", "mtom", "mime", "x12", "sftp-file")
MAX_BYTES = 64 * 1024 * 1024


def validate_message_file(
    path: Path,
    feed: Feed,
    kind: Kind,
    fmt: str,
    readings: dict[str, str],
    kind_options: dict[str, str],
    report: FileReport,
    all_errors: bool = False,
) -> None:
    from .core_checks import check_bytes

    if path.stat().st_size > MAX_BYTES:
        raise UnusableInput(f"{path}: {path.stat().st_size} bytes is too large for one message (limit {MAX_BYTES})")
    raw = path.read_bytes()
    report.records = 1
    if kind.spec.get("format") in ("x12", "sftp-file"):
        _x12_file(raw, feed, kind, kind_options, report, all_errors)
        return
    _, findings = check_bytes(raw, feed, readings={**feed.default_readings(), **readings})
    report.findings.extend(findings)


def _x12_file(raw: bytes, feed: Feed, kind: Kind, kind_options: dict[str, str], report: FileReport, all_errors: bool):
    from .core_checks import x12_findings

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
    report.findings.extend(x12_findings(raw, feed.spec, ids, realtime, all_errors=all_errors))
