"""How many of each feed's MUST requirements on the server side have a fault profile of their own that
the suites are proven to catch (tests/test_mutation_matrix.py runs every profile). README.md shows the
same table ("Fault profiles"); this test keeps it true."""

from __future__ import annotations

import re
from pathlib import Path

from payercert.feeds import discover, load_feed
from payercert.simulation import load_simulator

README = Path(__file__).resolve().parents[1] / "README.md"


def coverage() -> dict[str, tuple[int, int]]:
    """feed -> (MUST requirements a server can break, how many of them a fault profile breaks)."""
    out = {}
    for feed_id in discover():
        feed = load_feed(feed_id)
        simulator = load_simulator(feed_id)
        broken = {
            f.breaks for s in (simulator, *(load_simulator(feed_id, n) for n in simulator.suites)) for f in s.faults
        }
        server = [r.id for r in feed.requirements.values() if r.level == "MUST" and r.applies_to in ("server", "both")]
        out[feed_id] = (len(server), len([r for r in server if r in broken]))
    return out


def test_the_readme_shows_the_fault_profile_coverage():
    rows = dict(re.findall(r"^\| (\w+) \| (\d+ of \d+) \|", README.read_text(encoding="utf-8"), re.M))
    assert rows == {feed: f"{covered} of {total}" for feed, (total, covered) in coverage().items()}


def test_every_fault_profile_breaks_a_requirement_of_its_feed():
    for feed_id in discover():
        simulator = load_simulator(feed_id)
        for s in (simulator, *(load_simulator(feed_id, n) for n in simulator.suites)):
            assert {f.breaks for f in s.faults} <= set(load_feed(feed_id).requirements), feed_id
