"""Hostile input to `payercert validate` gets a one-line reason and exit 2, never a crash or a hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def validate(*paths, cwd, timeout=50):
    return subprocess.run(
        [sys.executable, "-m", "payercert", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_fifo_device_and_missing_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")  # opening it for reading would wait for a writer forever
    (tmp_path / "zero.json").symlink_to("/dev/zero")  # reading it never ends
    done = validate("pipe.json", "zero.json", "missing.json", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout.splitlines()[:3] == [
        "unusable pipe.json: not a regular file (a FIFO, socket or device), not read",
        "unusable zero.json: not a regular file (a FIFO, socket or device), not read",
        "unusable missing.json: no such file",
    ]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_deep_nesting(tmp_path, text):
    (tmp_path / "deep.json").write_text(text)
    for args in (["deep.json"], ["deep.json", "--feed", "lanternpay"]):
        done = validate(*args, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, ""), done.stderr
        assert (
            done.stdout.splitlines()[0]
            == "unusable deep.json: JSON nested deeper than the reader follows (about 1,000 levels)"
        )


SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "specs" / "ltss" / "samples"


def test_folder_pattern_and_standard_input(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.json").write_text((SAMPLES / "valid" / "unit-based.json").read_text())
    (tmp_path / "sub" / "b.json").write_text((SAMPLES / "invalid" / "units-fractional.json").read_text())
    (tmp_path / ".hidden" / "c.json").write_text("not json")
    for args in ([str(tmp_path)], ["**/*.json"]):
        done = validate(*args, "--as-of", "2026-11-20", "--format", "json", cwd=tmp_path)
        files = __import__("json").loads(done.stdout)["files"]
        assert [f["path"].rsplit("/", 1)[-1] for f in files] == ["a.json", "b.json"], files
        assert done.returncode == 1
    piped = subprocess.run(
        [sys.executable, "-m", "payercert", "validate", "-", "--as-of", "2026-11-20", "--format", "json"],
        input=(SAMPLES / "invalid" / "units-fractional.json").read_text(),
        capture_output=True,
        text=True,
        timeout=50,
    )
    report = __import__("json").loads(piped.stdout)["files"][0]
    assert (piped.returncode, report["path"], report["kind"]) == (1, "-", "billing-entry")


@pytest.mark.timeout(240)
def test_a_folder_of_ten_thousand_files(tmp_path):
    """Every file read and reported: a scheduled run over a drop folder."""
    folder = tmp_path / "drop"
    folder.mkdir()
    entry = (SAMPLES / "valid" / "unit-based.json").read_text()
    for n in range(10_000):
        (folder / f"{n:05d}.json").write_text(entry)
    done = validate("drop", "--as-of", "2026-11-20", "--format", "json", cwd=tmp_path, timeout=200)
    assert done.returncode == 0, done.stdout[-2000:]
    summary = __import__("json").loads(done.stdout)["summary"]
    assert (summary["files"], summary["records"], summary["errors"], summary["unusable"]) == (10_000, 10_000, 0, 0)


def test_no_guess_without_evidence(tmp_path):
    """A file that shows no kind's evidence is not validated as the one kind that reads its format."""
    (tmp_path / "notes.md").write_text("# Notes\n\nSome prose, not billing entries.\n")
    (tmp_path / "one.csv").write_text("hello\n")
    done = validate("notes.md", "one.csv", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith("unusable notes.md: cannot tell which feed this file belongs to: it shows no kind's")
    assert lines[1].startswith("unusable one.csv: cannot tell which feed")
    named = validate("one.csv", "--feed", "ltss", cwd=tmp_path)
    assert named.stdout.splitlines()[0] == (
        "unusable one.csv: the CSV header names none of the columns of ltss billing-entry "
        "(ClientLtssId, Cost, ProviderMa, ServiceDate, ...)"
    )


def test_with_feed_a_parse_failure_is_what_it_is(tmp_path):
    """A feed with several kinds cannot pick one from a file it cannot read: it says why, not 'cannot tell'."""
    (tmp_path / "sample.json").write_text('{\n  "invoiceId": "x",\n  "amount": 001\n}\n')
    done = validate("sample.json", "--feed", "lanternpay", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines()[0] == (
        "unusable sample.json: not JSON at line 3 column 14: a number with a leading zero (001)"
    )


def _stu3_record() -> dict:
    import json

    root = SAMPLES.parents[1] / "ab2d" / "samples" / "valid"
    return json.loads((root / "eob-stu3-seed.ndjson").read_text().splitlines()[0])


def test_the_version_is_proven_not_guessed(tmp_path):
    """An STU3 EOB without precedence or organization is STU3 by its claim type's code system; one
    that shows no version's proof is not read as any version (docs/sources/fhir-versions.md)."""
    import json

    record = _stu3_record()
    for member in ("precedence", "organization"):
        record.pop(member, None)
    (tmp_path / "stu3.ndjson").write_text(json.dumps(record) + "\n")
    text = json.dumps(record).replace("http://hl7.org/fhir/ex-claimtype", "http://example.org/claim-type")
    (tmp_path / "unproven.ndjson").write_text(text + "\n")
    done = validate("stu3.ndjson", "--format", "json", cwd=tmp_path)
    report = json.loads(done.stdout)["files"][0]
    assert report["kind"] == "eob-stu3", done.stdout[-500:]
    assert report["recognised_by"].endswith("and http://hl7.org/fhir/ex-claimtype in the record")  # says why
    done = validate("unproven.ndjson", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines()[0] == (
        "unusable unproven.ndjson: looks like eob-r4 or eob-stu3, and shows none of what tells them "
        "apart; name it with --kind"
    )


def test_a_few_generic_names_are_no_evidence(tmp_path):
    """A FHIR Bundle of Patients shares id and type with a LanternPay webhook: that is no reason to read
    it as one, and an EOB kind does not read it either: its entries are no EOBs."""
    import json

    bundle = {
        "resourceType": "Bundle",
        "id": "b1",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}],
    }
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    done = validate("bundle.json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout.splitlines()[0] == (
        "unusable bundle.json: cannot tell which feed this file belongs to: it shows no kind's evidence (a CSV "
        "header naming known columns, a JSON record's known keys); the first record inside a Bundle: its "
        'resourceType is "Patient", not "ExplanationOfBenefit"; name it with --feed and --kind'
    )


def test_a_bundle_of_eobs_is_read_entry_by_entry(tmp_path):
    """A Bundle is what a FHIR search answers: one finding says an export is NDJSON, then each entry is
    validated as the EOB it is, its findings placed on the entry's own lines."""
    import json

    lines = (SAMPLES.parents[1] / "ab2d" / "samples" / "valid" / "eob-r4.ndjson").read_text().splitlines()
    eob = json.loads(lines[0])
    broken = {k: v for k, v in eob.items() if k != "patient"}  # AB2D-EOB-3: patient is present
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": eob}, {"resource": broken}]}
    text = json.dumps(bundle, indent=2)
    (tmp_path / "bundle.json").write_text(text)
    done = validate("bundle.json", "--format", "json", cwd=tmp_path)
    report = json.loads(done.stdout)["files"][0]
    assert (report["feed"], report["kind"], report["records"]) == ("ab2d", "eob-r4", 2)
    errors = [(f["requirement"], f["location"]["pointer"]) for f in report["findings"] if f["severity"] == "error"]
    assert errors[0] == ("AB2D-NDJSON-1", None) and "Bundle" in report["findings"][0]["message"]
    assert ("AB2D-EOB-3", "/entry/1/resource") in errors and not any("/entry/0/" in (p or "") for _, p in errors)
    second = text.index('"resource"', text.index('"resource"') + 1)
    assert {f["location"]["line"] for f in report["findings"] if f["requirement"] == "AB2D-EOB-3"} == {
        text.count("\n", 0, second) + 1
    }
    assert done.returncode == 1


def test_a_line_too_long_to_hold_is_a_finding_and_the_next_line_is_read(tmp_path, monkeypatch):
    """Memory stays bounded: a line of MAX_LINE characters or more is read past in chunks, never held."""
    from payercert.validators import readers

    monkeypatch.setattr(readers, "MAX_LINE", 1000)
    path = tmp_path / "lines.ndjson"
    path.write_text('{"pad": "' + "x" * 5000 + '"}\n{"a": 1}\n', encoding="utf-8")
    items = list(readers.read_records(path, "ndjson"))
    assert isinstance(items[0], readers.ParseProblem) and items[0].line == 1 and "longer than" in items[0].message
    assert isinstance(items[1], readers.Record) and (items[1].line, items[1].data) == (2, {"a": 1})
