"""A run's state as its events tell it (payercert/events.py): counts, the requirement groups in the
document's order with each test's state, the failures so far. The run page renders it; the live
stream re-renders it as events arrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..events import UNGROUPED, group_order

# what a test that gave several outcomes shows: its worst
RANK = {"failed": 5, "broken": 4, "inconclusive": 3, "waived": 2, "skipped": 1, "passed": 0}


@dataclass
class TestState:
    nodeid: str
    title: str
    feed: str | None
    requirements: list[str]
    group: str
    status: str = "pending"  # pending | passed | failed | broken | skipped | waived
    message: str = ""
    named: list[str] = field(default_factory=list)  # the requirements a failure was named by


@dataclass
class GroupState:
    feed: str | None
    name: str
    tests: list[TestState] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for t in self.tests if t.status == status)

    @property
    def status(self) -> str:
        if any(t.status in ("failed", "broken") for t in self.tests):
            return "failed"
        if any(t.status == "pending" for t in self.tests):
            return "pending" if all(t.status == "pending" for t in self.tests) else "running"
        return "passed"


@dataclass
class RunState:
    total: int = 0
    done: int = 0
    tests: dict[str, TestState] = field(default_factory=dict)
    current: tuple[str | None, str] | None = None
    finished: bool = False
    exitstatus: int | None = None

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "collected":
            self.total = event["total"]
            for t in event["tests"]:
                self.tests[t["nodeid"]] = TestState(t["nodeid"], t["title"], t["feed"], t["requirements"], t["group"])
        elif kind == "group":
            self.current = (event.get("feed"), event["group"])
        elif kind == "outcome":
            self._outcome(event)
        elif kind == "done":
            self.done = event["done"]
        elif kind == "finished":
            self.finished, self.exitstatus, self.current = True, event["exitstatus"], None

    def _outcome(self, event: dict[str, Any]) -> None:
        if event["nodeid"].endswith("[not reached]"):
            return  # the requirements a failure left unverified: the failure itself says so
        test = self.tests.get(event["nodeid"])
        if test is None:  # an exchange check's finding at the session's end: a line of its own
            test = self.tests[event["nodeid"]] = TestState(
                event["nodeid"], event["title"], event["feed"], event["requirements"], event["group"]
            )
        status = event["status"]
        if test.status == "pending" or RANK.get(status, 0) >= RANK.get(test.status, 0):
            test.status, test.message = status, event["message"]
        if status in ("failed", "broken"):
            test.named = sorted(set(test.named) | set(event["requirements"]))

    def count(self, status: str) -> int:
        return sum(1 for t in self.tests.values() if t.status == status)

    def failures(self) -> list[TestState]:
        return [t for t in self.tests.values() if t.status in ("failed", "broken")]

    def groups(self) -> list[GroupState]:
        """Each feed's groups in its document's order, then anything outside a feed."""
        by_key: dict[tuple[str | None, str], GroupState] = {}
        for test in self.tests.values():
            key = (test.feed, test.group)
            by_key.setdefault(key, GroupState(test.feed, test.group)).tests.append(test)
        feeds = list(dict.fromkeys(t.feed for t in self.tests.values()))
        ordered: list[GroupState] = []
        for feed in feeds:
            order = group_order(feed) if feed else [UNGROUPED]
            mine = [g for (f, _), g in by_key.items() if f == feed]
            ordered += sorted(mine, key=lambda g: order.index(g.name) if g.name in order else len(order))
        return ordered
