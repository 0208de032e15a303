"""The TPA Stream simulator: its synthetic data is deterministic and valid against the spec bundle's
schemas, and its pagination, filters, auth and allow-list behave as the suite expects."""

from __future__ import annotations

import base64
import math
import warnings

import pytest

from payercert.feeds import load_feed
from payercert.simulation import load_simulator
from payercert.validators.schemas import compiled_schema

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SCHEMAS = load_feed("tpastream").root / "schemas"


def simulator(fault=None, **options):
    return load_simulator("tpastream").create(fault, **options)


def client(sim, address="127.0.0.1"):
    return TestClient(sim.app, base_url="https://testserver", client=(address, 50000))


def auth(sim, key=None):
    token = base64.b64encode(f"{sim.user.email}:{key or sim.user.api_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    "size", [{}, {"employers": 7, "claims": 900, "members_per_employer": 6, "seed": 3}], ids=["default", "larger"]
)
def test_every_item_is_valid_against_the_schemas(size):
    sim = simulator(**size)
    data = sim.data
    checks = [
        ("employer.json", data.employers.values()),
        ("member.json", data.members.values()),
        ("policy-holder.json", data.policy_holders.values()),
        ("claim.json", (data.claim(c.id) for c in data.claims)),
    ]
    for name, items in checks:
        validator = compiled_schema(SCHEMAS / name)
        for item in items:
            errors = list(validator.errors(item))
            assert not errors, f"{name}: {errors[0]}"


def test_data_is_deterministic_and_has_what_the_filters_need():
    a, b = simulator(), simulator()
    assert [a.data.claim(c.id) for c in a.data.claims] == [b.data.claim(c.id) for c in b.data.claims]
    assert len(a.data.employers) == 3 and len(a.data.claims) == 60
    assert a.data.read_claim_ids() and a.data.before_effective_ids()
    assert simulator(seed=8).data.claim(476001) != a.data.claim(476001)


def test_100k_claims_are_built_lazily():
    sim = simulator(claims=100_000, employers=20)
    response = client(sim).get("/api/claims", params={"per_page": 1000, "page": 100}, headers=auth(sim))
    body = response.json()
    assert response.status_code == 200 and body["total"] == 100_000 and len(body["data"]) == 1000
    assert body["has_next"] is False and body["pages"] == 100


@pytest.mark.parametrize("per_page", [1, 7, 10, 60, 61, 1000])
def test_pagination_is_flask_sqlalchemys(per_page):
    sim = simulator()
    c, seen = client(sim), []
    pages = math.ceil(60 / per_page)
    for page in range(1, pages + 1):
        body = c.get("/api/claims", params={"page": page, "per_page": per_page}, headers=auth(sim)).json()
        assert (body["page"], body["pages"], body["per_page"], body["total"]) == (page, pages, per_page, 60)
        assert body["has_next"] == (page < pages) and body["has_prev"] == (page > 1)
        assert body["next_num"] == (page + 1 if page < pages else None)
        assert body["prev_num"] == (page - 1 if page > 1 else None)
        seen += [claim["id"] for claim in body["data"]]
    assert len(seen) == len(set(seen)) == 60
    after = c.get("/api/claims", params={"page": pages + 1, "per_page": per_page}, headers=auth(sim))
    assert after.status_code == 404 and "message" in after.json()


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": -1}, {"page": "x"}, {"per_page": "1.5"}])
def test_invalid_paging_is_400(params):
    sim = simulator()
    response = client(sim).get("/api/claims", params=params, headers=auth(sim))
    assert response.status_code == 400 and isinstance(response.json()["message"], str)


def test_auth_and_allow_list():
    sim = simulator()
    assert client(sim).get("/api/claims").status_code == 401
    assert client(sim).get("/api/claims", headers=auth(sim, "wrong")).status_code == 401
    outside = client(sim, "127.0.0.2").get("/api/claims", headers=auth(sim))
    assert outside.status_code == 403 and "message" in outside.json()
    assert "data" not in outside.json()


def test_filters_and_nested_paths():
    sim = simulator()
    c = client(sim)
    read = set(sim.data.read_claim_ids())
    ids = [
        x["id"]
        for x in c.get("/api/claims", params={"per_page": 100, "hide_read": "on"}, headers=auth(sim)).json()["data"]
    ]
    assert ids and not read & set(ids)
    before = set(sim.data.before_effective_ids())
    ids = [
        x["id"]
        for x in c.get(
            "/api/claims", params={"per_page": 100, "hide_before_effective_date": "on"}, headers=auth(sim)
        ).json()["data"]
    ]
    assert ids and not before & set(ids)
    employer = next(iter(sim.data.employers))
    claims = c.get(f"/api/employer/{employer}/claims", params={"per_page": 100}, headers=auth(sim)).json()["data"]
    assert claims and all(cl["members"][0]["employer_id"] == employer for cl in claims)
    missing = c.get("/api/member/1/claims", headers=auth(sim))
    assert missing.status_code == 404 and "message" in missing.json()


def test_documented_unexpected_error():
    sim = simulator()
    url = sim.local_target("https://testserver")["options"]["error_url"]
    response = client(sim).get(url, headers=auth(sim))
    assert response.status_code == 500 and response.json()["event_id"]


class _Target:
    """What the suite's client needs of a target, served in-process by the simulator."""

    def __init__(self, sim):
        self.http, self.cache, self.sim = client(sim), {}, sim
        self.requests = 0

    def url(self, name):
        return "https://testserver/api"

    def credential(self, name):
        return {"email": self.sim.user.email, "api_key": self.sim.user.api_key}[name]

    def request(self, method, url, params=None, headers=None):
        self.requests += 1
        return self.http.request(method, url, params=params, headers=headers)

    def shared(self, key, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def test_large_walks_stream_page_by_page_and_agree_with_kept_ones(monkeypatch):
    """Past the kept-items budget a walk keeps ids and envelope numbers only and reads its pages
    again, one at a time, when a test needs them: the same items either way."""
    from payercert.suites.tpastream import client as suite_client

    sim = simulator(claims=450)
    kept = suite_client.TpaClient(_Target(sim)).walk("/claims", 40)
    monkeypatch.setattr(suite_client, "KEEP_ITEMS", 100)
    target = _Target(sim)
    streamed = suite_client.TpaClient(target).walk("/claims", 40)
    assert kept.kept is not None and streamed.kept is None
    assert streamed.ids == kept.ids and len(streamed.ids) == 450 == streamed.total
    first_pass = target.requests
    assert first_pass == math.ceil(450 / 40)
    pages = streamed.pages
    assert not isinstance(pages, list)  # a generator: one body alive at a time
    assert [c["id"] for c in streamed.items] == kept.ids
    assert target.requests == 2 * first_pass  # read again, not remembered
