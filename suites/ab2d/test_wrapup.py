"""What uses up the run's exports, so it runs last: the download limit, DELETE on a finished job, and
the download errors (docs/sources/ab2d.md 1.5, 1.6)."""

import uuid

import pytest

from payercert.suites.ab2d.client import auth_refusal, client_of, export_of, outcome_problems

requirement = pytest.mark.requirement


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-3", "AB2D-ERR-4")
def test_download_without_token_is_401(ab2d, target):
    """A file request without a token answers 401"""
    url = next(iter(export_of(ab2d, "v1").files), None)
    assert url, "AB2D-MANIFEST-4: no file to try"
    auth_refusal(ab2d.download(url, token=None), 401, "AB2D-DOWNLOAD-3", target)


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-6", "AB2D-ERR-1")
@pytest.mark.parametrize("case", ["not-a-uuid", "unknown-name", "path"])
@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_bad_file_requests_are_404(request, version, case):
    """A jobUuid that is not a UUID, a name not among the outputs or a name with a path answers 404 + OperationOutcome, on every version"""
    ab2d = client_of(request, version)
    export = export_of(ab2d, version)
    base = export.status_url.removesuffix("/$status")
    url = {
        "not-a-uuid": base.rsplit("/", 1)[0] + "/not-a-uuid/file/Z0000_0001.ndjson",
        "unknown-name": base + f"/file/{uuid.uuid4().hex}.ndjson",
        "path": base + "/file/..%2F..%2Fmetadata",
    }[case]
    response = ab2d.download(url)
    assert response.status_code == 404, f"AB2D-DOWNLOAD-6: {case} got {response.status_code}"
    problems = outcome_problems(response)
    assert not problems, f"AB2D-DOWNLOAD-6: {problems[0]}"


def past_the_limit(ab2d, target):
    """A file downloaded the reading's number of times, then once more: the refused attempt (kept for the run)."""

    def exhaust():
        export = export_of(ab2d, "v2")
        url = list(export.files)[-1]
        allowed = 1 if target.reading("AB2D-R-DOWNLOAD-COUNT") == "once" else 6
        while export.downloads[url] < allowed:
            response = ab2d.download(url)
            export.downloads[url] += 1
            assert response.status_code == 200, (
                f"AB2D-DOWNLOAD-4: download {export.downloads[url]} of {allowed} got {response.status_code}"
            )
        export.downloads[url] += 1
        return allowed, ab2d.download(url)

    return ab2d.target.shared(("ab2d-over-limit", ab2d.client_id), exhaust)


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-4")
def test_download_limit(ab2d, target):
    """A file can be downloaded the reading's number of times, and not once more"""
    allowed, over = past_the_limit(ab2d, target)
    assert over.status_code != 200, f"AB2D-DOWNLOAD-4: download {allowed + 1} was served"


@pytest.mark.mutating
@requirement("AB2D-DOWNLOAD-5")
def test_download_past_the_limit_error(ab2d, target):
    """The refused download answers the reading's status with an OperationOutcome"""
    _allowed, over = past_the_limit(ab2d, target)
    ig = target.reading("AB2D-R-DOWNLOAD-LIMIT-STATUS") == "ig"
    assert (400 <= over.status_code < 500) if ig else over.status_code == 500, (
        f"AB2D-DOWNLOAD-5: download past the limit got {over.status_code}, expected "
        f"{'a 4xx' if ig else '500'} (reading AB2D-R-DOWNLOAD-LIMIT-STATUS)"
    )
    problems = outcome_problems(over)
    assert not problems, f"AB2D-DOWNLOAD-5: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-CANCEL-3")
def test_delete_of_a_finished_job(ab2d, target):
    """DELETE on a finished job answers as the reading says (AB2D: 400 OperationOutcome; IG: 202)"""
    export = export_of(ab2d, "v1")
    response = ab2d.call("DELETE", export.status_url)
    if target.reading("AB2D-R-CANCEL-COMPLETED") == "ig":
        assert response.status_code == 202, (
            f"AB2D-CANCEL-3: (reading ig) DELETE of a finished job got {response.status_code}"
        )
        return
    assert response.status_code == 400, f"AB2D-CANCEL-3: DELETE of a finished job got {response.status_code}"
    problems = outcome_problems(response, "so it cannot be cancelled")
    assert not problems, f"AB2D-CANCEL-3: {problems[0]}"
