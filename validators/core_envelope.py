"""CAQH CORE Phase II connectivity (CORE rule 2.2.0) messages: parse and build, in their three forms.

Forms (`CoreMessage.form`):
- `soap`: a SOAP 1.2 envelope (`application/soap+xml`), the CORE element in the Body, a WS-Security
  UsernameToken (PasswordText) and optional wsu:Timestamp in the Header; a RealTime Payload in-line
  as CDATA (or escaped text), a batch Payload as base64 text.
- `mtom`: the same envelope packaged as MTOM/XOP (`multipart/related; type="application/xop+xml"`),
  the batch Payload an `xop:Include` resolved to the octets of the part it names.
- `mime`: HTTP MIME `multipart/form-data`, one part per field, UserName/Password as fields, the
  Payload in-line; the CORE element is inferred from direction, ProcessingMode and PayloadType.

API:
- `parse_message(raw, content_type=None, *, mime_messages=None) -> CoreMessage`: `raw` is a whole
  HTTP message (start line, headers, body) or a body whose Content-Type is given (a bare SOAP
  envelope needs none). Malformed XML/SOAP/MTOM/MIME raises `CoreSyntaxError(requirement, code,
  message, location)`, where `requirement` is a generic problem key (`SYNTAX_PROBLEMS`) that a feed
  maps to its catalogue (`core.syntax_requirements` in feed.yaml; `CoreSyntaxError.for_feed`).
- `build_soap(msg)`, `build_mtom(msg)`, `build_mime(msg)` -> `(body: bytes, content_type: str)`.
  Fields are written in the order of `msg.fields` (`ordered_fields` gives the schema order), so a
  deliberately wrong message can be built too. Requests get the WS-Security header (SOAP/MTOM) or
  the UserName/Password fields (MIME) when `msg.username` is set.
- `as_http(start_line, body, content_type, headers=None) -> bytes`: a whole HTTP message.
- The schema and the field rules over a message live in `core_checks.check_message`, each finding
  with its CORE ErrorCode.

The password is held only in memory (`CoreMessage.password`, excluded from repr) and is never part
of an error message. Sources: docs/sources/caqh-core.md sections 1-3, 7.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import email.utils
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .httpmsg import HttpMessage, content_type_params, looks_like_http, parse_entity, parse_http
from .xmlsafe import XMLForbidden, XMLProblem, parse_xml

SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"

# The XSD's sequence (CORERule2.2.0.xsd, docs/sources/caqh-core.md 1): RealTime envelopes have no PayloadLength/CheckSum.
FIELD_ORDER = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "PayloadLength",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "CheckSum",
    "Payload",
    "ErrorCode",
    "ErrorMessage",
)
REALTIME_ORDER = tuple(f for f in FIELD_ORDER if f not in ("PayloadLength", "CheckSum"))
ELEMENTS = (
    "COREEnvelopeRealTimeRequest",
    "COREEnvelopeRealTimeResponse",
    "COREEnvelopeBatchSubmission",
    "COREEnvelopeBatchSubmissionResponse",
    "COREEnvelopeBatchSubmissionAckRetrievalRequest",
    "COREEnvelopeBatchSubmissionAckRetrievalResponse",
    "COREEnvelopeBatchResultsRetrievalRequest",
    "COREEnvelopeBatchResultsRetrievalResponse",
    "COREEnvelopeBatchResultsAckSubmission",
    "COREEnvelopeBatchResultsAckSubmissionResponse",
)
MIME_SECRET_FIELDS = ("UserName", "Password")

# Generic syntax problems; a feed maps each to its requirement (feed.yaml core.syntax_requirements).
SYNTAX_PROBLEMS = {
    "http": "the HTTP message itself is malformed",
    "media-type": "the Content-Type is none of SOAP 1.2, MTOM or MIME form-data",
    "xml-forbidden": "the XML declares a DTD or entities",
    "soap": "not a well-formed SOAP 1.2 envelope",
    "soap-body": "the SOAP Body does not hold exactly one CORE envelope element",
    "mtom": "the MTOM/XOP package is malformed",
    "mime": "the multipart/form-data body is malformed",
}


class CoreSyntaxError(ValueError):
    """A message that cannot be read as a CORE message. One-line `message`; `requirement` is a key of
    SYNTAX_PROBLEMS until `for_feed` maps it; `code` the CORE ErrorCode a server answers, if any."""

    def __init__(
        self,
        requirement: str,
        code: str | None,
        message: str,
        location: str | None = None,
        http_status: int = 400,
        direction: str | None = None,
    ):
        super().__init__(message)
        self.requirement, self.code, self.message, self.location = requirement, code, message, location
        self.problem = requirement
        self.http_status = http_status
        self.direction = direction
        self.partial: CoreMessage | None = None  # the HTTP layer of the message, when it could be read

    def for_feed(self, spec: dict) -> CoreSyntaxError:
        """The same error naming the feed's requirement for this problem."""
        table = (spec.get("core") or {}).get("syntax_requirements") or {}
        key = f"{self.problem}-{self.direction}" if f"{self.problem}-{self.direction}" in table else self.problem
        self.requirement = table.get(key, self.requirement)
        return self


@dataclass
class CoreMessage:
    form: str  # soap | mtom | mime
    element: str | None = None  # e.g. COREEnvelopeRealTimeRequest (inferred for MIME)
    fields: dict[str, str] = field(default_factory=dict)  # envelope fields in document order, as sent (no Payload)
    payload: bytes | None = None  # the payload octets as sent (CDATA text, attachment, form part)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ws_timestamp: dict[str, str] | None = None  # {"created", "expires"} of wsu:Timestamp, when present
    http_headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None  # Content-Type action= (MTOM: start-info), else SOAPAction/Action
    direction: str | None = None  # request | response
    start_line: str | None = None  # of a whole HTTP message
    content_type: str | None = None  # as given or sent (None for a bare envelope)
    body_length: int | None = None  # octets of the HTTP body as read
    message_length: int | None = None  # octets of the whole HTTP message, when given whole
    # Detail the checks need (None when the form has no such thing):
    password_type: str | None = None  # wsse:Password/@Type as sent ("" when absent)
    token_created: str | None = None  # wsse:UsernameToken/wsu:Created
    payload_cdata: bool | None = None  # SOAP: the Payload text was a CDATA section
    payload_encoding: str | None = None  # text | base64 | xop | form
    payload_include: str | None = None  # MTOM: the href of xop:Include
    payload_unresolved: bool = False  # MTOM: the href named no part
    qualified: tuple[str, ...] = ()  # SOAP: local names of namespace-qualified CORE children
    children: tuple[str, ...] = ()  # SOAP: every CORE child's local name, in order (qualified ones too)
    mime_fields: tuple[str, ...] = ()  # MIME: every part name as sent, in order
    attachments: dict[str, bytes] = field(default_factory=dict, repr=False)  # MTOM: Content-ID -> octets
    core_xml: Any = field(default=None, repr=False)  # SOAP/MTOM: the CORE lxml element, xop:Include replaced by base64
    # What a tolerant reading read past (SOAP 1.1, a wrapper around the CORE element): each a finding
    deviations: list[CoreSyntaxError] = field(default_factory=list, repr=False)

    @property
    def mode(self) -> str | None:
        return self.fields.get("ProcessingMode")

    @property
    def payload_type(self) -> str | None:
        return self.fields.get("PayloadType")

    @property
    def realtime(self) -> bool:
        return (self.element or "").startswith("COREEnvelopeRealTime") if self.element else self.mode == "RealTime"


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------
def parse_message(
    raw: bytes,
    content_type: str | None = None,
    *,
    mime_messages: Iterable[dict] | None = None,
    tolerant: bool = False,
) -> CoreMessage:
    """A CoreMessage from a whole HTTP message, or from a body and its Content-Type.

    Tolerant (as a validator reads what real systems send), a SOAP 1.1 envelope and a CORE envelope
    wrapped in another element of the Body are read, each kept in `msg.deviations`, so that the
    envelope's own defects are found too; strict (as a server takes a message), they are errors."""
    http: HttpMessage | None = None
    body = raw
    if content_type is None and looks_like_http(raw):
        try:
            http = parse_http(raw)
        except ValueError as exc:
            raise CoreSyntaxError("http", None, str(exc), "start-line") from None
        body = http.body
        content_type = http.header("Content-Type")
    if content_type is None and http is None:
        entity = parse_entity(raw.lstrip(b"\xef\xbb\xbf \t\r\n"))  # a MIME entity without an HTTP start line
        if entity is not None:
            body, content_type = entity.body, entity.header("Content-Type")
    direction = None if http is None else ("request" if http.is_request else "response")
    given_type = content_type
    if content_type is None:
        if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            content_type = "application/soap+xml"  # a bare envelope
        else:
            raise CoreSyntaxError("media-type", None, "no Content-Type and not an XML document", "header:Content-Type")
    ctype = content_type_params(content_type)
    media = ctype.get_content_type()
    form = {"multipart/related": "mtom", "multipart/form-data": "mime"}.get(media, "soap")
    action = None
    try:
        if media in ("application/soap+xml", "text/xml", "application/xml", "application/xop+xml"):
            # an MTOM root part (xop+xml) carries the SOAP media type, and its action, in `type`
            inner = ctype
            if media == "application/xop+xml":
                inner = content_type_params(email.utils.collapse_rfc2231_value(ctype.get_param("type") or ""))
            action = _action(inner, http)
            msg = _parse_soap(body, "soap", direction, tolerant=tolerant)
        elif media == "multipart/related":
            start_info = ctype.get_param("start-info")
            if isinstance(start_info, tuple):  # an RFC 2231 value (charset, language, text)
                start_info = email.utils.collapse_rfc2231_value(start_info)
            action = _action(content_type_params(start_info or ""), http)
            msg = _parse_mtom(body, content_type, ctype, direction, tolerant)
        elif media == "multipart/form-data":
            msg = _parse_mime(body, content_type, direction, mime_messages)
        else:
            raise CoreSyntaxError(
                "media-type",
                None,
                f"Content-Type {media} is not a CORE message",
                "header:Content-Type",
                http_status=415,
            )
    except CoreSyntaxError as err:
        # what could be read of the HTTP layer, so its own rules can still be checked
        err.partial = _http_layer(
            CoreMessage(form=form, direction=direction, action=action), raw, body, http, given_type
        )
        raise
    msg.action = action if form != "mime" else None
    return _http_layer(msg, raw, body, http, given_type)


def _http_layer(
    msg: CoreMessage, raw: bytes, body: bytes, http: HttpMessage | None, given_type: str | None
) -> CoreMessage:
    msg.content_type = given_type  # None for a bare envelope: no HTTP layer to check
    msg.body_length = len(body)
    if http is not None:
        msg.start_line = http.start_line
        msg.http_headers = http.header_dict()
        msg.message_length = len(raw)
    return msg


def _action(ctype, http: HttpMessage | None) -> str | None:
    action = ctype.get_param("action")
    if action is None and http is not None:
        action = http.header("SOAPAction") or http.header("Action")
        action = action.strip('"') if action is not None else None
    return action


def _parse_soap(
    xml: bytes,
    form: str,
    direction: str | None,
    attachments: dict[str, bytes] | None = None,
    *,
    tolerant: bool = False,
) -> CoreMessage:
    try:
        root = parse_xml(xml)
    except XMLForbidden as exc:
        raise CoreSyntaxError("xml-forbidden", "Sender", exc.message, "xml:DOCTYPE") from None
    except XMLProblem as exc:
        raise CoreSyntaxError("soap", "Sender", exc.message, exc.location) from None
    deviations: list[CoreSyntaxError] = []
    soap_ns = SOAP12_NS
    if root.tag == f"{{{SOAP11_NS}}}Envelope":
        version = CoreSyntaxError(
            "soap", "VersionMismatch", "a SOAP 1.1 envelope; CORE uses SOAP 1.2", "/Envelope", http_status=500
        )
        if not tolerant:
            raise version
        deviations.append(version)
        soap_ns = SOAP11_NS
    elif root.tag != f"{{{SOAP12_NS}}}Envelope":
        raise CoreSyntaxError("soap", "Sender", f"the root element {_local(root.tag)} is not a SOAP 1.2 Envelope", "/")
    body = root.find(f"{{{soap_ns}}}Body")
    kids = [k for k in body if isinstance(k.tag, str)] if body is not None else []
    if len(kids) != 1 or _ns(kids[0].tag) != CORE_NS or _local(kids[0].tag) not in ELEMENTS:
        what = (
            "no Body"
            if body is None
            else f"{len(kids)} element(s)"
            if len(kids) != 1
            else f"element {_local(kids[0].tag)} of namespace {_ns(kids[0].tag) or '(none)'}"
        )
        wrong = CoreSyntaxError(
            "soap-body", "Sender", f"the SOAP Body must hold one CORE envelope element, found {what}", "/Envelope/Body"
        )
        inside = _wrapped_core_element(kids) if tolerant else None
        if inside is None:
            raise wrong
        wrong.message += f" (the CORE {_local(inside.tag)} is inside it, and is read)"
        deviations.append(wrong)
        kids = [inside]
    element = kids[0]
    name = _local(element.tag)
    msg = CoreMessage(
        form=form, element=name, direction=direction or ("response" if name.endswith("Response") else "request")
    )
    msg.deviations = deviations
    children = [k for k in element if isinstance(k.tag, str)]
    msg.children = tuple(_local(k.tag) for k in children)
    msg.qualified = tuple(_local(k.tag) for k in children if _ns(k.tag))
    for k in children:
        if not _ns(k.tag) and _local(k.tag) != "Payload":
            msg.fields.setdefault(_local(k.tag), (k.text or "").strip())
    payload_el = next((k for k in children if k.tag == "Payload"), None)
    if payload_el is not None:
        _read_payload(msg, payload_el, attachments)
    _read_security(msg, root, soap_ns)
    msg.core_xml = element
    return msg


def _wrapped_core_element(kids: list) -> Any:
    """The one CORE envelope element inside the Body's single (non-CORE) element, or None."""
    if len(kids) != 1:
        return None
    found = [
        e for e in kids[0].iter() if isinstance(e.tag, str) and _ns(e.tag) == CORE_NS and _local(e.tag) in ELEMENTS
    ]
    return found[0] if len(found) == 1 else None


def _read_payload(msg: CoreMessage, el, attachments: dict[str, bytes] | None) -> None:
    include = el.find(f"{{{XOP_NS}}}Include")
    if include is not None:
        href = include.get("href", "")
        msg.payload_encoding, msg.payload_include = "xop", href
        data = (attachments or {}).get(_cid(href))
        msg.payload_unresolved = data is None
        msg.payload = data
        # the XML view of an XOP-optimised base64Binary is the base64 of the octets (XOP 1.0, 3.1)
        el.remove(include)
        el.text = base64.b64encode(data or b"").decode("ascii")
        return
    text = el.text or ""
    if msg.realtime or not _looks_base64(text):
        msg.payload_encoding = "text"
        msg.payload_cdata = b"<![CDATA[" in etree.tostring(el)
        msg.payload = text.encode("utf-8")
    else:
        msg.payload_encoding = "base64"
        msg.payload = base64.b64decode("".join(text.split()))


def _looks_base64(text: str) -> bool:
    compact = "".join(text.split())
    if not compact or len(compact) % 4:
        return False
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _read_security(msg: CoreMessage, root, soap_ns: str = SOAP12_NS) -> None:
    security = root.find(f"{{{soap_ns}}}Header/{{{WSSE_NS}}}Security")
    if security is None:
        return
    token = security.find(f"{{{WSSE_NS}}}UsernameToken")
    if token is not None:
        user = token.find(f"{{{WSSE_NS}}}Username")
        pw = token.find(f"{{{WSSE_NS}}}Password")
        created = token.find(f"{{{WSU_NS}}}Created")
        msg.username = (user.text or "").strip() if user is not None else None
        msg.password = (pw.text or "") if pw is not None else None
        msg.password_type = pw.get("Type", "") if pw is not None else None
        msg.token_created = (created.text or "").strip() if created is not None else None
    stamp = security.find(f"{{{WSU_NS}}}Timestamp")
    if stamp is not None:
        msg.ws_timestamp = {
            k.lower(): (stamp.findtext(f"{{{WSU_NS}}}{k}") or "").strip()
            for k in ("Created", "Expires")
            if stamp.find(f"{{{WSU_NS}}}{k}") is not None
        }


def _multipart(content_type: str, body: bytes, problem: str, direction: str | None):
    """The parts of a multipart body (stdlib email parser), or CoreSyntaxError when the boundary delimits none."""
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body
    )
    if not msg.is_multipart() or msg.defects or not msg.get_payload():
        defects = ", ".join(type(d).__name__ for d in msg.defects) or "no part"
        raise CoreSyntaxError(
            problem,
            None,
            f"the multipart body is malformed ({defects}): the declared boundary does not delimit its parts",
            "header:Content-Type",
            direction=direction,
        )
    return msg.get_payload()


def _parse_mtom(body: bytes, content_type: str, ctype, direction: str | None, tolerant: bool = False) -> CoreMessage:
    parts = _multipart(content_type, body, "mtom", direction)
    by_id = {_cid(p["Content-ID"] or ""): p.get_payload(decode=True) or b"" for p in parts}
    start = _cid(ctype.get_param("start") or "")
    if start not in by_id:  # no (or a wrong) start parameter: the root is the first part (XOP 1.0, 3.1)
        start = _cid(parts[0]["Content-ID"] or "")
    root = by_id.get(start) or parts[0].get_payload(decode=True) or b""
    attachments = {cid: data for cid, data in by_id.items() if cid != start}
    msg = _parse_soap(root, "mtom", direction, attachments, tolerant=tolerant)
    msg.attachments = attachments
    return msg


def _parse_mime(body: bytes, content_type: str, direction: str | None, table: Iterable[dict] | None) -> CoreMessage:
    parts = _multipart(content_type, body, "mime", direction)
    msg = CoreMessage(form="mime")
    names = []
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if name is None:
            raise CoreSyntaxError(
                "mime",
                None,
                "a form-data part has no Content-Disposition name",
                "header:Content-Type",
                direction=direction,
            )
        names.append(name)
        data = part.get_payload(decode=True) or b""
        if name == "Payload":
            msg.payload, msg.payload_encoding = data, "form"
        elif name == "Password":
            msg.password = data.decode("utf-8", "replace")
        elif name == "UserName":
            msg.username = data.decode("utf-8", "replace")
        else:
            msg.fields.setdefault(name, data.decode("utf-8", "replace").strip())
    msg.mime_fields = tuple(names)
    if direction is None:
        direction = "response" if "ErrorCode" in msg.fields else "request"
    msg.direction = direction
    msg.element = mime_element(direction, msg.fields.get("ProcessingMode"), msg.fields.get("PayloadType"), table)
    return msg


def mime_element(
    direction: str, mode: str | None, payload_type: str | None, table: Iterable[dict] | None = None
) -> str | None:
    """The CORE element a MIME message stands for: from a feed's message table (mime-fields.yaml
    `messages` values: direction, processing_mode, payload_types, envelope) when given, else from the
    CORE payload type naming conventions."""
    for m in table or ():
        if m["direction"] == direction and m["processing_mode"] == mode and payload_type in m["payload_types"]:
            return m["envelope"]
    pt = payload_type or ""
    if mode == "RealTime":
        return "COREEnvelopeRealTimeResponse" if direction == "response" else "COREEnvelopeRealTimeRequest"
    if mode != "Batch":
        return None
    if direction == "request":
        if "SubmissionRequest" in pt:
            return "COREEnvelopeBatchResultsAckSubmission"
        if "RetrievalRequest" in pt or pt.endswith("Request_Acks"):
            return "COREEnvelopeBatchSubmissionAckRetrievalRequest"
        if "Batch_Results" in pt or pt.startswith("X12_835_Request"):
            return "COREEnvelopeBatchResultsRetrievalRequest"
        return "COREEnvelopeBatchSubmission"
    if "BatchReceiptConfirmation" in pt:
        return "COREEnvelopeBatchSubmissionResponse"
    if "ConfirmReceiptReceived" in pt:
        return "COREEnvelopeBatchResultsAckSubmissionResponse"
    if pt.startswith(("X12_999_", "X12_TA1_")) or "Acks" in pt or "NoBatchAckFile" in pt:
        return "COREEnvelopeBatchSubmissionAckRetrievalResponse"
    return "COREEnvelopeBatchResultsRetrievalResponse"


# --------------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------------
def ordered_fields(element: str, values: dict[str, str]) -> dict[str, str]:
    """`values` in the schema's sequence order for `element` (unknown names last, as given)."""
    order = REALTIME_ORDER if element.startswith("COREEnvelopeRealTime") else FIELD_ORDER
    known = {k: values[k] for k in order if k in values}
    return {**known, **{k: v for k, v in values.items() if k not in known}}


def _soap_envelope(msg: CoreMessage, payload_mode: str) -> tuple[bytes, dict[str, bytes]]:
    """The SOAP 1.2 envelope; payload_mode text (CDATA), base64 or xop. Returns (xml, attachments)."""
    if not msg.element:
        raise ValueError("a SOAP message needs its CORE element name")
    env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"soapenv": SOAP12_NS})
    _security_header(env, msg)
    body = etree.SubElement(env, f"{{{SOAP12_NS}}}Body")
    core = etree.SubElement(body, f"{{{CORE_NS}}}{msg.element}", nsmap={"cor": CORE_NS})
    attachments: dict[str, bytes] = {}
    names = list(msg.fields)
    if msg.payload is not None and "Payload" not in names:  # Payload sits where the schema puts it
        order = REALTIME_ORDER if msg.realtime else FIELD_ORDER
        after = {f for f in order[order.index("Payload") + 1 :]}
        at = next((i for i, n in enumerate(names) if n in after), len(names))
        names.insert(at, "Payload")
    for name in names:
        child = etree.SubElement(core, name)
        if name != "Payload":
            child.text = msg.fields[name]
        elif payload_mode == "xop":
            cid = f"payload-{uuid.uuid4()}@payercert"
            etree.SubElement(child, f"{{{XOP_NS}}}Include", nsmap={"xop": XOP_NS}).set("href", f"cid:{cid}")
            attachments[cid] = msg.payload or b""
        elif payload_mode == "base64":
            child.text = base64.b64encode(msg.payload or b"").decode("ascii")
        else:
            child.text = _cdata(msg.payload or b"")
    xml = etree.tostring(env, xml_declaration=True, encoding="UTF-8")
    return xml, attachments


def _cdata(payload: bytes):
    text = payload.decode("utf-8")
    if "]]>" in text:  # a CDATA section cannot hold "]]>": fall back to escaped text (same infoset)
        return text
    return etree.CDATA(text)


def _security_header(env, msg: CoreMessage) -> None:
    if msg.username is None and msg.ws_timestamp is None:
        return
    header = etree.SubElement(env, f"{{{SOAP12_NS}}}Header")
    sec = etree.SubElement(header, f"{{{WSSE_NS}}}Security", nsmap={"wsse": WSSE_NS, "wsu": WSU_NS})
    sec.set(f"{{{SOAP12_NS}}}mustUnderstand", "true")
    if msg.ws_timestamp is not None:
        stamp = etree.SubElement(sec, f"{{{WSU_NS}}}Timestamp")
        stamp.set(f"{{{WSU_NS}}}Id", f"TS-{uuid.uuid4().hex[:12]}")
        for key in ("created", "expires"):
            if key in msg.ws_timestamp:
                etree.SubElement(stamp, f"{{{WSU_NS}}}{key.capitalize()}").text = msg.ws_timestamp[key]
    if msg.username is not None:
        token = etree.SubElement(sec, f"{{{WSSE_NS}}}UsernameToken")
        token.set(f"{{{WSU_NS}}}Id", f"UsernameToken-{uuid.uuid4().hex[:12]}")
        etree.SubElement(token, f"{{{WSSE_NS}}}Username").text = msg.username
        pw = etree.SubElement(token, f"{{{WSSE_NS}}}Password")
        pw.set("Type", msg.password_type if msg.password_type is not None else PASSWORD_TEXT)
        pw.text = msg.password or ""
        if msg.token_created:
            etree.SubElement(token, f"{{{WSU_NS}}}Created").text = msg.token_created


def _action_param(action: str | None) -> str:
    return f'; action="{action}"' if action else ""


def build_soap(msg: CoreMessage) -> tuple[bytes, str]:
    """A SOAP 1.2 message: RealTime Payload as CDATA, a batch Payload as base64 text."""
    xml, _ = _soap_envelope(msg, "text" if msg.realtime else "base64")
    return xml, f"application/soap+xml; charset=utf-8{_action_param(msg.action)}"


def build_mtom(msg: CoreMessage) -> tuple[bytes, str]:
    """An MTOM/XOP package: root part application/xop+xml, the Payload an attachment of raw octets."""
    xml, attachments = _soap_envelope(msg, "xop")
    boundary = f"uuid:{uuid.uuid4()}+id=1"
    root_id = f"root.message-{uuid.uuid4().hex[:12]}@payercert"
    soap_type = f"application/soap+xml{_action_param(msg.action)}"
    quoted_type = soap_type.replace('"', '\\"')
    parts = [
        b"--"
        + boundary.encode()
        + b"\r\n"
        + f"Content-ID: <{root_id}>\r\nContent-Transfer-Encoding: 8bit\r\n"
        f'Content-Type: application/xop+xml; charset=utf-8; type="{quoted_type}"\r\n\r\n'.encode()
        + xml
        + b"\r\n"
    ]
    for cid, data in attachments.items():
        parts.append(
            b"--"
            + boundary.encode()
            + b"\r\n"
            + f"Content-ID: <{cid}>\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    content_type = (
        f'multipart/related; type="application/xop+xml"; start="<{root_id}>"; '
        f'start-info="{quoted_type}"; boundary="{boundary}"'
    )
    return body, content_type


def build_mime(msg: CoreMessage) -> tuple[bytes, str]:
    """HTTP MIME multipart/form-data: fields in order, UserName/Password for a request, the Payload in-line."""
    values: list[tuple[str, bytes]] = []
    names = list(msg.fields)
    secrets = [("UserName", msg.username), ("Password", msg.password)]
    # UserName/Password go right after TimeStamp, as the document's figures place them (Figures 2, 6, 10, 14).
    at = names.index("TimeStamp") + 1 if "TimeStamp" in names else len(names)
    for i, name in enumerate(names):
        if i == at:
            values += [(k, v.encode("utf-8")) for k, v in secrets if v is not None]
        values.append((name, msg.fields[name].encode("utf-8")))
    if at == len(names):
        values += [(k, v.encode("utf-8")) for k, v in secrets if v is not None]
    if msg.payload is not None:
        values.append(("Payload", msg.payload))
    boundary = f"CORE-{uuid.uuid4().hex}"
    while any(boundary.encode() in v for _, v in values):
        boundary = f"CORE-{uuid.uuid4().hex}"
    body = (
        b"".join(
            b"--"
            + boundary.encode()
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value
            + b"\r\n"
            for name, value in values
        )
        + b"--"
        + boundary.encode()
        + b"--\r\n"
    )
    return body, f"multipart/form-data; boundary={boundary}"


def as_http(start_line: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> bytes:
    """A whole HTTP/1.1 message with a right Content-Length."""
    head = [start_line, f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if content_type.startswith("multipart/"):
        head.append("MIME-Version: 1.0")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def build(msg: CoreMessage) -> tuple[bytes, str]:
    """The message in its own form."""
    return {"soap": build_soap, "mtom": build_mtom, "mime": build_mime}[msg.form](msg)


# --------------------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _cid(value: str) -> str:
    value = value.strip()
    value = value[4:] if value.lower().startswith("cid:") else value
    return value.strip("<>")


__all__ = [
    "CoreMessage",
    "CoreSyntaxError",
    "parse_message",
    "build_soap",
    "build_mtom",
    "build_mime",
    "build",
    "as_http",
    "ordered_fields",
    "mime_element",
    "SYNTAX_PROBLEMS",
    "CORE_NS",
    "SOAP12_NS",
    "WSSE_NS",
    "WSU_NS",
    "XOP_NS",
    "PASSWORD_TEXT",
    "ELEMENTS",
    "FIELD_ORDER",
    "REALTIME_ORDER",
]
