"""The rules of a CORE message beyond its syntax, from a feed's spec bundle.

`check_message(msg, spec, direction=None, readings=None) -> list[Finding]`, in the order a server meets
them: HTTP (Content-Length, action, size), the envelope schema (xmlschema on the feed's XSD: unqualified
children, sequence order, required children), MIME fields (mime-fields.yaml), then the values
(ProcessingMode, PayloadID RFC 4122 form, TimeStamp UTC xsd:dateTime, PayloadType for the message and
mode, SenderID = UserName, ReceiverID, CORERuleVersion, PayloadLength, CheckSum SHA-1), then the X12
inside (validators/x12.py). Each finding names the feed's requirement and, where the document
prescribes one, `code` = the CORE ErrorCode a server answers (PayloadIDIllegal, ChecksumMismatched,
VersionMismatch, <Field>Required, ...). After a structural schema finding the values are not checked,
as a server stops there. Passwords are never checked nor echoed here (validators/passwords.py checks them).

The code names no feed: each check has a name (`content-length`, `payload-id`, ...) and the feed's
spec maps the names to its requirement ids (`core.rules`, `syntax_requirements`, `x12_requirements`)
and to the readings that change a check (`core.readings`). A feed that maps no requirement to a check
does not have it checked.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .core_envelope import FIELD_ORDER, CoreMessage, CoreSyntaxError
from .findings import Finding, Location, Severity
from .x12 import check_payload, declared_guide, pyx12_guides, segment_findings

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
SHA1_HEX = re.compile(r"^[0-9a-fA-F]{40}$")
MB = {"decimal": 1_000_000, "binary": 1_048_576}


def _spec_and_root(spec: Any) -> tuple[dict, Path]:
    """A Feed, a feed id or a feed.yaml dict -> (spec dict, bundle folder)."""
    from payercert.feeds import Feed, load_feed

    if isinstance(spec, str):
        spec = load_feed(spec)
    if isinstance(spec, Feed):
        return spec.spec, spec.root
    return spec, load_feed(spec["id"]).root


@cache
def _schema(path: str):
    import xmlschema

    return xmlschema.XMLSchema10(path)


@cache
def _mime_messages(path: str) -> tuple[dict, ...]:
    with open(path, encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)["messages"].values())


def mime_messages(spec: Any) -> tuple[dict, ...]:
    data, root = _spec_and_root(spec)
    name = data.get("core", {}).get("mime_fields")
    return _mime_messages(str(root / name)) if name else ()


class _Checker:
    def __init__(self, msg: CoreMessage, spec: Any, direction: str | None, readings: dict[str, str] | None):
        self.msg = msg
        self.spec, self.root = _spec_and_root(spec)
        self.core = self.spec.get("core", {})
        defaults = {rid: r["default"] for rid, r in self.spec.get("readings", {}).items()}
        self.readings = {**defaults, **(readings or {})}
        self.direction = direction or msg.direction or "request"
        self.request = self.direction == "request"
        self.out: list[Finding] = []
        self.path = f"/Envelope/Body/{msg.element}"

    # ---- helpers
    def add(
        self,
        check: str,
        message: str,
        location: str,
        code: str | None = None,
        severity: Severity = Severity.ERROR,
        expected=None,
        actual=None,
    ):
        requirement = self.core.get("rules", {}).get(check)
        if requirement is not None:
            self.out.append(Finding(requirement, severity, message, code, Location(pointer=location), expected, actual))

    def reading(self, name: str, default: str | None = None) -> str | None:
        """The option picked for the feed's reading that a check names (`core.readings`)."""
        rid = self.core.get("readings", {}).get(name)
        return self.readings.get(rid, default) if rid else default

    def loc(self, name: str) -> str:
        if self.msg.form == "mime":
            return f"field:{self.sent_names.get(name, name)}"
        return f"{self.path}/{name}"

    # ---- the layers
    def run(self) -> list[Finding]:
        self.http()
        if self.msg.form == "mime":
            self.sent_names: dict[str, str] = {}
            values = self.mime_fields()
        else:
            self.sent_names = {}
            if not self.schema():
                return self.out
            values = dict(self.msg.fields)
            self.wss()
        self.values(values)
        return self.out

    def http(self):
        msg, headers = self.msg, {k.lower(): v for k, v in self.msg.http_headers.items()}
        if "content-length" in headers and msg.body_length is not None:
            declared = headers["content-length"].strip()
            if declared != str(msg.body_length):
                self.add(
                    "content-length",
                    f"Content-Length {declared} but the body has {msg.body_length} bytes",
                    "header:Content-Length",
                    expected=msg.body_length,
                    actual=declared,
                )
        methods = self.core.get("web_methods", {})
        if self.request and msg.form in ("soap", "mtom") and msg.content_type is not None:
            if msg.action not in methods:
                self.add(
                    "soap-action",
                    (
                        f"the action {msg.action!r} names no web method of the WSDL"
                        if msg.action
                        else "no action (Content-Type action=, or SOAPAction) names the web method"
                    ),
                    "header:Content-Type",
                    actual=msg.action,
                )
            elif not methods[msg.action]["supported"]:
                self.add(
                    "method-supported", f"{msg.action} is not supported by this payer", "header:Content-Type", "Sender"
                )
            elif msg.element and methods[msg.action]["request"] != msg.element:
                self.add(
                    "method-element",
                    f"{msg.action} carries {methods[msg.action]['request']}, not {msg.element}",
                    "/Envelope/Body",
                    expected=methods[msg.action]["request"],
                    actual=msg.element,
                )
        if self.request and msg.message_length is not None and "size_limits" in self.core:
            limits = self.core["size_limits"]
            unit = MB.get(self.readings.get(limits.get("reading", ""), "decimal"), MB["decimal"])
            realtime = msg.realtime
            limit = unit * limits["realtime_megabytes" if realtime else "batch_megabytes"]
            if msg.message_length > limit:
                self.add(
                    "size-realtime" if realtime else "size-batch",
                    f"the message is {msg.message_length} bytes, over the {limit}-byte limit",
                    "message",
                    expected=limit,
                    actual=msg.message_length,
                )

    def schema(self) -> bool:
        """The envelope's structure: False when it fails (the values are then not checked)."""
        msg = self.msg
        xsd = self._xsd()
        decl = xsd.elements[msg.element]
        order = [e.local_name for e in decl.type.content.iter_elements()]
        required = [e.local_name for e in decl.type.content.iter_elements() if e.min_occurs]
        plain = self._unqualified()
        if msg.qualified:
            missing = next((r for r in required if r not in plain), None)
            self.add(
                "envelope-schema",
                f"{msg.qualified[0]} is namespace-qualified; the CORE schema's children are unqualified",
                f"{self.path}/{msg.qualified[0]}",
                f"{missing}Required" if missing else None,
            )
            return False
        i = 0  # walk the sequence as a schema validator does: the first child that cannot come next is the finding
        for child in plain:
            while i < len(order) and order[i] != child and order[i] not in required:
                i += 1
            if i < len(order) and order[i] != child and order[i] not in plain:  # a required child is absent
                missing = [r for r in required if r not in plain]
                for r in missing:
                    self.add(
                        "envelope-schema", f"the required element {r} is missing", f"{self.path}/{r}", f"{r}Required"
                    )
                return False
            if i == len(order) or order[i] != child:
                expected = order[i] if i < len(order) else "no more children"
                self.add(
                    "envelope-schema",
                    f"{child} is not expected here (schema order: {', '.join(order)})",
                    f"{self.path}/{child}",
                    None,
                    expected=expected,
                    actual=child,
                )
                return False
            i += 1
        missing = [r for r in required if r not in plain]
        for r in missing:
            self.add("envelope-schema", f"the required element {r} is missing", f"{self.path}/{r}", f"{r}Required")
        if missing:
            return False
        for error in xsd.iter_errors(msg.core_xml):  # simple types: ProcessingMode pattern, PayloadLength int, base64
            name = _error_child(error)
            if name == "ProcessingMode":
                continue  # reported with its code by the value rules
            if name == "PayloadLength":
                self.add(
                    "payload-length",
                    f"PayloadLength is not an xs:int: {error.reason}",
                    self.loc(name),
                    "PayloadLengthIllegal",
                )
            else:
                self.add(
                    "envelope-schema",
                    f"schema: {error.reason}",
                    self.loc(name) if name else self.path,
                    f"{name}Illegal" if name else None,
                )
        return True

    def _unqualified(self) -> list[str]:
        qualified = list(self.msg.qualified)
        out = []
        for c in self.msg.children:  # children holds every local name; drop the qualified ones in order
            if c in qualified:
                qualified.remove(c)
            else:
                out.append(c)
        return out

    def _xsd(self):
        return _schema(str(self.root / self.core.get("schema", "core-envelope.xsd")))

    def wss(self):
        msg = self.msg
        if not self.request:
            return
        if msg.username is None:
            self.add(
                "wss-token",
                "the request carries no wsse:Security UsernameToken",
                "/Envelope/Header/Security/UsernameToken",
                "UnAuthorized",
            )
        elif msg.password_type not in ("", None) and not msg.password_type.endswith("#PasswordText"):
            self.add(
                "wss-password-type",
                "the UsernameToken password is not PasswordText",
                "/Envelope/Header/Security/UsernameToken/Password",
                "UnAuthorized",
                actual=msg.password_type,
            )

    def mime_fields(self) -> dict[str, str]:
        msg = self.msg
        values = dict(msg.fields)
        sent = set(msg.mime_fields)
        checksum_reading = self.reading("checksum-name", "xsd")
        error_reading = self.reading("error-field", "error-message")
        if checksum_reading == "either":  # field names case-insensitive
            canonical = {n.lower(): n for n in FIELD_ORDER if n != "Payload"}
            for name in list(values):
                real = canonical.get(name.lower())
                if real and real != name and real not in values:
                    values[real] = values.pop(name)
                    self.sent_names[real] = name
                    sent.add(real)
        if checksum_reading in ("document", "either") and "Checksum" in values and "CheckSum" not in values:
            values["CheckSum"] = values["Checksum"]
            self.sent_names["CheckSum"] = "Checksum"
            sent.add("CheckSum")
        if error_reading == "error-description" and "ErrorDescription" in values and "ErrorMessage" not in values:
            values["ErrorMessage"] = values["ErrorDescription"]
            self.sent_names["ErrorMessage"] = "ErrorDescription"
            sent.add("ErrorMessage")
        candidates = [m for m in mime_messages(self.spec) if m["direction"] == self.direction]
        message = next(
            (
                m
                for m in candidates
                if m["processing_mode"] == values.get("ProcessingMode")
                and values.get("PayloadType") in m["payload_types"]
            ),
            None,
        )
        for f in message["fields"] if message else _common_fields(candidates, values.get("ProcessingMode")):
            name = f["name"]
            if f["use"] != "required" or name in sent:
                continue
            if name == "CheckSum" and "Checksum" in sent:
                self.add(
                    "mime-checksum-name",
                    "the checksum is sent as Checksum; the field is CheckSum",
                    "field:Checksum",
                    "CheckSumRequired",
                )
            elif name == "ErrorMessage" and "ErrorDescription" in sent:
                self.add(
                    "mime-error-field",
                    "the error text is sent as ErrorDescription; the field is ErrorMessage",
                    "field:ErrorDescription",
                )
            elif self.request:
                self.add(
                    "mime-request-field", f"the required field {name} is missing", f"field:{name}", f"{name}Required"
                )
            elif (near := _near_miss(name, sent)) is not None:  # CORERulesVersion for CORERuleVersion
                self.add("mime-field-name", f"the field {name} is sent as {near}", f"field:{near}")
            else:
                self.add("mime-response-field", f"the response field {name} is missing", f"field:{name}")
        if msg.payload is not None and msg.payload.lstrip().startswith(b"<![CDATA["):
            self.add("mime-cdata", "the MIME Payload is CDATA-wrapped; it is sent as plain text", "field:Payload")
        return values

    def values(self, values: dict[str, str]):
        msg, core = self.msg, self.core
        mode = None if msg.form == "mime" else ("RealTime" if msg.realtime else "Batch")
        modes = core.get("processing_modes", ["RealTime", "Batch"])
        pm = values.get("ProcessingMode")
        if pm is not None and (pm != mode if mode else pm not in modes):
            self.add(
                "processing-mode",
                f"ProcessingMode {pm!r} is not {mode or ' or '.join(modes)}",
                self.loc("ProcessingMode"),
                "ProcessingModeIllegal",
                expected=mode,
                actual=pm,
            )
        if "PayloadID" in values and not UUID.match(values["PayloadID"]):
            self.add(
                "payload-id",
                f"PayloadID {values['PayloadID']!r} is not a UUID (8-4-4-4-12 hex)",
                self.loc("PayloadID"),
                "PayloadIDIllegal",
                actual=values["PayloadID"],
            )
        if "TimeStamp" in values and not UTC_DATETIME.match(values["TimeStamp"]):
            self.add(
                "timestamp",
                f"TimeStamp {values['TimeStamp']!r} is not a UTC xsd:dateTime (YYYY-MM-DDThh:mm:ss[.f]Z)",
                self.loc("TimeStamp"),
                "TimeStampIllegal",
                actual=values["TimeStamp"],
            )
        receiver = core.get("receiver_id")
        if self.request:
            self.request_values(values)
        elif "SenderID" in values and values["SenderID"] != receiver:
            self.add(
                "response-sender",
                f"a response's SenderID is {receiver}",
                self.loc("SenderID"),
                expected=receiver,
                actual=values["SenderID"],
            )
        versions = core.get("rule_versions", ["2.2.0"])
        if "CORERuleVersion" in values and values["CORERuleVersion"] not in versions:
            self.add(
                "rule-version",
                f"CORERuleVersion {values['CORERuleVersion']!r} is not {', '.join(versions)}",
                self.loc("CORERuleVersion"),
                "VersionMismatch",
                expected=versions[0],
                actual=values["CORERuleVersion"],
            )
        if not self.request:
            self.error_code(values)
        if msg.form == "mtom" and msg.payload_unresolved:
            self.add(
                "mtom-include", f"xop:Include {msg.payload_include} names no part of the package", self.loc("Payload")
            )
        elif msg.payload_unresolved:  # one part of an MTOM package, captured alone: its payload is elsewhere
            self.add(
                "mtom-include",
                f"the payload is xop:Include {msg.payload_include}, a part this file does not hold: not checked",
                self.loc("Payload"),
                severity=Severity.WARNING,
            )
        if msg.realtime and msg.payload_encoding == "text" and msg.payload and msg.payload_cdata is False:
            self.add("realtime-cdata", "the RealTime Payload is not wrapped in a CDATA section", self.loc("Payload"))
        if msg.form == "mtom" and msg.realtime:
            self.add(
                "realtime-mtom",
                "a RealTime message is MTOM-packaged; it is sent as application/soap+xml",
                "header:Content-Type",
            )
        if msg.form == "soap" and not msg.realtime and self.request and msg.payload:
            must = self.reading("mtom-required", "must") == "must"
            self.add(
                "batch-inline",
                "a batch payload is sent in-line; it travels as an MTOM attachment",
                self.loc("Payload"),
                severity=Severity.ERROR if must else Severity.WARNING,
            )
        if msg.payload:
            self.payload(values, msg.payload)

    def request_values(self, values: dict[str, str]):
        msg, core = self.msg, self.core
        pt = self.spec.get("payload_types", {})
        every = (
            set(pt.get("RealTime", {}).get("request", []))
            | set(pt.get("Batch", {}).get("upload_request", []))
            | set(pt.get("Batch", {}).get("download_request", []))
        )
        payload_type = values.get("PayloadType")
        if payload_type is not None and payload_type not in every:
            self.add(
                "payload-type",
                f"PayloadType {payload_type!r} is not one of the payer's request payload types",
                self.loc("PayloadType"),
                "PayloadTypeIllegal",
                actual=payload_type,
            )
        elif payload_type is not None and values.get("ProcessingMode") in ("RealTime", "Batch"):
            allowed = {
                p["request"]
                for p in self.spec.get("payload_pairs", [])
                if p["mode"] == values["ProcessingMode"] and self._carries(p)
            }
            if allowed and payload_type not in allowed:
                rt = values["ProcessingMode"] == "RealTime"
                self.add(
                    "realtime-payload-type" if rt else "batch-payload-type",
                    f"PayloadType {payload_type} is not allowed in {values['ProcessingMode']} {msg.element or ''}".strip(),
                    self.loc("PayloadType"),
                    "PayloadTypeIllegal",
                    actual=payload_type,
                )
        username = msg.username
        if username is not None and values.get("SenderID") != username:
            self.add(
                "sender-username",
                "SenderID is not the UserName",
                self.loc("SenderID"),
                "SenderIDIllegal",
                actual=values.get("SenderID"),
            )
        receiver = core.get("receiver_id")
        if "ReceiverID" in values and values["ReceiverID"] != receiver:
            self.add(
                "receiver-id",
                f"ReceiverID {values['ReceiverID']!r} is not {receiver}",
                self.loc("ReceiverID"),
                "ReceiverIDIllegal",
                expected=receiver,
                actual=values["ReceiverID"],
            )

    def _carries(self, pair: dict) -> bool:
        """The pair is carried by this message's element (for SOAP the web method's, for MIME the inferred one)."""
        methods = self.core.get("web_methods", {})
        names = pair["method"] if isinstance(pair["method"], list) else [pair["method"]]
        elements = {methods[m]["request"] for m in names if m in methods}
        return not self.msg.element or self.msg.element in elements

    def error_code(self, values: dict[str, str]):
        code = values.get("ErrorCode")
        if code is None:
            return
        patterns = [
            re.compile(e.get("pattern", "^" + re.escape(e["code"]) + "$")) for e in self.spec.get("error_codes", [])
        ]
        if self.reading("unauthorized-spelling") == "either-case":
            patterns.append(re.compile("^Unauthorized$"))
        if patterns and not any(p.match(code) for p in patterns) and code != "PartialUpload":
            self.add(
                "error-code",
                f"ErrorCode {code!r} is not one of the payer's error codes",
                self.loc("ErrorCode"),
                actual=code,
            )

    def payload(self, values: dict[str, str], payload: bytes):
        length = values.get("PayloadLength")
        if length not in (None, "") and length != str(len(payload)):
            self.add(
                "payload-length",
                f"PayloadLength {length} but the payload has {len(payload)} bytes",
                self.loc("PayloadLength"),
                "PayloadLengthIllegal",
                expected=len(payload),
                actual=length,
            )
        checksum = values.get("CheckSum")
        if checksum:
            digest = hashlib.sha1(payload).hexdigest()
            sent = checksum if self.reading("checksum-case") == "lowercase" else checksum.lower()
            if sent != digest:
                self.add(
                    "checksum",
                    "CheckSum is not the SHA-1 of the payload bytes",
                    self.loc("CheckSum"),
                    "ChecksumMismatched",
                    expected=digest,
                    actual=checksum,
                )
        ids = self.spec.get("x12_payloads", {}).get(values.get("PayloadType", ""))
        if ids is not None:
            self.out.extend(x12_findings(payload, self.spec, ids, values.get("ProcessingMode") == "RealTime"))


def x12_findings(
    payload: bytes, spec: dict, ids: dict | None, realtime: bool, segment_level: bool = True, all_errors: bool = False
) -> list[Finding]:
    """The X12 envelope findings of a payload (and pyx12's, where it has the guide's map). A segment
    finding that leaves the segments after it unplaceable carries them as a count (all_errors: they
    follow it, each saying what it is the consequence of)."""
    table = spec.get("x12_requirements", {})
    out = [
        Finding(table.get(p.problem, p.problem), Severity(p.severity), p.message, None, Location(pointer=p.location))
        for p in check_payload(payload, ids, realtime)
    ]
    # The guide: the PayloadType's, else the one each group's GS08 names (a file read on its own)
    guide = (ids or {}).get("gs08") or declared_guide(payload)
    sound = not any(f.severity is Severity.ERROR for f in out)
    if segment_level and guide in pyx12_guides() and sound:  # the guide's map only makes sense on sound envelopes
        requirement = table.get("segment", "segment")
        for p in segment_findings(payload, guide):
            more = f" (+{len(p.consequents)} consequent findings: the segments after it could not be placed; --all-errors lists them)"
            out.append(
                Finding(
                    requirement,
                    Severity.ERROR,
                    p.message + (more if p.consequents else ""),
                    None,
                    Location(pointer=p.location),
                )
            )
            out += [
                Finding(
                    requirement,
                    Severity.ERROR,
                    f"consequence of {p.location}: {c.message}",
                    None,
                    Location(pointer=c.location),
                )
                for c in p.consequents
                if all_errors
            ]
    return out


def _common_fields(messages: list[dict], mode: str | None) -> list[dict]:
    """Without a known PayloadType the message cannot be told: the fields every message of the mode
    (or of any mode) requires, so that a missing PayloadType is still <Field>Required."""
    same_mode = [m for m in messages if m["processing_mode"] == mode] or messages
    if not same_mode:
        return []
    required = set.intersection(*({f["name"] for f in m["fields"] if f["use"] == "required"} for m in same_mode))
    return [f for f in same_mode[0]["fields"] if f["name"] in required]


def _error_child(error) -> str | None:
    elem = getattr(error, "elem", None)
    if elem is not None and isinstance(elem.tag, str):
        name = elem.tag.rsplit("}", 1)[-1]
        return None if name.startswith("COREEnvelope") else name
    return None


def syntax_finding(error: CoreSyntaxError, spec: Any) -> Finding:
    """A CoreSyntaxError as a finding naming the feed's requirement."""
    data, _ = _spec_and_root(spec)
    error.for_feed(data)
    # no ErrorCode: a server answers these with an HTTP status or a SOAP fault, not an envelope (4.1)
    return Finding(error.requirement, Severity.ERROR, error.message, None, Location(pointer=error.location))


def check_bytes(
    raw: bytes,
    spec: Any,
    content_type: str | None = None,
    readings: dict[str, str] | None = None,
    direction: str | None = None,
) -> tuple[CoreMessage | None, list[Finding]]:
    """Parse and check one message; a syntax error is a finding, after the HTTP layer's own findings."""
    from .core_envelope import parse_message

    try:  # tolerant: what real systems send (SOAP 1.1, a wrapper) is reported, and the envelope checked
        msg = parse_message(raw, content_type, mime_messages=mime_messages(spec), tolerant=True)
    except CoreSyntaxError as err:
        out = []
        if err.partial is not None:
            checker = _Checker(err.partial, spec, direction, readings)
            checker.http()
            out = checker.out
        return None, out + [syntax_finding(err, spec)]
    read_past = [syntax_finding(deviation, spec) for deviation in msg.deviations]
    return msg, read_past + check_message(msg, spec, direction, readings)


def check_message(
    msg: CoreMessage, spec: Any, direction: str | None = None, readings: dict[str, str] | None = None
) -> list[Finding]:
    """Every rule of the feed over one parsed message (see the module docstring)."""
    return _Checker(msg, spec, direction, readings).run()


def _near_miss(name: str, sent: set[str]) -> str | None:
    """A sent field name that is `name` misspelt: equal but for case, or one letter added, dropped or
    changed (a different field is never that close: the names of mime-fields.yaml differ by more)."""
    wanted = name.lower()
    for other in sorted(sent):
        low = other.lower()
        if other != name and (low == wanted or _one_edit(low, wanted)):
            return other
    return None


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
