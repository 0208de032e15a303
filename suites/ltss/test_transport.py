"""HTTP/1.1 over HTTPS only."""

import uuid

import pytest

from payercert.suites.transport_probes import Answer, plain_answer, plain_http_url, served_over_plain_http


@pytest.mark.smoke
@pytest.mark.requirement("LTSS-HTTP-1")
@pytest.mark.parametrize("endpoint", ["token", "upload"])
def test_plain_http_is_not_served(target, endpoint):
    """A plain-HTTP request is refused or redirected to HTTPS, never processed"""
    url = target.url(endpoint)
    assert url.startswith("https://"), f"LTSS-HTTP-1: the {endpoint} URL itself is not HTTPS: {url}"
    body = {"TransactionId": str(uuid.uuid4())}  # no credentials: the probe may travel unencrypted
    over_https = Answer.of(target.request("POST", url, json=body))
    over_http = plain_answer(lambda: target.request("POST", plain_http_url(url), json=body))
    problem = served_over_plain_http(over_https, over_http)
    assert problem is None, f"LTSS-HTTP-1: {problem}"
