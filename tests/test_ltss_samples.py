"""`payercert validate` on the LTSS samples: every valid sample is clean, every invalid one gives
exactly the findings its `<stem>.expected.json` lists.

Samples are discovered by globbing specs/ltss/samples/{valid,invalid}/, so a new sample (and its
expected file) is picked up without editing this module. An expected file reads:

    {"options": {"as_of": "2026-11-20", "data": true, "all_errors": false},
     "exit": 1,                                  # optional, default 1
     "findings": [{"line": 3, "code": "1300", "requirement": "LTSS-1300-4", "column": 1}]}

`code` is null for advisory findings (warnings); `column` is optional and checked when given.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import golden
import pytest
import yaml
from click.testing import CliRunner

from payercert.cli import app
from payercert.feeds import load_feed

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "ltss"
SAMPLES = SPEC / "samples"
DATA = SAMPLES / "data.yaml"
AS_OF = "2026-11-20"
SAMPLE_SUFFIXES = (".json", ".ndjson", ".jsonl", ".csv", ".gz")


def _samples(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (SAMPLES / folder).iterdir()
        if p.is_file() and p.name.endswith(SAMPLE_SUFFIXES) and not p.name.endswith(".expected.json")
    )


def _expected_path(sample: Path) -> Path:
    stem = sample.name.removesuffix(".gz").rsplit(".", 1)[0]
    return sample.with_name(stem + ".expected.json")


VALID = _samples("valid")
INVALID = _samples("invalid")


def _id(path: Path) -> str:
    return path.name


runner = CliRunner()


def validate(
    *files: Path | str,
    fmt: str = "json",
    data: bool = False,
    all_errors: bool = False,
    as_of: str | None = AS_OF,
    feed: str | None = None,
    extra: tuple[str, ...] = (),
):
    """Run `payercert validate` in-process; return (exit code, stdout, stderr)."""
    args = ["validate", "--format", fmt]
    if as_of:
        args += ["--as-of", as_of]
    if feed:
        args += ["--feed", feed]
    if data:
        args += ["--data", str(DATA)]
    if all_errors:
        args.append("--all-errors")
    args += [*extra, *map(str, files)]
    result = runner.invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(
            f"payercert {' '.join(args)} raised {type(result.exception).__name__}: {result.exception}"
        ) from result.exception
    return result.exit_code, result.stdout, result.stderr


def validate_json(*files, **kw) -> tuple[int, dict]:
    code, out, err = validate(*files, fmt="json", **kw)
    try:
        return code, json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON (exit {code}): {out[:500]!r} {err[:500]!r}") from None


def findings(report: dict) -> list[dict]:
    return [f for file in report["files"] for f in file["findings"]]


def triples(report: dict) -> set[tuple]:
    return {(f["location"]["line"], f["code"], f["requirement"]) for f in findings(report)}


def errors(report: dict) -> list[dict]:
    return [f for f in findings(report) if f["severity"] == "error"]


def skipped_ids(report: dict) -> set[str]:
    return {s.split()[0] for file in report["files"] for s in file.get("skipped_checks", [])}


def rules_spec() -> dict:
    return yaml.safe_load((SPEC / "rules.yaml").read_text(encoding="utf-8"))


def needs_data_ids() -> set[str]:
    return {rid for rid, req in load_feed("ltss").requirements.items() if req.needs_data}


# --- valid samples ---------------------------------------------------------------------------


def test_there_are_samples():
    assert {p.name for p in VALID} >= {"unit-based.json", "cost-based.json", "batch.ndjson", "batch.csv"}
    assert len(INVALID) >= 20


@pytest.mark.parametrize("with_data", [False, True], ids=["no-data", "data"])
@pytest.mark.parametrize("sample", VALID, ids=_id)
def test_valid_sample_is_clean(sample: Path, with_data: bool):
    # no --feed: the feed and kind are detected from the content
    code, report = validate_json(sample, data=with_data)
    file = report["files"][0]
    assert "unusable" not in file, file.get("unusable")
    assert (file["feed"], file["kind"]) == ("ltss", "billing-entry")
    assert file["records"] >= 1
    assert errors(report) == [], errors(report)
    assert code == 0


def test_valid_batches_have_distinct_transaction_ids():
    for sample in VALID:
        if sample.suffix == ".ndjson":
            ids = [json.loads(line)["TransactionId"] for line in sample.read_text().splitlines() if line.strip()]
            assert len(ids) >= 5 and len(set(ids)) == len(ids), sample.name


# --- invalid samples ---------------------------------------------------------------------------


def _expected(sample: Path) -> dict:
    path = _expected_path(sample)
    assert path.is_file(), f"{sample.name} has no {path.name}"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("sample", INVALID, ids=_id)
def test_invalid_sample_gives_its_expected_findings(sample: Path):
    expected = _expected(sample)
    # --feed: a file that does not parse has no keys to detect its feed by
    code, _ = golden.check(sample, "ltss", {"as_of": expected.get("options", {}).get("as_of", AS_OF)})
    assert code == expected.get("exit", 1)


def test_every_expected_file_has_its_sample():
    samples = {_expected_path(s) for s in INVALID}
    orphans = [p.name for p in (SAMPLES / "invalid").glob("*.expected.json") if p not in samples]
    assert orphans == []


def test_expected_files_name_catalogued_requirements_and_rule_codes():
    feed = load_feed("ltss")
    rules = {r["id"]: r for r in rules_spec()["rules"]}
    for sample in INVALID:
        for f in _expected(sample)["findings"]:
            assert f["requirement"] in feed.requirements, (sample.name, f)
            if f["code"] not in (None, "SYNTAX"):
                assert str(rules[f["requirement"]]["code"]) == f["code"], (sample.name, f)


def test_every_record_rule_with_a_code_has_an_invalid_sample():
    """Each rule a file can show (not the session rule 1000) is the first finding of some sample."""
    shown = {f["requirement"] for s in INVALID for f in _expected(s)["findings"]}
    record_rules = {
        r["id"] for r in rules_spec()["rules"] if r.get("code") is not None and r["check"] != "session_flag"
    }
    assert record_rules - shown == set()


def test_doc_post_body_sample_is_a_syntax_error_at_the_missing_comma():
    sample = SAMPLES / "invalid" / "doc-post-body-missing-comma.json"
    lines = sample.read_text().splitlines()
    assert lines[1] == '"TransactionId": "80a4889c-6f1b-453d-a306-eccfb9382355"'  # the comma is missing here
    code, report = validate_json(sample, feed="ltss")
    [finding] = findings(report)
    assert (finding["code"], finding["requirement"], finding["severity"]) == ("SYNTAX", "LTSS-UP-8", "error")
    # the parser notices at the next token: line 3, column 1 (where the comma would be inserted)
    assert (finding["location"]["line"], finding["location"]["column"]) == (3, 1)
    assert code == 1


def test_several_defects_first_failure_vs_all_errors():
    one = SAMPLES / "invalid" / "several-defects.json"
    _, first = validate_json(one, feed="ltss", data=True)
    _, every = validate_json(one, feed="ltss", data=True, all_errors=True)
    assert [f["code"] for f in errors(first)] == ["1200"]
    codes = [f["code"] for f in errors(every)]
    assert codes == sorted(codes) and set(codes) == {"1200", "1300", "1500", "1600"}


def test_malformed_guid_is_a_warning_only():
    code, report = validate_json(SAMPLES / "invalid" / "doc-malformed-guid.json", feed="ltss", data=True)
    [finding] = findings(report)
    assert finding["requirement"] == "LTSS-TXN-1" and finding["severity"] == "warning" and finding["code"] is None
    assert report["summary"]["errors"] == 0 and report["summary"]["warnings"] == 1
    assert code == 0


# --- reference data ----------------------------------------------------------------------------


def test_without_data_the_data_checks_are_listed_as_skipped():
    code, report = validate_json(SAMPLES / "valid" / "batch.ndjson")
    assert code == 0
    # the batch has unit- and cost-based entries, so every check needing data is reached
    assert skipped_ids(report) == needs_data_ids()
    _, with_data = validate_json(SAMPLES / "valid" / "batch.ndjson", data=True)
    assert skipped_ids(with_data) == set()


def test_unknown_client_is_clean_without_data_and_red_with_it():
    sample = SAMPLES / "invalid" / "client-unknown.json"
    code, report = validate_json(sample, feed="ltss")
    assert (code, findings(report)) == (0, [])
    assert "LTSS-1500-2" in skipped_ids(report)
    code, report = validate_json(sample, feed="ltss", data=True)
    assert code == 1 and triples(report) == {(5, "1500", "LTSS-1500-2")}  # the ClientLtssId key's line


@pytest.mark.parametrize("sample", [s for s in INVALID if _expected(s).get("options", {}).get("data")], ids=_id)
def test_data_checks_never_fail_without_data(sample: Path):
    opts = _expected(sample)["options"]
    _, report = validate_json(sample, feed="ltss", as_of=opts.get("as_of", AS_OF), all_errors=True)
    failed_data_checks = {f["requirement"] for f in findings(report)} & needs_data_ids()
    assert failed_data_checks == set()


# --- output formats ----------------------------------------------------------------------------


def test_sarif_has_one_result_per_finding():
    files = [
        SAMPLES / "invalid" / "several-defects-all-errors.json",
        SAMPLES / "invalid" / "doc-malformed-guid.json",
        SAMPLES / "valid" / "batch.csv",
    ]
    _, report = validate_json(*files, feed="ltss", data=True, all_errors=True)
    code, out, _ = validate(*files, fmt="sarif", feed="ltss", data=True, all_errors=True)
    sarif = json.loads(out)
    assert code == 1
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert len(run["results"]) == len(findings(report)) == 8
    by_rule = sorted(r["ruleId"] for r in run["results"])
    assert by_rule == sorted(f["requirement"] for f in findings(report))
    assert {r["level"] for r in run["results"]} == {"error", "warning"}
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_junit_is_parseable_xml():
    files = [SAMPLES / "invalid" / "csv-error-line-3.csv", SAMPLES / "valid" / "unit-based.json"]
    code, out, _ = validate(*files, fmt="junit", feed="ltss", data=True)
    assert code == 1
    root = ET.fromstring(out.encode())
    assert root.tag == "testsuites"
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert failures[str(files[0])] is not None and "LTSS-1500-1" in failures[str(files[0])].text
    assert failures[str(files[1])] is None


def test_table_format_runs():
    code, out, _ = validate(SAMPLES / "invalid" / "units-fractional.json", fmt="table", feed="ltss")
    assert code == 1 and "LTSS-1300-7" in out


# --- unusable input: exit 2, one line, no traceback -----------------------------------------


def _assert_unusable(path: Path, reason: str):
    code, report = validate_json(path, feed="ltss")
    assert code == 2
    message = report["files"][0]["unusable"]
    assert "\n" not in message and str(path) in message and reason in message, message
    code, out, err = validate(path, fmt="table", feed="ltss")
    assert code == 2 and "Traceback" not in out + err
    return message


def test_binary_file_is_unusable(tmp_path):
    path = tmp_path / "entry.json"
    path.write_bytes(bytes(range(256)) * 8)
    _assert_unusable(path, "binary")


def test_non_utf8_file_is_unusable(tmp_path):
    path = tmp_path / "entry.json"
    path.write_bytes('{"TransactionId": "caf\u00e9"}'.encode("latin-1"))
    _assert_unusable(path, "not UTF-8")


def test_unusable_input_through_the_console_script(tmp_path):
    """The installed entry point (main, standalone_mode=False): one line on stderr, exit 2."""
    exe = Path(sys.executable).with_name("payercert")
    if not exe.exists():
        exe = shutil.which("payercert")
        if exe is None:
            pytest.skip("payercert console script not installed")
    path = tmp_path / "entry.csv"
    path.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    proc = subprocess.run(
        [str(exe), "validate", "--as-of", AS_OF, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "unusable" in proc.stdout and "binary" in proc.stdout


def test_unusable_reason_is_one_line_in_the_table(tmp_path):
    path = tmp_path / "a-file-name-long-enough-to-pass-eighty-columns-once-the-reason-is-added.json"
    path.write_bytes(bytes(range(256)) * 8)
    code, out, _ = validate(path, fmt="table", feed="ltss")
    assert code == 2
    assert any(
        ln.startswith("unusable ") and str(path) in ln and "binary content, not a text file" in ln
        for ln in out.splitlines()
    ), out


def test_non_utf8_late_in_the_file_claims_no_wrong_offset(tmp_path):
    """The decoder's offset is relative to its chunk, not the file: the message gives none."""
    line = b'{"TransactionId": "5d2f8a10-4b6c-4e7d-9a8b-1c2d3e4f0001", "ServiceDate": "11-02-2026"}\n'
    body = line * 200  # well past the first decode chunk (8 KiB)
    path = tmp_path / "late.ndjson"
    path.write_bytes(body + b'{"TransactionId": "\xff"}\n')
    message = _assert_unusable(path, "not UTF-8")
    assert "at byte" not in message, message


def test_truncated_gzip_is_unusable(tmp_path):
    data = gzip.compress((SAMPLES / "valid" / "batch.ndjson").read_bytes())
    path = tmp_path / "batch.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    _assert_unusable(path, "cannot be read")


# --- compressed input -----------------------------------------------------------------------------


def test_gzipped_ndjson_is_read(tmp_path):
    plain = SAMPLES / "valid" / "batch.ndjson"
    path = tmp_path / "batch.ndjson.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    code, report = validate_json(path, data=True)
    assert code == 0 and findings(report) == []
    _, plain_report = validate_json(plain, data=True)
    assert report["files"][0]["records"] == plain_report["files"][0]["records"] >= 5


def test_gzipped_invalid_ndjson_keeps_its_line_numbers(tmp_path):
    plain = SAMPLES / "invalid" / "transaction-id-duplicate-ndjson.ndjson"
    path = tmp_path / plain.with_suffix(".ndjson.gz").name
    path.write_bytes(gzip.compress(plain.read_bytes()))
    code, report = validate_json(path, feed="ltss", data=True)
    want = {(f["line"], f["code"], f["requirement"]) for f in _expected(plain)["findings"]}
    assert code == 1 and triples(report) == want


# --- defects found while writing the samples (validators/; see the xfail reasons) ---------------


def _entry(**changes) -> dict:
    rec = {
        "TransactionId": "5d2f8a10-4b6c-4e7d-9a8b-1c2d3e4f0001",
        "ServiceIdentifier": "PERSUP15",
        "ServiceDate": "11-02-2026",
        "ClientLtssId": "A1234567890",
        "ProviderMa": "A12345678",
        "Units": 2,
    }
    rec.update(changes)
    return {k: v for k, v in rec.items() if v is not ...}


def _no_crash(path: Path, *, data: bool = True) -> dict:
    code, report = validate_json(path, feed="ltss", data=data, all_errors=True)
    assert code in (0, 1), report
    return report


def test_huge_cost_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(_entry(Units=..., ServiceIdentifier="TRANSP"))[:-1] + ', "Cost": 1e400}')
    assert errors(_no_crash(path))


def test_huge_units_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(_entry(Units=...))[:-1] + ', "Units": 1e400}')
    assert errors(_no_crash(path))


def test_nan_literal_is_a_syntax_error(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(_entry(Units=...))[:-1] + ', "Units": NaN}')
    report = _no_crash(path)
    assert {(f["code"], f["requirement"]) for f in errors(report)} == {("SYNTAX", "LTSS-UP-8")}


def test_csv_nan_units_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "entries.csv"
    path.write_text(
        "TransactionId,ServiceIdentifier,ServiceDate,ClientLtssId,ProviderMa,Units,Cost\n"
        "5d2f8a10-4b6c-4e7d-9a8b-1c2d3e4f0001,PERSUP15,11-02-2026,A1234567890,A12345678,nan,\n"
    )
    report = _no_crash(path)
    assert ("1300", "LTSS-1300-1") in {(f["code"], f["requirement"]) for f in errors(report)}


def test_array_transaction_id_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "entries.ndjson"
    path.write_text(json.dumps(_entry(TransactionId=["x"])) + "\n" + json.dumps(_entry()) + "\n")
    report = _no_crash(path)
    assert ("LTSS-TXN-1") in {f["requirement"] for f in findings(report)}


def test_object_client_id_is_a_finding_not_a_crash(tmp_path):
    path = tmp_path / "entry.json"
    path.write_text(json.dumps(_entry(ClientLtssId={"id": "A1234567890"})))
    report = _no_crash(path)
    assert ("1500", "LTSS-1500-2") in {(f["code"], f["requirement"]) for f in errors(report)}


def test_json_pointer_of_a_single_object(tmp_path):
    _, report = validate_json(SAMPLES / "invalid" / "units-fractional.json", feed="ltss")
    [finding] = findings(report)
    assert finding["location"]["pointer"] == "/Units"


def test_json_pointer_in_an_array():
    _, report = validate_json(SAMPLES / "invalid" / "transaction-id-duplicate.json", feed="ltss", data=True)
    [finding] = findings(report)
    assert finding["location"]["pointer"] == "/1/TransactionId"


# --- the OpenAPI description -------------------------------------------------------------------


def test_openapi_is_valid_and_loads_in_schemathesis():
    doc = yaml.safe_load((SPEC / "openapi.yaml").read_text(encoding="utf-8"))
    validator = pytest.importorskip("openapi_spec_validator")  # not a runtime dependency
    validator.validate(doc)
    import schemathesis

    schema = schemathesis.openapi.from_path(str(SPEC / "openapi.yaml"))
    ops = {op.path: op for op in (r.ok() for r in schema.get_all_operations())}
    urls = load_feed("ltss").environments["test"]["urls"]
    assert {op.base_url + path for path, op in ops.items()} == {urls["token"], urls["upload"]}
    catalogue = load_feed("ltss").requirements
    named: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "x-requirement":
                    named.update([value] if isinstance(value, str) else value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert named and named <= set(catalogue), named - set(catalogue)
    for path in ("/connect/token", "/ltssv2/Ltss.SelfServeApi.Web/api/providerupload/uploadbillingentry"):
        assert len(doc["paths"][path]["servers"]) == 2
