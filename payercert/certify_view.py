"""What a certify run shows on the terminal: its progress bar while it runs, its summary table after."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .redact import REDACTOR
from .reporting.certificate import GREEN, INCONCLUSIVE


@contextmanager
def progress_bar(feeds: str, target: str, console: Console) -> Iterator[list[Callable[[dict[str, Any]], None]]]:
    """The watchers of a run's events, to which the caller may add: first the terminal's progress bar."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[failed]}"),
        console=console,
        transient=True,
    ) as progress:
        yield [_ProgressBar(progress, feeds, target)]


class _ProgressBar:
    """The terminal's view of the run's events: tests done of total, the requirement group at hand,
    the failures so far (each also printed as a line of its own). Rich draws it only on a terminal."""

    def __init__(self, progress: Progress, feeds: str, target: str):
        self.progress = progress
        self.task = progress.add_task(f"certify {feeds} on {target}", total=None, failed="")
        self.failed = 0

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "collected":
            self.progress.update(self.task, total=event["total"])
        elif kind == "group":
            self.progress.update(self.task, description=escape(f"{event['feed']} · {event['group']}"[:60]))
        elif kind == "done":
            self.progress.update(self.task, completed=event["done"])
        elif kind == "outcome" and event["status"] in ("failed", "broken"):
            self.failed += 1
            self.progress.update(self.task, failed=f"[red]{self.failed} failed[/red]")
            named = ", ".join(event["requirements"])  # the events are redacted already
            self.progress.console.print(f"  [red]✘[/red] {escape(named)}: {escape(event['title'])}", highlight=False)


def summary(certificate: dict, reports: Path, console: Console) -> None:
    table = Table(title="payercert certification", title_justify="left")
    for column in ("feed", "target", "suite", "verdict", "MUST verified", "failed", "inconclusive", "skipped"):
        table.add_column(column)
    for feed in certificate["feeds"]:
        rows = feed["requirements"]
        must = feed["coverage"]["levels"]["MUST"]
        colour = {**dict.fromkeys(GREEN, "green"), INCONCLUSIVE: "yellow"}.get(feed["verdict"], "red")
        table.add_row(
            feed["feed"],
            feed["target"],
            feed["suite"],
            f"[{colour}]{feed['verdict']}[/{colour}]",
            f"{must['verified']}/{must['total']}",
            *(str(sum(1 for r in rows if r["status"] == s)) for s in ("failed", "inconclusive", "skipped")),
        )
    console.print(table)
    for feed in certificate["feeds"]:
        for reason in feed.get("reasons", [])[:20]:
            console.print(f"  [red]•[/red] {feed['feed']}: {escape(REDACTOR.text(reason))}", highlight=False)
    run = json.loads((reports / "run.json").read_text()) if (reports / "run.json").is_file() else {}
    if run.get("guarded"):
        console.print(
            f"[yellow]production guard skipped {len(run['guarded'])} test(s) not declared read-only:[/yellow]"
        )
        for nodeid in run["guarded"]:
            console.print(f"  - {nodeid}")
    if certificate.get("overall", {}).get("verdict") == INCONCLUSIVE:
        console.print("[yellow]INCONCLUSIVE[/yellow]: the run could not tell (see the reasons); run it again.")
    console.print(f"seed: {certificate.get('seed')} (replay a test's draws with --seed)")
    console.print(f"certificate: {reports / 'certificate.html'}")
