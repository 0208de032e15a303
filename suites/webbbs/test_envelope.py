"""Response envelopes: schema-valid, PayloadID and ProcessingMode echoed, SenderID/ReceiverID swapped,
ErrorCode/ErrorMessage present, payload type paired with the request, X12 answering the request."""

import pytest

from payercert.feeds import load_feed
from payercert.suites.webbbs.client import PAYER, schema, segments, x12_270
from payercert.validators.core_checks import check_message

requirement = pytest.mark.requirement
SPEC = load_feed("webbbs").spec
PAIRS = {(p["mode"], p["request"]): p["responses"] for p in SPEC["payload_pairs"]}
CASES = [
    ("soap", "X12_270_Request_005010X279A1"),
    ("soap", "X12_276_Request_005010X212"),
    ("mime", "X12_270_Request_005010X279A1"),
    ("mime", "X12_276_Request_005010X212"),
]
IDS = [f"{form}-{ptype[4:7]}" for form, ptype in CASES]


def answered(ex):
    assert ex.msg is not None and ex.code == "Success", f"RealTime request not answered: {ex.explain()}"
    return ex.msg


@pytest.mark.parametrize("form,ptype", CASES, ids=IDS)
@requirement("WEBBBS-ENVELOPE-11")
def test_payload_id_and_mode_echoed(webbbs, form, ptype):
    """A response carries its request's PayloadID and ProcessingMode"""
    ex = webbbs.realtime(ptype, form=form)
    msg = answered(ex)
    sent = ex.request.fields["PayloadID"]
    assert msg.fields.get("PayloadID") == sent, (
        f"WEBBBS-ENVELOPE-11: PayloadID {msg.fields.get('PayloadID')!r}, sent {sent!r}"
    )
    assert msg.fields.get("ProcessingMode") == "RealTime"


@pytest.mark.parametrize("form", ["mtom", "mime"])
@pytest.mark.parametrize("message", ["submission", "results retrieval", "acknowledgment retrieval"])
@requirement("WEBBBS-ENVELOPE-11")
def test_batch_payload_id_and_mode_echoed(webbbs, form, message):
    """A batch response carries its request's PayloadID and ProcessingMode Batch, whatever the batch message"""
    ex = {
        "submission": lambda: webbbs.submit(x12_270(webbbs.tp, webbbs.control()), form=form),
        "results retrieval": lambda: webbbs.results(form=form),
        "acknowledgment retrieval": lambda: webbbs.acks(form=form),
    }[message]()
    assert ex.msg is not None, f"WEBBBS-ENVELOPE-11: the batch {message} was not answered: {ex.explain()}"
    sent = ex.request.fields["PayloadID"]
    assert ex.msg.fields.get("PayloadID") == sent, (
        f"WEBBBS-ENVELOPE-11: PayloadID {ex.msg.fields.get('PayloadID')!r}, sent {sent!r}"
    )
    mode = ex.msg.fields.get("ProcessingMode")
    assert mode == "Batch", f"WEBBBS-ENVELOPE-11: ProcessingMode {mode!r} answering a Batch request"


@pytest.mark.parametrize("form,ptype", CASES, ids=IDS)
@requirement(
    "WEBBBS-SOAP-1",
    "WEBBBS-SOAP-3",
    "WEBBBS-MIME-8",
    "WEBBBS-ENVELOPE-2",
    "WEBBBS-ENVELOPE-6",
    "WEBBBS-MIME-5",
    "WEBBBS-ERROR-1",
)
def test_realtime_answer_passes_the_envelope_rules(webbbs, form, ptype):
    """A RealTime answer comes as SOAP 1.2 (application/soap+xml) or MIME (multipart/form-data), and its
    envelope passes the field rules: ProcessingMode exactly RealTime, TimeStamp in UTC, the documented field names"""
    ex = webbbs.realtime(ptype, form=form)
    media = ex.response.headers.get("content-type", "").split(";")[0].strip().lower()
    wanted, rule = (
        ("application/soap+xml", "WEBBBS-SOAP-1") if form == "soap" else ("multipart/form-data", "WEBBBS-MIME-8")
    )
    assert media == wanted, f"{rule}: a RealTime answer came as {media!r}, not {wanted}"
    assert ex.msg is not None, f"{ex.breaks or rule}: {ex.explain()}"
    problems = check_message(ex.msg, SPEC, "response")  # before success: an unknown ErrorCode is a rule's
    assert not problems, f"{problems[0].requirement}: {problems[0].message}"
    mode = answered(ex).fields.get("ProcessingMode")
    assert mode == "RealTime", f"WEBBBS-ENVELOPE-2: a RealTime answer says ProcessingMode {mode!r}"


@pytest.mark.parametrize("form,ptype", CASES, ids=IDS)
@requirement("WEBBBS-ENVELOPE-10")
def test_sender_and_receiver_swapped(webbbs, form, ptype):
    """A response's SenderID is 716007869 and its ReceiverID the trading partner"""
    msg = answered(webbbs.realtime(ptype, form=form))
    assert (msg.fields.get("SenderID"), msg.fields.get("ReceiverID")) == (PAYER, webbbs.tp), (
        f"WEBBBS-ENVELOPE-10: SenderID/ReceiverID {msg.fields.get('SenderID')!r}/{msg.fields.get('ReceiverID')!r}"
    )


@pytest.mark.parametrize("form,ptype", CASES, ids=IDS)
@requirement("WEBBBS-ENVELOPE-12")
def test_error_code_and_message_present(webbbs, form, ptype, target):
    """Every response carries ErrorCode and ErrorMessage, on success and on an envelope error"""
    name = (
        "ErrorDescription"
        if form == "mime" and target.reading("WEBBBS-R-ERROR-FIELD") == "error-description"
        else "ErrorMessage"
    )
    ok = answered(webbbs.realtime(ptype, form=form))
    assert ok.fields.get(name) == "", f"WEBBBS-ENVELOPE-12: {name} {ok.fields.get(name)!r} on success, expected empty"
    bad = webbbs.realtime(ptype, form=form, CORERuleVersion="2.0.0")
    assert bad.msg is not None and bad.code not in (None, "Success"), bad.explain()
    assert bad.msg.fields.get(name), f"WEBBBS-ENVELOPE-12: no {name} describing {bad.code}"


@pytest.mark.parametrize("form,ptype", CASES, ids=IDS)
@requirement("WEBBBS-PAYLOAD-3", "WEBBBS-REALTIME-4", "WEBBBS-REALTIME-5")
def test_response_type_and_x12_answer(webbbs, form, ptype):
    """The answer is HTTP 200 with the paired payload type, and its X12 answers the request's control numbers"""
    ex = webbbs.realtime(ptype, form=form)
    msg = answered(ex)
    assert ex.status == 200, f"WEBBBS-REALTIME-5: HTTP {ex.status}"
    expected = PAIRS[("RealTime", ptype)]
    assert msg.payload_type in expected, f"WEBBBS-PAYLOAD-3: PayloadType {msg.payload_type!r}, expected {expected}"
    sent, got = segments(ex.request.payload), segments(msg.payload or b"")
    assert got, "WEBBBS-REALTIME-4: the response payload is not an X12 interchange"
    first = {s[0]: s for s in reversed(got)}
    want = {s[0]: s for s in reversed(sent)}
    assert first["ST"][1] == {"270": "271", "276": "277"}[want["ST"][1]], f"WEBBBS-REALTIME-4: ST01 {first['ST'][1]}"
    assert first["ISA"][13] == want["ISA"][13], "WEBBBS-REALTIME-4: ISA13 does not answer the request's"
    assert first["GS"][6] == want["GS"][6] and first["ST"][2] == want["ST"][2], (
        "WEBBBS-REALTIME-4: GS06/ST02 do not answer the request's"
    )


@requirement("WEBBBS-ENVELOPE-1")
@pytest.mark.parametrize("kind", ["realtime", "batch-receipt", "acks"])
def test_response_envelopes_schema_valid(webbbs, kind):
    """Response envelopes validate against the CORE 2.2.0 schema (unqualified children in order)"""
    ex = {
        "realtime": lambda: webbbs.realtime(),
        "batch-receipt": lambda: webbbs.submit(webbbs_payload(webbbs)),
        "acks": lambda: webbbs.acks(),
    }[kind]()
    assert ex.msg is not None, f"WEBBBS-ENVELOPE-1: {ex.explain()}"
    assert not ex.msg.qualified, f"WEBBBS-ENVELOPE-1: children {ex.msg.qualified} are namespace-qualified"
    from lxml import etree

    tree = etree.ElementTree(etree.fromstring(etree.tostring(ex.msg.core_xml)))
    xsd = schema()
    assert xsd.validate(tree), f"WEBBBS-ENVELOPE-1: {xsd.error_log.last_error}"


def webbbs_payload(webbbs):
    from payercert.suites.webbbs.client import x12_270

    return x12_270(webbbs.tp, webbbs.control())
