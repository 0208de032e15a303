"""The API root: HAL links, curies, no credentials needed."""

from urllib.parse import urlparse

import pytest

from payercert.suites.lanternpay.client import json_body

requirement = pytest.mark.requirement


@pytest.mark.smoke
@requirement("LP-HAL-1", "LP-JSON-1")
def test_root_answers_without_credentials(lp):
    """GET / needs no credentials and answers 200 with a HAL _links object"""
    response = lp.root_response()
    assert response.status_code == 200, f"LP-HAL-1: GET / answered {response.status_code}"
    body = json_body(response)
    assert isinstance(body, dict) and isinstance(body.get("_links"), dict), "LP-HAL-1: the root has no _links object"


@pytest.mark.smoke
@requirement("LP-HAL-2", "LP-HAL-3", "LP-HAL-4", "LP-HAL-5", "LP-HAL-6", "LP-JSON-2", "LP-HTTP-2")
def test_root_links_follow_the_document(lp):
    """The root's _links: self, the OAuth links, the templated submit links and an lp curie"""
    response = lp.root_response()
    assert response.status_code == 200, f"LP-HTTP-2: GET / answered {response.status_code}"
    body = json_body(response)
    lp.assert_schema("root.json", body, "the root")
    curies = body["_links"]["curies"]
    lp_curie = [c for c in curies if c.get("name") == "lp"]
    assert lp_curie, "LP-HAL-6: no curie named lp"
    assert "{rel}" in lp_curie[0]["href"] and lp_curie[0].get("templated") is True, (
        "LP-HAL-6: the lp curie is not a {rel} template"
    )


@pytest.mark.readonly
@requirement("LP-HTTP-1", "LP-HAL-9")
def test_root_links_are_https_under_the_base(lp):
    """Every API link of the root is an absolute HTTPS URI under the root's self"""
    links = lp.links()
    self_href = links["self"]["href"].rstrip("/")
    assert urlparse(self_href).scheme == "https", f"LP-HTTP-1: self {self_href!r} is not HTTPS"
    for rel in ("lp:submit-invoice", "lp:submit-predetermination"):
        href = links[rel]["href"]
        assert urlparse(href).scheme == "https", f"LP-HTTP-1: {rel} {href!r} is not HTTPS"
        assert href.startswith(self_href + "/"), f"LP-HAL-9: {rel} {href!r} is not under the base {self_href!r}"
    for rel in ("lp:oauth-issuer", "lp:oauth-token"):
        assert urlparse(links[rel]["href"]).scheme == "https", f"LP-HTTP-1: {rel} is not HTTPS"
