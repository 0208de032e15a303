"""`payercert certify`: resolve targets, guard production, run the suites, show the verdict."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt

from .certify_request import CertifyRequest
from .certify_view import progress_bar, summary
from .config import build_target, load_config
from .contract import registered
from .errors import EXIT_INCONCLUSIVE, EXIT_USAGE, ConfigError, ProductionRefused
from .feeds import implemented_feeds, load_feed
from .reporting.certificate import exit_code
from .reporting.folder import fresh_results
from .run_options import applicable, with_options
from .simulation import load_simulator


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
    if side_by_side(request, feeds):
        from .side_by_side import certify_side_by_side

        return certify_side_by_side(request, feeds, console)
    prepared = _prepare(request, feeds, console)
    fresh_results(request.reports)
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
    summary(certificate, request.reports, console)
    if request.html:
        from .reporting.render import render_html_report

        render_html_report(request.reports, request.history, console)
    return exit_code(certificate)


def side_by_side(request: CertifyRequest, feeds: list[str]) -> bool:
    """Whether the feeds are certified side by side, one process each: on the local target only (each
    feed has its own simulator there; a payer's sandbox is not ours to load), for a whole
    certification (a --requirement check is short), and not under -v (one pytest output)."""
    return (
        request.target == "local"
        and len(feeds) > 1
        and request.jobs != 1
        and not request.verbose
        and not request.requirements
    )


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
        # its clean-up collects the garbage of every loaded module five times over (0.2 s a run): an
        # exception in a finalizer is the harness's own, never a payer's finding
        "-p",
        "no:unraisableexception",
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
    if request.part:
        args.append("--payercert-part")
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
    with progress_bar(" ".join(feeds), request.target, console) as watchers:
        prepared.watchers.extend(watchers)
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
