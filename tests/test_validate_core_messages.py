"""`payercert validate` on CORE messages and X12: exit codes, hostile and broken input, pyx12 segment checks."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payercert.feeds import load_feed
from payercert.validators.core_checks import check_bytes, x12_findings
from payercert.validators.core_envelope import CoreMessage, as_http, build_mime, build_mtom, ordered_fields
from payercert.validators.engine import Options, validate_file

SAMPLES = Path(__file__).resolve().parents[1] / "specs" / "webbbs" / "samples"
FEED = load_feed("webbbs")
ISA = "ISA*00*          *00*          *30*716007869      *ZZ*TP000001       *240115*1230*^*00501*000000045*0*P*:~"
ACK_999 = (
    "GS*FA*716007869*TP000001*20240115*1230*7*X*005010X231A1~ST*999*0001*005010X231A1~"
    "AK1*HS*1*005010X279A1~AK2*270*0001*005010X279A1~IK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*7~IEA*1*000000045~"
)


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "payercert", "validate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
    )


def test_cli_exit_codes_for_each_form():
    valid = [
        SAMPLES / "valid" / n
        for n in (
            "rt-270-soap-request.http",
            "batch-270-mtom-submission.http",
            "rt-270-mime-request.http",
            "x12-270.x12",
        )
    ]
    assert run(*map(str, valid)).returncode == 0
    done = run(str(SAMPLES / "invalid" / "hostile-entity-bomb.xml"))
    assert done.returncode == 1 and "WEBBBS-SOAP-10" in done.stdout and "lol" not in done.stdout


@pytest.mark.parametrize(
    "name,content,requirement",
    [
        (
            "truncated.http",
            b"POST /mime/COREservice.aspx HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\n\r\n"
            b'--B\r\nContent-Disposition: form-data; name="PayloadType"\r\n\r\nX12_',
            "WEBBBS-MIME-1",
        ),
        (
            "binary.http",
            b"POST /soap HTTP/1.1\r\nContent-Type: application/soap+xml\r\n\r\n\x00\x01\xff\xfe<",
            "WEBBBS-SOAP-1",
        ),
        (
            "notxml.xml",
            b"<soap:Envelope xmlns:soap='http://www.w3.org/2003/05/soap-envelope'><soap:Body>",
            "WEBBBS-SOAP-1",
        ),
        (
            "empty-body.xml",
            b"<soap:Envelope xmlns:soap='http://www.w3.org/2003/05/soap-envelope'><soap:Body/></soap:Envelope>",
            "WEBBBS-SOAP-3",
        ),
        ("short.x12", b"ISA*00*", "WEBBBS-X12-1"),
        ("text.http", b"POST /x HTTP/1.1\r\nContent-Type: text/plain\r\n\r\nhello", "WEBBBS-TRANSPORT-1"),
    ],
)
def test_broken_input_is_a_finding_never_a_traceback(tmp_path, name, content, requirement):
    """Named as the message it should be, a broken one is a finding of that kind; unnamed, it is a
    finding where its content shows the kind, else unusable with a one-line reason: never a traceback."""
    path = tmp_path / name
    path.write_bytes(content)
    kind = {"WEBBBS-MIME-1": "mime-realtime", "WEBBBS-X12-1": "x12-payload"}.get(requirement, "soap-realtime")
    done = run(str(path), "--format", "json", "--feed", "webbbs", "--kind", kind)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == 1 and requirement in done.stdout, done.stdout + done.stderr
    done = run(str(path))
    assert "Traceback" not in done.stdout + done.stderr and done.stderr == ""
    assert done.returncode == 1 and requirement in done.stdout or done.stdout.startswith(f"unusable {path}: ")


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&x;</soap:Body>'
        "</soap:Envelope>"
    ).encode()
    path = tmp_path / "xxe.xml"
    path.write_bytes(xml)
    report = validate_file(path, Options(feed="webbbs", kind="soap-realtime"))
    assert [(f.requirement, f.location.pointer) for f in report.findings] == [("WEBBBS-SOAP-10", "xml:DOCTYPE")]
    assert "TOP-SECRET" not in str(report.as_dict())


def submission(payload: bytes, **over) -> CoreMessage:
    fields = ordered_fields(
        "COREEnvelopeBatchSubmission",
        {
            "PayloadType": "X12_270_Request_005010X279A1",
            "ProcessingMode": "Batch",
            "PayloadID": "3c7d1ea9-41d1-3bfe-b746-f7924c7940ac",
            "PayloadLength": str(len(payload)),
            "TimeStamp": "2024-01-15T12:30:00Z",
            "SenderID": "TP000001",
            "ReceiverID": "716007869",
            "CORERuleVersion": "2.2.0",
            "CheckSum": hashlib.sha1(payload).hexdigest(),
            **over,
        },
    )
    return CoreMessage(
        form="mtom",
        element="COREEnvelopeBatchSubmission",
        fields=fields,
        payload=payload,
        username="TP000001",
        password="Kp7#vRt2!qZ",
        action="BatchSubmitTransaction",
    )


def codes(msg: CoreMessage, builder=build_mtom):
    body, ctype = builder(msg)
    _, findings = check_bytes(as_http("POST /soap/coreservice.svc/batch HTTP/1.1", body, ctype), FEED)
    return {(f.requirement, f.code) for f in findings}


def test_built_messages_are_clean_and_each_broken_field_gets_its_error_code():
    payload = (SAMPLES / "valid" / "x12-batch-two-270.x12").read_bytes()
    assert codes(submission(payload)) == set()
    assert codes(submission(payload), build_mime) == set()
    assert codes(submission(payload, PayloadID="not-a-uuid")) == {("WEBBBS-ENVELOPE-4", "PayloadIDIllegal")}
    assert codes(submission(payload, CheckSum="0" * 40)) == {("WEBBBS-PAYLOAD-2", "ChecksumMismatched")}
    assert codes(submission(payload, CORERuleVersion="2.0.0")) == {("WEBBBS-ENVELOPE-9", "VersionMismatch")}
    assert codes(submission(payload, ReceiverID="secure.mediciad.state.ar.us")) == {
        ("WEBBBS-ENVELOPE-8", "ReceiverIDIllegal")
    }
    assert codes(submission(payload, SenderID="TP000002")) == {("WEBBBS-ENVELOPE-7", "SenderIDIllegal")}
    assert codes(submission(payload, TimeStamp="2024-01-15T12:30:22")) == {("WEBBBS-ENVELOPE-6", "TimeStampIllegal")}
    assert codes(submission(payload, PayloadType="X12_271_Response_005010X279A1")) == {
        ("WEBBBS-ENVELOPE-3", "PayloadTypeIllegal"),
        ("WEBBBS-X12-5", None),
    }  # and the 270 inside is no 271
    assert codes(submission(payload, PayloadType="X12_005010_Request_Acks")) == {
        ("WEBBBS-BATCH-1", "PayloadTypeIllegal")
    }
    msg = submission(payload)
    del msg.fields["PayloadID"]
    assert codes(msg) == {("WEBBBS-ENVELOPE-1", "PayloadIDRequired")}


def test_size_limit_of_a_realtime_message():
    big = b"x" * 1_000_001
    msg = CoreMessage(
        form="mime",
        fields={
            "PayloadType": "X12_270_Request_005010X279A1",
            "ProcessingMode": "RealTime",
            "PayloadID": "3c7d1ea9-41d1-3bfe-b746-f7924c7940ac",
            "TimeStamp": "2024-01-15T12:30:00Z",
            "SenderID": "TP000001",
            "ReceiverID": "716007869",
            "CORERuleVersion": "2.2.0",
        },
        payload=big,
        username="TP000001",
        password="x",
    )
    body, ctype = build_mime(msg)
    _, findings = check_bytes(as_http("POST /mime/COREservice.aspx HTTP/1.1", body, ctype), FEED)
    assert "WEBBBS-SIZE-1" in {f.requirement for f in findings}


def test_pyx12_checks_segments_where_it_has_the_guide_and_only_there():
    ids = FEED.spec["x12_payloads"]["X12_999_Response_005010X231A1"]
    assert x12_findings((ISA + ACK_999).encode(), FEED.spec, ids, False) == []
    broken = x12_findings((ISA + ACK_999.replace("IK5*A~", "IK5*Q~")).encode(), FEED.spec, ids, False)
    assert broken and {f.requirement for f in broken} == {"WEBBBS-X12-8"}
    # a 270 with the same kind of damage gets envelope checks only: pyx12 has no 005010X279A1 map
    x270 = (SAMPLES / "valid" / "x12-270.x12").read_bytes().replace(b"EQ*30~", b"EQ*ZZZ~")
    assert x12_findings(x270, FEED.spec, FEED.spec["x12_payloads"]["X12_270_Request_005010X279A1"], False) == []


def _soap_sample() -> str:
    return (SAMPLES / "valid" / "rt-276-soap-request.xml").read_text()


def test_soap_1_1_and_a_wrapper_are_reported_and_the_envelope_still_checked(tmp_path):
    """Each deviation a tolerant reading reads past is one finding, and the defects behind it show."""
    text = _soap_sample().replace("X12_276_Request_005010X212</PayloadType>", "X12 276 Request</PayloadType>")
    text = text.replace("http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/")
    text = text.replace(
        "<ns1:COREEnvelopeRealTimeRequest", '<w:Wrapper xmlns:w="urn:x"><ns1:COREEnvelopeRealTimeRequest'
    )
    text = text.replace("</ns1:COREEnvelopeRealTimeRequest>", "</ns1:COREEnvelopeRealTimeRequest></w:Wrapper>")
    _msg, found = check_bytes(text.encode(), FEED.spec)
    assert [f.requirement for f in found] == ["WEBBBS-SOAP-1", "WEBBBS-SOAP-3", "WEBBBS-ENVELOPE-3"], found
    assert found[1].message.endswith("(the CORE COREEnvelopeRealTimeRequest is inside it, and is read)")
    assert "{" not in found[1].message  # the element is named, not dumped in Clark notation


def test_a_server_still_refuses_soap_1_1():
    from payercert.validators.core_envelope import CoreSyntaxError, parse_message

    text = _soap_sample().replace(
        "http://www.w3.org/2003/05/soap-envelope", "http://schemas.xmlsoap.org/soap/envelope/"
    )
    with pytest.raises(CoreSyntaxError, match="SOAP 1.1"):
        parse_message(text.encode())


def _without_start_line(name: str) -> tuple[bytes, bytes]:
    """(the HTTP head, the message as a MIME entity: its Content-Type, an empty line, the body)."""
    raw = (SAMPLES / "valid" / name).read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    ctype = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-type"))
    return head, b"MIME-Version: 1.0\r\n" + ctype + b"\r\n\r\n" + body


def test_a_mime_entity_without_its_http_start_line_is_recognised(tmp_path):
    _head, entity = _without_start_line("rt-270-mime-request.http")
    (tmp_path / "captured.txt").write_bytes(entity)
    for feed in (None, "webbbs"):
        report = validate_file(tmp_path / "captured.txt", Options(feed=feed))
        assert (report.feed, report.kind, report.unusable, report.findings) == ("webbbs", "mime-realtime", None, [])


def test_a_captured_mtom_root_part_is_read_and_its_absent_payload_said(tmp_path):
    raw = (SAMPLES / "valid" / "batch-270-mtom-submission.http").read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    boundary = head.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    root = body.split(b"--" + boundary)[1].strip(b"\r\n")
    (tmp_path / "part.txt").write_bytes(root)
    report = validate_file(tmp_path / "part.txt", Options())
    assert (report.feed, report.kind, report.unusable) == ("webbbs", "soap-batch", None)
    assert [(f.requirement, f.severity.value) for f in report.findings] == [("WEBBBS-MTOM-4", "warning")]
    assert "a part this file does not hold: not checked" in report.findings[0].message
