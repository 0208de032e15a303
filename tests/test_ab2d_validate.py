"""The AB2D EOB fast path (validators/fastpath.py, validators/ab2d_eob.py): same findings as the
schema + rules path, hostile NDJSON never crashes it, --jobs numbers lines like one process."""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from payercert.cli import app
from payercert.validators.fastpath import _slow, check_line, fast_kind, validate_ndjson_lines
from payercert.validators.rules import RuleContext

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "specs" / "ab2d" / "samples" / "valid"
SEED_LINE = (VALID / "eob-stu3-seed.ndjson").read_bytes().rstrip(b"\n")
CTX = RuleContext(today=date(2026, 11, 20))


def run(path: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["validate", "--format", "json", *args, str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def triples(report: dict) -> list[tuple]:
    return sorted((f["location"]["line"], f["requirement"], f["severity"]) for f in report["findings"])


# --- same findings as the schema path ----------------------------------------------------------------


def _mutations(data, rnd: random.Random, n: int):
    """Small random edits anywhere in a record: drop a member, change a value's type or content,
    add an unknown member."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((path, k))
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                paths.append((path, i))
                walk(v, path + [i])

    walk(data, [])
    for _ in range(n):
        copy = json.loads(json.dumps(data))
        parent_path, key = rnd.choice(paths)
        parent = copy
        for step in parent_path:
            parent = parent[step]
        action = rnd.choice(
            [
                "drop",
                "string",
                "number",
                "zero",
                "empty",
                "spaces",
                "unknown",
                "object",
                "date",
                "tab",
                "nbsp",
                "quoted",
                "duplicate",
            ]
        )
        if action == "drop":
            del parent[key]
        elif action == "string":
            parent[key] = "x"
        elif action == "number":
            parent[key] = 1.5
        elif action == "zero":
            parent[key] = 0
        elif action == "empty":
            parent[key] = "" if isinstance(parent[key], str) else ([] if isinstance(parent[key], list) else {})
        elif action == "spaces":
            parent[key] = " a  b " if isinstance(parent[key], str) else parent[key]
        elif action == "unknown" and isinstance(parent, dict):
            parent["notInTheSubset"] = True
        elif action == "object":
            parent[key] = {"url": "http://x", "valueString": "a", "valueCode": "b", "extension": [{"url": "u"}]}
        elif action == "date":
            parent[key] = "2020-13-45"
        elif action in ("tab", "nbsp", "quoted") and isinstance(parent[key], str):  # escapes the raw scanner reads
            parent[key] = {"tab": "a\tb", "nbsp": "a\u00a0b", "quoted": 'the "x" code'}[action]
        line = json.dumps(copy, separators=(",", ":"), ensure_ascii=rnd.random() < 0.5).encode()
        if action == "duplicate" and isinstance(key, str):  # the member given twice, at the raw level
            member = json.dumps(key).encode() + b":"
            at = line.find(member)
            if at > 0:
                line = line[:at] + member + b'"x",' + line[at:]
        yield line


@pytest.mark.parametrize("tiers", ["checker first", "Structs only"])
@pytest.mark.parametrize(
    "kind,sample",
    [
        ("eob-stu3", "eob-stu3-drg-diagnosis"),
        ("eob-stu3", "eob-stu3-seed"),
        ("eob-r4", "eob-r4"),
        ("eob-r4", "eob-r4-2022-sample-shape"),
        ("eob-r4-v3", "eob-r4-v3"),
    ],
)
def test_fast_path_gives_the_schema_paths_findings_on_mutated_lines(kind: str, sample: str, tiers: str):
    fk = fast_kind("ab2d", kind, tuple(sorted({"AB2D-R-TRANSACTION-TIME": "ab2d"}.items())))
    if tiers == "Structs only":  # as where the C line checker was not built
        fk = dataclasses.replace(fk, program=None)
    data = json.loads((VALID / f"{sample}.ndjson").read_text(encoding="utf-8"))
    rnd = random.Random(sample)
    for line in _mutations(data, rnd, 150):
        fast = check_line(fk, line, 1, CTX)
        slow = _slow(fk, line, 1, CTX, False)
        key = lambda f: (f.requirement, f.severity.value)  # noqa: E731
        assert sorted(map(key, fast.findings)) == sorted(map(key, slow.findings)), line[:300]


def test_duplicate_members_are_found_on_the_fast_path():
    line = SEED_LINE.replace(b'"precedence":0', b'"precedence":0,"precedence":0')
    found = list(validate_ndjson_lines("ab2d", "eob-stu3", [line]))
    assert {f.requirement for f in found} >= {"AB2D-NDJSON-5"}


def test_validate_ndjson_lines_for_callers_holding_the_lines():
    found = list(validate_ndjson_lines("ab2d", "eob-stu3", [SEED_LINE + b"\n", b"{\n", SEED_LINE]))
    assert [(f.location.line, f.requirement, f.severity.value) for f in found] == [
        (1, "AB2D-DEV-1", "warning"),
        (2, "AB2D-NDJSON-1", "error"),
        (3, "AB2D-DEV-1", "warning"),
    ]


# --- hostile NDJSON ----------------------------------------------------------------------------------


def test_hostile_lines_become_findings_at_their_lines(tmp_path: Path):
    path = tmp_path / "hostile.ndjson"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + SEED_LINE
        + b"\n"  # 1 BOM (still validated)
        + b"\n"  # 2 blank
        + (SEED_LINE + b"\n") * 4  # 3-6 fine (detection reads the head as text)
        + SEED_LINE.replace(b"SUPPURAT", b"SUPP\xffRAT")
        + b"\n"  # 7 invalid UTF-8
        + b"<html>502 Bad Gateway</html>\n"  # 8 not JSON
        + b"   \t\n"  # 9 blank
        + SEED_LINE[:1000]
    )  # 10 truncated, no line feed
    code, out = run(path)
    report = out["files"][0]
    assert code == 1 and report["kind"] == "eob-stu3"
    assert triples(report) == sorted(
        [
            (1, "AB2D-DEV-1", "warning"),
            (1, "AB2D-NDJSON-2", "error"),
            (2, "AB2D-NDJSON-3", "warning"),
            *[(n, "AB2D-DEV-1", "warning") for n in range(3, 7)],
            (7, "AB2D-NDJSON-2", "error"),
            (8, "AB2D-NDJSON-1", "error"),
            (9, "AB2D-NDJSON-3", "warning"),
            (10, "AB2D-NDJSON-1", "error"),
        ]
    )


def test_invalid_utf8_at_the_head_is_unusable_in_one_line(tmp_path: Path):
    path = tmp_path / "bad.ndjson"
    path.write_bytes(SEED_LINE.replace(b"SUPPURAT", b"SUPP\xffRAT") + b"\n")
    code, out = run(path)
    assert code == 2 and "not UTF-8" in out["files"][0]["unusable"] and "\n" not in out["files"][0]["unusable"]


def test_a_valid_last_line_without_line_feed_is_a_warning(tmp_path: Path):
    path = tmp_path / "x.ndjson"
    path.write_bytes(SEED_LINE + b"\n" + SEED_LINE)
    code, out = run(path)
    assert code == 0 and (2, "AB2D-NDJSON-3", "warning") in triples(out["files"][0])


def test_a_10_mb_line_is_validated_without_trouble(tmp_path: Path):
    data = json.loads(SEED_LINE)
    data["item"][0]["service"]["coding"][0]["display"] = "x" * (10 << 20)
    path = tmp_path / "big.ndjson"
    path.write_bytes(SEED_LINE + b"\n" + json.dumps(data, separators=(",", ":")).encode() + b"\n" + b"[1,\n")
    code, out = run(path, "--kind", "eob-stu3")
    assert code == 1 and triples(out["files"][0]) == [
        (1, "AB2D-DEV-1", "warning"),
        (2, "AB2D-DEV-1", "warning"),
        (3, "AB2D-NDJSON-1", "error"),
    ]


def test_non_json_first_line_and_binary_give_a_clear_outcome(tmp_path: Path):
    path = tmp_path / "junk.ndjson"
    path.write_bytes(b"\x00\x01\x02 binary")
    code, out = run(path, "--kind", "eob-stu3")
    assert code == 2 and out["files"][0]["unusable"]


def test_gzip_is_read_and_jobs_fall_back_to_one_process(tmp_path: Path):
    path = tmp_path / "Z0000_0001.ndjson.gz"
    with gzip.open(path, "wb") as fh:
        fh.write((SEED_LINE + b"\n") * 3)
    code, out = run(path, "--jobs", "2")
    report = out["files"][0]
    assert code == 0 and report["records"] == 3 and "gzip" in report["notes"][0]
    assert triples(report) == [(n, "AB2D-DEV-1", "warning") for n in (1, 2, 3)]


# --- --jobs and large files -----------------------------------------------------------------------------


def test_jobs_number_lines_like_one_process(tmp_path: Path):
    bad = SEED_LINE.replace(b"ExplanationOfBenefit", b"Claim")
    lines = [bad if n % 97 == 0 else (b"" if n % 89 == 0 else SEED_LINE) for n in range(1, 601)]
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    one = run(path)[1]["files"][0]
    for jobs in ("2", "3"):
        code, out = run(path, "--jobs", jobs)
        many = out["files"][0]
        assert code == 1 and many["records"] == one["records"] == 600 - 6
        assert triples(many) == triples(one)
        assert (97, "AB2D-EOB-1", "error") in triples(many) and (89, "AB2D-NDJSON-3", "warning") in triples(many)


def test_a_big_file_gets_one_process_per_cpu_by_default(tmp_path: Path, monkeypatch):
    import os

    import payercert.validators.fastpath as fastpath

    bad = SEED_LINE.replace(b'"precedence":0', b'"precedence":"0"')
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\n".join(bad if n % 50 == 0 else SEED_LINE for n in range(1, 301)) + b"\n")
    one = run(path, "--jobs", "1")[1]["files"][0]
    split, boundaries = [], fastpath._boundaries
    monkeypatch.setattr(fastpath, "_boundaries", lambda p, jobs: split.append(jobs) or boundaries(p, jobs))
    assert triples(run(path)[1]["files"][0]) == triples(one) and split == []  # a small file: one process
    monkeypatch.setattr(fastpath, "AUTO_JOBS_FROM", 1)
    assert triples(run(path)[1]["files"][0]) == triples(one)
    cpus = len(os.sched_getaffinity(0))
    assert split == ([cpus] if cpus > 1 else []) and (50, "AB2D-EOB-13", "error") in triples(one)


def test_findings_of_a_big_file_are_counted_past_the_listing_cap(tmp_path: Path, monkeypatch):
    import payercert.validators.fastpath as fastpath

    monkeypatch.setattr(fastpath, "MAX_LISTED", 5)
    path = tmp_path / "export.ndjson"
    path.write_bytes((SEED_LINE + b"\n") * 40)
    code, out = run(path, "--jobs", "2")
    report = out["files"][0]
    assert code == 0 and len(report["findings"]) == 5
    assert report["omitted_findings"] == [{"requirement": "AB2D-DEV-1", "severity": "warning", "count": 35}]
    assert out["summary"]["warnings"] == 40


def test_rules_are_remembered_per_rule_and_counts_stay_exact_when_lines_differ(tmp_path: Path, monkeypatch):
    """Real exports vary their diagnoses from line to line: each rule is remembered on the members it
    reads alone, and past the listing cap the counts stay exact while what counts them is flushed."""
    import payercert.validators.fastpath as fastpath

    monkeypatch.setattr(fastpath, "MAX_LISTED", 3)
    monkeypatch.setattr(fastpath, "COUNTED_LIMIT", 3)
    drg = json.loads((VALID / "eob-stu3-drg-diagnosis.ndjson").read_text(encoding="utf-8"))
    lines = []
    for n in range(30):  # a DRG diagnosis (no sequence: AB2D-DEV-2) whose code differs on every line,
        drg["diagnosis"][-1]["packageCode"]["coding"][0]["code"] = f"{n:03d}"
        lines.append(json.dumps(drg, separators=(",", ":")).encode())
        lines.append(SEED_LINE)  # between the same line again and again
    path = tmp_path / "export.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out = run(path, "--jobs", "1")
    report = out["files"][0]
    counts = {(o["requirement"], o["severity"]): o["count"] for o in report["omitted_findings"]}
    fk = fast_kind("ab2d", "eob-stu3", _readings())
    expected = Counter(f.requirement for line in lines for f in check_line(fk, line, 1, CTX).findings)
    assert code == 0 and expected["AB2D-DEV-2"] >= 30 and set(expected) == {r for r, _ in counts}
    for requirement, total in expected.items():  # 3 listed, the rest counted
        assert sum(f["requirement"] == requirement for f in report["findings"]) == 3
        assert counts[requirement, "warning"] == total - 3
    assert out["summary"]["warnings"] == sum(expected.values())


def _readings():
    from payercert.feeds import load_feed

    return tuple(sorted(load_feed("ab2d").default_readings().items()))


def test_v3_record_without_v3_only_members_is_detected_by_its_id(tmp_path: Path):
    data = json.loads((VALID / "eob-r4-v3.ndjson").read_text(encoding="utf-8"))
    for member in ("use", "outcome", "insurance", "contained"):
        data.pop(member, None)
    path = tmp_path / "v3.ndjson"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    code, out = run(path)
    assert out["files"][0]["kind"] == "eob-r4-v3" and code == 0


@pytest.mark.parametrize("kind,sample", [("eob-stu3", "eob-stu3-seed"), ("eob-r4", "eob-r4")])
def test_a_choice_given_twice_is_found_on_the_fast_path(kind: str, sample: str):
    """servicedDate and servicedPeriod together (the raw scanner's exclusive pair for `item`)."""
    fk = fast_kind("ab2d", kind, tuple(sorted({"AB2D-R-TRANSACTION-TIME": "ab2d"}.items())))
    data = json.loads((VALID / f"{sample}.ndjson").read_text(encoding="utf-8"))
    item = data["item"][0]
    item["servicedDate"], item["servicedPeriod"] = "2021-03-01", {"start": "2021-03-01", "end": "2021-03-01"}
    line = json.dumps(data, separators=(",", ":")).encode()
    fast, slow = check_line(fk, line, 1, CTX), _slow(fk, line, 1, CTX, False)
    key = lambda f: (f.requirement, f.severity.value)  # noqa: E731
    assert sorted(map(key, fast.findings)) == sorted(map(key, slow.findings))
    assert any(f.severity.value == "error" for f in fast.findings)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_large_file_tells_its_progress_without_changing_its_findings(tmp_path: Path, jobs: int):
    """The progress a terminal draws counts every byte once, across processes, and the findings are
    the same with or without a watcher."""
    from payercert.validators.engine import validate_file
    from payercert.validators.recognise import Options

    sample = (ROOT / "specs" / "ab2d" / "samples" / "invalid" / "eob-stu3-missing-patient.ndjson").read_bytes()
    path = tmp_path / "big.ndjson"
    path.write_bytes(sample * (3_000_000 // len(sample) + 1))  # several blocks of a megabyte
    told: list[tuple[int, int]] = []
    watched = validate_file(path, Options(jobs=jobs, progress=lambda done, total: told.append((done, total))))
    plain = validate_file(path, Options(jobs=jobs))
    size = path.stat().st_size
    assert told and told[-1] == (size, size)
    assert [done for done, _ in told] == sorted(done for done, _ in told)  # never backwards
    assert [(f.requirement, f.location.line) for f in watched.findings] == [
        (f.requirement, f.location.line) for f in plain.findings
    ]
