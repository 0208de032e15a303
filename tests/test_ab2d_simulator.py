"""The AB2D simulator on its own: its exports validate against the spec bundle, and its tokens, job
engine, limits, expiry and isolation behave as AB2D's code does (docs/sources/ab2d.md 1.1-1.6)."""

from __future__ import annotations

import base64
import hashlib
import warnings
from pathlib import Path

import pytest

from payercert.simulation import load_simulator
from payercert.validators.engine import Options, validate_file
from payercert.validators.findings import Severity

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TOKEN = "/oauth2/aus2r7y3gdaFMKBol297/v1/token"


class Clock:
    def __init__(self):
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def setup(fault=None, **options):
    clock = Clock()
    sim = load_simulator("ab2d").create(
        fault, clock=clock, job_seconds=10, retry_after=5, beneficiary_scale=0.2, **options
    )
    return sim, clock, TestClient(sim.app, base_url="https://testserver")


def token(client, sponsor, scope="clientCreds", secret=None):
    basic = base64.b64encode(f"{sponsor.client_id}:{secret or sponsor.client_secret}".encode()).decode()
    return client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": scope}, headers={"Authorization": f"Basic {basic}"}
    )


def bearer(client, sponsor):
    return {"Authorization": "Bearer " + token(client, sponsor).json()["access_token"]}


def finished_export(sim, clock, client, version="v1", sponsor=None):
    headers = bearer(client, sponsor or sim.sponsors[0])
    kickoff = client.get(f"/api/{version}/fhir/Patient/$export", headers=headers)
    assert kickoff.status_code == 202
    clock.now += 11
    status = client.get(kickoff.headers["content-location"], headers=headers)
    assert status.status_code == 200
    return headers, kickoff.headers["content-location"], status


@pytest.mark.parametrize("version,kind", [("v1", "eob-stu3"), ("v2", "eob-r4"), ("v3", "eob-r4-v3")])
def test_every_exported_line_validates(tmp_path: Path, version, kind):
    sim, clock, client = setup(file_limit=20_000)
    sponsor = sim.sponsors[1] if version == "v3" else sim.sponsors[0]
    headers, _location, status = finished_export(sim, clock, client, version, sponsor)
    manifest = status.json()
    assert len(manifest["output"]) > 1  # split at file_limit
    for entry in manifest["output"]:
        data = client.get(entry["url"], headers=headers).content
        checksum, length = (e.get("valueString") or e.get("valueDecimal") for e in entry["extension"])
        assert checksum == "sha256:" + hashlib.sha256(data).hexdigest() and length == len(data)
        path = tmp_path / entry["url"].rsplit("/", 1)[-1]
        path.write_bytes(data)
        report = validate_file(path, Options(feed="ab2d", kind=kind))
        assert report.records and not [f for f in report.findings if f.severity is Severity.ERROR], report.findings[:1]


def test_exports_are_deterministic():
    files = []
    for _ in range(2):
        sim, clock, client = setup()
        headers, _location, status = finished_export(sim, clock, client)
        files.append([client.get(o["url"], headers=headers).content for o in status.json()["output"]])
    assert files[0] == files[1]


def test_progress_polling_rate_and_completion():
    sim, clock, client = setup()
    headers = bearer(client, sim.sponsors[0])
    location = client.get("/api/v1/fhir/Patient/$export", headers=headers).headers["content-location"]
    first = client.get(location, headers=headers)
    assert (
        first.status_code == 202
        and first.headers["retry-after"] == "5"
        and first.headers["x-progress"] == "0% complete"
    )
    clock.now += 1
    assert client.get(location, headers=headers).status_code == 429  # polled before Retry-After
    clock.now += 5
    assert client.get(location, headers=headers).headers["x-progress"] == "60% complete"
    clock.now += 5
    done = client.get(location, headers=headers)
    assert done.status_code == 200 and done.json()["output"] and "Expires" in done.headers


def test_one_running_job_per_client_and_cancel():
    sim, clock, client = setup()
    mine, other = bearer(client, sim.sponsors[0]), bearer(client, sim.sponsors[1])
    first = client.get("/api/v1/fhir/Patient/$export", headers=mine).headers["content-location"]
    second = client.get("/api/v2/fhir/Patient/$export", headers=mine)
    assert second.status_code == 429 and second.headers["content-location"] == first
    assert client.get("/api/v1/fhir/Patient/$export", headers=other).status_code == 202  # per client
    assert client.delete(first, headers=other).status_code == 403
    assert client.delete(first, headers=mine).status_code == 202
    cancelled = client.get(first, headers=mine)
    assert cancelled.status_code == 404 and cancelled.json()["issue"][0]["code"] == "deleted"
    assert client.get("/api/v1/fhir/Patient/$export", headers=mine).status_code == 202


def test_download_limit_expiry_and_isolation():
    sim, clock, client = setup()
    headers, location, status = finished_export(sim, clock, client)
    url = status.json()["output"][0]["url"]
    other = bearer(client, sim.sponsors[1])
    refused = client.get(url, headers=other)
    assert refused.status_code == 403 and refused.content == b""
    assert [client.get(url, headers=headers).status_code for _ in range(7)] == [200] * 6 + [500]
    assert client.delete(location, headers=headers).status_code == 400  # finished: cannot be cancelled
    headers, _location, status = finished_export(sim, clock, client)
    clock.now += 72 * 3600
    expired = client.get(status.json()["output"][0]["url"], headers=bearer(client, sim.sponsors[0]))
    assert expired.status_code == 500 and "expired" in expired.text


def test_tokens():
    sim, clock, client = setup(token_lifetime=30)
    sponsor = sim.sponsors[0]
    assert token(client, sponsor, scope="system/*.read").status_code == 400
    assert token(client, sponsor, secret="wrong").status_code == 401
    headers = bearer(client, sponsor)
    assert client.get("/api/v1/fhir/Patient/$export", headers={}).status_code == 401
    clock.now += 31
    assert client.get("/api/v1/fhir/Patient/$export", headers=headers).status_code == 403  # expired


def test_kickoff_parameters():
    sim, clock, client = setup()
    headers = bearer(client, sim.sponsors[0])
    cases = {
        "_type=Patient": "_type must be ExplanationOfBenefit",
        "_outputFormat=BadParam": "An _outputFormat of BadParam is not valid",
        "_since=2020-02-12T23:59:00-05:00": "_since must be after 2020-02-13T00:00-05:00",
        "_until=2021-01-01T00:00:00-05:00": "The _until parameter is only available",
    }
    for query, text in cases.items():
        response = client.get(f"/api/v1/fhir/Patient/$export?{query}", headers=headers)
        assert response.status_code == 400 and text in response.json()["issue"][0]["details"]["text"], query
    v3 = client.get("/api/v3/fhir/Patient/$export", headers=headers)
    assert v3.status_code == 403 and "V3 access not enabled" in v3.text
