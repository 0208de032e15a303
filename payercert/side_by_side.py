"""Certify several feeds of the local target side by side, one `payercert certify` process each.

On the local target each feed has a simulator of its own, running in the process that tests it: a
feed's run keeps at most one core busy, and spends much of its time waiting on its simulator's
clocks (export jobs, webhook retries). The feeds share nothing there, so their runs are
independent. Each feed's process writes its part into REPORTS/parts/<feed>/ and leaves the run's
records to this one, which joins the parts into what one process would have written: one
certificate, one Allure results folder with one environment, one history line, one stream of
events. Each part is the same command a user can type (`--feed F --jobs 1`), with the same seed and
examples, so its verdict is the one a run of that feed alone gives.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from . import events
from .certify_request import CertifyRequest
from .certify_view import progress_bar, summary
from .errors import EXIT_USAGE
from .feeds import load_feed
from .history import record_run
from .reporting.allure_results import write_environment
from .reporting.certificate import exit_code, joined_certificate, write_certificate
from .reporting.folder import fresh_results

PARTS = "parts"
GUARDED = "payercert.production_guard.skipped"  # the one environment entry that adds up over the parts


def certify_side_by_side(request: CertifyRequest, feeds: list[str], console: Console) -> int:
    fresh_results(request.reports)
    parts = request.reports / PARTS
    shutil.rmtree(parts, ignore_errors=True)
    history = request.history or request.reports / "history"
    history.mkdir(parents=True, exist_ok=True)
    running = {feed: _start(request, feed, parts / feed, history) for feed in feeds}
    with ExitStack() as stack:
        watchers = stack.enter_context(progress_bar(" ".join(feeds), request.target, console))
        if request.events is not None:
            to_file, stream = events.to_file(request.events)
            stack.callback(stream.close)
            watchers.append(to_file)
        joined = JoinedEvents(feeds, events.fan_out(watchers))
        try:
            _follow(running, parts, joined)
        except KeyboardInterrupt:
            _stop(running)
            console.print("[bold red]error:[/bold red] the run was interrupted: nothing was certified")
            return EXIT_USAGE
        lost = [feed for feed in feeds if not (parts / feed / "certificate.json").is_file()]
        if lost:
            said = _last_line(parts / lost[0] / "output.log")
            console.print(f"[bold red]error:[/bold red] {escape(lost[0])}: {escape(said)}", highlight=False)
            return EXIT_USAGE
        certificate = _join(request, feeds, parts, history)
        joined.finish(exit_code(certificate))
    shutil.rmtree(parts, ignore_errors=True)
    summary(certificate, request.reports, console)
    if request.html:
        from .reporting.render import render_html_report

        render_html_report(request.reports, request.history, console)
    return exit_code(certificate)


def _start(request: CertifyRequest, feed: str, folder: Path, history: Path) -> subprocess.Popen:
    """The feed's part: the same run of that feed alone, its records left to this process."""
    folder.mkdir(parents=True)
    own = load_feed(feed)
    declared = {option.name for option in own.package.options}
    part = replace(
        request,
        feeds=[feed],
        readings={rid: option for rid, option in request.readings.items() if rid in own.readings},
        waivers={rid: reason for rid, reason in request.waivers.items() if rid in own.requirements},
        options={name: value for name, value in request.options.items() if name in declared},
        reports=folder,
        history=history,
        html=False,
        events=folder / "events.jsonl",
        jobs=1,
        part=True,
    )
    with (folder / "output.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "payercert", "certify", *part.arguments()], stdout=log, stderr=subprocess.STDOUT
        )


def _follow(running: dict[str, subprocess.Popen], parts: Path, joined: JoinedEvents) -> None:
    """Hand each part's events on as they come, until every part has ended."""
    offsets = dict.fromkeys(running, 0)
    while True:
        ended = all(process.poll() is not None for process in running.values())
        for feed in running:
            told, offsets[feed] = events.read(parts / feed / "events.jsonl", offsets[feed])
            for event in told:
                joined.take(feed, event)
        if ended:
            return
        time.sleep(0.1)


def _stop(running: dict[str, subprocess.Popen]) -> None:
    for process in running.values():
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in running.values():
        process.wait()


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1].strip().removeprefix("error: ") if lines else "its process ended without a word"


class JoinedEvents:
    """The parts' events as one run's: one `collected` once every part has collected (what comes
    earlier waits for it), `done` counted over the run, and one `finished` at the end."""

    def __init__(self, feeds: list[str], emit: Callable[[dict[str, Any]], None]) -> None:
        self.feeds, self.emit = feeds, emit
        self.collected: dict[str, dict[str, Any]] = {}
        self.waiting: list[tuple[str, dict[str, Any]]] = []
        self.done = 0

    def take(self, feed: str, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "collected":
            self.collected[feed] = event
            if len(self.collected) == len(self.feeds):
                parts = [self.collected[f] for f in self.feeds]
                tests = [test for part in parts for test in part["tests"]]
                self.emit({"event": "collected", "total": len(tests), "tests": tests})
                waiting, self.waiting = self.waiting, []
                for earlier in waiting:
                    self.take(*earlier)
        elif len(self.collected) < len(self.feeds):
            self.waiting.append((feed, event))
        elif kind == "done":
            self.done += 1
            self.emit({**event, "done": self.done})
        elif kind != "finished":
            self.emit(event)

    def finish(self, exitstatus: int) -> None:
        self.emit({"event": "finished", "exitstatus": exitstatus})


def _join(request: CertifyRequest, feeds: list[str], parts: Path, history: Path) -> dict[str, Any]:
    """The run's outputs from its parts' (see the module's docstring); the certificate."""
    certificates = [json.loads((parts / f / "certificate.json").read_text(encoding="utf-8")) for f in feeds]
    last_green_path = history / "last-green.json"
    last_green = json.loads(last_green_path.read_text(encoding="utf-8")) if last_green_path.is_file() else {}
    certificate, last_green = joined_certificate(certificates, last_green)
    results = request.reports / "allure-results"
    results.mkdir(parents=True, exist_ok=True)
    environment: dict[str, str] = {}
    for feed in feeds:
        own = parts / feed / "allure-results"
        for name, value in _properties(own / "environment.properties").items():
            added = int(environment.get(name, "0")) + int(value) if name == GUARDED else None
            environment[name] = value if added is None else str(added)
        for item in own.iterdir():
            if item.name not in ("environment.properties", "executor.json"):
                item.rename(results / item.name)
    write_environment(results, environment)
    runs = [json.loads((parts / f / "run.json").read_text(encoding="utf-8")) for f in feeds]
    run = {**runs[0], "guarded": [g for r in runs for g in r["guarded"]], "history": str(history)}
    (request.reports / "run.json").write_text(json.dumps(run, indent=2), encoding="utf-8")
    write_certificate(certificate, request.reports)
    last_green_path.write_text(json.dumps(last_green, indent=2), encoding="utf-8")
    record_run(history, certificate, request.reports, request.target, request.suite)
    return certificate


def _properties(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {name: value for name, value in pairs}
