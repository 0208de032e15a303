"""The corpus of real, public sample files (tests/corpus/, described by tests/corpus/MANIFEST.toml).

Each file's expected verdict was decided from what is in the file and the feed's spec, never from
what payercert says. Every file is validated twice: without --feed (detection) and with --feed (its
feed, or for a file of no known kind the feed a user might name, `with_feed`). Every verdict is
asserted: a file payercert reads wrongly is a bug in its reading, never an expectation to adjust.

All files of one mode go through one in-process `payercert validate` call (per feed with --feed),
so the whole corpus takes a few seconds.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from payercert.cli import app

CORPUS = Path(__file__).resolve().parent / "corpus"
MANIFEST = CORPUS / "MANIFEST.toml"
NOT_SAMPLES = {"MANIFEST.toml", "README.md", ".gitattributes"}
AS_OF = "2026-12-01"
VERDICTS = {"valid", "invalid", "unusable"}
MAX_BYTES = 3_000_000

ENTRIES: list[dict] = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["file"]


def _feed_to_name(entry: dict) -> str:
    """The feed given with --feed: the file's own, or for a file of no kind the one a user might name."""
    return entry["feed"] or entry.get("with_feed", "")


def _validate(paths: list[str], feed: str | None = None) -> dict[str, dict]:
    args = ["validate", "--format", "json", "--as-of", AS_OF]
    if feed:
        args += ["--feed", feed]
    result = CliRunner().invoke(app, [*args, *(str(CORPUS / p) for p in paths)])
    assert "Traceback" not in result.output, result.output[-3000:]
    try:
        files = json.loads(result.stdout)["files"]
    except (ValueError, KeyError):
        pytest.fail(f"payercert validate gave no JSON report (exit {result.exit_code}): {result.output[-2000:]}")
    return {Path(r["path"]).resolve().relative_to(CORPUS).as_posix(): r for r in files}


@pytest.fixture(scope="module")
def without_feed() -> dict[str, dict]:
    return _validate([e["path"] for e in ENTRIES])


@pytest.fixture(scope="module")
def with_feed() -> dict[str, dict]:
    by_feed: dict[str, list[str]] = defaultdict(list)
    for entry in ENTRIES:
        if _feed_to_name(entry):
            by_feed[_feed_to_name(entry)].append(entry["path"])
    reports: dict[str, dict] = {}
    for feed, paths in sorted(by_feed.items()):
        reports.update(_validate(paths, feed))
    return reports


def _params(mode: str) -> list:
    params = []
    for entry in ENTRIES:
        if mode == "with-feed" and not _feed_to_name(entry):
            continue
        params.append(pytest.param(entry, id=entry["path"]))
    return params


def _summary(report: dict) -> str:
    counts: dict[str, int] = defaultdict(int)
    for f in report["findings"]:
        counts[f"{f['requirement']} ({f['severity']})"] += 1
    shown = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "no findings"
    return f"{report['feed']}/{report['kind']}: {shown}; unusable={report.get('unusable')!r}"


def _check(entry: dict, report: dict) -> None:
    verdict = entry["verdict"]
    if verdict == "unusable":
        assert report.get("unusable"), f"expected unusable, payercert read it as {_summary(report)}"
        says = entry.get("unusable_says")
        if says:
            assert says in report["unusable"], f"the reason should say {says!r}: {report['unusable']!r}"
        return
    assert not report.get("unusable"), f"expected {entry['feed']}/{entry['kind']}, payercert: {report['unusable']!r}"
    assert (report["feed"], report["kind"]) == (entry["feed"], entry["kind"]), _summary(report)
    errors = {f["requirement"] for f in report["findings"] if f["severity"] == "error"}
    if verdict == "valid":
        assert not errors, f"expected no error, payercert: {_summary(report)}"
    else:
        assert errors, f"expected errors naming {entry['requirements']}, payercert: {_summary(report)}"
        missing = sorted(set(entry["requirements"]) - errors)
        assert not missing, f"missing {missing}; payercert: {_summary(report)}"


@pytest.mark.parametrize("entry", _params("without-feed"))
def test_verdict_without_feed(entry: dict, without_feed: dict[str, dict]) -> None:
    _check(entry, without_feed[entry["path"]])


@pytest.mark.parametrize("entry", _params("with-feed"))
def test_verdict_with_feed(entry: dict, with_feed: dict[str, dict]) -> None:
    _check(entry, with_feed[entry["path"]])


# --- the manifest itself ------------------------------------------------------------------------


def test_every_file_has_exactly_one_entry() -> None:
    paths = [e["path"] for e in ENTRIES]
    assert len(paths) == len(set(paths)), "a path is listed twice"
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()} - NOT_SAMPLES
    assert not sorted(set(paths) - on_disk), "listed but missing"
    assert not sorted(on_disk - set(paths)), "in tests/corpus but not in MANIFEST.toml"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["path"] for e in ENTRIES])
def test_entry_is_complete(entry: dict) -> None:
    for key in ("path", "source", "licence", "contents", "reason", "feed", "kind", "verdict"):
        assert isinstance(entry.get(key), str), f"{key} missing"
    for key in ("source", "licence", "contents", "reason"):
        assert entry[key].strip(), f"{key} is empty"
    assert entry["source"].startswith("https://")
    if entry["source"].startswith("https://github.com/"):
        assert re.search(r"/blob/[0-9a-f]{40}/", entry["source"]), "a GitHub source is pinned to a commit"
    if entry["licence"] != "none stated":
        assert entry.get("licence_url", "").startswith("https://"), "licence_url missing"
    assert entry["verdict"] in VERDICTS
    requirements = entry.get("requirements")
    assert isinstance(requirements, list)
    if entry["verdict"] == "invalid":
        assert requirements, "an invalid file names the requirements it breaks"
    else:
        assert not requirements
    if entry["verdict"] == "unusable":
        assert not entry["kind"]
    else:
        assert entry["feed"] and entry["kind"] and "with_feed" not in entry


def test_corpus_stays_small() -> None:
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert total < MAX_BYTES, f"the corpus is {total} bytes"
