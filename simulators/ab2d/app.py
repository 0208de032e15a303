"""The AB2D simulator's ASGI app: an Okta-like token endpoint and AB2D's bulk export API (v1 STU3,
v2 R4, v3 R4 for allow-listed contracts) as AB2D's code builds it (docs/sources/ab2d.md 1.1-1.8).

It behaves as AB2D does, deviations from the Bulk Data IG included (human-display transactionTime,
empty 401/403/503 bodies, 500 past the download limit, application/json error bodies): the
readings are the suites' business, so the simulator does not follow them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payercert.simulation import load_simulator
from payercert.simulators.keys import signing_key
from payercert.token_endpoint import basic_credentials, signed_token, token_error, token_response

from .eobs import EASTERN, RENDER, Beneficiary, beneficiaries, claim_facts
from .jobs import Job, Sponsor, split_files

AUTH_SERVER = "aus2r7y3gdaFMKBol297"  # the sandbox's Okta authorization server (seed, Retrieve a token)
AUDIENCE = "AB2D"
SCOPE = "clientCreds"
FHIR = {"v1": "3.0.2", "v2": "4.0.0", "v3": "4.0.0"}  # R4 says 4.0.0, not 4.0.1 (docs/sources/ab2d.md 1.8)
SINCE_FLOOR = {
    "v1": datetime(2020, 2, 13, tzinfo=EASTERN),
    "v2": datetime(2020, 2, 13, tzinfo=EASTERN),
    "v3": datetime(2026, 4, 1, tzinfo=EASTERN),
}
# exact, case-sensitive (docs/sources/ab2d.md 1.3)
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
ACCEPTABLE = ("application/fhir+json", "application/json", "*/*", "application/*")  # produces= of the controllers
TYPE_FILTER = re.compile(
    r"^ExplanationOfBenefit\?service-date=(eq|gt|ge|lt|le|sa|eb)(\d{4}-\d{2}-\d{2})"
    r"(&service-date=(eq|gt|ge|lt|le|sa|eb)(\d{4}-\d{2}-\d{2}))?$"
)
MAX_DOWNLOADS = 6  # FileDownloadCommon MAX_DOWNLOADS (docs/sources/ab2d.md 1.6)
FILES_TTL = timedelta(hours=72)  # audit.files.ttl.hours (docs/sources/ab2d.md 1.4)
TOO_MANY_JOBS = (
    "You already have active export requests in progress. Please wait until they complete before submitting a new one."
)


def operation_outcome(text: str, code: str = "invalid") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "details": {"text": text}}],
    }


def human_display(moment: datetime) -> str:
    """HAPI DateTimeType.toHumanDisplay(): how AB2D writes transactionTime (docs/sources/ab2d.md 1.4)."""
    local = moment.astimezone(EASTERN)
    return f"{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M:%S} {local:%p}"


class Ab2dSimulator:
    def __init__(
        self,
        fault: str | None = None,
        *,
        readings: dict[str, str] | None = None,
        token_lifetime: int = 3600,
        short_token_lifetime: int = 3,
        job_seconds: float = 20.0,
        job_time_limit: float = 30 * 3600.0,
        retry_after: int = 5,
        claims_per_beneficiary: int = 2,
        beneficiary_scale: float = 1.0,
        file_limit: int = 200 * 2**20,
        clock: Callable[[], float] = time.time,
    ):
        self.fault = load_simulator("ab2d").fault(fault)
        self.readings = dict(readings or {})  # not followed: AB2D as built is the oracle
        self.token_lifetime, self.job_seconds, self.retry_after = token_lifetime, job_seconds, retry_after
        self.job_time_limit = job_time_limit  # a job running longer fails (AB2D-JOB-4: 30 hours)
        self.claims_per_beneficiary, self.file_limit, self.clock = claims_per_beneficiary, file_limit, clock
        self.key = signing_key()
        self.issuer = "https://payercert.invalid/oauth2/" + AUTH_SERVER  # replaced by the served host
        # the seed's fictitious sponsors (docs/sources/ab2d.md 1.1), with our own generated secrets
        scale = beneficiary_scale
        self.sponsors = [
            Sponsor(
                "PDP-100",
                "Z0000",
                "0oa2t0lsrdZw5uWRx297",
                secrets.token_urlsafe(30),
                max(1, int(100 * scale)),
                v3_allowed=False,
                attested=date(2020, 3, 1),
            ),
            Sponsor(
                "PDP-1000",
                "Z0001",
                "0oa2t0lc65ErV8OmY297",
                secrets.token_urlsafe(30),
                max(1, int(100 * scale)),
                v3_allowed=True,
                attested=date(2020, 3, 1),
            ),
            # a contract whose claims source fails: every job of it fails (AB2D-STATUS-5)
            Sponsor(
                "PDP-2000",
                "Z0002",
                "0oa2t0lkicpxFGkGt297",
                secrets.token_urlsafe(30),
                max(1, int(20 * scale)),
                v3_allowed=True,
                attested=date(2020, 3, 1),
                failing=True,
            ),
            # not from the seed: a client of our own whose tokens expire in seconds, for the tests
            # that wait a token out (every other client's tokens live as long as AB2D's)
            Sponsor(
                "PDP-3000",
                "Z0003",
                "0oapayercertshort0001",
                secrets.token_urlsafe(30),
                max(1, int(20 * scale)),
                v3_allowed=False,
                attested=date(2020, 3, 1),
                token_lifetime=short_token_lifetime,
            ),
            # not from the seed either: a contract whose claims source never answers, so that its jobs
            # run into the job time limit (AB2D-JOB-4)
            Sponsor(
                "PDP-4000",
                "Z0004",
                "0oapayercertstuck0001",
                secrets.token_urlsafe(30),
                max(1, int(20 * scale)),
                v3_allowed=False,
                attested=date(2020, 3, 1),
                stuck=True,
            ),
        ]
        self.clients = {s.client_id: s for s in self.sponsors}
        self.enrollees: dict[str, list[Beneficiary]] = {
            s.contract: beneficiaries(s.contract, s.beneficiaries) for s in self.sponsors
        }
        self.jobs: dict[str, Job] = {}
        self.aliases: dict[str, str] = {}  # file-url-outside-job: alias uuid -> job uuid
        self.lock = threading.Lock()
        routes = [
            Route("/oauth2/" + AUTH_SERVER + "/v1/token", self.token, methods=["POST"]),
            Route("/health", self.health),
        ]
        for prefix, maintenance in (("", False), ("/maintenance", True)):
            base = prefix + "/api/{version:str}/fhir"
            routes += [
                Route(base + "/metadata", self.metadata),
                Route(base + "/Patient/$export", self._kickoff_route(maintenance, group=False)),
                Route(base + "/Group/{contract}/$export", self._kickoff_route(maintenance, group=True)),
                Route(base + "/Job/{job_uuid}/$status", self.status, methods=["GET", "DELETE"]),
                Route(base + "/Job/{job_uuid}/file/{filename:path}", self.download),
            ]
        self.app = Starlette(routes=routes)

    def broken(self, name: str) -> bool:
        return self.fault is not None and self.fault.name == name

    # --- the local target --------------------------------------------------------------------------
    def local_target(self, base_url: str) -> dict[str, Any]:
        primary, second, failing, short, stuck = self.sponsors
        return {
            "urls": {
                "api": base_url,
                "token": f"{base_url}/oauth2/{AUTH_SERVER}/v1/token",
                "fhir_v1": f"{base_url}/api/v1/fhir",
                "fhir_v2": f"{base_url}/api/v2/fhir",
                "fhir_v3": f"{base_url}/api/v3/fhir",
                # the same API in maintenance mode (AB2D-KICKOFF-11)
                "maintenance_v1": f"{base_url}/maintenance/api/v1/fhir",
            },
            "credentials": {"client_id": primary.client_id, "client_secret": primary.client_secret},
            "accounts": {
                "second_client": {"client_id": second.client_id, "client_secret": second.client_secret},
                "failing_client": {"client_id": failing.client_id, "client_secret": failing.client_secret},
                "short_token_client": {"client_id": short.client_id, "client_secret": short.client_secret},
                "stuck_client": {"client_id": stuck.client_id, "client_secret": stuck.client_secret},
            },
            "options": {"job_time_limit": self.job_time_limit},
            "data": {
                "contract": primary.contract,
                "second_contract": second.contract,
                "second_client": second.client_id,
                "v3_allowed": False,
                "second_v3_allowed": True,
                "enrollees": [b.patient_id for b in self.enrollees[primary.contract]],
            },
            "secrets": [s.client_secret for s in self.sponsors],
        }

    # --- Okta -------------------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        """client_credentials with Basic client_id:secret; grant_type and scope in the body or the query."""
        body = parse_qs((await request.body()).decode("utf-8", "replace"))
        params = {k: v[-1] for k, v in body.items()}
        if not self.broken("token-query-ignored"):
            params |= dict(request.query_params)
        sponsor = self._basic_client(request)
        if sponsor is None:
            return token_error("invalid_client", 401, "Client authentication failed.")
        if params.get("grant_type") != "client_credentials":
            return token_error("unsupported_grant_type", 400, "The authorization grant type is not supported.")
        if params.get("scope") != SCOPE:
            return token_error("invalid_scope", 400, "One or more scopes are not configured for the client.")
        now, lifetime = self.clock(), sponsor.token_lifetime or self.token_lifetime
        issuer = f"{request.base_url}".rstrip("/") + "/oauth2/" + AUTH_SERVER
        # whole seconds as Okta writes them; the token lives at least expires_in
        claims = {
            "ver": 1,
            "jti": "AT." + secrets.token_urlsafe(24),
            "iss": issuer,
            "aud": AUDIENCE,
            "iat": int(now),
            "exp": math.ceil(now) + lifetime,
            "cid": sponsor.client_id,
            "scp": [SCOPE],
            "sub": sponsor.client_id,
        }
        return token_response(signed_token(claims, self.key, "payercert-sim"), lifetime, scope=SCOPE)

    def _basic_client(self, request: Request) -> Sponsor | None:
        client_id, secret = basic_credentials(request) or ("", "")
        sponsor = self.clients.get(client_id)
        if sponsor is None or not secrets.compare_digest(secret.encode(), sponsor.client_secret.encode()):
            return None
        return sponsor

    def _bearer(self, request: Request) -> Sponsor | Response:
        """401 for no or a malformed header, 403 for a token that does not verify: both empty (docs/sources/ab2d.md 1.3)."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return Response(status_code=401)
        try:
            claims = jwt.decode(
                header[7:].strip(),
                self.key.public_key(),
                algorithms=["RS256"],
                audience=AUDIENCE,
                issuer=f"{request.base_url}".rstrip("/") + "/oauth2/" + AUTH_SERVER,
                options={"require": ["exp", "iat", "sub"], "verify_exp": False},
            )
            # expiry against the simulator's own clock (scalable in tests), no leeway
            if not self.broken("expired-token-accepted") and claims["exp"] <= self.clock():
                raise jwt.ExpiredSignatureError("expired")
        except jwt.PyJWTError:
            return Response(status_code=403)
        sponsor = self.clients.get(str(claims.get("sub")))
        return sponsor if sponsor is not None else Response(status_code=403)

    # --- public ------------------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        return Response(status_code=200)

    async def metadata(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in FHIR:
            return self.error(404, f"No API version {version}")
        base = f"{request.base_url}".rstrip("/") + f"/api/{version}/fhir"
        operations = [
            {"name": name, "definition": {"reference": base + path}}
            for name, path in (
                ("export", "/Patient/$export"),
                ("export by contract number", "/Group/{contractNumber}/$export"),
                ("Cancel Export Job", "/Job/{jobUuid}/$status"),
                ("Export Job Status", "/Job/{jobUuid}/$status"),
                ("Download Export File", "/Job/{jobUuid}/file/{filename}"),
                ("Capability Statement", "/metadata"),
            )
        ]
        statement: dict[str, Any] = {
            "resourceType": "CapabilityStatement",
            "fhirVersion": FHIR[version],
            "date": "2020-01-15",
            "publisher": "Centers for Medicare & Medicaid Services",
            "format": ["application/json", "application/fhir+json"],
            "software": {"name": "AB2D", "version": "latest"},
        }
        security = {
            "service": [{"coding": [{"system": "http://hl7.org/fhir/restful-security-service", "code": "OAuth"}]}]
        }
        if version == "v1":  # CapabilityStatementSTU3: no instantiates, no rest.resource (docs/sources/ab2d.md 1.8)
            statement |= {
                "status": "active",
                "kind": "instance",
                "acceptUnknown": "extensions",
                "rest": [{"mode": "server", "security": security, "operation": operations}],
            }
        else:
            statement |= {
                "status": "draft",
                "kind": "requirements",
                "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
                "rest": [
                    {
                        "mode": "server",
                        "security": security,
                        "operation": operations,
                        "resource": [
                            {
                                "type": "Patient",
                                "operation": [
                                    {
                                        "name": "export",
                                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        return JSONResponse(statement, media_type="application/json")

    # --- kick-off ----------------------------------------------------------------------------------
    def _kickoff_route(self, maintenance: bool, group: bool):
        async def handler(request: Request) -> Response:
            return self.kickoff(request, maintenance=maintenance, group=group)

        return handler

    def kickoff(self, request: Request, *, maintenance: bool, group: bool) -> Response:
        version = request.path_params["version"]
        if version not in FHIR or (group and version == "v3"):  # v3 has no Group export
            return self.error(404, f"No export at {request.url.path}")
        sponsor = self._bearer(request)
        if isinstance(sponsor, Response):
            return sponsor
        if version == "v3" and not sponsor.v3_allowed:
            return self.error(403, "V3 access not enabled for this PDP", media="application/fhir+json")
        if group and request.path_params["contract"] != sponsor.contract:
            return Response(status_code=403)  # InvalidContract: empty body
        if maintenance:
            return Response(status_code=503)  # InMaintenanceMode: empty body
        accept = request.headers.get("accept")
        if accept and not any(a.split(";")[0].strip() in ACCEPTABLE for a in accept.split(",")):
            return self.error(406, f"Could not find acceptable representation for Accept: {accept[:60]}")
        with self.lock:
            running = sorted(
                (j for j in self.jobs.values() if j.client_id == sponsor.client_id and self._running(j)),
                key=lambda j: j.created,
            )
            if running and not self.broken("second-job-accepted"):
                locations = ", ".join(self._status_url(request, j) for j in running)
                return self.error(
                    429, TOO_MANY_JOBS, headers={"Retry-After": str(self.retry_after), "Content-Location": locations}
                )
            params = self._export_parameters(request, version)
            if isinstance(params, Response):
                return params
            job = Job(
                uuid=str(uuid.uuid4()) if version != "v3" else "33333333" + str(uuid.uuid4())[8:],
                client_id=sponsor.client_id,
                contract=sponsor.contract,
                version=version,
                request_url=str(request.url),
                created=datetime.fromtimestamp(self.clock(), UTC),
                started=self.clock(),
                since=params["since"],
                until=params["until"],
                service_dates=params["service_dates"],
            )
            self.jobs[job.uuid] = job
        headers = {} if self.broken("no-content-location") else {"Content-Location": self._status_url(request, job)}
        return Response(status_code=200 if self.broken("kickoff-200") else 202, headers=headers)

    def _export_parameters(self, request: Request, version: str) -> dict | Response:
        """AB2D's checks in its order (docs/sources/ab2d.md 1.3): _type, _outputFormat, _since, _until, _typeFilter."""
        query = request.query_params
        if query.get("_type", "ExplanationOfBenefit") != "ExplanationOfBenefit" or len(query.getlist("_type")) > 1:
            return self.error(400, "_type must be ExplanationOfBenefit")
        output_format = query.get("_outputFormat", "application/fhir+ndjson")
        if output_format not in OUTPUT_FORMATS:
            return self.error(400, f"An _outputFormat of {output_format[:80]} is not valid")
        now = datetime.fromtimestamp(self.clock(), UTC)
        since = self._datetime(query.get("_since"), "_since")
        if isinstance(since, Response):
            return since
        if since is not None:
            if since > now:
                return self.error(400, "You can not use a time after the current time for _since")
            if since < SINCE_FLOOR[version]:
                suffix = " for V3" if version == "v3" else ""
                return self.error(
                    400, f"_since must be after {SINCE_FLOOR[version]:%Y-%m-%dT%H:%M%z}"[:-2] + ":00" + suffix
                )
        until = self._datetime(query.get("_until"), "_until")
        if isinstance(until, Response):
            return until
        if until is not None:
            if version == "v1":
                return self.error(400, "The _until parameter is only available with version 2 and version 3 of the API")
            if until < SINCE_FLOOR[version]:
                return self.error(400, f"_until must be after {SINCE_FLOOR[version]:%Y-%m-%d}")
            if since is not None and until < since:
                return self.error(400, "_until must be after _since")
        service_dates: list[tuple[str, date]] = []
        if version == "v3" and "_typeFilter" in query:
            type_filter = query["_typeFilter"]
            if not type_filter.startswith("ExplanationOfBenefit?"):
                return self.error(400, "The _typeFilter parameter must be for the ExplanationOfBenefit resource")
            if "service-date=" not in type_filter:
                return self.error(400, "The _typeFilter subquery must be for the service-date parameter")
            match = TYPE_FILTER.match(type_filter)
            if not match:
                return self.error(400, "Invalid _typeFilter parameter")
            try:
                service_dates.append((match.group(1), date.fromisoformat(match.group(2))))
                if match.group(4):
                    service_dates.append((match.group(4), date.fromisoformat(match.group(5))))
            except ValueError:
                return self.error(400, f"invalid service-date parameter: {type_filter[:80]}")
        return {"since": since, "until": until, "service_dates": service_dates}

    def _datetime(self, raw: str | None, name: str) -> datetime | None | Response:
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is None or value.tzinfo is None:  # @DateTimeFormat(iso=DATE_TIME) needs an offset
            return self.error(400, f"{name} {raw[:60]!r} is not an ISO date-time with an offset")
        return value

    # --- status and cancel ----------------------------------------------------------------------
    async def status(self, request: Request) -> Response:
        job = self._own_job(request)
        if isinstance(job, Response):
            return job
        if request.method == "DELETE":
            return self.cancel(job)
        with self.lock:
            self._advance(job)
            if job.status == "CANCELLED":
                return self.error(404, "Job is canceled.", code="deleted")
            if job.status == "FAILED":
                return self.error(500, "Job failed while processing")
            if job.status == "IN_PROGRESS":
                now = self.clock()
                if job.last_poll is not None and now - job.last_poll < self.retry_after:
                    job.last_poll = now
                    return self.error(
                        429, "You are polling too frequently", headers={"Retry-After": str(self.retry_after)}
                    )
                job.last_poll = now
                headers = {}
                if not self.broken("no-retry-after"):
                    headers["Retry-After"] = str(self.retry_after)
                if not self.broken("no-x-progress"):
                    headers["X-Progress"] = f"{job.progress(now, self._duration(job))}% complete"
                return Response(status_code=202, headers=headers)
            return self._manifest(request, job)

    def cancel(self, job: Job) -> Response:
        with self.lock:
            self._advance(job)
            if job.status != "IN_PROGRESS":
                return self.error(400, f"Job has a status of {job.status}, so it cannot be cancelled")
            if not self.broken("delete-ignored"):
                job.status = "CANCELLED"
        return Response(status_code=202)

    def _manifest(self, request: Request, job: Job) -> Response:
        base = f"{request.base_url}".rstrip("/") + f"/api/{job.version}/fhir"
        url_uuid = job.uuid
        if self.broken("file-url-outside-job"):
            url_uuid = next((a for a, j in self.aliases.items() if j == job.uuid), str(uuid.uuid4()))
            self.aliases[url_uuid] = job.uuid
        output = []
        for name, data in job.files.items():
            digest = hashlib.sha256(job.gzipped[name] if self.broken("wrong-checksum") else data).hexdigest()
            output.append(
                {
                    "type": "Patient" if self.broken("manifest-wrong-output-type") else "ExplanationOfBenefit",
                    "url": f"{base}/Job/{url_uuid}/file/{name}",
                    "extension": [
                        {"url": "https://ab2d.cms.gov/checksum", "valueString": f"sha256:{digest}"},
                        {"url": "https://ab2d.cms.gov/file_length", "valueDecimal": len(data)},
                    ],
                }
            )
        manifest = {
            "transactionTime": human_display(job.created),
            "request": job.request_url,
            "requiresAccessToken": True,
            "output": output,
            "error": [],
        }
        if self.broken("manifest-no-transaction-time"):
            del manifest["transactionTime"]
        assert job.completed is not None  # a manifest is of a job that succeeded, which set it
        expires = format_datetime(job.completed + FILES_TTL, usegmt=True)
        return Response(json.dumps(manifest).encode(), 200, media_type="application/json", headers={"Expires": expires})

    # --- download --------------------------------------------------------------------------------
    async def download(self, request: Request) -> Response:
        filename = request.path_params["filename"]
        if not _is_uuid(request.path_params["job_uuid"]):
            return self.error(404, "Invalid job UUID provided", media="application/json")
        if "/" in filename or "\\" in filename or "\r" in filename or "\n" in filename or filename in ("", ".", ".."):
            return self.error(404, "Invalid filename provided", media="application/json")
        job = self._own_job(request)
        if isinstance(job, Response):
            return job
        with self.lock:
            self._advance(job)
            if job.status != "SUCCESSFUL" or filename not in job.files:
                return self.error(404, f"The file {filename[:80]} is not present", media="application/json")
            assert job.completed is not None  # set with SUCCESSFUL
            if datetime.fromtimestamp(self.clock(), UTC) >= job.completed + FILES_TTL:
                return self.error(
                    500, "The file is not present as it has expired. Please resubmit the job.", media="application/json"
                )
            job.downloads[filename] += 1
            if job.downloads[filename] > MAX_DOWNLOADS:
                return self.error(
                    500,
                    "The file has already been download the maximum number of allowed times.",
                    media="application/json",
                )
        media = "application/json" if self.broken("download-wrong-content-type") else "application/fhir+ndjson"
        headers = {"Content-Disposition": f'inline; swaggerDownload="attachment"; filename="{filename}"'}
        encodings = {e.split(";")[0].strip().lower() for e in request.headers.get("accept-encoding", "").split(",")}
        if "gzip" in encodings:
            headers["Content-Encoding"] = "gzip"
            return Response(job.gzipped[filename], 200, media_type=media, headers=headers)
        return Response(job.files[filename], 200, media_type=media, headers=headers)

    # --- jobs ------------------------------------------------------------------------------------
    def _own_job(self, request: Request) -> Job | Response:
        sponsor = self._bearer(request)
        if isinstance(sponsor, Response):
            return sponsor
        job_uuid = self.aliases.get(request.path_params["job_uuid"], request.path_params["job_uuid"])
        job = self.jobs.get(job_uuid)
        if job is None:
            return self.error(404, f"No job with jobUuid {job_uuid[:40]} was found")
        if job.client_id != sponsor.client_id:
            reading = request.method == "GET" and "/file/" not in request.url.path
            if not (reading and self.broken("other-sponsor-reads-job")):
                return Response(status_code=403)  # InvalidJobAccess: empty body
        return job

    def _running(self, job: Job) -> bool:
        self._advance(job)
        return job.status == "IN_PROGRESS"

    def _duration(self, job: Job) -> float:
        return self.job_seconds

    def _advance(self, job: Job) -> None:
        """A job finishes `job_seconds` after it started: then its files are built (or it fails). A
        job whose claims never come fails at the job time limit."""
        sponsor = self.clients[job.client_id]
        if job.status == "IN_PROGRESS" and sponsor.stuck:
            if self.clock() - job.started >= self.job_time_limit and not self.broken("long-job-runs-on"):
                job.status = "FAILED"
            return
        if job.status != "IN_PROGRESS" or self.clock() - job.started < self._duration(job):
            return
        if sponsor.failing:
            job.status = "FAILED"
            return
        lines = self._lines(sponsor, job)
        job.files, job.gzipped = split_files(sponsor.contract, lines, self.file_limit)
        job.status, job.completed = "SUCCESSFUL", datetime.fromtimestamp(self.clock(), UTC)

    def _lines(self, sponsor: Sponsor, job: Job) -> list[bytes]:
        """The job's EOBs: the contract's enrollees' claims updated within (_since, _until] (docs/sources/ab2d.md 1.9)."""
        earliest = max(sponsor.attested, date(2020, 1, 1)) if job.version != "v3" else date(2026, 4, 1)
        enrollees = self.enrollees[sponsor.contract]
        render = RENDER[job.version]
        out: list[bytes] = []
        for index in range(len(enrollees) * self.claims_per_beneficiary):
            facts = claim_facts(sponsor.contract, index, enrollees[index % len(enrollees)], earliest)
            if job.since and facts["updated"] <= job.since or job.until and facts["updated"] > job.until:
                continue
            if not all(_service_date_matches(op, day, facts["start"]) for op, day in job.service_dates):
                continue
            out.append(_compact(render(facts)))
        return self._faulty_lines(out, job.version)

    def _faulty_lines(self, lines: list[bytes], version: str) -> list[bytes]:
        if not lines:
            return lines
        eob = json.loads(lines[0])
        if self.broken("eob-wrong-resource-type"):
            eob["resourceType"] = "Claim"
        elif self.broken("eob-missing-patient"):
            del eob["patient"]
        elif self.broken("eob-invalid-date"):
            eob["billablePeriod"]["start"] = "2020/03/01"
        elif self.broken("eob-outside-subset"):
            eob["benefitBalance"] = [
                {"category": {"coding": [{"system": "http://hl7.org/fhir/benefit-category", "code": "medical"}]}}
            ]
        else:
            return lines
        return [_compact(eob), *lines[1:]]

    @staticmethod
    def _status_url(request: Request, job: Job) -> str:
        base = f"{request.base_url}".rstrip("/")
        return f"{base}/api/{job.version}/fhir/Job/{job.uuid}/$status"

    # --- errors ----------------------------------------------------------------------------------
    @staticmethod
    def error(
        status: int, text: str, *, code: str = "invalid", headers: dict | None = None, media: str | None = None
    ) -> Response:
        """AB2D's generateFHIRError: one issue, details.text the message (docs/sources/ab2d.md 1.7). The cancelled-job
        404 and download errors go out as application/json (docs/sources/ab2d.md 1.4, 1.6)."""
        media = media or ("application/json" if code == "deleted" else "application/fhir+json")
        return Response(
            json.dumps(operation_outcome(text, code), indent=2).encode(), status, media_type=media, headers=headers
        )


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def _service_date_matches(op: str, day: date, start: date) -> bool:
    return {
        "eq": start == day,
        "gt": start > day,
        "ge": start >= day,
        "lt": start < day,
        "le": start <= day,
        "sa": start > day,
        "eb": start < day,
    }[op]


def create(fault: str | None = None, **options: Any) -> Ab2dSimulator:
    return Ab2dSimulator(fault, **options)
