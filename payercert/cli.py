"""The `payercert` command: validate files, certify targets, run simulators, render reports."""

from __future__ import annotations

import os
import sys
import warnings

# A user's terminal shows payercert's own words only. A warning raised inside a dependency (a
# deprecation between two libraries) is nothing the user can act on; ours still show.
warnings.filterwarnings("ignore", module=r"(?!payercert(\.|$))")
from datetime import date
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, PayercertError
from .redact import REDACTOR

app = typer.Typer(
    help="Conformance and validation harness for healthcare payer feeds.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _plain_metavar(option: typer.core.TyperOption, ctx: object) -> str | None:
    """What an option's help shows after its name: nothing for a flag, its metavar, else its long
    name in capitals (FEED, TARGET), never typer's Python types (<list[str]>, <bool>)."""
    if option.is_flag or option.count:
        return None
    if option.metavar is not None:
        return option.metavar
    choices = option.type_descriptor.choices if option.type_descriptor.is_choice else None
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    long = next((o for o in option.opts if o.startswith("--")), option.opts[0])
    return long.lstrip("-").upper().replace("-", "_")


typer.core.TyperOption.display_type_rich = _plain_metavar  # type: ignore[method-assign,assignment]
typer.core.TyperArgument.display_type_rich = lambda argument, ctx: None  # type: ignore[method-assign,assignment]  # its name says it

# Piped into a log, output keeps a wide table's columns whole instead of wrapping at rich's 80
# (COLUMNS, when set, still decides).
PIPE_WIDTH = 200
out = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH)
err = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    junit = "junit"
    sarif = "sarif"


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            out.print(f"payercert {version('payercert')}", highlight=False)
        except PackageNotFoundError:
            out.print("payercert (not installed: run from a checkout)", highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print payercert's version and exit."
    ),
) -> None:
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from .wizard import run_wizard

            raise typer.Exit(run_wizard(out))
        out.print(ctx.get_help())
        raise typer.Exit(EXIT_OK)


@app.command()
def validate(
    paths: list[Path] = typer.Argument(
        None,
        help="Files to validate; a folder (every file below it), a pattern (*.json, **/*.ndjson), or - (standard input).",
        show_default=False,
    ),
    feed: str | None = typer.Option(None, help="Feed id (detected when omitted)."),
    kind: str | None = typer.Option(None, help="Kind of file within the feed (detected when omitted)."),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Fix the payer's 'today' (YYYY-MM-DD) for a reproducible verdict."
    ),
    all_errors: bool = typer.Option(
        False, "--all-errors", help="Every failing rule, not only the first one the payer would return."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
    data: Path | None = typer.Option(
        None, metavar="FILE", help="Target reference data (YAML/JSON): enables the checks that need it."
    ),
    reading: list[str] = typer.Option(
        [], "--reading", metavar="ID=OPTION", help="Pick a documented reading: ID=OPTION (repeatable)."
    ),
    signature: str | None = typer.Option(
        None,
        metavar="TOKEN",
        help="The signature header sent with a webhook body: the token, @FILE, or the header line.",
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", metavar="FILE", help="The sender's public key (PEM or OpenSSH) to verify --signature."
    ),
    request: Path | None = typer.Option(
        None,
        "--request",
        metavar="FILE",
        help="The request a response or error payload answers (default: its sibling <name>.request.json).",
    ),
    kind_option: list[str] = typer.Option(
        [],
        "--kind-option",
        metavar="KEY=VALUE",
        help="A kind's option: KEY=VALUE (repeatable), e.g. payload_type=X12_270_Request_005010X279A1 for an X12 file.",
    ),
    password: bool = typer.Option(
        False, "--password", help="Check a candidate password against the feed's password rules (read without echo)."
    ),
    username: str | None = typer.Option(
        None, help="With --password: the username (Trading Partner ID) it must not resemble."
    ),
    history: Path | None = typer.Option(
        None, metavar="FILE", help="With --password: file of previous password hashes (one per line), newest first."
    ),
    last_change: str | None = typer.Option(
        None,
        "--last-change",
        metavar="DATE",
        help="With --password: date (YYYY-MM-DD) the current password was set, for the aging rule.",
    ),
    jobs: int = typer.Option(
        0,
        "--jobs",
        metavar="N",
        min=0,
        help="Processes for a large NDJSON file of a kind with a fast validator (uncompressed files); 0: one per CPU for a file of 64 MB or more.",
    ),
    scheduler: str | None = typer.Option(
        None,
        metavar="tcp://HOST:PORT",
        help="Spread the files over a Dask distributed cluster (the cluster extra); its workers read the same paths.",
    ),
) -> None:
    """Validate sample files against the payer's published rules (or, with --password, a password)."""
    if password:
        from .password_cmd import run_password_check

        raise typer.Exit(
            run_password_check(
                feed=feed,
                username=username,
                history=history,
                last_change=_as_of(last_change),
                as_of=_as_of(as_of),
                fmt=fmt.value,
                console=out,
            )
        )
    from .validate_cmd import run_validate

    if not paths:
        raise PayercertError("give at least one file to validate")
    code = run_validate(
        paths,
        feed=feed,
        kind=kind,
        as_of=_as_of(as_of),
        all_errors=all_errors,
        fmt=fmt.value,
        data=data,
        readings=_readings(reading),
        console=out,
        signature=signature,
        public_key=public_key,
        request=request,
        kind_options=_readings(kind_option, "--kind-option"),
        jobs=jobs,
        scheduler=scheduler,
    )
    raise typer.Exit(code)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="A feed's own options (payercert feeds lists them) go on the same command line, e.g. --strict-ig or --webhook-url URL.",
)
def certify(
    ctx: typer.Context,
    feed: list[str] = typer.Option([], "--feed", help="Feed id (repeatable); default: every implemented feed."),
    target: str = typer.Option("local", help="Target name from payercert.toml, or 'local' for the bundled simulators."),
    suite: str = typer.Option(
        "full",
        help="smoke (fast, creates nothing), full, or a feed's own suite (`payercert feeds` lists them).",
    ),
    config: Path | None = typer.Option(
        None, metavar="FILE", help="Path to payercert.toml (default: ./payercert.toml)."
    ),
    reports: Path = typer.Option(
        Path("reports"), metavar="FOLDER", help="Folder for Allure results, the HTML report and the certificate."
    ),
    allow_mutations: bool = typer.Option(
        False, "--allow-mutations", help="Allow tests that create data on a production target (asks for confirmation)."
    ),
    fault: str | None = typer.Option(None, help="With --target local: run the simulator with this fault profile."),
    history: Path | None = typer.Option(
        None, metavar="FOLDER", help="History location that successive runs append to (default: REPORTS/history)."
    ),
    strict: list[str] = typer.Option(
        [], "--reading", metavar="ID=OPTION", help="Pick a documented reading: ID=OPTION (repeatable)."
    ),
    html: bool = typer.Option(True, "--html/--no-html", help="Render the Allure HTML report after the run."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show pytest's own output."),
    examples: int | None = typer.Option(None, metavar="N", help="Hypothesis examples per property (default 25)."),
    requirement: list[str] = typer.Option(
        [],
        "--requirement",
        help="Run only the tests of this requirement (repeatable): a check after a fix, not a certification.",
    ),
    seed: int | None = typer.Option(
        None,
        "--seed",
        metavar="N",
        min=0,
        help="Hypothesis seed: replays a run's draws exactly (the certificate shows each run's seed; "
        "default: 0 on the local target, a new one elsewhere).",
    ),
    waive: list[str] = typer.Option(
        [],
        "--waive",
        metavar="ID=REASON",
        help="Accept a deviation for this run (repeatable): its failure shows WAIVED with the reason and does not fail the verdict.",
    ),
    events: Path | None = typer.Option(
        None,
        "--events",
        metavar="FILE",
        help="Append the run's progress to FILE as JSON lines (collected tests, each outcome, the end) for a watcher.",
    ),
    jobs: int = typer.Option(
        0,
        metavar="N",
        help="With --target local: feeds certified side by side, one process each (default: all at once; 1: one process).",
    ),
    part: bool = typer.Option(False, "--part", hidden=True),  # one feed of a side-by-side run (side_by_side.py)
) -> None:
    """Run the conformance suites of each feed against a target; write results and the certificate."""
    from .certify import run_certify
    from .certify_request import CertifyRequest

    request = CertifyRequest(
        feeds=feed,
        target=target,
        suite=suite,
        config=config,
        reports=reports,
        allow_mutations=allow_mutations,
        fault=fault,
        history=history,
        readings=_readings(strict),
        html=html,
        verbose=verbose,
        examples=examples,
        options=_feed_options(ctx.args),
        requirements=tuple(requirement),
        seed=seed,
        events=events,
        waivers=_readings(waive, "--waive"),
        jobs=jobs,
        part=part,
    )
    raise typer.Exit(run_certify(request, out))


@app.command()
def ui(
    port: int = typer.Option(0, metavar="N", help="Port on 127.0.0.1 (0: any free port)."),
    runs: Path | None = typer.Option(
        None,
        "--runs",
        metavar="FOLDER",
        help="Where the runs started in the app write (default: a new temporary folder).",
    ),
    history: Path = typer.Option(
        Path("reports/history"), metavar="FOLDER", help="The runs history to show (certify's --history)."
    ),
    config: Path = typer.Option(Path("payercert.toml"), metavar="FILE", help="Targets (payercert.toml)."),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="Open the app in the default browser."),
) -> None:
    """Pick, run and watch certifications in a browser, read failures, validate files, see past runs."""
    from .ui import serve

    raise typer.Exit(serve(port=port, workdir=runs, history=history, config=config, open_browser=browser, console=out))


@app.command()
def simulate(
    feed: str = typer.Argument(..., help="Feed id."),
    port: int = typer.Option(0, metavar="N", help="Port on 127.0.0.1 (0: any free port)."),
    fault: str | None = typer.Option(None, help="Fault profile to run with."),
    list_faults: bool = typer.Option(False, "--list-faults", help="List the fault profiles, one per line, and exit."),
    suite: str | None = typer.Option(
        None,
        "--suite",
        help="A feed's own suite (payercert feeds lists them): run the reference system it certifies "
        "(e.g. a webhook handler) instead of the payer's simulator.",
    ),
) -> None:
    """Run a feed's simulator over HTTPS on 127.0.0.1 until interrupted."""
    from .simulate_cmd import run_simulate

    raise typer.Exit(
        run_simulate(
            feed,
            port=port,
            fault=fault,
            list_faults=list_faults,
            console=out,
            suite=suite,
        )
    )


@app.command()
def feeds() -> None:
    """List the feeds found (entry points `payercert.feeds`): document, kinds, suites, options, origin."""
    from .feeds_cmd import list_feeds

    raise typer.Exit(list_feeds(out))


@app.command()
def report(
    reports: Path = typer.Option(Path("reports"), metavar="FOLDER", help="The folder a certify run wrote."),
    history: Path | None = typer.Option(None, metavar="FOLDER", help="History location (default: REPORTS/history)."),
    single_file: bool = typer.Option(
        False, "--single-file", help="Render the Allure report as one HTML file (to attach; tens of MB)."
    ),
    serve: bool = typer.Option(
        False, "--serve", help="Serve the rendered reports on 127.0.0.1 until Ctrl-C instead of rendering."
    ),
    port: int = typer.Option(0, metavar="PORT", help="With --serve: the port (default: any free one)."),
) -> None:
    """Render the Allure HTML report and the certificate from a certify run's results, or serve them."""
    if serve:
        from .reporting.serve import serve_reports

        raise typer.Exit(serve_reports(reports, port, lambda line: out.print(line, soft_wrap=True, highlight=False)))
    from .reporting.render import render_reports

    raise typer.Exit(render_reports(reports, history, out, single_file))


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
        code = app(standalone_mode=False)
    except PayercertError as exc:
        err.print(f"[bold red]error:[/bold red] {REDACTOR.text(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # usage errors and the unexpected: still one line
        if isinstance(exc, typer.TyperException):
            err.print(f"[bold red]error:[/bold red] {exc.format_message()}", highlight=False, soft_wrap=True)
            sys.exit(EXIT_USAGE)
        err.print(
            f"[bold red]internal error:[/bold red] {type(exc).__name__}: {REDACTOR.text(str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


__all__ = ["app", "main", "EXIT_FINDINGS"]
