"""The feed contract: what a feed package hands payercert, and how payercert finds it.

A feed package registers one `FeedPackage` under the `payercert.feeds` entry point group:

    [project.entry-points."payercert.feeds"]
    acme = "acme_payercert.feed:FEED"

The five bundled feeds register the same way (pyproject.toml). The core reads a feed only through
this contract and the spec bundle it points at (`feed.yaml`, checked against specs/feed.schema.json);
it names no feed. `payercert feeds` lists what was found, from where.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from . import usercache
from .errors import ConfigError

GROUP = "payercert.feeds"


@dataclass(frozen=True)
class RunOption:
    """An option a feed adds to a certify run, declared as data so that every front end (the CLI's
    help, `payercert feeds`, the wizard) can show it without knowing the feed."""

    name: str  # as typed on the command line, without the dashes: "strict-ig"
    help: str
    suites: tuple[str, ...] = ()  # the suites it belongs to; empty: every suite of the feed
    # A flag that picks this option of every reading of the feed that has it (an explicit
    # --reading ID=OPTION still wins); None for an option the feed's suites read themselves.
    selects_reading: str | None = None
    metavar: str | None = None  # the option takes a value, shown as --name METAVAR; None: a flag
    # Where the value goes (payercert/run_options.py): "urls.KEY" or "credentials.KEY" of the feed's
    # target for this run, over payercert.toml; `replaces` names (glob) the other entries it overrides.
    sets: str | None = None
    replaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.sets and self.metavar is None:
            raise ValueError(f"run option --{self.name}: an option that sets a target entry takes a value")
        if self.selects_reading and self.metavar is not None:
            raise ValueError(f"run option --{self.name}: a flag that picks a reading takes no value")
        if self.sets and self.sets.partition(".")[0] not in ("urls", "credentials"):
            raise ValueError(f"run option --{self.name}: sets names urls.KEY or credentials.KEY")


@dataclass(frozen=True)
class FeedPackage:
    """A feed: its spec bundle, and (for a feed that can be certified) its suites and simulator."""

    id: str
    specs: Path  # the folder of feed.yaml and the rest of the spec bundle
    suites: Path | None = None  # the folder of its conformance suites (test_*.py), None: validate only
    simulator: str | None = None  # import path of its simulator package (FAULTS, create, ...)
    options: tuple[RunOption, ...] = ()
    origin: str = field(default="", compare=False)  # the distribution that registered it (set on discovery)

    @property
    def certifiable(self) -> bool:
        return self.suites is not None and self.simulator is not None and any(self.suites.glob("test_*.py"))


@cache
def registered() -> Mapping[str, FeedPackage]:
    """Every feed registered under the entry point group, by id (loaded once per process)."""
    found: dict[str, FeedPackage] = {}
    for name, value, origin in _registrations():
        package = _load(value)
        if not isinstance(package, FeedPackage):
            raise ConfigError(f"entry point {name} = {value} ({GROUP}) is not a payercert FeedPackage")
        if package.id != name:
            raise ConfigError(f"entry point {name} = {value} registers feed {package.id!r} under another name")
        if package.id in found:
            raise ConfigError(f"feed {package.id!r} is registered twice ({found[package.id].origin}, {value})")
        found[package.id] = FeedPackage(**{**package.__dict__, "origin": origin})
    return dict(sorted(found.items()))


def _registrations() -> list[tuple[str, str, str]]:
    """(name, value, distribution) of each entry point of the group. Reading every installed
    distribution's metadata costs more than validating a small file, so the list is kept in the
    user's cache, keyed by the folders of the import path that hold distributions (installing or
    removing one changes its folder)."""
    folders = [Path(entry or ".") for entry in sys.path if _holds_distributions(entry or ".")]
    key = usercache.key_of(GROUP, *folders)
    cached = usercache.load("entry-points", key)
    if cached is not usercache.MISSING:
        return [(name, value, origin) for name, value, origin in cached]
    from importlib.metadata import entry_points

    found = [(e.name, e.value, e.dist.name if e.dist is not None else e.value) for e in entry_points(group=GROUP)]
    usercache.store("entry-points", key, found, same=lambda back, kept: [tuple(x) for x in back] == kept)
    return found


def _holds_distributions(folder: str) -> bool:
    try:
        return any(name.endswith((".dist-info", ".egg-info")) for name in os.listdir(folder))
    except OSError:  # not a folder (a zip file's path holds no distribution folder we cache by)
        return False


def _load(value: str) -> object:
    """What an entry point's `module:attribute` names (as importlib.metadata's EntryPoint.load)."""
    module, _, attribute = value.partition(":")
    loaded: object = importlib.import_module(module.strip())
    for part in filter(None, attribute.strip().split(".")):
        loaded = getattr(loaded, part)
    return loaded


def package_of(feed_id: str) -> FeedPackage:
    try:
        return registered()[feed_id]
    except KeyError:
        known = ", ".join(registered()) or "none"
        raise ConfigError(f"unknown feed {feed_id!r} (known feeds: {known})") from None


def bundled(feed_id: str, *, options: tuple[RunOption, ...] = ()) -> FeedPackage:
    """A feed shipped with payercert: its units in the package's specs/, suites/ and simulators/."""
    root = Path(__file__).parent
    return FeedPackage(
        feed_id, root / "specs" / feed_id, root / "suites" / feed_id, f"payercert.simulators.{feed_id}", options
    )
