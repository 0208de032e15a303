"""The HTTP layer (4.1): malformed messages get 400, SOAP 1.1 is refused, sizes are limited to the
whole message (limit and limit + 1 byte), RealTime is answered within 20 seconds, the WSDL is served."""

import pytest

from payercert.suites.webbbs.client import x12_270

requirement = pytest.mark.requirement
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


@requirement("WEBBBS-MIME-9")
def test_malformed_mime_is_400(webbbs, target):
    """A form-data body whose boundary delimits nothing: HTTP 400"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    ex = webbbs.send(
        msg,
        form="mime",
        content_type="multipart/form-data; boundary=NOT-IN-THE-BODY",
        body=b'--SOMETHING-ELSE\r\nContent-Disposition: form-data; name="PayloadType"\r\n\r\nX\r\n',
    )
    assert ex.status == 400, f"WEBBBS-MIME-9: HTTP {ex.status}"


@requirement("WEBBBS-SOAP-1")
def test_malformed_soap_is_400(webbbs):
    """A SOAP body that is not well-formed XML: HTTP 400"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    ex = webbbs.send(
        msg,
        content_type='application/soap+xml; charset=utf-8; action="RealTimeTransaction"',
        body=b"<soap:Envelope xmlns:soap='http://www.w3.org/2003/05/soap-envelope'><soap:Body>",
    )
    assert ex.status == 400, f"WEBBBS-SOAP-1: HTTP {ex.status}"


@requirement("WEBBBS-SOAP-6")
@pytest.mark.parametrize("action", [None, "NoSuchTransaction"])
def test_unroutable_soap_is_400_empty(webbbs, action):
    """A SOAP request with a missing or unknown action: HTTP 400 with an empty response"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    msg.action = action
    ex = webbbs.send(msg, url=webbbs.target.url("soap_realtime"))
    assert ex.status == 400 and not ex.response.content, (
        f"WEBBBS-SOAP-6: HTTP {ex.status}, {len(ex.response.content)} bytes"
    )


@requirement("WEBBBS-SOAP-7")
def test_soap_1_1_refused(webbbs, target):
    """A text/xml (SOAP 1.1) request is not processed: HTTP 500 with no body (or 415, by reading)"""
    msg = webbbs.envelope("RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control()))
    from payercert.validators.core_envelope import build_soap

    body, _ = build_soap(msg)
    ex = webbbs.send(msg, content_type="text/xml; charset=utf-8", body=body)
    expected = 415 if target.reading("WEBBBS-R-SOAP-VERSION-STATUS") == "http-415" else 500
    assert ex.status == expected and ex.code != "Success", f"WEBBBS-SOAP-7: HTTP {ex.status}, expected {expected}"


def _wire_size(webbbs, url: str, body: bytes, content_type: str) -> int:
    """Bytes of the whole HTTP/1.1 request as the transport sends it (request line, headers, body)."""
    request = webbbs.target.transport.client.build_request(
        "POST", url, content=body, headers={"Content-Type": content_type}
    )
    line = f"POST {request.url.raw_path.decode()} HTTP/1.1\r\n"
    return len(line) + sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + 2 + len(body)


@requirement("WEBBBS-SIZE-2")
@pytest.mark.parametrize("form", ["soap", "mime"])
def test_realtime_size_boundary(webbbs, target, form):
    """A RealTime message of exactly the limit is processed; one byte more is rejected entirely"""
    from payercert.validators.core_envelope import build

    megabyte = 1_000_000 if target.reading("WEBBBS-R-MEGABYTE") == "decimal" else 1_048_576
    url = target.url("mime" if form == "mime" else "soap_realtime")
    outcomes = {}
    for extra in (0, 1):
        msg = webbbs.envelope(
            "RealTimeTransaction", "X12_270_Request_005010X279A1", x12_270(webbbs.tp, webbbs.control())
        )
        msg.form = form
        body, content_type = build(msg)
        # padding the message cannot mistake for data: an XML comment after the envelope, a MIME epilogue
        overhead = len(b"<!---->") if form == "soap" else 0
        padded = body
        for _ in range(3):  # the Content-Length header grows with the body: settle in a few steps
            pad = len(padded) - len(body) - overhead + megabyte + extra - _wire_size(webbbs, url, padded, content_type)
            padded = body + (b"<!--" + b"x" * pad + b"-->" if form == "soap" else b"x" * pad)
        body = padded
        assert _wire_size(webbbs, url, body, content_type) == megabyte + extra
        outcomes[extra] = webbbs.send(msg, url=url, body=body, content_type=content_type)
    at_limit, over = outcomes[0], outcomes[1]
    assert at_limit.status == 200 and at_limit.code == "Success", (
        f"WEBBBS-SIZE-2: {megabyte} bytes: {at_limit.explain()}"
    )
    assert over.status >= 400 or over.code not in (None, "Success"), (
        f"WEBBBS-SIZE-2: {megabyte + 1} bytes were processed: {over.explain()}"
    )


@requirement("WEBBBS-TIME-1")
def test_realtime_answered_within_20_seconds(webbbs, target):
    """Every RealTime exchange of the run, this one included, was answered within 20 seconds"""
    webbbs.realtime()
    timings = target.cache.get("webbbs-realtime-seconds", [])
    assert timings and max(timings) <= 20.0, f"WEBBBS-TIME-1: slowest RealTime answer took {max(timings):.1f} s"


@pytest.mark.readonly
@requirement("WEBBBS-TRANSPORT-4")
def test_wsdl_served(webbbs, target):
    """The WSDL is served at ?wsdl and names the eight CORE web methods"""
    response = target.request("GET", target.url("wsdl"))
    assert response.status_code == 200, f"WEBBBS-TRANSPORT-4: HTTP {response.status_code}"
    from payercert.validators.xmlsafe import parse_xml

    root = parse_xml(response.content)
    operations = {op.get("name") for op in root.iter(f"{{{WSDL_NS}}}operation")}
    assert {
        "RealTimeTransaction",
        "BatchSubmitTransaction",
        "BatchSubmitAckRetrievalTransaction",
        "BatchResultsRetrievalTransaction",
        "BatchResultsAckSubmitTransaction",
    } <= operations, operations
