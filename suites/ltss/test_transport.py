"""HTTP/1.1 over HTTPS only."""

import uuid

import pytest

from payercert.errors import TransportError
from payercert.wording import header_shown


@pytest.mark.smoke
@pytest.mark.requirement("LTSS-HTTP-1")
@pytest.mark.parametrize("endpoint", ["token", "upload"])
def test_plain_http_is_not_served(target, endpoint):
    """A plain-HTTP request is refused or redirected to HTTPS, never processed"""
    url = target.url(endpoint)
    assert url.startswith("https://"), f"LTSS-HTTP-1: the {endpoint} URL itself is not HTTPS: {url}"
    plain = "http://" + url.removeprefix("https://")
    try:
        response = target.request("POST", plain, json={"TransactionId": str(uuid.uuid4())})
    except TransportError:
        return  # nothing listens for plain HTTP there: refused
    if response.is_redirect:
        assert response.headers.get("location", "").startswith("https://"), (
            f"LTSS-HTTP-1: plain HTTP redirected to {header_shown(response, 'location')}, not HTTPS"
        )
        return
    assert response.status_code >= 400, f"LTSS-HTTP-1: plain HTTP was answered {response.status_code}"
    assert response.status_code != 401 or "TID" not in response.headers, "LTSS-HTTP-1: plain HTTP request was processed"
