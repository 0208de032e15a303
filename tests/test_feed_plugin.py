"""A feed is a plugin: a package of its own, found through the `payercert.feeds` entry point, is
listed, certified (conforming and faulty) and validated with no edit to payercert; the core names no
feed. The example package is tests/fixtures/example-feed (what docs/adding-a-feed.md builds)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from payercert.feeds import discover

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "tests" / "fixtures" / "example-feed"
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example feed package installed (into a folder of its own on PYTHONPATH, beside payercert)."""
    target = tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target"]
    subprocess.run([*pip, str(target), str(EXAMPLE)], check=True, capture_output=True, timeout=240)
    return {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "200"}


def run(env, *args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "payercert", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=240
    )


def test_listed_with_its_origin(installed, tmp_path):
    done = run(installed, "feeds", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("│ echo "))
    assert "The Echo API, 1.0" in row and "--loud" in row and "payercert-echo-feed" in row, row
    assert all(f"│ {feed_id} " in done.stdout for feed_id in discover())  # the bundled feeds still there


def test_certified_against_its_simulator(installed, tmp_path):
    done = run(installed, "certify", "--feed", "echo", "--no-html", "--reports", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    feed = json.loads((tmp_path / "r" / "certificate.json").read_text())["feeds"][0]
    assert (feed["feed"], feed["verdict"], feed["document"]["title"]) == ("echo", "CERTIFIED", "The Echo API")


def test_its_fault_profile_is_caught(installed, tmp_path):
    args = ("certify", "--feed", "echo", "--fault", "shout", "--no-html", "--reports", str(tmp_path / "r"))
    done = run(installed, *args, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    feed = json.loads((tmp_path / "r" / "certificate.json").read_text())["feeds"][0]
    assert [r["id"] for r in feed["requirements"] if r["status"] == "failed"] == ["ECHO-1"]


def test_its_files_validated(installed, tmp_path):
    (tmp_path / "good.json").write_text('{"greeting": "hello"}')
    (tmp_path / "bad.json").write_text('{"greeting": ""}')
    done = run(installed, "validate", "good.json", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["files"][0]["kind"] == "greeting"
    done = run(installed, "validate", "bad.json", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert [f["requirement"] for f in json.loads(done.stdout)["files"][0]["findings"]] == ["ECHO-2"]


# The core: the CLI, certify, plugin, session and reporting, the validator engine and its generic
# readers and checkers (validators/*.py; a feed's own validators would live in validators/<feed>/),
# and the schema every feed.yaml is checked against.
CORE = [ROOT / "payercert" / name for name in os.listdir(ROOT / "payercert") if name.endswith(".py")]
CORE += list((ROOT / "payercert" / "reporting").glob("*.py"))
CORE += list((ROOT / "validators").glob("*.py")) + [ROOT / "specs" / "feed.schema.json"]


def test_the_core_names_no_feed():
    """No feed id and no feed's requirement id in the CLI, certify, plugin, session, reporting..."""
    ids = discover()
    prefixes = sorted({req.split("-")[0] for f in ids for req in _requirement_ids(f)})
    pattern = re.compile(rf"\b({'|'.join(ids)})\b|\b({'|'.join(prefixes)})-[A-Z0-9]", re.IGNORECASE)
    named = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in CORE
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not named, "the core names a feed:\n" + "\n".join(named)


def _requirement_ids(feed_id):
    from payercert.feeds import load_feed

    return load_feed(feed_id).requirements
