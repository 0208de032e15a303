"""The oracle test: every fault profile of every simulator is caught by its suite, naming the
requirement it breaks, and the conforming simulator passes every suite.

The conforming full-suite runs certify each simulator as a configured target reached through a TLS
relay (an extra network hop, as a payer's sandbox is reached; tests/configured_target.py), with
every place its requirements govern reached: what `certify --target local` proves holds over a real
network path too.

A fault's run checks the requirement it breaks (`certify --requirement R`: that requirement's tests
only, a check rather than a certification), which is what the fault must be caught by; the
conforming runs are whole certifications.

A feed's own suites with a simulator of their own (lanternpay's webhook-handler suite and its
reference handler) are cases too: `certify --suite S --fault F` per fault, and the conforming one."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from configured_target import serve, target_toml
from forked_certify import ForkedCertify

from payercert.feeds import implemented_feeds
from payercert.simulation import load_simulator

pytestmark = pytest.mark.timeout(1500)  # one fixture runs the whole matrix
EXAMPLES = "6"  # fewer hypothesis examples than a real run: every fault must still be caught
# PAYERCERT_MATRIX_FEEDS=ab2d,webbbs narrows the matrix to some feeds while working on them
FEEDS = [f for f in implemented_feeds() if f in os.environ.get("PAYERCERT_MATRIX_FEEDS", f).split(",")]
SUITES = [(feed, suite) for feed in FEEDS for suite in ("full", *load_simulator(feed).suites)]
CASES = [(feed, suite, fault.name) for feed, suite in SUITES for fault in load_simulator(feed, suite).faults]


def _name(feed: str, suite: str, fault: str | None) -> str:
    return feed + ("" if suite == "full" else f"-{suite}") + f"-{fault or 'conforming'}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """All runs at once, four in parallel: the suites spend much of their time waiting on jobs,
    retries and polls."""
    root = tmp_path_factory.mktemp("matrix")
    with ExitStack() as stack:
        config, env = _relayed(stack, root)
        forked = ForkedCertify()  # each run a fork of one process that imported everything once
        stack.callback(forked.close)

        def one(case):
            feed, suite, fault = case
            args = ["--feed", feed, "--target", "local", "--suite", suite]
            extra = {"PAYERCERT_EXAMPLES": EXAMPLES}
            if fault:
                args += ["--fault", fault, "--requirement", load_simulator(feed, suite).fault(fault).breaks]
            elif suite == "full":  # the conforming simulator, through its relay
                args = ["--feed", feed, "--target", f"relay_{feed}", "--config", str(config), "--seed", "0"]
                extra.update(env)
            return case, forked.certify(root / _name(*case) / "reports", *args, env=extra)

        slow = [case for case in CASES if load_simulator(case[0], case[1]).fault(case[2]).slow]
        cases = (
            [(feed, suite, None) for feed, suite in SUITES] + slow + [c for c in CASES if c not in slow]
        )  # long first
        for case in cases:
            (root / _name(*case)).mkdir()
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(pool.map(one, cases))


def _relayed(stack: ExitStack, root):
    """payercert.toml with each feed's conforming simulator behind a TLS relay, and the environment
    its `env:` references need (no credential is written to disk)."""
    parts, env = [], {}
    for feed in FEEDS:
        local, ca_path = serve(feed, stack, relay=True)
        text, feed_env = target_toml(feed, f"relay_{feed}", local, ca_path, root)
        parts.append(text)
        env.update(feed_env)
    (root / "payercert.toml").write_text("\n".join(parts))
    return root / "payercert.toml", env


@pytest.mark.parametrize("feed,suite", SUITES, ids=[f if s == "full" else f"{f}:{s}" for f, s in SUITES])
def test_conforming_simulator_passes_every_suite(runs, feed, suite):
    result = runs[(feed, suite, None)]
    assert result.code == 0, (
        f"{feed} ({suite}): conforming simulator not certified:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}"
    )
    assert result.feed(feed)["verdict"] == "CERTIFIED"
    assert not result.failed_requirements(feed)
    entry = result.feed(feed)
    missed = {
        r["id"]: r["surfaces"]["missed"] for r in entry["requirements"] if (r.get("surfaces") or {}).get("missed")
    }
    assert not missed, f"{feed} ({suite}): places not reached: {missed}"


@pytest.mark.parametrize(
    "feed,suite,fault", CASES, ids=[f"{f}:{n}" if s == "full" else f"{f}:{s}:{n}" for f, s, n in CASES]
)
def test_fault_is_caught_naming_its_requirement(runs, feed, suite, fault):
    result = runs[(feed, suite, fault)]
    breaks = load_simulator(feed, suite).fault(fault).breaks
    assert result.code == 1, (
        f"{feed} --suite {suite} --fault {fault}: exit {result.code}, expected 1\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
    )
    assert result.feed(feed)["verdict"] == "CHECKS FAILED"
    failed = result.failed_requirements(feed)
    assert breaks in failed, f"{fault} breaks {breaks}, but the failed requirements are {sorted(failed)}"
