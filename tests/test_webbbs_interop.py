"""Interoperability of the WebBBS simulator with a SOAP client nobody here wrote: zeep, generated from
specs/webbbs/core.wsdl with zeep's own WS-Security UsernameToken, calls RealTimeTransaction and the
batch methods and parses every answer; every response the simulator sends validates against the
CAQH CORERule2.2.0.xsd as published (tests/fixtures/caqh/)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from lxml import etree

from payercert.feeds import load_feed
from payercert.server import BackgroundServer
from payercert.simulators.webbbs import create
from payercert.suites.webbbs.client import FS, x12_270
from payercert.tls import LocalCA
from payercert.validators import core_envelope as codec

zeep = pytest.importorskip("zeep")
from zeep.transports import Transport  # noqa: E402
from zeep.wsse.username import UsernameToken  # noqa: E402

PUBLISHED_XSD = Path(__file__).resolve().parent / "fixtures" / "caqh" / "CORERule2.2.0.xsd"  # see its README
WSDL_NS = "http://www.caqh.org/SOAP/WSDL/"


class RecordingTransport(Transport):
    """zeep's HTTP transport, keeping every response. zeep reads any status but 200 as a fault, while
    the document answers an accepted batch upload with 202 and an envelope (3.7.3, Figure 5): the status
    is kept here for the assertions and zeep is handed the body as the 200 it understands."""

    def __init__(self, session: requests.Session):
        super().__init__(session=session)
        self.responses: list[requests.Response] = []
        self.statuses: list[int] = []

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        self.responses.append(response)
        self.statuses.append(response.status_code)
        if response.status_code == 202:
            response.status_code = 200
        return response


@pytest.fixture(scope="module")
def service():
    # zeep sends a batch Payload in-line as base64 (it has no MTOM sending): the reading that makes
    # MTOM a recommendation lets the simulator take it (WEBBBS-R-MTOM-REQUIRED, 3.4 "should").
    sim = create(readings={"WEBBBS-R-MTOM-REQUIRED": "should"})
    ca = LocalCA()
    with BackgroundServer(sim.app, ca) as server:
        session = requests.Session()
        session.verify, session.trust_env = str(ca.ca_path), False  # the local CA only, whatever the environment says
        transport = RecordingTransport(session)
        client = zeep.Client(
            str(load_feed("webbbs").root / "core.wsdl"),
            transport=transport,
            wsse=UsernameToken(sim.partner.tp_id, sim.partner.password),
        )
        urls = sim.local_target(server.base_url)["urls"]
        realtime = client.create_service(f"{{{WSDL_NS}}}CORERealTimeSoapBinding", urls["soap_realtime"])
        batch = client.create_service(f"{{{WSDL_NS}}}COREBatchSoapBinding", urls["soap_batch"])
        yield sim, realtime, batch, transport
    ca.cleanup()


def _fields(sim, payload_type: str, mode: str = "Batch", **more) -> dict:
    return {
        "PayloadType": payload_type,
        "ProcessingMode": mode,
        "PayloadID": str(uuid.uuid4()),
        "TimeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SenderID": sim.partner.tp_id,
        "ReceiverID": "716007869",
        "CORERuleVersion": "2.2.0",
        **more,
    }


def test_zeep_realtime_270_gets_a_271(service):
    sim, realtime, _, _ = service
    request = _fields(sim, "X12_270_Request_005010X279A1", "RealTime")
    answer = realtime.RealTimeTransaction(**request, Payload=x12_270(sim.partner.tp_id, 41).decode())
    assert answer.ErrorCode == "Success", answer.ErrorMessage
    assert answer.PayloadType == "X12_271_Response_005010X279A1"
    assert (answer.PayloadID, answer.SenderID, answer.ReceiverID) == (
        request["PayloadID"],
        "716007869",
        sim.partner.tp_id,
    )
    assert answer.Payload.startswith("ISA") and "ST*271*" in answer.Payload and "000000041" in answer.Payload


def test_zeep_batch_lifecycle(service):
    sim, _, batch, transport = service
    payload = x12_270(sim.partner.tp_id, 42)
    submitted = batch.BatchSubmitTransaction(
        **_fields(
            sim, "X12_270_Request_005010X279A1", PayloadLength=len(payload), CheckSum=hashlib.sha1(payload).hexdigest()
        ),
        Payload=payload,
    )
    assert transport.statuses[-1] == 202
    assert (submitted.ErrorCode, submitted.PayloadType) == ("Success", "X12_BatchReceiptConfirmation")
    acks = batch.BatchSubmitAckRetrievalTransaction(**_fields(sim, "X12_005010_Request_Acks"))
    assert acks.ErrorCode == "Success" and acks.PayloadType == "X12_005010_Response_NoBatchAckFile"
    results = batch.BatchResultsRetrievalTransaction(**_fields(sim, "X12_005010_Request_Batch_Results_271"))
    assert results.ErrorCode in ("Success", "FilesPending") and results.PayloadType == "X12_271_Response_005010X279A1"
    files = [f for f in results.Payload.split(FS) if f]  # zeep resolved the MTOM attachment to bytes
    assert any(b"ST*271*" in f and b"000000042" in f for f in files)
    assert results.CheckSum.lower() == hashlib.sha1(results.Payload).hexdigest()
    confirm = _fields(
        sim,
        "X12_999_SubmissionRequest_005010X231A1",
        PayloadLength=len(payload),
        CheckSum=hashlib.sha1(payload).hexdigest(),
    )
    confirmed = batch.BatchResultsAckSubmitTransaction(**confirm, Payload=payload)
    assert (confirmed.ErrorCode, confirmed.PayloadType) == ("Success", "X12_Response_ConfirmReceiptReceived")


def test_zeep_sees_an_envelope_error(service):
    sim, realtime, _, _ = service
    answer = realtime.RealTimeTransaction(
        **_fields(sim, "X12_270_Request_005010X279A1", "RealTime", PayloadID="not-a-uuid"),
        Payload=x12_270(sim.partner.tp_id, 43).decode(),
    )
    assert answer.ErrorCode == "PayloadIDIllegal" and answer.ErrorMessage


def test_every_response_validates_against_the_published_xsd(service):
    _, _, _, transport = service
    if len(transport.responses) < 6:  # run on its own (-k, a split run): make the exchanges it checks
        for exchange in (
            test_zeep_realtime_270_gets_a_271,
            test_zeep_batch_lifecycle,
            test_zeep_sees_an_envelope_error,
        ):
            exchange(service)
    assert len(transport.responses) >= 6
    schema = etree.XMLSchema(etree.parse(str(PUBLISHED_XSD)))
    for response in transport.responses:
        msg = codec.parse_message(response.content, response.headers.get("content-type", ""))
        assert schema.validate(msg.core_xml), f"{msg.element}: {schema.error_log.last_error}"
