"""Isolation: another client can neither read, cancel nor download my job (docs/sources/ab2d.md 1.4-1.6, e2e
tests 6-8), while my job of the run stays mine."""

import pytest

from payercert.suites.ab2d.client import auth_refusal, export_of

requirement = pytest.mark.requirement


@pytest.mark.mutating
@requirement("AB2D-ISOLATION-1", "AB2D-ERR-4")
def test_other_client_cannot_poll_my_job(ab2d, second, target):
    """Another client polling my job's status URL gets 403"""
    export = export_of(ab2d, "v1")
    auth_refusal(second.call("GET", export.status_url), 403, "AB2D-ISOLATION-1", target)


@pytest.mark.mutating
@requirement("AB2D-ISOLATION-2", "AB2D-ERR-4")
def test_other_client_cannot_cancel_my_job(ab2d, second, target):
    """Another client cancelling my running job gets 403, and the job is not cancelled"""
    with ab2d.running_job("v1", "for the other client to cancel") as location:
        response = second.call("DELETE", location)
        mine = ab2d.call("GET", location)
    auth_refusal(response, 403, "AB2D-ISOLATION-2", target)
    assert mine.status_code in (200, 202, 429), (
        f"AB2D-ISOLATION-2: after the other client's DELETE my job answers {mine.status_code}"
    )


@pytest.mark.mutating
@requirement("AB2D-ISOLATION-3", "AB2D-ERR-4")
def test_other_client_cannot_download_my_file(ab2d, second, target):
    """Another client downloading my job's file gets 403"""
    export = export_of(ab2d, "v1")
    url = next(iter(export.files), None)
    assert url, "AB2D-MANIFEST-4: no file to try"
    auth_refusal(second.download(url), 403, "AB2D-ISOLATION-3", target)
