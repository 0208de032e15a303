"""Every conforming simulator certifies as a configured target reached through a TLS relay (an
extra network hop, as a payer's sandbox is reached), with every place its requirements govern
reached: what `certify --target local` proves holds over a real network path too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from certify_runs import certify
from configured_target import serve, target_toml

from payercert.feeds import implemented_feeds

pytestmark = pytest.mark.timeout(900)  # one fixture certifies every feed
FEEDS = implemented_feeds()


@pytest.fixture(scope="module")
def relayed(tmp_path_factory):
    """Each feed's certification through its relay, two at a time."""
    folder = tmp_path_factory.mktemp("relayed")
    with ExitStack() as stack:
        parts, env = [], {}
        for feed in FEEDS:
            local, ca_path = serve(feed, stack, relay=True)
            text, feed_env = target_toml(feed, f"relay_{feed}", local, ca_path, folder)
            parts.append(text)
            env.update(feed_env)
        (folder / "payercert.toml").write_text("\n".join(parts))

        def one(feed):
            args = ["--feed", feed, "--target", f"relay_{feed}", "--config", str(folder / "payercert.toml")]
            env_feed = {**env, "PAYERCERT_EXAMPLES": "6"}
            return feed, certify(folder / f"reports-{feed}", *args, "--seed", "0", env=env_feed, timeout=600)

        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(pool.map(one, FEEDS))


@pytest.mark.parametrize("feed", FEEDS)
def test_conforming_simulator_certifies_through_a_relay(relayed, feed):
    result = relayed[feed]
    entry = result.feed(feed)
    assert result.code == 0 and entry["verdict"] == "CERTIFIED", (
        f"{feed} through a relay: exit {result.code}, {entry['verdict']}: {entry['reasons'][:3]}"
    )
    missed = {
        r["id"]: r["surfaces"]["missed"] for r in entry["requirements"] if (r.get("surfaces") or {}).get("missed")
    }
    assert not missed, f"{feed} through a relay: places not reached: {missed}"
