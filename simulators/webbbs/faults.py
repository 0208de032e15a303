"""WebBBS fault profiles of the SOAP/MIME web service: each one breaks exactly one requirement.

The SFTP channel keeps its own profiles in `sftp_faults.py`; the package's FAULTS joins both.
"""

from payercert.simulation import Fault

SOAP_FAULTS = (
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

FAULTS = SOAP_FAULTS
