"""The claim filters hide_read=on and hide_before_effective_date=on, on /claims and the nested paths.

Which claims are read by the requesting user comes from the target's data (read_claims, read_claim);
whether a claim is before its employer's effective date is computed from the answers themselves
(reading TPA-R-EFFECTIVE-DATE). Read-only (GETs only), so nothing here is `mutating`."""

from datetime import date

import pytest

from payercert.suites.tpastream.client import claim_employer_ids, first_day

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement
PER_PAGE = 25
HIDE_READ = {"hide_read": "on"}
HIDE_BEFORE = {"hide_before_effective_date": "on"}


def read_ids(target) -> set:
    data = target.require_data("read_claim")
    return {data["read_claim"], *data.get("read_claims", [])}


def before_effective(claim: dict, employers: dict, reading: str) -> bool:
    effective = [
        date.fromisoformat(employers[e]["effective_date"])
        for e in claim_employer_ids(claim)
        if e in employers and employers[e].get("effective_date")
    ]
    if not effective:
        return False
    if reading == "processed-on":
        day = date.fromisoformat(claim["processed_on"][:10]) if claim.get("processed_on") else None
    else:
        day = first_day(claim)
    return day is not None and day < min(effective)


def nested_paths(tpa) -> list[str]:
    """/claims and one entity of each nested path: the first employer, member and policy holder."""
    paths = ["/claims"]
    employers = tpa.all_items("/employer", 1)
    if employers:
        paths.append(f"/employer/{employers[0]['employer_id']}/claims")
    for path in ("/member", "/policy_holder"):
        items = tpa.all_items(path, 1)
        if items:
            paths.append(f"{path}/{items[0]['id']}/claims")
    return paths


def walked(tpa, path, params):
    walk = tpa.walk(path, PER_PAGE, params)
    assert not walk.problems, f"TPA-FILTER-4: walking {path} {params} broke off: {walk.problems[0]}"
    return walk


@requirement("TPA-FILTER-1")
def test_hide_read_hides_read_claims(tpa, target):
    """With hide_read=on no read claim is returned, on /claims and every nested path"""
    read = read_ids(target)
    for path in nested_paths(tpa):
        shown = read & set(walked(tpa, path, HIDE_READ).ids)
        assert not shown, f"TPA-FILTER-1: {path}?hide_read=on returned read claims {sorted(shown)[:5]}"


@requirement("TPA-FILTER-2")
def test_hide_before_effective_date(tpa, target):
    """With hide_before_effective_date=on no claim before its employer's effective date is returned"""
    data = target.require_data("claim_before_effective_date")
    reading = target.reading("TPA-R-EFFECTIVE-DATE")
    employers = tpa.employers()
    for path in nested_paths(tpa):
        walk = walked(tpa, path, HIDE_BEFORE)
        early = [c["id"] for c in walk.items if before_effective(c, employers, reading)]
        assert not early, (
            f"TPA-FILTER-2: {path}?hide_before_effective_date=on returned claims before the effective date: {early[:5]}"
        )
        if path == "/claims":
            assert data["claim_before_effective_date"] not in walk.ids, (
                f"TPA-FILTER-2: claim {data['claim_before_effective_date']} (before its employer's effective date) returned"
            )


@requirement("TPA-FILTER-3")
def test_filters_are_opt_in(tpa, target):
    """Without the filters, read claims and claims before the effective date are returned"""
    data = target.require_data("read_claim", "claim_before_effective_date")
    ids = set(walked(tpa, "/claims", {}).ids)
    assert data["read_claim"] in ids, f"TPA-FILTER-3: read claim {data['read_claim']} missing without hide_read"
    assert data["claim_before_effective_date"] in ids, (
        f"TPA-FILTER-3: claim {data['claim_before_effective_date']} missing without hide_before_effective_date"
    )


@requirement("TPA-FILTER-4", "TPA-FILTER-5")
@pytest.mark.parametrize(
    "params", [HIDE_READ, HIDE_BEFORE, {**HIDE_READ, **HIDE_BEFORE}], ids=["read", "before", "both"]
)
def test_filtered_list_is_the_unfiltered_minus_hidden(tpa, target, params):
    """A filtered list is the unfiltered one minus the hidden claims, in order, with a matching total, on every claims path"""
    read = read_ids(target) if "hide_read" in params else set()
    reading = target.reading("TPA-R-EFFECTIVE-DATE")
    employers = tpa.employers()
    for path in nested_paths(tpa):
        full, filtered = walked(tpa, path, {}), walked(tpa, path, params)
        expected = [
            c["id"]
            for c in full.items
            if c["id"] not in read
            and not ("hide_before_effective_date" in params and before_effective(c, employers, reading))
        ]
        assert filtered.ids == expected, (
            f"TPA-FILTER-4: {path} {params}: {len(filtered.ids)} claims, expected {len(expected)} "
            f"(extra {sorted(set(filtered.ids) - set(expected))[:5]}, missing {sorted(set(expected) - set(filtered.ids))[:5]})"
        )
        assert filtered.total == len(expected), (
            f"TPA-FILTER-4: {path} {params}: total {filtered.total}, expected {len(expected)}"
        )


@requirement("TPA-FILTER-6")
def test_filters_combine_with_paging(tpa, target):
    """The document's example: per_page=10&page=3&hide_read=on&hide_before_effective_date=on is page 3 of the filtered list"""
    params = {**HIDE_READ, **HIDE_BEFORE}
    employer = tpa.all_items("/employer", 1)[0]["employer_id"]
    path = f"/employer/{employer}/claims"
    whole = walked(tpa, path, params).ids
    expected = whole[20:30]
    response = tpa.get(path, {**params, "per_page": 10, "page": 3})
    if not expected:
        assert response.status_code in (200, 404), (
            f"TPA-FILTER-6: page 3 beyond the filtered list answered {response.status_code}"
        )
        return
    assert response.status_code == 200, f"TPA-FILTER-6: got {response.status_code}"
    got = [c["id"] for c in response.json()["data"]]
    assert got == expected, f"TPA-FILTER-6: page 3 of the filtered list is {got}, expected {expected}"
