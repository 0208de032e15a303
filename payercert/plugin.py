"""The pytest plugin: turns a pytest session over `suites/` into a certify run.

It stays inert unless the session runs suites (a path under the installed `suites/`, or
`--payercert-target`), so the harness's own tests and anyone else's pytest are untouched.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis.errors
import pytest
from hypothesis import HealthCheck, Phase, settings

from . import events
from .broken import RequirementBroken
from .contract import registered
from .errors import CannotTell, PayercertError, TransportError
from .exchange_checks import Violation
from .feeds import load_feed
from .history import record_run
from .redact import REDACTOR
from .reporting import allure_results
from .reporting.allure_results import report_exchange_check
from .reporting.certificate import FeedRun, TestOutcome, build_certificate, write_certificate
from .session import Run, RunOptions, TargetContext
from .surfaces import coverage

RUN_KEY = pytest.StashKey[Run]()
SEED_KEY = pytest.StashKey[int]()
MARKERS = {
    "requirement(*ids)": "the catalogue requirements this test verifies",
    "readonly": "creates and changes nothing at the payer: may run on production",
    "smoke": "fast, and read-only by definition (creates nothing at the payer)",
    "mutating": "creates data at the payer (refused on production unless allowed)",
    "slow": "takes more than a few seconds",
}
READ_ONLY = ("readonly", "smoke")
TIMEOUT_MESSAGE = "Timeout ("  # how pytest-timeout words the failure it raises  # what declares a test safe for production; anything else may write
NAMED_FAILURE = re.compile(r"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+): ")  # a message that opens "<requirement id>: "
LOCAL_SEED = 0  # the local target's draws never change from run to run


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("payercert", "payercert conformance run")
    group.addoption("--payercert-target", default=None, help="target name ('local': bundled simulators)")
    group.addoption("--payercert-config", default=None, help="path to payercert.toml")
    group.addoption(
        "--payercert-suite",
        default="full",
        help="smoke, full, or a feed's own suite (a folder of the feed's suites)",
    )
    group.addoption("--payercert-fault", default=None, help="local simulator fault profile")
    group.addoption("--payercert-reports", default="reports", help="folder for results and the certificate")
    group.addoption("--payercert-history", default=None, help="history location (default: REPORTS/history)")
    group.addoption("--payercert-events", default=None, help="append the run's progress to this file (JSON lines)")
    group.addoption(
        "--payercert-part",
        action="store_true",
        help="one feed's part of a run certified side by side: leave the history to the run",
    )
    group.addoption("--payercert-waiver", action="append", default=[], help="ID=REASON: a waiver for this run")
    group.addoption("--payercert-allow-mutations", action="store_true", default=False)
    group.addoption("--payercert-reading", action="append", default=[], help="ID=OPTION")
    group.addoption(
        "--payercert-examples",
        type=int,
        default=int(os.environ.get("PAYERCERT_EXAMPLES", 25)),
        help="hypothesis examples per property (env PAYERCERT_EXAMPLES)",
    )
    group.addoption(
        "--payercert-seed",
        type=int,
        default=None,
        help="Hypothesis seed of the run (default: 0 on the local target, a new one elsewhere; recorded)",
    )
    group.addoption(
        "--payercert-requirement",
        action="append",
        default=[],
        help="run only the tests of this requirement (repeatable)",
    )
    group.addoption(
        "--payercert-option",
        action="append",
        default=[],
        help="NAME=VALUE: a feed's run option that takes a value (payercert feeds lists them)",
    )


def _runs_suites(config: pytest.Config) -> bool:
    """A run over a feed's suites (or the folder holding them), or one given a target."""
    if config.getoption("payercert_target"):
        return True
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if _feed_at(path) is not None or any(root.parent == path for root in _suite_roots()):
            return True
    return False


@cache
def _suite_roots() -> dict[Path, str]:
    """Each registered feed's suites folder (resolved) and the feed's id."""
    return {package.suites.resolve(): feed_id for feed_id, package in registered().items() if package.suites}


def _feed_at(path: Path) -> str | None:
    for root, feed_id in _suite_roots().items():
        if path == root or root in path.parents:
            return feed_id
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    if not _runs_suites(config):
        return
    reports = Path(config.getoption("payercert_reports"))
    readings = dict(item.split("=", 1) for item in config.getoption("payercert_reading"))
    options = RunOptions(
        target=config.getoption("payercert_target") or "local",
        config=Path(config.getoption("payercert_config")) if config.getoption("payercert_config") else None,
        suite=config.getoption("payercert_suite"),
        fault=config.getoption("payercert_fault"),
        reports=reports,
        history=Path(h) if (h := config.getoption("payercert_history")) else None,
        allow_mutations=config.getoption("payercert_allow_mutations"),
        production_confirmed=os.environ.get("PAYERCERT_CONFIRM_PRODUCTION"),
        readings=readings,
        examples=config.getoption("payercert_examples"),
        option_values=dict(item.split("=", 1) for item in config.getoption("payercert_option")),
        requirements=tuple(config.getoption("payercert_requirement")),
        waivers=dict(item.split("=", 1) for item in config.getoption("payercert_waiver")),
        part=config.getoption("payercert_part"),
    )
    run = Run(options)
    run.seed = config.stash[SEED_KEY]
    prepared = next(
        (p for p in config.pluginmanager.get_plugins() if getattr(p, "name", None) == "payercert-prepared"), None
    )
    if prepared is not None:  # `payercert certify` resolved the targets (and any prompts) already
        run.targets.update({feed_id: run.waived(t) for feed_id, t in prepared.targets.items()})
        options.production_confirmed = prepared.production_confirmed or options.production_confirmed
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(_StopWatch(run, prepared), "payercert-stop-watch")
    watchers = list(prepared.watchers) if prepared is not None else []  # `certify`'s progress bar
    if events_path := config.getoption("payercert_events"):
        emit, stream = events.to_file(Path(events_path))
        config.add_cleanup(stream.close)
        watchers.append(emit)
    if watchers:
        config.pluginmanager.register(
            events.RunEvents(events.fan_out(watchers), lambda: run.outcomes, _feed_of, _title), "payercert-events"
        )
    if not config.option.allure_report_dir:
        config.option.allure_report_dir = str(reports / "allure-results")
        config.option.clean_alluredir = True
    # No shrinking: against a live target every shrink step is a request, and the first
    # counterexample (attached with its exchange) is what a QA engineer acts on.
    settings.register_profile(
        "payercert",
        max_examples=options.examples,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        print_blob=False,
        derandomize=False,  # the run's seed decides every draw, on every target (see _seed)
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    settings.load_profile("payercert")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any plugin is configured: a suites run's seed goes to Hypothesis' `--hypothesis-seed`,
    which Hypothesis' own plugin reads when it is configured."""
    if _runs_suites(config):
        config.stash[SEED_KEY] = _seed(config, config.getoption("payercert_target") or "local")


def _seed(config: pytest.Config, target: str) -> int:
    """The run's Hypothesis seed, handed to Hypothesis' own `--hypothesis-seed`:
    `--payercert-seed`, else Hypothesis' option, else a fixed one on the local target and a new one
    elsewhere. Recorded in the certificate, so `--seed N` replays a run's draws exactly."""
    seed = config.getoption("payercert_seed")
    if seed is None and config.getoption("hypothesis_seed", None) is not None:
        seed = int(config.getoption("hypothesis_seed"))
    if seed is None:
        seed = LOCAL_SEED if target == "local" else secrets.randbelow(2**32)
    config.option.hypothesis_seed = str(seed)  # as typed on a command line: Hypothesis skips a falsy 0
    return seed


def pytest_sessionstart(session: pytest.Session) -> None:
    if RUN_KEY in session.config.stash:
        allure_results.install_redacting_writer(session.config.add_cleanup)


def _feed_of(item: pytest.Item) -> str | None:
    return _feed_at(Path(str(item.path)).resolve())


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    selected, deselected = [], []
    for item in items:
        feed_id = _feed_of(item)
        if feed_id is None:
            selected.append(item)
            continue
        feed = load_feed(feed_id)
        if _suite_of(item, feed) != _chosen(run.options.suite, feed):
            deselected.append(item)  # a feed's own suite runs alone, and only when chosen
            continue
        ids = [rid for mark in item.iter_markers("requirement") for rid in mark.args]
        if not ids:
            raise pytest.UsageError(f"{item.nodeid} names no requirement (@pytest.mark.requirement)")
        unknown = [rid for rid in ids if rid not in feed.requirements]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} names unknown requirement(s) {', '.join(unknown)}")
        if run.options.suite == "smoke" and item.get_closest_marker("smoke") is None:
            deselected.append(item)
            continue
        if run.options.requirements and not set(ids) & set(run.options.requirements):
            deselected.append(item)
            continue
        for mark in allure_results.label_marks(
            feed, [feed.requirements[r] for r in ids], feed.spec["source"].get("url")
        ):
            item.add_marker(mark)
        item.add_marker(
            pytest.mark.allure_label(item.nodeid, label_type="payercert.nodeid")
        )  # the ui finds its exchanges
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def _suite_of(item: pytest.Item, feed) -> str | None:
    """The feed's own suite a test belongs to (its folder), or None for the full/smoke suites."""
    path = Path(str(item.path)).resolve()
    for suite in feed.extra_suites().values():
        if suite.path.resolve() in path.parents:
            return suite.name
    return None


def _chosen(suite: str, feed) -> str | None:
    if suite in ("full", "smoke"):
        return None
    if suite not in feed.extra_suites():
        known = ", ".join(["full", "smoke", *feed.extra_suites()])
        raise pytest.UsageError(f"feed {feed.id} has no suite {suite!r} (known: {known})")
    return suite


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The production guard, failing safe: on a production target only a test declared read-only
    runs (unless writes were allowed and confirmed for this run). Unmarked, misspelt or unknown
    markers all mean "may write"."""
    run = item.config.stash.get(RUN_KEY, None)
    if run is None or declared_read_only(item.iter_markers()):
        return
    feed_id = _feed_of(item)
    try:
        if not run.production(feed_id) or run.writes_allowed(feed_id):
            return
    except PayercertError as exc:  # the target cannot be built (a missing secret): the run stops, as the fixture's
        pytest.exit(f"payercert: {exc}", returncode=exc.exit_code)
    run.guarded.append(item.nodeid)
    pytest.skip(
        f"production guard: {run.options.target} is production and this test is not declared read-only "
        "(allow writes with --allow-mutations and confirm)"
    )


def declared_read_only(marks: Iterable[pytest.Mark]) -> bool:
    names = {mark.name for mark in marks}
    return bool(names & set(READ_ONLY)) and "mutating" not in names


@pytest.fixture(scope="session")
def _payercert_run(request: pytest.FixtureRequest) -> Run:
    run = request.config.stash.get(RUN_KEY, None)
    if run is None:
        pytest.skip("not a payercert run (give --payercert-target or run a path under suites/)")
    return run


@pytest.fixture
def target(request: pytest.FixtureRequest, _payercert_run: Run) -> TargetContext:
    """The target this test's feed runs against."""
    feed_id = _feed_of(request.node)
    if feed_id is None:
        pytest.skip("the target fixture serves tests under suites/<feed>/")
    try:
        return _payercert_run.context(feed_id)
    except PayercertError as exc:
        pytest.exit(f"payercert: {exc}", returncode=exc.exit_code)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    run = item.config.stash.get(RUN_KEY, None)
    feed_id = _feed_of(item)
    if run is None or feed_id is None:
        return
    _redact_report(report)
    seen = run.take_violations() if report.when == "call" else []  # before any replay adds its own
    reached = run.take_reached(feed_id) if report.when == "call" else []  # its setup's and its own
    status, message, detail = _status(report, call)
    if status == "failed" and call.when == "call" and not _reproduces(item):
        status, message = "broken", f"not reproduced on replay: {message}"
    if report.when == "call":
        run.take_violations()  # what a replay met is this test's, not the next one's
        run.take_reached(feed_id)
    requirements = tuple(rid for mark in item.iter_markers("requirement") for rid in mark.args)
    run.outcomes += _exchange_outcomes(item, run, feed_id, seen, requirements if status == "failed" else ())
    target = run.targets.get(feed_id)
    waivers = target.waivers if target else {}
    if status in ("failed", "broken") and requirements and all(r in waivers for r in requirements):
        reason = "; ".join(f"{r}: {waivers[r]}" for r in requirements)
        report.outcome, report.wasxfail = "skipped", f"WAIVED {reason}"
        status, message = "waived", f"WAIVED ({reason}) — {message}"
    if report.when == "call" or (report.when == "setup" and status != "passed"):
        broken = _broken_elsewhere(call, feed_id, requirements, run) if report.when == "call" else None
        if status in ("passed", "failed", "waived"):  # a test that told something checked its requirements there
            run.count_checked(feed_id, requirements if broken is None else (broken,), reached)
        if broken is not None:  # named by the rule that failed, not by the test that met it
            run.outcomes += [
                TestOutcome(item.nodeid, _title(item), feed_id, (broken,), status, message, report.duration, detail),
                TestOutcome(
                    f"{item.nodeid}[not reached]",
                    _title(item),
                    feed_id,
                    tuple(r for r in requirements if r != broken),
                    "skipped",
                    f"not verified: the test stopped at a failure of {broken}",
                ),
            ]
            return
        run.outcomes.append(
            TestOutcome(
                nodeid=item.nodeid,
                title=_title(item),
                feed=feed_id,
                requirements=requirements,
                status=status,
                message=message,
                duration=report.duration,
                detail=detail,
            )
        )


def _broken_elsewhere(call: pytest.CallInfo, feed_id: str, requirements: tuple[str, ...], run: Run) -> str | None:
    """The requirement a failure names (RequirementBroken, or an assertion whose message opens with a
    requirement id), when it is not all the test verifies, the feed has it and the run checks it
    (under --requirement a failure is never moved out of sight)."""
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, RequirementBroken):
        named: str | None = exc.requirement
    elif isinstance(exc, AssertionError | pytest.fail.Exception):
        opening = NAMED_FAILURE.match(str(exc))
        named = opening.group(1) if opening else None
    else:
        named = None
    if named is None or requirements == (named,):
        return None
    wanted = run.options.requirements
    known = named in load_feed(feed_id).requirements
    return named if known and (not wanted or named in wanted) else None


def _exchange_outcomes(
    item: pytest.Item, run: Run, feed_id: str, seen: list[Violation], own_failed: tuple[str, ...]
) -> list[TestOutcome]:
    """One outcome per requirement the exchange checks found broken during a test, named by that
    requirement: failed when the server gives the violation again (the request sent again when that
    is safe, else the test replayed), inconclusive when it does not, as a test's own failure is. A
    requirement the test verified and failed on itself is its own finding already; one the run does
    not check (--requirement) is left out."""
    wanted = set(run.options.requirements)
    first: dict[str, Violation] = {}
    for violation in seen:
        if violation.requirement not in own_failed and (not wanted or violation.requirement in wanted):
            first.setdefault(violation.requirement, violation)
    if not first:
        return []
    context = run.contexts[feed_id]
    again = {rid: context.asked_again(v) for rid, v in first.items()}
    if None in again.values():  # a request not safe to repeat: replay the test that sent it
        try:
            item.runtest()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # the test's own outcome is reported already
            pass
        replayed = {v.requirement for v in run.take_violations()}
        again = {rid: (rid in replayed) if held is None else held for rid, held in again.items()}
    outcomes = []
    for requirement, violation in first.items():
        line = f"{violation.problem} ({violation.exchange}, during {_title(item)})"
        outcomes.append(
            TestOutcome(
                nodeid=f"{item.nodeid}[every response: {requirement}]",
                title=f"Every response: {requirement}",
                feed=feed_id,
                requirements=(requirement,),
                status="failed" if again[requirement] else "broken",
                message=line if again[requirement] else f"not reproduced when asked again: {line}",
            )
        )
        report_exchange_check(outcomes[-1], context.feed)
    return outcomes


def _reproduces(item: pytest.Item) -> bool:
    """A failure is a finding only when the test fails the same way on replay (same fixtures, same
    seed); one that does not is inconclusive: a verdict must never hang on timing or load."""
    try:
        item.runtest()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a skip or a transport error on replay confirms nothing
        return _is_failure(exc)
    return False


def _status(report: pytest.TestReport, call: pytest.CallInfo) -> tuple[str, str, str]:
    """(status, one-line message, evidence). `failed` is the target's doing; `broken` means the run
    could not tell (transport, timeout, a failure Hypothesis could not reproduce, a payercert defect)."""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "skipped", reason.removeprefix("Skipped: "), ""
    if report.passed:
        return "passed", "", ""
    excinfo = call.excinfo
    if excinfo is None:
        return "failed", _first_line(str(report.longrepr)) or "assertion failed", ""
    exc = excinfo.value
    if isinstance(exc, TransportError):
        return "broken", f"transport: {exc}", ""
    if isinstance(exc, CannotTell):
        return "broken", f"cannot tell: {exc}", ""
    if isinstance(exc, pytest.fail.Exception) and str(exc).startswith(TIMEOUT_MESSAGE):
        return "broken", "timeout: the test ran past its time limit", ""
    if isinstance(exc, hypothesis.errors.Flaky):
        return "broken", f"not reproduced on replay: {_first_line(str(exc))}", ""
    if _is_failure(exc):
        return "failed", _first_line(str(exc)) or "assertion failed", ""
    trace = REDACTOR.text(str(excinfo.getrepr(style="short", chain=True)))
    return "broken", f"payercert defect: {excinfo.typename}: {_first_line(str(exc))}", trace[-8000:]


def _is_failure(exc: BaseException) -> bool:
    """An assertion (or pytest.fail) of a suite, alone or as every member of an exception group."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_failure(e) for e in exc.exceptions)
    return isinstance(exc, AssertionError | pytest.fail.Exception)


def _first_line(text: str) -> str:
    return REDACTOR.text(text).strip().split("\n", 1)[0]


def _redact_report(report: pytest.TestReport) -> None:
    """Failure text and captured output pass through redaction before anything prints them."""
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        report.longrepr = REDACTOR.text(str(report.longrepr))
    report.sections = [(name, REDACTOR.text(text)) for name, text in report.sections]


def _title(item: pytest.Item) -> str:
    doc = getattr(item.function, "__doc__", None) if hasattr(item, "function") else None
    return doc.strip().splitlines()[0] if doc else item.name


class _StopWatch:
    """Notes why a run was stopped (pytest.exit with the user's error, such as a key that cannot be
    read, or Ctrl-C): a stopped run certifies nothing, and `payercert certify` says why."""

    def __init__(self, run: Run, prepared: Any) -> None:
        self.run, self.prepared = run, prepared

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        message = str(getattr(excinfo.value, "msg", "") or "the run was interrupted")
        self.run.stopped = message.removeprefix("payercert: ")
        if self.prepared is not None:
            self.prepared.stopped = self.run.stopped


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    try:
        if run.stopped is None:
            _write_outputs(run)
    finally:
        run.close()


def _write_outputs(run: Run) -> None:
    reports = run.options.reports
    finished = datetime.now(UTC)
    feed_runs = []
    for feed_id, target in run.targets.items():
        own = load_feed(feed_id).extra_suites().get(run.options.suite)
        feed_runs.append(
            FeedRun(
                feed=load_feed(feed_id),
                target=target.name,
                environment=target.environment,
                suite=run.options.suite,
                started=run.started,
                finished=finished,
                outcomes=[o for o in run.outcomes if o.feed == feed_id],
                waivers=target.waivers,
                fault=run.options.fault if target.local else None,
                client_areas=own.client_areas if own else (),
                surfaces=coverage(feed_id, run.reached_by(feed_id)),
                only=tuple(r for r in run.options.requirements if r in load_feed(feed_id).requirements),
            )
        )
    history = run.options.history or reports / "history"
    history.mkdir(parents=True, exist_ok=True)
    last_green_path = history / "last-green.json"
    last_green = json.loads(last_green_path.read_text()) if last_green_path.is_file() else {}
    certificate, last_green = build_certificate(feed_runs, last_green, seed=run.seed)
    write_certificate(certificate, reports)
    if not run.options.part:  # a part's caller records the whole run (payercert/side_by_side.py)
        last_green_path.write_text(json.dumps(last_green, indent=2), encoding="utf-8")
        record_run(history, certificate, reports, run.options.target, run.options.suite)
    allure_results.write_environment(
        reports / "allure-results",
        {
            "payercert.target": run.options.target,
            "payercert.suite": run.options.suite,
            "payercert.fault": run.options.fault or "none",
            "payercert.seed": str(run.seed),
            "payercert.version": certificate.get("payercert_version", ""),
            **{f"feed.{t.feed}.environment": t.environment for t in run.targets.values()},
            **{f"feed.{f.feed.id}.document": f.feed.document_name for f in feed_runs},
            **{f"feed.{t.feed}.production": str(t.production).lower() for t in run.targets.values()},
            "payercert.production_guard.skipped": str(len(run.guarded)),
        },
    )
    (reports / "run.json").write_text(
        json.dumps(
            {
                "target": run.options.target,
                "suite": run.options.suite,
                "fault": run.options.fault,
                "guarded": run.guarded,
                "seed": run.seed,
                "history": str(history),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
