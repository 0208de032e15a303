"""AB2D EOB NDJSON validation speed, all measured in one run on the same generated STU3 file.

    pip install -e '.[bench]'; python bench/ab2d.py [LINES]   (default 20000 lines of about 5 KB: 100 MB)

Prints lines/s, MB/s and the ratio to orjson parse-only (every line parsed in this process, the
lines already in memory) for: `payercert validate` as a whole process (CLI, --format json) with
--jobs 1, --jobs 2 and its default (a process per CPU for a file of 64 MB or more); the jsonschema
path (validators/schemas.py, on a subset, extrapolated); fhir.resources' STU3 ExplanationOfBenefit
model (on a subset). Each rate is the best of three runs: other work on the machine only slows a run.
It also prints the line checker's own rate in this process (validators/_linecheck.c: the first tier),
the share of lines it passes, and the start-up time (the whole process on a one-line file).

Lines are the seed's and the samples' EOBs with their ids, patients, billing periods and service
dates (four years of claims), quantities and diagnosis codes varied, so that no two lines are equal
and no memo of whole records or repeated values flatters the rules; and every
other diagnosis display quoted as AB2D writes its ICD displays (`"\"OBESITY, UNSPECIFIED\""` in
CMSgov/ab2d-website's sample-data-r4.ndjson), so that lines hold escapes as real exports do.

The last measurement, and where the time goes, are in README.md ("Validator speed").
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from chart import draw, mark

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "specs" / "ab2d" / "samples" / "valid"


def generate(path: Path, lines: int, start: int = 0) -> None:
    """`lines` EOBs, the `start`-th on: files made with other starts share no line."""
    bases = [
        json.loads((SAMPLES / f"{n}.ndjson").read_text(encoding="utf-8"))
        for n in ("eob-stu3-seed", "eob-stu3-drg-diagnosis")
    ]
    with path.open("w", encoding="utf-8") as out:
        for n in range(start, start + lines):
            eob = copy.deepcopy(bases[n % 2])
            eob["id"] = f"carrier-{10384232074 + n}"
            eob["identifier"][0]["value"] = str(10384232074 + n)
            eob["patient"] = {"reference": f"Patient/-{19990000000000 + (n * 7919) % 10**9}"}  # a patient per claim
            begin = date(2020, 1, 1) + timedelta(days=(n * 37) % 1400)  # four years of claims, each a span
            finish = begin + timedelta(days=n % 31)
            eob["billablePeriod"] = {"start": begin.isoformat(), "end": finish.isoformat()}
            for diagnosis in eob.get("diagnosis", ())[::2]:  # as AB2D writes ICD displays: quoted, so escaped
                for coding in diagnosis.get("diagnosisCodeableConcept", {}).get("coding", ()):
                    if "display" in coding:
                        coding["display"] = f'"{coding["display"]}"'
            for k, diagnosis in enumerate(eob.get("diagnosis", ())):  # claims differ in their diagnoses
                for concept in ("diagnosisCodeableConcept", "packageCode"):
                    for coding in diagnosis.get(concept, {}).get("coding", ()):
                        coding["code"] = f"{coding['code'][:3]}{(n * 7 + k) % 9973}"
            items = eob["item"]
            while len(json.dumps(eob)) < 4800:  # about 5 KB, as real AB2D lines
                item = copy.deepcopy(items[0])
                item["sequence"] = len(items) + 1
                item.pop("servicedDate", None)
                served = (begin + timedelta(days=(n + len(items)) % 31)).isoformat()
                item["servicedPeriod"] = {"start": served, "end": served}
                items.append(item)
            for k, item in enumerate(items):  # the amounts differ from line to line and item to item
                item["quantity"] = {"value": 1 + (n * 13 + k * 7) % 97}
            out.write(json.dumps(eob, separators=(",", ":")) + "\n")


REPEAT = 3  # each rate is the best of three rounds: other work on the machine only slows a run


def line_checker(raw: list[bytes]) -> tuple[float, float]:
    """(share of lines the line checker passes, its best time over them in this process)."""
    from payercert.feeds import load_feed
    from payercert.validators.fastpath import fast_kind, program_check

    fk = fast_kind("ab2d", "eob-stu3", tuple(sorted(load_feed("ab2d").default_readings().items())))
    if fk.program is None:
        return 0.0, float("inf")
    passed = sum(bool(program_check(fk.program, line)) for line in raw[:1000]) / min(len(raw), 1000)
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        for line in raw:
            program_check(fk.program, line, fk.rule_keys)
        best = min(best, time.perf_counter() - t)
    return passed, best


def start_up(folder: Path, line: bytes) -> float:
    """The whole process on a one-line file: what every run pays before its first line."""
    one = folder / "one.ndjson"
    one.write_bytes(line + b"\n")
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "payercert", "validate", "--format", "json", str(one)],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        best = min(best, time.perf_counter() - t)
    return best


# the ratios to orjson parse-only that the whole process is to reach
TARGETS = {"payercert validate (CLI, --jobs 1)": 1.0, "payercert validate (CLI, default: a process per CPU)": 1.8}


def rate(name: str, lines: int, size: int, seconds: float, base: float | None) -> float:
    per_s = lines / seconds
    ratio = f"{per_s / base:6.2f}x" if base else "  1.00x"
    target = mark(per_s / base, TARGETS.get(name), "x", at_least=True) if base else ""
    print(f"{name:<52} {per_s:>10,.0f} lines/s {size / seconds / 1e6:8.1f} MB/s  {ratio} orjson  {target}")
    return per_s


def main(lines: int) -> None:
    import orjson

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Z0000_0001.ndjson"
        generate(path, lines)
        size = path.stat().st_size
        print(f"{lines} lines, {size / 1e6:.1f} MB, {size / lines / 1e3:.1f} KB/line")
        raw = path.read_bytes().splitlines()
        runs = {"1": "--jobs 1", "2": "--jobs 2", "0": "default: a process per CPU"}
        best = {name: float("inf") for name in ["orjson", *runs]}
        for _ in range(REPEAT):  # rounds of every measurement, so that a slow spell hits them alike
            t = time.perf_counter()
            for line in raw:
                orjson.loads(line)
            best["orjson"] = min(best["orjson"], time.perf_counter() - t)
            for jobs in runs:
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "payercert", "validate", "--format", "json", "--jobs", jobs, str(path)],
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                best[jobs] = min(best[jobs], time.perf_counter() - t)
        drawn: dict[str, float] = {}
        base = drawn["orjson parse-only"] = rate("orjson parse-only", lines, size, best["orjson"], None)
        for jobs, label in runs.items():
            drawn[f"validate, {label}"] = rate(f"payercert validate (CLI, {label})", lines, size, best[jobs], base)
        passed, seconds = line_checker(raw)
        drawn["the line checker alone"] = rate("the line checker alone (in process)", lines, size, seconds, base)
        draw(f"ab2d-{lines}", f"AB2D EOB NDJSON, {lines:,} lines", "lines/s", drawn, "orjson parse-only")
        print(f"lines the line checker passes (the fastest tier): {passed:.0%}")
        print(f"start-up (the whole process on a one-line file): {start_up(Path(tmp), raw[0]):.2f} s")
        subset = raw[:1000]
        sub_size = sum(len(x) + 1 for x in subset)
        from payercert.validators.schemas import compiled_schema

        schema = compiled_schema(ROOT / "specs" / "ab2d" / "schemas" / "eob-stu3.json")
        t = time.perf_counter()
        for line in subset:
            list(schema.errors(json.loads(line)))
        rate("jsonschema (1000 lines, extrapolated)", len(subset), sub_size, time.perf_counter() - t, base)
        try:
            from fhir.resources.STU3.explanationofbenefit import ExplanationOfBenefit
        except ImportError:
            print("fhir.resources: not installed (pip install -e '.[bench]')")
            return
        t = time.perf_counter()
        for line in subset:
            try:  # it refuses AB2D's precedence 0 (base STU3 positiveInt): parsing is what is timed
                ExplanationOfBenefit.model_validate_json(line)
            except Exception:
                pass
        rate("fhir.resources STU3 (1000 lines)", len(subset), sub_size, time.perf_counter() - t, base)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="AB2D EOB NDJSON validation speed against orjson parse-only.")
    parser.add_argument(
        "lines", nargs="?", type=int, default=20000, help="lines in the generated file (default 20000: 100 MB)"
    )
    main(parser.parse_args().lines)
