"""How the WebBBS suites talk to a target: CORE requests built by the codec in the three forms
(SOAP 1.2 RealTime, MTOM batch, MIME form-data), sent through the run's transport (so every
exchange is attached to the report, redacted), and the answers parsed by the same codec."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import httpx
import pytest
from lxml import etree

from payercert.feeds import load_feed
from payercert.session import TargetContext
from payercert.suites.transport_probes import RawAnswer, raw_exchange
from payercert.validators import core_envelope as codec
from payercert.validators.core_envelope import CoreMessage, CoreSyntaxError

PAYER = "716007869"
FS = b"\x1c"
REQUEST_ELEMENT = {m: spec["request"] for m, spec in load_feed("webbbs").spec["core"]["web_methods"].items()}
ENDPOINT = {m: spec["endpoint"] for m, spec in load_feed("webbbs").spec["core"]["web_methods"].items()}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    """The envelope schema of the spec bundle (CAQH CORERule2.2.0.xsd)."""
    return etree.XMLSchema(etree.parse(str(load_feed("webbbs").root / "core-envelope.xsd")))


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- synthetic X12 requests (what a provider's system sends) -------------------------------------
def interchange(tp: str, control: int, st01: str, version: str, body: list[str], *, gs01: str) -> bytes:
    """One 5010 interchange with correct control numbers and counts (ISA fixed width)."""
    isa = (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{tp.ljust(15)[:15]}*30*{PAYER.ljust(15)}*240115*1230*^*00501*"
        f"{control:09d}*0*P*:"
    )
    segments = [
        f"GS*{gs01}*{tp}*{PAYER}*20240115*1230*{control % 1000000}*X*{version}",
        f"ST*{st01}*0001*{version}",
        *body,
    ]
    segments.append(f"SE*{len(body) + 2}*0001")
    segments += [f"GE*1*{control % 1000000}", f"IEA*1*{control:09d}"]
    return ("~".join([isa, *segments]) + "~").encode("ascii")


def x12_270(tp: str, control: int, member: str = "1234567890", trace: str = "93175-012547") -> bytes:
    return interchange(
        tp,
        control,
        "270",
        "005010X279A1",
        [
            f"BHT*0022*13*{control}*20240115*1230",
            "HL*1**20*1",
            f"NM1*PR*2*ARKANSAS MEDICAID*****PI*{PAYER}",
            "HL*2*1*21*1",
            "NM1*1P*2*EXAMPLE CLINIC*****XX*1234567893",
            "HL*3*2*22*0",
            f"TRN*1*{trace}*9877281234",
            f"NM1*IL*1*DOE*JANE****MI*{member}",
            "DMG*D8*19700101",
            "DTP*291*D8*20240115",
            "EQ*30",
        ],
        gs01="HS",
    )


def x12_276(tp: str, control: int, member: str = "1234567890") -> bytes:
    return interchange(
        tp,
        control,
        "276",
        "005010X212",
        [
            f"BHT*0010*13*{control}*20240115*1230",
            "HL*1**20*1",
            f"NM1*PR*2*ARKANSAS MEDICAID*****PI*{PAYER}",
            "HL*2*1*21*1",
            f"NM1*41*2*EXAMPLE CLINIC*****46*{tp}",
            "HL*3*2*19*1",
            "NM1*1P*2*EXAMPLE CLINIC*****XX*1234567893",
            "HL*4*3*22*0",
            "DMG*D8*19700101*F",
            f"NM1*IL*1*DOE*JANE****MI*{member}",
            "TRN*1*ABCXYZ1",
            "AMT*T3*150",
        ],
        gs01="HR",
    )


def segments(x12: bytes) -> list[list[str]]:
    """The segments of an X12 interchange, split on its own delimiters (ISA position 4 and 106)."""
    text = x12.decode("latin-1")
    if len(text) < 106 or not text.startswith("ISA"):
        return []
    element, terminator = text[3], text[105]
    return [s.strip("\r\n").split(element) for s in text.split(terminator) if s.strip("\r\n")]


@dataclass
class Exchange:
    request: CoreMessage
    status: int
    response: httpx.Response
    msg: CoreMessage | None  # the parsed answer, None when the body is not a CORE message
    problem: str | None  # why the body is not a CORE message
    elapsed: float
    breaks: str | None = None  # the requirement an unreadable answer breaks (the feed's syntax table)

    @property
    def code(self) -> str | None:
        return self.msg.fields.get("ErrorCode") if self.msg else None

    def explain(self) -> str:
        if self.msg is None:
            return f"HTTP {self.status}, no CORE envelope ({self.problem})"
        f = self.msg.fields
        return (
            f"HTTP {self.status}, ErrorCode {f.get('ErrorCode')!r}, PayloadType {f.get('PayloadType')!r}, "
            f"ErrorMessage {f.get('ErrorMessage', f.get('ErrorDescription'))!r}"
        )


def poll(check: Callable[[], Any], seconds: float, every: float = 0.25) -> Any:
    """check() until it returns something truthy or the time is up (then its last answer)."""
    end = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() >= end:
            return found
        time.sleep(every)


NO_RESULTS_YET = (
    "cannot tell within this run: the batch's results are not there yet (a server may take until "
    "7:00 am Eastern the next day, 3.4); set the target's options.batch_response_wait to wait for them"
)


class WebbbsClient:
    def __init__(self, target: TargetContext):
        self.target = target
        self.tp = target.credential("username")

    # --- envelopes -------------------------------------------------------------------------------
    def envelope(self, method: str, payload_type: str, payload: bytes | None = None, **overrides: Any) -> CoreMessage:
        """A valid request envelope of `method`; overrides change (or, with None, remove) fields."""
        element = REQUEST_ELEMENT[method]
        realtime = element.startswith("COREEnvelopeRealTime")
        fields = {
            "PayloadType": payload_type,
            "ProcessingMode": "RealTime" if realtime else "Batch",
            "PayloadID": str(uuid.uuid4()),
            "TimeStamp": utc_now(),
            "SenderID": self.tp,
            "ReceiverID": PAYER,
            "CORERuleVersion": "2.2.0",
        }
        if payload is not None and not realtime:
            fields["PayloadLength"] = str(len(payload))
            fields["CheckSum"] = hashlib.sha1(payload).hexdigest()
        for name, value in overrides.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        return CoreMessage(
            form="soap" if realtime else "mtom",
            element=element,
            fields=codec.ordered_fields(element, fields),
            payload=payload,
            username=self.tp,
            password=self.target.credential("password"),
            action=method,
            direction="request",
        )

    def send(
        self,
        msg: CoreMessage,
        *,
        form: str | None = None,
        url: str | None = None,
        content_type: str | None = None,
        body: bytes | None = None,
    ) -> Exchange:
        """Send `msg` as SOAP/MTOM (by its method's endpoint) or MIME, and parse the answer."""
        form = form or msg.form
        msg.form = form
        if body is None:
            body, built_type = codec.build(msg)
            content_type = content_type or built_type
        if url is None:
            url = self.target.url("mime" if form == "mime" else ENDPOINT.get(msg.action or "", "soap_batch"))
        started = time.monotonic()
        response = self.target.request("POST", url, content=body, headers={"Content-Type": content_type or ""})
        elapsed = time.monotonic() - started
        if msg.element == "COREEnvelopeRealTimeRequest":  # every RealTime exchange is timed (WEBBBS-TIME-1)
            self.target.cache.setdefault("webbbs-realtime-seconds", []).append(elapsed)
        parsed, problem, breaks = None, None, None
        if response.content:
            try:
                parsed = codec.parse_message(response.content, response.headers.get("content-type", ""))
                parsed.direction = "response"
            except CoreSyntaxError as exc:
                problem, breaks = exc.message, exc.for_feed(load_feed("webbbs").spec).requirement
        else:
            problem = "empty body"
        return Exchange(msg, response.status_code, response, parsed, problem, elapsed, breaks)

    def raw(self, msg: CoreMessage, form: str | None = None) -> RawAnswer:
        """`msg` sent as `send` sends it, on a connection of its own, its answer read as bytes."""
        msg.form = form or msg.form
        body, content_type = codec.build(msg)
        url = self.target.url("mime" if msg.form == "mime" else ENDPOINT.get(msg.action or "", "soap_batch"))
        return raw_exchange(url, self.target.verify, {"Content-Type": content_type}, body)

    # --- the web methods ---------------------------------------------------------------------------
    def realtime(
        self,
        payload_type: str = "X12_270_Request_005010X279A1",
        payload: bytes | None = None,
        form: str = "soap",
        **overrides: Any,
    ) -> Exchange:
        if payload is None:
            payload = (x12_270 if "270" in payload_type else x12_276)(self.tp, self.control())
        return self.send(self.envelope("RealTimeTransaction", payload_type, payload, **overrides), form=form)

    def submit(
        self,
        payload: bytes,
        payload_type: str = "X12_270_Request_005010X279A1",
        form: str = "mtom",
        method: str = "BatchSubmitTransaction",
        **overrides: Any,
    ) -> Exchange:
        return self.send(self.envelope(method, payload_type, payload, **overrides), form=form)

    def acks(self, payload_type: str = "X12_005010_Request_Acks", form: str = "mtom", **overrides: Any) -> Exchange:
        return self.send(self.envelope("BatchSubmitAckRetrievalTransaction", payload_type, **overrides), form=form)

    def results(
        self, payload_type: str = "X12_005010_Request_Batch_Results_271", form: str = "mtom", **overrides: Any
    ) -> Exchange:
        return self.send(self.envelope("BatchResultsRetrievalTransaction", payload_type, **overrides), form=form)

    def drain_results(self, payload_type: str = "X12_005010_Request_Batch_Results_271", limit: int = 50) -> list[bytes]:
        """Every file waiting of that type, downloading until none is left."""
        files: list[bytes] = []
        for _ in range(limit):
            ex = self.results(payload_type)
            assert ex.msg is not None, f"WEBBBS-BATCH-7: results retrieval not answered: {ex.explain()}"
            if ex.msg.payload_type == "X12_005010_Response_NoBatchResultsFile" or not ex.msg.payload:
                return files
            files += [f for f in ex.msg.payload.split(FS) if f]
        return files

    def batch_wait(self) -> float:
        """How long the target's batch answers may take to be downloadable here, in seconds
        (options.batch_response_wait; 0: look once). The document allows until 7:00 am Eastern the
        next day (3.4), longer than a run waits."""
        return float(self.target.target.options.get("batch_response_wait") or 0)

    def first_results(self, payload_type: str = "X12_005010_Request_Batch_Results_271", form: str = "mtom") -> Exchange:
        """The first results download that carries files, or an answer that is no download at all,
        asked for during `batch_wait()`; when nothing has come the test cannot tell (skipped, never
        failed: WEBBBS-TIME-4 is test_batch_timings' to judge)."""
        answers: list[Exchange] = []

        def downloaded() -> bool:
            answers.append(self.results(payload_type, form=form))
            return answers[-1].msg is None or bool(answers[-1].msg.payload)

        if not poll(downloaded, self.batch_wait(), every=0.5):
            pytest.skip(NO_RESULTS_YET)
        return answers[-1]

    def results_answering(self, controls: set[str]) -> list[bytes]:
        """Every results file downloaded until those answering `controls` (ISA13s) have come, asked
        for during `batch_wait()`; skipped (cannot tell) when they have not."""
        files: list[bytes] = []

        def answered() -> bool:
            files.extend(self.drain_results())
            return controls <= {segments(f)[0][13] for f in files if segments(f)}

        if not poll(answered, self.batch_wait(), every=0.5):
            pytest.skip(NO_RESULTS_YET)
        return files

    def drain_acks(self, limit: int = 50) -> list[bytes]:
        """Every acknowledgment waiting, downloading until none is left."""
        files: list[bytes] = []
        for _ in range(limit):
            ex = self.acks()
            if ex.msg is None or ex.msg.payload_type == "X12_005010_Response_NoBatchAckFile" or not ex.msg.payload:
                return files
            files += [f for f in ex.msg.payload.split(FS) if f]
        return files

    def control(self) -> int:
        """A fresh interchange control number."""
        return uuid.uuid4().int % 999_999_999 or 1
