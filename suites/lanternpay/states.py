"""claim-states.yaml as an oracle: is an observed sequence of claim states legal?"""

from __future__ import annotations

from functools import lru_cache

import yaml

from payercert.feeds import load_feed

SPEC = load_feed("lanternpay").root / "claim-states.yaml"
CANCEL_STATES = {"awaitingCancelResponse", "cancelPending"}


@lru_cache(maxsize=1)
def machine() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def states() -> set[str]:
    return set(machine()["states"])


def terminal() -> set[str]:
    return {s for s, d in machine()["states"].items() if d.get("terminal")}


def initial(option: str) -> list[str]:
    return machine()["initial"]["options"][option]


def _reachable(start: str, goal: str, previous: str | None) -> bool:
    """goal from start along transitions whose inner states are all unobserved."""
    spec = machine()
    hidden = set(spec["unobserved"])
    edges: dict[str, set[str]] = {}
    for t in spec["transitions"]:
        to = previous if t["to"] == "$previous" else t["to"]
        if to:
            edges.setdefault(t["from"], set()).add(to)
    frontier, seen = [start], {start}
    while frontier:
        node = frontier.pop()
        for nxt in edges.get(node, ()):
            if nxt == goal:
                return True
            if nxt in hidden and nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


def check_sequence(observed: list[str], initial_option: str = "awaitingResponse") -> list[tuple[str, str]]:
    """(requirement, message) for each illegal step of one claim's observed states (noChange and
    repeats already removed). $previous is the last state seen before the claim entered a cancel state."""
    findings: list[tuple[str, str]] = []
    known = states()
    current: str | None = None
    previous: str | None = None
    for state in observed:
        if state not in known:
            findings.append(("LP-STATE-1", f"{state!r} is not a claim state"))
            continue
        if current is None:
            starts = initial(initial_option)
            if state not in starts and not any(_reachable(s, state, None) for s in starts):
                findings.append(("LP-STATE-4", f"first observed state {state!r} is not reachable from {starts}"))
            if state in CANCEL_STATES:
                previous = starts[0]
            current = state
            continue
        if state == current:
            continue
        if current in terminal():
            findings.append(("LP-STATE-3", f"terminal state {current!r} changed to {state!r}"))
        elif not _reachable(current, state, previous):
            findings.append(("LP-STATE-2", f"illegal transition {current!r} -> {state!r}"))
        if state in CANCEL_STATES and current not in CANCEL_STATES:
            previous = current
        current = state
    return findings


def observed_states(calls, biller_claim_id: str) -> list[str]:
    """The states a claim showed in claiming.invoice.updated webhooks, redeliveries skipped."""
    out: list[str] = []
    seen_ids: set[str | None] = set()  # an event without an id is seen as None
    for call in calls:
        body = call.body
        if not isinstance(body, dict) or body.get("type") != "claiming.invoice.updated":
            continue
        if body.get("id") in seen_ids:
            continue
        seen_ids.add(body.get("id"))
        for status in call.claim_statuses:
            if isinstance(status, dict) and status.get("billerClaimId") == biller_claim_id:
                state = status.get("state")
                if state in (None, "noChange"):
                    continue
                if not out or out[-1] != state:
                    out.append(state)
    return out
