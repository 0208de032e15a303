"""The transport of the CORE web services (3.1, 3.5, 3.7.1): HTTPS with HTTP/1.1 only, TLS 1.1 or
above, Content-Length that is the body's length, MTOM attachments holding the payload's octets,
and a batch message over four megabytes rejected entirely."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import ssl

import pytest

from payercert.suites.transport_probes import (
    Answer,
    accepted_old,
    handshake,
    plain_answer,
    plain_http_url,
    served_over_plain_http,
)
from payercert.suites.webbbs.client import segments, x12_270

requirement = pytest.mark.requirement
TLS_OK = ("TLSv1.1", "TLSv1.2", "TLSv1.3")


@pytest.mark.readonly
@requirement("WEBBBS-TRANSPORT-1")
def test_https_only_with_http_1_1(webbbs, target):
    """Answers come over HTTPS as HTTP/1.1; plain HTTP to the service's port is not served"""
    ex = webbbs.realtime()
    assert ex.response.url.scheme == "https", f"WEBBBS-TRANSPORT-1: the endpoint is {ex.response.url.scheme}"
    assert ex.response.http_version == "HTTP/1.1", f"WEBBBS-TRANSPORT-1: answered with {ex.response.http_version}"
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    msg.username = msg.password = None  # the probe carries no secret: it may travel unencrypted
    over_https = Answer.of(webbbs.send(msg).response)
    over_http = plain_answer(lambda: webbbs.send(msg, url=plain_http_url(target.url("soap_realtime"))).response)
    problem = served_over_plain_http(over_https, over_http)
    assert problem is None, f"WEBBBS-TRANSPORT-1: {problem}"


@pytest.mark.readonly
@requirement("WEBBBS-TRANSPORT-2")
def test_tls_1_1_or_above(target):
    """A handshake negotiates TLS 1.1 or above; one offering only TLS 1.0 is refused"""
    url = target.url("soap_realtime")
    negotiated = handshake(url, target.verify)
    assert negotiated in TLS_OK, f"WEBBBS-TRANSPORT-2: negotiated {negotiated}"
    old = accepted_old(url, ssl.TLSVersion.TLSv1)
    assert old is None, f"WEBBBS-TRANSPORT-2: a TLS 1.0-only handshake was accepted ({old})"


@requirement("WEBBBS-TRANSPORT-5")
@pytest.mark.parametrize("form", ["soap", "mtom", "mime"])
def test_content_length_is_the_body_length(webbbs, form):
    """Each answer's Content-Length is the byte length of the body it carries, counted on the wire"""
    if form == "mtom":
        msg = webbbs.envelope("BatchSubmitAckRetrievalTransaction", "X12_005010_Request_Acks")
    else:
        msg = webbbs.envelope(
            "RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control())
        )
    answer = webbbs.raw(msg, form)
    declared = answer.headers.get("content-length")
    assert answer.headers.get("content-encoding") in (None, "identity"), "the body is encoded; its length differs"
    assert declared is not None and declared == str(len(answer.body)), (
        f"WEBBBS-TRANSPORT-5: Content-Length {declared}, {len(answer.body)} bytes of body arrived"
    )


@requirement("WEBBBS-MTOM-5")
@pytest.mark.mutating
def test_mtom_attachment_holds_the_payload_octets(webbbs):
    """A results download's MTOM attachment is binary and holds exactly the octets CheckSum names"""
    webbbs.drain_results()
    assert webbbs.submit(x12_270(webbbs.tp, webbbs.control())).code == "Success"
    ex = webbbs.first_results()
    assert ex.msg is not None and ex.msg.payload, f"WEBBBS-MTOM-5: no results download: {ex.explain()}"
    head = f"Content-Type: {ex.response.headers.get('content-type', '')}\r\n\r\n".encode()
    package = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + ex.response.content)
    parts = list(package.iter_parts())
    assert len(parts) >= 2, f"WEBBBS-MTOM-5: {len(parts)} MIME part(s), no attachment"
    attachment = parts[1]
    encoding = (attachment.get("Content-Transfer-Encoding") or "").strip().lower()
    assert encoding == "binary", (
        f"WEBBBS-MTOM-5: the attachment is sent {encoding or 'without'} Content-Transfer-Encoding"
    )
    octets = attachment.get_payload(decode=True)
    assert octets == ex.msg.payload, "WEBBBS-MTOM-5: the referenced attachment is not the payload"
    assert hashlib.sha1(octets).hexdigest() == (ex.msg.fields.get("CheckSum") or "").lower(), (
        "WEBBBS-MTOM-5: the attachment's octets do not hash to CheckSum"
    )


def _wire_size(webbbs, url: str, body: bytes, content_type: str) -> int:
    """Bytes of the whole HTTP/1.1 request as the transport sends it (request line, headers, body)."""
    request = webbbs.target.transport.client.build_request(
        "POST", url, content=body, headers={"Content-Type": content_type}
    )
    line = f"POST {request.url.raw_path.decode()} HTTP/1.1\r\n"
    return len(line) + sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + 2 + len(body)


@requirement("WEBBBS-SIZE-4")
@pytest.mark.mutating
def test_batch_over_four_megabytes_rejected_entirely(webbbs, target):
    """A batch message of four megabytes is processed; one byte more is rejected and none of it uploaded"""
    from payercert.validators.core_envelope import build

    megabyte = 1_000_000 if target.reading("WEBBBS-R-MEGABYTE") == "decimal" else 1_048_576
    limit, url = 4 * megabyte, target.url("soap_batch")
    webbbs.drain_results()
    outcomes, controls = {}, {}
    for extra in (0, 1):
        controls[extra] = webbbs.control()
        msg = webbbs.envelope(
            "BatchSubmitTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, controls[extra])
        )
        body, content_type = build(msg)
        padded = body
        for _ in range(3):  # an epilogue after the closing boundary: padding no parser reads as data
            pad = len(padded) - len(body) + limit + extra - _wire_size(webbbs, url, padded, content_type)
            padded = body + b"x" * pad
        assert _wire_size(webbbs, url, padded, content_type) == limit + extra
        outcomes[extra] = webbbs.send(msg, url=url, body=padded, content_type=content_type)
    at_limit, over = outcomes[0], outcomes[1]
    assert at_limit.code == "Success", f"WEBBBS-SIZE-4: {limit} bytes: {at_limit.explain()}"
    assert over.status >= 400 or over.code not in (None, "Success"), (
        f"WEBBBS-SIZE-4: {limit + 1} bytes were accepted: {over.explain()}"
    )
    files = webbbs.results_answering({f"{controls[0]:09d}"})  # the four-megabyte batch was processed
    answered = {segments(f)[0][13] for f in files if segments(f)}
    assert f"{controls[1]:09d}" not in answered, "WEBBBS-SIZE-4: part of the oversized batch was uploaded and answered"
