"""How the TPA Stream suites talk to a target: Basic e-mail:API-key on every request, the document's
paths under the `api` URL, page walks cached per run (the data does not change: every call is a GET).

Oracles shared by the tests live here too: the pagination envelope invariants (Flask-SQLAlchemy's
Pagination, docs/sources/payers.md 2.4), the error payload, duplicate member names, and claim facts (employer,
first day of service)."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from payercert.auth import basic_auth
from payercert.feeds import load_feed
from payercert.session import TargetContext
from payercert.transport import Transport
from payercert.validators.schemas import compiled_schema

SCHEMAS = load_feed("tpastream").root / "schemas"
LISTS = {
    "/claims": "claims-page.json",
    "/employer": "employers-page.json",
    "/member": "members-page.json",
    "/policy_holder": "policy-holders-page.json",
}
# the lists whose entities have a nested claims list, and the member that names an entity there
NESTED = {"/employer": "employer_id", "/member": "id", "/policy_holder": "id"}
ENVELOPE = ("data", "has_next", "has_prev", "next_num", "page", "pages", "per_page", "prev_num", "total")
MAX_WALK_REQUESTS = 500  # a walk beyond this many pages is skipped, not run (a payer's sandbox is not a load test)


def schema(name: str):
    return compiled_schema(SCHEMAS / name)


class DuplicateName(ValueError):
    pass


def strict_json(content: bytes) -> Any:
    """JSON with duplicate member names refused (TPA-FMT-2): the default parser keeps the last silently."""

    def pairs(items):
        seen = set()
        for key, _ in items:
            if key in seen:
                raise DuplicateName(f"duplicate member name {key!r}")
            seen.add(key)
        return dict(items)

    return json.loads(content, object_pairs_hook=pairs)


# A walk keeps the page bodies it read only up to this many items (all walks of a run together);
# beyond, it keeps ids and envelope numbers and reads the pages again, one at a time, when a test
# needs their content: memory stays bounded however large the target's data set is.
KEEP_ITEMS = 20_000


@dataclass
class Walk:
    """Pages 1..pages of one list at one per_page, as served: ids, envelope numbers and problems
    kept; the bodies kept while small, else streamed again on demand."""

    path: str
    params: dict
    per_page: int
    client: TpaClient | None = None
    first: dict | None = None  # page 1's body
    ids: list[Any] = field(default_factory=list)
    envelopes: list[tuple] = field(default_factory=list)  # (total, pages, per_page) of each page
    problems: list[str] = field(default_factory=list)  # pages that were not 200 with a JSON envelope
    kept: list[dict] | None = None  # the bodies, while the run's budget allows

    @property
    def pages(self):
        """The page bodies, in order: kept ones, or read again page by page."""
        if self.kept is not None:
            return iter(self.kept)
        return (body for body, problem in self.client.stream(self) if problem is None)

    @property
    def items(self):
        return (item for body in self.pages for item in body.get("data", []))

    @property
    def total(self) -> int | None:
        return self.first.get("total") if self.first else None


def item_id(path: str, item: dict) -> Any:
    return item.get("employer_id") if path == "/employer" else item.get("id")


class TpaClient:
    def __init__(self, target: TargetContext):
        self.target = target

    # --- requests -------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.target.url("api").rstrip("/") + path

    def auth(self) -> str:
        return basic_auth(self.target.credential("email"), self.target.credential("api_key"))

    def get(
        self,
        path: str,
        params: dict | None = None,
        *,
        authorization: str | None = "default",
        transport: Transport | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if authorization == "default":
            authorization = self.auth()
        if authorization is not None:
            headers["Authorization"] = authorization
        send = transport.request if transport is not None else self.target.request
        return send("GET", url or self.url(path), params=params, headers=headers)

    def envelope(self, path: str, params: dict | None = None) -> dict:
        """A 200 JSON body, or an AssertionError naming the endpoint's requirement."""
        response = self.get(path, params)
        assert response.status_code == 200, (
            f"TPA-AUTH-1: GET {path} {params or ''} with valid credentials got {response.status_code} {response.text[:200]}"
        )
        return strict_json(response.content)

    # --- walks ----------------------------------------------------------------------------------
    def walk(self, path: str, per_page: int, params: dict | None = None) -> Walk:
        """Every page of a list at `per_page`, read once per run and page by page: pages 1..`pages` of
        page 1's answer, stopping early once `total` items are in (a wrong `pages` is the envelope
        tests' finding, not a broken walk)."""
        key = ("walk", path, per_page, tuple(sorted((params or {}).items())))
        return self.target.shared(key, lambda: self._walk(path, per_page, params))

    def _walk(self, path: str, per_page: int, params: dict | None) -> Walk:
        walk = Walk(path, dict(params or {}), per_page, self)
        kept: list[dict] | None = []
        budget = self.target.cache.setdefault("walk-items-kept", [0])
        for body, problem in self.stream(walk):
            if problem is not None:
                walk.problems.append(problem)
                break
            walk.first = walk.first or body
            walk.ids += [item_id(path, item) for item in body["data"]]
            walk.envelopes.append((body.get("total"), body.get("pages"), body.get("per_page")))
            if kept is not None and budget[0] + len(body["data"]) <= KEEP_ITEMS:
                kept.append(body)
                budget[0] += len(body["data"])
            else:
                kept = None
        walk.kept = kept
        return walk

    def stream(self, walk: Walk):
        """(body, None) for each page of the walk in turn, or (None, problem) where it breaks off."""
        import pytest

        page, last, seen = 1, 1, 0
        while page <= last:
            response = self.get(walk.path, {**walk.params, "page": page, "per_page": walk.per_page})
            if response.status_code != 200:
                yield None, f"page {page}: HTTP {response.status_code} {response.text[:120]}"
                return
            body = strict_json(response.content)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                yield None, f"page {page}: not an envelope with a data array"
                return
            if page == 1:
                pages, total = body.get("pages"), body.get("total")
                last = pages if isinstance(pages, int) else 1
                if last > MAX_WALK_REQUESTS:
                    pytest.skip(
                        f"{walk.path} has {last} pages at per_page={walk.per_page}: more than "
                        f"{MAX_WALK_REQUESTS} requests, not walked"
                    )
            seen += len(body["data"])
            yield body, None
            page += 1
            if isinstance(total, int) and seen >= total:
                return

    def path_ids(self) -> dict[str, str]:
        """A real id for each nested claims list's {id} (the first entity of its list), by the list's
        name: a request there reaches the operation, not an unknown-id answer."""
        ids = {}
        for path, key in NESTED.items():
            first = self.all_items(path, 1)
            if first:
                ids[path] = str(first[0][key])
        return ids

    def all_items(self, path: str, limit: int | None = None) -> list[dict]:
        walk = self.walk(path, 100)
        assert not walk.problems, f"TPA-EP-1: walking {path} failed: {walk.problems[0]}"
        return list(itertools.islice(walk.items, limit))

    def employers(self) -> dict[int, dict]:
        return {e["employer_id"]: e for e in self.all_items("/employer")}


# --- oracles -------------------------------------------------------------------------------------
def envelope_findings(
    body: Any, page: int | None, per_page: int | None, prev_reading: str, default_per_page: int = 10
) -> list[tuple[str, str]]:
    """(requirement, message) for every envelope invariant a 200 page breaks (docs/sources/payers.md 2.4)."""
    out: list[tuple[str, str]] = []
    if not isinstance(body, dict):
        return [("TPA-PAGE-1", f"body is {type(body).__name__}, not an object")]
    missing = [k for k in ENVELOPE if k not in body]
    if missing:
        return [("TPA-PAGE-1", f"envelope lacks {missing}")]
    ints = ("next_num", "prev_num", "page", "pages", "per_page", "total")
    if (
        not isinstance(body["data"], list)
        or any(type(body[k]) is not bool for k in ("has_next", "has_prev"))
        or any(not (body[k] is None or type(body[k]) is int) for k in ints)
        or any(body[k] is None for k in ("page", "pages", "per_page", "total"))
    ):
        return [("TPA-PAGE-1", f"envelope field types wrong: { {k: body[k] for k in ENVELOPE if k != 'data'} }")]
    p, pages, pp, total, n = body["page"], body["pages"], body["per_page"], body["total"], len(body["data"])
    shown = {k: body[k] for k in ENVELOPE if k != "data"} | {"len(data)": n}
    if page is not None and p != page:
        out.append(("TPA-QUERY-1", f"asked page {page}, got page {p}: {shown}"))
    want_pp = per_page if per_page is not None else default_per_page
    if pp != want_pp:
        req = "TPA-QUERY-2" if per_page is not None else "TPA-PAGE-10"
        out.append((req, f"asked per_page {per_page}, got per_page {pp}: {shown}"))
    if body["has_next"] != (p < pages):
        out.append(("TPA-PAGE-2", f"has_next {body['has_next']} but page {p} of {pages}: {shown}"))
    if body["has_prev"] != (p > 1):
        out.append(("TPA-PAGE-3", f"has_prev {body['has_prev']} on page {p}: {shown}"))
    zero = prev_reading == "zero"
    if p < pages:
        if body["next_num"] != p + 1:
            out.append(("TPA-PAGE-4", f"next_num {body['next_num']} on page {p} of {pages}: {shown}"))
    elif body["next_num"] is not None and not (zero and body["next_num"] == 0):
        out.append(("TPA-PAGE-4", f"next_num {body['next_num']} on the last page: {shown}"))
    if p > 1:
        if body["prev_num"] != p - 1:
            out.append(("TPA-PAGE-5", f"prev_num {body['prev_num']} on page {p}: {shown}"))
    elif body["prev_num"] != (0 if zero else None):
        out.append(
            ("TPA-PAGE-5", f"prev_num {body['prev_num']!r} on page 1 (reading TPA-R-PREV-NUM={prev_reading}): {shown}")
        )
    if pp >= 1 and pages != (math.ceil(total / pp) if total else 0):
        out.append(("TPA-PAGE-6", f"pages {pages} != ceil(total {total} / per_page {pp}): {shown}"))
    if total == 0 and (pages != 0 or n or body["has_next"] or body["has_prev"]):
        out.append(("TPA-PAGE-7", f"total 0 but {shown}"))
    if n > pp:
        out.append(("TPA-PAGE-8", f"{n} items on a page of per_page {pp}"))
    if pp >= 1:
        expected = pp if p < pages else (total - (pages - 1) * pp if p == pages else 0)
        if n != expected:
            out.append(
                (
                    "TPA-PAGE-9",
                    f"page {p} of {pages} (total {total}, per_page {pp}) holds {n} items, expected {expected}",
                )
            )
    return out


def error_findings(response: httpx.Response, reading_403: str = "message") -> list[str]:
    """What is wrong with an error answer's body (TPA-ERR-1: a JSON object with a string message)."""
    if response.status_code == 403 and reading_403 == "bare":
        return []
    try:
        body = strict_json(response.content)
    except ValueError as exc:
        return [f"HTTP {response.status_code} body is not JSON ({exc}): {response.text[:120]!r}"]
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return [f"HTTP {response.status_code} body has no string message: {response.text[:200]}"]
    return []


def claim_employer_ids(claim: dict) -> set[int]:
    out = set()
    for member in claim.get("members") or []:
        if isinstance(member, dict):
            if isinstance(member.get("employer_id"), int):
                out.add(member["employer_id"])
            if isinstance(member.get("employer"), dict) and isinstance(member["employer"].get("id"), int):
                out.add(member["employer"]["id"])
    return out


def claim_policy_holder_id(claim: dict) -> Any:
    ph = claim.get("policy_holder")
    if not isinstance(ph, dict):
        ph = {}
    return claim.get("policy_holder_id", ph.get("policy_holder_id", ph.get("id")))


def first_day(claim: dict) -> date | None:
    """The first day of a claim's date of service: its date_of_service, else its lines' earliest."""

    def start(rng):
        if isinstance(rng, dict) and isinstance(rng.get("start"), str):
            day = date.fromisoformat(rng["start"])
            return day if rng.get("bounds", "[)")[0] == "[" else date.fromordinal(day.toordinal() + 1)
        return None

    if start(claim.get("date_of_service")):
        return start(claim["date_of_service"])
    days = [start(line.get("date_of_service")) for line in claim.get("claim_medical_lines") or []]
    days = [d for d in days if d]
    return min(days) if days else None
