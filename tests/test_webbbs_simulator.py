"""Focused behaviour of the WebBBS simulator: one trading-partner login for the web services and SFTP,
batch files read through validators/x12.py, mustUnderstand faults, fault names of both channels, and
the by-name redaction of WS-Security passwords."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from lxml import etree

from payercert.redact import MASK, Redactor
from payercert.simulation import load_simulator
from payercert.simulators.webbbs import FAULTS, SFTP_FAULTS, create, start_extra
from payercert.simulators.webbbs.batch_files import Responder
from payercert.simulators.webbbs.sftp import SftpSimulator
from payercert.suites.webbbs.client import x12_270
from payercert.validators import core_envelope as codec
from payercert.validators.core_envelope import CoreMessage

TP = "TP000001"


def _post(sim, endpoint: str, body: bytes, content_type: str) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=sim.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://sim") as client:
            return await client.post(sim.paths[endpoint], content=body, headers={"Content-Type": content_type})

    return asyncio.run(go())


def _realtime(sim, password: str | None = None, **fields) -> CoreMessage:
    values = {
        "PayloadType": "X12_270_Request_005010X279A1",
        "ProcessingMode": "RealTime",
        "PayloadID": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
        "TimeStamp": "2024-01-15T12:30:00Z",
        "SenderID": TP,
        "ReceiverID": "716007869",
        "CORERuleVersion": "2.2.0",
        **fields,
    }
    return CoreMessage(
        form="soap",
        element="COREEnvelopeRealTimeRequest",
        fields=values,
        payload=x12_270(TP, 7),
        username=TP,
        password=password or sim.partner.password,
        action="RealTimeTransaction",
        direction="request",
    )


def _answer(response: httpx.Response) -> CoreMessage:
    return codec.parse_message(response.content, response.headers["content-type"])


def test_fault_names_are_unique_and_sftp_faults_leave_the_web_services_conforming():
    names = [f.name for f in FAULTS]
    assert len(names) == len(set(names)) and len(FAULTS) == len(load_simulator("webbbs").faults)
    for fault in SFTP_FAULTS:
        assert create(fault.name).fault is None


def test_one_login_for_web_services_and_sftp():
    """start_extra beside the app shares its accounts and clock (section 2: one Trading Partner login)."""
    sim = create()
    with start_extra(None, simulator=sim) as extra:
        assert extra["sftp"]["username"] == TP and extra["sftp"]["password"] == sim.partner.password
        assert extra["accounts"]["sftp_expired"]["username"] == sim.aged.tp_id
    sftp = SftpSimulator(None, sim.partners)
    try:
        assert sftp.login(TP, sim.partner.password) is None
        sim.clock.advance(days=90)  # one clock: the password ages on both channels at once
        assert sftp.login(TP, sim.partner.password) is not None
        ex = _answer(_post(sim, "soap_realtime", *codec.build_soap(_realtime(sim))))
        assert ex.fields["ErrorCode"] == "UnAuthorized"
    finally:
        sftp.stop()


def test_batch_files_answer_through_the_x12_rules():
    responder = Responder()
    good = x12_270(TP, 9)
    assert [a.kind for a in responder.answer(good)] == ["271"]
    no_iea = good[: good.rindex(b"IEA")]
    answer = responder.answer(no_iea)
    assert [a.kind for a in answer] == ["TA1"] and "*R*023~" in answer[0].text  # premature end
    old_version = good.replace(b"*00501*", b"*00401*", 1)
    assert "*R*017~" in responder.answer(old_version)[0].text  # invalid interchange version
    miscounted = good.replace(b"SE*13*", b"SE*12*")
    answer = responder.answer(miscounted)
    assert [a.kind for a in answer] == ["999"] and "AK9*R" in answer[0].text


def test_must_understand_header_gets_a_fault_naming_it():
    sim = create()
    body, content_type = codec.build_soap(_realtime(sim))
    marker = (
        b'<x:Route xmlns:x="urn:example" xmlns:e="http://www.w3.org/2003/05/soap-envelope" e:mustUnderstand="true"/>'
    )
    root = etree.fromstring(body)
    root.find(f"{{{codec.SOAP12_NS}}}Header").append(etree.fromstring(marker))
    response = _post(sim, "soap_realtime", etree.tostring(root), content_type)
    assert response.status_code == 500
    assert (
        b"MustUnderstand" in response.content and b"NotUnderstood" in response.content and b":Route" in response.content
    )
    assert b"Success" not in response.content


def test_escaped_realtime_payload_is_accepted_like_cdata():
    """CDATA (3.6.1) is the client's obligation; an escaped payload is the same XML text to the service."""
    sim = create()
    body, content_type = codec.build_soap(_realtime(sim))
    assert b"<![CDATA[" in body
    start, end = body.index(b"<![CDATA["), body.index(b"]]>")
    escaped = body[:start] + body[start + 9 : end].replace(b"&", b"&amp;") + body[end + 3 :]
    answer = _answer(_post(sim, "soap_realtime", escaped, content_type))
    assert answer.fields["ErrorCode"] == "Success" and answer.payload_type == "X12_271_Response_005010X279A1"


def test_wsse_password_redacted_by_name():
    """A WS-Security password nobody registered is still masked in a recorded body."""
    sim = create()
    body, content_type = codec.build_soap(_realtime(sim, password="Unregistered#Pw9"))
    text = Redactor().body(body, content_type)
    assert "Unregistered#Pw9" not in text and f">{MASK}</" in text
    assert TP in text  # the username is no secret


def test_aged_partner_refused_until_changed():
    sim = create()
    msg = _realtime(sim, SenderID=sim.aged.tp_id)
    msg.username, msg.password = sim.aged.tp_id, sim.aged.password
    response = _post(sim, "soap_realtime", *codec.build_soap(msg))
    assert response.status_code == 403 and _answer(response).fields["ErrorCode"] == "UnAuthorized"
    sim.aged.password_set = sim.clock.now() - timedelta(days=1)
    assert _answer(_post(sim, "soap_realtime", *codec.build_soap(msg))).fields["ErrorCode"] == "Success"


def test_an_835_answers_under_its_own_guide_whatever_837_it_remits():
    """An exchange check met this: an 835 sent under the dental 837's guide (GS08 005010X224A2)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from payercert.simulators.webbbs.x12gen import Interchange, answer
    from payercert.validators.x12 import parse_interchange, segment_findings

    text = (Path(__file__).parent / "corpus" / "x12" / "lfh-837-demo.example1.837").read_text().replace("\n", "")
    for guide in ("005010X222A2", "005010X224A2"):
        request = Interchange.read(text.replace("005010X222A2", guide).encode())
        remittance = parse_interchange(answer(request, "835", datetime.now(UTC)).decode())
        assert {s[8] for s in remittance.segments if s[0] == "GS"} == {"005010X221A1"}
        assert segment_findings(answer(request, "835", datetime.now(UTC)), "005010X221A1") == []  # its map
