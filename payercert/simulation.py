"""What every simulator offers the harness: an ASGI app, fault profiles, and the local target.

A fault profile is a named deviation tied to the requirement it breaks: the suites must fail on
every fault, naming that requirement, and pass on the conforming simulator. A fault is either the
simulator's own code path (it reads its fault's name) or a `Rewrite` of the conforming simulator's
answers on one surface (payercert/rewrite.py), applied here to whatever simulator carries it, a
`Hook` changing the webhooks it sends, which the simulator's own sender applies, or a `Listener`
changing how its port answers (an old TLS version accepted, plain HTTP served).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ConfigError
from .feeds import load_feed
from .rewrite import Hook, Rewrite, rewriting
from .server import Listener


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: str  # requirement id
    text: str
    rewrite: Rewrite | None = field(default=None, compare=False)  # a change to the conforming answers
    hook: Hook | None = field(default=None, compare=False)  # a change to the webhooks sent
    listener: Listener = field(default=Listener(), compare=False)  # how the port answers (TLS, plain HTTP)
    slow: bool = False  # its run waits out one of the document's time limits (a test matrix starts it first)

    def sends(self, event: str, body: Any) -> Any:
        """The webhook payload this fault sends for `event` (unchanged without a hook)."""
        return body if self.hook is None else self.hook.payload(event, body)


class Simulator(Protocol):
    app: Any
    fault: Fault | None

    def local_target(self, base_url: str) -> dict[str, Any]:
        """URLs, credentials and reference data a suite needs to test this simulator."""


@dataclass(frozen=True)
class SuiteSimulator:
    """The other side of a feed's own suite (e.g. the biller's webhook handler a payer calls),
    exported by a simulator package as `SUITES = {suite name: SuiteSimulator(...)}`."""

    faults: tuple[Fault, ...]
    create: Any
    certify_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SimulatorPackage:
    """What a feed's simulator package exports as `SIMULATOR` (the feed contract names the package)."""

    faults: tuple[Fault, ...]
    create: Callable[..., Simulator]  # create(fault, **options): the app, its fault, its local target
    certify_options: Mapping[str, Any] = field(default_factory=dict)  # how `certify --target local` runs it
    suites: Mapping[str, SuiteSimulator] = field(default_factory=dict)  # simulators of the feed's own suites
    # `start_extra(fault, readings=..., simulator=...)`: a context manager running servers beside the
    # ASGI app (e.g. SFTP) and yielding more of the local target (see `merge_local_target`)
    start_extra: Callable[..., Any] | None = None


@dataclass
class SimulatorModule:
    feed: str
    faults: tuple[Fault, ...]
    create: Any = field(repr=False)
    certify_options: dict[str, Any] = field(default_factory=dict)  # how `certify --target local` runs it
    suites: tuple[str, ...] = ()  # the feed's own suites that have a local simulator of their own
    suite: str | None = None  # which of them this is (None: the payer's simulator)
    # optional `start_extra(fault, readings=..., simulator=...)`: a context manager running servers
    # beside the ASGI app `simulator` (e.g. SFTP) and yielding more of the local target (see
    # `merge_local_target`)
    start_extra: Any = field(default=None, repr=False)

    def fault(self, name: str | None) -> Fault | None:
        if name is None:
            return None
        for fault in self.faults:
            if fault.name == name:
                return fault
        known = ", ".join(f.name for f in self.faults)
        what = f"the {self.suite} simulator of {self.feed}" if self.suite else f"simulator {self.feed}"
        raise ConfigError(f"{what} has no fault profile {name!r} (known: {known})")


def load_simulator(feed: str, suite: str | None = None) -> SimulatorModule:
    """The payer's simulator of a feed, or (`suite` one of the feed's own suites, e.g.
    webhook-handler) the local simulator that suite certifies instead."""
    name = load_feed(feed).simulator_module
    if name is None:
        raise ConfigError(f"feed {feed!r} has no simulator")
    package = vars(importlib.import_module(name)).get("SIMULATOR")
    if not isinstance(package, SimulatorPackage):
        raise ConfigError(
            f"simulator {name} of feed {feed} exports no SIMULATOR (a payercert.simulation.SimulatorPackage)"
        )
    extra = dict(package.suites)
    if suite in (None, "full", "smoke"):
        return SimulatorModule(
            feed,
            tuple(package.faults),
            _rewritten(package.create, package.faults),
            dict(package.certify_options),
            suites=tuple(extra),
            start_extra=package.start_extra,
        )
    if suite not in extra:
        raise ConfigError(f"feed {feed} has no local simulator for the {suite} suite")
    own = extra[suite]
    return SimulatorModule(
        feed,
        tuple(own.faults),
        _rewritten(own.create, own.faults),
        dict(own.certify_options),
        suites=tuple(extra),
        suite=suite,
    )


def _rewritten(create: Callable[..., Simulator], faults: tuple[Fault, ...]) -> Callable[..., Simulator]:
    """`create` whose simulator, under a fault that is a rewrite, answers through that rewrite."""
    rewrites = {f.name: f.rewrite for f in faults if f.rewrite is not None}

    def build(fault: str | None, *args: Any, **options: Any) -> Simulator:
        simulator = create(fault, *args, **options)
        if fault in rewrites:
            simulator.app = rewriting(simulator.app, rewrites[fault])
        return simulator

    return build


def merge_local_target(local: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A simulator's local target with what its extra servers add: tables merged, secrets joined,
    any other key (an endpoint such as `sftp`) set."""
    merged = dict(local)
    for key, value in extra.items():
        if key == "secrets":
            merged["secrets"] = [*local.get("secrets", []), *value]
        elif isinstance(value, dict) and isinstance(local.get(key), dict):
            merged[key] = {**local[key], **value}
        else:
            merged[key] = value
    return merged
