"""The batch repository of each trading partner: uploaded interchanges, the result files they
produce, and the negative acknowledgments of the ones rejected (3.4, 3.7).

The simulator's payload processor runs at once, so results and acks are ready for the next
download (the document's "within one hour" and "by 7:00 am" are upper bounds; a fault profile can
hold a file back past them, by the simulator's clock). Downloads take at most `max_files` ready
files of the requested type; when more are ready the answer is FilesPending (4.1.1).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

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
    outbox: dict[str, list[tuple[datetime | None, bytes]]] = field(default_factory=lambda: defaultdict(list))
    confirmations: int = 0  # X12_999_SubmissionRequest receipts logged (never processed)

    def deliver(self, kind: str, file: bytes, ready: datetime | None = None) -> None:
        """Put a file in the outbox, downloadable at once or from `ready` on."""
        self.outbox[kind].append((ready, file))

    def take_results(self, request_type: str, now: datetime) -> Download:
        kind, response_type = RESULT_KINDS[request_type]
        return self._take((kind,), response_type, NO_RESULTS, now)

    def take_acks(self, request_type: str, now: datetime) -> Download:
        kinds, response_type = ACK_KINDS[request_type]
        return self._take(kinds, response_type, NO_ACKS, now)

    def _take(self, kinds: tuple[str, ...], response_type: str, none_type: str, now: datetime) -> Download:
        files: list[bytes] = []
        for kind in kinds:
            kept = []
            for ready, file in self.outbox[kind]:
                if len(files) < self.max_files and (ready is None or ready <= now):
                    files.append(file)
                else:
                    kept.append((ready, file))
            self.outbox[kind] = kept
        if not files:
            return Download(none_type, [], False)
        pending = any(ready is None or ready <= now for k in kinds for ready, _ in self.outbox[k])
        return Download(response_type, files, pending)
