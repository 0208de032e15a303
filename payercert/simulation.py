"""What every simulator offers the harness: an ASGI app, fault profiles, and the local target.

A fault profile is a named deviation tied to the requirement it breaks: the suites must fail on
every fault, naming that requirement, and pass on the conforming simulator.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ConfigError


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: str  # requirement id
    text: str


class Simulator(Protocol):
    app: Any
    fault: Fault | None

    def local_target(self, base_url: str) -> dict[str, Any]:
        """URLs, credentials and reference data a suite needs to test this simulator."""


@dataclass
class SimulatorModule:
    feed: str
    faults: tuple[Fault, ...]
    create: Any = field(repr=False)
    certify_options: dict[str, Any] = field(default_factory=dict)  # how `certify --target local` runs it
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
        raise ConfigError(f"simulator {self.feed} has no fault profile {name!r} (known: {known})")


def load_simulator(feed: str) -> SimulatorModule:
    try:
        module = importlib.import_module(f"payercert.simulators.{feed}")
    except ModuleNotFoundError:
        raise ConfigError(f"feed {feed!r} has no simulator") from None
    return SimulatorModule(feed, tuple(module.FAULTS), module.create, dict(getattr(module, "CERTIFY_OPTIONS", {})),
                           getattr(module, "start_extra", None))


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
