"""A run's events (`certify --events FILE`) tell a watcher what the certificate will say, while the
run goes on: every collected test is done once, a failure arrives named by its requirement, and the
groups come in the document's order. The runs history gets the run's verdicts."""

from __future__ import annotations

import json

from certify_runs import certify

from payercert import events
from payercert.history import read_runs
from payercert.ui.live import RunState


def test_the_events_of_a_failing_run_tell_what_the_certificate_says(tmp_path):
    path = tmp_path / "events.jsonl"
    history = tmp_path / "history"
    result = certify(
        tmp_path / "reports",
        *("--feed", "ltss", "--target", "local", "--fault", "drop-tid-header"),
        *("--requirement", "LTSS-UP-4", "--requirement", "LTSS-UP-3", "--events", str(path), "--history", str(history)),
    )
    assert result.code == 1, result.stderr
    told, offset = events.read(path)
    assert offset == path.stat().st_size
    kinds = [e["event"] for e in told]
    assert kinds[0] == "collected" and kinds[-1] == "finished"
    collected = told[0]
    assert [e["done"] for e in told if e["event"] == "done"] == list(range(1, collected["total"] + 1))

    state = RunState()
    for event in told:
        state.apply(event)
    assert state.finished and state.done == state.total == collected["total"]
    failed = {rid for t in state.failures() for rid in t.named}
    assert failed == result.failed_requirements("ltss") == {"LTSS-UP-4"}
    assert all(t.status != "pending" for t in state.tests.values())
    order = events.group_order("ltss")
    shown = [g.name for g in state.groups()]
    assert shown == sorted(shown, key=order.index)  # the document's order

    (entry,) = read_runs(history)
    assert entry["target"] == "local" and entry["fault"] == "drop-tid-header"
    assert [(f["feed"], f["verdict"]) for f in entry["feeds"]] == [("ltss", result.feed("ltss")["verdict"])]
    assert "drop-tid-header" in json.dumps(entry) and "token" not in json.dumps(entry).lower()


def test_a_line_still_being_written_waits_for_the_next_read(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"event": "collected", "total": 0, "tests": []}\n{"event": "fin')
    told, offset = events.read(path)
    assert [e["event"] for e in told] == ["collected"]
    with path.open("a") as stream:
        stream.write('ished", "exitstatus": 0}\n')
    more, _ = events.read(path, offset)
    assert more == [{"event": "finished", "exitstatus": 0}]
