"""The AB2D spec bundle (specs/ab2d/): catalogue, readings, OpenAPI, JSON Schemas, rules and samples.

Every sample that gives findings has a `<name>.expected.json`: {"options": {"readings": {ID: option}, "kind":
KIND (a record that shows no evidence of its kind, validated with --feed ab2d --kind KIND)},
"findings": [{"line", "requirement", "severity"}]}. A valid sample may give warnings (the known deviations
AB2D-DEV-*), never an error. Where the core cannot yet produce what an expected file says, the case is a
strict xfail naming exactly what the core lacks.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import golden
import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from spec_helpers import x_requirements

from payercert.cli import app
from payercert.feeds import LEVELS, discover, load_feed
from payercert.validators.engine import Options, detect
from payercert.validators.findings import UnusableInput
from payercert.validators.locate import Locator
from payercert.validators.readers import Record, read_records
from payercert.validators.schemas import compiled_schema

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "ab2d"
SCHEMAS = SPEC / "schemas"
SAMPLES = SPEC / "samples"
# The sandbox client password and its Basic value that the AB2D tutorial prints, as SHA-256 and
# length: the check below proves neither is in the bundle without carrying either.
PRINTED_SECRETS = [
    (40, "37cbf770a28789430dffeac9e7425c794469b81bcd0098e20229f48d78e2f1d1"),
    (84, "0853fd2c9397df581540b46a655bd573b1746598c253d000c6a52e73f4cae26c"),
]
REQ_ID = re.compile(
    r"^AB2D-(AUTH|KICKOFF|JOB|STATUS|MANIFEST|DOWNLOAD|CANCEL|ISOLATION|META|ERR|V3|EOB|DEV|NDJSON)-[0-9]+$"
)

# What the core lacks, per expected finding the core cannot produce yet.
XFAIL: dict[str, str] = {}  # sample name -> what the core lacks to produce its expected findings


def feed():
    return load_feed("ab2d")


def catalogue() -> set[str]:
    return set(feed().requirements)


def samples(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (SAMPLES / folder).iterdir()
        if p.suffix in (".json", ".ndjson") and not p.name.endswith(".expected.json")
    )


def all_samples() -> list[Path]:
    return samples("valid") + samples("invalid")


def expected(path: Path) -> dict:
    exp = path.with_name(path.name.removesuffix(path.suffix) + ".expected.json")
    if exp.is_file():
        return json.loads(exp.read_text(encoding="utf-8"))
    assert path.parent.name == "valid", f"{path.name}: an invalid sample needs an expected file"
    return {"options": {}, "findings": []}


def kind_of(name: str) -> str:
    for prefix, kind in (
        ("eob-stu3", "eob-stu3"),
        ("eob-r4-v3", "eob-r4-v3"),
        ("eob-r4", "eob-r4"),
        ("manifest", "manifest"),
        ("operation-outcome", "operation-outcome"),
    ):
        if name.startswith(prefix):
            return kind
    raise AssertionError(name)


def sample_param(path: Path):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[path.name])] if path.name in XFAIL else []
    return pytest.param(path, id=f"{path.parent.name}/{path.name}", marks=marks)


def triples(findings) -> list[tuple]:
    return sorted((f["line"], f["requirement"], f["severity"]) for f in findings)


# --- the catalogue ------------------------------------------------------------------------------


def test_feed_loads_with_a_sound_catalogue():
    f = feed()
    assert f.id == "ab2d" and f.doc == "002_a374150bf2682c73.txt"
    assert len(f.requirements) >= 90
    # sections, texts, applies_to, readings and unique ids: tests/test_spec_bundles.py, for every feed
    for req in f.requirements.values():
        assert REQ_ID.match(req.id), req.id
        assert req.level in LEVELS, req.id
    areas = {i.rsplit("-", 1)[0] for i in f.requirements}
    assert areas >= {
        f"AB2D-{a}"
        for a in (
            "AUTH",
            "KICKOFF",
            "STATUS",
            "MANIFEST",
            "DOWNLOAD",
            "CANCEL",
            "JOB",
            "ISOLATION",
            "META",
            "EOB",
            "DEV",
            "NDJSON",
        )
    }


def test_known_deviations_are_never_must_and_say_so():
    for req in feed().requirements.values():
        if req.area == "deviations":
            assert req.id.startswith("AB2D-DEV-") and req.level in ("SHOULD", "MAY"), req.id
            assert "known deviation" in req.text.lower(), req.id


def test_readings_have_their_default_among_their_options():
    f = feed()
    ig_readings = {"AB2D-R-TRANSACTION-TIME", "AB2D-R-AUTH-ERROR-BODY", "AB2D-R-DOWNLOAD-LIMIT-STATUS"}
    assert set(f.readings) >= ig_readings
    for rid, reading in f.readings.items():
        assert reading["text"].strip(), rid
        assert len(reading["options"]) >= 2, rid
        assert reading["default"] in reading["options"], rid
        if "ig" in reading["options"]:  # AB2D as built vs the IG: AB2D's is the default, --strict-ig picks ig
            assert set(reading["options"]) == {"ab2d", "ig"} and reading["default"] == "ab2d", rid
    used = {r.reading for r in f.requirements.values() if r.reading}
    assert set(f.readings) <= used, set(f.readings) - used


def test_environments_auth_and_test_data_keep_secrets_out():
    f = feed()
    sandbox, prod = f.environments["sandbox"], f.environments["production"]
    assert sandbox["production"] is False and prod["production"] is True
    assert sandbox["urls"]["token"] == "https://test.idp.idm.cms.gov/oauth2/aus2r7y3gdaFMKBol297/v1/token"
    assert sandbox["urls"]["api"] == "https://sandbox.ab2d.cms.gov"
    auth = f.spec["auth"]
    assert auth["scope"] == "clientCreds" and auth["grant_type"] == "client_credentials"
    assert auth["client_authentication"] == "basic" and auth["secrets"] == ["client_secret"]
    sponsors = f.spec["test_data"]["sandbox"]["sponsors"]
    assert {"sponsor": "PDP-100", "client_id": "0oa2t0lsrdZw5uWRx297"}.items() <= sponsors[0].items()
    assert all(
        set(s) <= {"sponsor", "contract", "seed_contract", "client_id", "beneficiaries", "v3_allowed", "synthea"}
        for s in sponsors
    )
    # the tutorial's sandbox password and its Basic value appear nowhere in the feed's units
    for folder in (SPEC, ROOT / "simulators" / "ab2d", ROOT / "suites" / "ab2d", ROOT / "docs"):
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert not _holds_any(path.read_bytes(), PRINTED_SECRETS), path


def _holds_any(data: bytes, secrets: list[tuple[int, str]]) -> bool:
    """Whether some stretch of `data` has the length and SHA-256 of one of `secrets`."""
    for length, digest in secrets:
        for start in range(len(data) - length + 1):
            if hashlib.sha256(data[start : start + length]).hexdigest() == digest:
                return True
    return False


def test_the_secret_check_finds_what_it_looks_for():
    planted = b"x" * 10 + b"a-secret-of-forty-characters-long-000000" + b"y"
    assert _holds_any(planted, [(40, hashlib.sha256(b"a-secret-of-forty-characters-long-000000").hexdigest())])
    assert not _holds_any(planted, PRINTED_SECRETS)


# --- the OpenAPI description ----------------------------------------------------------------------


def test_openapi_is_valid_and_loads_in_schemathesis():
    path = SPEC / "openapi.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc, base_uri=path.resolve().as_uri())
    import schemathesis

    schema = schemathesis.openapi.from_path(str(path))
    ops = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    for v in ("v1", "v2"):
        base = f"/api/{v}/fhir"
        assert {
            ("GET", f"{base}/Patient/$export"),
            ("GET", f"{base}/Group/{{contractNumber}}/$export"),
            ("GET", f"{base}/Job/{{jobUuid}}/$status"),
            ("DELETE", f"{base}/Job/{{jobUuid}}/$status"),
            ("GET", f"{base}/Job/{{jobUuid}}/file/{{filename}}"),
            ("GET", f"{base}/metadata"),
        } <= ops
    assert ("GET", "/api/v3/fhir/Group/{contractNumber}/$export") not in ops
    assert ("POST", "/oauth2/{authServerId}/v1/token") in ops
    named = set(x_requirements(doc))
    assert named and named <= catalogue(), named - catalogue()
    assert {v for v in re.findall(r"x-reading: (\S+)", path.read_text(encoding="utf-8"))} <= set(feed().readings)
    for name, component in doc["components"]["schemas"].items():
        assert (SPEC / component["$ref"]).is_file(), name
    params = doc["components"]["parameters"]
    assert params["_outputFormat"]["schema"]["enum"] == ["application/fhir+ndjson", "application/ndjson", "ndjson"]
    assert params["_type"]["schema"]["enum"] == ["ExplanationOfBenefit"]
    v1_params = [p["$ref"] for p in doc["paths"]["/api/v1/fhir/Patient/$export"]["get"]["parameters"]]
    assert "#/components/parameters/_until" not in v1_params


# --- the JSON Schemas and rules -------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_schema_is_valid_2020_12_without_id(path: Path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "multipleOf" not in path.read_text(encoding="utf-8")
    named = set(x_requirements(schema))
    assert named <= catalogue(), named - catalogue()


def test_kinds_name_catalogued_requirements_and_existing_files():
    f = feed()
    assert list(f.kinds) == ["eob-r4", "eob-r4-v3", "eob-stu3", "manifest", "operation-outcome"]
    for kind in f.kinds.values():
        spec = kind.spec
        assert (SPEC / spec["schema"]).is_file()
        for key in ("syntax_requirement", "duplicate_key_requirement", "requirement"):
            assert spec[key] in f.requirements, (kind.name, key)
        if "rules" in spec:
            rules = yaml.safe_load((SPEC / spec["rules"]).read_text(encoding="utf-8"))
            assert "fields" not in rules  # declared fields would turn every other top-level key into a warning
            for rule in rules["rules"]:
                assert rule["id"] in f.requirements, rule["id"]
                if rule["id"].startswith("AB2D-DEV-"):
                    assert rule.get("severity") == "warning", rule["id"]
                for key in rule.get("readings", {}):
                    rid, option = key.split("=", 1)
                    assert option in f.readings[rid]["options"], key


def _records(path: Path):
    fmt = "ndjson" if path.suffix == ".ndjson" else "json"
    return [r for r in read_records(path, fmt) if isinstance(r, Record)]


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in all_samples()])
def test_compiled_schema_on_samples(path: Path):
    """The kind's schema alone: valid samples have no error; invalid ones fail with their expected
    requirement (parser findings, rules and reading-dependent findings excluded)."""
    exp = expected(path)
    schema = compiled_schema(SPEC / feed().kinds[kind_of(path.name)].spec["schema"])
    got = sorted(
        (Locator(r.text, r.line).line(e.pointer) or r.line, e.requirement)  # the offending key's line
        for r in _records(path)
        for e in schema.errors(r.data)
    )
    if exp["options"].get("readings"):
        want = []  # a reading-dependent finding comes from the rules, not the schema
    else:
        rules_ids = {"AB2D-EOB-15"}
        want = sorted(
            (f["line"], f["requirement"])
            for f in exp["findings"]
            if f["severity"] == "error"
            and not f["requirement"].startswith("AB2D-NDJSON")
            and f["requirement"] not in rules_ids
        )
    assert got == want


# --- detection and the CLI ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in all_samples()])
def test_detection_picks_the_kind_by_shape(path: Path):
    if expected(path)["options"].get("kind"):  # a record that is not of its kind shows no evidence of it
        with pytest.raises(UnusableInput, match="name it with --feed and --kind"):
            detect(path, Options())
        return
    f, kind, _ = detect(path, Options())
    assert (f.id, kind.name) == ("ab2d", kind_of(path.name))


def test_other_feeds_samples_are_not_taken_for_ab2d():
    for feed_id in discover():
        if feed_id == "ab2d":
            continue
        for path in sorted((ROOT / "specs" / feed_id / "samples").rglob("*")):
            if not path.is_file() or path.suffix not in (".json", ".ndjson", ".csv") or ".expected" in path.name:
                continue
            try:
                f, kind, _ = detect(path, Options())
            except (UnusableInput, Exception):  # what another feed cannot read is its own business
                continue
            assert f.id != "ab2d", (path, kind.name)


def run_cli(path: Path, readings: dict[str, str] | None = None, kind: str | None = None) -> tuple[int, dict]:
    args = ["validate", "--format", "json"] + (["--feed", "ab2d", "--kind", kind] if kind else [])
    for rid, option in (readings or {}).items():
        args += ["--reading", f"{rid}={option}"]
    result = CliRunner().invoke(app, [*args, str(path)])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("path", [sample_param(p) for p in all_samples()])
def test_cli_validate_gives_the_expected_findings(path: Path):
    exp = expected(path)
    code, report = golden.check(path, "ab2d")
    assert report["kind"] == kind_of(path.name)
    if path.parent.name == "valid":
        assert code == 0 and all(f["severity"] == "warning" for f in report["findings"])
    else:
        assert any(f["severity"] == "error" for f in exp["findings"])


def test_seed_sample_is_clean_but_warns_on_precedence_zero():
    code, out = run_cli(SAMPLES / "valid" / "eob-stu3-seed.ndjson")
    (finding,) = out["files"][0]["findings"]
    assert code == 0 and finding["requirement"] == "AB2D-DEV-1" and finding["severity"] == "warning"
    assert finding["location"]["pointer"] == "/precedence" and "known deviation" in finding["message"]


def test_gzip_export_file_reads_like_the_plain_one(tmp_path: Path):
    source = SAMPLES / "valid" / "eob-stu3-seed.ndjson"
    target = tmp_path / "Z0000_0001.ndjson.gz"
    with source.open("rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    code, out = run_cli(target)
    assert code == 0 and out["files"][0]["kind"] == "eob-stu3"
    assert triples(
        {"line": f["location"]["line"], "requirement": f["requirement"], "severity": f["severity"]}
        for f in out["files"][0]["findings"]
    ) == [(1, "AB2D-DEV-1", "warning")]


def test_strict_ig_reading_refuses_ab2d_transaction_time():
    path = SAMPLES / "valid" / "manifest-ab2d.json"
    assert run_cli(path)[0] == 0
    code, out = run_cli(path, {"AB2D-R-TRANSACTION-TIME": "ig"})
    assert code == 1 and [f["requirement"] for f in out["files"][0]["findings"]] == ["AB2D-MANIFEST-1"]
    assert run_cli(SAMPLES / "valid" / "manifest-ig.json", {"AB2D-R-TRANSACTION-TIME": "ig"})[0] == 0
