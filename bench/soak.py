"""Soak: every feed's conforming certification, N times, while a CPU hog holds every core.

A verdict must not depend on machine load: every run must say CERTIFIED. `--relay` certifies each
simulator as a configured target behind a TLS relay (an extra network hop, as a payer's sandbox is
reached) instead of `--target local`.

    python bench/soak.py --runs 3              # local target, hog on both cores
    python bench/soak.py --runs 3 --relay      # through the relay
    python bench/soak.py --feeds ltss,ab2d --no-hog
    python bench/soak.py --runs 3 --together   # every feed in one run, side by side, as make certify

Prints one line per run and a table: feed, runs, certified, not certified, inconclusive, other.
Exits 0 only when every run certified.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the relay and the target writer are the tests' helpers

from configured_target import serve, target_toml  # noqa: E402

from payercert.feeds import implemented_feeds  # noqa: E402


def _spin() -> None:
    while True:
        pass


def certify(
    feeds: list[str], reports: Path, target: str, config: Path | None, env: dict[str, str]
) -> dict[str, tuple[str, int, float, list[str]]]:
    """feed -> (verdict, exit code, seconds, reasons) of one run certifying `feeds` (several at once:
    on the local target side by side, as `make certify` runs them)."""
    command = [sys.executable, "-m", "payercert", "certify", *(a for f in feeds for a in ("--feed", f))]
    command += ["--target", target, "--no-html", "--reports", str(reports)] + (
        ["--config", str(config)] if config else []
    )
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    try:
        entries = {f["feed"]: f for f in json.loads((reports / "certificate.json").read_text())["feeds"]}
    except (OSError, ValueError, KeyError):
        entries = {}
    said = [f"exit {done.returncode}: {done.stderr.strip()[-300:]}"]
    return {
        feed: (entries[feed]["verdict"], done.returncode, took, entries[feed]["reasons"])
        if feed in entries
        else ("no certificate", done.returncode, took, said)
        for feed in feeds
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feeds", default=",".join(implemented_feeds()))
    parser.add_argument("--relay", action="store_true", help="configured targets behind a TLS relay")
    parser.add_argument("--no-hog", action="store_true", help="leave the CPUs alone")
    parser.add_argument(
        "--together", action="store_true", help="every feed in one run (on the local target: side by side)"
    )
    args = parser.parse_args()
    feeds = args.feeds.split(",")
    hogs = (
        [] if args.no_hog else [multiprocessing.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 2)]
    )
    for hog in hogs:
        hog.start()
    tally: dict[str, Counter] = {f: Counter() for f in feeds}
    try:
        with tempfile.TemporaryDirectory(prefix="payercert-soak-") as tmp, ExitStack() as stack:
            folder = Path(tmp)
            config, env, target = None, {}, "local"
            if args.relay:
                target, config, parts = "relay", folder / "payercert.toml", []
                for feed in feeds:
                    local, ca_path = serve(feed, stack, relay=True)
                    text, feed_env = target_toml(feed, f"relay_{feed}", local, ca_path, folder)
                    parts.append(text)
                    env.update(feed_env)
                config.write_text("\n".join(parts))
            print(
                f"soak: {args.runs} run(s) of {', '.join(feeds)} on {'a relay' if args.relay else 'local'}, "
                f"{len(hogs)} CPU hog(s)",
                flush=True,
            )
            key = {"CERTIFIED": "certified", "NOT CERTIFIED": "not certified", "INCONCLUSIVE": "inconclusive"}
            for run in range(1, args.runs + 1):
                batches = [feeds] if args.together and not args.relay else [[feed] for feed in feeds]
                for batch in batches:
                    name = f"relay_{batch[0]}" if args.relay else target
                    results = certify(batch, folder / f"r{run}-{'-'.join(batch)}", name, config, env)
                    for feed, (verdict, code, took, reasons) in results.items():
                        tally[feed][key.get(verdict, "other")] += 1
                        print(f"  run {run} {feed:<11} {verdict:<14} exit {code}  {took:5.1f} s", flush=True)
                        for reason in reasons[:5]:
                            print(f"      {reason[:300]}", flush=True)
    finally:
        for hog in hogs:
            hog.terminate()
    print(f"{'feed':<11} runs  certified  not certified  inconclusive  other")
    for feed, counts in tally.items():
        print(
            f"{feed:<11} {sum(counts.values()):>4}  {counts['certified']:>9}  {counts['not certified']:>13}  "
            f"{counts['inconclusive']:>12}  {counts['other']:>5}"
        )
    every = all(counts["certified"] == args.runs for counts in tally.values())
    print("every run certified" if every else "NOT every run certified")
    return 0 if every else 1


if __name__ == "__main__":
    sys.exit(main())
