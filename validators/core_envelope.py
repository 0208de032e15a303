"""CAQH CORE 2.2.0 messages: parse, build and check SOAP 1.2, MTOM/XOP and MIME form-data envelopes.

- `parse_message(raw, content_type=None) -> CoreMessage`: a whole HTTP message (start line, headers,
  body) or a body with its content type; `CoreSyntaxError(requirement, code, message)` when it is not
  a readable SOAP 1.2, MTOM or multipart/form-data CORE message.
- `build_soap`, `build_mtom`, `build_mime` -> `(body, content_type)`.
- `check_message(msg, spec, direction) -> list[Finding]`: the field rules beyond the schema, each
  finding carrying its catalogue requirement and the CORE ErrorCode a server answers with.
"""
from __future__ import annotations

import base64
import email.message
import email.parser
import email.policy
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .findings import Finding, Location, Severity
from .xmlsafe import XmlRefused, parse_xml

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
XOP = "http://www.w3.org/2004/08/xop/include"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"

# The children of each envelope element, in the schema's order (core-envelope.xsd); True = required
_REQ = ["PayloadType", "ProcessingMode", "PayloadID"]
_TAIL = ["SenderID", "ReceiverID", "CORERuleVersion"]
ORDER: dict[str, list[tuple[str, bool]]] = {
    "COREEnvelopeRealTimeRequest": [(n, True) for n in _REQ + ["TimeStamp"] + _TAIL + ["Payload"]],
    "COREEnvelopeRealTimeResponse": [(n, True) for n in _REQ + ["TimeStamp"] + _TAIL]
    + [("Payload", False), ("ErrorCode", True), ("ErrorMessage", True)],
    "COREEnvelopeBatchSubmission": [(n, True) for n in _REQ + ["PayloadLength", "TimeStamp"] + _TAIL
                                    + ["CheckSum", "Payload"]],
}
_BATCH_REQUEST = [(n, True) for n in _REQ] + [("PayloadLength", False), ("TimeStamp", True)] + [
    (n, True) for n in _TAIL] + [("CheckSum", False), ("Payload", False)]
for _name in ("COREEnvelopeBatchSubmissionAckRetrievalRequest", "COREEnvelopeBatchResultsRetrievalRequest",
              "COREEnvelopeBatchResultsAckSubmission"):
    ORDER[_name] = _BATCH_REQUEST
for _name in ("COREEnvelopeBatchSubmissionResponse", "COREEnvelopeBatchSubmissionAckRetrievalResponse",
              "COREEnvelopeBatchResultsRetrievalResponse", "COREEnvelopeBatchResultsAckSubmissionResponse"):
    ORDER[_name] = _BATCH_REQUEST + [("ErrorCode", True), ("ErrorMessage", True)]


class CoreSyntaxError(ValueError):
    """Not a readable CORE message: the HTTP layer answers 400 (or the SOAP fault the requirement says)."""

    def __init__(self, requirement: str, code: str | None, message: str):
        super().__init__(message)
        self.requirement, self.code, self.message = requirement, code, message


@dataclass
class CoreMessage:
    form: str                                    # soap | mtom | mime
    element: str                                 # the CORE envelope element (derived for MIME)
    fields: dict[str, str] = field(default_factory=dict)
    payload: bytes | None = None
    username: str | None = None
    password: str | None = None
    ws_timestamp: dict[str, str] | None = None
    http_headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    qualified: list[str] = field(default_factory=list)   # children sent namespace-qualified
    order: list[str] = field(default_factory=list)       # children as sent, in order
    cdata: bool | None = None                             # RealTime SOAP payload in a CDATA section
    must_understand: list[str] = field(default_factory=list)  # header blocks marked mustUnderstand

    @property
    def mode(self) -> str | None:
        return self.fields.get("ProcessingMode")


# --- parsing -----------------------------------------------------------------------------------
def split_http(raw: bytes) -> tuple[str | None, dict[str, str], bytes]:
    """(start line, headers, body) of a whole HTTP message; (None, {}, raw) for a bare body."""
    if not raw.startswith((b"POST ", b"HTTP/")):
        return None, {}, raw
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = head.decode("latin-1").splitlines()
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


def media_params(content_type: str) -> tuple[str, dict[str, str]]:
    """The media type and its parameters (quoted values unquoted, backslash escapes resolved)."""
    msg = email.message.EmailMessage()
    msg["Content-Type"] = content_type
    params = {k.lower(): v for k, v in msg["Content-Type"].params.items()}
    return msg.get_content_type(), params


def parse_message(raw: bytes, content_type: str | None = None, headers: dict[str, str] | None = None) -> CoreMessage:
    _, found, body = split_http(raw)
    found.update({k.lower(): v for k, v in (headers or {}).items()})
    content_type = content_type or found.get("content-type", "")
    media, params = media_params(content_type) if content_type else ("", {})
    if not content_type and body.lstrip().startswith(b"<"):
        media = "application/soap+xml"
    if media == "application/soap+xml":
        msg = _parse_soap(body)
        msg.form, msg.action = "soap", _action(params.get("action"), found)
    elif media == "multipart/related":
        msg = _parse_mtom(body, content_type, params, found)
    elif media == "multipart/form-data":
        msg = _parse_mime(body, content_type)
    else:
        raise CoreSyntaxError("WEBBBS-SOAP-1", None, f"media type {media or '(none)'} is neither SOAP 1.2, MTOM nor MIME")
    msg.http_headers = found
    return msg


def _action(param: str | None, headers: dict[str, str]) -> str | None:
    if param is not None:
        return param
    soap_action = headers.get("soapaction")
    return soap_action.strip('"') if soap_action else None


def _parse_soap(data: bytes, parts: dict[str, bytes] | None = None) -> CoreMessage:
    try:
        root = parse_xml(data)
    except XmlRefused as exc:
        requirement = "WEBBBS-SOAP-10" if "declaration" in str(exc) else "WEBBBS-SOAP-1"
        raise CoreSyntaxError(requirement, None, str(exc)) from None
    if root.tag != f"{{{SOAP12}}}Envelope":
        raise CoreSyntaxError("WEBBBS-SOAP-1", "VersionMismatch", f"root element {root.tag} is not a SOAP 1.2 Envelope")
    body = root.find(f"{{{SOAP12}}}Body")
    elements = [c for c in body if isinstance(c.tag, str)] if body is not None else []
    if len(elements) != 1:
        raise CoreSyntaxError("WEBBBS-SOAP-3", None, f"the SOAP Body holds {len(elements)} elements, not one CORE envelope")
    env = elements[0]
    msg = CoreMessage(form="soap", element=etree.QName(env).localname)
    if etree.QName(env).namespace != CORE_NS:
        raise CoreSyntaxError("WEBBBS-ENVELOPE-1", None, f"{msg.element} is not in namespace {CORE_NS}")
    for child in env:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        msg.order.append(qname.localname)
        if qname.namespace:
            msg.qualified.append(qname.localname)
        if qname.localname == "Payload":
            msg.payload = _payload(child, msg.element, parts)
            msg.cdata = _has_cdata(child)
            msg.fields["Payload"] = ""
        else:
            msg.fields[qname.localname] = child.text or ""
    header = root.find(f"{{{SOAP12}}}Header")
    if header is not None:
        _read_security(header, msg)
    return msg


def _has_cdata(element: etree._Element) -> bool:
    return b"<![CDATA[" in etree.tostring(element)


def _payload(element: etree._Element, envelope: str, parts: dict[str, bytes] | None) -> bytes:
    include = element.find(f"{{{XOP}}}Include")
    if include is not None:
        href = include.get("href", "")
        cid = href[4:] if href.startswith("cid:") else href
        if parts is None or cid not in parts:
            raise CoreSyntaxError("WEBBBS-MTOM-4", None, f"xop:Include {href} names no part of the package")
        return parts[cid]
    text = element.text or ""
    if "RealTime" in envelope:
        return text.encode("utf-8")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except ValueError:
        raise CoreSyntaxError("WEBBBS-ENVELOPE-1", "PayloadIllegal", "batch Payload is not base64") from None


def _read_security(header: etree._Element, msg: CoreMessage) -> None:
    for block in header:
        if isinstance(block.tag, str) and block.get(f"{{{SOAP12}}}mustUnderstand") in ("true", "1"):
            msg.must_understand.append(block.tag)
    security = header.find(f"{{{WSSE}}}Security")
    if security is None:
        return
    token = security.find(f"{{{WSSE}}}UsernameToken")
    if token is not None:
        msg.username = token.findtext(f"{{{WSSE}}}Username")
        password = token.find(f"{{{WSSE}}}Password")
        if password is not None and password.get("Type", PASSWORD_TEXT) == PASSWORD_TEXT:
            msg.password = password.text or ""
    stamp = security.find(f"{{{WSU}}}Timestamp")
    if stamp is not None:
        msg.ws_timestamp = {"created": stamp.findtext(f"{{{WSU}}}Created") or "",
                            "expires": stamp.findtext(f"{{{WSU}}}Expires") or ""}


def _multipart(body: bytes, content_type: str, requirement: str) -> list[Any]:
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
    if not parsed.is_multipart() or parsed.defects or not parsed.get_payload():
        raise CoreSyntaxError(requirement, None, "multipart body malformed: the boundary does not delimit its parts")
    for part in parsed.get_payload():
        if part.defects:
            raise CoreSyntaxError(requirement, None, f"multipart part malformed ({part.defects[0].__class__.__name__})")
    return parsed.get_payload()


def _part_bytes(part: Any) -> bytes:
    data = part.get_payload(decode=True)
    return data if data is not None else b""


def _parse_mtom(body: bytes, content_type: str, params: dict[str, str], headers: dict[str, str]) -> CoreMessage:
    parts = _multipart(body, content_type, "WEBBBS-MTOM-4")
    by_cid = {str(p.get("Content-ID", "")).strip().strip("<>"): p for p in parts}
    start = params.get("start", "").strip("<>")
    if start and start not in by_cid:
        raise CoreSyntaxError("WEBBBS-MTOM-4", None, f"start {start} names no part")
    root = by_cid[start] if start else parts[0]
    attachments = {cid: _part_bytes(p) for cid, p in by_cid.items() if p is not root}
    msg = _parse_soap(_part_bytes(root), attachments)
    msg.form = "mtom"
    _, root_params = media_params(str(root.get("Content-Type", "")))
    start_info = params.get("start-info", "")
    action = params.get("action") or _param(start_info, "action") or _param(root_params.get("type", ""), "action")
    msg.action = _action(action, headers)
    return msg


def _param(media: str, name: str) -> str | None:
    match = re.search(rf'{name}\s*=\s*\\?"?([^";\\]*)', media)
    return match.group(1) if match else None


def _parse_mime(body: bytes, content_type: str) -> CoreMessage:
    parts = _multipart(body, content_type, "WEBBBS-MIME-9")
    fields: dict[str, str] = {}
    payload = None
    order = []
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise CoreSyntaxError("WEBBBS-MIME-9", None, "form-data part without a name")
        order.append(name)
        data = _part_bytes(part)
        if name == "Payload":
            payload, fields[name] = data, ""
        else:
            fields[name] = data.decode("utf-8", "replace").strip("\r\n")
    username, password = fields.pop("UserName", None), fields.pop("Password", None)
    msg = CoreMessage(form="mime", element=_mime_element(fields), fields=fields, payload=payload,
                      username=username, password=password, order=order)
    return msg


def _mime_element(fields: dict[str, str]) -> str:
    """The CORE envelope a MIME message stands for, from its direction, mode and payload type (3.2)."""
    response = "ErrorCode" in fields
    mode, ptype = fields.get("ProcessingMode"), fields.get("PayloadType", "")
    if mode == "RealTime":
        return "COREEnvelopeRealTimeResponse" if response else "COREEnvelopeRealTimeRequest"
    if "Retrieval" in ptype or "Results" in ptype or ptype.startswith("X12_835_Request") or "Acks" in ptype:
        base = "COREEnvelopeBatchSubmissionAckRetrieval" if ("Ack" in ptype or "999_Ret" in ptype or "TA1" in ptype) \
            else "COREEnvelopeBatchResultsRetrieval"
        return base + ("Response" if response else "Request")
    return "COREEnvelopeBatchSubmissionResponse" if response else "COREEnvelopeBatchSubmission"


# --- building ----------------------------------------------------------------------------------
def _envelope_xml(msg: CoreMessage, *, request: bool, payload_ref: str | None, now: str | None) -> bytes:
    E = etree.Element
    env = E(f"{{{SOAP12}}}Envelope", nsmap={"s": SOAP12})
    header = etree.SubElement(env, f"{{{SOAP12}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"o": WSSE, "u": WSU})
    security.set(f"{{{SOAP12}}}mustUnderstand", "true")
    if request:
        token = etree.SubElement(security, f"{{{WSSE}}}UsernameToken")
        etree.SubElement(token, f"{{{WSSE}}}Username").text = msg.username or ""
        password = etree.SubElement(token, f"{{{WSSE}}}Password", Type=PASSWORD_TEXT)
        password.text = msg.password or ""
    elif msg.ws_timestamp:
        stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
        etree.SubElement(stamp, f"{{{WSU}}}Created").text = msg.ws_timestamp["created"]
        etree.SubElement(stamp, f"{{{WSU}}}Expires").text = msg.ws_timestamp["expires"]
    else:
        header.remove(security)
    body = etree.SubElement(env, f"{{{SOAP12}}}Body")
    core = etree.SubElement(body, f"{{{CORE_NS}}}{msg.element}", nsmap={"ns1": CORE_NS})
    for name in _ordered(msg):
        child = etree.SubElement(core, name)
        if name == "Payload":
            if payload_ref is not None:
                etree.SubElement(child, f"{{{XOP}}}Include", nsmap={"xop": XOP}, href=f"cid:{payload_ref}")
            elif "RealTime" in msg.element:
                child.text = etree.CDATA((msg.payload or b"").decode("utf-8"))
            else:
                child.text = base64.b64encode(msg.payload or b"").decode()
        else:
            child.text = msg.fields[name]
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _ordered(msg: CoreMessage) -> list[str]:
    names = [n for n, _ in ORDER.get(msg.element, [])]
    present = dict(msg.fields)
    if msg.payload is not None:
        present["Payload"] = ""
    known = [n for n in names if n in present]
    return known + [n for n in present if n not in names]


def build_soap(msg: CoreMessage, *, request: bool = False) -> tuple[bytes, str]:
    body = _envelope_xml(msg, request=request, payload_ref=None, now=None)
    media = "application/soap+xml; charset=utf-8"
    if request and msg.action:
        media += f'; action="{msg.action}"'
    return body, media


def build_mtom(msg: CoreMessage, *, request: bool = False, boundary: str | None = None) -> tuple[bytes, str]:
    boundary = boundary or f"uuid:{uuid.uuid4()}+id=1"
    ref = f"payload-{uuid.uuid4().hex}@payercert" if msg.payload is not None else None
    root = _envelope_xml(msg, request=request, payload_ref=ref, now=None)
    action = f';action=\\"{msg.action}\\"' if request and msg.action else ""
    parts = [
        f"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml{action}\"\r\n"
        f"Content-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@payercert>\r\n\r\n".encode() + root + b"\r\n"]
    if ref is not None:
        parts.append(f"--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
                     f"Content-ID: <{ref}>\r\n\r\n".encode() + (msg.payload or b"") + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    start_info = "application/soap+xml" + (f'; action=\\"{msg.action}\\"' if request and msg.action else "")
    media = (f'multipart/related; type="application/xop+xml"; start="<root.message@payercert>"; '
             f'start-info="{start_info}"; boundary="{boundary}"')
    if request and msg.action:
        media += f'; action="{msg.action}"'
    return body, media


def build_mime(msg: CoreMessage, *, boundary: str | None = None) -> tuple[bytes, str]:
    boundary = boundary or f"CORE-{uuid.uuid4().hex}"
    fields = list(msg.fields.items())
    if msg.username is not None:
        fields.insert(4, ("UserName", msg.username))
    if msg.password is not None:
        fields.insert(5, ("Password", msg.password))
    out = []
    for name, value in fields:
        if name == "Payload":
            continue
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    if msg.payload is not None:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="Payload"\r\n\r\n'.encode() + msg.payload + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- checking ----------------------------------------------------------------------------------
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")


def _finding(requirement: str, code: str | None, message: str, where: str, expected: Any = None,
             actual: Any = None) -> Finding:
    return Finding(requirement, Severity.ERROR, message, code, Location(pointer=where), expected, actual)


def request_payload_types(spec: dict, element: str, action: str | None) -> list[str]:
    """The request payload types the envelope element (and web method, when known) carries."""
    methods = spec["core"]["web_methods"]
    out = []
    for pair in spec["payload_pairs"]:
        pair_methods = pair["method"] if isinstance(pair["method"], list) else [pair["method"]]
        for m in pair_methods:
            if methods[m]["request"] == element and (action is None or m == action or not methods[action]["supported"]
                                                     if action in methods else True):
                out.append(pair["request"])
    return out


def check_message(msg: CoreMessage, spec: dict, direction: str = "request") -> list[Finding]:
    """Field rules of a request (client side) or response (server side), in the order a server applies them."""
    if direction == "request":
        return _check_request(msg, spec)
    return _check_response(msg, spec)


def _structure(msg: CoreMessage) -> list[Finding]:
    order = ORDER.get(msg.element)
    if order is None:
        return [_finding("WEBBBS-ENVELOPE-1", None, f"{msg.element} is not a CORE envelope element", msg.element)]
    where = f"/Envelope/Body/{msg.element}"
    if msg.form == "mime":
        for name, required in order:
            if required and name not in msg.fields:
                if name == "CheckSum":
                    return [_finding("WEBBBS-MIME-3", "CheckSumRequired", "no CheckSum field", "field:CheckSum")]
                if name == "CORERuleVersion":
                    return [_finding("WEBBBS-MIME-5", "CORERuleVersionRequired", "no CORERuleVersion field",
                                     "field:CORERuleVersion")]
                return [_finding("WEBBBS-MIME-2", f"{name}Required", f"no {name} field", f"field:{name}")]
        return []
    if msg.qualified:
        first = next(n for n, _ in order if True)
        return [_finding("WEBBBS-ENVELOPE-1", f"{first}Required", "children are namespace-qualified",
                         f"{where}/{msg.qualified[0]}")]
    names = [n for n, _ in order]
    position = 0
    for sent in msg.order:
        if sent not in names or names.index(sent) < position:
            return [_finding("WEBBBS-ENVELOPE-1", f"{sent}Illegal", f"{sent} out of the schema's order", f"{where}/{sent}")]
        position = names.index(sent) + 1
    for name, required in order:
        if required and name not in msg.fields:
            return [_finding("WEBBBS-ENVELOPE-1", f"{name}Required", f"{name} missing", f"{where}/{name}")]
    return []


def _check_request(msg: CoreMessage, spec: dict) -> list[Finding]:
    out = _structure(msg)
    if out:
        return out
    core = spec["core"]
    f, where = msg.fields, (lambda n: f"field:{n}" if msg.form == "mime" else f"/Envelope/Body/{msg.element}/{n}")
    realtime = "RealTime" in msg.element
    if f.get("ProcessingMode") != ("RealTime" if realtime else "Batch"):
        out.append(_finding("WEBBBS-ENVELOPE-2", "ProcessingModeIllegal", "ProcessingMode does not match the message",
                            where("ProcessingMode"), "RealTime" if realtime else "Batch", f.get("ProcessingMode")))
    allowed = request_payload_types(spec, msg.element, msg.action if msg.form != "mime" else None)
    if f.get("PayloadType") not in allowed:
        out.append(_finding("WEBBBS-REALTIME-1" if realtime else "WEBBBS-BATCH-1", "PayloadTypeIllegal",
                            "PayloadType not allowed for this message", where("PayloadType"), allowed, f.get("PayloadType")))
    if not UUID_RE.match(f.get("PayloadID", "")):
        out.append(_finding("WEBBBS-ENVELOPE-4", "PayloadIDIllegal", "PayloadID is not a UUID", where("PayloadID")))
    if not UTC_RE.match(f.get("TimeStamp", "")):
        out.append(_finding("WEBBBS-ENVELOPE-6", "TimeStampIllegal", "TimeStamp is not a UTC dateTime", where("TimeStamp")))
    if msg.username is not None and f.get("SenderID") != msg.username:
        out.append(_finding("WEBBBS-ENVELOPE-7", "SenderIDIllegal", "SenderID is not the UserName", where("SenderID"),
                            msg.username, f.get("SenderID")))
    if f.get("ReceiverID") != core["receiver_id"]:
        out.append(_finding("WEBBBS-ENVELOPE-8", "ReceiverIDIllegal", "ReceiverID is not the payer's",
                            where("ReceiverID"), core["receiver_id"], f.get("ReceiverID")))
    if f.get("CORERuleVersion") not in core["rule_versions"]:
        out.append(_finding("WEBBBS-ENVELOPE-9", "VersionMismatch", "CORERuleVersion not supported",
                            where("CORERuleVersion"), core["rule_versions"], f.get("CORERuleVersion")))
    out += _payload_checks(msg, where)
    return out


def _payload_checks(msg: CoreMessage, where) -> list[Finding]:
    out = []
    f, payload = msg.fields, msg.payload
    if payload is None:
        return out
    if "PayloadLength" in f and f["PayloadLength"].strip() != str(len(payload)):
        out.append(_finding("WEBBBS-PAYLOAD-1", "PayloadLengthIllegal", "PayloadLength is not the payload's byte count",
                            where("PayloadLength"), len(payload), f["PayloadLength"]))
    if "CheckSum" in f and f["CheckSum"].lower() != hashlib.sha1(payload).hexdigest():
        out.append(_finding("WEBBBS-PAYLOAD-2", "ChecksumMismatched", "CheckSum is not the payload's SHA-1",
                            where("CheckSum"), hashlib.sha1(payload).hexdigest(), f["CheckSum"]))
    return out


ERROR_CODES = re.compile(r"^(Success|FilesPending|[A-Za-z]+Illegal|[A-Za-z]+Required|[A-Za-z]+NotUnderstood|"
                         r"VersionMismatch|UnAuthorized|ChecksumMismatched|Sender|Receiver|PartialUpload)$")


def _check_response(msg: CoreMessage, spec: dict) -> list[Finding]:
    out = _structure(msg)
    if msg.form == "mime":
        out = [x for x in out if x.requirement != "WEBBBS-MIME-2"]
        if "ErrorMessage" not in msg.fields:
            out.append(_finding("WEBBBS-MIME-4", None, "no ErrorMessage field", "field:ErrorMessage"))
    if out:
        return out
    f, where = msg.fields, (lambda n: f"/Envelope/Body/{msg.element}/{n}")
    if f.get("SenderID") != spec["core"]["receiver_id"]:
        out.append(_finding("WEBBBS-ENVELOPE-10", None, "response SenderID is not the payer's", where("SenderID"),
                            spec["core"]["receiver_id"], f.get("SenderID")))
    if not ERROR_CODES.match(f.get("ErrorCode", "")):
        out.append(_finding("WEBBBS-ERROR-1", None, "ErrorCode not of 4.1.1", where("ErrorCode"), None, f.get("ErrorCode")))
    out += _payload_checks(msg, where)
    return out
