"""Kick-off: GET .../Patient/$export (seed "Request Data"; docs/sources/ab2d.md 1.3), its parameters and headers,
the deprecated Group export, and one running job per client."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payercert.examples import every
from payercert.suites.ab2d.client import STATUS_URL, UUID, auth_refusal, client_of, outcome_problems
from payercert.wording import header_shown

requirement = pytest.mark.requirement
EASTERN = timezone(timedelta(hours=-5))
FLOOR = datetime(2020, 2, 13, tzinfo=EASTERN)

# (value or None for "absent", valid?) per parameter and header
TYPES = [
    (None, True),
    ("ExplanationOfBenefit", True),
    ("Patient", False),
    ("ExplanationOfBenefit,Patient", False),
    ("Coverage", False),
    ("explanationofbenefit", False),
]
FORMATS = [
    (None, True),
    ("application/fhir+ndjson", True),
    ("application/ndjson", True),
    ("ndjson", True),
    ("application/fhir+json", False),
    ("NDJSON", False),
    ("text/csv", False),
    ("application/fhir ndjson", False),
]
ACCEPTS = [
    (None, True),
    ("application/fhir+json", True),
    ("application/json", True),
    ("*/*", True),
    ("text/html", False),
    ("application/xml", False),
]
PREFERS = [(None, True), ("respond-async", True)]


# _since as drawn: a kind and an offset in seconds; the value is made at test time (see since_value)
SINCES = st.one_of(
    st.just(("absent", 0)),
    st.integers(0, 10**8).map(lambda s: ("after-floor", s)),
    st.integers(3600, 10**8).map(lambda s: ("future", s)),
    st.integers(60, 10**8).map(lambda s: ("before-floor", s)),
    st.just(("no-offset", 0)),
    st.just(("word", 0)),
)


def since_value(kind: str, seconds: int, now: datetime) -> tuple[str | None, bool]:
    """(the _since value or None for absent, valid?)"""
    latest = int((now - FLOOR).total_seconds()) - 3600  # a valid _since lies between the floor and now
    return {
        "absent": (None, True),
        "after-floor": ((FLOOR + timedelta(seconds=seconds % latest + 60)).isoformat(), True),
        "future": ((now + timedelta(seconds=seconds)).isoformat(), False),
        "before-floor": ((FLOOR - timedelta(seconds=seconds)).isoformat(), False),
        "no-offset": ("2021-06-01T00:00:00", False),
        "word": ("yesterday", False),
    }[kind]


def _each_value_alone() -> list[dict]:
    """Every enumerated value of each parameter and header, alone in an otherwise conforming request
    (absent parameters, the IG's Accept and Prefer)."""
    conforming = {
        "type_": TYPES[0],
        "fmt": FORMATS[0],
        "since": ("absent", 0),
        "accept": ACCEPTS[1],
        "prefer": PREFERS[1],
    }
    sinces = [(kind, 86400) for kind in ("after-floor", "future", "before-floor", "no-offset", "word")]
    alone: list[tuple[str, object]] = []
    for name, values in (
        ("type_", TYPES),
        ("fmt", FORMATS),
        ("accept", ACCEPTS),
        ("prefer", PREFERS),
        ("since", sinces),
    ):
        alone += [(name, value) for value in values]
    return [{**conforming, name: value} for name, value in alone]


def _query(**pairs):
    return {k: v for k, (v, _ok) in pairs.items() if v is not None}


def _cancel(ab2d, response):
    location = response.headers.get("content-location", "")
    if STATUS_URL.match(location):
        ab2d.call("DELETE", location)


@pytest.mark.mutating
@requirement(
    "AB2D-KICKOFF-1",
    "AB2D-KICKOFF-3",
    "AB2D-KICKOFF-4",
    "AB2D-KICKOFF-5",
    "AB2D-KICKOFF-6",
    "AB2D-KICKOFF-7",
    "AB2D-ERR-1",
    "AB2D-ERR-2",
)
@given(
    type_=st.sampled_from(TYPES),
    fmt=st.sampled_from(FORMATS),
    since=SINCES,
    accept=st.sampled_from(ACCEPTS),
    prefer=st.sampled_from(PREFERS),
)
@every(_each_value_alone())
def test_kickoff_parameter_matrix(ab2d, target, type_, fmt, since, accept, prefer):
    """Valid _type/_outputFormat/_since/Accept/Prefer combinations start a job (202); any invalid one gets a 4xx OperationOutcome"""
    now = datetime.now(UTC)
    chosen = {"_type": type_, "_outputFormat": fmt, "_since": since_value(*since, now)}
    headers = {k: v for k, (v, _ok) in (("Accept", accept), ("Prefer", prefer)) if v is not None}
    valid = all(ok for _v, ok in [*chosen.values(), accept, prefer])
    response = ab2d.kickoff_when_free("v1", _query(**chosen), headers=headers)
    try:
        lenient = accept[0] is None or prefer[0] is None
        if valid and lenient and target.reading("AB2D-R-PREFER") == "ig" and response.status_code != 202:
            # IG 2.0: without Accept/Prefer a server may refuse with a 4xx OperationOutcome
            assert 400 <= response.status_code < 500 and not outcome_problems(response), (
                f"AB2D-KICKOFF-3: (reading ig) kick-off without Accept/Prefer got {response.status_code}"
            )
        elif valid:
            # the refused request is named by what it adds to the plainest kick-off
            req = "AB2D-KICKOFF-7" if chosen["_since"][0] else "AB2D-KICKOFF-3" if lenient else "AB2D-KICKOFF-1"
            assert response.status_code == 202, (
                f"{req}: valid kick-off {chosen} {headers} got {response.status_code} {response.text[:200]}"
            )
            assert STATUS_URL.match(response.headers.get("content-location", "")), (
                f"AB2D-KICKOFF-1: Content-Location {header_shown(response, 'content-location')}"
            )
        else:
            bad = [k for k, (_v, ok) in chosen.items() if not ok]
            req = {"_type": "AB2D-KICKOFF-4", "_outputFormat": "AB2D-KICKOFF-5"}.get(
                bad[0] if bad else "", "AB2D-KICKOFF-6"
            )
            assert 400 <= response.status_code < 500, (
                f"{req}: invalid kick-off {chosen} {headers} got {response.status_code}"
            )
            problems = outcome_problems(response)
            assert not problems, f"AB2D-ERR-1: invalid kick-off {chosen}: {problems[0]}"
    finally:
        _cancel(ab2d, response)


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-4", "AB2D-KICKOFF-5", "AB2D-KICKOFF-6", "AB2D-ERR-2")
@pytest.mark.parametrize(
    "params,text",
    [
        ({"_type": "BadParam"}, "_type must be ExplanationOfBenefit"),
        ({"_outputFormat": "BadParam"}, "An _outputFormat of BadParam is not valid"),
        ({"_since": (FLOOR - timedelta(minutes=1)).isoformat()}, "_since must be after 2020-02-13T00:00-05:00"),
        (
            {"_since": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
            "You can not use a time after the current time for _since",
        ),
    ],
    ids=["type", "outputFormat", "since-floor", "since-future"],
)
def test_documented_kickoff_errors(ab2d, target, params, text):
    """AB2D's e2e kick-off errors answer 400 with their documented text"""
    if "since-floor" in text or "2020-02-13" in text:
        if target.reading("AB2D-R-SINCE-FLOOR") == "website":
            response = ab2d.kickoff_when_free("v1", params)
            _cancel(ab2d, response)
            assert response.status_code == 202, f"AB2D-KICKOFF-6: (reading website) got {response.status_code}"
            return
    response = ab2d.kickoff_when_free("v1", params)
    _cancel(ab2d, response)
    req = {"_type": "AB2D-KICKOFF-4", "_outputFormat": "AB2D-KICKOFF-5"}.get(next(iter(params)), "AB2D-KICKOFF-6")
    assert response.status_code == 400, f"{req}: {params} got {response.status_code} {response.text[:200]}"
    problems = outcome_problems(response, text)
    assert not problems, f"AB2D-ERR-2: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-8")
def test_until(ab2d):
    """_until is refused on v1, accepted on v2, and refused on v2 before _since"""
    since, until = "2021-01-01T00:00:00-05:00", "2022-01-01T00:00:00-05:00"
    v1 = ab2d.kickoff_when_free("v1", {"_until": until})
    _cancel(ab2d, v1)
    assert v1.status_code == 400 and not outcome_problems(
        v1, "The _until parameter is only available with version 2 and version 3 of the API"
    ), f"AB2D-KICKOFF-8: v1 _until got {v1.status_code} {v1.text[:200]}"
    ok = ab2d.kickoff_when_free("v2", {"_since": since, "_until": until})
    _cancel(ab2d, ok)
    assert ok.status_code == 202, f"AB2D-KICKOFF-8: v2 _since/_until got {ok.status_code} {ok.text[:200]}"
    backwards = ab2d.kickoff_when_free("v2", {"_since": until, "_until": since})
    _cancel(ab2d, backwards)
    assert backwards.status_code == 400 and not outcome_problems(backwards), (
        f"AB2D-KICKOFF-8: _until before _since got {backwards.status_code}"
    )


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-1", "AB2D-JOB-5")
@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_kickoff_answers_202_with_content_location(request, version):
    """A kick-off answers 202, an empty body and the absolute https status URL of a UUID job, on every version"""
    ab2d = client_of(request, version)
    response = ab2d.kickoff_when_free(version)
    _cancel(ab2d, response)
    location = response.headers.get("content-location", "")
    assert response.status_code == 202, f"AB2D-KICKOFF-1: got {response.status_code} {response.text[:200]}"
    assert not response.content, f"AB2D-KICKOFF-1: 202 has a body {response.text[:100]!r}"
    match = STATUS_URL.match(location)
    assert match and match.group(2) == version, f"AB2D-KICKOFF-1: Content-Location {location!r}"
    assert UUID.match(match.group(3)), f"AB2D-JOB-5: job id {match.group(3)!r} is not a UUID"


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-4", "AB2D-ERR-1", "AB2D-ERR-2")
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_group_export_refuses_another_type(ab2d, target, version):
    """The deprecated Group export refuses a _type other than ExplanationOfBenefit: 400 with an OperationOutcome"""
    contract = target.require_data("contract")["contract"]
    response = ab2d.kickoff_when_free(version, {"_type": "Patient"}, path=f"/Group/{contract}/$export")
    _cancel(ab2d, response)
    assert response.status_code == 400, f"AB2D-KICKOFF-4: Group export with _type=Patient got {response.status_code}"
    problems = outcome_problems(response)
    assert not problems, f"AB2D-ERR-1: {problems[0]}"


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-9")
def test_group_export_of_own_contract(ab2d, target):
    """The deprecated Group/{contract}/$export of the caller's contract answers 202"""
    contract = target.require_data("contract")["contract"]
    response = ab2d.kickoff_when_free("v1", path=f"/Group/{contract}/$export")
    _cancel(ab2d, response)
    assert response.status_code == 202, f"AB2D-KICKOFF-9: got {response.status_code} {response.text[:200]}"


@pytest.mark.mutating
@requirement("AB2D-ISOLATION-4", "AB2D-ERR-4")
def test_group_export_of_another_contract_is_403(ab2d, target):
    """A Group export for a contract that is not the caller's answers 403"""
    other = target.require_data("second_contract")["second_contract"]
    response = ab2d.kickoff_when_free("v1", path=f"/Group/{other}/$export")
    _cancel(ab2d, response)
    auth_refusal(response, 403, "AB2D-ISOLATION-4", target)


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-12")
@pytest.mark.parametrize("path", ["/$export", "/Coverage/$export"])
def test_no_other_export(ab2d, path):
    """There is no system-level export and no export of another resource type"""
    response = ab2d.kickoff("v1", path=path)
    _cancel(ab2d, response)
    assert response.status_code in (400, 404, 405), f"AB2D-KICKOFF-12: {path} got {response.status_code}"


@pytest.mark.mutating
@requirement("AB2D-JOB-1", "AB2D-ERR-1")
def test_one_running_job_per_client(ab2d):
    """A second kick-off while a job runs gets 429, Retry-After and the running job's status URL"""
    first = ab2d.kickoff_when_free("v1")
    try:
        assert first.status_code == 202, f"AB2D-KICKOFF-1: first kick-off got {first.status_code}"
        second = ab2d.kickoff("v1")
        _cancel(ab2d, second)
        assert second.status_code == 429, f"AB2D-JOB-1: second kick-off while one runs got {second.status_code}"
        assert second.headers.get("retry-after", "").strip().isdigit(), "AB2D-JOB-1: 429 without Retry-After"
        listed = [u.strip() for u in second.headers.get("content-location", "").split(",")]
        assert first.headers.get("content-location") in listed, (
            f"AB2D-JOB-1: 429 Content-Location {listed} does not list the running job"
        )
        problems = outcome_problems(second, "You already have active export requests in progress")
        assert not problems, f"AB2D-JOB-1: {problems[0]}"
    finally:
        _cancel(ab2d, first)


@pytest.mark.mutating
@requirement("AB2D-KICKOFF-11", "AB2D-ERR-4")
def test_maintenance_mode_is_503(ab2d, target):
    """In maintenance mode a kick-off answers 503"""
    try:
        base = target.url("maintenance_v1")
    except Exception:
        pytest.skip("the target has no API in maintenance mode to test (urls.maintenance_v1)")
    response = ab2d.call("GET", base.rstrip("/") + "/Patient/$export", headers={"Accept": "application/fhir+json"})
    _cancel(ab2d, response)
    auth_refusal(response, 503, "AB2D-KICKOFF-11", target)
