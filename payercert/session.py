"""One certify run: which target each feed runs against, the live simulators, and what happened.

Suites see a target only through `TargetContext`: URLs, credentials, reference data, the
readings the target chose, and one HTTP transport. They never reach into a simulator: the
local target is tested exactly like a payer's sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import allure
import pytest

from .config import Target, build_target, load_config
from .errors import ConfigError, TransportError
from .exchange_checks import Violation, applying, covers, find, longest_limit, overdue
from .feeds import Feed, load_feed
from .redact import REDACTOR
from .reporting.certificate import TestOutcome
from .run_options import applicable, with_options
from .secrets import Secret
from .server import BackgroundServer, Listener
from .sftp_endpoint import SftpEndpoint, local_sftp_endpoint
from .simulation import load_simulator, merge_local_target
from .surfaces import surfaces_of
from .tls import LocalCA
from .transport import Limits, Transport, curl_line, exchange_text

T = TypeVar("T")


@dataclass
class RunOptions:
    target: str = "local"
    config: Path | None = None
    suite: str = "full"
    fault: str | None = None
    reports: Path = Path("reports")
    history: Path | None = None
    allow_mutations: bool = False
    production_confirmed: str | None = None
    readings: dict[str, str] = field(default_factory=dict)
    examples: int = 25
    option_values: dict[str, str] = field(default_factory=dict)  # feeds' run options with a value (run_options.py)
    requirements: tuple[str, ...] = ()  # run only the tests of these requirements (a check, not a certification)
    waivers: dict[str, str] = field(default_factory=dict)  # --waive ID=REASON: accepted for this run
    part: bool = False  # one feed's part of a run certified side by side: the run's records are the caller's


class TargetContext:
    """What a suite may know about the target it tests."""

    def __init__(self, feed: Feed, target: Target, ca_hint: str | None = None):
        self.feed = feed
        self.target = target
        self.ca_hint = ca_hint
        verify: Any = target.ca_bundle if target.ca_bundle is not None else True
        # a time limit of the feed's (exchange_checks `within`) is measured, never cut short
        longest = longest_limit(feed)
        longest = longest + 10.0 if longest else 0.0
        limits = Limits(read=max(min(target.timeout, 30.0), longest), deadline=max(target.timeout, longest))
        self.transport = Transport(verify=verify, limits=limits, rate=target.rate_limit, recorder=self._record)
        self._bound: dict[str, Transport] = {}  # transports sending from a given source address
        self.verify = verify
        # per-target state a suite keeps between tests (e.g. a token), by a name or a tuple naming the call
        self.cache: dict[Hashable, Any] = {}
        self.violations: list[Violation] = []  # what the feed's exchange checks found since last taken
        self.readings = {**feed.default_readings(), **target.readings}  # the options the checks read
        self.surfaces = surfaces_of(feed.id)
        self.reached: list[str] = []  # places of the exchanges since last taken (payercert/surfaces.py)
        # (requirement, place): an exchange check held a response there to it, or a test of it made an exchange there
        self.checked: set[tuple[str, str]] = set()
        self._shared_places: dict[Hashable, list[str]] = {}

    # --- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.target.name

    @property
    def production(self) -> bool:
        return self.target.production

    def url(self, name: str) -> str:
        try:
            return self.target.urls[name]
        except KeyError:
            raise ConfigError(f"target {self.name} has no URL {name!r}") from None

    def reading(self, reading_id: str) -> str:
        chosen = self.target.readings.get(reading_id) or self.feed.readings[reading_id]["default"]
        if chosen not in self.feed.readings[reading_id]["options"]:
            raise ConfigError(f"target {self.name}: reading {reading_id} has no option {chosen!r}")
        return chosen

    def credential(self, name: str) -> str:
        return self.target.credential(name)

    # --- what a test may need, or skip for want of ---------------------------------------------
    def require_data(self, *names: str) -> dict[str, Any]:
        data = self.target.data or {}
        missing = [n for n in names if n not in data]
        if missing:
            pytest.skip(f"target {self.name} has no reference data {', '.join(missing)} (add it under data)")
        return data

    def require_sftp(self) -> SftpEndpoint:
        if self.target.sftp is None:
            pytest.skip(f"target {self.name} has no SFTP endpoint configured ([targets.{self.name}.sftp])")
        return self.target.sftp

    def require_account(self, name: str) -> dict[str, str]:
        account = self.target.account(name)
        if account is None:
            pytest.skip(f"target {self.name} has no '{name}' account configured (accounts.{name})")
        return account

    # --- HTTP --------------------------------------------------------------------------------
    def request(self, method: str, url: str, **kwargs: Any):
        return self.transport.request(method, url, **kwargs)

    def transport_from(self, local_address: str) -> Transport:
        """A transport like `transport` (same TLS trust, limits, rate, recording) whose connections
        leave from `local_address`, e.g. to be outside an IP allow-list (127.0.0.2 on loopback)."""
        if local_address not in self._bound:
            t = self.transport
            self._bound[local_address] = Transport(
                verify=self.verify, limits=t.limits, rate=None, recorder=self._record, local_address=local_address
            )
            self._bound[local_address].rate = t.rate  # one rate limit for the target, whatever the source
        return self._bound[local_address]

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A result several tests read (an export, a page walk), computed once per run in `cache`; every
        test that reads it counts as reaching the places its computation reached."""
        if key not in self.cache:
            before = len(self.reached)
            self.cache[key] = compute()
            self._shared_places[key] = self.reached[before:]
        else:
            self.reached += self._shared_places.get(key, [])
        return self.cache[key]

    def _record(self, request, response, error) -> None:
        place = self.surfaces.place_of(request)
        if place is not None:
            self.reached.append(place)
        if response is not None and self.feed.spec.get("exchange_checks"):
            checks = applying(self.feed, self.readings, request, response, place)
            if place is not None:
                self.checked.update((rid, place) for check in checks for rid in covers(self.feed, check))
            self.violations += find(self.feed, self.readings, request, response, checks)
        elif response is None and "payercert.waited" in request.extensions:
            self.violations += overdue(self.feed, self.readings, request, place, request.extensions["payercert.waited"])
        status = f"{response.status_code}" if response is not None else "no response"
        title = f"{request.method} {request.url.path} → {status}"
        try:
            allure.attach(
                exchange_text(request, response, error), name=title, attachment_type=allure.attachment_type.TEXT
            )
            allure.attach(
                curl_line(request, self.ca_hint), name=f"curl: {title}", attachment_type=allure.attachment_type.TEXT
            )
        except Exception:  # outside a test (fixtures at session scope) there is nowhere to attach
            pass

    def asked_again(self, violation: Violation) -> bool | None:
        """Whether the server gives a violation again when the request that met it is sent again; None
        when that cannot tell: a request not safe to repeat (not GET or HEAD), or an answer of another
        status (a job that was running has finished)."""
        request = violation.request
        if request is None or request.method not in ("GET", "HEAD"):
            return None
        before = len(self.violations)
        try:
            response = self.request(request.method, str(request.url), headers=dict(request.headers))
        except TransportError:
            return False
        again = self.violations[before:]
        if not violation.exchange.endswith(f"→ {response.status_code}"):
            del self.violations[before:]
            return None
        del self.violations[before:]
        return any(v.requirement == violation.requirement for v in again)

    def close(self) -> None:
        self.transport.close()
        for transport in self._bound.values():
            transport.close()


class LocalTargets:
    """The `local` target: each feed's simulator started on demand, over HTTPS with our CA."""

    def __init__(self, fault: str | None, suite: str | None = None):
        self.fault = fault
        self.suite = suite  # a feed's own suite (webhook-handler) runs that suite's simulator
        self.ca = LocalCA()
        self.servers: dict[str, BackgroundServer] = {}
        self.simulators: dict[str, Any] = {}
        self.extras = ExitStack()  # servers a simulator runs beside its ASGI app

    def target(self, feed: Feed, readings: dict[str, str]) -> Target:
        module = load_simulator(feed.id, self.suite)
        fault = module.fault(self.fault)  # refuse an unknown fault name before anything starts
        sim = module.create(self.fault, readings=readings, **module.certify_options)
        server = BackgroundServer(sim.app, self.ca, listener=fault.listener if fault else Listener()).start()
        self.servers[feed.id], self.simulators[feed.id] = server, sim
        local = sim.local_target(server.base_url)
        if module.start_extra is not None:
            extra = module.start_extra(self.fault, readings=readings, simulator=sim)
            local = merge_local_target(local, self.extras.enter_context(extra))
        for value in local.get("secrets", []):
            REDACTOR.add(value)
        creds = {k: Secret(v, k) if v in local.get("secrets", ()) else v for k, v in local["credentials"].items()}
        return Target(
            name="local",
            feed=feed.id,
            environment="simulator",
            production=False,
            urls=local["urls"],
            credentials=creds,
            accounts=local.get("accounts", {}),
            data=local.get("data"),
            ca_bundle=self.ca.client_context(),
            readings=readings,
            local=True,
            options={"fault": self.fault, **local.get("options", {})},
            sftp=local_sftp_endpoint(local.get("sftp")),
        )

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.extras.close()
        self.ca.cleanup()


class Run:
    """State of one pytest session that runs suites."""

    def __init__(self, options: RunOptions):
        self.options = options
        self.config = {} if options.target == "local" else load_config(options.config)
        self.config_dir = (options.config or Path("payercert.toml")).resolve().parent
        self.local = LocalTargets(options.fault, options.suite) if options.target == "local" else None
        self.contexts: dict[str, TargetContext] = {}
        self.targets: dict[str, Target] = {}
        self.outcomes: list[TestOutcome] = []
        self.guarded: list[str] = []  # tests the production guard skipped
        self.seed: int | None = None  # the run's Hypothesis seed (the plugin sets it)
        self.stopped: str | None = None  # why the run was stopped before its end (it certifies nothing)
        self.started = datetime.now(UTC)

    def take_violations(self) -> list[Violation]:
        """What the exchange checks found on every target since the last call."""
        taken = [v for context in self.contexts.values() for v in context.violations]
        for context in self.contexts.values():
            context.violations.clear()
        return taken

    def take_reached(self, feed_id: str) -> list[str]:
        """The places a feed's target was reached at since the last call."""
        context = self.contexts.get(feed_id)
        if context is None:
            return []
        taken, context.reached = context.reached, []
        return taken

    def count_checked(self, feed_id: str, requirements: tuple[str, ...], places: list[str]) -> None:
        """The places a test of these requirements reached, for its requirements that govern them."""
        context = self.contexts.get(feed_id)
        if context is None:  # the test reached the target nowhere
            return
        governs = context.surfaces.governs
        context.checked.update((rid, p) for rid in requirements for p in places if p in governs.get(rid, ()))

    def reached_by(self, feed_id: str) -> dict[str, set[str]]:
        """Per requirement, the places a test or an exchange check of it reached."""
        found: dict[str, set[str]] = {}
        context = self.contexts.get(feed_id)
        for rid, place in context.checked if context is not None else ():
            found.setdefault(rid, set()).add(place)
        return found

    def target(self, feed_id: str) -> Target:
        if feed_id not in self.targets:
            feed = load_feed(feed_id)
            values = self.options.option_values
            elsewhere = any(o.name in values for o in applicable(feed_id, self.options.suite))
            if self.local is not None and not elsewhere:
                target = self.local.target(feed, {**self.options.readings})
            else:  # a configured target, or the user's own system named on the command line
                base = (
                    None
                    if self.local is not None
                    else build_target(feed_id, self.options.target, self.config, self.config_dir)
                )
                target = with_options(feed_id, base, values, self.options.suite)
                target.readings.update(self.options.readings)
            for rid, option in target.readings.items():
                if rid not in feed.readings or option not in feed.readings[rid]["options"]:
                    raise ConfigError(f"reading {rid}={option} is not one the {feed_id} spec documents")
            self.targets[feed_id] = self.waived(target)
        return self.targets[feed_id]

    def waived(self, target: Target) -> Target:
        """The target with this run's own waivers (`--waive`) beside its configured ones."""
        catalogue = load_feed(target.feed).requirements
        target.waivers.update({rid: why for rid, why in self.options.waivers.items() if rid in catalogue})
        return target

    def context(self, feed_id: str) -> TargetContext:
        if feed_id not in self.contexts:
            target = self.target(feed_id)
            ca_hint = str(self.local.ca.ca_path) if self.local else target.ca_bundle
            self.contexts[feed_id] = TargetContext(load_feed(feed_id), target, ca_hint)
        return self.contexts[feed_id]

    def production(self, feed_id: str | None) -> bool:
        """Whether a test runs against production: its feed's target, or (a test outside any feed's
        suites) the named target as payercert.toml declares it."""
        if feed_id is not None:
            return self.target(feed_id).production
        if self.local is not None:
            return False
        raw = self.config.get("targets", {}).get(self.options.target, {})
        return bool(raw.get("production")) or raw.get("environment") == "production"

    def writes_allowed(self, feed_id: str | None) -> bool:
        """Writes on production need --allow-mutations and the production host typed back."""
        if not self.options.allow_mutations or not self.options.production_confirmed:
            return False
        return feed_id is None or self.options.production_confirmed in self.target(feed_id).hosts

    def close(self) -> None:
        for ctx in self.contexts.values():
            ctx.close()
        if self.local is not None:
            self.local.close()
