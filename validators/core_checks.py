"""CORE envelope field rules beyond the schema, each finding naming its catalogue requirement and the
CORE ErrorCode a server answers with (feed.yaml `core`, `payload_pairs`; mime-fields.yaml).

`check_message(msg, spec, direction=None, readings=None) -> list[Finding]`, in the order a server
applies them: structure (ENVELOPE-1, MIME-2/3/5), ProcessingMode, PayloadType, PayloadID, TimeStamp,
SenderID, ReceiverID, version, PayloadLength, CheckSum; responses: SenderID, ErrorCode, ErrorMessage.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from .findings import Finding, Location, Severity

REALTIME = ("PayloadType", "ProcessingMode", "PayloadID", "TimeStamp", "SenderID", "ReceiverID", "CORERuleVersion",
            "Payload", "ErrorCode", "ErrorMessage")
BATCH = ("PayloadType", "ProcessingMode", "PayloadID", "PayloadLength", "TimeStamp", "SenderID", "ReceiverID",
         "CORERuleVersion", "CheckSum", "Payload", "ErrorCode", "ErrorMessage")
ALWAYS = {"PayloadType", "ProcessingMode", "PayloadID", "TimeStamp", "SenderID", "ReceiverID", "CORERuleVersion"}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
ERROR_CODES = re.compile(r"^(Success|FilesPending|[A-Za-z]+Illegal|[A-Za-z]+Required|[A-Za-z]+NotUnderstood|"
                         r"VersionMismatch|UnAuthorized|ChecksumMismatched|Sender|Receiver|PartialUpload)$")


def _spec(spec: Any) -> dict:
    return getattr(spec, "spec", spec)


def required(element: str) -> list[str]:
    """Required children of `element` in schema order (core-envelope.xsd)."""
    realtime = element.startswith("COREEnvelopeRealTime")
    response = element.endswith("Response")
    names = REALTIME if realtime else BATCH
    need = set(ALWAYS) | ({"ErrorCode", "ErrorMessage"} if response else set())
    if element == "COREEnvelopeRealTimeRequest":
        need.add("Payload")
    if element == "COREEnvelopeBatchSubmission":
        need |= {"PayloadLength", "CheckSum", "Payload"}
    return [n for n in names if n in need and (response or n not in ("ErrorCode", "ErrorMessage"))]


def _finding(requirement: str, code: str | None, message: str, where: str, expected: Any = None,
             actual: Any = None) -> Finding:
    return Finding(requirement, Severity.ERROR, message, code, Location(pointer=where), expected, actual)


def request_payload_types(spec: dict, element: str, action: str | None) -> list[str]:
    """Request payload types the envelope element (and the web method, when known) carries (payload_pairs)."""
    methods = spec["core"]["web_methods"]
    out = []
    for pair in spec["payload_pairs"]:
        names = pair["method"] if isinstance(pair["method"], list) else [pair["method"]]
        for name in names:
            m = methods[name]
            if m["request"] == element and (action not in methods or not methods[action]["supported"] or name == action):
                out.append(pair["request"])
    return out


def check_message(msg, spec: Any, direction: str | None = None, readings: dict[str, str] | None = None) -> list[Finding]:
    spec = _spec(spec)
    direction = direction or msg.direction or "request"
    out = _structure(msg, direction)
    if out:
        return out
    where = (lambda n: f"field:{n}") if msg.form == "mime" else (lambda n: f"/Envelope/Body/{msg.element}/{n}")
    return (_request(msg, spec, where) if direction == "request" else _response(msg, spec, where)) + _payload(msg, where)


def _structure(msg, direction: str) -> list[Finding]:
    element = msg.element or ""
    if msg.form == "mime":
        missing = [n for n in required(element) if n != "Payload" and n not in msg.fields]
        if direction == "request" and msg.username is None:
            missing.insert(0, "UserName")
        if direction == "request" and msg.password is None:
            missing.insert(0, "Password")
        if "Payload" in required(element) and msg.payload is None:
            missing.append("Payload")
        if direction == "response" and "ErrorMessage" in missing:
            return [_finding("WEBBBS-MIME-4", None, "no ErrorMessage field", "field:ErrorMessage")]
        if not missing:
            return []
        name = missing[0]
        if name == "CheckSum":
            return [_finding("WEBBBS-MIME-3", "CheckSumRequired", "no CheckSum field", "field:CheckSum")]
        if name == "CORERuleVersion":
            return [_finding("WEBBBS-MIME-5", "CORERuleVersionRequired", "no CORERuleVersion field", "field:CORERuleVersion")]
        requirement = "WEBBBS-MIME-2" if direction == "request" else "WEBBBS-MIME-8"
        return [_finding(requirement, f"{name}Required", f"no {name} field", f"field:{name}")]
    base = f"/Envelope/Body/{element}"
    if msg.qualified:
        first = required(element)[0]
        return [_finding("WEBBBS-ENVELOPE-1", f"{first}Required", "CORE children are namespace-qualified",
                         f"{base}/{msg.qualified[0]}")]
    order = REALTIME if element.startswith("COREEnvelopeRealTime") else BATCH
    position = 0
    for sent in msg.children:
        if sent not in order or order.index(sent) < position:
            return [_finding("WEBBBS-ENVELOPE-1", f"{sent}NotUnderstood" if sent not in order else f"{sent}Illegal",
                             f"{sent} is not where the schema's sequence allows", f"{base}/{sent}")]
        position = order.index(sent) + 1
    for name in required(element):
        if name not in msg.children:
            return [_finding("WEBBBS-ENVELOPE-1", f"{name}Required", f"{name} missing", f"{base}/{name}")]
    mode = msg.fields.get("ProcessingMode")
    if mode not in ("RealTime", "Batch"):
        return [_finding("WEBBBS-ENVELOPE-2", "ProcessingModeIllegal", f"ProcessingMode {mode!r} is neither RealTime nor Batch",
                         f"{base}/ProcessingMode")]
    return []


def _request(msg, spec: dict, where) -> list[Finding]:
    out: list[Finding] = []
    f, core = msg.fields, spec["core"]
    realtime = (msg.element or "").startswith("COREEnvelopeRealTime")
    if f.get("ProcessingMode") != ("RealTime" if realtime else "Batch"):
        out.append(_finding("WEBBBS-ENVELOPE-2", "ProcessingModeIllegal", "ProcessingMode does not match the message",
                            where("ProcessingMode"), "RealTime" if realtime else "Batch", f.get("ProcessingMode")))
    allowed = request_payload_types(spec, msg.element or "", msg.action if msg.form != "mime" else None)
    if f.get("PayloadType") not in allowed:
        out.append(_finding("WEBBBS-REALTIME-1" if realtime else "WEBBBS-BATCH-1", "PayloadTypeIllegal",
                            "PayloadType not allowed for this message", where("PayloadType"), allowed, f.get("PayloadType")))
    if not UUID_RE.match(f.get("PayloadID", "")):
        out.append(_finding("WEBBBS-ENVELOPE-4", "PayloadIDIllegal", "PayloadID is not a UUID", where("PayloadID"),
                            None, f.get("PayloadID")))
    if not UTC_RE.match(f.get("TimeStamp", "")):
        out.append(_finding("WEBBBS-ENVELOPE-6", "TimeStampIllegal", "TimeStamp is not a UTC xsd:dateTime",
                            where("TimeStamp"), None, f.get("TimeStamp")))
    if msg.username is not None and f.get("SenderID") != msg.username:
        out.append(_finding("WEBBBS-ENVELOPE-7", "SenderIDIllegal", "SenderID is not the UserName", where("SenderID"),
                            msg.username, f.get("SenderID")))
    if f.get("ReceiverID") != core["receiver_id"]:
        out.append(_finding("WEBBBS-ENVELOPE-8", "ReceiverIDIllegal", f"ReceiverID is not {core['receiver_id']}",
                            where("ReceiverID"), core["receiver_id"], f.get("ReceiverID")))
    if f.get("CORERuleVersion") not in core["rule_versions"]:
        out.append(_finding("WEBBBS-ENVELOPE-9", "VersionMismatch", "CORERuleVersion is not supported",
                            where("CORERuleVersion"), core["rule_versions"], f.get("CORERuleVersion")))
    return out


def _response(msg, spec: dict, where) -> list[Finding]:
    out: list[Finding] = []
    f = msg.fields
    if f.get("SenderID") != spec["core"]["receiver_id"]:
        out.append(_finding("WEBBBS-ENVELOPE-10", None, "a response's SenderID is the payer's", where("SenderID"),
                            spec["core"]["receiver_id"], f.get("SenderID")))
    if not ERROR_CODES.match(f.get("ErrorCode", "")):
        out.append(_finding("WEBBBS-ERROR-1", None, "ErrorCode is none of 4.1.1", where("ErrorCode"), None, f.get("ErrorCode")))
    return out


def _payload(msg, where) -> list[Finding]:
    out: list[Finding] = []
    f, payload = msg.fields, msg.payload
    if payload is None:
        return out
    if "PayloadLength" in f and f["PayloadLength"].strip() != str(len(payload)):
        out.append(_finding("WEBBBS-PAYLOAD-1", "PayloadLengthIllegal", "PayloadLength is not the payload's byte count",
                            where("PayloadLength"), len(payload), f["PayloadLength"]))
    digest = hashlib.sha1(payload).hexdigest()
    if "CheckSum" in f and f["CheckSum"].lower() != digest:
        out.append(_finding("WEBBBS-PAYLOAD-2", "ChecksumMismatched", "CheckSum is not the SHA-1 of the payload",
                            where("CheckSum"), digest, f["CheckSum"]))
    return out
