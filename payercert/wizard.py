"""`payercert` with no arguments on a terminal: ask what to certify, then run it.

It never throws the user out: a feed is taken by number or by name, anything it cannot use is
asked again, a credential missing from the environment is asked for without echo (and kept in
this process's memory only), and the command line that does the same is printed before the run.
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from .certify import run_certify
from .certify_request import CertifyRequest
from .config import credential_references, load_config, target_names
from .feeds import implemented_feeds, load_feed
from .simulation import load_simulator


def run_wizard(console: Console) -> int:
    console.print("[bold]payercert[/bold]: certify a payer feed. Ctrl-C to leave.\n")
    feeds = implemented_feeds()
    for i, feed in enumerate(feeds, 1):
        console.print(f"  {i}. {feed:<12} {escape(load_feed(feed).title)}")
    chosen = ask_feeds(console, feeds)
    config_path = Path("payercert.toml")
    config = load_config(config_path if config_path.is_file() else None)
    targets = ["local", *sorted({t for f in chosen for t in target_names(config, f)})]
    target = Prompt.ask("Target", choices=targets, default="local", console=console)
    suite = Prompt.ask("Suite", choices=["smoke", "full"], default="full", console=console)
    fault = None
    if target == "local" and len(chosen) == 1:
        faults = [f.name for f in load_simulator(chosen[0]).faults]
        fault = Prompt.ask(
            "Fault profile, to see what a failure looks like (Enter: none)",
            choices=["", *faults],
            default="",
            show_choices=False,
            console=console,
        )
    allow = False
    if target != "local":
        ask_missing_secrets(console, target, config["targets"][target])
        if config["targets"][target].get("production"):
            allow = Confirm.ask(
                "This target is production. Allow tests that create data?", default=False, console=console
            )
    request = CertifyRequest(
        feeds=chosen,
        target=target,
        suite=suite,
        fault=fault or None,
        allow_mutations=allow,
        config=config_path if target != "local" else None,
    )
    console.print(f"\nThe same from the command line:\n  [bold]{escape(request.command_line())}[/bold]\n")
    return run_certify(request, console)


def ask_feeds(console: Console, feeds: list[str]) -> list[str]:
    """Numbers or names, several separated by commas or spaces, or 'all'; asked again until usable."""
    while True:
        answer = Prompt.ask("Feeds (numbers or names, or 'all')", default="all", console=console).strip()
        chosen = pick_feeds(answer, feeds)
        if chosen:
            return chosen
        console.print(
            f"[red]{escape(answer)!s} is not one of the feeds[/red]: answer with 1-{len(feeds)}, a name, or all"
        )


def pick_feeds(answer: str, feeds: list[str]) -> list[str] | None:
    if answer.lower() == "all":
        return feeds
    chosen = []
    for word in answer.replace(",", " ").split():
        if word.isdigit() and 0 < int(word) <= len(feeds):
            chosen.append(feeds[int(word) - 1])
        elif word.lower() in feeds:
            chosen.append(word.lower())
        else:
            return None
    return list(dict.fromkeys(chosen)) or None


def ask_missing_secrets(console: Console, name: str, target: dict) -> None:
    """Each credential read from an environment variable that is not set, asked without echo and
    put in this process's environment (never on disk); `prompt` ones are asked when the target is built."""
    for _where, key, reference in credential_references(name, target):
        variable = reference.removeprefix("env:") if reference.startswith("env:") else None
        if variable and not os.environ.get(variable):
            value = ""
            while not value:
                value = Prompt.ask(f"{key} ({variable} is not set)", password=True, console=console)
            os.environ[variable] = value
