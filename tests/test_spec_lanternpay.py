"""The LanternPay spec bundle (specs/lanternpay/): catalogue, readings, OpenAPI 3.1, JSON Schemas
2020-12, the claim state machine and the samples.

The invalid samples' expected findings (`<stem>.expected.json`) are checked here against an oracle
built from the bundle itself, independent of `payercert validate` (whose findings on the same
samples tests/test_lanternpay_validate.py checks):

- `via: schema`: the JSON Schema errors, each mapped to the `x-requirement` of the schema object
  holding the failing keyword, at the line where the failing value starts (for a field-name
  finding: the line of the key); non-default readings apply the schemas' `x-reading` overrides;
- `via: sequence`: claim-states.yaml read as its `sequence_check` says;
- `via: check`: the kind's `checks` (duplicates, program codes, the companion request);
- `via: syntax`: the streaming reader's first parse problem.

Numbers are parsed as Decimal, in the instances and in the schemas, so multipleOf is exact.
"""

from __future__ import annotations

import copy
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from payer_documents import require_payer_document
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from payercert.feeds import LEVELS, load_feed
from payercert.validators.readers import ParseProblem, read_records

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "lanternpay"
SCHEMAS = SPEC / "schemas"
SAMPLES = SPEC / "samples"
FEED = load_feed("lanternpay")
SEVERITY = {"MUST": "error", "SHOULD": "warning", "MAY": "info"}
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# The document's examples kept verbatim as samples, and where they are printed in the seed.
VERBATIM = {
    "invalid/doc-root-response.json": (295, 320),
    "invalid/doc-invoice-request-medibank.json": (527, 606),
    "valid/doc-invoice-response-medibank.json": (610, 618),
    "valid/doc-cancel-invoice-request.json": (639, 642),
    "valid/doc-error-payload.json": (176, 189),
    "invalid/doc-invoice-updated-tac.json": (691, 749),
    "invalid/doc-invoice-updated-ndis.json": (753, 811),
    "invalid/doc-predetermination-updated-ndis.json": (857, 915),
}
OPERATIONS = {
    ("GET", "/"),
    ("POST", "/billers/{billerId}/invoice"),
    ("POST", "/invoices/{invoiceId}/cancel"),
    ("POST", "/billers/{billerId}/predetermination"),
    ("POST", "/members/eligibility"),
    ("POST", "/billers/{billerId}/contract"),
    ("GET", "/contracts/{contractId}"),
    ("GET", "/member/{memberNumber}/contracts"),
}
WEBHOOKS = {
    "onInvoiceStatusUpdated",
    "onPredeterminationStatusUpdated",
    "onMemberEligibilityStatus",
    "onContractStatusUpdated",
}
ASSERTIONS = {
    "type",
    "enum",
    "const",
    "pattern",
    "format",
    "required",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "oneOf",
    "anyOf",
    "not",
    "uniqueItems",
    "dependentRequired",
}
SCHEMA_KEYWORDS = {"items", "not", "if", "then", "else", "additionalProperties", "propertyNames", "contains"}


# --- the oracle -------------------------------------------------------------------------------------


def load_decimal(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def walk_schemas(node: Any, where: str = "#"):
    """Every schema object of a schema document, with a JSON-pointer-ish location (x-* skipped)."""
    if not isinstance(node, dict):
        return
    yield where, node
    for key, value in node.items():
        if key.startswith("x-"):
            continue
        if key in ("properties", "$defs", "patternProperties"):
            for name, sub in value.items():
                yield from walk_schemas(sub, f"{where}/{key}/{name}")
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from walk_schemas(sub, f"{where}/{key}/{i}")
        elif key in SCHEMA_KEYWORDS:
            yield from walk_schemas(value, f"{where}/{key}")


# the core's own x-reading application (validators/schemas.py), the one the simulator uses
from payercert.validators.schemas import apply_readings  # noqa: E402


def registry(readings: dict[str, str] | None = None) -> Registry:
    chosen = {**FEED.default_readings(), **(readings or {})}
    resources = [
        (p.as_uri(), DRAFT202012.create_resource(apply_readings(load_decimal(p), chosen)))
        for p in sorted(SCHEMAS.glob("*.json"))
    ]
    return Registry().with_resources(resources)


def validator(schema: str, readings: dict[str, str] | None = None) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": (SPEC / schema).as_uri()},
        registry=registry(readings),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


class Lines:
    """Line where each JSON value (by path) starts, and where each object key is written."""

    def __init__(self, text: str, base_line: int = 1):
        self.text, self.base = text, base_line
        self.values: dict[tuple, int] = {}
        self.keys: dict[tuple, int] = {}
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self._value(self._ws(0), ())

    def line(self, pos: int) -> int:
        lo, hi = 0, len(self.newlines)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.newlines[mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return self.base + lo

    def _ws(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in " \t\r\n":
            pos += 1
        return pos

    def _value(self, pos: int, path: tuple) -> int:
        self.values[path] = self.line(pos)
        ch = self.text[pos]
        if ch == "{":
            pos = self._ws(pos + 1)
            while self.text[pos] != "}":
                key, end = json.decoder.scanstring(self.text, pos + 1)
                self.keys[path + (key,)] = self.line(pos)
                pos = self._ws(end)
                assert self.text[pos] == ":"
                pos = self._ws(self._value(self._ws(pos + 1), path + (key,)))
                if self.text[pos] == ",":
                    pos = self._ws(pos + 1)
            return pos + 1
        if ch == "[":
            pos, index = self._ws(pos + 1), 0
            while self.text[pos] != "]":
                pos = self._ws(self._value(pos, path + (index,)))
                index += 1
                if self.text[pos] == ",":
                    pos = self._ws(pos + 1)
            return pos + 1
        _, end = json.JSONDecoder().raw_decode(self.text, pos)
        return end

    def of(self, path: tuple, key: bool = False) -> int:
        return (self.keys if key else self.values)[tuple(path)]


def records(path: Path) -> list[tuple[Any, Lines]]:
    """(data, line map) per record: a JSON file is one record, an NDJSON file one per line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        return [
            (json.loads(line, parse_float=Decimal), Lines(line, n))
            for n, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    return [(json.loads(text, parse_float=Decimal), Lines(text))]


def schema_findings(path: Path, kind: str, readings: dict[str, str] | None = None) -> set[tuple[int, str]]:
    v = validator(FEED.kinds[kind].spec["schema"], readings)
    found = set()
    for data, lines in records(path):
        for err in v.iter_errors(data):
            req = err.schema.get("x-requirement")
            assert isinstance(req, str), f"{path.name}: no x-requirement at {list(err.schema_path)} ({err.message})"
            sp = list(err.schema_path)
            at = tuple(err.absolute_path)
            if len(sp) >= 2 and sp[-2] == "propertyNames":
                found.add((lines.of(at + (err.instance,), key=True), req))
            elif len(sp) >= 2 and sp[-2] == "additionalProperties":
                found.add((lines.of(at, key=True), req))
            else:
                found.add((lines.of(at), req))
    return found


# --- the oracle: state machine --------------------------------------------------------------------

STATES = yaml.safe_load((SPEC / "claim-states.yaml").read_text(encoding="utf-8"))


def _next(state: str, before: str | None):
    """(to, before-cancel) pairs one transition away."""
    for t in STATES["transitions"]:
        if t["from"] != state:
            continue
        if t["to"] == "$previous":
            if before is not None:
                yield before, None
        elif t["to"] == "awaitingCancelResponse":
            yield t["to"], state
        else:
            yield t["to"], before


def reach(start: str, before: str | None, target: str) -> tuple[bool, str | None]:
    """Whether target follows start directly or through unobserved states only."""
    unobserved = set(STATES["unobserved"])
    frontier, seen = [(start, before)], set()
    while frontier:
        state, b = frontier.pop()
        for to, nb in _next(state, b):
            if to == target:
                return True, nb
            if to in unobserved and (to, nb) not in seen:
                seen.add((to, nb))
                frontier.append((to, nb))
    return False, None


def sequence_findings(path: Path, readings: dict[str, str] | None = None) -> set[tuple[int, str, str]]:
    chosen = {**FEED.default_readings(), **(readings or {})}
    initial = STATES["initial"]["options"][chosen["LP-R-INITIAL-STATE"]]
    terminal = {s for s, d in STATES["states"].items() if d["terminal"]}
    claims: dict[str, tuple[str, str | None]] = {}
    seen_ids: dict[str, str] = {}
    found = set()
    for data, lines in records(path):
        line = lines.of(())
        canonical = json.dumps(data, sort_keys=True, default=str)
        if data.get("id") in seen_ids:
            if seen_ids[data["id"]] == canonical:
                found.add((line, "LP-WH-3", "info"))
                continue
            found.add((line, "LP-WH-2", "error"))
        seen_ids.setdefault(data.get("id"), canonical)
        if data.get("type") != "claiming.invoice.updated":
            continue
        body = data.get("data") or {}
        for status in body.get("claimStatuses") or body.get("claims") or []:
            new, claim = status.get("state"), status.get("claimId")
            current = claims.get(claim)
            if new in (None, "noChange") or (current and new == current[0]):
                continue
            if current is None:
                ok, before = False, None
                for start in initial:
                    ok, before = (True, None) if new == start else reach(start, None, new)
                    if ok:
                        break
                if not ok:
                    found.add((line, "LP-STATE-4", "error"))
            elif current[0] in terminal:
                found.add((line, "LP-STATE-3", "error"))
                before = None
            else:
                ok, before = reach(current[0], current[1], new)
                if not ok:
                    found.add((line, "LP-STATE-2", "error"))
            claims[claim] = (new, before)
    return found


# --- the oracle: checks a schema cannot state -------------------------------------------------------


def _duplicates(items: list, field: str, path: tuple, lines: Lines, req: str, severity: str, found: set):
    seen = set()
    for i, item in enumerate(items or []):
        value = item.get(field) if isinstance(item, dict) else None
        if value is None:
            continue
        if value in seen:
            found.add((lines.of(path + (i, field)), req, severity))
        seen.add(value)


def _schema_at(tokens: list, data: Any, reg: Registry, uri: str) -> bool:
    """Whether an invalidParams name resolves against a request (data) of the schema at uri."""
    resolver = reg.resolver(uri)
    schema = resolver.lookup(uri).contents
    for n, token in enumerate(tokens):
        last = n == len(tokens) - 1
        if "$ref" in schema:
            found = resolver.lookup(schema["$ref"])
            resolver, schema = found.resolver, found.contents
        if isinstance(token, int):
            if not isinstance(data, list) or token >= len(data) or "items" not in schema:
                return False
            data, schema = data[token], schema["items"]
            continue
        props = schema.get("properties", {})
        if token not in props:
            return False
        if last:
            return True
        if not isinstance(data, dict) or data.get(token) is None:
            return False
        data, schema = data[token], props[token]
    return True


def _tokens(name: str) -> list:
    return [int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"\[\d+\]|[^.\[\]]+", name)]


def check_findings(path: Path, kind: str) -> set[tuple[int, str, str]]:
    found = set()
    seed_codes = set(FEED.spec["program_codes"]["versions"][FEED.spec["program_codes"]["default_version"]]["codes"])
    companion = path.with_name(path.name.removesuffix(".json") + ".request.json")
    for data, lines in records(path):
        if kind in ("invoice-request", "predetermination-request", "contract-request", "eligibility-request"):
            if isinstance(data.get("program"), str) and data["program"] not in seed_codes:
                found.add((lines.of(("program",)), "LP-PROG-2", "warning"))
        if kind in ("invoice-request", "predetermination-request"):
            _duplicates(data.get("claims"), "billerClaimId", ("claims",), lines, "LP-INV-8", "warning", found)
        if kind == "contract-request":
            _duplicates(
                data.get("contractLineItems"),
                "billerContractLineItemId",
                ("contractLineItems",),
                lines,
                "LP-CON-6",
                "warning",
                found,
            )
        if kind.startswith("webhook") and isinstance(data.get("data"), dict):
            for array in ("claimStatuses", "claims"):
                _duplicates(data["data"].get(array), "claimId", ("data", array), lines, "LP-WH-10", "error", found)
        if kind == "invoice-response":
            _duplicates(data.get("claims"), "claimId", ("claims",), lines, "LP-INV-9", "error", found)
            if companion.is_file():
                request = load_decimal(companion)
                want = sorted(str(c.get("billerClaimId")) for c in request["claims"])
                got = sorted(str(c.get("billerClaimId")) for c in data.get("claims", []))
                if want != got:
                    found.add((lines.of(("claims",)), "LP-INV-11", "error"))
        if kind == "error-payload" and companion.is_file():
            request, reg = load_decimal(companion), registry()
            for i, param in enumerate(data.get("invalidParams") or []):
                if not _schema_at(_tokens(param["name"]), request, reg, (SCHEMAS / "invoice.json").as_uri()):
                    found.add((lines.of(("invalidParams", i, "name")), "LP-ERR-5", "error"))
    return found


def syntax_findings(path: Path) -> set[tuple[int, int | None]]:
    fmt = "ndjson" if path.suffix == ".ndjson" else "json"
    return {(p.line, p.column) for p in read_records(path, fmt) if isinstance(p, ParseProblem)}


# --- samples --------------------------------------------------------------------------------------


def _samples(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (SAMPLES / folder).iterdir()
        if p.suffix in (".json", ".ndjson") and not p.name.endswith((".expected.json", ".request.json"))
    )


VALID, INVALID = _samples("valid"), _samples("invalid")
VALID_KINDS = yaml.safe_load((SAMPLES / "valid" / "kinds.yaml").read_text(encoding="utf-8"))


def expected(sample: Path) -> dict:
    path = sample.with_name(sample.name.rsplit(".", 1)[0] + ".expected.json")
    assert path.is_file(), f"{sample.name} has no {path.name}"
    return json.loads(path.read_text(encoding="utf-8"))


# --- feed.yaml ----------------------------------------------------------------------------------------


def test_feed_loads_and_every_requirement_is_well_formed():
    assert FEED.id == "lanternpay" and FEED.doc == "004_91b263f2a90f6f83.txt"
    assert len(FEED.requirements) >= 80
    for rid, req in FEED.requirements.items():
        assert re.fullmatch(r"LP-[A-Z]+-\d+", rid), rid
        assert req.level in LEVELS, rid  # texts, sections and applies_to: tests/test_spec_bundles.py
        if req.area == "webhook-handler":
            assert req.applies_to == "client", rid
    handler = {r.id for r in FEED.requirements.values() if r.area == "webhook-handler"}
    assert {"LP-WHH-1", "LP-WHH-4", "LP-WHH-6", "LP-WHH-7"} <= handler


def test_environments_and_auth():
    envs = FEED.environments
    assert envs["sandbox"]["urls"]["api"] == "https://api.providers.sandbox.lanternpay.com"
    assert envs["production"]["urls"]["api"] == "https://api.providers.lanternpay.com"
    assert envs["production"]["production"] is True and envs["sandbox"]["production"] is False
    assert envs["production"]["urls"]["oauth_token"].endswith("/oauth/connect/token")
    auth = FEED.spec["auth"]
    assert set(auth["modes"]) == {"basic", "oauth2"} and "client_credentials" in auth["modes"]["oauth2"]["grant_types"]
    assert set(auth["webhook_modes"]) == {"custom-header", "basic", "oauth2"}
    for mode in [*auth["modes"].values(), *auth["webhook_modes"].values()]:
        assert mode["requirement"] in FEED.requirements


def test_readings_exist_with_their_default_among_the_options():
    named = {r.reading for r in FEED.requirements.values() if r.reading}
    assert named <= set(FEED.readings), named - set(FEED.readings)
    for rid, reading in FEED.readings.items():
        assert re.fullmatch(r"LP-R-[A-Z-]+", rid) and reading["text"].strip()
        assert reading["default"] in reading["options"], rid
        assert all(isinstance(o, str) for o in reading["options"]), rid
    assert set(FEED.readings) <= named, "every reading is carried by a requirement"


def test_retry_readings_are_the_counts_the_policy_gives():
    policy = FEED.spec["retry_policy"]
    flr, slr = policy["first_level"]["retries"], policy["second_level"]
    counts = {
        "20": flr + slr["attempts"] * slr["first_level_per_attempt"],
        "21": 1 + flr + slr["attempts"] * slr["first_level_per_attempt"],
        "24": (1 + flr) + slr["attempts"] * (1 + slr["first_level_per_attempt"]),
    }
    assert counts == {k: int(k) for k in counts} == {k: v for k, v in policy["deliveries"].items()}
    assert set(FEED.readings["LP-R-RETRY-COUNT"]["options"]) == set(counts)
    assert sum(slr["delays_s"]) == policy["minimum_span_s"] == 60


def test_program_codes_per_version():
    versions = FEED.spec["program_codes"]["versions"]
    assert set(versions[FEED.spec["program_codes"]["default_version"]]["codes"]) == {"ndis", "tac", "mpl", "pga-fluvax"}
    # the codes as the Provider API page prints them per version (tests/fixtures/lanternpay/README.md)
    reference = ROOT / "tests" / "fixtures" / "lanternpay" / "program-codes.json"
    ref = json.loads(reference.read_text(encoding="utf-8"))
    assert set(versions["seed-2020-01"]["codes"]) == set(ref["seed_version_jan_2020"]["codes"])
    assert set(versions["v2.0-later"]["codes"]) == set(ref["later_v2_0_versions"]["codes_in_order_seen"])


def test_kinds_name_schemas_and_do_not_collide_with_ltss():
    ltss_keys = set().union(*(k.detect_keys for k in load_feed("ltss").kinds.values()))
    want = {
        "invoice-request",
        "predetermination-request",
        "contract-request",
        "invoice-response",
        "error-payload",
        "webhook",
        "webhook-invoice-updated",
        "webhook-predetermination-updated",
        "webhook-member-eligibility",
        "webhook-contract-status",
        "webhook-sequence",
    }
    assert want <= set(FEED.kinds)
    for name, kind in FEED.kinds.items():
        assert "rules" not in kind.spec and (SPEC / kind.spec["schema"]).is_file(), name
        assert set(kind.spec["formats"]) <= {"json", "ndjson"}, name
        assert not kind.detect_keys & ltss_keys, (name, kind.detect_keys & ltss_keys)
        assert kind.spec["syntax_requirement"] in FEED.requirements, name
        for check in kind.spec.get("checks", []):
            assert check["requirement"] in FEED.requirements, (name, check)
    assert FEED.kinds["webhook-sequence"].spec["formats"] == ["ndjson", "json"]  # NDJSON, or a JSON array


def test_ltss_files_are_still_detected_as_ltss():
    from payercert.validators.engine import Options, detect

    for sample in sorted((ROOT / "specs" / "ltss" / "samples" / "valid").iterdir()):
        feed, kind, _ = detect(sample, Options())
        assert (feed.id, kind.name) == ("ltss", "billing-entry"), sample.name


# --- x-requirement ----------------------------------------------------------------------------------


def _x_requirements(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-requirement":
                yield from ([value] if isinstance(value, str) else value)
            elif not key.startswith("x-reading"):
                yield from _x_requirements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _x_requirements(value)


def test_every_x_requirement_names_a_catalogue_id():
    docs = [yaml.safe_load((SPEC / "openapi.yaml").read_text(encoding="utf-8"))]
    docs += [json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.json")]
    named = {r for doc in docs for r in _x_requirements(doc)}
    assert named and named <= set(FEED.requirements), named - set(FEED.requirements)
    machine = {t.get("requirement") for t in STATES["transitions"]} | set(STATES["requirements"])
    assert machine - {None} <= set(FEED.requirements)


# --- OpenAPI -------------------------------------------------------------------------------------------


def test_openapi_is_valid_and_loads_in_schemathesis():
    path = SPEC / "openapi.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator_mod = pytest.importorskip("openapi_spec_validator")  # not a runtime dependency
    validator_mod.validate(doc, base_uri=path.resolve().as_uri())
    import schemathesis

    schema = schemathesis.openapi.from_path(str(path))
    ops = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert ops == OPERATIONS
    assert {s["url"] for s in doc["servers"]} == {e["urls"]["api"] for e in FEED.environments.values()}
    assert set(doc["webhooks"]) == WEBHOOKS == set(FEED.spec["webhooks"])
    assert doc["paths"]["/"]["get"]["security"] == []
    for ref in (s["$ref"] for s in doc["components"]["schemas"].values()):
        assert (SPEC / ref).is_file(), ref


# --- JSON Schemas ------------------------------------------------------------------------------------

SCHEMA_FILES = sorted(SCHEMAS.glob("*.json"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_2020_12_and_its_refs_resolve(path: Path):
    doc = load_decimal(path)
    assert doc["$schema"] == DRAFT and "$id" not in doc
    Draft202012Validator.check_schema(doc)
    reg = registry()
    resolver = reg.resolver(path.as_uri())
    for _, node in walk_schemas(doc):
        if "$ref" in node:
            assert not node["$ref"].startswith(("http:", "https:", "/")), node["$ref"]
            resolver.lookup(node["$ref"])  # raises when it does not resolve


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_assertion_carries_its_requirement(path: Path):
    """So a schema error maps to one catalogue id: the x-requirement of the object holding the keyword."""
    for where, node in walk_schemas(load_decimal(path)):
        if ASSERTIONS & set(node):
            assert isinstance(node.get("x-requirement"), str), f"{path.name} {where}"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_x_reading_overrides(path: Path):
    """Each option names a reading's option; the default's keywords are the ones written."""
    doc = load_decimal(path)
    for where, node in walk_schemas(doc):
        for rid, options in node.get("x-reading", {}).items():
            reading = FEED.readings[rid]
            assert set(options) <= set(reading["options"]) and reading["default"] in options, (where, rid)
            for keyword, value in options[reading["default"]].items():
                assert node.get(keyword) == value, (where, rid, keyword)
            for option in options:
                Draft202012Validator.check_schema(apply_readings(doc, {rid: option}))


# --- samples -------------------------------------------------------------------------------------------


def test_samples_are_there():
    assert len(VALID) >= 15 and len(INVALID) >= 30
    assert {p.relative_to(SAMPLES).as_posix() for p in VALID + INVALID} >= set(VERBATIM)
    assert set(VALID_KINDS) == {p.name for p in VALID}
    for sample in VALID + INVALID:  # companions
        request = sample.with_name(sample.name.removesuffix(".json") + ".request.json")
        assert not request.exists() or FEED.kinds[_kind(sample)].spec.get("companion"), sample.name
    orphans = [
        p.name
        for p in (SAMPLES / "invalid").glob("*.expected.json")
        if not any(p.name == s.name.rsplit(".", 1)[0] + ".expected.json" for s in INVALID)
    ]
    assert orphans == []


def _kind(sample: Path) -> str:
    return VALID_KINDS[sample.name] if sample in VALID else expected(sample)["options"]["kind"]


@pytest.mark.parametrize("name", sorted(VERBATIM))
def test_document_examples_are_verbatim(name: str):
    first, last = VERBATIM[name]
    document = require_payer_document(FEED.doc)
    printed = document.read_text(encoding="utf-8").splitlines()[first - 1 : last]
    assert (SAMPLES / name).read_text(encoding="utf-8").splitlines() == printed


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_valid_sample_validates(sample: Path):
    kind = VALID_KINDS[sample.name]
    assert syntax_findings(sample) == set()
    assert schema_findings(sample, kind) == set()
    assert check_findings(sample, kind) == set()
    if kind == "webhook-sequence":
        assert sequence_findings(sample) == set()
    if FEED.kinds[kind].detect_keys:  # detection by content, every feed installed
        from payercert.validators.engine import Options, detect

        feed, detected, _ = detect(sample, Options())
        assert (feed.id, detected.name) == ("lanternpay", kind)


@pytest.mark.parametrize("sample", INVALID, ids=lambda p: p.name)
def test_invalid_sample_gives_its_expected_findings(sample: Path):
    exp = expected(sample)
    kind, readings = exp["options"]["kind"], exp["options"].get("readings", {})
    assert kind in FEED.kinds and set(readings) <= set(FEED.readings)
    findings = exp["findings"]
    assert findings, "an invalid sample names at least one finding"
    by_via = defaultdict(set)
    for f in findings:
        req = FEED.requirements[f["requirement"]]
        redelivery = f["requirement"] == "LP-WH-3" and f["via"] == "sequence"  # a retry is reported, not an error
        assert f["severity"] == ("info" if redelivery else SEVERITY[req.level]), f
        by_via[f["via"]].add((f["line"], f["requirement"]) if f["via"] != "syntax" else (f["line"], f["column"]))
        if f["via"] == "check":
            checks = {c["requirement"] for c in FEED.kinds[kind].spec.get("checks", [])}
            assert f["requirement"] in checks, f
        if f["via"] == "syntax":
            assert (f["code"], f["requirement"]) == ("SYNTAX", FEED.kinds[kind].spec["syntax_requirement"])
        else:
            assert f["code"] is None
    assert exp["exit"] == (1 if any(f["severity"] == "error" for f in findings) else 0)
    assert syntax_findings(sample) == by_via["syntax"]
    if by_via["syntax"]:
        assert set(by_via) == {"syntax"}, "a file that does not parse gives its syntax finding only"
        return
    assert schema_findings(sample, kind, readings) == by_via["schema"]
    assert {(line, req) for line, req, _ in check_findings(sample, kind)} == by_via["check"]
    if kind == "webhook-sequence":
        seq = sequence_findings(sample, readings)
        assert {(line, req) for line, req, _ in seq} == by_via["sequence"]
        assert {(f["line"], f["requirement"], f["severity"]) for f in findings if f["via"] == "sequence"} == seq
    else:
        assert not by_via["sequence"]


def test_document_invoice_example_is_clean_under_the_readings_it_was_printed_with():
    sample = SAMPLES / "invalid" / "doc-invoice-request-medibank.json"
    printed = {
        "LP-R-PROVIDER-KIND": "at-least-one",
        "LP-R-CONTACTPOINT": "fhir",
        "LP-R-PRESCRIBER": "either",
        "LP-R-DISCIPLINE": "listed-or-lowercase",
    }
    assert schema_findings(sample, "invoice-request", printed) == set()
    assert schema_findings(sample, "invoice-request") != set()


# --- shape rules, one at a time ----------------------------------------------------------------------


def _errors(schema: str, instance: Any, readings: dict[str, str] | None = None) -> set[str]:
    return {e.schema["x-requirement"] for e in validator(schema, readings).iter_errors(instance)}


def _load(name: str) -> Any:
    return load_decimal(SAMPLES / "valid" / name)


def test_shape_rules():
    webhook = _load("doc-invoice-updated-tac.corrected.json")
    assert _errors("schemas/webhook.json", webhook) == set()
    w = copy.deepcopy(webhook)
    w["data"]["claimStatuses"][0]["statusTitle"] = "X" * 11
    assert _errors("schemas/webhook.json", w) == {"LP-WH-9"}
    w["data"]["claimStatuses"][0]["statusTitle"] = "X" * 10
    assert _errors("schemas/webhook.json", w) == set()
    w["data"]["claimStatuses"][0]["adjudications"][0]["amount"] = Decimal("20.005")
    assert _errors("schemas/webhook.json", w) == {"LP-FMT-4"}
    w = copy.deepcopy(webhook)
    w["data"]["claimStatuses"][1]["state"] = "paid"
    assert _errors("schemas/webhook.json", w) == set()
    assert _errors("schemas/webhook.json", w, {"LP-R-WEBHOOK-CLAIM-STATE": "program-settable"}) == {"LP-WH-8"}
    w["data"]["claims"] = w["data"].pop("claimStatuses")
    assert _errors("schemas/webhook.json", w) == {"LP-WH-6"}
    assert _errors("schemas/webhook.json", w, {"LP-R-INVOICE-STATUS-ARRAY": "claims"}) == set()
    assert _errors("schemas/webhook.json", w, {"LP-R-INVOICE-STATUS-ARRAY": "either"}) == set()
    w["data"]["created"] = "2019-06-12T12:41:12:222"
    assert _errors("schemas/webhook.json", w, {"LP-R-INVOICE-STATUS-ARRAY": "either"}) == {"LP-FMT-1"}
    assert (
        _errors("schemas/webhook.json", w, {"LP-R-INVOICE-STATUS-ARRAY": "either", "LP-R-DATETIME": "as-printed"})
        == set()
    )

    invoice = _load("invoice-service-date-and-datetime.json")
    assert _errors("schemas/invoice.json", invoice) == set()
    i = copy.deepcopy(invoice)
    i["claims"][0]["servicePeriod"] = {"start": "2020-02-03T09:00:00.000+11:00", "end": "2020-02-03T10:00:00.000+11:00"}
    assert _errors("schemas/invoice.json", i) == {"LP-INV-4"}
    i["claims"][0]["serviceDate"] = None  # null counts as absent
    assert _errors("schemas/invoice.json", i) == set()
    i["claims"][0]["quantity"] = Decimal("1.1034")
    assert _errors("schemas/invoice.json", i) == set()
    i["claims"][0]["quantity"] = Decimal("1.10345")
    assert _errors("schemas/invoice.json", i) == {"LP-FMT-3"}
    i = copy.deepcopy(invoice)
    i["created"] = "2020-02-30T09:15:00.000+11:00"  # the pattern passes, the calendar does not
    assert _errors("schemas/invoice.json", i) == {"LP-FMT-1"}
    i["created"] = "2020-02-03T09:15:00.000+11:00"
    i["claims"][0]["provider"]["organization"] = {"facilityName": "My Practice"}
    assert _errors("schemas/invoice.json", i) == {"LP-PRV-1"}
    assert _errors("schemas/invoice.json", i, {"LP-R-PROVIDER-KIND": "at-least-one"}) == set()
    assert _errors("schemas/predetermination.json", invoice) == set()

    root = _load("doc-root-response.corrected.json")
    assert _errors("schemas/root.json", root) == set()
    r = copy.deepcopy(root)
    r["_links"]["curies"] = r["_links"]["curies"][0]
    assert _errors("schemas/root.json", r) == {"LP-HAL-5"}
    assert _errors("schemas/root.json", r, {"LP-R-CURIES": "object-or-array"}) == set()
    r["_links"]["curies"]["templated"] = False
    assert _errors("schemas/root.json", r, {"LP-R-CURIES": "object-or-array"}) == {"LP-HAL-6"}
    r = copy.deepcopy(root)
    del r["_links"]["lp:submit-invoice"]["templated"]
    assert _errors("schemas/root.json", r) == {"LP-HAL-3", "LP-HAL-4"}


# --- the claim state machine ---------------------------------------------------------------------------


def test_claim_state_machine():
    states = STATES["states"]
    assert list(states) == json.loads((SCHEMAS / "claim-state.json").read_text())["enum"]
    assert len(states) == 10
    terminal = {s for s, d in states.items() if d["terminal"]}
    assert terminal == {"rejected", "cancelled"}
    assert "1.9" in STATES["source"]["transitions"]
    outgoing = defaultdict(set)
    for t in STATES["transitions"]:
        assert t["driver"] in ("program", "biller"), t
        assert t["from"] in states and (t["to"] in states or t["to"] == "$previous"), t
        outgoing[t["from"]].add(t["to"])
    assert all(not outgoing[s] for s in terminal)
    assert all(outgoing[s] for s in states if s not in terminal)
    assert {t["from"] for t in STATES["transitions"] if t["driver"] == "biller"} == {
        "awaitingResponse",
        "pending",
        "provisionallyApproved",
        "approved",
        "paid",
    }
    assert {t["to"] for t in STATES["transitions"] if t["driver"] == "biller"} == {"awaitingCancelResponse"}
    assert STATES["initial"]["driver"] == "biller"
    reading = FEED.readings[STATES["initial"]["reading"]]
    assert set(STATES["initial"]["options"]) == set(reading["options"])
    assert set(STATES["unobserved"]) <= set(states)
    # every state is reachable from the initial state
    seen, frontier = (
        set(STATES["initial"]["options"][reading["default"]]),
        list(STATES["initial"]["options"][reading["default"]]),
    )
    while frontier:
        state = frontier.pop()
        for to in outgoing[state] - {"$previous"}:
            if to not in seen:
                seen.add(to)
                frontier.append(to)
    assert seen == set(states)
    assert not reach("paid", None, "pending")[0]
    assert reach("approved", None, "cancelled") == (True, "approved")
    assert reach("cancelPending", "pending", "pending") == (True, None)
