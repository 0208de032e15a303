"""The web methods of Table 1: every supported one over SOAP and over MIME; the Generic* ones refused."""

import pytest

from payercert.suites.webbbs.client import x12_270

requirement = pytest.mark.requirement
SUPPORTED = [  # (method, request payload type, carries a payload, expected response payload types)
    ("RealTimeTransaction", "X12_270_Request_005010X279A1", True, {"X12_271_Response_005010X279A1"}),
    ("BatchSubmitTransaction", "X12_270_Request_005010X279A1", True, {"X12_BatchReceiptConfirmation"}),
    (
        "BatchSubmitAckRetrievalTransaction",
        "X12_999_RetrievalRequest_005010X231A1",
        False,
        {"X12_999_Response_005010X231A1", "X12_005010_Response_NoBatchAckFile"},
    ),
    (
        "BatchResultsRetrievalTransaction",
        "X12_835_Request_005010X221A1",
        False,
        {"X12_835_Response_005010X221A1", "X12_005010_Response_NoBatchResultsFile"},
    ),
    (
        "BatchResultsAckSubmitTransaction",
        "X12_999_SubmissionRequest_005010X231A1",
        True,
        {"X12_Response_ConfirmReceiptReceived"},
    ),
]


@pytest.mark.mutating
@pytest.mark.parametrize("form", ["soap", "mime"])
@pytest.mark.parametrize("method,ptype,with_payload,responses", SUPPORTED, ids=[s[0] for s in SUPPORTED])
@requirement("WEBBBS-SOAP-4", "WEBBBS-MIME-7")
def test_supported_method(webbbs, method, ptype, with_payload, responses, form):
    """Each supported web method is answered with Success and its paired payload type"""
    payload = x12_270(webbbs.tp, webbbs.control()) if with_payload else None
    msg = webbbs.envelope(method, ptype, payload)
    sent_form = "mime" if form == "mime" else ("soap" if method == "RealTimeTransaction" else "mtom")
    ex = webbbs.send(msg, form=sent_form)
    rid = "WEBBBS-MIME-7" if form == "mime" else "WEBBBS-SOAP-4"
    assert ex.msg is not None and ex.code in ("Success", "FilesPending"), f"{rid}: {method} over {form}: {ex.explain()}"
    assert ex.msg.payload_type in responses, f"{rid}: {method} over {form}: PayloadType {ex.msg.payload_type!r}"


@pytest.mark.parametrize(
    "method",
    [
        "GenericBatchSubmissionTransaction",
        "GenericBatchRetrievalTransaction",
        "GenericBatchReceiptConfirmationTransaction",
    ],
)
@requirement("WEBBBS-SOAP-5")
def test_unsupported_method_refused(webbbs, method):
    """Generic* web methods get ErrorCode Sender and are not processed"""
    ptype = {
        "GenericBatchSubmissionTransaction": "X12_270_Request_005010X279A1",
        "GenericBatchRetrievalTransaction": "X12_005010_Request_Batch_Results_271",
        "GenericBatchReceiptConfirmationTransaction": "X12_999_SubmissionRequest_005010X231A1",
    }[method]
    payload = None if "Retrieval" in method else x12_270(webbbs.tp, webbbs.control())
    ex = webbbs.send(webbbs.envelope(method, ptype, payload), form="mtom")
    assert ex.msg is not None and ex.code == "Sender", f"WEBBBS-SOAP-5: {method}: {ex.explain()}"
