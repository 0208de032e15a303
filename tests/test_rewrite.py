"""Faults as data (payercert/rewrite.py): a Rewrite changes exactly the answers it names, inside any
gzip coding, with a Content-Length that fits; every other answer passes untouched."""

from __future__ import annotations

import base64
import gzip
import json

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from payercert.rewrite import Hook, Rewrite, ignore, no_credentials, rewriting, sent
from payercert.simulation import load_simulator


async def page(request):
    return JSONResponse({"data": [{"id": 1, "name": "a"}], "total": 1})


async def missing(request):
    return JSONResponse({"message": "no such thing"}, status_code=404)


async def export(request):
    body = b'{"id":"a"}\n{"id":"b"}\n'
    return Response(gzip.compress(body), media_type="application/fhir+ndjson", headers={"Content-Encoding": "gzip"})


APP = Starlette(
    routes=[Route("/v1/page", page), Route("/v2/page", page), Route("/gone", missing), Route("/file", export)]
)


def client(rewrite: Rewrite) -> TestClient:
    return TestClient(rewriting(APP, rewrite))


def test_an_edit_changes_only_the_answers_it_names():
    drop_total = Rewrite(r"^/v2/", edit=lambda body: body.pop("total"))
    http = client(drop_total)
    assert http.get("/v2/page").json() == {"data": [{"id": 1, "name": "a"}]}
    assert http.get("/v1/page").json()["total"] == 1  # another version: untouched
    assert http.post("/v2/page").status_code == 405  # another method: untouched
    changed = http.get("/v2/page")
    assert int(changed.headers["content-length"]) == len(changed.content)


def test_a_replacement_a_status_and_headers():
    http = client(Rewrite(r"^/gone$", status="404", json=lambda b: {"error": b["message"]}, headers={"X-Extra": "1"}))
    response = http.get("/gone")
    assert response.json() == {"error": "no such thing"} and response.headers["x-extra"] == "1"
    assert client(Rewrite(r"^/gone$", json=lambda b: {})).get("/gone").json() == {"message": "no such thing"}


def test_ndjson_lines_are_changed_inside_the_gzip_coding():
    http = client(Rewrite(r"^/file$", lines=lambda record: record.update(id=record["id"].upper())))
    response = http.get("/file", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert [json.loads(line) for line in response.content.splitlines()] == [{"id": "A"}, {"id": "B"}]


def test_a_fault_that_is_a_rewrite_changes_the_simulator_it_belongs_to():
    def holders(fault):
        sim = load_simulator("tpastream").create(fault)
        key = base64.b64encode(f"{sim.user.email}:{sim.user.api_key}".encode()).decode()
        http = TestClient(sim.app, base_url="https://testserver", client=("127.0.0.1", 50000))
        return http.get("/api/policy_holder", headers={"Authorization": f"Basic {key}"}).json()

    assert "data" in holders(None) and "items" not in holders(None)
    assert "items" in holders("policy-holders-under-items") and "data" not in holders("policy-holders-under-items")


async def echo_query(request):
    return JSONResponse({"query": dict(request.query_params)})


QUERY_APP = Starlette(routes=[Route("/export", echo_query)])


def test_an_ignored_parameter_is_not_seen_by_the_server():
    http = TestClient(rewriting(QUERY_APP, Rewrite(r"^/export$", query=ignore("_type", lambda v: v != "EOB"))))
    assert http.get("/export", params={"_type": "Patient", "_since": "x"}).json() == {"query": {"_since": "x"}}
    assert http.get("/export", params={"_type": "EOB"}).json() == {"query": {"_type": "EOB"}}


def test_a_status_changed_only_for_the_requests_named():
    refused = Rewrite(r"^/gone$", where=no_credentials, status="404", to_status=200, text=lambda _: b"{}")
    http = client(refused)
    anonymous = http.get("/gone")
    assert (anonymous.status_code, anonymous.content) == (200, b"{}")
    assert http.get("/gone", headers={"Authorization": "Basic eDp5"}).status_code == 404  # not named: untouched
    assert client(Rewrite(r"^/gone$", where=sent("page"), to_status=500)).get("/gone").status_code == 404


def test_a_header_changed_from_its_value():
    http = client(Rewrite(r"^/v1/page$", headers={"Content-Type": lambda v: (v or "") + "; charset=latin-1"}))
    assert http.get("/v1/page").headers["content-type"] == "application/json; charset=latin-1"


def test_a_hook_changes_only_the_webhooks_it_names_and_never_the_original():
    hook = Hook("onInvoice.*", edit=lambda body: body.pop("_links"))
    body = {"id": "1", "_links": {}}
    assert hook.payload("onInvoiceStatusUpdated", body) == {"id": "1"}
    assert body == {"id": "1", "_links": {}}  # every attempt starts from the event as the simulator wrote it
    assert hook.payload("onContractStatusUpdated", body) is body
