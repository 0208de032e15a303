"""The `payercert` command: validate files, certify targets, run simulators, render reports.

Built on click alone, and nothing heavy imported before a command needs it: validating one sample
file, the most common use, is mostly start-up (bench/startup.py measures it against a bare Python).
"""

from __future__ import annotations

import os
import sys
import warnings

# A user's terminal shows payercert's own words only. A warning raised inside a dependency (a
# deprecation between two libraries) is nothing the user can act on; ours still show.
warnings.filterwarnings("ignore", module=r"(?!payercert(\.|$))")
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, PayercertError

if TYPE_CHECKING:
    from rich.console import Console

# Piped into a log, output keeps a wide table's columns whole instead of wrapping at rich's 80
# (COLUMNS, when set, still decides).
PIPE_WIDTH = 200
FORMATS = ("table", "json", "junit", "sarif")
SETTINGS = {"max_content_width": 120, "help_option_names": ["--help"]}


@cache
def out() -> Console:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH)


@cache
def err() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _done(code: int) -> None:
    raise click.exceptions.Exit(code)


def _version(ctx: click.Context, _param: click.Parameter, asked: bool) -> None:
    if asked and not ctx.resilient_parsing:
        from importlib.metadata import PackageNotFoundError, version

        try:
            click.echo(f"payercert {version('payercert')}")
        except PackageNotFoundError:
            click.echo("payercert (not installed: run from a checkout)")
        _done(EXIT_OK)


@click.group(invoke_without_command=True, context_settings=SETTINGS)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Print payercert's version and exit.",
)
@click.pass_context
def app(ctx: click.Context) -> None:
    """Conformance and validation harness for healthcare payer feeds."""
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from .wizard import run_wizard

            _done(run_wizard(out()))
        click.echo(ctx.get_help())
        _done(EXIT_OK)


@app.command(
    short_help="Validate files against the payer's published rules (or a password).", context_settings=SETTINGS
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATHS]...")
@click.option("--feed", metavar="FEED", help="Feed id (detected when omitted).")
@click.option("--kind", metavar="KIND", help="Kind of file within the feed (detected when omitted).")
@click.option("--as-of", metavar="DATE", help="Fix the payer's 'today' (YYYY-MM-DD) for a reproducible verdict.")
@click.option("--all-errors", is_flag=True, help="Every failing rule, not only the first one the payer would return.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    metavar="|".join(FORMATS),
    show_default=True,
    help="Output format.",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Target reference data (YAML/JSON): enables the checks that need it.",
)
@click.option(
    "--reading", multiple=True, metavar="ID=OPTION", help="Pick a documented reading: ID=OPTION (repeatable)."
)
@click.option(
    "--signature",
    metavar="TOKEN",
    help="The signature header sent with a webhook body: the token, @FILE, or the header line.",
)
@click.option(
    "--public-key",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The sender's public key (PEM or OpenSSH) to verify --signature.",
)
@click.option(
    "--request",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The request a response or error payload answers (default: its sibling <name>.request.json).",
)
@click.option(
    "--kind-option",
    multiple=True,
    metavar="KEY=VALUE",
    help="A kind's option: KEY=VALUE (repeatable), e.g. payload_type=X12_270_Request_005010X279A1 for an X12 file.",
)
@click.option(
    "--password", is_flag=True, help="Check a candidate password against the feed's password rules (read without echo)."
)
@click.option(
    "--username", metavar="USERNAME", help="With --password: the username (Trading Partner ID) it must not resemble."
)
@click.option(
    "--history",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="With --password: file of previous password hashes (one per line), newest first.",
)
@click.option(
    "--last-change",
    metavar="DATE",
    help="With --password: date (YYYY-MM-DD) the current password was set, for the aging rule.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Processes for a large NDJSON file of a kind with a fast validator (uncompressed files); "
    "0: one per CPU for a file of 64 MB or more.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help="Spread the files over a Dask distributed cluster (the cluster extra); its workers read the same paths.",
)
def validate(
    paths: tuple[Path, ...],
    feed: str | None,
    kind: str | None,
    as_of: str | None,
    all_errors: bool,
    fmt: str,
    data: Path | None,
    reading: tuple[str, ...],
    signature: str | None,
    public_key: Path | None,
    request: Path | None,
    kind_option: tuple[str, ...],
    password: bool,
    username: str | None,
    history: Path | None,
    last_change: str | None,
    jobs: int,
    scheduler: str | None,
) -> None:
    """Validate sample files against the payer's published rules (or, with --password, a password).

    PATHS: files to validate; a folder (every file below it), a pattern (*.json, **/*.ndjson), or -
    (standard input).
    """
    if password:
        from .password_cmd import run_password_check

        _done(
            run_password_check(
                feed=feed,
                username=username,
                history=history,
                last_change=_as_of(last_change),
                as_of=_as_of(as_of),
                fmt=fmt,
                console=out(),
            )
        )
    from .validate_cmd import run_validate

    if not paths:
        raise PayercertError("give at least one file to validate")
    _done(
        run_validate(
            list(paths),
            feed=feed,
            kind=kind,
            as_of=_as_of(as_of),
            all_errors=all_errors,
            fmt=fmt,
            data=data,
            readings=_readings(list(reading)),
            console=out,
            signature=signature,
            public_key=public_key,
            request=request,
            kind_options=_readings(list(kind_option), "--kind-option"),
            jobs=jobs,
            scheduler=scheduler,
        )
    )


@app.command(
    short_help="Run each feed's suites against a target; write the certificate.",
    context_settings={**SETTINGS, "allow_extra_args": True, "ignore_unknown_options": True},
    epilog="A feed's own options (payercert feeds lists them) go on the same command line, e.g. --strict-ig or "
    "--webhook-url URL.",
)
@click.option("--feed", multiple=True, metavar="FEED", help="Feed id (repeatable); default: every implemented feed.")
@click.option(
    "--target",
    default="local",
    show_default=True,
    metavar="TARGET",
    help="Target name from payercert.toml, or 'local' for the bundled simulators.",
)
@click.option(
    "--suite",
    default="full",
    show_default=True,
    metavar="SUITE",
    help="smoke (fast, creates nothing), full, or a feed's own suite (`payercert feeds` lists them).",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Path to payercert.toml (default: ./payercert.toml).",
)
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    metavar="FOLDER",
    help="Folder for Allure results, the HTML report and the certificate.",
)
@click.option(
    "--allow-mutations",
    is_flag=True,
    help="Allow tests that create data on a production target (asks for confirmation).",
)
@click.option("--fault", metavar="FAULT", help="With --target local: run the simulator with this fault profile.")
@click.option(
    "--history",
    type=click.Path(path_type=Path),
    metavar="FOLDER",
    help="History location that successive runs append to (default: REPORTS/history).",
)
@click.option(
    "--reading", "strict", multiple=True, metavar="ID=OPTION", help="Pick a documented reading: ID=OPTION (repeatable)."
)
@click.option("--html/--no-html", default=True, show_default=True, help="Render the Allure HTML report after the run.")
@click.option("-v", "--verbose", is_flag=True, help="Show pytest's own output.")
@click.option("--examples", type=int, metavar="N", help="Hypothesis examples per property (default 25).")
@click.option(
    "--requirement",
    multiple=True,
    metavar="ID",
    help="Run only the tests of this requirement (repeatable): a check after a fix, not a certification.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    metavar="N",
    help="Hypothesis seed: replays a run's draws exactly (the certificate shows each run's seed; "
    "default: 0 on the local target, a new one elsewhere).",
)
@click.option(
    "--waive",
    multiple=True,
    metavar="ID=REASON",
    help="Accept a deviation for this run (repeatable): its failure shows WAIVED with the reason and does "
    "not fail the verdict.",
)
@click.option(
    "--events",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Append the run's progress to FILE as JSON lines (collected tests, each outcome, the end) for a watcher.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="With --target local: feeds certified side by side, one process each (default: all at once; 1: one process).",
)
@click.option("--part", is_flag=True, hidden=True)  # one feed of a side-by-side run (side_by_side.py)
@click.pass_context
def certify(
    ctx: click.Context,
    feed: tuple[str, ...],
    target: str,
    suite: str,
    config: Path | None,
    reports: Path,
    allow_mutations: bool,
    fault: str | None,
    history: Path | None,
    strict: tuple[str, ...],
    html: bool,
    verbose: bool,
    examples: int | None,
    requirement: tuple[str, ...],
    seed: int | None,
    waive: tuple[str, ...],
    events: Path | None,
    jobs: int,
    part: bool,
) -> None:
    """Run the conformance suites of each feed against a target; write results and the certificate."""
    from .certify import run_certify
    from .certify_request import CertifyRequest

    request = CertifyRequest(
        feeds=list(feed),
        target=target,
        suite=suite,
        config=config,
        reports=reports,
        allow_mutations=allow_mutations,
        fault=fault,
        history=history,
        readings=_readings(list(strict)),
        html=html,
        verbose=verbose,
        examples=examples,
        options=_feed_options(ctx.args),
        requirements=tuple(requirement),
        seed=seed,
        events=events,
        waivers=_readings(list(waive), "--waive"),
        jobs=jobs,
        part=part,
    )
    _done(run_certify(request, out()))


@app.command(short_help="Certify, watch, read failures and validate files in a browser.", context_settings=SETTINGS)
@click.option("--port", type=int, default=0, metavar="N", help="Port on 127.0.0.1 (0: any free port).")
@click.option(
    "--runs",
    type=click.Path(path_type=Path),
    metavar="FOLDER",
    help="Where the runs started in the app write (default: a new temporary folder).",
)
@click.option(
    "--history",
    type=click.Path(path_type=Path),
    default=Path("reports/history"),
    show_default=True,
    metavar="FOLDER",
    help="The runs history to show (certify's --history).",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    default=Path("payercert.toml"),
    show_default=True,
    metavar="FILE",
    help="Targets (payercert.toml).",
)
@click.option("--browser/--no-browser", default=True, show_default=True, help="Open the app in the default browser.")
def ui(port: int, runs: Path | None, history: Path, config: Path, browser: bool) -> None:
    """Pick, run and watch certifications in a browser, read failures, validate files, see past runs."""
    from .ui import serve

    _done(serve(port=port, workdir=runs, history=history, config=config, open_browser=browser, console=out()))


@app.command(short_help="Run a feed's simulator over HTTPS on 127.0.0.1.", context_settings=SETTINGS)
@click.argument("feed", metavar="FEED")
@click.option("--port", type=int, default=0, metavar="N", help="Port on 127.0.0.1 (0: any free port).")
@click.option("--fault", metavar="FAULT", help="Fault profile to run with.")
@click.option("--list-faults", is_flag=True, help="List the fault profiles, one per line, and exit.")
@click.option(
    "--suite",
    metavar="SUITE",
    help="A feed's own suite (payercert feeds lists them): run the reference system it certifies "
    "(e.g. a webhook handler) instead of the payer's simulator.",
)
def simulate(feed: str, port: int, fault: str | None, list_faults: bool, suite: str | None) -> None:
    """Run a feed's simulator over HTTPS on 127.0.0.1 until interrupted."""
    from .simulate_cmd import run_simulate

    _done(run_simulate(feed, port=port, fault=fault, list_faults=list_faults, console=out(), suite=suite))


@app.command(short_help="List the feeds found: document, kinds, suites, options, origin.", context_settings=SETTINGS)
def feeds() -> None:
    """List the feeds found (entry points `payercert.feeds`): document, kinds, suites, options, origin."""
    from .feeds_cmd import list_feeds

    _done(list_feeds(out()))


@app.command(short_help="Render (or serve) the HTML report and certificate of a run.", context_settings=SETTINGS)
@click.option(
    "--reports",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    metavar="FOLDER",
    help="The folder a certify run wrote.",
)
@click.option(
    "--history", type=click.Path(path_type=Path), metavar="FOLDER", help="History location (default: REPORTS/history)."
)
@click.option("--single-file", is_flag=True, help="Render the Allure report as one HTML file (to attach; tens of MB).")
@click.option(
    "--serve", is_flag=True, help="Serve the rendered reports on 127.0.0.1 until Ctrl-C instead of rendering."
)
@click.option("--port", type=int, default=0, metavar="PORT", help="With --serve: the port (default: any free one).")
def report(reports: Path, history: Path | None, single_file: bool, serve: bool, port: int) -> None:
    """Render the Allure HTML report and the certificate from a certify run's results, or serve them."""
    if serve:
        from .reporting.serve import serve_reports

        _done(serve_reports(reports, port, lambda line: out().print(line, soft_wrap=True, highlight=False)))
    from .reporting.render import render_reports

    _done(render_reports(reports, history, out(), single_file))


def _feed_options(args: list[str]) -> dict[str, str | None]:
    """What the certify command did not know itself: feeds' own options (`--strict-ig`, `--NAME VALUE`
    or `--NAME=VALUE`), checked against the chosen feeds' declarations when the run is prepared."""
    from .contract import registered

    takes_value = {o.name for package in registered().values() for o in package.options if o.metavar}
    options: dict[str, str | None] = {}
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("--") or arg == "--":
            raise PayercertError(f"unexpected argument {arg!r}")
        name, eq, value = arg[2:].partition("=")
        if eq:
            options[name] = value
        elif name in takes_value:
            given = next(rest, None)
            if given is None or given.startswith("--"):
                raise PayercertError(f"--{name} needs a value")
            options[name] = given
        else:
            options[name] = None
    return options


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PayercertError(f"--as-of {value!r} is not a date in YYYY-MM-DD form") from None


def _readings(items: list[str], option: str = "--reading") -> dict[str, str]:
    """ID=VALUE pairs of a repeatable option (--reading, --kind-option, --waive)."""
    form = {"--reading": "ID=OPTION", "--waive": "ID=REASON"}.get(option, "KEY=VALUE")
    readings = {}
    for item in items:
        if "=" not in item:
            raise PayercertError(f"{option} {item!r}: write it as {form}")
        key, value = item.split("=", 1)
        readings[key.strip()] = value.strip()
    return readings


def main() -> None:
    """Console entry point: a one-line error and the right exit code, never a traceback."""
    try:
        code = app.main(prog_name="payercert", standalone_mode=False)
    except PayercertError as exc:
        from .redact import REDACTOR

        err().print(f"[bold red]error:[/bold red] {REDACTOR.text(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        err().print("aborted")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err().print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:  # a usage error: one line
        err().print(f"[bold red]error:[/bold red] {exc.format_message()}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # the unexpected: still one line
        from .redact import REDACTOR

        err().print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: {REDACTOR.text(str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


__all__ = ["app", "main", "EXIT_FINDINGS"]
