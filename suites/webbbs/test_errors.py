"""Envelope errors: from a valid envelope, break one field and expect the documented ErrorCode with
HTTP 200 (4.1, 4.1.1); credentials that fail get HTTP 403; valid envelopes always succeed."""
import uuid

import pytest
from hypothesis import given, strategies as st

from payercert.suites.webbbs.client import PAYER, x12_270, x12_276

requirement = pytest.mark.requirement
text = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="<>&"), min_size=1, max_size=20)

# field -> (a strategy of wrong values, the ErrorCode 4.1.1 prescribes)
BREAKS = {
    "PayloadID": (text.filter(lambda v: not _is_uuid(v)), "PayloadIDIllegal"),
    "ReceiverID": (text.filter(lambda v: v != PAYER), "ReceiverIDIllegal"),
    "CORERuleVersion": (st.sampled_from(["2.0.0", "2.1.0", "2.2", "3.0.0"]) | text.filter(lambda v: v != "2.2.0"),
                        "VersionMismatch"),
    "TimeStamp": (st.sampled_from(["2012-11-19T15:58:13", "2014-07-09T11:35:45+03:00", "2020-03-05 02:34:15.487",
                                   "yesterday"]), "TimeStampIllegal"),
    "SenderID": (text, "SenderIDIllegal"),
}
REQUIREMENT_OF = {"PayloadID": "WEBBBS-ENVELOPE-4", "ReceiverID": "WEBBBS-ENVELOPE-8",
                  "CORERuleVersion": "WEBBBS-ENVELOPE-9", "TimeStamp": "WEBBBS-ENVELOPE-6",
                  "SenderID": "WEBBBS-ENVELOPE-7"}


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


@pytest.mark.parametrize("name", [pytest.param(n, marks=requirement(REQUIREMENT_OF[n])) for n in BREAKS], ids=list(BREAKS))
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_broken_field_gets_its_error_code(webbbs, name, form):
    """One illegal field value: HTTP 200 and the field's ErrorCode (4.1.1)"""
    strategy, code = BREAKS[name]

    @given(value=strategy)
    def check(value):
        if name == "SenderID" and value == webbbs.tp:
            return
        ex = webbbs.realtime(form=form, **{name: value})
        assert ex.msg is not None, f"{REQUIREMENT_OF[name]}: {name}={value!r}: {ex.explain()}"
        assert (ex.status, ex.code) == (200, code), \
            f"{REQUIREMENT_OF[name]}: {name}={value!r}: expected HTTP 200 {code}, got {ex.explain()}"

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
    assert ex.msg is not None and (ex.status, ex.code) == (200, "ChecksumMismatched"), f"WEBBBS-PAYLOAD-2: {ex.explain()}"


@requirement("WEBBBS-ENVELOPE-5")
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_duplicate_payload_id_refused(webbbs, form):
    """A PayloadID used twice by the same sender in the same mode: the second gets Sender"""
    payload_id = str(uuid.uuid4())
    first = webbbs.realtime(form=form, PayloadID=payload_id)
    assert first.code == "Success", first.explain()
    second = webbbs.realtime(form=form, PayloadID=payload_id)
    assert second.msg is not None and second.code == "Sender", f"WEBBBS-ENVELOPE-5: reused PayloadID: {second.explain()}"


@requirement("WEBBBS-ERROR-6")
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_bad_credentials_refused(webbbs, form, target):
    """A wrong password: not processed, HTTP 403 (or the reading's status) and ErrorCode UnAuthorized"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    msg.password = "Wr0ng#" + uuid.uuid4().hex[:8]
    ex = webbbs.send(msg, form=form)
    expected = {"http-403": 403, "envelope-200": 200, "http-401": 401}[target.reading("WEBBBS-R-AUTH-FAILURE")]
    assert ex.status == expected, f"WEBBBS-ERROR-6: HTTP {ex.status}, expected {expected}"
    assert ex.msg is None or ex.code in ("UnAuthorized",), f"WEBBBS-ERROR-6: {ex.explain()}"


@requirement("WEBBBS-PASSWORD-8")
def test_aged_password_refused(webbbs, target):
    """A password 90 days old is refused: nothing is processed until it is changed (7.3.2)"""
    account = target.require_account("aged_password")
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1",
                          x12_270(account["username"], webbbs.control()), SenderID=account["username"])
    msg.username, msg.password = account["username"], account["password"]
    ex = webbbs.send(msg)
    assert ex.status in (401, 403) or (ex.msg is not None and ex.code == "UnAuthorized"), \
        f"WEBBBS-PASSWORD-8: an aged password was accepted: {ex.explain()}"
    assert ex.code != "Success", f"WEBBBS-PASSWORD-8: {ex.explain()}"


@requirement("WEBBBS-ERROR-4", "WEBBBS-REALTIME-4")
@given(member=st.from_regex(r"\A[A-Z0-9]{6,15}\Z"), trace=st.from_regex(r"\A[0-9A-Z-]{4,20}\Z"),
       kind=st.sampled_from(["270", "276"]), form=st.sampled_from(["soap", "mime"]))
def test_valid_envelopes_succeed(webbbs, member, trace, kind, form):
    """Any valid envelope around generated X12 is answered HTTP 200 Success"""
    if kind == "270":
        payload, ptype = x12_270(webbbs.tp, webbbs.control(), member, trace), "X12_270_Request_005010X279A1"
    else:
        payload, ptype = x12_276(webbbs.tp, webbbs.control(), member), "X12_276_Request_005010X212"
    ex = webbbs.realtime(ptype, payload, form=form)
    assert (ex.status, ex.code) == (200, "Success"), f"WEBBBS-ERROR-4: {ex.explain()}"
