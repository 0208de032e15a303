"""Cancel: DELETE on a job's status URL (seed "Download Data": "at any point before completion, the
process can be cancelled"; docs/sources/ab2d.md 1.4, 1.5), and the errors of unknown jobs and failed jobs."""

import time
import uuid

import pytest

from payercert.suites.ab2d.client import (
    STATUS_URL,
    Ab2dClient,
    client_of,
    error_media_ok,
    media,
    outcome_problems,
    status_url_of,
)

requirement = pytest.mark.requirement


def cancelled_job(ab2d, version: str = "v1"):
    """A job kicked off and cancelled: (status URL, DELETE response, the poll after), kept for the run."""

    def cancel():
        location = status_url_of(ab2d.kickoff_when_free(version), "to cancel")
        deleted = ab2d.call("DELETE", location)
        final, _polls = ab2d.poll(location, bound=60)
        return location, deleted, final

    return ab2d.target.shared(("ab2d-cancelled", ab2d.client_id, version), cancel)


@pytest.mark.mutating
@requirement("AB2D-CANCEL-1")
@pytest.mark.parametrize("version", [pytest.param("v1", marks=pytest.mark.smoke), "v2", "v3"])
def test_delete_cancels_a_running_job(request, version):
    """DELETE on a running job answers 202 with no body, and the job never completes, on every version"""
    ab2d = client_of(request, version)
    _location, deleted, final = cancelled_job(ab2d, version)
    assert deleted.status_code == 202, f"AB2D-CANCEL-1: DELETE got {deleted.status_code} {deleted.text[:200]}"
    assert not deleted.content, f"AB2D-CANCEL-1: DELETE 202 has a body {deleted.text[:100]!r}"
    assert final.status_code not in (200, 202), "AB2D-CANCEL-1: the cancelled job went on to complete"


@pytest.mark.mutating
@requirement("AB2D-CANCEL-2")
def test_cancelled_job_polls_404_deleted(ab2d, target):
    """Polling a cancelled job answers 404 with an OperationOutcome of code deleted, as the reading's content type"""
    _location, _deleted, final = cancelled_job(ab2d)
    assert final.status_code == 404, f"AB2D-CANCEL-2: polling a cancelled job got {final.status_code}"
    problems = outcome_problems(final, code="deleted")
    assert not problems, f"AB2D-CANCEL-2: {problems[0]}"
    assert error_media_ok(final, target), (
        f"AB2D-CANCEL-2: Content-Type {media(final)!r} (reading AB2D-R-ERROR-CONTENT-TYPE={target.reading('AB2D-R-ERROR-CONTENT-TYPE')})"
    )


@pytest.mark.mutating
@requirement("AB2D-ERR-3")
def test_error_content_type(ab2d, target):
    """OperationOutcome bodies carry the content type the reading allows"""
    _location, _deleted, final = cancelled_job(ab2d)
    unknown = ab2d.call("GET", ab2d.fhir("v1") + f"/Job/{uuid.uuid4()}/$status")
    for response in (final, unknown):
        assert error_media_ok(response, target), (
            f"AB2D-ERR-3: HTTP {response.status_code} Content-Type {media(response)!r} "
            f"(reading AB2D-R-ERROR-CONTENT-TYPE={target.reading('AB2D-R-ERROR-CONTENT-TYPE')})"
        )


@requirement("AB2D-STATUS-6", "AB2D-ERR-1", "AB2D-ERR-2")
@pytest.mark.parametrize("version", [pytest.param("v1", marks=pytest.mark.smoke), "v2", "v3"])
def test_unknown_job_is_404(ab2d, version):
    """An unknown jobUuid answers 404 with an OperationOutcome naming it, on every version"""
    job = str(uuid.uuid4())
    response = ab2d.call("GET", ab2d.fhir(version) + f"/Job/{job}/$status")
    assert response.status_code == 404, f"AB2D-STATUS-6: unknown job got {response.status_code}"
    problems = outcome_problems(response, f"No job with jobUuid {job} was found")
    assert not problems, f"AB2D-STATUS-6: {problems[0]}"


@pytest.mark.mutating
@pytest.mark.slow
@requirement("AB2D-JOB-4")
def test_job_past_the_time_limit_fails(target):
    """A job that runs longer than the job time limit (30 hours at AB2D) fails: 500 "Job failed while processing"

    Only where a job can be made to run that long in reasonable time: the target names a client whose
    jobs never finish (`accounts.stuck_client`) and a limit within `options.max_job_wait` (default
    120 s) as `options.job_time_limit` (seconds; AB2D's is 108000)."""
    target.require_account("stuck_client")
    limit = float(target.target.options.get("job_time_limit", 30 * 3600))
    if limit > float(target.target.options.get("max_job_wait", 120)):
        pytest.skip(f"the job time limit is {limit:g} s, beyond options.max_job_wait: a job cannot be waited out")
    stuck = Ab2dClient(target, "stuck_client")
    started = time.monotonic()
    location = status_url_of(stuck.kickoff_when_free("v1"), "to run past the time limit")
    while True:
        response = stuck.call("GET", location, headers={"Accept": "application/json"})
        waited = time.monotonic() - started
        if response.status_code not in (202, 429):
            break
        assert waited < limit * 2 + 5, (  # a margin for a loaded server: it fails the job at its next look
            f"AB2D-JOB-4: a job still runs {waited:.0f} s after its kick-off, past the job time limit of {limit:g} s"
        )
        time.sleep(stuck.retry_after(response, 1.0) * 1.1 + 0.1)
    assert response.status_code == 500, f"AB2D-JOB-4: a job past the time limit answered {response.status_code}"
    problems = outcome_problems(response, "Job failed while processing")
    assert not problems, f"AB2D-JOB-4: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-STATUS-5")
def test_failed_job_is_500(target):
    """A job that fails answers 500 with an OperationOutcome "Job failed while processing" """
    failing = Ab2dClient(target, "failing_client")
    kickoff = failing.kickoff_when_free("v1")
    location = kickoff.headers.get("content-location", "")
    assert STATUS_URL.match(location), f"AB2D-KICKOFF-1: failing client's kick-off got {kickoff.status_code}"
    final, _polls = failing.poll(location, bound=60)
    assert final.status_code == 500, f"AB2D-STATUS-5: a failed job answered {final.status_code}"
    problems = outcome_problems(final, "Job failed while processing")
    assert not problems, f"AB2D-STATUS-5: {problems[0]}"
