"""`payercert` with no arguments on a terminal: ask what to certify, then run it."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.prompt import Confirm, Prompt

from .certify import CertifyRequest, run_certify
from .config import load_config, target_names
from .errors import PayercertError
from .feeds import implemented_feeds, load_feed


def run_wizard(console: Console) -> int:
    console.print("[bold]payercert[/bold]: certify a payer feed. Ctrl-C to leave.\n")
    feeds = implemented_feeds()
    for i, feed in enumerate(feeds, 1):
        console.print(f"  {i}. {feed:<12} {load_feed(feed).title}")
    choice = Prompt.ask("Feed (number, or 'all')", default="all", console=console)
    chosen = (
        feeds
        if choice == "all"
        else [feeds[int(choice) - 1]]
        if choice.isdigit() and 0 < int(choice) <= len(feeds)
        else None
    )
    if not chosen:
        raise PayercertError(f"no feed {choice!r}")
    config_path = Path("payercert.toml")
    config = load_config(config_path if config_path.is_file() else None)
    options = ["local", *sorted({t for f in chosen for t in target_names(config, f)})]
    target = Prompt.ask("Target", choices=options, default="local", console=console)
    suite = Prompt.ask("Suite", choices=["smoke", "full"], default="full", console=console)
    allow = False
    if target != "local" and config["targets"][target].get("production"):
        allow = Confirm.ask("This target is production. Allow tests that create data?", default=False, console=console)
    request = CertifyRequest(
        feeds=chosen,
        target=target,
        suite=suite,
        allow_mutations=allow,
        config=config_path if target != "local" else None,
    )
    return run_certify(request, console)
