"""How the AB2D suites talk to a target: Okta client-credentials tokens renewed before they run out
(AB2D-AUTH-4: read expires_in, never assume a lifetime), the versioned FHIR bases, kick-off with a
wait for one's own running job on a 429 (AB2D-JOB-2), polling that honours Retry-After under a
wall-clock bound (AB2D-STATUS-3), downloads, and one completed export per API version kept for
the run (a job is expensive at a payer: every test reads the same one).

Oracles shared by the tests live here too: OperationOutcome bodies, the readings of error bodies
and content types, and the validation of every downloaded line (`validate_lines`)."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from payercert.auth import Token, basic_auth, cached_token, issued
from payercert.feeds import load_feed
from payercert.redact import REDACTOR
from payercert.session import TargetContext
from payercert.validators.fastpath import validate_ndjson_lines
from payercert.validators.findings import Finding
from payercert.validators.schemas import compiled_schema

FEED = load_feed("ab2d")
KIND = {"v1": "eob-stu3", "v2": "eob-r4", "v3": "eob-r4-v3"}
# any job id: whether it is a UUID is AB2D-JOB-5's own check
STATUS_URL = re.compile(r"^https://[^/\s]+(/[^\s]*)?/api/(v[123])/fhir/Job/([^/\s]+)/\$status$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
FHIR_JSON = "application/fhir+json"
POLL_BOUND = 300.0  # seconds; options.poll_timeout overrides it (AB2D jobs of big contracts run for hours)


def media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def manifest_schema():
    return compiled_schema(FEED.root / "schemas" / "manifest.json")


def outcome_problems(response: httpx.Response, text: str | None = None, code: str | None = None) -> list[str]:
    """What keeps an error body from being AB2D's OperationOutcome (AB2D-ERR-1, AB2D-ERR-2)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return [f"HTTP {response.status_code} body is not JSON: {response.text[:120]!r}"]
    issues = body.get("issue") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or body.get("resourceType") != "OperationOutcome"
        or not isinstance(issues, list)
        or not issues
    ):
        return [f"HTTP {response.status_code} body is not an OperationOutcome with issues: {response.text[:200]}"]
    problems = [
        f"issue {n} lacks severity or code: {issue}"
        for n, issue in enumerate(issues)
        if not isinstance(issue, dict) or not issue.get("severity") or not issue.get("code")
    ]
    texts = [
        str((i.get("details") or {}).get("text", "")) + str(i.get("diagnostics", ""))
        for i in issues
        if isinstance(i, dict)
    ]
    if text is not None and not any(text in t for t in texts):
        problems.append(f"no issue says {text!r}: {texts}")
    if code is not None and not any(isinstance(i, dict) and i.get("code") == code for i in issues):
        problems.append(f"no issue has code {code!r}: {response.text[:200]}")
    return problems


@dataclass
class Export:
    """One finished export: how it went and what it served."""

    version: str
    status_url: str
    job_uuid: str
    kickoff: httpx.Response
    polls: list[httpx.Response]
    final: httpx.Response
    params: dict[str, str]
    manifest: dict | None = None
    files: dict[str, httpx.Response] = field(default_factory=dict)  # url -> the gzip download
    downloads: dict[str, int] = field(default_factory=dict)  # url -> downloads made
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # url -> validator findings

    @property
    def urls(self) -> list[Any]:
        """The outputs' urls as the manifest gives them (its readers check that each is a string)."""
        return [o.get("url") for o in (self.manifest or {}).get("output", []) if isinstance(o, dict)]


def status_url_of(kickoff: httpx.Response, purpose: str) -> str:
    """The job's status URL a kick-off answered with; without one the test cannot go on (AB2D-KICKOFF-1)."""
    location = kickoff.headers.get("content-location", "")
    if not STATUS_URL.match(location):
        pytest.fail(f"AB2D-KICKOFF-1: no status URL {purpose} (HTTP {kickoff.status_code})")
    return location


class Ab2dClient:
    def __init__(self, target: TargetContext, account: str | None = None):
        self.target = target
        self.account = account
        if account is None:
            self.client_id, self.secret = target.credential("client_id"), target.credential("client_secret")
        else:
            acct = target.require_account(account)
            self.client_id, self.secret = acct["client_id"], acct["client_secret"]
        REDACTOR.add(self.secret)

    # --- tokens ---------------------------------------------------------------------------------
    def request_token(
        self,
        *,
        secret: str | None = None,
        client_id: str | None = None,
        scope: str = "clientCreds",
        in_query: bool = False,
    ) -> httpx.Response:
        """POST the Okta token URL: grant and scope in the form body (or, in_query, in the URL as the
        tutorial's Postman request puts them), Basic client_id:secret (AB2D-AUTH-1)."""
        headers = {
            "Authorization": basic_auth(client_id or self.client_id, secret or self.secret),
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        grant = {"grant_type": "client_credentials", "scope": scope}
        if in_query:
            return self.target.request("POST", self.target.url("token"), headers=headers, params=grant)
        return self.target.request("POST", self.target.url("token"), headers=headers, data=grant)

    def fresh_token(self) -> Token:
        """A new token: its value, when it runs out (time.time()) and its expires_in."""
        asked = time.time()
        response = self.request_token()
        assert response.status_code == 200, (
            f"AB2D-AUTH-2: token request with valid credentials got {response.status_code} {response.text[:200]}"
        )
        body = response.json()
        token, lifetime = body.get("access_token"), body.get("expires_in")
        assert isinstance(token, str) and isinstance(lifetime, int) and lifetime > 0, (
            f"AB2D-AUTH-2: token response lacks access_token or a positive expires_in: {list(body)}"
        )
        return issued(token, lifetime, asked)

    def current_token(self) -> Token:
        """The client's cached token, renewed before it runs out (payercert.auth)."""
        return cached_token(self.target.cache, ("ab2d-token", self.client_id), self.fresh_token)

    def token(self) -> str:
        return self.current_token().value

    # --- requests -------------------------------------------------------------------------------
    def fhir(self, version: str) -> str:
        return self.target.url(f"fhir_{version}").rstrip("/")

    def call(
        self, method: str, url: str, *, token: str | None | bool = True, headers: dict | None = None, params: Any = None
    ) -> httpx.Response:
        """`token`: True for the client's current token, a string for that token, None for none.

        With the current token, a 401/403 that came back after that token's own expiry is the clock's
        doing, not the server's: the request goes again, once, with a renewed token, as a real client
        would. A token refused while it still had time left is the server's answer and stands."""
        headers = dict(headers or {})
        if token is not True:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return self.target.request(method, url, headers=headers, params=params)
        sent = self.current_token()
        headers["Authorization"] = f"Bearer {sent.value}"
        response = self.target.request(method, url, headers=headers, params=params)
        if response.status_code in (401, 403) and time.time() >= sent.expires:
            headers["Authorization"] = f"Bearer {self.token()}"
            response = self.target.request(method, url, headers=headers, params=params)
        return response

    def kickoff(
        self,
        version: str,
        params: dict | None = None,
        *,
        headers: dict | None = None,
        token: str | None | bool = True,
        path: str = "/Patient/$export",
    ) -> httpx.Response:
        default = {"Accept": FHIR_JSON, "Prefer": "respond-async"}  # AB2D-KICKOFF-2
        return self.call(
            "GET",
            self.fhir(version) + path,
            token=token,
            params=params,
            headers=default if headers is None else headers,
        )

    def kickoff_when_free(self, version: str, params: dict | None = None, **kwargs: Any) -> httpx.Response:
        """A kick-off; on a 429 for a running job of ours, wait for it (or cancel it) and try again."""
        response = self.kickoff(version, params, **kwargs)
        for _ in range(3):
            if response.status_code != 429:
                return response
            for url in [u.strip() for u in response.headers.get("content-location", "").split(",") if u.strip()]:
                self.call("DELETE", url)
                self.poll(url, bound=60)
            if not response.headers.get("content-location"):
                time.sleep(self.retry_after(response, 5))
            response = self.kickoff(version, params, **kwargs)
        return response

    @contextmanager
    def running_job(self, version: str, purpose: str, params: dict | None = None, **kwargs: Any):
        """A job kicked off for one test: its status URL, cancelled afterwards whatever the test found."""
        location = status_url_of(self.kickoff_when_free(version, params, **kwargs), purpose)
        try:
            yield location
        finally:
            self.call("DELETE", location)

    @staticmethod
    def retry_after(response: httpx.Response, fallback: float) -> float:
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return float(value)
        if value:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
        return fallback

    def poll(self, status_url: str, *, bound: float | None = None) -> tuple[httpx.Response, list[httpx.Response]]:
        """Poll until the job leaves 202: wait Retry-After plus a margin (AB2D's e2e adds 2 s; a tenth
        here), treat a 429 as "wait", back off exponentially without Retry-After (IG). Past the bound
        the test is skipped as inconclusive (AB2D-STATUS-3)."""
        bound = bound or float(self.target.target.options.get("poll_timeout", POLL_BOUND))
        deadline, backoff, seen = time.monotonic() + bound, 1.0, []
        while True:
            response = self.call("GET", status_url, headers={"Accept": "application/json"})
            seen.append(response)
            if response.status_code not in (202, 429):
                return response, seen
            wait = self.retry_after(response, backoff)
            backoff = min(backoff * 2, 60.0)
            wait = min(wait * 1.1 + 0.1, 120.0)
            if time.monotonic() + wait > deadline:
                pytest.skip(f"inconclusive: the job at {status_url} did not finish within {bound:g}s")
            time.sleep(wait)

    def download(self, url: str, *, gzip: bool = True, token: str | None | bool = True) -> httpx.Response:
        headers = {"Accept": "application/fhir+ndjson", "Accept-Encoding": "gzip" if gzip else "identity"}
        return self.call("GET", url, headers=headers, token=token)

    # --- the run's exports -------------------------------------------------------------------------
    def export(self, version: str, params: dict | None = None) -> Export:
        """The run's completed export of this client and version (started, polled and downloaded once)."""
        key = ("ab2d-export", self.client_id, version)
        export = self.target.shared(key, lambda: self._run_export(version, params or {}))
        if isinstance(export, str):
            pytest.fail(export)
        return export

    def _run_export(self, version: str, params: dict) -> Export | str:
        kickoff = self.kickoff_when_free(version, params)
        location = kickoff.headers.get("content-location", "")
        status_url = STATUS_URL.match(location)
        if kickoff.status_code not in (200, 202) or not status_url:
            return (
                f"AB2D-KICKOFF-1: kick-off answered {kickoff.status_code} with Content-Location {location!r}: "
                "no export to read"
            )
        final, polls = self.poll(location)
        export = Export(version, location, status_url.group(3), kickoff, polls, final, params)
        if final.status_code != 200:
            return f"AB2D-STATUS-4: the job ended with {final.status_code} {final.text[:200]}"
        try:
            export.manifest = json.loads(final.content)
        except ValueError:
            return f"AB2D-STATUS-4: the 200 status body is not JSON: {final.text[:200]!r}"
        for url in export.urls:
            if isinstance(url, str):
                export.files[url] = self.download(url)
                export.downloads[url] = 1
        return export


V2_SINCE = "2021-06-01T00:00:00-05:00"  # the v2 export filters by _since (AB2D-EOB-17)


def client_of(request: pytest.FixtureRequest, version: str) -> Ab2dClient:
    """The client that exports on a version: the sponsor under test, on v3 an allow-listed one (the
    `v3` fixture, which skips where the target names none)."""
    return request.getfixturevalue("v3" if version == "v3" else "ab2d")


def export_of(client: Ab2dClient, version: str) -> Export:
    """The run's export of a version: v1 without parameters, v2 with _since."""
    return client.export(version, {"_since": V2_SINCE} if version == "v2" else None)


def validate_lines(content: bytes, version: str) -> list[Finding]:
    """Every line of a downloaded file through the bundle's validator for its version's kind (its
    typed fast path, same findings as `payercert validate`), in memory: a payer's export holds PHI
    and is never written to disk."""
    return list(validate_ndjson_lines("ab2d", KIND[version], content.splitlines(keepends=True)))


def findings_of(export: Export) -> dict[str, list[Finding]]:
    """Validator findings of every file of an export that downloaded with 200 (cached on the export)."""
    for url, response in export.files.items():
        if url not in export.findings and response.status_code == 200:
            export.findings[url] = validate_lines(response.content, export.version)
    return export.findings


def auth_refusal(response: httpx.Response, status: int, requirement: str, target: TargetContext) -> None:
    """A 401/403 (or 503): the status, and the body the selected AB2D-R-AUTH-ERROR-BODY reading wants
    (ig: an OperationOutcome; ab2d: empty as AB2D answers, or an OperationOutcome as the IG wants)."""
    assert response.status_code == status, (
        f"{requirement}: expected HTTP {status}, got {response.status_code} {response.text[:200]}"
    )
    reading = target.reading("AB2D-R-AUTH-ERROR-BODY")
    if reading == "ab2d" and not response.content:
        return
    problems = outcome_problems(response)
    assert not problems, f"AB2D-ERR-4: (reading AB2D-R-AUTH-ERROR-BODY={reading}) {problems[0]}"


def error_media_ok(response: httpx.Response, target: TargetContext) -> bool:
    allowed = {FHIR_JSON} if target.reading("AB2D-R-ERROR-CONTENT-TYPE") == "ig" else {FHIR_JSON, "application/json"}
    return media(response) in allowed
