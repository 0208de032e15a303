"""The one runner of the bundled feeds' sample files against the findings they are known to give.

Every spec bundle keeps samples in `specs/<feed>/samples/valid/` and `invalid/`; a sample may have a
`<name>.expected.json`: {"options": {...}, "findings": [...], "exit": N} (a bare list is the findings).

- options: `kind`, `readings` {ID: OPTION}, `as_of`, `data` (true: the bundle's `samples/data.yaml`),
  `all_errors`, `payload_type` (the X12 kind option). The feed is always the bundle's.
- a finding pins what it names, any of: `line`, `column`, `requirement`, `severity`, `code`,
  `pointer` (or `location`). Every expected finding must match a reported one on each key it gives,
  one for one, and no reported finding may be left over. A sample without an expected file gives none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from payercert.cli import app

ROOT = Path(__file__).resolve().parents[1]
SIDE_FILES = (".expected.json", ".request.json")
KEYS = ("line", "column", "requirement", "severity", "code", "pointer")


def samples(feed_id: str, folder: str, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    """The sample files of a bundle's folder (not their expected or request companions)."""
    return sorted(
        p
        for p in (ROOT / "specs" / feed_id / "samples" / folder).iterdir()
        if p.is_file()
        and not p.name.endswith(SIDE_FILES)
        and (suffixes is None or p.name.endswith(suffixes))
        and p.suffix not in (".md", ".yaml")
    )


def expected_path(sample: Path) -> Path:
    stem = sample.name.removesuffix(".gz").rsplit(".", 1)[0]
    return sample.with_name(stem + ".expected.json")


def expectation(sample: Path) -> dict[str, Any]:
    """The sample's expected file, read into {"options", "findings", "exit"}."""
    path = expected_path(sample)
    raw: Any = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if isinstance(raw, list):
        raw = {"findings": raw}
    return {"options": raw.get("options", {}), "findings": raw.get("findings", []), "exit": raw.get("exit")}


def run(sample: Path, feed_id: str, options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """`payercert validate --format json --feed FEED` on one sample, with the expected file's options
    (and `options`, which win): the exit code and the file's report."""
    opts = {**expectation(sample)["options"], **(options or {})}
    args = ["validate", "--format", "json", "--feed", feed_id]
    if opts.get("kind"):
        args += ["--kind", opts["kind"]]
    for rid, option in (opts.get("readings") or {}).items():
        args += ["--reading", f"{rid}={option}"]
    if opts.get("as_of"):
        args += ["--as-of", opts["as_of"]]
    if opts.get("data"):
        args += ["--data", str(ROOT / "specs" / feed_id / "samples" / "data.yaml")]
    if opts.get("all_errors"):
        args.append("--all-errors")
    if opts.get("payload_type"):
        args += ["--kind-option", f"payload_type={opts['payload_type']}"]
    result = CliRunner().invoke(app, [*args, str(sample)])
    try:
        return result.exit_code, json.loads(result.stdout)["files"][0]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(f"no JSON report (exit {result.exit_code}): {result.output[-2000:]}") from None


def check(sample: Path, feed_id: str, options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    """Run a sample and assert it gives exactly its expected findings (and exit code, where given)."""
    expected = expectation(sample)
    code, report = run(sample, feed_id, options)
    assert report.get("unusable") is None, report["unusable"]
    assert_findings(report["findings"], expected["findings"])
    if expected["exit"] is not None:
        assert code == expected["exit"]
    return code, report


def assert_findings(reported: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    got = [_flat(f) for f in reported]
    missing = []
    for want in sorted(expected, key=lambda w: -len(w)):  # the most specific first
        pinned = {_key(k): v for k, v in want.items() if _key(k) in KEYS}
        at = next((i for i, g in enumerate(got) if all(g.get(k) == v for k, v in pinned.items())), None)
        if at is None:
            missing.append(pinned)
        else:
            got.pop(at)
    assert not missing and not got, f"expected but not reported: {missing}; reported but not expected: {got}"


def _key(name: str) -> str:
    return "pointer" if name == "location" else name


def _flat(finding: dict[str, Any]) -> dict[str, Any]:
    location = finding.get("location") or {}
    return {
        "line": location.get("line"),
        "column": location.get("column"),
        "pointer": location.get("pointer"),
        "requirement": finding["requirement"],
        "severity": finding["severity"],
        "code": finding["code"],
    }
