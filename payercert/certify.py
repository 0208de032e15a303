"""`payercert certify`: resolve targets, guard production, run the suites, show the verdict."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.prompt import Prompt
from rich.table import Table

from .config import build_target, load_config
from .contract import registered
from .errors import EXIT_INCONCLUSIVE, EXIT_USAGE, ConfigError, ProductionRefused
from .feeds import implemented_feeds, load_feed
from .redact import REDACTOR
from .reporting.certificate import GREEN, INCONCLUSIVE, exit_code
from .run_options import applicable, with_options
from .simulation import load_simulator


@dataclass
class CertifyRequest:
    feeds: list[str] = field(default_factory=list)
    target: str = "local"
    suite: str = "full"
    config: Path | None = None
    reports: Path = Path("reports")
    allow_mutations: bool = False
    fault: str | None = None
    history: Path | None = None
    readings: dict[str, str] = field(default_factory=dict)
    html: bool = True
    verbose: bool = False
    examples: int | None = None
    # Feeds' own run options (payercert.contract.RunOption) by name: a flag's value is None.
    options: dict[str, str | None] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()  # only these requirements' tests (a check, not a certification)
    seed: int | None = None  # Hypothesis seed; None: 0 on the local target, a new one elsewhere
    events: Path | None = None  # JSON lines of the run's progress (payercert/events.py)
    waivers: dict[str, str] = field(default_factory=dict)  # requirement id -> the written reason, this run only

    def arguments(self) -> list[str]:
        """The `payercert certify` arguments that make this request."""
        args = [a for feed in self.feeds for a in ("--feed", feed)] + ["--target", self.target, "--suite", self.suite]
        if self.config is not None:
            args += ["--config", str(self.config)]
        if self.reports != Path("reports"):
            args += ["--reports", str(self.reports)]
        if self.history is not None:
            args += ["--history", str(self.history)]
        if self.allow_mutations:
            args.append("--allow-mutations")
        if self.fault:
            args += ["--fault", self.fault]
        args += [a for rid, option in sorted(self.readings.items()) for a in ("--reading", f"{rid}={option}")]
        args += [a for rid, reason in sorted(self.waivers.items()) for a in ("--waive", f"{rid}={reason}")]
        if not self.html:
            args.append("--no-html")
        if self.examples:
            args += ["--examples", str(self.examples)]
        args += [a for rid in self.requirements for a in ("--requirement", rid)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        for name, value in self.options.items():
            args += [f"--{name}", *([value] if value is not None else [])]
        if self.events is not None:
            args += ["--events", str(self.events)]
        return args

    def command_line(self) -> str:
        """The command a user types for this request (a watcher's events file left out)."""
        return shlex.join(["payercert", "certify", *replace(self, events=None).arguments()])


class Prepared:
    """Handed to the pytest plugin: targets already resolved here, where prompts can be answered."""

    name = "payercert-prepared"

    def __init__(self, targets: dict[str, Any], production_confirmed: str | None):
        self.targets = targets
        self.production_confirmed = production_confirmed
        self.stopped: str | None = None  # why the run stopped before its end (the plugin's stop watch)
        self.watchers: list[Callable[[dict[str, Any]], None]] = []  # told the run's events (payercert/events.py)


def run_certify(request: CertifyRequest, console: Console) -> int:
    feeds = _feeds(request)
    request.readings = {**flag_readings(feeds, request.options, request.suite), **request.readings}
    prepared = _prepare(request, feeds, console)
    _fresh_results(request.reports)
    code = _run_pytest(request, feeds, prepared, console)
    if prepared.stopped is not None:  # the user's error found mid-run (a key file that cannot be read, ...)
        console.print(f"[bold red]error:[/bold red] {escape(prepared.stopped)}")
        return int(code) if int(code) in (EXIT_USAGE, EXIT_INCONCLUSIVE) else EXIT_USAGE
    certificate_path = request.reports / "certificate.json"
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR) or not certificate_path.is_file():
        console.print(
            f"[bold red]error:[/bold red] the suites could not run (pytest exit code {int(code)}); "
            "rerun with -v for details"
        )
        return EXIT_USAGE
    certificate = json.loads(certificate_path.read_text(encoding="utf-8"))
    _summary(certificate, request.reports, console)
    if request.html:
        from .reporting.render import render_html_report

        render_html_report(request.reports, request.history, console)
    return exit_code(certificate)


def _feeds(request: CertifyRequest) -> list[str]:
    feeds = request.feeds or implemented_feeds()
    for feed_id in feeds:
        if not load_feed(feed_id).implemented:
            raise ConfigError(f"feed {feed_id} has a spec bundle but no suites and simulator yet")
    if not feeds:
        raise ConfigError("no feed is implemented")
    if request.suite not in ("full", "smoke"):
        lacking = [f for f in feeds if request.suite not in load_feed(f).extra_suites()]
        if lacking:
            raise ConfigError(
                f"feed {lacking[0]} has no suite {request.suite!r} "
                f"(known: {', '.join(['full', 'smoke', *load_feed(lacking[0]).extra_suites()])})"
            )
    unknown = [r for r in request.requirements if not any(r in load_feed(f).requirements for f in feeds)]
    if unknown:
        raise ConfigError(f"--requirement {unknown[0]}: no such requirement in {', '.join(feeds)}")
    for rid, reason in request.waivers.items():
        if not any(rid in load_feed(f).requirements for f in feeds):
            raise ConfigError(f"--waive {rid}: no such requirement in {', '.join(feeds)}")
        if not reason.strip():
            raise ConfigError(f"--waive {rid}: a waiver needs its written reason (--waive {rid}=REASON)")
    if request.fault:
        elsewhere = [o.name for f in feeds for o in applicable(f, request.suite) if o.name in request.options]
        if request.target != "local" or elsewhere:
            raise ConfigError(
                "--fault runs the local simulator: use it with --target local"
                + (f" and without --{elsewhere[0]}" if elsewhere else "")
            )
        if len(feeds) != 1:
            raise ConfigError("--fault belongs to one simulator: name that feed with --feed")
        load_simulator(feeds[0], request.suite).fault(request.fault)
    return feeds


def flag_readings(feeds: list[str], options: dict[str, str | None], suite: str = "full") -> dict[str, str]:
    """The readings a run's flags pick, after checking every option given: each is a run option a
    chosen feed declares (for the chosen suite), given a value exactly when it takes one. A flag picks
    its option of every reading of the feed that has one."""
    readings: dict[str, str] = {}
    for name, value in options.items():
        owners = [f for f in feeds if any(o.name == name for o in load_feed(f).package.options)]
        if not owners:
            declared = sorted({o.name for p in registered().values() for o in p.options})
            raise ConfigError(
                f"--{name} is no option of {', '.join(feeds)}"
                + (f" (feed options: {', '.join('--' + d for d in declared)})" if declared else "")
            )
        for feed_id in owners:
            option = next(o for o in load_feed(feed_id).package.options if o.name == name)
            if option.suites and suite not in option.suites:
                raise ConfigError(
                    f"--{name} belongs to the {' or '.join(option.suites)} suite of {feed_id}: "
                    f"add --suite {option.suites[0]}"
                )
            if option.metavar is not None and value is None:
                raise ConfigError(f"--{name} takes a value: --{name} {option.metavar}")
            if option.metavar is None and value is not None:
                raise ConfigError(f"--{name} takes no value")
            if option.selects_reading is None:
                continue
            readings |= {
                rid: option.selects_reading
                for rid, reading in load_feed(feed_id).readings.items()
                if option.selects_reading in reading.get("options", {})
            }
    return readings


def _prepare(request: CertifyRequest, feeds: list[str], console: Console) -> Prepared:
    values = {name: value for name, value in request.options.items() if value is not None}
    if request.target == "local":  # the simulators, or the user's own system named on the command line
        named = [f for f in feeds if any(o.name in values for o in applicable(f, request.suite))]
        return Prepared({f: with_options(f, None, values, request.suite) for f in named}, None)
    config = load_config(request.config)
    config_dir = (request.config or Path("payercert.toml")).resolve().parent
    targets = {feed_id: build_target(feed_id, request.target, config, config_dir) for feed_id in feeds}
    targets = {f: with_options(f, t, values, request.suite) for f, t in targets.items()}
    confirmed = None
    production = [t for t in targets.values() if t.production]
    if production and request.allow_mutations:
        hosts = sorted(set().union(*(t.hosts for t in production)))
        confirmed = _confirm_production(hosts, console)
    return Prepared(targets, confirmed)


def _confirm_production(hosts: list[str], console: Console) -> str:
    """Writing to production needs the host typed back (or PAYERCERT_CONFIRM_PRODUCTION=<host>)."""
    given = os.environ.get("PAYERCERT_CONFIRM_PRODUCTION")
    if given:
        if given not in hosts:
            raise ProductionRefused(
                f"PAYERCERT_CONFIRM_PRODUCTION={given} does not name the production host ({', '.join(hosts)})"
            )
        return given
    if not sys.stdin.isatty():
        raise ProductionRefused(
            "--allow-mutations on production needs confirmation: set "
            f"PAYERCERT_CONFIRM_PRODUCTION={hosts[0]} when not running interactively"
        )
    console.print(f"[bold red]This run will CREATE DATA in production[/bold red] ({', '.join(hosts)}).")
    typed = Prompt.ask("Type the production host name to confirm", console=console)
    if typed.strip() not in hosts:
        raise ProductionRefused("production host not confirmed: nothing was run")
    return typed.strip()


def _fresh_results(reports: Path) -> None:
    """Two runs never mix: the previous run's results and certificate go (the history stays), so a
    run that stops before its end leaves no certificate that is not its own."""
    for name in ("allure-results", "allure-report"):
        shutil.rmtree(reports / name, ignore_errors=True)
    for name in ("certificate.json", "certificate.html", "run.json"):
        (reports / name).unlink(missing_ok=True)
    reports.mkdir(parents=True, exist_ok=True)


def _run_pytest(request: CertifyRequest, feeds: list[str], prepared: Prepared, console: Console) -> int:
    args = [str(_suite_path(f, request.suite)) for f in feeds]
    args += [
        "--payercert-target",
        request.target,
        "--payercert-suite",
        request.suite,
        "--payercert-reports",
        str(request.reports),
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--strict-markers",  # a misspelt marker stops the run before anything is sent
        "--rootdir",
        str(_suites_of(feeds[0]).parent),
    ]
    if request.config:
        args += ["--payercert-config", str(request.config)]
    if request.fault:
        args += ["--payercert-fault", request.fault]
    if request.history:
        args += ["--payercert-history", str(request.history)]
    if request.allow_mutations:
        args.append("--payercert-allow-mutations")
    if request.examples:
        args += ["--payercert-examples", str(request.examples)]
    for name, value in request.options.items():
        if value is not None:
            args += ["--payercert-option", f"{name}={value}"]
    if request.seed is not None:
        args += ["--payercert-seed", str(request.seed)]
    if request.events is not None:
        args += ["--payercert-events", str(request.events)]
    for requirement in request.requirements:
        args += ["--payercert-requirement", requirement]
    for rid, reason in request.waivers.items():
        args += ["--payercert-waiver", f"{rid}={reason}"]
    for reading, option in request.readings.items():
        args += ["--payercert-reading", f"{reading}={option}"]
    plugins: list[Any] = [prepared]
    if request.verbose:
        args.append("-v")
        return pytest.main(args, plugins=plugins)
    args += ["-p", "no:terminal", "-p", "no:warnings"]
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[failed]}"),
        console=console,
        transient=True,
    ) as progress:
        prepared.watchers.append(_ProgressBar(progress, " ".join(feeds), request.target))
        return pytest.main(args, plugins=plugins)


def _suite_path(feed_id: str, suite: str) -> Path:
    """A feed's own suite is its folder; full and smoke start at the feed's suites (the plugin
    leaves the own suites' folders out of them)."""
    extra = load_feed(feed_id).extra_suites()
    return extra[suite].path if suite in extra else _suites_of(feed_id)


def _suites_of(feed_id: str) -> Path:
    suites = load_feed(feed_id).suites_dir
    if suites is None:  # _feeds() lets only implemented feeds through
        raise ConfigError(f"feed {feed_id} has no suites")
    return suites


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


def _summary(certificate: dict, reports: Path, console: Console) -> None:
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
