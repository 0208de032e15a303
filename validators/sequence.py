"""A file of events in delivery order, read against a state machine (a kind's `sequence:`).

    sequence:
      machine: claim-states.yaml        states {name: {terminal}}, initial, transitions {from, to}, unobserved
      event_id: /id                     the de-duplication key of a delivery
      group: /data/invoiceId            entities are followed per group (events of several invoices mix)
      moves_when: {pointer: /type, equals: claiming.invoice.updated}
      entities: [/data/claimStatuses, /data/claims]
      entity_id: claimId
      state: state
      no_change: [noChange]
      requirements: {redelivery, id_reused, initial, transition, terminal}
      created: /created                 when the event was made (epoch seconds)
      redelivery_window_s: 3600         how late a redelivery can come, by the document's retry policy

Memory follows the open entities, not the file: with `created` and a window, an event id is kept
until the stream has moved a window past its `created` (a redelivery comes inside it), and an
entity that reached a terminal state is let go a window after. A change out of a terminal state
that comes later than that is reported as an entity first seen in a state that does not follow
from the initial one, since its past was let go.

An event whose id and content equal an earlier one's is a redelivery: an info finding, and it
moves nothing. The same id with other content is two events sharing an id. An entity's first
observed state must be initial, or follow from one through unobserved states only; each change
must be a transition, or a path through unobserved states; a change out of a terminal state is
reported as such (not also as an illegal transition). `$previous` as a transition's target is
the state the entity had before it entered the states that have such an edge (a refused
cancellation gives the claim the state it had before the request).
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import yaml

from payercert.feeds import Feed, Kind

from .findings import Finding, Location, Severity
from .kind_checks import tokens_of, value_at
from .locate import RecordLines
from .placing import severity_of
from .readers import Record

PREVIOUS = "$previous"


class StateMachine:
    def __init__(self, path: Path, readings: dict[str, str]):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.states = doc["states"]
        self.terminal = {s for s, d in self.states.items() if d.get("terminal")}
        initial = doc.get("initial", [])
        if isinstance(initial, dict):  # initial states per reading option
            option = readings.get(initial["reading"])
            initial = initial["options"].get(option) or next(iter(initial["options"].values()))
        self.initial = list(initial)
        self.unobserved = set(doc.get("unobserved", []))
        self.edges: dict[str, list[str]] = {}
        for t in doc["transitions"]:
            self.edges.setdefault(t["from"], []).append(t["to"])
        # states a `$previous` edge leaves: entering one from outside remembers where from
        self.returns = {state for state, tos in self.edges.items() if PREVIOUS in tos}

    def _next(self, state: str, before: str | None) -> Iterator[tuple[str, str | None]]:
        for to in self.edges.get(state, []):
            if to == PREVIOUS:
                if before is not None:
                    yield before, None
            elif to in self.returns and state not in self.returns:
                yield to, state
            else:
                yield to, before

    def reach(self, start: str, before: str | None, target: str) -> tuple[bool, str | None]:
        """Whether target follows start, directly or through unobserved states only; and the
        state to return to that the path leaves behind."""
        frontier, seen = [(start, before)], set()
        while frontier:
            state, remembered = frontier.pop()
            for to, nb in self._next(state, remembered):
                if to == target:
                    return True, nb
                if to in self.unobserved and (to, nb) not in seen:
                    seen.add((to, nb))
                    frontier.append((to, nb))
        return False, None

    def enter(self, target: str) -> tuple[bool, str | None]:
        for start in self.initial:
            ok, before = (True, None) if target == start else self.reach(start, None, target)
            if ok:
                return True, before
        return False, None


class SequenceCheck:
    def __init__(self, feed: Feed, kind: Kind, readings: dict[str, str]):
        self.feed = feed
        self.spec = kind.spec["sequence"]
        self.machine = StateMachine(kind.root / self.spec["machine"], readings)
        self.req = self.spec["requirements"]
        self.deliveries: dict[str, tuple[str, int]] = {}  # event id -> (content digest, first line)
        self.entities: dict[tuple, tuple[str, str | None]] = {}  # (group, id) -> (state, state to return to)
        self.window: float | None = self.spec.get("redelivery_window_s")
        self.newest = float("-inf")  # the latest `created` seen
        self.aging: deque[tuple[float, str, tuple | None]] = deque()  # (created, event id, entity closed then)

    def _finding(self, role: str, message: str, line: int, severity: Severity | None = None) -> Finding:
        requirement = self.req[role]
        return Finding(requirement, severity or severity_of(self.feed, requirement), message, None, Location(line))

    def check(self, record: Record, lines: RecordLines) -> Iterator[Finding]:
        data = record.data
        if not isinstance(data, dict):
            return
        event_id = value_at(data, self.spec["event_id"])
        if isinstance(event_id, (str, int)):
            digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
            if str(event_id) in self.deliveries:
                first_digest, first_line = self.deliveries[str(event_id)]
                id_line = lines.line(tokens_of(self.spec["event_id"]))
                if digest == first_digest:
                    yield self._finding(
                        "redelivery",
                        f"event {event_id} delivered again (first at line {first_line}): "
                        "a retry of the same event, not a new one",
                        id_line,
                        Severity.INFO,
                    )
                    return
                yield self._finding(
                    "id_reused",
                    f"event id {event_id} is also the id of another event (line {first_line}) whose content differs",
                    id_line,
                )
            else:
                self.deliveries[str(event_id)] = (digest, record.line)  # constant memory per event
                self._age(data, str(event_id))
        when = self.spec.get("moves_when")
        if when and value_at(data, when["pointer"]) != when["equals"]:
            return
        group = json.dumps(value_at(data, self.spec["group"]), default=str) if "group" in self.spec else ""
        for pointer in self.spec["entities"]:
            statuses = value_at(data, pointer)
            for i, status in enumerate(statuses if isinstance(statuses, list) else []):
                if isinstance(status, dict):
                    yield from self._move(group, status, lines, tokens_of(pointer) + [i])

    def _move(self, group: str, status: dict, lines: RecordLines, at: list) -> Iterator[Finding]:
        new, entity = status.get(self.spec["state"]), status.get(self.spec["entity_id"])
        if not isinstance(new, str) or new in self.spec.get("no_change", []) or new not in self.machine.states:
            return  # no change, or a value the schema reports
        key = (group, json.dumps(entity, default=str))
        current = self.entities.get(key)
        if current is not None and new == current[0]:
            return
        name = f"{self.spec['entity_id']} {entity}"
        if current is None:
            ok, before = self.machine.enter(new)
            if not ok:
                line = lines.line(at + [self.spec["state"]])
                yield self._finding(
                    "initial",
                    f"{name} is first seen {new}, which does not follow from the initial "
                    f"state ({' or '.join(self.machine.initial)})",
                    line,
                )
        elif current[0] in self.machine.terminal:
            before, line = None, lines.line(at + [self.spec["state"]])
            yield self._finding("terminal", f"{name} moves {current[0]} -> {new}, out of a terminal state", line)
        else:
            ok, before = self.machine.reach(current[0], current[1], new)
            if not ok:
                line = lines.line(at + [self.spec["state"]])
                yield self._finding(
                    "transition",
                    f"{name} moves {current[0]} -> {new}, not a transition of {self.spec['machine']}",
                    line,
                )
        self.entities[key] = (new, before)
        if new in self.machine.terminal and self.window is not None and self.aging:
            created, event_id, _ = self.aging[-1]
            self.aging.append((created, event_id, key))  # let go a window after it closed

    def _age(self, data: dict, event_id: str) -> None:
        """Note when this event was made, and let go what a window ago made no longer needed."""
        created = value_at(data, self.spec["created"]) if "created" in self.spec else None
        if self.window is None or not isinstance(created, (int, float)) or isinstance(created, bool):
            return  # no clock to age by: everything is kept
        self.newest = max(self.newest, float(created))
        self.aging.append((float(created), event_id, None))
        while self.aging and self.aging[0][0] < self.newest - self.window:
            _, old_id, closed = self.aging.popleft()
            if closed is None:
                self.deliveries.pop(old_id, None)
            elif self.entities.get(closed, ("",))[0] in self.machine.terminal:
                del self.entities[closed]


def sequence_check(feed: Feed, kind: Kind, readings: dict[str, str]) -> SequenceCheck | None:
    return SequenceCheck(feed, kind, readings) if "sequence" in kind.spec else None


__all__ = ["SequenceCheck", "StateMachine", "sequence_check"]
