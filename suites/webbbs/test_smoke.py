"""Smoke: read-only requests that show the service answers its envelopes (nothing is uploaded)."""

import pytest

requirement = pytest.mark.requirement


@pytest.mark.smoke
@requirement("WEBBBS-BATCH-9", "WEBBBS-BATCH-10")
def test_ack_retrieval(webbbs):
    """An acknowledgment retrieval is answered Success with acks or NoBatchAckFile"""
    ex = webbbs.acks()
    assert ex.msg is not None and ex.code in ("Success", "FilesPending"), f"WEBBBS-BATCH-9: {ex.explain()}"
    if not ex.msg.payload:
        assert ex.msg.payload_type == "X12_005010_Response_NoBatchAckFile", f"WEBBBS-BATCH-10: {ex.explain()}"
    else:
        assert ex.msg.payload_type == "X12_005010_Response_Acks", f"WEBBBS-BATCH-9: {ex.explain()}"


@pytest.mark.smoke
@requirement("WEBBBS-ENVELOPE-9")
def test_realtime_envelope_error(webbbs):
    """A RealTime envelope with CORERuleVersion 2.0.0 gets VersionMismatch and is not processed"""
    ex = webbbs.realtime(CORERuleVersion="2.0.0")
    assert ex.msg is not None and (ex.status, ex.code) == (200, "VersionMismatch"), f"WEBBBS-ENVELOPE-9: {ex.explain()}"
