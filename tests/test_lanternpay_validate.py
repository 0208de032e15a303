"""`payercert validate` on LanternPay files: every sample of specs/lanternpay/samples gives the
findings its `<stem>.expected.json` names (line, requirement, severity, code, column) and its
exit code; the document's errata are named in their findings; error payloads against their
request (--request); webhook sequences against the claim state machine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import golden
import pytest
import yaml
from click.testing import CliRunner

from payercert.cli import app
from payercert.feeds import load_feed
from payercert.validators.kind_checks import resolve
from payercert.validators.schemas import compiled_schema

SPEC = Path(__file__).resolve().parents[1] / "specs" / "lanternpay"
SAMPLES = SPEC / "samples"
KINDS = yaml.safe_load((SAMPLES / "valid" / "kinds.yaml").read_text(encoding="utf-8"))
FEED = load_feed("lanternpay")


def validate(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["validate", "--format", "json", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)["files"][0]


def _samples(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (SAMPLES / folder).iterdir()
        if p.suffix in (".json", ".ndjson") and not p.name.endswith((".expected.json", ".request.json"))
    )


def _expected(sample: Path) -> dict:
    return json.loads(sample.with_name(sample.name.rsplit(".", 1)[0] + ".expected.json").read_text(encoding="utf-8"))


def _findings(report: dict, role: str = "") -> list[dict]:
    return [f for f in report["findings"] if f["requirement"].startswith(role)]


# --- every sample -------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", _samples("invalid"), ids=lambda p: p.name)
def test_invalid_sample_gives_its_expected_findings_and_exit_code(sample: Path):
    _, report = golden.check(sample, "lanternpay")
    assert report["kind"] == _expected(sample)["options"]["kind"]


@pytest.mark.parametrize("sample", _samples("valid"), ids=lambda p: p.name)
def test_valid_sample_is_clean_and_detected_by_its_shape(sample: Path):
    kind = FEED.kinds[KINDS[sample.name]]
    args = [] if kind.detect_keys else ["--feed", "lanternpay", "--kind", kind.name]  # no --feed: every feed competes
    code, report = validate(sample, *args)
    assert (report["feed"], report["kind"]) == ("lanternpay", kind.name)
    assert report["findings"] == [] and code == 0


# --- the document's errata, named in their findings ----------------------------------------------

ERRATA = [  # sample, kind, requirement, erratum, the reading that accepts the document's version
    ("doc-invoice-updated-tac.json", "webhook", "LP-JSON-2", "LP-E-BILLER-CLAIM-ID-SPACE", None),
    ("invoice-biller-claim-id-trailing-space.json", "invoice-request", "LP-JSON-2", "LP-E-BILLER-CLAIM-ID-SPACE", None),
    ("doc-predetermination-updated-ndis.json", "webhook", "LP-JSON-1", "LP-E-LEADING-ZERO", None),
    ("doc-invoice-updated-ndis.json", "webhook", "LP-WH-6", "LP-E-CLAIMS-ARRAY", "LP-R-INVOICE-STATUS-ARRAY=either"),
    ("doc-invoice-updated-ndis.json", "webhook", "LP-FMT-1", "LP-E-DATETIME-COLON", "LP-R-DATETIME=as-printed"),
    ("doc-invoice-request-medibank.json", "invoice-request", "LP-JSON-3", "LP-E-PRESCRIBER", "LP-R-PRESCRIBER=either"),
    ("doc-root-response.json", "api-root", "LP-HAL-5", "LP-E-CURIES-OBJECT", "LP-R-CURIES=object-or-array"),
]


@pytest.mark.parametrize("name,kind,requirement,erratum,reading", ERRATA, ids=lambda v: str(v))
def test_an_erratum_met_is_named_in_its_finding(name, kind, requirement, erratum, reading):
    sample = SAMPLES / "invalid" / name
    _, report = validate(sample, "--feed", "lanternpay", "--kind", kind)
    named = [f for f in _findings(report, requirement) if f"document erratum {erratum}" in f["message"]]
    assert named, [f["message"] for f in report["findings"]]
    if reading:
        assert all(f"--reading {reading}" in f["message"] for f in named)
        _, accepted = validate(sample, "--feed", "lanternpay", "--kind", kind, "--reading", reading)
        assert not [f for f in accepted["findings"] if erratum in f["message"]]


def test_an_erratum_is_not_claimed_for_an_ordinary_finding():
    _, report = validate(SAMPLES / "invalid" / "invoice-created-zulu.json", "--feed", "lanternpay")
    assert [f["requirement"] for f in report["findings"]] == ["LP-FMT-1"]
    assert "erratum" not in report["findings"][0]["message"]


def test_leading_zero_is_reported_with_line_column_and_a_plain_reason(tmp_path: Path):
    sample = SAMPLES / "invalid" / "doc-predetermination-updated-ndis.json"
    code, report = validate(sample, "--feed", "lanternpay", "--kind", "webhook")
    (finding,) = report["findings"]
    assert (finding["location"]["line"], finding["location"]["column"]) == (10, 28) and code == 1
    assert "leading zero (001)" in finding["message"]
    ndjson = tmp_path / "webhooks.ndjson"
    ndjson.write_text(json.dumps({"a": 1}) + "\n" + '{"id": 007}\n', encoding="utf-8")
    _, report = validate(ndjson, "--feed", "lanternpay", "--kind", "webhook-sequence")
    syntax = [f for f in report["findings"] if f["code"] == "SYNTAX"]
    assert [(f["location"]["line"], f["location"]["column"]) for f in syntax] == [(2, 9)]  # where 07 goes on
    assert "leading zero (007)" in syntax[0]["message"]
    ndjson.write_text('{"id": 0\u00b2}\n', encoding="utf-8")  # "²" is a digit to str.isdigit(), not to \\d
    _, report = validate(ndjson, "--feed", "lanternpay", "--kind", "webhook-sequence")
    syntax = [f for f in report["findings"] if f["code"] == "SYNTAX"]
    assert [f["message"] for f in syntax] == ["not JSON: Expecting ',' delimiter"]


# --- decimals are exact -----------------------------------------------------------------------------


def test_decimal_places_are_counted_exactly(tmp_path: Path):
    invoice = json.loads((SAMPLES / "valid" / "doc-invoice-request-medibank.corrected.json").read_text())
    claim = invoice["claims"][0]
    text = json.dumps(invoice)
    for quantity, price, want in (
        ("1.1034", "42.7853", set()),
        ("0.0003", "0.0007", set()),
        ("1.10345", "42.7853", {"LP-FMT-3"}),
        ("1.1034", "0.00001", {"LP-FMT-3"}),
    ):
        body = text.replace(json.dumps(claim["quantity"]), quantity, 1).replace(
            json.dumps(claim["unitPrice"]), price, 1
        )
        (tmp_path / "invoice.json").write_text(body, encoding="utf-8")
        _, report = validate(tmp_path / "invoice.json", "--feed", "lanternpay")
        assert {f["requirement"] for f in report["findings"]} == want, (quantity, price)


# --- error payload against its request ------------------------------------------------------------


def test_error_payload_names_resolve_against_the_request_given_with_request(tmp_path: Path):
    error = tmp_path / "error.json"
    shutil.copy(SAMPLES / "invalid" / "error-name-unresolved.json", error)
    request = SAMPLES / "invalid" / "error-name-unresolved.request.json"
    code, report = validate(error, "--request", request)
    assert report["kind"] == "error-payload" and code == 1
    assert sorted(f["location"]["line"] for f in _findings(report, "LP-ERR-5")) == [10, 14]
    assert all(request.name in f["message"] for f in report["findings"])
    shutil.copy(SAMPLES / "valid" / "error-name-resolves.json", error)
    code, report = validate(error, "--request", SAMPLES / "valid" / "error-name-resolves.request.json")
    assert report["findings"] == [] and code == 0


def test_without_a_request_the_check_is_listed_as_skipped(tmp_path: Path):
    error = tmp_path / "error.json"
    shutil.copy(SAMPLES / "invalid" / "error-name-unresolved.json", error)
    code, report = validate(error)
    assert report["findings"] == [] and code == 0
    assert [s for s in report["skipped_checks"] if s.startswith("LP-ERR-5") and "request" in s]


def test_an_unusable_request_is_one_line_and_exit_2(tmp_path: Path):
    error = SAMPLES / "invalid" / "error-name-unresolved.json"
    result = subprocess.run(
        [sys.executable, "-m", "payercert", "validate", str(error), "--request", str(tmp_path / "absent.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--request" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    broken = tmp_path / "request.json"
    broken.write_text('{"program": "mpl",\n "claims": [001]}', encoding="utf-8")
    code, report = validate(error, "--request", broken)
    assert code == 2 and "line 2:" in report["unusable"] and "leading zero" in report["unusable"]


def test_invalid_params_path_form():
    compiled = compiled_schema(SPEC / "schemas" / "invoice.json", True, tuple(sorted(FEED.default_readings().items())))
    request = json.loads((SAMPLES / "valid" / "error-name-resolves.request.json").read_text())
    assert resolve("claims[0].itemCode", request, compiled) is None
    assert resolve("claims[0].serviceDateTime", request, compiled) is None  # a field of the schema, present or not
    assert resolve("member.memberNumber", request, compiled) is None
    assert "outside" in resolve(f"claims[{len(request['claims'])}].itemCode", request, compiled)
    assert "not a field" in resolve("claimStatus[0].claimId", request, compiled)
    assert "not an array" in resolve("member[0].memberNumber", request, compiled)
    for malformed in ("claims[0].", "claims[x].itemCode", "[0].itemCode", "claims..itemCode"):
        assert "not of the form" in resolve(malformed, request, compiled), malformed


def test_invoice_response_against_its_request(tmp_path: Path):
    response = tmp_path / "response.json"
    shutil.copy(SAMPLES / "invalid" / "invoice-response-claim-missing.json", response)
    code, report = validate(
        response,
        "--feed",
        "lanternpay",
        "--request",
        SAMPLES / "invalid" / "invoice-response-claim-missing.request.json",
    )
    (finding,) = report["findings"]
    assert finding["requirement"] == "LP-INV-11" and "missing billerClaimId" in finding["message"] and code == 1


# --- webhook sequences ------------------------------------------------------------------------------


def _lines(name: str) -> list[dict]:
    folder = "valid" if (SAMPLES / "valid" / name).exists() else "invalid"
    return [json.loads(line) for line in (SAMPLES / folder / name).read_text().splitlines() if line.strip()]


def test_a_json_array_of_webhooks_is_read_as_a_sequence(tmp_path: Path):
    array = tmp_path / "webhooks.json"
    array.write_text(json.dumps(_lines("sequence-paid-to-pending.ndjson"), indent=2), encoding="utf-8")
    code, report = validate(array)
    assert (report["feed"], report["kind"]) == ("lanternpay", "webhook-sequence")
    (finding,) = report["findings"]
    assert finding["requirement"] == "LP-STATE-2" and "paid -> pending" in finding["message"] and code == 1
    assert array.read_text().splitlines()[finding["location"]["line"] - 1].strip() == '"state": "pending"'


def test_events_of_several_invoices_are_followed_per_invoice(tmp_path: Path):
    bad = _lines("sequence-paid-to-pending.ndjson")  # approved, paid, pending: the last is illegal
    other = json.loads(json.dumps(bad[:2]))  # the same claim id on another invoice: approved, paid
    for n, event in enumerate(other):
        event["id"] = f"1d9e1d2a-0001-4f00-8a00-00000000000{n}"
        event["data"]["invoiceId"] = "6c0e8f6a-3c2d-4e1f-9a8b-7c6d5e4f3a21"
    mixed = [bad[0], other[0], bad[1], bad[2], other[1]]
    path = tmp_path / "mixed.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in mixed), encoding="utf-8")
    code, report = validate(path)
    assert [(f["location"]["line"], f["requirement"]) for f in report["findings"]] == [(4, "LP-STATE-2")] and code == 1


def test_a_redelivery_is_a_note_and_a_changed_retry_is_an_error(tmp_path: Path):
    events = _lines("webhook-sequence.ndjson")
    path = tmp_path / "retries.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in [events[0], events[0], *events[1:]]), encoding="utf-8")
    code, report = validate(path)
    assert [(f["location"]["line"], f["requirement"], f["severity"]) for f in report["findings"]] == [
        (2, "LP-WH-3", "info")
    ]
    assert "retry" in report["findings"][0]["message"] and code == 0
    changed = json.loads(json.dumps(events[0]))
    changed["created"] += 60
    path.write_text("".join(json.dumps(e) + "\n" for e in [events[0], changed, *events[1:]]), encoding="utf-8")
    code, report = validate(path)
    assert [(f["location"]["line"], f["requirement"], f["severity"]) for f in report["findings"]] == [
        (2, "LP-WH-2", "error")
    ]
    assert code == 1


def test_a_claim_is_first_seen_in_a_state_the_initial_one_leads_to(tmp_path: Path):
    first = _lines("sequence-first-state-paid.ndjson")[0]
    first["data"]["claimStatuses"][0]["state"] = "pending"
    path = tmp_path / "pending.ndjson"
    path.write_text(json.dumps(first) + "\n", encoding="utf-8")
    # pending follows awaitingResponse, which the biller knows from its own submission (unobserved)
    assert validate(path)[0] == 0
    first["data"]["claimStatuses"][0]["state"] = "cancelled"  # cancelled at once: awaitingCancelResponse unobserved
    path.write_text(json.dumps(first) + "\n", encoding="utf-8")
    assert validate(path)[0] == 0
    first["data"]["claimStatuses"][0]["state"] = "paymentFailed"  # needs approved, which would have been announced
    path.write_text(json.dumps(first) + "\n", encoding="utf-8")
    code, report = validate(path)
    assert [f["requirement"] for f in report["findings"]] == ["LP-STATE-4"] and code == 1


def test_the_sequence_memory_follows_the_open_claims_not_the_file():
    """A long stream of claims that each close (rejected: a terminal state; a paid claim stays open,
    it can still be cancelled): what is held stays what a redelivery window needs, while a
    redelivery and a change out of a terminal state inside the window are still seen."""
    from payercert.feeds import load_feed
    from payercert.validators.locate import RecordLines
    from payercert.validators.readers import Record
    from payercert.validators.sequence import SequenceCheck

    feed = load_feed("lanternpay")
    check = SequenceCheck(feed, feed.kinds["webhook-sequence"], feed.default_readings())
    template = _lines("sequence-paid-to-pending.ndjson")[0]

    def event(n: int, claim: int, state: str, created: int) -> Record:
        body = json.loads(json.dumps(template))
        body.update(id=f"00000000-0000-4000-8000-{n:012d}", created=created)
        body["data"]["invoiceId"] = f"10000000-0000-4000-8000-{claim:012d}"
        body["data"]["claimStatuses"][0].update(claimId=f"20000000-0000-4000-8000-{claim:012d}", state=state)
        return Record(line=n + 1, data=body, index=n)

    def feed_in(record: Record) -> list:
        return list(check.check(record, RecordLines(record)))

    held, n = [], 0
    for claim in range(20_000):  # a claim every 10 s: some 55 hours of deliveries
        for state in ("pending", "rejected"):
            assert not feed_in(event(n, claim, state, 1_700_000_000 + 10 * claim))
            n += 1
        held.append(len(check.entities) + len(check.deliveries))
    assert max(held[-5000:]) == max(held[5000:10000]) < 2_000  # flat: an hour of claims, not the file
    last = event(n - 1, 19_999, "rejected", 1_700_000_000 + 10 * 19_999)
    assert [f.requirement for f in feed_in(last)] == ["LP-WH-3"]  # a redelivery inside the window
    reopened = event(n, 19_999, "pending", 1_700_000_000 + 10 * 19_999 + 5)
    assert [f.requirement for f in feed_in(reopened)] == ["LP-STATE-3"]  # out of a terminal state


# --- exit codes ---------------------------------------------------------------------------------------


def test_exit_codes(tmp_path: Path):
    assert validate(SAMPLES / "valid" / "doc-invoice-response-medibank.json")[0] == 0
    assert validate(SAMPLES / "invalid" / "invoice-biller-claim-id-duplicate.json")[0] == 0  # a warning only
    assert validate(SAMPLES / "invalid" / "invoice-claims-empty.json")[0] == 1
    binary = tmp_path / "webhook.json"
    binary.write_bytes(b"\x00\x01\x02")
    code, report = validate(binary, "--feed", "lanternpay", "--kind", "webhook")
    assert code == 2 and "binary" in report["unusable"]
