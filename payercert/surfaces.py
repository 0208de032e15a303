"""Where a requirement applies, and where a run checked it.

A *place* is one surface a payer's server offers: an operation of the feed's OpenAPI document,
named as `METHOD /path/{template}`, or a place feed.yaml declares under `places` (a SOAP message
type, a webhook delivery) with what identifies an exchange there. A requirement's `surfaces` in
feed.yaml list the places it governs: place names, globs over them (`GET /api/v*/fhir/Job/*`), or
`@NAME`, a set under `surface_sets` (or `@operations`, every documented operation, and `@secured`,
every operation that needs credentials).

A run counts a place as checked for a requirement when an exchange there met an exchange check of
that requirement, or was made by a test of that requirement that passed or failed (not one that was
skipped or could not tell). The certificate shows per requirement "checked on N of M" and the places
no check reached.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache

import httpx
import yaml

from .errors import ConfigError
from .feeds import Feed, load_feed

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Place:
    name: str
    method: str
    path: re.Pattern[str]  # searched in the request's path
    body: re.Pattern[str] | None = None  # searched in the request's body (latin-1 text)
    secured: bool = False
    weight: int = 0  # the longer the literal part of a template, the more specific the place

    def holds(self, request: httpx.Request, body: str) -> bool:
        if self.method != "*" and request.method != self.method:
            return False
        if not self.path.search(request.url.path):
            return False
        return self.body is None or bool(self.body.search(body))


@dataclass(frozen=True)
class FeedSurfaces:
    feed: str
    places: dict[str, Place]
    governs: dict[str, tuple[str, ...]]  # requirement id -> the places it governs, in catalogue order
    needs_body: bool  # a place is told by the request's body: read it (once per exchange)

    def place_of(self, request: httpx.Request) -> str | None:
        """The most specific place an exchange belongs to, None when it is at none of them."""
        text = _body_text(request) if self.needs_body else ""
        held = [p for p in self.places.values() if p.holds(request, text)]
        return max(held, key=lambda p: p.weight).name if held else None


def _body_text(request: httpx.Request) -> str:
    try:
        return request.content.decode("latin-1")
    except httpx.RequestNotRead:  # a multipart body still streaming: its parts can be read again
        return request.read().decode("latin-1")


@cache
def surfaces_of(feed_id: str) -> FeedSurfaces:
    feed = load_feed(feed_id)
    operations = _operations(feed)
    places = {**operations, **_declared(feed)}
    sets = {
        "operations": tuple(operations),
        "secured": tuple(p.name for p in places.values() if p.secured),
    }
    for name, entries in feed.spec.get("surface_sets", {}).items():
        sets[name] = _resolve(feed.id, f"surface set {name}", entries, places, sets)
    governs = {}
    for raw in feed.spec.get("requirements", []):
        if raw.get("surfaces"):
            governs[raw["id"]] = _resolve(feed.id, f"requirement {raw['id']}", raw["surfaces"], places, sets)
    return FeedSurfaces(feed.id, places, governs, any(p.body is not None for p in places.values()))


def _resolve(
    feed_id: str, owner: str, entries: list[str], places: dict[str, Place], sets: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    found: list[str] = []
    for entry in entries:
        if entry.startswith("@"):
            if entry[1:] not in sets:
                raise ConfigError(f"{feed_id} feed.yaml: {owner} names the surface set {entry}, which is not declared")
            matched = list(sets[entry[1:]])
        else:
            matched = [p for p in places if fnmatch.fnmatchcase(p, entry)]
        if not matched:
            raise ConfigError(f"{feed_id} feed.yaml: {owner} names the surface {entry!r}, which matches no place")
        found += [p for p in matched if p not in found]
    return tuple(found)


def _operations(feed: Feed) -> dict[str, Place]:
    document = feed.root / "openapi.yaml"
    if not document.is_file():
        return {}
    spec = yaml.safe_load(document.read_text(encoding="utf-8"))
    places = {}
    for template, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            name = f"{method.upper()} {template}"
            literal = re.sub(r"\{\w+\}", "", template)
            pattern = re.escape(template)
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", pattern)
            places[name] = Place(
                name,
                method.upper(),
                re.compile(pattern + "$"),
                secured=bool(operation.get("security", spec.get("security"))),
                weight=len(literal),
            )
    return places


def _declared(feed: Feed) -> dict[str, Place]:
    places = {}
    for name, raw in feed.spec.get("places", {}).items():
        places[name] = Place(
            name,
            raw.get("method", "*"),
            re.compile(raw.get("path", "")),
            re.compile(raw["body"]) if "body" in raw else None,
            secured=bool(raw.get("secured", False)),
            weight=1000,  # a declared place is more specific than the operation it travels on
        )
    return places


def coverage(feed_id: str, reached: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """Per requirement that declares surfaces: the places it governs, those checked, those missed."""
    rows = {}
    for requirement, governed in surfaces_of(feed_id).governs.items():
        seen = reached.get(requirement, set())
        rows[requirement] = {
            "governed": list(governed),
            "checked": [p for p in governed if p in seen],
            "missed": [p for p in governed if p not in seen],
        }
    return rows
