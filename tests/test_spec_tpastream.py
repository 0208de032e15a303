"""The TPA Stream spec bundle (specs/tpastream/): catalogue, OpenAPI, JSON Schemas and samples.

The file validator for this feed does not exist yet. These tests keep the bundle self-consistent:
the feed loads, the OpenAPI description validates and loads in Schemathesis, every JSON Schema is a
valid 2020-12 schema whose relative `$ref`s resolve, every `x-requirement` names a catalogued
requirement, and every sample gives exactly the findings its `<name>.expected.json` lists, computed
here by a small reference oracle:

- parser findings: JSON syntax errors (the kind's `syntax_requirement`) and duplicate member names
  (TPA-FMT-2), at the line of the second occurrence;
- schema findings: errors of the kind's JSON Schema, each mapped to the nearest `x-requirement`
  enclosing the failing keyword (following `$ref`s), at the line of the offending member's key;
- check findings: what a schema cannot say (page arithmetic TPA-PAGE-2..9, date-range order and
  emptiness TPA-RANGE-4/5, within-claim consistency TPA-NEST-6), under the default readings.

An expected file is a list of {"line", "requirement", "pointer"?, "by"}; `by` is parser, schema or
check. The validator's authors can take this oracle as the reference of what they MUST report.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml
from payer_documents import payer_document
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from spec_helpers import x_requirements

from payercert.feeds import LEVELS, load_feed
from payercert.validators.engine import Options, detect
from payercert.validators.locate import Locator
from payercert.validators.ruleset import load_kind_rules

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "tpastream"
SCHEMAS = SPEC / "schemas"
SAMPLES = SPEC / "samples"
INDEX = yaml.safe_load((SAMPLES / "index.yaml").read_text(encoding="utf-8"))
REQ_ID = re.compile(r"^TPA-[A-Z]+-[0-9]+$")
ENDPOINTS = {
    "/claims",
    "/employer",
    "/member",
    "/policy_holder",
    "/employer/{id}/claims",
    "/policy_holder/{id}/claims",
    "/member/{id}/claims",
}


def feed():
    return load_feed("tpastream")


def catalogue() -> set[str]:
    return set(feed().requirements)


def load_json(path: Path):
    """Schemas and instances alike: decimals stay exact (multipleOf 0.01 on money)."""
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def schema_files() -> list[Path]:
    return sorted(SCHEMAS.glob("*.json"))


def uri(name: str) -> str:
    """Schemas have no $id: each is known by its file URI, and relative $refs resolve against it."""
    return (SCHEMAS / name).resolve().as_uri()


def registry() -> Registry:
    resources = []
    for path in schema_files():
        contents = load_json(path)
        # as validators/schemas.py does: a resource naming the 2020-12 dialect would be checked by the
        # plain Draft202012Validator, without the x-max-decimals keyword
        contents.pop("$schema")
        resources.append((uri(path.name), Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


REGISTRY = registry()


def _max_decimals(validator, places, instance, schema):
    """payercert's `x-max-decimals` (validators/schemas.py), by value, for floats and Decimals alike."""
    if isinstance(instance, (int, float, Decimal)) and not isinstance(instance, bool):
        value = instance if isinstance(instance, Decimal) else Decimal(repr(instance))
        if value != value.quantize(Decimal(1).scaleb(-places)):
            yield jsonschema.ValidationError(f"{instance!r} has more than {places} decimal places")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-max-decimals": _max_decimals})


# --- the catalogue ------------------------------------------------------------------------------


def test_feed_loads_with_a_sound_catalogue():
    f = feed()
    assert f.id == "tpastream" and f.doc == "001_0b7ccddc3cc35628.txt"
    assert len(f.requirements) >= 80
    # sections, texts, applies_to, readings and unique ids: tests/test_spec_bundles.py, for every feed
    for req in f.requirements.values():
        assert REQ_ID.match(req.id), req.id
        assert req.level in LEVELS, req.id


def test_readings_have_their_default_among_their_options():
    f = feed()
    assert set(f.readings) >= {"TPA-R-PREV-NUM", "TPA-R-ERROR-BODY", "TPA-R-403-BODY"}
    for rid, reading in f.readings.items():
        assert reading["text"].strip(), rid
        assert len(reading["options"]) >= 2, rid
        assert reading["default"] in reading["options"], rid
    assert f.readings["TPA-R-PREV-NUM"]["default"] == "null"


def test_catalogue_covers_the_issue():
    ids = catalogue()
    areas = {i.rsplit("-", 1)[0] for i in ids}
    assert areas >= {
        "TPA-AUTH",
        "TPA-IP",
        "TPA-JWT",
        "TPA-EP",
        "TPA-QUERY",
        "TPA-FILTER",
        "TPA-PAGE",
        "TPA-NEST",
        "TPA-ERR",
        "TPA-FMT",
        "TPA-RANGE",
        "TPA-DATA",
        "TPA-MONEY",
        "TPA-TIME",
        "TPA-ENUM",
        "TPA-HOOK",
    }
    assert {f"TPA-EP-{n}" for n in range(1, 8)} <= ids
    levels = {r.id: r.level for r in feed().requirements.values()}
    # what is beyond the document is never a MUST
    assert all(levels[i] in ("SHOULD", "MAY") for i in ids if i.startswith(("TPA-JWT", "TPA-HOOK")))
    assert levels["TPA-PAGE-10"] == "SHOULD" and levels["TPA-PAGE-7"] == "SHOULD"


def test_environment_says_no_sandbox_is_documented():
    envs = feed().environments
    assert list(envs) == ["production"]
    prod = envs["production"]
    assert prod["production"] is True and prod["urls"]["api"] == "https://app.tpastream.com/api"
    assert "safe" in prod["note"] and "documents no sandbox" in prod["note"]
    auth = feed().spec["auth"]
    assert auth["scheme"] == "basic" and auth["credentials"] == ["email", "api_key"] and "api_key" in auth["secrets"]
    assert auth["transport"] == "https-only" and auth["ip_allowlist"]["required"] is True


def test_errata_are_recorded():
    text = json.dumps(feed().spec["errata"])
    for needle in ('\\"status\\" twice', "9999", "prev_num", "TPA-R-PREV-NUM"):
        assert needle in text, needle


# --- the OpenAPI description ----------------------------------------------------------------------


def test_openapi_is_valid_and_loads_in_schemathesis():
    path = SPEC / "openapi.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc, base_uri=path.resolve().as_uri())  # the component schemas are the files in schemas/
    import schemathesis

    schema = schemathesis.openapi.from_path(str(path))
    ops = [r.ok() for r in schema.get_all_operations()]
    assert sorted((op.method.upper(), op.path) for op in ops) == sorted(("GET", p) for p in ENDPOINTS)
    assert [s["url"] for s in doc["servers"]] == [feed().environments["production"]["urls"]["api"]]
    named = set(x_requirements(doc))
    assert named and named <= catalogue(), named - catalogue()
    for name, component in doc["components"]["schemas"].items():
        target = component["$ref"].split("#")[0]
        assert (SPEC / target).is_file(), (name, target)


def test_openapi_query_parameters():
    params = yaml.safe_load((SPEC / "openapi.yaml").read_text(encoding="utf-8"))["components"]["parameters"]
    assert params["per_page"]["schema"]["default"] == 10 and params["page"]["schema"]["default"] == 1
    assert params["hide_read"]["schema"]["enum"] == ["on"]
    assert params["hide_before_effective_date"]["schema"]["enum"] == ["on"]


# --- the JSON Schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", schema_files(), ids=lambda p: p.name)
def test_schema_is_valid_2020_12_and_its_refs_resolve(path: Path):
    schema = load_json(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema  # the file's URI is its base: relative $refs work from any loader
    jsonschema.Draft202012Validator.check_schema(schema)
    resolver = REGISTRY.resolver(uri(path.name))
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    for ref in refs:
        assert not ref.startswith(("http:", "https:", "/")), ref  # relative only
        resolver.lookup(ref)  # raises when it does not resolve
    assert set(x_requirements(schema)) <= catalogue(), set(x_requirements(schema)) - catalogue()
    for rid in schema.get("x-checks", []):
        assert rid in catalogue(), rid


def test_every_kind_names_an_existing_schema_and_catalogued_ids():
    for kind in feed().kinds.values():
        spec = kind.spec
        assert (SPEC / spec["schema"]).is_file(), kind.name
        # the rules (page arithmetic, date ranges, claim consistency) check exactly the listed checks
        checked = load_kind_rules(kind).requirement_ids() if "rules" in spec else set()
        assert checked == set(spec.get("checks", [])), kind.name
        assert spec["syntax_requirement"] in catalogue(), kind.name
        assert spec["duplicate_key_requirement"] == "TPA-FMT-2", kind.name
        assert set(spec.get("checks", [])) <= catalogue(), kind.name
        assert set(spec["formats"]) <= {"json", "ndjson"}, kind.name


def test_money_has_at_most_two_decimals_by_value():
    money = {"$ref": uri("common.json") + "#/$defs/money"}
    v = Validator(money, registry=REGISTRY)
    for text in ("0.07", "19.99", "1.13", "4509.00", "0.070", "0", "228", "null"):
        assert v.is_valid(json.loads(text)), text  # floats: 0.07 is no float multiple of 0.01, still fine
        assert v.is_valid(json.loads(text, parse_float=Decimal)), text
    for text in ("1.005", "64.105", '"4509.00"'):
        assert not v.is_valid(json.loads(text)), text
        assert not v.is_valid(json.loads(text, parse_float=Decimal)), text
    money_schema = load_json(SCHEMAS / "common.json")["$defs"]["money"]
    assert "multipleOf" not in json.dumps(money_schema)


# --- the reference oracle ---------------------------------------------------------------------------


def Located(text: str, first_line: int = 1) -> Locator:
    """The record's lines by pointer and its duplicate names (the validator's own locator: these
    tests check the expected files, tests/test_tpastream_validate.py checks the validator)."""
    located = Locator(text, first_line)
    located.lines  # scan now: duplicates are found while scanning  # noqa: B018
    return located


def records(path: Path):
    """(record, located, pointer prefix) per record; a syntax error as ("syntax", line)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line, parse_float=Decimal), Located(line, number), ""
            except json.JSONDecodeError:
                yield "syntax", number, ""
        return
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        yield "syntax", exc.lineno, ""
        return
    located = Located(text)
    if isinstance(doc, list):  # an export: one record per entry
        for index, item in enumerate(doc):
            yield item, located, f"/{index}"
    else:
        yield doc, located, ""


def requirement_at(schema_uri: str, schema_path) -> str:
    """The nearest x-requirement enclosing the failing keyword.

    python-jsonschema leaves `$ref` steps out of `absolute_schema_path` (each path continues inside
    the referenced schema), so a step the current node lacks means: follow its `$ref` first.
    """
    resolver = REGISTRY.resolver(uri(schema_uri))
    node, found = {"$ref": uri(schema_uri)}, None
    for step in schema_path:
        while isinstance(node, dict) and "$ref" in node and step not in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            found = node.get("x-requirement", found)
        node = node[step]
        if isinstance(node, dict) and "x-requirement" in node:
            found = node["x-requirement"]
    return found


def schema_findings(kind_schema: str, record, prefix: str):
    validator = Validator(
        {"$ref": uri(kind_schema)}, registry=REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for error in validator.iter_errors(record):
        pointer = prefix + "".join(f"/{p}" for p in error.absolute_path)
        requirement = requirement_at(kind_schema, list(error.absolute_schema_path))
        assert requirement, (kind_schema, list(error.absolute_schema_path))
        yield pointer, requirement


def range_findings(value, pointer):
    """TPA-RANGE-4/5 for every date range below `value`."""
    if isinstance(value, dict):
        if set(value) == {"bounds", "start", "end"} and value["bounds"] in ("[)", "[]", "(]", "()"):
            start, end = value["start"], value["end"]
            if start and end:
                lo, hi = date.fromisoformat(start), date.fromisoformat(end)
                if lo > hi:
                    yield pointer, "TPA-RANGE-4"
                else:
                    first = lo if value["bounds"][0] == "[" else lo + timedelta(days=1)
                    last = hi if value["bounds"][1] == "]" else hi - timedelta(days=1)
                    if first > last:
                        yield pointer, "TPA-RANGE-5"
            return
        for key, child in value.items():
            yield from range_findings(child, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from range_findings(child, f"{pointer}/{index}")


def claim_findings(claim, pointer):
    """TPA-NEST-6: a claim agrees with itself."""
    if not isinstance(claim, dict):
        return
    ph = claim.get("policy_holder") or {}
    ph_id = ph.get("policy_holder_id", ph.get("id"))
    if "policy_holder_id" in claim and ph_id is not None and claim["policy_holder_id"] != ph_id:
        yield f"{pointer}/policy_holder_id", "TPA-NEST-6"
    if "policy_holder_fullname" in claim and "fullname" in ph and claim["policy_holder_fullname"] != ph["fullname"]:
        yield f"{pointer}/policy_holder_fullname", "TPA-NEST-6"
    for index, member in enumerate(claim.get("members") or []):
        employer = member.get("employer") or {}
        if "employer_id" in member and "id" in employer and member["employer_id"] != employer["id"]:
            yield f"{pointer}/members/{index}/employer_id", "TPA-NEST-6"


def page_findings(env, readings):
    """TPA-PAGE-2..9 on one page envelope (types already checked by the schema)."""
    page, pages, per_page, total, data = env["page"], env["pages"], env["per_page"], env["total"], env["data"]
    zero = readings["TPA-R-PREV-NUM"] == "zero"
    if env["has_next"] != (page < pages):
        yield "/has_next", "TPA-PAGE-2"
    if env["has_prev"] != (page > 1):
        yield "/has_prev", "TPA-PAGE-3"
    want_next = page + 1 if page < pages else None
    if env["next_num"] != want_next and not (zero and want_next is None and env["next_num"] == 0):
        yield "/next_num", "TPA-PAGE-4"
    want_prev = page - 1 if page > 1 else (0 if zero else None)
    if env["prev_num"] != want_prev:
        yield "/prev_num", "TPA-PAGE-5"
    if total > 0 and pages != math.ceil(total / per_page):
        yield "/pages", "TPA-PAGE-6"
    if total == 0 and (pages != 0 or data):
        yield "/pages" if pages else "/data", "TPA-PAGE-7"
    if len(data) > per_page:
        yield "/data", "TPA-PAGE-8"
    if page < pages:
        if len(data) != per_page:
            yield "/data", "TPA-PAGE-9"
    elif page == pages and len(data) != total - (pages - 1) * per_page:
        yield "/data", "TPA-PAGE-9"
    elif page > pages and data:
        yield "/data", "TPA-PAGE-9"


def oracle(path: Path, kind_name: str, readings: dict[str, str] | None = None) -> list[dict]:
    kind = feed().kinds[kind_name].spec
    readings = {**feed().default_readings(), **(readings or {})}
    schema = Path(kind["schema"]).name
    found: list[dict] = []

    def add(line, requirement, by, pointer=None):
        item = {"line": line, "requirement": requirement, "by": by}
        if pointer is not None:
            item["pointer"] = pointer
        if item not in found:
            found.append(item)

    for record, located, prefix in records(path):
        if record == "syntax":
            add(located, kind["syntax_requirement"], "parser")
            continue
        for pointer, line in located.duplicates:
            if pointer.startswith(prefix + "/") or pointer == prefix:
                add(line, "TPA-FMT-2", "parser", pointer)
        errors = list(schema_findings(schema, record, prefix))
        for pointer, requirement in errors:
            add(located.lines[pointer], requirement, "schema", pointer)
        if errors:
            continue  # the checks assume the shape
        checks = []
        if kind_name.endswith("-page"):
            checks += list(page_findings(record, readings))
            items = [(f"/data/{i}", item) for i, item in enumerate(record["data"])]
        elif kind_name == "claim-webhook":
            items = [("/data", record["data"])]
        else:
            items = [(prefix, record)]
        for pointer, item in items:
            checks += list(range_findings(item, pointer))
            if kind_name in ("claims-page", "claims-export", "claim-webhook"):
                checks += list(claim_findings(item, pointer))
        for pointer, requirement in checks:
            add(located.lines[pointer], requirement, "check", pointer)
    return found


# --- the samples ----------------------------------------------------------------------------------


def sample_files(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (SAMPLES / folder).iterdir()
        if p.suffix in (".json", ".ndjson") and not p.name.endswith(".expected.json")
    )


VALID = sample_files("valid")
INVALID = sample_files("invalid")


def expected_path(sample: Path) -> Path:
    return sample.with_name(sample.name.rsplit(".", 1)[0] + ".expected.json")


def test_every_sample_is_indexed_with_a_kind():
    for folder, files in (("valid", VALID), ("invalid", INVALID)):
        assert sorted(INDEX[folder]) == [p.name for p in files], folder
        for name, entry in INDEX[folder].items():
            assert entry["kind"] in feed().kinds, name
            assert entry["shows"].strip(), name
    kinds_with_valid = {INDEX["valid"][p.name]["kind"] for p in VALID}
    assert kinds_with_valid == set(feed().kinds)


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_valid_sample_is_clean(sample: Path):
    kind = INDEX["valid"][sample.name]["kind"]
    assert oracle(sample, kind) == []


@pytest.mark.parametrize("sample", INVALID, ids=lambda p: p.name)
def test_invalid_sample_gives_its_expected_findings(sample: Path):
    expected = json.loads(expected_path(sample).read_text(encoding="utf-8"))
    assert isinstance(expected, list) and expected
    for item in expected:
        assert set(item) <= {"line", "requirement", "pointer", "by"} and item["by"] in ("parser", "schema", "check")
        assert item["requirement"] in catalogue(), item
    got = oracle(sample, INDEX["invalid"][sample.name]["kind"])
    key = lambda f: (f["line"], f["requirement"], f.get("pointer", ""))  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key), json.dumps(got, indent=1)


def test_every_expected_file_has_its_sample():
    samples = {expected_path(s) for s in INVALID}
    assert sorted(p.name for p in (SAMPLES / "invalid").glob("*.expected.json") if p not in samples) == []
    assert not list((SAMPLES / "valid").glob("*.expected.json"))


def test_shape_samples_cover_the_schema_requirements():
    shown = {f["requirement"] for s in INVALID for f in json.loads(expected_path(s).read_text()) if f["by"] == "schema"}
    assert shown >= {
        "TPA-RANGE-2",
        "TPA-MONEY-1",
        "TPA-MONEY-2",
        "TPA-TIME-1",
        "TPA-TIME-2",
        "TPA-ENUM-1",
        "TPA-ENUM-3",
    }
    checked = {
        f["requirement"] for s in INVALID for f in json.loads(expected_path(s).read_text()) if f["by"] != "schema"
    }
    assert checked >= {
        "TPA-FMT-2",
        "TPA-PAGE-2",
        "TPA-PAGE-5",
        "TPA-PAGE-6",
        "TPA-PAGE-8",
        "TPA-RANGE-4",
        "TPA-RANGE-5",
        "TPA-NEST-6",
    }


def test_document_sample_claim_is_verbatim_with_status_twice():
    sample = SAMPLES / "invalid" / "doc-claims-response.json"
    seed_text = sample.read_text(encoding="utf-8")
    lines = seed_text.splitlines()
    assert lines[102].strip() == lines[104].strip() == '"status": "Processed",'  # lines 103 and 105
    expected = json.loads(expected_path(sample).read_text())
    assert {"line": 105, "requirement": "TPA-FMT-2", "pointer": "/data/0/status", "by": "parser"} in expected
    document = payer_document(load_feed("tpastream").doc)
    if document is not None:  # the payer's document is outside the repository (tests/payer_documents.py)
        assert seed_text.strip() in document.read_text(encoding="utf-8")


def test_prev_num_zero_reading_accepts_the_document_samples():
    for name in ("doc-claims-response.json", "doc-employer-response.json"):
        sample = SAMPLES / "invalid" / name
        strict = {f["requirement"] for f in oracle(sample, INDEX["invalid"][name]["kind"])}
        lenient = {f["requirement"] for f in oracle(sample, INDEX["invalid"][name]["kind"], {"TPA-R-PREV-NUM": "zero"})}
        assert "TPA-PAGE-5" in strict and "TPA-PAGE-5" not in lenient, name


# --- auto-detection: the new kinds must not capture other feeds' files ----------------------------


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_valid_samples_are_detected_as_their_kind(sample: Path):
    want = INDEX["valid"][sample.name]["kind"]
    found_feed, kind, _ = detect(sample, Options(feed="tpastream"))
    assert found_feed.id == "tpastream"
    if want.endswith("-page"):
        # the engine detects by top-level keys only: every page kind has the same envelope, so it
        # picks the first (claims-page); detect.item_keys are there for the engine to tell them apart
        assert kind.name.endswith("-page")
    else:
        assert kind.name == want
    if want != "claim-webhook":
        # without --feed as well; a claim webhook, {"data": ...}, ties with LanternPay's webhook kind
        # until the engine reads detect.item_keys
        assert detect(sample, Options())[0].id == "tpastream"


def test_ltss_samples_are_still_detected_as_ltss():
    ltss = ROOT / "specs" / "ltss" / "samples" / "valid"
    for sample in sorted(ltss.iterdir()):
        if sample.suffix in (".json", ".ndjson", ".csv"):
            found_feed, kind, _ = detect(sample, Options())
            assert (found_feed.id, kind.name) == ("ltss", "billing-entry"), sample.name
