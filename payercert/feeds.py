"""Feeds as the core reads them: the spec bundle (`feed.yaml`, the single source of truth) of each
feed registered under the `payercert.feeds` entry point group (payercert.contract).

A feed is *implemented* (certifiable) when its package also has suites and a simulator; a spec
bundle alone still serves `payercert validate`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import usercache
from .contract import FeedPackage, package_of, registered
from .errors import ConfigError
from .feedschema import check_feed_document

LEVELS = ("MUST", "SHOULD", "MAY")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    applies_to: str
    area: str
    text: str
    section: str
    doc: str
    reading: str | None = None
    code: str | None = None
    needs_data: tuple[str, ...] = ()


@dataclass
class Kind:
    name: str
    title: str
    spec: dict[str, Any]
    root: Path

    @property
    def detect_keys(self) -> set[str]:
        return set(self.spec.get("detect", {}).get("keys", []))

    @property
    def rules_path(self) -> Path | None:
        return self.root / self.spec["rules"] if "rules" in self.spec else None


@dataclass(frozen=True)
class ExtraSuite:
    """A feed's own suite beyond full and smoke: the folder `suites/<feed>/<name with _>/`, run only
    when chosen (`--suite <name>`). `client_areas`: it certifies the user's side, i.e. the
    requirements applies_to client of these areas (its package's CLIENT_AREAS), and nothing else."""

    name: str
    path: Path
    client_areas: tuple[str, ...] = ()


@dataclass
class Feed:
    id: str
    root: Path
    spec: dict[str, Any]
    package: FeedPackage
    requirements: dict[str, Requirement] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.spec.get("title", self.id)

    @property
    def timezone(self) -> str:
        return self.spec.get("timezone", "UTC")

    @property
    def doc(self) -> str:
        return self.spec["source"]["doc"]

    @property
    def document_name(self) -> str:
        """The payer document as a reader knows it: its title and version."""
        return document_name(self.spec.get("source", {}))

    @property
    def environments(self) -> dict[str, dict]:
        return self.spec.get("environments", {})

    @property
    def readings(self) -> dict[str, dict]:
        return self.spec.get("readings", {})

    @property
    def kinds(self) -> dict[str, Kind]:
        return {name: Kind(name, k.get("title", name), k, self.root) for name, k in self.spec.get("kinds", {}).items()}

    @property
    def suites_dir(self) -> Path | None:
        return self.package.suites

    @property
    def simulator_module(self) -> str | None:
        return self.package.simulator

    @property
    def implemented(self) -> bool:
        return self.package.certifiable

    def extra_suites(self) -> dict[str, ExtraSuite]:
        if "_extra_suites" in self.__dict__:
            return self.__dict__["_extra_suites"]
        found = {}
        suites = self.suites_dir
        if suites is not None and suites.is_dir():
            for folder in sorted(p for p in suites.iterdir() if p.is_dir() and any(p.glob("test_*.py"))):
                package = importlib.import_module(f"{_module_of(suites)}.{folder.name}")
                name = folder.name.replace("_", "-")
                found[name] = ExtraSuite(name, folder, tuple(getattr(package, "CLIENT_AREAS", ())))
        self.__dict__["_extra_suites"] = found
        return found

    def default_readings(self) -> dict[str, str]:
        return {rid: r["default"] for rid, r in self.readings.items()}


def document_name(source: Mapping[str, Any]) -> str:
    """A payer document's title and version (feed.yaml `source`, or the certificate's `document`)."""
    return ", ".join(str(part) for part in (source.get("title"), source.get("version")) if part)


def _requirement(raw: dict, doc: str) -> Requirement:
    if raw.get("level") not in LEVELS:
        raise ConfigError(f"requirement {raw.get('id')}: level must be one of {', '.join(LEVELS)}")
    return Requirement(
        id=raw["id"],
        level=raw["level"],
        applies_to=raw.get("applies_to", "server"),
        area=raw.get("area", "general"),
        text=raw["text"],
        section=raw["source"]["section"],
        doc=raw["source"].get("doc", doc),
        reading=raw.get("reading"),
        code=str(raw["code"]) if raw.get("code") is not None else None,
        needs_data=tuple(raw.get("needs_data", ())),
    )


@cache
def load_feed(feed_id: str) -> Feed:
    package = package_of(feed_id)
    path = package.specs / "feed.yaml"
    if not path.is_file():
        raise ConfigError(f"feed {feed_id} ({package.origin}) has no spec bundle: {path} does not exist")
    spec = read_spec(path)
    if spec.get("id") != feed_id:
        raise ConfigError(f"{path}: id is {spec.get('id')!r}, but the feed is registered as {feed_id!r}")
    feed = Feed(feed_id, path.parent, spec, package)
    for raw in spec.get("requirements", []):
        req = _requirement(raw, spec["source"]["doc"])
        if req.id in feed.requirements:
            raise ConfigError(f"{path}: requirement {req.id} is listed twice")
        feed.requirements[req.id] = req
    return feed


def read_spec(path: Path) -> Any:
    """A feed.yaml, parsed and checked against specs/feed.schema.json. Every run reads every feed
    (detection), and parsing their YAML costs more
    than a small validation; so the parsed document is kept in the user's cache as msgpack, keyed by
    the file's path, size and modification time, and used while those are unchanged. A document
    msgpack cannot hold as it is (a YAML date, say) is never cached; a cache that cannot be read or
    written is passed by."""
    key = usercache.key_of(path)
    spec = usercache.load("feed", key)
    if spec is not usercache.MISSING:
        return spec
    import yaml  # only when the cache misses: its import costs a small validation's time

    text = path.read_text(encoding="utf-8")
    try:
        spec = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"{path}:{mark.line + 1 if mark else 1}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    check_feed_document(path, text, spec)  # only what parses anew: a cached document passed already
    usercache.store("feed", key, spec)
    return spec


def discover() -> list[str]:
    """Every registered feed's id, sorted."""
    return list(registered())


def _module_of(folder: Path) -> str:
    """The import path of a suites folder (a package on sys.path): its own package names, up to the
    first folder that is no package."""
    parts = [folder.name]
    parent = folder.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)


def implemented_feeds() -> list[str]:
    return [f for f in discover() if load_feed(f).implemented]
