"""The export lifecycle of each API version: kick-off, polling that honours Retry-After, the manifest,
every file downloaded and checked against it (seed "Request Data", "Download Data"; docs/sources/ab2d.md 1.4, 1.6).

The exports are the run's (client.export): v1 plain, v2 with a _since so its filter is checked too."""

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from payercert.suites.ab2d.client import client_of, export_of, manifest_schema, media, outcome_problems
from payercert.wording import header_shown

requirement = pytest.mark.requirement
VERSIONS = ["v1", "v2", "v3"]
PROGRESS = re.compile(r"^\d{1,3}% complete$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HUMAN = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4},? \d{1,2}:\d{2}:\d{2}[ \u00a0\u202f](AM|PM)$")


@pytest.mark.mutating
@requirement("AB2D-STATUS-1")
@pytest.mark.parametrize("version", VERSIONS)
def test_running_job_answers_202_with_retry_after_and_progress(request, version):
    """While the job runs, polls answer 202 with no body, Retry-After in seconds and X-Progress "<n>% complete" """
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    running = [r for r in export.polls if r.status_code == 202]
    if not running:
        pytest.skip("the job was finished at the first poll: no running status to check")
    for response in running:
        assert response.headers.get("retry-after", "").strip().isdigit(), (
            f"AB2D-STATUS-1: 202 Retry-After {header_shown(response, 'retry-after')}"
        )
        assert PROGRESS.match(response.headers.get("x-progress", "")), (
            f"AB2D-STATUS-1: 202 X-Progress {header_shown(response, 'x-progress')}"
        )
        assert not response.content, f"AB2D-STATUS-1: 202 has a body {response.text[:100]!r}"


@pytest.mark.mutating
@requirement("AB2D-STATUS-2", "AB2D-ERR-1")
def test_polling_too_soon_is_429(ab2d):
    """A poll sooner than Retry-After after the previous one answers 429, Retry-After and an OperationOutcome"""
    with ab2d.running_job("v1", "to poll") as location:
        first = ab2d.call("GET", location)
        again = ab2d.call("GET", location)
    if first.status_code != 202:
        pytest.skip(f"the job was not running at the first poll ({first.status_code})")
    assert again.status_code == 429, f"AB2D-STATUS-2: an immediate second poll got {again.status_code}"
    assert again.headers.get("retry-after", "").strip().isdigit(), "AB2D-STATUS-2: 429 without Retry-After"
    problems = outcome_problems(again, "You are polling too frequently")
    assert not problems, f"AB2D-STATUS-2: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-STATUS-4", "AB2D-JOB-3")
@pytest.mark.parametrize("version", VERSIONS)
def test_finished_job_answers_200_json_with_expires(request, version):
    """A finished job answers 200 application/json with the manifest object, and Expires 72 h after completion"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    assert media(export.final) == "application/json", f"AB2D-STATUS-4: Content-Type {media(export.final)!r}"
    assert isinstance(export.manifest, dict), "AB2D-STATUS-4: the manifest is not a JSON object"
    expires = export.final.headers.get("expires")
    assert expires, "AB2D-JOB-3: the 200 status response has no Expires"
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError):
        pytest.fail(f"AB2D-JOB-3: Expires {expires!r} is not an RFC 1123 date")
    now = datetime.now(UTC)
    assert now + timedelta(hours=71) < when <= now + timedelta(hours=72, minutes=1), (
        f"AB2D-JOB-3: Expires {expires} is not 72 h after completion"
    )


MANIFEST_CHECKS = [
    "AB2D-MANIFEST-1",
    "AB2D-MANIFEST-2",
    "AB2D-MANIFEST-3",
    "AB2D-MANIFEST-4",
    "AB2D-MANIFEST-5",
    "AB2D-MANIFEST-6",
    "AB2D-MANIFEST-7",
    "AB2D-MANIFEST-8",
]


def manifest_problems(export, target, rid):
    """The problems of one requirement: the bundle's schema (x-requirement), plus what needs the run."""
    manifest = export.manifest
    problems = [e.message for e in manifest_schema().errors(manifest) if e.requirement == rid]
    if rid == "AB2D-MANIFEST-1" and isinstance(manifest.get("transactionTime"), str):
        value = manifest["transactionTime"]
        ig = target.reading("AB2D-R-TRANSACTION-TIME") == "ig"
        if not (INSTANT.match(value) or (not ig and HUMAN.match(value))):
            problems.append(
                f"transactionTime {value!r} is not "
                + ("a FHIR instant (reading ig)" if ig else "an instant or AB2D's human display")
            )
    if rid == "AB2D-MANIFEST-2" and isinstance(manifest.get("request"), str):
        if f"/api/{export.version}/fhir/" not in manifest["request"]:
            problems.append(f"request {manifest['request']!r} is not the {export.version} kick-off URL")
    if rid == "AB2D-MANIFEST-4" and not export.urls:
        problems.append("output lists no file")
    if rid == "AB2D-MANIFEST-6":
        for url in export.urls:
            inside = f"/api/{export.version}/fhir/Job/{export.job_uuid}/file/"
            if not isinstance(url, str) or inside not in url or not url.startswith("https://"):
                problems.append(f"output url {url!r} is not an absolute URL inside {inside}")
    return problems


@pytest.mark.mutating
@pytest.mark.parametrize("rid", [pytest.param(r, marks=requirement(r), id=r) for r in MANIFEST_CHECKS])
@pytest.mark.parametrize("version", VERSIONS)
def test_manifest(request, target, version, rid):
    """The manifest meets the requirement (bundle schema, the readings, the job it belongs to)"""
    ab2d = client_of(request, version)
    problems = manifest_problems(export_of(ab2d, version), target, rid)
    assert not problems, f"{rid}: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-1", "AB2D-DOWNLOAD-7")
@pytest.mark.parametrize("version", VERSIONS)
def test_files_download_as_fhir_ndjson(request, version):
    """Every file answers 200 application/fhir+ndjson, named in Content-Disposition as in the manifest"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    assert export.files, "AB2D-MANIFEST-4: no file to download"
    for url, response in export.files.items():
        assert response.status_code == 200, f"AB2D-DOWNLOAD-1: {url} got {response.status_code} {response.text[:200]}"
        assert media(response) == "application/fhir+ndjson", (
            f"AB2D-DOWNLOAD-1: {url} Content-Type {header_shown(response, 'content-type')}"
        )
        name = url.rsplit("/", 1)[-1]
        assert f'filename="{name}"' in response.headers.get("content-disposition", ""), (
            f"AB2D-DOWNLOAD-7: Content-Disposition {header_shown(response, 'content-disposition')} does not name {name}"
        )


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-2")
@pytest.mark.parametrize("version", VERSIONS)
def test_gzip_only_when_asked(request, version):
    """With Accept-Encoding gzip the body is gzip; without it the body is plain NDJSON"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    url, zipped = next(iter(export.files.items()))
    assert zipped.headers.get("content-encoding", "").lower() == "gzip", (
        f"AB2D-DOWNLOAD-2: Accept-Encoding gzip got Content-Encoding {header_shown(zipped, 'content-encoding')}"
    )
    plain = ab2d.download(url, gzip=False)
    export.downloads[url] += 1
    assert plain.status_code == 200, f"AB2D-DOWNLOAD-2: plain download got {plain.status_code}"
    assert plain.headers.get("content-encoding", "").lower() != "gzip", "AB2D-DOWNLOAD-2: gzip without Accept-Encoding"
    assert plain.content == zipped.content, "AB2D-DOWNLOAD-2: the plain and the gzip download differ"
    assert not plain.content.startswith(b"\x1f\x8b"), "AB2D-DOWNLOAD-2: the plain body is gzip bytes"


@pytest.mark.mutating
@requirement("AB2D-MANIFEST-9")
@pytest.mark.parametrize("version", VERSIONS)
def test_files_match_the_manifest(request, version):
    """Each file's sha256 and byte length are those its manifest entry declares"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    for entry in export.manifest.get("output", []):
        response = export.files.get(entry.get("url"))
        if response is None or response.status_code != 200:
            continue
        declared = {e.get("url"): e for e in entry.get("extension", []) if isinstance(e, dict)}
        checksum = declared.get("https://ab2d.cms.gov/checksum", {}).get("valueString")
        length = declared.get("https://ab2d.cms.gov/file_length", {}).get("valueDecimal")
        actual = "sha256:" + hashlib.sha256(response.content).hexdigest()
        assert checksum == actual, f"AB2D-MANIFEST-9: {entry['url']} checksum {checksum} but the file is {actual}"
        assert length == len(response.content), (
            f"AB2D-MANIFEST-9: {entry['url']} file_length {length} but the file has {len(response.content)} bytes"
        )
