"""The oracle test: every fault profile of every simulator is caught by its suite, naming the
requirement it breaks, and the conforming simulator passes every suite."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import os

import pytest

from payercert.feeds import implemented_feeds
from payercert.simulation import load_simulator

from certify_runs import certify

pytestmark = pytest.mark.timeout(1500)  # one fixture runs the whole matrix
EXAMPLES = "6"  # fewer hypothesis examples than a real run: every fault must still be caught
# PAYERCERT_MATRIX_FEEDS=ab2d,webbbs narrows the matrix to some feeds while working on them
FEEDS = [f for f in implemented_feeds()
         if f in os.environ.get("PAYERCERT_MATRIX_FEEDS", f).split(",")]
CASES = [(feed, fault.name) for feed in FEEDS for fault in load_simulator(feed).faults]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All runs at once, three in parallel: the suites spend most of their time waiting on I/O."""
    root = tmp_path_factory.mktemp("matrix")

    def one(case):
        feed, fault = case
        args = ["--feed", feed, "--target", "local"]
        if fault:
            args += ["--fault", fault]
        return case, certify(root / f"{feed}-{fault or 'conforming'}" / "reports", *args,
                             env={"PAYERCERT_EXAMPLES": EXAMPLES})

    cases = CASES + [(feed, None) for feed in FEEDS]
    for case in cases:
        (root / f"{case[0]}-{case[1] or 'conforming'}").mkdir()
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(one, cases))


@pytest.mark.parametrize("feed", FEEDS)
def test_conforming_simulator_passes_every_suite(runs, feed):
    result = runs[(feed, None)]
    assert result.code == 0, f"{feed}: conforming simulator not certified:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    assert result.feed(feed)["verdict"] == "CERTIFIED"
    assert not result.failed_requirements(feed)


@pytest.mark.parametrize("feed,fault", CASES, ids=[f"{f}:{n}" for f, n in CASES])
def test_fault_is_caught_naming_its_requirement(runs, feed, fault):
    result = runs[(feed, fault)]
    breaks = load_simulator(feed).fault(fault).breaks
    assert result.code == 1, f"{feed} --fault {fault}: exit {result.code}, expected 1\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    assert result.feed(feed)["verdict"] == "NOT CERTIFIED"
    failed = result.failed_requirements(feed)
    assert breaks in failed, f"{fault} breaks {breaks}, but the failed requirements are {sorted(failed)}"
