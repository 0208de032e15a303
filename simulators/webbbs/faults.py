"""WebBBS fault profiles of the SOAP/MIME web service: each one breaks exactly one requirement.

The SFTP channel keeps its own profiles in `sftp_faults.py`; the package's FAULTS joins both.
"""

import re

from payercert.rewrite import Rewrite, replace_first
from payercert.simulation import Fault

SOAP_REALTIME = r"(?i)/soap/coreservice\.svc/realtime$"
MIME = r"(?i)/mime/coreservice\.aspx$"
WSDL = r"(?i)/soap/coreservice\.svc$"


def _answer(path: str, change) -> Rewrite:
    """A change to every answer of a web service endpoint (a POST)."""
    return Rewrite(path, method="POST", status="200|202", text=change)


SOAP_FAULTS: tuple[Fault, ...] = (
    Fault("payloadid-not-echoed", "WEBBBS-ENVELOPE-11", "answers with a fresh PayloadID instead of the request's"),
    Fault("response-sender-not-payer", "WEBBBS-ENVELOPE-10", "answers with SenderID WEBBBS instead of 716007869"),
    Fault("batch-upload-200", "WEBBBS-BATCH-3", "answers an accepted batch upload with HTTP 200 instead of 202"),
    Fault("checksum-mismatch-success", "WEBBBS-PAYLOAD-2", "accepts a batch whose CheckSum is not the payload's SHA-1"),
    Fault("duplicate-payloadid-accepted", "WEBBBS-ENVELOPE-5", "processes a PayloadID already used by the sender"),
    Fault("realtime-size-limit-ignored", "WEBBBS-SIZE-2", "processes RealTime messages over one megabyte"),
    Fault(
        "wrong-response-payload-type",
        "WEBBBS-PAYLOAD-3",
        "labels the 277 answering a RealTime 276 X12_271_Response_005010X279A1",
    ),
    Fault("qualified-children", "WEBBBS-ENVELOPE-1", "answers with namespace-qualified envelope children"),
    Fault("error-message-missing", "WEBBBS-ENVELOPE-12", "leaves ErrorMessage out of response envelopes"),
    Fault(
        "mtom-attachment-not-referenced",
        "WEBBBS-MTOM-4",
        "the Payload's xop:Include names a Content-ID no part of the package has",
    ),
    Fault("fs-separators-dropped", "WEBBBS-BATCH-7", "concatenates downloaded result files without the FS separator"),
    Fault("realtime-over-time-limit", "WEBBBS-TIME-1", "answers the first RealTime request after 21 seconds"),
    Fault("expired-password-accepted", "WEBBBS-PASSWORD-8", "accepts a password older than 90 days"),
    Fault(
        "unsupported-method-processed", "WEBBBS-SOAP-5", "processes GenericBatchSubmissionTransaction as a submission"
    ),
    Fault("wrong-version-accepted", "WEBBBS-ENVELOPE-9", "accepts CORERuleVersion values other than 2.2.0"),
    Fault(
        "bad-credentials-200",
        "WEBBBS-ERROR-6",
        "answers failed authentication with HTTP 200 and an UnAuthorized envelope",
    ),
    Fault(
        "no-files-pending", "WEBBBS-BATCH-8", "answers Success when more result files wait than one download carries"
    ),
    Fault("positive-acks", "WEBBBS-X12-7", "also files an accepting 999 for every interchange it accepts"),
    Fault("no-partial-upload", "WEBBBS-BATCH-5", "drops interchanges that fail to upload and answers Success"),
    Fault(
        "malformed-mime-200", "WEBBBS-MIME-9", "answers a malformed multipart body with HTTP 200 and an envelope error"
    ),
    Fault(
        "receiver-id-not-checked",
        "WEBBBS-ERROR-3",
        "processes requests whose ReceiverID is not 716007869 instead of answering ReceiverIDIllegal",
    ),
)

# answers changed on one endpoint only, the way real CORE servers slip (payercert/rewrite.py)
SOAP_FAULTS += (
    Fault(
        "realtime-timestamp-without-z",
        "WEBBBS-ENVELOPE-6",
        "a SOAP RealTime answer's TimeStamp has no Z (local time, no zone)",
        _answer(SOAP_REALTIME, replace_first(rb"(<TimeStamp>[^<]*)Z(</TimeStamp>)", rb"\1\2")),
    ),
    Fault(
        "realtime-mode-lowercase",
        "WEBBBS-ENVELOPE-2",
        "a SOAP RealTime answer says ProcessingMode realtime",
        _answer(SOAP_REALTIME, replace_first(rb"<ProcessingMode>RealTime<", rb"<ProcessingMode>realtime<")),
    ),
    Fault(
        "realtime-payload-not-cdata",
        "WEBBBS-REALTIME-3",
        "a SOAP RealTime answer's X12 is not wrapped in a CDATA section",
        _answer(SOAP_REALTIME, lambda body: body.replace(b"<![CDATA[", b"", 1).replace(b"]]>", b"", 1)),
    ),
    Fault(
        "realtime-isa-version-4010",
        "WEBBBS-X12-4",
        "a SOAP RealTime answer's interchange says ISA12 00401",
        _answer(SOAP_REALTIME, replace_first(rb"\*00501\*", rb"*00401*")),
    ),
    Fault(
        "realtime-se-count-off",
        "WEBBBS-X12-2",
        "a SOAP RealTime answer's SE01 counts one segment more than the set has",
        _answer(
            SOAP_REALTIME, lambda body: re.sub(rb"~SE\*(\d+)\*", lambda m: b"~SE*%d*" % (int(m[1]) + 1), body, count=1)
        ),
    ),
    Fault(
        "realtime-ge-count-off",
        "WEBBBS-X12-3",
        "a SOAP RealTime answer's GE01 counts two transaction sets where the group has one",
        _answer(SOAP_REALTIME, replace_first(rb"~GE\*1\*", rb"~GE*2*")),
    ),
    Fault(
        "mime-rule-version-misnamed",
        "WEBBBS-MIME-5",
        "a MIME answer names its field CORERulesVersion",
        _answer(MIME, replace_first(rb'name="CORERuleVersion"', rb'name="CORERulesVersion"')),
    ),
    Fault(
        "mime-error-message-misnamed",
        "WEBBBS-MIME-4",
        "a MIME answer carries its error text in a field named ErrorMsg",
        _answer(MIME, replace_first(rb'name="ErrorMessage"', rb'name="ErrorMsg"')),
    ),
    Fault(
        "wsdl-without-realtime",
        "WEBBBS-TRANSPORT-4",
        "the WSDL names no RealTimeTransaction operation",
        Rewrite(WSDL, text=lambda body: body.replace(b'name="RealTimeTransaction"', b'name="RealTime"')),
    ),
    Fault(
        "soap-answer-as-text-xml",
        "WEBBBS-SOAP-1",
        "a SOAP RealTime answer is sent as text/xml (SOAP 1.1's media type)",
        Rewrite(SOAP_REALTIME, method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}),
    ),
)

FAULTS = SOAP_FAULTS
