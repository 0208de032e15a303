"""The WebBBS spec bundle (specs/webbbs/): catalogue, CORE envelope schema, WSDL, MIME fields, samples.

These tests keep the bundle self-consistent and hold `payercert validate` to it:
the feed loads and its catalogue is well formed; core-envelope.xsd loads with xmlschema (XSD 1.0) and
takes the valid samples' CORE elements while refusing the structural invalid ones; core.wsdl names one
SOAP 1.2 action per web method of feed.yaml; the X12 samples' envelopes count right; hostile XML is
refused by defusedxml and never expanded; and every sample gives exactly the findings its
`<name>.expected.json` lists, computed here by a small reference oracle (`oracle()`); the validators
(validators/core_envelope.py, core_checks.py, x12.py, through `payercert validate`) must agree with
it exactly, sample by sample (samples/README.md).
"""

from __future__ import annotations

import base64
import email.message
import email.parser
import email.policy
import hashlib
import json
import re
from pathlib import Path

import golden
import pytest
import yaml
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from payercert.feeds import LEVELS, load_feed

xmlschema = pytest.importorskip("xmlschema")

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "webbbs"
SAMPLES = SPEC / "samples"
XSD = SPEC / "core-envelope.xsd"
WSDL = SPEC / "core.wsdl"
MIME_FIELDS = yaml.safe_load((SPEC / "mime-fields.yaml").read_text(encoding="utf-8"))

REQ_ID = re.compile(r"^WEBBBS-[A-Z0-9]+-[0-9]+$")
AREAS = {
    "TRANSPORT",
    "SOAP",
    "WSS",
    "MTOM",
    "MIME",
    "ENVELOPE",
    "PAYLOAD",
    "X12",
    "BATCH",
    "REALTIME",
    "ERROR",
    "SIZE",
    "TIME",
    "SFTP",
    "WEB",
    "PASSWORD",
}
FORMATS = {"soap", "mtom", "mime", "x12", "sftp-file"}
SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
CORE_NS = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP12_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
ISA_WIDTHS = [3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
HOSTILE = (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden)


def feed():
    return load_feed("webbbs")


def spec() -> dict:
    return feed().spec


def schema():
    return xmlschema.XMLSchema10(str(XSD))


SCHEMA = schema()


# --------------------------------------------------------------------------------------------------
# Reading the sample files: whole HTTP messages (.http), bare SOAP envelopes (.xml), X12 (.x12).
# --------------------------------------------------------------------------------------------------
def split_http(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return lines[0], headers, body


def params(content_type: str) -> email.message.Message:
    msg = email.message.Message()
    msg["Content-Type"] = content_type
    return msg


def multipart(content_type: str, body: bytes):
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("utf-8") + b"\r\n\r\n" + body
    )
    return msg.get_payload() if msg.is_multipart() and not msg.defects else None


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def core_element(xml: bytes):
    """The SOAP envelope (parsed safely) and the CORE element of its Body."""
    root = SafeET.fromstring(xml, forbid_dtd=True)
    body = root.find(f"{{{SOAP_NS}}}Body")
    kids = list(body) if body is not None else []
    return root, (kids[0] if len(kids) == 1 else None)


def reconstitute(element, attachments: dict[str, bytes]):
    """XOP: an xop:Include under Payload becomes the base64 text of the part it names."""
    payload = element.find("Payload")
    if payload is not None:
        include = payload.find(f"{{{XOP_NS}}}Include")
        if include is not None:
            data = attachments.get(include.get("href", "").removeprefix("cid:"), b"")
            payload.remove(include)
            payload.text = base64.b64encode(data).decode("ascii")
    return element


# --------------------------------------------------------------------------------------------------
# The reference oracle.
# --------------------------------------------------------------------------------------------------
def x12_findings(text: str, payload_type: str | None, realtime: bool) -> list[tuple]:
    out: list[tuple] = []
    seen: dict[str, int] = {}
    ids = spec()["x12_payloads"].get(payload_type or "", {})
    n_isa = n_gs = n_st = 0
    rt_extra: list[str] = []

    def at(seg: str) -> str:
        seen[seg] = seen.get(seg, 0) + 1
        return f"x12:{seg}#{seen[seg]}"

    for chunk in text.split("\x1c"):
        pos = 0
        chunk = chunk.strip("\r\n")
        while pos < len(chunk):
            n_isa += 1
            where = at("ISA")
            if realtime and n_isa == 2:
                rt_extra.append(where)
            head = chunk[pos : pos + 106]
            sep = head[3:4]
            fields = head[:105].split(sep) if sep else []
            if (
                len(head) < 106
                or not head.startswith("ISA")
                or [len(f) for f in fields] != ISA_WIDTHS
                or head[105] in (sep, fields[16] if len(fields) == 17 else "")
                or head[105].isalnum()
            ):
                out.append(("WEBBBS-X12-1", None, where))
                break
            term = head[105]
            if fields[12] != "00501":
                out.append(("WEBBBS-X12-4", None, where))
            pos += 106
            groups, gs_ctrl, sts, st, count, _gs_where = 0, None, 0, None, 0, None
            while pos < len(chunk):
                end = chunk.find(term, pos)
                end = len(chunk) if end < 0 else end
                seg = chunk[pos:end].strip("\r\n").split(sep)
                pos = end + 1
                name = seg[0]
                where = at(name)
                if name == "GS":
                    groups, sts, gs_ctrl, _gs_where = groups + 1, 0, seg[6], where
                    n_gs += 1
                    if realtime and n_gs == 2:
                        rt_extra.append(where)
                    if not seg[8].startswith("005010"):
                        out.append(("WEBBBS-X12-4", None, where))
                    if ids.get("gs08") and (seg[1] != ids["gs01"] or seg[8] != ids["gs08"]):
                        out.append(("WEBBBS-X12-5", None, where))
                elif name == "ST":
                    st, count, sts = seg, 1, sts + 1
                    n_st += 1
                    if realtime and n_st == 2:
                        rt_extra.append(where)
                    if ids.get("st01") and (seg[1] != ids["st01"] or (len(seg) > 3 and seg[3] != ids["gs08"])):
                        out.append(("WEBBBS-X12-5", None, where))
                elif name == "SE":
                    count += 1
                    if st is None or seg[1] != str(count) or seg[2] != st[2]:
                        out.append(("WEBBBS-X12-2", None, where))
                    st = None
                elif name == "GE":
                    if seg[1] != str(sts) or seg[2] != gs_ctrl:
                        out.append(("WEBBBS-X12-3", None, where))
                elif name == "IEA":
                    if seg[1] != str(groups) or seg[2] != fields[13]:
                        out.append(("WEBBBS-X12-3", None, where))
                    break
                elif st is not None:
                    count += 1
            while pos < len(chunk) and chunk[pos] in "\r\n":
                pos += 1
    if rt_extra:  # one finding: at the first extra interchange, else group, else transaction set
        out.append(("WEBBBS-REALTIME-2", None, rt_extra[0]))
    return out


def value_findings(
    values: dict[str, str], loc, request: bool, username: str | None, mode: str | None, payload: bytes | None
) -> list[tuple]:
    """The value rules shared by SOAP and MIME: modes, ids, versions, length, checksum, X12."""
    out: list[tuple] = []
    if "ProcessingMode" in values and (
        values["ProcessingMode"] != mode if mode else values["ProcessingMode"] not in ("RealTime", "Batch")
    ):
        out.append(("WEBBBS-ENVELOPE-2", "ProcessingModeIllegal", loc("ProcessingMode")))
    if "PayloadID" in values and not UUID.match(values["PayloadID"]):
        out.append(("WEBBBS-ENVELOPE-4", "PayloadIDIllegal", loc("PayloadID")))
    if "TimeStamp" in values and not UTC_DATETIME.match(values["TimeStamp"]):
        out.append(("WEBBBS-ENVELOPE-6", "TimeStampIllegal", loc("TimeStamp")))
    receiver = spec()["core"]["receiver_id"]
    if request:
        if "PayloadType" in values and values["PayloadType"] not in request_payload_types():
            out.append(("WEBBBS-ENVELOPE-3", "PayloadTypeIllegal", loc("PayloadType")))
        if username is not None and values.get("SenderID") != username:
            out.append(("WEBBBS-ENVELOPE-7", "SenderIDIllegal", loc("SenderID")))
        if "ReceiverID" in values and values["ReceiverID"] != receiver:
            out.append(("WEBBBS-ENVELOPE-8", "ReceiverIDIllegal", loc("ReceiverID")))
    elif "SenderID" in values and values["SenderID"] != receiver:
        out.append(("WEBBBS-ENVELOPE-10", None, loc("SenderID")))
    if "CORERuleVersion" in values and values["CORERuleVersion"] not in spec()["core"]["rule_versions"]:
        out.append(("WEBBBS-ENVELOPE-9", "VersionMismatch", loc("CORERuleVersion")))
    if payload:
        if values.get("PayloadLength") not in (None, "") and values["PayloadLength"] != str(len(payload)):
            out.append(("WEBBBS-PAYLOAD-1", "PayloadLengthIllegal", loc("PayloadLength")))
        if values.get("CheckSum") and values["CheckSum"].lower() != hashlib.sha1(payload).hexdigest():
            out.append(("WEBBBS-PAYLOAD-2", "ChecksumMismatched", loc("CheckSum")))
        if values.get("PayloadType") in spec()["x12_payloads"]:
            out += x12_findings(
                payload.decode("utf-8"), values["PayloadType"], values.get("ProcessingMode") == "RealTime"
            )
    return out


def request_payload_types() -> set[str]:
    pt = spec()["payload_types"]
    return set(pt["RealTime"]["request"]) | set(pt["Batch"]["upload_request"]) | set(pt["Batch"]["download_request"])


def xml_findings(xml: bytes, attachments: dict[str, bytes], request: bool | None) -> list[tuple]:
    try:
        root, element = core_element(xml)
    except HOSTILE:
        return [("WEBBBS-SOAP-10", None, "xml:DOCTYPE")]
    if element is None or ns(element.tag) != CORE_NS:
        return [("WEBBBS-SOAP-3", None, "/Envelope/Body")]
    name = local(element.tag)
    path = f"/Envelope/Body/{name}"
    if request is None:
        request = not name.endswith("Response")
    decl = SCHEMA.elements[name]
    order = [e.local_name for e in decl.type.content.iter_elements()]
    required = [e.local_name for e in decl.type.content.iter_elements() if e.min_occurs]
    kids = list(element)
    plain = [local(k.tag) for k in kids if not ns(k.tag)]
    qualified = [k for k in kids if ns(k.tag)]
    if qualified:
        missing = next((r for r in required if r not in plain), None)
        return [("WEBBBS-ENVELOPE-1", f"{missing}Required" if missing else None, f"{path}/{local(qualified[0].tag)}")]
    i = 0  # walk the sequence as a schema validator does: the first child that cannot come next is the finding
    for child in plain:
        while i < len(order) and order[i] != child and order[i] not in required:
            i += 1
        if i == len(order) or order[i] != child:
            return [("WEBBBS-ENVELOPE-1", None, f"{path}/{child}")]
        i += 1
    out = [("WEBBBS-ENVELOPE-1", f"{r}Required", f"{path}/{r}") for r in required if r not in plain]
    values = {local(k.tag): (k.text or "").strip() for k in kids if local(k.tag) != "Payload"}
    realtime = name.startswith("COREEnvelopeRealTime")
    payload = None
    pel = element.find("Payload")
    if pel is not None:
        include = pel.find(f"{{{XOP_NS}}}Include")
        if include is not None:
            payload = attachments.get(include.get("href", "").removeprefix("cid:"))
        elif realtime:
            payload = (pel.text or "").encode("utf-8")
            if payload and not re.search(rb"<Payload>\s*<!\[CDATA\[", xml):
                out.append(("WEBBBS-REALTIME-3", None, f"{path}/Payload"))
        elif pel.text and pel.text.strip():
            payload = base64.b64decode(pel.text)
    user = root.find(f"{{{SOAP_NS}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken/{{{WSSE_NS}}}Username")
    out += value_findings(
        values,
        lambda f: f"{path}/{f}",
        request,
        user.text if user is not None else None,
        "RealTime" if realtime else "Batch",
        payload,
    )
    return out


def mime_findings(content_type: str, body: bytes, request: bool) -> list[tuple]:
    parts = multipart(content_type, body)
    if parts is None:
        return [("WEBBBS-MIME-1" if request else "WEBBBS-MIME-8", None, "header:Content-Type")]
    fields = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in parts}
    text = {k: v.decode("utf-8") for k, v in fields.items()}
    direction = "request" if request else "response"
    message = next(
        (
            m
            for m in MIME_FIELDS["messages"].values()
            if m["direction"] == direction
            and m["processing_mode"] == text.get("ProcessingMode")
            and text.get("PayloadType") in m["payload_types"]
        ),
        None,
    )
    out: list[tuple] = []
    for f in message["fields"] if message else []:
        if f["use"] != "required" or f["name"] in fields:
            continue
        if f["name"] == "CheckSum" and "Checksum" in fields:
            out.append(("WEBBBS-MIME-3", "CheckSumRequired", "field:Checksum"))
        elif f["name"] == "ErrorMessage" and "ErrorDescription" in fields:
            out.append(("WEBBBS-MIME-4", None, "field:ErrorDescription"))
        elif request:
            out.append(("WEBBBS-MIME-2", f"{f['name']}Required", f"field:{f['name']}"))
        else:
            out.append(("WEBBBS-MIME-8", None, f"field:{f['name']}"))
    payload = fields.get("Payload")
    if payload is not None and payload.lstrip().startswith(b"<![CDATA["):
        out.append(("WEBBBS-MIME-6", None, "field:Payload"))
    out += value_findings(
        text, lambda f: f"field:{f}", request, text.get("UserName") if request else None, None, payload
    )
    return out


def oracle(path: Path, options: dict) -> list[tuple]:
    raw = path.read_bytes()
    if path.suffix == ".x12":
        return x12_findings(raw.decode("utf-8"), options.get("payload_type"), realtime=False)
    if path.suffix == ".xml":
        return xml_findings(raw, {}, None)
    start, headers, body = split_http(raw)
    request = start.startswith("POST ")
    out: list[tuple] = []
    if "content-length" in headers and int(headers["content-length"]) != len(body):
        out.append(("WEBBBS-TRANSPORT-5", None, "header:Content-Length"))
    ctype = headers.get("content-type", "")
    p = params(ctype)
    methods = spec()["core"]["web_methods"]
    if p.get_content_type() == "application/soap+xml":
        if request and p.get_param("action") not in methods:
            out.append(("WEBBBS-SOAP-2", None, "header:Content-Type"))
        return out + xml_findings(body, {}, request)
    if p.get_content_type() == "multipart/related":
        if request and params(p.get_param("start-info") or "").get_param("action") not in methods:
            out.append(("WEBBBS-SOAP-2", None, "header:Content-Type"))
        parts = multipart(ctype, body)
        if not parts:
            return out + [("WEBBBS-MTOM-4", None, "header:Content-Type")]
        by_id = {(q["Content-ID"] or "").strip("<>"): q.get_payload(decode=True) for q in parts}
        root_id = (p.get_param("start") or "").strip("<>")
        return out + xml_findings(by_id.get(root_id, parts[0].get_payload(decode=True)), by_id, request)
    if p.get_content_type() == "multipart/form-data":
        return out + mime_findings(ctype, body, request)
    return out + [("WEBBBS-TRANSPORT-1", None, "header:Content-Type")]


def sample_files(folder: str) -> list[Path]:
    return sorted(p for p in (SAMPLES / folder).iterdir() if p.suffix in (".http", ".xml", ".x12"))


def expected(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))


def as_set(findings) -> set[tuple]:
    return {(f["requirement"], f["code"], f["location"]) if isinstance(f, dict) else tuple(f) for f in findings}


# --------------------------------------------------------------------------------------------------
# feed.yaml
# --------------------------------------------------------------------------------------------------
def test_feed_loads_with_a_valid_catalogue():
    f = feed()
    assert f.id == "webbbs" and f.doc == "003_f5fcca06efe81265.txt"
    assert len(f.requirements) >= 80
    for req in f.requirements.values():
        assert REQ_ID.match(req.id), req.id
        assert req.level in LEVELS, req.id
        assert req.area in AREAS and req.id.split("-")[1] == req.area, req.id
        # texts, sections and applies_to: tests/test_spec_bundles.py, for every feed
        if req.reading:
            assert req.reading in f.readings, req.id
    areas = {r.area for r in f.requirements.values()}
    assert AREAS - {"WEB"} <= areas


def test_readings_have_defaults_among_their_options():
    f = feed()
    assert {"WEBBBS-R-CHECKSUM-NAME", "WEBBBS-R-ERROR-FIELD"} <= set(f.readings)
    for rid, reading in f.readings.items():
        assert reading["default"] in reading["options"], rid
        assert len(reading["options"]) >= 2 and reading["text"].strip(), rid
        assert any(r.reading == rid for r in f.requirements.values()), f"{rid} is used by no requirement"


def test_errata_cover_the_known_document_errors():
    text = json.dumps(spec()["errata"])
    for token in (
        "CheckSum",
        "CORERulesVersion",
        "ErrorDescription",
        "secure.mediciad.state.ar.us",
        "00501X231A1",
        "hh:mm:22Z",
    ):
        assert token in text, token


def test_structured_facts():
    s = spec()
    core = s["core"]
    assert core["receiver_id"] == "716007869" and core["rule_versions"] == ["2.2.0"]
    assert core["tls_min"] == "1.1" and core["size_limits"]["realtime_megabytes"] == 1
    assert core["size_limits"]["batch_megabytes"] == 4 and core["size_limits"]["scope"] == "whole-http-message"
    assert (
        core["time_limits"]["realtime_response_seconds"] == 20 and core["time_limits"]["batch_response_seconds"] == 60
    )
    supported = {m for m, d in core["web_methods"].items() if d["supported"]}
    assert supported == {
        "BatchSubmitTransaction",
        "BatchSubmitAckRetrievalTransaction",
        "BatchResultsRetrievalTransaction",
        "BatchResultsAckSubmitTransaction",
        "RealTimeTransaction",
    }
    assert len(core["web_methods"]) == 8
    for env in ("production", "test"):
        urls = s["environments"][env]["urls"]
        assert {"wsdl", "soap_realtime", "soap_batch"} <= set(urls), env
        assert all(u.startswith("https://fts") for k, u in urls.items() if k != "sftp")
    assert s["environments"]["production"]["urls"]["sftp"] == "sftp://fts.mmis.arkansas.gov:22"
    assert s["auth"]["credentials"] == ["username", "password"] and s["auth"]["secrets"] == ["password"]
    pw = s["password_rules"]
    assert (pw["min_length"], pw["history"], pw["max_age_days"]) == (8, 6, 90)
    # every pair names known payload types and methods
    pt = s["payload_types"]
    responses = (
        set(pt["RealTime"]["response"]) | set(pt["Batch"]["upload_response"]) | set(pt["Batch"]["download_response"])
    )
    for pair in s["payload_pairs"]:
        assert pair["request"] in request_payload_types()
        assert set(pair["responses"]) <= responses
        methods = pair["method"] if isinstance(pair["method"], list) else [pair["method"]]
        assert all(
            core["web_methods"][m]["supported"] and core["web_methods"][m]["mode"] == pair["mode"] for m in methods
        )
    assert {p["request"] for p in s["payload_pairs"]} == request_payload_types()
    codes = {e["code"] for e in s["error_codes"]}
    assert {
        "Success",
        "FilesPending",
        "VersionMismatch",
        "UnAuthorized",
        "ChecksumMismatched",
        "Sender",
        "Receiver",
        "<Field>Illegal",
        "<Field>Required",
        "<Field>NotUnderstood",
    } <= codes
    assert {h["status"] for h in s["http_statuses"]} == {200, 202, 400, 403, 500, 503}


def test_requirement_codes_are_error_codes():
    patterns = [re.compile(e.get("pattern", "^" + re.escape(e["code"]) + "$")) for e in spec()["error_codes"]]
    for req in feed().requirements.values():
        if req.code and not req.code.startswith("<Field>"):
            assert any(p.match(req.code) for p in patterns), req.id


def test_kinds_name_one_xml_family_format_and_no_json_formats():
    kinds = feed().kinds
    assert kinds
    for kind in kinds.values():
        assert kind.spec["format"] in FORMATS, kind.name
        assert "formats" not in kind.spec and "rules" not in kind.spec and "schema" not in kind.spec, kind.name
        assert kind.spec["detect"] and set(kind.spec["detect"]) & {"xml_root", "content_type", "starts_with"}
        assert kind.spec.get("syntax_requirement") in feed().requirements, kind.name


def test_json_feeds_still_detect_without_naming_the_feed():
    from payercert.validators.engine import Options, detect

    sample = next(p for p in sorted((ROOT / "specs" / "ltss" / "samples" / "valid").glob("*.json")))
    found, _, _ = detect(sample, Options())
    assert found.id == "ltss"


def test_mime_fields_match_the_feed():
    allowed = {
        "PayloadType",
        "ProcessingMode",
        "PayloadID",
        "PayloadLength",
        "TimeStamp",
        "UserName",
        "Password",
        "SenderID",
        "ReceiverID",
        "CORERuleVersion",
        "CheckSum",
        "Payload",
        "ErrorCode",
        "ErrorMessage",
    }
    pt = spec()["payload_types"]
    every = (
        request_payload_types()
        | set(pt["RealTime"]["response"])
        | set(pt["Batch"]["upload_response"])
        | set(pt["Batch"]["download_response"])
    )
    envelopes = set(SCHEMA.elements)
    seen = set()
    for name, message in MIME_FIELDS["messages"].items():
        names = [f["name"] for f in message["fields"]]
        assert set(names) <= allowed and len(names) == len(set(names)), name
        assert set(message["payload_types"]) <= every, name
        assert message["envelope"] in envelopes
        seen.add(message["envelope"])
        decl = SCHEMA.elements[message["envelope"]]
        xsd_required = {e.local_name for e in decl.type.content.iter_elements() if e.min_occurs}
        required = {f["name"] for f in message["fields"] if f["use"] == "required"}
        assert xsd_required <= required, name  # a MIME message requires at least what the schema does
        if message["direction"] == "request":
            assert {"UserName", "Password"} <= required, name
    assert seen == envelopes


# --------------------------------------------------------------------------------------------------
# core-envelope.xsd and core.wsdl
# --------------------------------------------------------------------------------------------------
def test_schema_loads_as_xsd_10_with_ten_unqualified_envelopes():
    assert isinstance(SCHEMA, xmlschema.XMLSchema10)
    assert SCHEMA.target_namespace == CORE_NS
    assert len(SCHEMA.elements) == 10
    assert SCHEMA.element_form_default == "unqualified"
    for name, decl in SCHEMA.elements.items():
        kids = {e.local_name: e for e in decl.type.content.iter_elements()}
        payload = kids["Payload"].type
        mode = kids["ProcessingMode"].type
        if name.startswith("COREEnvelopeRealTime"):
            assert payload.name == "{http://www.w3.org/2001/XMLSchema}string", name
            assert mode.enumeration == ["RealTime"], name
        else:
            assert payload.name == "{http://www.w3.org/2001/XMLSchema}base64Binary", name
            assert mode.enumeration == ["Batch"], name
        if name.endswith("Response"):
            assert kids["ErrorCode"].min_occurs == 1 and kids["ErrorMessage"].min_occurs == 1, name


def test_schema_matches_the_published_structure():
    published = xmlschema.XMLSchema10(str(Path(__file__).resolve().parent / "fixtures" / "caqh" / "CORERule2.2.0.xsd"))
    assert set(published.elements) == set(SCHEMA.elements)
    for name, decl in published.elements.items():
        ours = SCHEMA.elements[name]

        def shape(d):
            return [(e.local_name, e.min_occurs, e.max_occurs) for e in d.type.content.iter_elements()]

        assert shape(ours) == shape(decl), name


def envelopes_of(folder: str):
    """(sample, CORE element after XOP reconstitution) for every SOAP/MTOM sample of the folder."""
    out = []
    for path in sample_files(folder):
        raw = path.read_bytes()
        if path.suffix == ".xml":
            try:
                out.append((path.name, core_element(raw)[1]))
            except HOSTILE:
                continue
        elif path.suffix == ".http":
            _, headers, body = split_http(raw)
            ctype = params(headers.get("content-type", ""))
            if ctype.get_content_type() == "application/soap+xml":
                out.append((path.name, core_element(body)[1]))
            elif ctype.get_content_type() == "multipart/related":
                parts = multipart(headers["content-type"], body)
                if parts:
                    by_id = {(q["Content-ID"] or "").strip("<>"): q.get_payload(decode=True) for q in parts}
                    element = core_element(by_id[(ctype.get_param("start") or "").strip("<>")])[1]
                    out.append((path.name, reconstitute(element, by_id)))
    return out


VALID_ENVELOPES = envelopes_of("valid")
STRUCTURAL = {"rt-qualified-children.xml", "rt-wrong-order.xml", "rt-wrong-processing-mode.xml"}


@pytest.mark.parametrize("name,element", VALID_ENVELOPES, ids=[n for n, _ in VALID_ENVELOPES])
def test_valid_envelopes_validate(name, element):
    errors = list(SCHEMA.iter_errors(element))
    assert not errors, f"{name}: {errors[0] if errors else ''}"


def test_every_valid_soap_sample_was_schema_checked():
    names = {n for n, _ in VALID_ENVELOPES}
    assert {
        "rt-270-soap-request.http",
        "rt-271-soap-response.http",
        "batch-270-mtom-submission.http",
        "results-271-mtom-response.http",
        "acks-mtom-response.http",
    } <= names
    elements = {local(e.tag) for _, e in VALID_ENVELOPES}
    assert len(elements) >= 7


def test_structural_invalid_envelopes_fail_the_schema_and_value_errors_do_not():
    invalid = dict(envelopes_of("invalid"))
    assert STRUCTURAL <= set(invalid)
    for name, element in invalid.items():
        failed = bool(list(SCHEMA.iter_errors(element)))
        # the schema is the structural layer only: value rules (UUID, ReceiverID, version, timestamp) are not in it
        assert failed == (name in STRUCTURAL), name


def test_wsdl_names_one_soap12_action_per_web_method():
    tree = SafeET.parse(str(WSDL), forbid_dtd=True)
    root = tree.getroot()
    assert root.tag == f"{{{WSDL_NS}}}definitions"
    bindings = root.findall(f"{{{WSDL_NS}}}binding")
    assert bindings
    actions: dict[str, str] = {}
    for binding in bindings:
        b = binding.find(f"{{{SOAP12_WSDL_NS}}}binding")
        assert b is not None and b.get("style") == "document"
        for op in binding.findall(f"{{{WSDL_NS}}}operation"):
            soap_op = op.find(f"{{{SOAP12_WSDL_NS}}}operation")
            assert soap_op is not None, op.get("name")
            assert op.get("name") not in actions, f"{op.get('name')} bound twice"
            actions[op.get("name")] = soap_op.get("soapAction")
            for io in ("input", "output"):
                body = op.find(f"{{{WSDL_NS}}}{io}/{{{SOAP12_WSDL_NS}}}body")
                assert body is not None and body.get("use") == "literal"
    methods = spec()["core"]["web_methods"]
    assert actions == {m: m for m in methods}
    # each method's input/output messages carry the envelope elements feed.yaml names
    messages = {
        m.get("name"): m.find(f"{{{WSDL_NS}}}part").get("element").split(":")[1]
        for m in root.findall(f"{{{WSDL_NS}}}message")
    }
    for pt in root.findall(f"{{{WSDL_NS}}}portType"):
        for op in pt.findall(f"{{{WSDL_NS}}}operation"):
            m = methods[op.get("name")]
            assert messages[op.find(f"{{{WSDL_NS}}}input").get("message").split(":")[1]] == m["request"]
            assert messages[op.find(f"{{{WSDL_NS}}}output").get("message").split(":")[1]] == m["response"]
            assert (op.find(f"{{{WSDL_NS}}}documentation") is None) == m["supported"], op.get("name")
    assert set(messages.values()) == set(SCHEMA.elements)
    imp = root.find(
        f"{{{WSDL_NS}}}types/{{http://www.w3.org/2001/XMLSchema}}schema/{{http://www.w3.org/2001/XMLSchema}}import"
    )
    assert (SPEC / imp.get("schemaLocation")).is_file()


def test_wsdl_parses_with_lxml():
    etree = pytest.importorskip("lxml.etree")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    assert etree.parse(str(WSDL), parser).getroot().tag == f"{{{WSDL_NS}}}definitions"


# --------------------------------------------------------------------------------------------------
# Hostile XML
# --------------------------------------------------------------------------------------------------
HOSTILE_SAMPLES = sorted((SAMPLES / "invalid").glob("hostile-*.xml"))


@pytest.mark.parametrize("path", HOSTILE_SAMPLES, ids=[p.name for p in HOSTILE_SAMPLES])
def test_hostile_xml_is_refused_and_never_expanded(path):
    raw = path.read_bytes()
    with pytest.raises(DTDForbidden):
        SafeET.fromstring(raw, forbid_dtd=True)
    if b"<!ENTITY" in raw:  # even with DTDs allowed, entity declarations are refused before any expansion
        with pytest.raises(EntitiesForbidden):
            SafeET.fromstring(raw, forbid_dtd=False, forbid_entities=True)
    assert oracle(path, {}) == [("WEBBBS-SOAP-10", None, "xml:DOCTYPE")]


def test_there_are_three_kinds_of_hostile_sample():
    names = {p.name for p in HOSTILE_SAMPLES}
    assert names == {"hostile-external-entity.xml", "hostile-entity-bomb.xml", "hostile-external-dtd.xml"}


# --------------------------------------------------------------------------------------------------
# X12
# --------------------------------------------------------------------------------------------------
X12_VALID = sorted((SAMPLES / "valid").glob("*.x12"))


@pytest.mark.parametrize("path", X12_VALID, ids=[p.name for p in X12_VALID])
def test_x12_envelopes_count(path):
    text = path.read_text(encoding="utf-8")
    for interchange in text.split("\x1c"):
        isa = interchange[:106]
        sep, term = isa[3], isa[105]
        assert len(isa) == 106 and isa.startswith("ISA")
        assert [len(f) for f in isa[:105].split(sep)] == ISA_WIDTHS
        assert term not in (sep, isa[104]) and not term.isalnum()
        segments = [s.split(sep) for s in interchange[106:].split(term) if s]
        names = [s[0] for s in segments]
        assert names[-1] == "IEA" and names.count("GS") == int(segments[-1][1])
        assert segments[-1][2] == isa[:105].split(sep)[13]
        st = None
        for i, seg in enumerate(segments):
            if seg[0] == "ST":
                st = i
            elif seg[0] == "SE":
                assert int(seg[1]) == i - st + 1 and seg[2] == segments[st][2]
            elif seg[0] == "GE":
                gs = max(j for j in range(i) if segments[j][0] == "GS")
                assert int(seg[1]) == sum(1 for s in segments[gs:i] if s[0] == "ST") and seg[2] == segments[gs][6]
    assert oracle(path, {}) == []


# --------------------------------------------------------------------------------------------------
# Samples: valid ones give no finding; invalid ones exactly the expected ones.
# --------------------------------------------------------------------------------------------------
VALID = sample_files("valid")
INVALID = sample_files("invalid")


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_samples_give_no_findings(path):
    assert oracle(path, {}) == []
    assert not path.with_name(path.stem + ".expected.json").exists()


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_samples_give_exactly_their_expected_findings(path):
    exp = expected(path)
    assert exp["options"]["feed"] == "webbbs" and exp["options"]["kind"] in feed().kinds
    assert exp["findings"], path.name
    for f in exp["findings"]:
        assert set(f) == {"requirement", "code", "location"}
        req = feed().requirements[f["requirement"]]
        if f["code"] is not None and req.code and not req.code.startswith("<Field>"):
            assert f["code"] == req.code, path.name
    assert as_set(oracle(path, exp["options"])) == as_set(exp["findings"])


def test_every_expected_file_has_its_sample():
    samples = {p.with_name(p.stem + ".expected.json") for p in INVALID}
    assert sorted(p.name for p in (SAMPLES / "invalid").glob("*.expected.json") if p not in samples) == []


def test_the_briefs_invalid_cases_are_present():
    names = {p.name for p in INVALID}
    for needed in (
        "rt-wrong-processing-mode.xml",
        "rt-qualified-children.xml",
        "batch-bad-checksum.http",
        "batch-payloadlength-mismatch.http",
        "rt-non-uuid-payloadid.xml",
        "rt-wrong-receiverid.xml",
        "rt-wrong-version.xml",
        "x12-isa-wrong-width.x12",
        "x12-se-count-mismatch.x12",
        "x12-gs08-mismatch.x12",
        "doc-fig01-rt-soap-request.http",
    ):
        assert needed in names, needed


# --------------------------------------------------------------------------------------------------
# The validators: `payercert validate` gives exactly what the oracle and the expected files say.
# --------------------------------------------------------------------------------------------------
def validate(path: Path, options: dict):
    from payercert.validators.engine import Options, validate_file

    kind_options = {"payload_type": options["payload_type"]} if options.get("payload_type") else {}
    return validate_file(path, Options(readings=options.get("readings", {}), kind_options=kind_options))


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_validator_finds_nothing_in_valid_samples(path):
    report = validate(path, {})
    assert report.unusable is None and report.feed == "webbbs"
    assert report.findings == [], [(f.requirement, f.location.pointer, f.message) for f in report.findings]


@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_validator_gives_exactly_the_expected_findings(path):
    _, report = golden.check(path, "webbbs")
    assert report["kind"] == expected(path)["options"]["kind"]
    assert all(f["message"] and "\n" not in f["message"] for f in report["findings"])


def test_validator_reads_the_documented_readings():
    fig6 = SAMPLES / "invalid" / "doc-fig06-batch-mime-submission.http"
    strict = {f.requirement for f in validate(fig6, {}).findings}
    lenient = {f.requirement for f in validate(fig6, {"readings": {"WEBBBS-R-CHECKSUM-NAME": "document"}}).findings}
    assert "WEBBBS-MIME-3" in strict and "WEBBBS-MIME-3" not in lenient
    fig8 = SAMPLES / "invalid" / "doc-fig08-batch-mime-response.http"
    lenient = validate(fig8, {"readings": {"WEBBBS-R-ERROR-FIELD": "error-description"}}).findings
    assert "WEBBBS-MIME-4" not in {f.requirement for f in lenient}


def test_every_envelope_check_names_a_requirement_of_the_catalogue():
    """The CORE validator makes only the checks a feed maps to a requirement: WebBBS maps every one."""
    import json

    from payercert.feeds import load_feed

    feed = load_feed("webbbs")
    schema = json.loads((feed.root.parent / "feed.schema.json").read_text(encoding="utf-8"))
    checks = set(schema["properties"]["core"]["properties"]["rules"]["propertyNames"]["enum"])
    rules = feed.spec["core"]["rules"]
    assert set(rules) == checks
    assert set(rules.values()) <= set(feed.requirements)
    assert set(feed.spec["core"]["readings"].values()) <= set(feed.readings)
