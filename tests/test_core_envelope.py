"""The CORE message codec: build -> parse gives back the same fields, credentials and payload octets,
in the three forms (SOAP 1.2, MTOM/XOP, MIME form-data); the feed's samples parse; malformed and
hostile input is a CoreSyntaxError, never a traceback or an expanded entity."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payercert.validators.core_envelope import (
    CoreMessage,
    CoreSyntaxError,
    as_http,
    build,
    build_mime,
    build_mtom,
    build_soap,
    ordered_fields,
    parse_message,
)
from payercert.validators.xmlsafe import XMLForbidden, XMLMalformed, parse_xml

SAMPLES = Path(__file__).resolve().parents[1] / "specs" / "webbbs" / "samples"
X12 = (SAMPLES / "valid" / "x12-270.x12").read_bytes()
BATCH = (SAMPLES / "valid" / "x12-batch-two-270.x12").read_bytes()


def rt_request(**over) -> CoreMessage:
    fields = {
        "PayloadType": "X12_270_Request_005010X279A1",
        "ProcessingMode": "RealTime",
        "PayloadID": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "TimeStamp": "2024-01-15T12:30:00Z",
        "SenderID": "TP000001",
        "ReceiverID": "716007869",
        "CORERuleVersion": "2.2.0",
    }
    base = dict(
        form="soap",
        element="COREEnvelopeRealTimeRequest",
        fields=fields,
        payload=X12,
        username="TP000001",
        password="Kp7#vRt2!qZ",
        action="RealTimeTransaction",
    )
    return CoreMessage(**{**base, **over})


def batch_submission(form="mtom", payload=BATCH) -> CoreMessage:
    fields = ordered_fields(
        "COREEnvelopeBatchSubmission",
        {
            "PayloadType": "X12_270_Request_005010X279A1",
            "ProcessingMode": "Batch",
            "PayloadID": "3c7d1ea9-41d1-3bfe-b746-f7924c7940ac",
            "PayloadLength": str(len(payload)),
            "TimeStamp": "2024-01-15T12:30:00Z",
            "SenderID": "TP000001",
            "ReceiverID": "716007869",
            "CORERuleVersion": "2.2.0",
            "CheckSum": hashlib.sha1(payload).hexdigest(),
        },
    )
    return CoreMessage(
        form=form,
        element="COREEnvelopeBatchSubmission",
        fields=fields,
        payload=payload,
        username="TP000001",
        password="Kp7#vRt2!qZ",
        action="BatchSubmitTransaction",
    )


def rt_response() -> CoreMessage:
    fields = {
        "PayloadType": "X12_271_Response_005010X279A1",
        "ProcessingMode": "RealTime",
        "PayloadID": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "TimeStamp": "2024-01-15T12:30:01Z",
        "SenderID": "716007869",
        "ReceiverID": "TP000001",
        "CORERuleVersion": "2.2.0",
        "ErrorCode": "Success",
        "ErrorMessage": "",
    }
    return CoreMessage(
        form="soap",
        element="COREEnvelopeRealTimeResponse",
        fields=fields,
        payload=(SAMPLES / "valid" / "x12-271.x12").read_bytes(),
        ws_timestamp={"created": "2024-01-15T12:30:01Z", "expires": "2024-01-15T12:35:01Z"},
    )


def same(a: CoreMessage, b: CoreMessage):
    assert b.element == a.element
    assert b.fields == a.fields
    assert b.payload == a.payload
    assert b.username == a.username and b.password == a.password


@pytest.mark.parametrize("builder", [build_soap, build_mtom, build_mime], ids=["soap", "mtom", "mime"])
def test_realtime_request_round_trips(builder):
    msg = rt_request(form=builder.__name__.removeprefix("build_"))
    body, ctype = builder(msg)
    back = parse_message(body, ctype)
    same(msg, back)
    assert back.form == msg.form and back.direction == "request"
    if msg.form != "mime":
        assert back.action == "RealTimeTransaction"


def test_soap_realtime_payload_is_cdata_and_a_password_text_token():
    body, ctype = build_soap(rt_request())
    assert ctype.startswith("application/soap+xml") and 'action="RealTimeTransaction"' in ctype
    assert b"<![CDATA[ISA*00*" in body
    back = parse_message(body, ctype)
    assert back.payload_cdata is True and back.password_type.endswith("#PasswordText")
    assert back.qualified == () and back.children[-1] == "Payload"


@pytest.mark.parametrize("form", ["soap", "mtom", "mime"])
def test_batch_submission_round_trips_with_fs_separated_interchanges(form):
    msg = batch_submission(form)
    assert b"\x1c" in msg.payload
    body, ctype = build(msg)
    back = parse_message(body, ctype)
    same(msg, back)
    assert hashlib.sha1(back.payload).hexdigest() == back.fields["CheckSum"]
    assert back.fields["PayloadLength"] == str(len(back.payload))


def test_mtom_payload_is_a_binary_attachment_referenced_by_xop_include():
    payload = bytes(range(256)) + b"\r\n\r\n--not-a-boundary\r\n" + BATCH  # any octets survive
    body, ctype = build_mtom(batch_submission(payload=payload))
    assert ctype.startswith('multipart/related; type="application/xop+xml"') and "start-info=" in ctype
    back = parse_message(body, ctype)
    assert back.payload == payload and back.payload_encoding == "xop" and not back.payload_unresolved
    assert back.action == "BatchSubmitTransaction"
    # the schema view: the Payload element holds the base64 of the octets
    import base64

    assert base64.b64decode(back.core_xml.find("Payload").text) == payload


def test_response_round_trips_with_ws_timestamp_and_no_credentials():
    msg = rt_response()
    body, ctype = build_soap(msg)
    back = parse_message(body, ctype)
    same(msg, back)
    assert back.direction == "response" and back.ws_timestamp == msg.ws_timestamp and back.username is None


def test_mime_response_direction_and_element_come_from_the_fields():
    msg = rt_response()
    msg.form = "mime"
    body, ctype = build_mime(msg)
    back = parse_message(body, ctype)
    same(msg, back)
    assert back.element == "COREEnvelopeRealTimeResponse" and back.direction == "response"


def test_whole_http_message_parses_with_headers_and_lengths():
    body, ctype = build_soap(rt_request())
    raw = as_http("POST /soap/COREservice.svc/realtime HTTP/1.1", body, ctype, {"Host": "localhost"})
    back = parse_message(raw)
    assert back.start_line.startswith("POST ") and back.http_headers["Host"] == "localhost"
    assert back.body_length == len(body) and back.message_length == len(raw)
    assert back.http_headers["Content-Length"] == str(len(body))


def test_action_falls_back_to_the_soapaction_header():
    msg = rt_request(action=None)
    body, ctype = build_soap(msg)
    raw = as_http("POST /x HTTP/1.1", body, ctype, {"SOAPAction": '"RealTimeTransaction"'})
    assert parse_message(raw).action == "RealTimeTransaction"


def test_password_never_in_repr():
    assert "Kp7#" not in repr(rt_request())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    form=st.sampled_from(["soap", "mtom", "mime"]),
    payload=st.binary(min_size=1, max_size=300).filter(lambda b: b.strip() == b),
    sender=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters='"\\'), min_size=1, max_size=12
    ),
)
def test_any_batch_payload_and_sender_round_trip(form, payload, sender):
    msg = batch_submission(form, payload)
    msg.fields["SenderID"] = msg.username = sender
    if form == "soap":
        msg.fields.pop("PayloadLength")  # base64 in-line: no length needed to round-trip
    back = parse_message(*build(msg))
    same(msg, back)


@settings(max_examples=30, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200).filter(
        lambda t: t.strip() == t
    )
)
def test_realtime_text_round_trips_even_with_cdata_end(text):
    msg = rt_request(payload=(text + "]]>" + text).encode("utf-8"))
    back = parse_message(*build_soap(msg))
    assert back.payload == msg.payload


# --------------------------------------------------------------------------------------------------
# The feed's samples, malformed and hostile input
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", sorted(p for p in (SAMPLES / "valid").iterdir() if p.suffix in (".http", ".xml")), ids=lambda p: p.name
)
def test_valid_samples_parse(path):
    msg = parse_message(path.read_bytes())
    assert msg.element and msg.fields["CORERuleVersion"] == "2.2.0"
    if msg.fields.get("CheckSum") and msg.payload:
        assert hashlib.sha1(msg.payload).hexdigest() == msg.fields["CheckSum"].lower()


@pytest.mark.parametrize("name", ["hostile-entity-bomb.xml", "hostile-external-dtd.xml", "hostile-external-entity.xml"])
def test_hostile_xml_is_refused_before_expansion(name):
    raw = (SAMPLES / "invalid" / name).read_bytes()
    with pytest.raises(XMLForbidden):
        parse_xml(raw)
    with pytest.raises(CoreSyntaxError) as err:
        parse_message(raw)
    assert err.value.problem == "xml-forbidden" and err.value.location == "xml:DOCTYPE"


def test_feed_maps_syntax_problems_to_requirements():
    from payercert.feeds import load_feed

    with pytest.raises(CoreSyntaxError) as err:
        parse_message((SAMPLES / "invalid" / "hostile-entity-bomb.xml").read_bytes())
    assert err.value.for_feed(load_feed("webbbs").spec).requirement == "WEBBBS-SOAP-10"


@pytest.mark.parametrize(
    "raw,ctype,problem",
    [
        (b"<a><b></a>", None, "soap"),
        (b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>', None, "soap"),
        (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', None, "soap-body"),
        (b"--X\r\nContent-Disposition: form-data\r\n\r\nv\r\n--X--", "multipart/form-data; boundary=X", "mime"),
        (b"no parts here", "multipart/form-data; boundary=X", "mime"),
        (b"no parts here", 'multipart/related; type="application/xop+xml"; boundary=Y', "mtom"),
        (b"ISA*00*", "text/plain", "media-type"),
        (b"POST / HTTP/1.1\r\nbroken header\r\n\r\n", None, "http"),
    ],
)
def test_malformed_messages_raise_one_line_errors(raw, ctype, problem):
    with pytest.raises(CoreSyntaxError) as err:
        parse_message(raw, ctype)
    assert err.value.problem == problem and "\n" not in err.value.message


def test_xml_malformed_has_a_position():
    with pytest.raises(XMLMalformed) as err:
        parse_xml(b"<a>\n<b></a>")
    assert err.value.line == 2


def test_a_misspelt_response_field_is_named_as_misspelt_not_missing():
    """CORERulesVersion for CORERuleVersion is WEBBBS-MIME-5's "field names are those of the tables";
    no two field names of the tables are that close, so a near miss is never another field."""
    import itertools

    import yaml

    from payercert.feeds import load_feed
    from payercert.validators.core_checks import _near_miss

    assert _near_miss("CORERuleVersion", {"CORERulesVersion", "PayloadID"}) == "CORERulesVersion"
    assert _near_miss("PayloadID", {"PayloadId"}) == "PayloadId"
    assert _near_miss("PayloadID", {"PayloadType", "ErrorCode"}) is None
    feed = load_feed("webbbs")
    tables = yaml.safe_load((feed.root / "mime-fields.yaml").read_text(encoding="utf-8"))
    names = sorted({f["name"] for m in tables["messages"].values() for f in m["fields"]})
    assert not [(a, b) for a, b in itertools.combinations(names, 2) if _near_miss(a, {b})]
