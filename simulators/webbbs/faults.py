"""WebBBS fault profiles of the SOAP/MIME web service: each one breaks exactly one requirement.

The SFTP channel keeps its own profiles in `sftp_faults.py`; the package's FAULTS joins both.
"""

import base64
import re
import ssl

from payercert.rewrite import Rewrite, replace_first
from payercert.server import Listener
from payercert.simulation import Fault

SOAP_REALTIME = r"(?i)/soap/coreservice\.svc/realtime$"
MIME = r"(?i)/mime/coreservice\.aspx$"
WSDL = r"(?i)/soap/coreservice\.svc$"
SOAP_BATCH = r"(?i)/soap/coreservice\.svc/batch$"
SOAP_ANY = r"(?i)/soap/coreservice\.svc/"


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
    Fault("batch-size-limit-ignored", "WEBBBS-SIZE-4", "processes batch messages over four megabytes"),
    Fault(
        "token-with-created-refused",
        "WEBBBS-WSS-3",
        "refuses a UsernameToken that carries wsu:Created (UnAuthorized)",
    ),
    Fault(
        "receipt-confirmation-uploaded",
        "WEBBBS-BATCH-11",
        "treats X12_999_SubmissionRequest as an upload instead of logging the receipt",
    ),
    Fault(
        "envelope-error-with-payload", "WEBBBS-ENVELOPE-13", "an envelope error answer carries the request's payload"
    ),
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
    Fault(
        "realtime-over-time-limit", "WEBBBS-TIME-1", "answers the first RealTime request after 21 seconds", slow=True
    ),
    Fault("batch-over-time-limit", "WEBBBS-TIME-2", "answers every batch upload after 61 seconds", slow=True),
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
        "batch-payload-in-line", "WEBBBS-MTOM-2", "batch answers carry their payload in-line, not as an MTOM attachment"
    ),
    Fault("realtime-answer-mtom", "WEBBBS-MTOM-6", "RealTime answers are MTOM-packaged"),
    Fault("dental-claims-refused", "WEBBBS-BATCH-12", "refuses 837D (X12_837_Request_005010X224A2) uploads"),
    Fault(
        "negative-acks-not-returned", "WEBBBS-BATCH-9", "files no negative acknowledgment for a rejected interchange"
    ),
    Fault("negative-999-unknown-ak901", "WEBBBS-X12-8", "files negative 999s whose AK9 says Q, no code of the guide"),
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


def _asks_for(element: bytes):
    """A `where`: requests whose CORE envelope element is `element` (a regex)."""
    return lambda asked: re.search(element, asked.body) is not None


def _fault_code(old: bytes, new: bytes):
    """A change of a SOAP fault's Code Value (its prefix kept)."""
    return lambda body: re.sub(rb"(<(?:\w+:)?Value>(?:\w+:)?)" + old + rb"(?=<)", rb"\g<1>" + new, body, count=1)


def _mime_payload_base64(body: bytes) -> bytes:
    def encode(m: re.Match) -> bytes:
        return m[1] + base64.b64encode(m[2]) + m[3]

    return re.sub(rb'(name="Payload"\r\n(?:[^\r\n]+\r\n)*\r\n)(.*?)(\r\n--)', encode, body, count=1, flags=re.S)


def _twice(element: bytes):
    pattern = rb"(<(\w+:)?" + element + rb"\b.*?</(?:\w+:)?" + element + rb">)"
    return lambda body: re.sub(pattern, rb"\1\1", body, count=1, flags=re.S)


SUBMISSION = rb"COREEnvelopeBatchSubmission\b"
RESULTS = rb"COREEnvelopeBatchResultsRetrievalRequest"
ACKS = rb"COREEnvelopeBatchSubmissionAckRetrievalRequest"

# statuses, fault codes, fields and X12 changed on one message type only
SOAP_FAULTS += (
    Fault(
        "realtime-answer-two-envelopes",
        "WEBBBS-SOAP-3",
        "a SOAP RealTime answer's Body carries its CORE envelope twice",
        _answer(SOAP_REALTIME, _twice(b"COREEnvelopeRealTimeResponse")),
    ),
    Fault(
        "ack-retrieval-not-supported",
        "WEBBBS-SOAP-4",
        "BatchSubmitAckRetrievalTransaction answers a SOAP Receiver fault (HTTP 500)",
        Rewrite(
            SOAP_BATCH,
            method="POST",
            where=_asks_for(ACKS),
            to_status=500,
            text=lambda _: (
                b'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
                b"<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code><s:Reason>"
                b'<s:Text xml:lang="en">ActionNotSupported</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>'
            ),
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        ),
    ),
    Fault(
        "unroutable-500",
        "WEBBBS-SOAP-6",
        "a SOAP request that cannot be routed is answered HTTP 500",
        Rewrite(SOAP_ANY, method="POST", status="400", to_status=500),
    ),
    Fault(
        "soap11-answered-415",
        "WEBBBS-SOAP-7",
        "a SOAP 1.1 (text/xml) request is answered HTTP 415",
        Rewrite(
            SOAP_ANY,
            method="POST",
            where=lambda asked: asked.headers.get("content-type", "").lower().startswith("text/xml"),
            status="500",
            to_status=415,
        ),
    ),
    Fault(
        "must-understand-as-sender",
        "WEBBBS-SOAP-9",
        "a header block not understood gets a Sender fault, not MustUnderstand",
        Rewrite(SOAP_REALTIME, method="POST", status="500", text=_fault_code(b"MustUnderstand", b"Sender")),
    ),
    Fault(
        "dtd-refused-as-receiver",
        "WEBBBS-SOAP-10",
        "a message with a DTD gets a Receiver fault, not Sender",
        Rewrite(SOAP_REALTIME, method="POST", status="400", text=_fault_code(b"Sender", b"Receiver")),
    ),
    Fault(
        "results-attachment-said-base64",
        "WEBBBS-MTOM-5",
        "a results retrieval's MTOM attachment says Content-Transfer-Encoding base64 over the raw octets",
        Rewrite(
            SOAP_BATCH,
            method="POST",
            where=_asks_for(RESULTS),
            text=lambda body: body.replace(b"Content-Transfer-Encoding: binary", b"Content-Transfer-Encoding: base64"),
        ),
    ),
    Fault(
        "mime-checksum-field-checksum",
        "WEBBBS-MIME-3",
        "a MIME answer names its checksum field Checksum",
        _answer(MIME, replace_first(rb'name="CheckSum"', rb'name="Checksum"')),
    ),
    Fault(
        "mime-payload-base64",
        "WEBBBS-MIME-6",
        "a MIME answer's Payload is base64-encoded",
        _answer(MIME, _mime_payload_base64),
    ),
    Fault(
        "mime-answer-multipart-mixed",
        "WEBBBS-MIME-8",
        "MIME answers are multipart/mixed",
        Rewrite(
            MIME,
            method="POST",
            status="200|202",
            headers={"Content-Type": lambda v: v and v.replace("multipart/form-data", "multipart/mixed")},
        ),
    ),
    Fault(
        "results-payload-length-off",
        "WEBBBS-PAYLOAD-1",
        "a SOAP results retrieval answer's PayloadLength is one byte more than its payload",
        Rewrite(
            SOAP_BATCH,
            method="POST",
            where=_asks_for(RESULTS),
            text=lambda body: re.sub(
                rb"(<(?:\w+:)?PayloadLength>)(\d+)", lambda m: m[1] + b"%d" % (int(m[2]) + 1), body, count=1
            ),
        ),
    ),
    Fault(
        "acks-without-checksum",
        "WEBBBS-PAYLOAD-4",
        "a SOAP acknowledgment retrieval answer carries no CheckSum",
        Rewrite(
            SOAP_BATCH,
            method="POST",
            where=_asks_for(ACKS),
            text=lambda body: re.sub(rb"<((?:\w+:)?)CheckSum>[^<]*</\1CheckSum>", b"", body, count=1),
        ),
    ),
    Fault(
        "realtime-isa-107",
        "WEBBBS-X12-1",
        "a SOAP RealTime answer's ISA02 has 11 characters (the ISA is 107 long)",
        _answer(SOAP_REALTIME, replace_first(rb"ISA\*(\d\d)\*", rb"ISA*\1* ")),
    ),
    Fault(
        "realtime-271-group-hn",
        "WEBBBS-X12-5",
        "a SOAP RealTime 271's functional group says GS01 HN (a 277's)",
        _answer(SOAP_REALTIME, replace_first(rb"~GS\*HB\*", rb"~GS*HN*")),
    ),
    Fault(
        "realtime-202",
        "WEBBBS-REALTIME-5",
        "SOAP RealTime answers are HTTP 202",
        Rewrite(SOAP_REALTIME, method="POST", status="200", to_status=202),
    ),
    Fault(
        "batch-envelope-error-400",
        "WEBBBS-BATCH-4",
        "a batch upload failing envelope validation is answered HTTP 400",
        Rewrite(SOAP_BATCH, method="POST", where=_asks_for(SUBMISSION), status="200", to_status=400),
    ),
    Fault(
        "no-acks-said-no-results",
        "WEBBBS-BATCH-10",
        "an acknowledgment retrieval with nothing to return says X12_005010_Response_NoBatchResultsFile",
        _answer(
            SOAP_BATCH,
            lambda body: body.replace(b"X12_005010_Response_NoBatchAckFile", b"X12_005010_Response_NoBatchResultsFile"),
        ),
    ),
    Fault(
        "realtime-error-code-ok",
        "WEBBBS-ERROR-1",
        "a SOAP RealTime answer's ErrorCode is OK, not Success",
        _answer(SOAP_REALTIME, replace_first(rb"<ErrorCode>Success<", rb"<ErrorCode>OK<")),
    ),
    Fault(
        "required-field-misnamed",
        "WEBBBS-ERROR-2",
        "a missing PayloadID is answered PayloadTypeRequired",
        Rewrite(
            r"(?i)/(soap/coreservice\.svc/|mime/coreservice\.aspx)",
            method="POST",
            status="200|202",
            text=lambda body: body.replace(b"PayloadIDRequired", b"PayloadTypeRequired"),
        ),
    ),
)


def _other_control_number(body: bytes) -> bytes:
    """The interchange's control number (ISA13 and IEA02) changed, so it no longer answers the request's."""
    found = re.search(rb"ISA(?:\*[^*]*){12}\*(\d{9})\*", body)
    if found is None:
        return body
    other = b"%09d" % ((int(found[1]) + 1) % 10**9)
    return body.replace(b"*" + found[1] + b"*", b"*" + other + b"*", 1).replace(b"IEA*1*" + found[1], b"IEA*1*" + other)


MIME_REALTIME = rb'name="ProcessingMode"[^\n]*\n(?:[^\n]+\n)*?\r?\nRealTime\b'

SOAP_FAULTS += (
    Fault(
        "realtime-answer-other-control-number",
        "WEBBBS-REALTIME-4",
        "a SOAP RealTime answer's interchange control number (ISA13/IEA02) is not the request's",
        _answer(SOAP_REALTIME, _other_control_number),
    ),
    Fault(
        "mime-realtime-202",
        "WEBBBS-ERROR-4",
        "a valid MIME RealTime request is answered HTTP 202",
        Rewrite(MIME, method="POST", where=_asks_for(MIME_REALTIME), status="200", to_status=202),
    ),
)

SOAP_FAULTS += (
    Fault(
        "plain-http-served",
        "WEBBBS-TRANSPORT-1",
        "the web service's port also answers plain HTTP, as over HTTPS",
        listener=Listener(plain_http=True),
    ),
    Fault(
        "mime-function-from-mode-only",
        "WEBBBS-MIME-7",
        "a MIME request's function is taken from ProcessingMode alone: every Batch request is handled as an upload",
    ),
    Fault(
        "aged-password-batch-served",
        "WEBBBS-PASSWORD-11",
        "a password past 90 days is refused for RealTime but still uploads, lists and downloads batch files",
    ),
    Fault(
        "negative-acks-after-an-hour",
        "WEBBBS-TIME-3",
        "a rejected batch's negative acknowledgment is downloadable only 61 minutes after the submission",
    ),
    Fault(
        "results-two-days-later",
        "WEBBBS-TIME-4",
        "a batch 270's 271 is downloadable only two days after the submission",
    ),
    Fault(
        "content-length-counts-two-more",
        "WEBBBS-TRANSPORT-5",
        "each connection's first answer declares a Content-Length two bytes more than its body",
        listener=Listener(content_length_off_by=2),
    ),
    Fault(
        "tls-1-0-accepted",
        "WEBBBS-TRANSPORT-2",
        "the web service also completes a handshake that offers only TLS 1.0",
        listener=Listener(oldest_tls=ssl.TLSVersion.TLSv1),
    ),
)

FAULTS = SOAP_FAULTS
