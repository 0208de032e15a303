"""Feeds of the local target certified side by side, one process each, give what one process gives:
one certificate with every feed in the order asked, one Allure results folder with one environment,
one history line, one stream of events (payercert/side_by_side.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from payercert import events
from payercert.side_by_side import JoinedEvents


def test_the_parts_events_read_as_one_run_s():
    told: list[dict] = []
    joined = JoinedEvents(["a", "b"], told.append)
    joined.take("a", {"event": "collected", "total": 2, "tests": [{"nodeid": "a1"}, {"nodeid": "a2"}]})
    joined.take("a", {"event": "outcome", "nodeid": "a1", "status": "passed"})
    joined.take("a", {"event": "done", "nodeid": "a1", "done": 1})
    assert told == []  # nothing is told before every part has said what it will run
    joined.take("b", {"event": "collected", "total": 1, "tests": [{"nodeid": "b1"}]})
    joined.take("b", {"event": "done", "nodeid": "b1", "done": 1})
    joined.take("b", {"event": "finished", "exitstatus": 0})
    joined.take("a", {"event": "done", "nodeid": "a2", "done": 2})
    joined.finish(1)
    assert told[0] == {
        "event": "collected",
        "total": 3,
        "tests": [{"nodeid": "a1"}, {"nodeid": "a2"}, {"nodeid": "b1"}],
    }
    assert [e for e in told if e["event"] == "outcome"] == [{"event": "outcome", "nodeid": "a1", "status": "passed"}]
    assert [(e["nodeid"], e["done"]) for e in told if e["event"] == "done"] == [("a1", 1), ("b1", 2), ("a2", 3)]
    assert [e for e in told if e["event"] == "finished"] == [{"event": "finished", "exitstatus": 1}]


def test_two_feeds_side_by_side_make_one_run(tmp_path: Path):
    reports, watched = tmp_path / "reports", tmp_path / "events.jsonl"
    env = {**os.environ, "PAYERCERT_EXAMPLES": "3"}
    args = ["--feed", "webbbs", "--feed", "ltss", "--target", "local", "--reports", str(reports), "--no-html"]
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "certify", *args, "--events", str(watched)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    certificate = json.loads((reports / "certificate.json").read_text())
    assert [f["feed"] for f in certificate["feeds"]] == ["webbbs", "ltss"]
    assert certificate["overall"]["verdict"] == "CERTIFIED" and certificate["seed"] == 0
    runs = (reports / "history" / "runs.jsonl").read_text().splitlines()
    assert len(runs) == 1 and "webbbs" in runs[0] and "ltss" in runs[0]
    assert set(json.loads((reports / "history" / "last-green.json").read_text())) == {"webbbs", "ltss"}
    results = reports / "allure-results"
    environment = (results / "environment.properties").read_text()
    assert "feed.webbbs.environment=simulator" in environment and "feed.ltss.environment=simulator" in environment
    assert environment.count("payercert.seed=") == 1
    labels = {
        label["value"]
        for result in results.glob("*-result.json")
        for label in json.loads(result.read_text())["labels"]
        if label["name"] == "parentSuite"
    }
    assert len(labels) == 2, labels  # both feeds' results, in one folder
    assert not (reports / "parts").exists()
    told, _ = events.read(watched)
    collected = [e for e in told if e["event"] == "collected"]
    assert len(collected) == 1 and {t["feed"] for t in collected[0]["tests"]} == {"webbbs", "ltss"}
    assert [e["done"] for e in told if e["event"] == "done"] == list(range(1, collected[0]["total"] + 1))
    assert [e for e in told if e["event"] == "finished"] == [{"event": "finished", "exitstatus": 0}]
