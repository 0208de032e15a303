"""The batch repository of each trading partner: uploaded interchanges, the result files they
produce, and the negative acknowledgments of the ones rejected (3.4, 3.7).

The simulator's payload processor runs at once, so results and acks are ready for the next
download (the document's "within one hour" and "by 7:00 am" are upper bounds). Downloads take at
most `max_files` files of the requested type; when more remain the answer is FilesPending (4.1.1).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

# Download request payload type -> the result/ack kinds it takes, and the response type (Appendix A)
RESULT_KINDS = {
    "X12_005010_Request_Batch_Results_271": ("271", "X12_271_Response_005010X279A1"),
    "X12_005010_Request_Batch_Results_277": ("277", "X12_277_Response_005010X212"),
    "X12_278_Request_Batch_Results_005010X217": ("278", "X12_278_Response_005010X217"),
    "X12_835_Request_005010X221A1": ("835", "X12_835_Response_005010X221A1"),
}
ACK_KINDS = {
    "X12_999_RetrievalRequest_005010X231A1": (("999",), "X12_999_Response_005010X231A1"),
    "X12_TA1_RetrievalRequest_00501X231A1": (("TA1",), "X12_TA1_Response_00501X231A1"),
    "X12_005010_Request_Acks": (("999", "TA1"), "X12_005010_Response_Acks"),
}
NO_RESULTS = "X12_005010_Response_NoBatchResultsFile"
NO_ACKS = "X12_005010_Response_NoBatchAckFile"

# Upload payload type -> the kind of result file its interchanges produce
RESULT_OF_UPLOAD = {
    "X12_270_Request_005010X279A1": "271",
    "X12_276_Request_005010X212": "277",
    "X12_278_Request_005010X217": "278",
    "X12_837_Request_005010X222A1": "835",
    "X12_837_Request_005010X223A2": "835",
    "X12_837_Request_005010X224A2": "835",
}


@dataclass
class Download:
    payload_type: str
    files: list[bytes]
    pending: bool


@dataclass
class Repository:
    max_files: int
    uploads: list[bytes] = field(default_factory=list)
    outbox: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    confirmations: int = 0  # X12_999_SubmissionRequest receipts logged (never processed)

    def deliver(self, kind: str, file: bytes) -> None:
        self.outbox[kind].append(file)

    def take_results(self, request_type: str) -> Download:
        kind, response_type = RESULT_KINDS[request_type]
        return self._take((kind,), response_type, NO_RESULTS)

    def take_acks(self, request_type: str) -> Download:
        kinds, response_type = ACK_KINDS[request_type]
        return self._take(kinds, response_type, NO_ACKS)

    def _take(self, kinds: tuple[str, ...], response_type: str, none_type: str) -> Download:
        files: list[bytes] = []
        for kind in kinds:
            queue = self.outbox[kind]
            while queue and len(files) < self.max_files:
                files.append(queue.popleft())
        if not files:
            return Download(none_type, [], False)
        pending = any(self.outbox[k] for k in kinds)
        return Download(response_type, files, pending)
