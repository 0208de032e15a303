"""A run's progress as it happens, for whoever watches it (`payercert ui`, the terminal's progress
bar, a CI dashboard): what was collected, each test's outcome when it is known, the end.

`certify --events FILE` writes them as JSON lines, one event a line, flushed as written, so a
reader can follow the file while the run goes on. Every text is redacted as the reports are.

Events:
- `{"event": "collected", "total": N, "tests": [{"nodeid", "title", "feed", "requirements", "group"}]}`
- `{"event": "group", "feed", "group"}`: the run moved to another requirement group
- `{"event": "outcome", "nodeid", "title", "feed", "requirements", "status", "message", "group"}`
  (a test can give more than one: its own and the rules a failure was named by)
- `{"event": "done", "nodeid", "done": N}`: a test is over, N of the total
- `{"event": "finished", "exitstatus": N}`

A test's group is the document section of its first requirement; groups come in the order the
feed's catalogue lists its requirements (the document's order).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from .feeds import load_feed
from .redact import REDACTOR

UNGROUPED = "other checks"


def group_of(feed_id: str | None, requirements: tuple[str, ...] | list[str]) -> str:
    """The document section of a test's first requirement of its feed."""
    if feed_id is None:
        return UNGROUPED
    catalogue = load_feed(feed_id).requirements
    first = next((catalogue[r] for r in requirements if r in catalogue), None)
    return first.section if first is not None else UNGROUPED


def group_order(feed_id: str) -> list[str]:
    """A feed's requirement groups in the order its catalogue lists them."""
    seen: dict[str, None] = {}
    for requirement in load_feed(feed_id).requirements.values():
        seen.setdefault(requirement.section, None)
    return [*seen, UNGROUPED]


class RunEvents:
    """A pytest plugin that tells a run's progress to `emit` (an event a call)."""

    name = "payercert-events"

    def __init__(
        self,
        emit: Callable[[dict[str, Any]], None],
        outcomes: Callable[[], list],
        feed_of: Callable[[pytest.Item], str | None],
        title: Callable[[pytest.Item], str],
    ):
        self.emit = emit
        self.outcomes = outcomes  # the run's outcomes so far (payercert.plugin's Run.outcomes)
        self.feed_of, self.title = feed_of, title  # as the plugin reads them
        self.told = 0
        self.done = 0
        self.group: tuple[str | None, str] | None = None
        self.groups: dict[str, tuple[str | None, str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        tests = []
        for item in session.items:
            feed_id = self.feed_of(item)
            requirements = [rid for mark in item.iter_markers("requirement") for rid in mark.args]
            group = group_of(feed_id, requirements)
            self.groups[item.nodeid] = (feed_id, group)
            tests.append(
                {
                    "nodeid": REDACTOR.text(item.nodeid),
                    "title": REDACTOR.text(self.title(item)),
                    "feed": feed_id,
                    "requirements": requirements,
                    "group": group,
                }
            )
        self.emit({"event": "collected", "total": len(tests), "tests": tests})

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        group = self.groups.get(nodeid)
        if group is not None and group != self.group:
            self.group = group
            self.emit({"event": "group", "feed": group[0], "group": group[1]})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._tell_outcomes()
        if report.when == "teardown":
            self.done += 1
            self.emit({"event": "done", "nodeid": REDACTOR.text(report.nodeid), "done": self.done})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._tell_outcomes()  # those recorded after the last test
        self.emit({"event": "finished", "exitstatus": int(exitstatus)})

    def _tell_outcomes(self) -> None:
        outcomes = self.outcomes()
        for outcome in outcomes[self.told :]:
            self.emit(
                {
                    "event": "outcome",
                    "nodeid": REDACTOR.text(outcome.nodeid),
                    "title": REDACTOR.text(outcome.title),
                    "feed": outcome.feed,
                    "requirements": list(outcome.requirements),
                    "status": outcome.status,
                    "message": REDACTOR.text(outcome.message),
                    "group": group_of(outcome.feed, outcome.requirements),
                }
            )
        self.told = len(outcomes)


def fan_out(watchers: list[Callable[[dict[str, Any]], None]]) -> Callable[[dict[str, Any]], None]:
    def emit(event: dict[str, Any]) -> None:
        for watcher in watchers:
            watcher(event)

    return emit


def to_file(path: Path) -> tuple[Callable[[dict[str, Any]], None], IO[str]]:
    """An `emit` that appends each event to `path` as a JSON line, flushed at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")

    def emit(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        stream.flush()

    return emit, stream


def read(path: Path, start: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The whole events written to `path` from byte `start` on, and where the next read starts (a
    line still being written is left for the next read)."""
    if not path.is_file():
        return [], start
    with path.open("rb") as stream:
        stream.seek(start)
        data = stream.read()
    complete = data[: data.rfind(b"\n") + 1]
    events = [json.loads(line) for line in complete.splitlines() if line.strip()]
    return events, start + len(complete)
