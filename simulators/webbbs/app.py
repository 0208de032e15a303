"""The WebBBS CORE web service simulator: SOAP 1.2 (RealTime in-line, batch MTOM) and MIME form-data.

Every request goes through the document's layers in order (section 4): the HTTP envelope (route,
media type, size), authentication (WS-Security UsernameToken or the UserName/Password fields), the
CORE envelope (`core_checks.check_message`, the same compiled rules `payercert validate` applies),
then the payload processor (X12 answers, the batch repository). Fault profiles are in `faults.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from payercert.feeds import load_feed
from payercert.simulation import load_simulator
from payercert.validators import core_envelope as codec
from payercert.validators import x12 as x12check
from payercert.validators.core_checks import check_message, x12_findings
from payercert.validators.core_envelope import CoreMessage, CoreSyntaxError
from payercert.validators.findings import Severity

from . import x12gen
from .partners import EXPIRED_PARTNER, OTHER_PARTNER, TRADING_PARTNER, Clock, Partners
from .repository import RESULT_KINDS, RESULT_OF_UPLOAD, Repository

PAYER = x12gen.PAYER_ID

CONFIRM_TYPE = "X12_999_SubmissionRequest_005010X231A1"
RESPONSE_ELEMENT = {
    "COREEnvelopeRealTimeRequest": "COREEnvelopeRealTimeResponse",
    "COREEnvelopeBatchSubmission": "COREEnvelopeBatchSubmissionResponse",
    "COREEnvelopeBatchSubmissionAckRetrievalRequest": "COREEnvelopeBatchSubmissionAckRetrievalResponse",
    "COREEnvelopeBatchResultsRetrievalRequest": "COREEnvelopeBatchResultsRetrievalResponse",
    "COREEnvelopeBatchResultsAckSubmission": "COREEnvelopeBatchResultsAckSubmissionResponse",
}
# For MIME the function is inferred from the envelope (3.2): the web method each element stands for
MIME_METHOD = {
    "COREEnvelopeRealTimeRequest": "RealTimeTransaction",
    "COREEnvelopeBatchSubmission": "BatchSubmitTransaction",
    "COREEnvelopeBatchSubmissionAckRetrievalRequest": "BatchSubmitAckRetrievalTransaction",
    "COREEnvelopeBatchResultsRetrievalRequest": "BatchResultsRetrievalTransaction",
    "COREEnvelopeBatchResultsAckSubmission": "BatchResultsAckSubmitTransaction",
}
REALTIME_ANSWER = {
    "X12_270_Request_005010X279A1": ("271", "X12_271_Response_005010X279A1"),
    "X12_276_Request_005010X212": ("277", "X12_277_Response_005010X212"),
}
FS = b"\x1c"


class Answer(Exception):
    """Stop processing and answer with this envelope (or bare HTTP status when `code` is None)."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str = "",
        body: bytes | memoryview = b"",
        media: str | None = "text/plain",
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.body, self.media = status, code, message, body, media


class WebbbsSimulator:
    def __init__(
        self, fault: str | None = None, *, readings: dict[str, str] | None = None, max_download_files: int = 2
    ):
        self.feed = load_feed("webbbs")
        self.spec = self.feed.spec
        self.fault = load_simulator("webbbs").fault(fault)
        self.readings = {**self.feed.default_readings(), **(readings or {})}
        self.clock = Clock()
        self.partners = Partners(self.clock)
        self.partner = self.partners.add(TRADING_PARTNER)
        self.partners.add(OTHER_PARTNER)
        self.aged = self.partners.add(EXPIRED_PARTNER, age=timedelta(days=91))
        self.max_download_files = max_download_files
        self.repositories: dict[str, Repository] = {}
        self.payload_ids: set[tuple[str, str, str]] = set()
        self.realtime_served = 0
        urls = self.feed.environments["production"]["urls"]
        self.x12_requirements = set(self.spec.get("x12_requirements", {}).values())
        self.paths = {name: _path(urls[name]) for name in ("soap_realtime", "soap_batch", "mime")}
        self.wsdl_path = _path(urls["wsdl"])
        megabyte = 1_000_000 if self.readings["WEBBBS-R-MEGABYTE"] == "decimal" else 1_048_576
        limits = self.spec["core"]["size_limits"]
        self.limits = {
            "RealTime": limits["realtime_megabytes"] * megabyte,
            "Batch": limits["batch_megabytes"] * megabyte,
        }
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST"])])

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    def repository(self, tp_id: str) -> Repository:
        return self.repositories.setdefault(tp_id, Repository(self.max_download_files))

    # --- the local target --------------------------------------------------------------------
    def local_target(self, base_url: str) -> dict[str, Any]:
        urls = {name: base_url + path for name, path in self.paths.items()}
        urls["wsdl"] = base_url + self.wsdl_path + "?wsdl"
        return {
            "urls": urls,
            "credentials": {"username": self.partner.tp_id, "password": self.partner.password},
            "accounts": {"aged_password": {"username": self.aged.tp_id, "password": self.aged.password}},
            "data": {"max_download_files": self.max_download_files},
            "secrets": [self.partner.password, self.aged.password],
            "options": {"batch_response_wait": 5},  # the processor runs at once: answers are there in seconds
        }

    # --- HTTP layer ----------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        path = request.url.path.lower()  # IIS paths are case-insensitive (WEBBBS-TRANSPORT-6)
        if request.method == "GET":
            if path == self.wsdl_path.lower() and "wsdl" in request.query_params:
                return Response(self._wsdl(request), media_type="text/xml; charset=utf-8")
            if path == self.wsdl_path.lower().rsplit("/", 1)[0] + "/core-envelope.xsd":
                return Response((self.feed.root / "core-envelope.xsd").read_bytes(), media_type="text/xml")
            return Response(status_code=404)
        endpoint = {p.lower(): name for name, p in self.paths.items()}.get(path)
        if endpoint is None:
            return Response(status_code=404)
        body = await request.body()
        target = request.scope.get("raw_path", b"") + (
            b"?" + request.scope["query_string"] if request.scope.get("query_string") else b""
        )
        head = f"{request.method} {target.decode('latin-1')} HTTP/1.1\r\n".encode("latin-1") + b"".join(
            k + b": " + v + b"\r\n" for k, v in request.scope["headers"]
        )
        raw = head + b"\r\n" + body  # the whole message, as the size limits count it (3.6.1, 3.7.1)
        size = len(raw)
        content_type = request.headers.get("content-type", "")
        try:
            msg = self._parse(endpoint, raw, content_type)
            return await self._serve(endpoint, msg, size)
        except Answer as answer:
            return Response(answer.body, status_code=answer.status, media_type=answer.media)

    def _parse(self, endpoint: str, raw: bytes, content_type: str) -> CoreMessage:
        media = content_type.split(";")[0].strip().lower()
        if endpoint != "mime":
            if media == "text/xml":  # SOAP 1.1: not routed (4.1, reading WEBBBS-R-SOAP-VERSION-STATUS)
                raise Answer(415 if self.readings["WEBBBS-R-SOAP-VERSION-STATUS"] == "http-415" else 500)
            if media not in ("application/soap+xml", "multipart/related"):
                raise Answer(400)
        elif media != "multipart/form-data":
            raise Answer(400, message="not multipart/form-data", body=b"HTTP envelope: not multipart/form-data")
        try:
            return codec.parse_message(raw)
        except CoreSyntaxError as exc:
            exc = exc.for_feed(self.spec)
            if endpoint == "mime":
                if self.broken("malformed-mime-200"):
                    fake = CoreMessage(form="mime", element="COREEnvelopeRealTimeRequest")
                    return self._envelope_error(fake, 200, "PayloadIllegal", exc.message, raise_=False)
                raise Answer(400, body=f"MIME parts malformed: {exc.message}".encode()) from None
            if exc.requirement == "WEBBBS-SOAP-10":
                raise Answer(
                    400, body=_fault("Sender", exc.message), media="application/soap+xml; charset=utf-8"
                ) from None
            raise Answer(500 if exc.http_status == 500 else 400) from None

    async def _serve(self, endpoint: str, msg: CoreMessage | Response, size: int) -> Response:
        if isinstance(msg, Response):
            return msg
        method = self._route(endpoint, msg)
        not_understood = _not_understood(msg)
        if not_understood:  # SOAP 1.2 (5.2.3, 5.4.8): nothing is processed; 4.1.1 <Field>NotUnderstood
            raise Answer(
                500,
                body=_fault("MustUnderstand", f"header block {not_understood[0]} is not understood", not_understood),
                media="application/soap+xml; charset=utf-8",
            )
        mode = "RealTime" if method == "RealTimeTransaction" else "Batch"
        if msg.form == "mime":
            given = msg.fields.get("ProcessingMode")
            if given is not None and given in self.limits:
                mode = given
        if size > self.limits[mode] and not self.broken(f"{mode.lower()}-size-limit-ignored"):
            raise Answer(400, body=f"message of {size} bytes exceeds the {mode} limit of {self.limits[mode]}".encode())
        tp = self._authenticate(msg, method)
        if not self.spec["core"]["web_methods"][method]["supported"] and not self.broken(
            "unsupported-method-processed"
        ):
            return self._envelope_error(msg, 200, "Sender", f"web method {method} is not supported")
        if self.broken("unsupported-method-processed"):
            method = method.replace("GenericBatchSubmissionTransaction", "BatchSubmitTransaction")
        # A request is refused on a finding the document answers with an ErrorCode (4.1.1). Findings without
        # one are client obligations the service tolerates (a RealTime payload escaped rather than in CDATA
        # is the same XML text), and the X12 inside is the payload processor's (negative acks).
        findings = [
            f
            for f in check_message(msg, self.spec, "request", self.readings)
            if not self._ignored(f.requirement)
            and f.severity == Severity.ERROR
            and (f.code or f.requirement == "WEBBBS-MTOM-4")
            and f.requirement not in self.x12_requirements
        ]
        if findings:
            first = findings[0]
            return self._envelope_error(msg, 200, first.code or "Sender", first.message)
        key = (msg.fields["ProcessingMode"], msg.fields["SenderID"], msg.fields["PayloadID"].lower())
        if key in self.payload_ids and not self.broken("duplicate-payloadid-accepted"):
            return self._envelope_error(
                msg, 200, "Sender", "PayloadID already used for this ProcessingMode and SenderID"
            )
        self.payload_ids.add(key)
        if method == "RealTimeTransaction":
            return await self._realtime(msg)
        if method == "BatchSubmitTransaction" or method == "BatchResultsAckSubmitTransaction":
            if self.broken("batch-over-time-limit"):
                await asyncio.sleep(61)
            return self._submit(msg, tp.tp_id)
        return self._download(msg, tp.tp_id, method)

    def _ignored(self, requirement: str) -> bool:
        return (
            (requirement == "WEBBBS-PAYLOAD-2" and self.broken("checksum-mismatch-success"))
            or (requirement == "WEBBBS-ENVELOPE-9" and self.broken("wrong-version-accepted"))
            or (requirement == "WEBBBS-ENVELOPE-8" and self.broken("receiver-id-not-checked"))
            or (requirement == "WEBBBS-SOAP-5" and self.broken("unsupported-method-processed"))
        )

    def _route(self, endpoint: str, msg: CoreMessage) -> str:
        """The web method: the SOAP action on its endpoint, or (MIME) what the envelope implies."""
        if endpoint == "mime":
            if self.broken("mime-function-from-mode-only"):  # PayloadType not read: every batch is an upload
                return (
                    "RealTimeTransaction"
                    if msg.fields.get("ProcessingMode") == "RealTime"
                    else "BatchSubmitTransaction"
                )
            return MIME_METHOD.get(msg.element or "", "BatchSubmitTransaction")
        methods = self.spec["core"]["web_methods"]
        action = msg.action or ""
        method = methods.get(action)
        if method is None or self.paths[method["endpoint"]] != self.paths[endpoint] or method["request"] != msg.element:
            raise Answer(400)  # cannot be routed: empty response (4.1, WEBBBS-SOAP-6)
        return action

    def _authenticate(self, msg: CoreMessage, method: str):
        tp = self.partners.authenticate(msg.username, msg.password)
        ages = not self.broken("expired-password-accepted") and not (
            self.broken("aged-password-batch-served") and method != "RealTimeTransaction"
        )
        reason = "Invalid username/password or not allowed to sign on from this location"
        if tp is not None and msg.token_created and self.broken("token-with-created-refused"):
            tp, reason = None, "UsernameToken with Created is not supported"
        if tp is not None and ages and tp.password_expired(self.clock.now()):
            tp, reason = None, "Password has aged (90 days): change it on the secure website"
        if tp is None:
            status = (
                200
                if (self.broken("bad-credentials-200") or self.readings["WEBBBS-R-AUTH-FAILURE"] == "envelope-200")
                else 403
            )
            if self.readings["WEBBBS-R-AUTH-FAILURE"] == "http-401":
                status = 401
            self._envelope_error(msg, status, "UnAuthorized", reason)
        return tp

    # --- payload processor ---------------------------------------------------------------------
    async def _realtime(self, msg: CoreMessage) -> Response:
        self.realtime_served += 1
        if self.realtime_served == 1 and self.broken("realtime-over-time-limit"):
            await asyncio.sleep(21)
        payload, now = msg.payload or b"", self.clock.now()
        chunks = self._chunks(payload)
        ptype = msg.fields["PayloadType"]
        problems = self._x12_problems(payload, ptype, realtime=True) if chunks else []
        interchange = None
        if len(chunks) == 1 and not problems:
            interchange = x12gen.Interchange.read(chunks[0])
            if len(interchange.all("ST")) != 1 or len(interchange.all("GS")) != 1:
                interchange = None
        if interchange is None:
            return self._realtime_reject(msg, chunks, problems, now)
        st01, rtype = REALTIME_ANSWER[ptype]
        if self.broken("wrong-response-payload-type") and st01 == "277":
            rtype = "X12_271_Response_005010X279A1"
        answer = x12gen.answer(interchange, st01, now)
        return self._respond(msg, 200, rtype, "Success", "", answer)

    def _realtime_reject(self, msg: CoreMessage, chunks: list[bytes], problems: list, now) -> Response:
        """A payload that is not one well-formed single inquiry: TA1/999 (3.4) or a Payload error (Appendix A)."""
        text = problems[0].message if problems else "a RealTime payload is one interchange with a single inquiry"
        if self.readings["WEBBBS-R-RT-RESPONSE-TYPES"] != "section-3-4" or not chunks:
            return self._envelope_error(msg, 200, "PayloadIllegal", text)
        ack, rtype = self._negative_ack(chunks[0], msg.fields["SenderID"], now)
        return self._respond(msg, 200, rtype, "Success", "", ack)

    def _negative_ack(self, chunk: bytes, tp_id: str, now) -> tuple[bytes, str]:
        problems = self._x12_problems(chunk)
        try:
            interchange = x12gen.Interchange.read(chunk)
        except ValueError:
            return x12gen.ta1("000000000", tp_id, "024", now), "X12_TA1_Response_00501X231A1"
        if any(p.requirement in ("WEBBBS-X12-1", "WEBBBS-X12-4") or "IEA" in p.message for p in problems):
            return x12gen.ta1(
                interchange.control_number, tp_id, "001" if problems else "024", now
            ), "X12_TA1_Response_00501X231A1"
        return x12gen.negative_999(interchange, now), "X12_999_Response_005010X231A1"

    def _x12_problems(self, payload: bytes, payload_type: str | None = None, realtime: bool = False) -> list:
        """The X12 envelope findings `payercert validate` reports (validators/x12.py), as requirement findings."""
        ids = self.spec.get("x12_payloads", {}).get(payload_type or "")
        return x12_findings(payload, self.spec, ids, realtime, segment_level=False)

    @staticmethod
    def _chunks(payload: bytes) -> list[bytes]:
        return [c.encode("utf-8") for c in x12check.split_interchanges(payload)]

    def _submit(self, msg: CoreMessage, tp_id: str) -> Response:
        ptype, now = msg.fields["PayloadType"], self.clock.now()
        accepted_status = 200 if self.broken("batch-upload-200") else 202
        if ptype == CONFIRM_TYPE and not self.broken("receipt-confirmation-uploaded"):
            self.repository(tp_id).confirmations += 1
            return self._respond(msg, accepted_status, "X12_Response_ConfirmReceiptReceived", "Success", "", None)
        if self.broken("dental-claims-refused") and ptype.startswith("X12_837_Request_005010X224"):
            return self._envelope_error(msg, 200, "PayloadTypeIllegal", f"{ptype} is not accepted", raise_=False)
        repo, failed, uploaded = self.repository(tp_id), [], 0
        for chunk in self._chunks(msg.payload or b""):
            problems = self._x12_problems(chunk, ptype)
            try:
                interchange = x12gen.Interchange.read(chunk)
            except ValueError:
                failed.append(chunk)  # not an interchange at all: it fails to upload (3.7.1)
                continue
            uploaded += 1
            repo.uploads.append(chunk)
            if problems:  # negative acknowledgments only (3.4)
                ack, rtype = self._negative_ack(chunk, tp_id, now)
                if self.broken("negative-999-unknown-ak901"):
                    ack = ack.replace(b"~AK9*R*", b"~AK9*Q*")
                if not self.broken("negative-acks-not-returned"):
                    late = now + timedelta(minutes=61) if self.broken("negative-acks-after-an-hour") else None
                    repo.deliver("TA1" if rtype.startswith("X12_TA1") else "999", ack, late)
                continue
            late = now + timedelta(days=2) if self.broken("results-two-days-later") else None
            repo.deliver(RESULT_OF_UPLOAD[ptype], x12gen.answer(interchange, RESULT_OF_UPLOAD[ptype], now), late)
            if self.broken("positive-acks"):
                repo.deliver(
                    "999",
                    x12gen.negative_999(interchange, now).replace(b"AK9*R", b"AK9*A").replace(b"IK5*R*5", b"IK5*A"),
                )
        if failed and not self.broken("no-partial-upload"):
            status = accepted_status if uploaded else 200
            return self._respond(
                msg,
                status,
                "X12_BatchReceiptConfirmation",
                "PartialUpload",
                f"{len(failed)} of {len(failed) + uploaded} files failed to upload",
                FS.join(failed),
            )
        return self._respond(msg, accepted_status, "X12_BatchReceiptConfirmation", "Success", "", None)

    def _download(self, msg: CoreMessage, tp_id: str, method: str) -> Response:
        ptype, repo = msg.fields["PayloadType"], self.repository(tp_id)
        now = self.clock.now()
        download = repo.take_results(ptype, now) if ptype in RESULT_KINDS else repo.take_acks(ptype, now)
        code = "FilesPending" if download.pending and not self.broken("no-files-pending") else "Success"
        payload = (b"" if self.broken("fs-separators-dropped") else FS).join(download.files) if download.files else None
        return self._respond(msg, 200, download.payload_type, code, "", payload)

    # --- responses -----------------------------------------------------------------------------
    def _envelope_error(self, msg: CoreMessage, status: int, code: str, message: str, *, raise_: bool = True):
        echoed = msg.payload if self.broken("envelope-error-with-payload") else None
        response = self._respond(msg, status, msg.fields.get("PayloadType", ""), code, message, echoed)
        if raise_:
            raise Answer(status, code, message, response.body, response.media_type)
        return response

    def _respond(
        self, request: CoreMessage, status: int, payload_type: str, code: str, message: str, payload: bytes | None
    ) -> Response:
        now = self.clock.now()
        element = RESPONSE_ELEMENT.get(request.element or "", "COREEnvelopeRealTimeResponse")
        realtime = element == "COREEnvelopeRealTimeResponse"
        f = request.fields
        given = f.get("ProcessingMode")
        fields = {
            "PayloadType": payload_type,
            "ProcessingMode": given
            if given is not None and given in self.limits
            else ("RealTime" if realtime else "Batch"),
            "PayloadID": str(uuid.uuid4()) if self.broken("payloadid-not-echoed") else f.get("PayloadID", ""),
        }
        if not realtime and payload is not None:
            fields["PayloadLength"] = str(len(payload))
        fields.update(
            {
                "TimeStamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "SenderID": "WEBBBS" if self.broken("response-sender-not-payer") else PAYER,
                "ReceiverID": request.username or f.get("SenderID", ""),
                "CORERuleVersion": "2.2.0",
            }
        )
        if not realtime and payload is not None:
            fields["CheckSum"] = hashlib.sha1(payload).hexdigest()
        fields["ErrorCode"] = code
        if not self.broken("error-message-missing"):
            fields["ErrorMessage"] = message
        out = CoreMessage(
            form=request.form,
            element=element,
            fields=codec.ordered_fields(element, fields),
            payload=payload,
            direction="response",
        )
        if request.form == "mime":
            if self.readings["WEBBBS-R-ERROR-FIELD"] == "error-description" and "ErrorMessage" in fields:
                fields["ErrorDescription"] = fields.pop("ErrorMessage")
            body, media = codec.build_mime(out)
            return Response(body, status_code=status, media_type=media)
        created = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        expires = now + timedelta(minutes=5)
        out.ws_timestamp = {
            "created": created,
            "expires": expires.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expires.microsecond // 1000:03d}Z",
        }
        mtom = (
            not realtime
            if not (self.broken("batch-payload-in-line") or self.broken("realtime-answer-mtom"))
            else realtime
        )
        body, media = codec.build_mtom(out) if mtom else codec.build_soap(out)
        if self.broken("qualified-children"):
            body = _qualify(body)
        if self.broken("mtom-attachment-not-referenced"):
            body = re.sub(rb'href="cid:[^"]*"', b'href="cid:missing-part@payercert"', body)
        return Response(body, status_code=status, media_type=media)

    def _wsdl(self, request: Request) -> bytes:
        base = f"{request.url.scheme}://{request.url.netloc}"
        text = (self.feed.root / "core.wsdl").read_text()
        for name in ("soap_realtime", "soap_batch"):
            prod = self.feed.environments["production"]["urls"][name]
            text = text.replace(prod, base + self.paths[name])
        return text.encode()


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]


def _not_understood(msg: CoreMessage) -> list[str]:
    """Clark names of the SOAP header blocks marked mustUnderstand that the service does not process
    (it understands WS-Security only)."""
    if msg.core_xml is None:
        return []
    env = codec.SOAP12_NS
    header = msg.core_xml.getroottree().getroot().find(f"{{{env}}}Header")
    return [
        block.tag
        for block in (header if header is not None else [])
        if isinstance(block.tag, str)
        and block.get(f"{{{env}}}mustUnderstand") in ("true", "1")
        and block.tag != f"{{{codec.WSSE_NS}}}Security"
    ]


def _fault(code: str, reason: str, not_understood: Sequence[str] = ()) -> bytes:
    """A SOAP 1.2 fault (env:Sender, env:Receiver, env:MustUnderstand with its env:NotUnderstood blocks)."""
    env = codec.SOAP12_NS
    root = etree.Element(f"{{{env}}}Envelope", nsmap={"s": env})
    if not_understood:
        header = etree.SubElement(root, f"{{{env}}}Header")
        for n, qname in enumerate(not_understood):
            ns, local = qname[1:].split("}", 1)
            block = etree.SubElement(header, f"{{{env}}}NotUnderstood", nsmap={f"h{n}": ns})
            block.set("qname", f"h{n}:{local}")
    fault = etree.SubElement(etree.SubElement(root, f"{{{env}}}Body"), f"{{{env}}}Fault")
    etree.SubElement(etree.SubElement(fault, f"{{{env}}}Code"), f"{{{env}}}Value").text = f"s:{code}"
    text = etree.SubElement(etree.SubElement(fault, f"{{{env}}}Reason"), f"{{{env}}}Text")
    text.text = reason
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _qualify(body: bytes) -> bytes:
    """The CORE envelope's children moved into the CORE namespace (what a strict schema refuses)."""
    declared = re.search(rb'xmlns:(\w+)="' + codec.CORE_NS.encode() + rb'"', body)
    assert declared is not None  # our own envelopes declare the CORE namespace with a prefix
    prefix = declared.group(1)

    def qualify(match: re.Match) -> bytes:
        return b"<" + match.group(1) + prefix + b":" + match.group(2)

    names = rb"(PayloadType|ProcessingMode|PayloadID|PayloadLength|TimeStamp|SenderID|ReceiverID|CORERuleVersion|CheckSum|Payload|ErrorCode|ErrorMessage)\b"
    return re.sub(rb"<(/?)" + names, qualify, body)


def create(fault: str | None = None, **options: Any) -> WebbbsSimulator:
    return WebbbsSimulator(fault, **options)
