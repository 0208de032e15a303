"""GET .../metadata: the CapabilityStatement of each version, public (docs/sources/ab2d.md 1.1, 1.8)."""

import json

import pytest

requirement = pytest.mark.requirement


def statement(ab2d, version):
    response = ab2d.call("GET", ab2d.fhir(version) + "/metadata", token=None, headers={"Accept": "application/json"})
    assert response.status_code == 200, f"AB2D-META-1: {version} metadata without a token got {response.status_code}"
    body = json.loads(response.content)
    assert body.get("resourceType") == "CapabilityStatement", (
        f"AB2D-META-1: {version} metadata is a {body.get('resourceType')!r}"
    )
    return body


@pytest.mark.smoke
@requirement("AB2D-META-1")
@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_metadata_is_public(ab2d, version):
    """GET metadata answers 200 with a CapabilityStatement, without a token"""
    statement(ab2d, version)


@pytest.mark.readonly
@requirement("AB2D-META-2")
def test_v2_capability_statement(ab2d):
    """The v2 statement has fhirVersion 4.0.x, instantiates the bulk-data statement and declares Patient export"""
    body = statement(ab2d, "v2")
    assert str(body.get("fhirVersion", "")).startswith("4.0."), f"AB2D-META-2: fhirVersion {body.get('fhirVersion')!r}"
    assert "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" in body.get("instantiates", []), (
        "AB2D-META-2: does not instantiate the bulk-data CapabilityStatement"
    )
    operations = [
        op
        for rest in body.get("rest", [])
        for res in rest.get("resource", [])
        if res.get("type") == "Patient"
        for op in res.get("operation", [])
    ]
    assert any(op.get("name") == "export" for op in operations), "AB2D-META-2: no Patient export operation"


@pytest.mark.readonly
@requirement("AB2D-META-3")
def test_v1_capability_statement(ab2d):
    """The v1 statement has fhirVersion 3.0.x and lists the export, status, cancel and download operations"""
    body = statement(ab2d, "v1")
    assert str(body.get("fhirVersion", "")).startswith("3.0."), f"AB2D-META-3: fhirVersion {body.get('fhirVersion')!r}"
    paths = " ".join(
        str((op.get("definition") or {}).get("reference", op.get("definition")))
        for rest in body.get("rest", [])
        for op in rest.get("operation", [])
    )
    for part in ("$export", "$status", "/file/"):
        assert part in paths, f"AB2D-META-3: no operation at {part}"
