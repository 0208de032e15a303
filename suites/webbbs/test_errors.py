"""Envelope errors: from a valid envelope, break one field and expect the documented ErrorCode with
HTTP 200 (4.1, 4.1.1); credentials that fail get HTTP 403; valid envelopes always succeed."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payercert.examples import every
from payercert.suites.webbbs.client import PAYER, x12_270, x12_276

requirement = pytest.mark.requirement
text = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="<>&"), min_size=1, max_size=20)

# Wrong values every run tries, whatever the draw: the versions and time forms real senders use.
VERSIONS = ["2.0.0", "2.1.0", "2.2", "3.0.0"]
TIMESTAMPS = ["2012-11-19T15:58:13", "2014-07-09T11:35:45+03:00", "2020-03-05 02:34:15.487", "yesterday"]
ALWAYS = {
    "CORERuleVersion": VERSIONS,
    "TimeStamp": TIMESTAMPS,
    "PayloadID": ["not-a-uuid", "f81d4fae7dec11d0a76500a0c91e6bf6"],  # a UUID without its dashes
    "ReceiverID": [PAYER + "0", PAYER[:-1]],
}

# field -> (a strategy of wrong values, the ErrorCode 4.1.1 prescribes)
BREAKS = {
    "PayloadID": (text.filter(lambda v: not _is_uuid(v)), "PayloadIDIllegal"),
    "ReceiverID": (text.filter(lambda v: v != PAYER), "ReceiverIDIllegal"),
    "CORERuleVersion": (st.sampled_from(VERSIONS) | text.filter(lambda v: v != "2.2.0"), "VersionMismatch"),
    "TimeStamp": (st.sampled_from(TIMESTAMPS), "TimeStampIllegal"),
    "SenderID": (text, "SenderIDIllegal"),
}
REQUIREMENT_OF = {
    "PayloadID": "WEBBBS-ENVELOPE-4",
    "ReceiverID": "WEBBBS-ENVELOPE-8",
    "CORERuleVersion": "WEBBBS-ENVELOPE-9",
    "TimeStamp": "WEBBBS-ENVELOPE-6",
    "SenderID": "WEBBBS-ENVELOPE-7",
}


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _named(field: str) -> tuple[str, ...]:
    """The field's own rule, and ERROR-3 where the server answers <Field>Illegal (4.1.1)."""
    illegal = BREAKS[field][1].endswith("Illegal")
    return (REQUIREMENT_OF[field], "WEBBBS-ERROR-3") if illegal else (REQUIREMENT_OF[field],)


@pytest.mark.parametrize("name", [pytest.param(n, marks=requirement(*_named(n))) for n in BREAKS], ids=list(BREAKS))
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_broken_field_gets_its_error_code(webbbs, name, form):
    """One illegal field value: HTTP 200 and the field's ErrorCode (4.1.1)"""
    strategy, code = BREAKS[name]

    @given(value=strategy)
    @every([{"value": v} for v in ALWAYS.get(name, [])])
    def check(value):
        if name == "SenderID" and value == webbbs.tp:
            return
        ex = webbbs.realtime(form=form, **{name: value})
        assert ex.msg is not None, f"{REQUIREMENT_OF[name]}: {name}={value!r}: {ex.explain()}"
        assert (ex.status, ex.code) == (200, code), (
            f"{REQUIREMENT_OF[name]}: {name}={value!r}: expected HTTP 200 {code}, got {ex.explain()}"
        )

    check()


@pytest.mark.parametrize("name", ["PayloadType", "PayloadID", "TimeStamp", "ReceiverID", "CORERuleVersion"])
@requirement("WEBBBS-ERROR-2")
def test_missing_field_is_required(webbbs, name):
    """A missing required field: <Field>Required"""
    ex = webbbs.realtime(form="mime", **{name: None})
    assert ex.msg is not None and ex.code == f"{name}Required", f"WEBBBS-ERROR-2: without {name}: {ex.explain()}"


@requirement("WEBBBS-PAYLOAD-2")
@pytest.mark.mutating
@pytest.mark.parametrize("form", ["mtom", "mime"])
def test_checksum_mismatch(webbbs, form):
    """A batch whose CheckSum is not the SHA-1 of its payload: ChecksumMismatched, not uploaded"""
    ex = webbbs.submit(x12_270(webbbs.tp, webbbs.control()), form=form, CheckSum="0" * 40)
    assert ex.msg is not None and (ex.status, ex.code) == (200, "ChecksumMismatched"), (
        f"WEBBBS-PAYLOAD-2: {ex.explain()}"
    )


@requirement("WEBBBS-ENVELOPE-5")
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_duplicate_payload_id_refused(webbbs, form):
    """A PayloadID used twice by the same sender in the same mode: the second gets Sender"""
    payload_id = str(uuid.uuid4())
    first = webbbs.realtime(form=form, PayloadID=payload_id)
    assert first.code == "Success", first.explain()
    second = webbbs.realtime(form=form, PayloadID=payload_id)
    assert second.msg is not None and second.code == "Sender", (
        f"WEBBBS-ENVELOPE-5: reused PayloadID: {second.explain()}"
    )


@requirement("WEBBBS-ERROR-6")
@pytest.mark.parametrize(
    "method,form",
    [
        ("RealTimeTransaction", "soap"),
        ("RealTimeTransaction", "mime"),
        ("BatchSubmitTransaction", "mtom"),
        ("BatchSubmitTransaction", "mime"),
    ],
    ids=["realtime-soap", "realtime-mime", "batch-mtom", "batch-mime"],
)
def test_bad_credentials_refused(webbbs, method, form, target):
    """A wrong password, RealTime or batch: not processed, HTTP 403 (or the reading's status) and ErrorCode UnAuthorized"""
    msg = webbbs.envelope(method, "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    msg.password = "Wr0ng#" + uuid.uuid4().hex[:8]
    ex = webbbs.send(msg, form=form)
    expected = {"http-403": 403, "envelope-200": 200, "http-401": 401}[target.reading("WEBBBS-R-AUTH-FAILURE")]
    assert ex.status == expected, f"WEBBBS-ERROR-6: HTTP {ex.status}, expected {expected}"
    assert ex.msg is None or ex.code in ("UnAuthorized",), f"WEBBBS-ERROR-6: {ex.explain()}"


@requirement("WEBBBS-PASSWORD-8")
def test_aged_password_refused(webbbs, target):
    """A password 90 days old is refused: nothing is processed until it is changed (7.3.2)"""
    account = target.require_account("aged_password")
    msg = webbbs.envelope(
        "RealTimeTransaction",
        "X12_270_Request_005010X279A1",
        x12_270(account["username"], webbbs.control()),
        SenderID=account["username"],
    )
    msg.username, msg.password = account["username"], account["password"]
    ex = webbbs.send(msg)
    assert ex.status in (401, 403) or (ex.msg is not None and ex.code == "UnAuthorized"), (
        f"WEBBBS-PASSWORD-8: an aged password was accepted: {ex.explain()}"
    )
    assert ex.code != "Success", f"WEBBBS-PASSWORD-8: {ex.explain()}"


@requirement("WEBBBS-ERROR-4", "WEBBBS-REALTIME-4")
@given(
    member=st.from_regex(r"\A[A-Z0-9]{6,15}\Z"),
    trace=st.from_regex(r"\A[0-9A-Z-]{4,20}\Z"),
    kind=st.sampled_from(["270", "276"]),
    form=st.sampled_from(["soap", "mime"]),
)
def test_valid_envelopes_succeed(webbbs, member, trace, kind, form):
    """Any valid envelope around generated X12 is answered HTTP 200 Success"""
    if kind == "270":
        payload, ptype = x12_270(webbbs.tp, webbbs.control(), member, trace), "X12_270_Request_005010X279A1"
    else:
        payload, ptype = x12_276(webbbs.tp, webbbs.control(), member), "X12_276_Request_005010X212"
    ex = webbbs.realtime(ptype, payload, form=form)
    assert (ex.status, ex.code) == (200, "Success"), f"WEBBBS-ERROR-4: {ex.explain()}"


@requirement("WEBBBS-PASSWORD-11")
@pytest.mark.parametrize("method", ["submit", "acks", "results"])
def test_aged_password_blocks_batch_work(webbbs, target, method):
    """From its 90th day a web service password uploads, lists and downloads nothing (7.3.2)"""
    account = target.require_account("aged_password")
    user = account["username"]
    if method == "submit":
        msg = webbbs.envelope(
            "BatchSubmitTransaction", "X12_270_Request_005010X279A1", x12_270(user, webbbs.control()), SenderID=user
        )
    elif method == "acks":
        msg = webbbs.envelope("BatchSubmitAckRetrievalTransaction", "X12_005010_Request_Acks", SenderID=user)
    else:
        msg = webbbs.envelope("BatchResultsRetrievalTransaction", "X12_005010_Request_Batch_Results_271", SenderID=user)
    msg.username, msg.password = user, account["password"]
    ex = webbbs.send(msg)
    assert ex.code != "Success" and (ex.status in (401, 403) or ex.code == "UnAuthorized"), (
        f"WEBBBS-PASSWORD-11: an aged password could {method}: {ex.explain()}"
    )
    assert ex.msg is None or not ex.msg.payload, "WEBBBS-PASSWORD-11: files were handed to an aged password"


def _soap_with_header_block(msg, block: str) -> tuple[bytes, str]:
    from lxml import etree

    from payercert.validators.core_envelope import SOAP12_NS, build_soap

    body, content_type = build_soap(msg)
    root = etree.fromstring(body)
    header = root.find(f"{{{SOAP12_NS}}}Header")
    assert header is not None  # build_soap always writes the Header (WS-Security)
    header.append(etree.fromstring(block))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), content_type


@requirement("WEBBBS-SOAP-9")
def test_must_understand_header_not_understood(webbbs):
    """A mustUnderstand header block the service does not know: a SOAP MustUnderstand fault naming it"""
    from payercert.validators.core_envelope import SOAP12_NS
    from payercert.validators.xmlsafe import parse_xml

    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    block = f'<t:Trace xmlns:t="urn:example:trace" xmlns:s="{SOAP12_NS}" s:mustUnderstand="true">route-7</t:Trace>'
    body, content_type = _soap_with_header_block(msg, block)
    ex = webbbs.send(msg, body=body, content_type=content_type)
    assert ex.code != "Success", f"WEBBBS-SOAP-9: the request was processed: {ex.explain()}"
    assert ex.status == 500 and ex.response.content, f"WEBBBS-SOAP-9: HTTP {ex.status}, expected a SOAP fault (500)"
    root = parse_xml(ex.response.content)
    code = root.findtext(f".//{{{SOAP12_NS}}}Fault/{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") or ""
    assert code.split(":")[-1] in ("MustUnderstand", "NotUnderstood"), f"WEBBBS-SOAP-9: fault code {code!r}"
    named = [b.get("qname", "") for b in root.iter(f"{{{SOAP12_NS}}}NotUnderstood")]
    assert any(q.endswith(":Trace") for q in named), f"WEBBBS-SOAP-9: no NotUnderstood block names the header ({named})"


@requirement("WEBBBS-MIME-3")
@pytest.mark.mutating
def test_mime_checksum_field_name(webbbs, target):
    """The MIME checksum travels as CheckSum; the document's Checksum spelling is taken only by its reading"""
    payload = x12_270(webbbs.tp, webbbs.control())
    msg = webbbs.envelope("BatchSubmitTransaction", "X12_270_Request_005010X279A1", payload)
    msg.fields = {("Checksum" if k == "CheckSum" else k): v for k, v in msg.fields.items()}
    ex = webbbs.send(msg, form="mime")
    if target.reading("WEBBBS-R-CHECKSUM-NAME") == "xsd":
        assert ex.msg is not None and ex.code == "CheckSumRequired", (
            f"WEBBBS-MIME-3: a Checksum field stood for CheckSum: {ex.explain()}"
        )
    else:
        assert ex.code == "Success", f"WEBBBS-MIME-3: Checksum refused under its reading: {ex.explain()}"
    right = webbbs.submit(x12_270(webbbs.tp, webbbs.control()), form="mime")
    assert right.code == "Success", f"WEBBBS-MIME-3: CheckSum refused: {right.explain()}"


@requirement("WEBBBS-MIME-5")
def test_mime_field_names_are_the_tables(webbbs):
    """CORERulesVersion (the tables' misprint) is not CORERuleVersion: CORERuleVersionRequired"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    msg.fields = {("CORERulesVersion" if k == "CORERuleVersion" else k): v for k, v in msg.fields.items()}
    ex = webbbs.send(msg, form="mime")
    assert ex.msg is not None and ex.code == "CORERuleVersionRequired", f"WEBBBS-MIME-5: {ex.explain()}"
