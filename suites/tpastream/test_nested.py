"""The nested claims paths /employer/{id}/claims, /member/{id}/claims, /policy_holder/{id}/claims.

Read-only (GETs only), so nothing here is `mutating`."""

import pytest

from payercert.suites.tpastream.client import claim_employer_ids, claim_policy_holder_id, error_findings

pytestmark = pytest.mark.readonly  # TPA Stream's API only reads

requirement = pytest.mark.requirement
PER_PAGE = 25
MAX_ENTITIES = 12  # entities of each kind checked (all of them on the default local data set)


def belongs(kind, entity_id, claim):
    if kind == "employer":
        return entity_id in claim_employer_ids(claim)
    if kind == "member":
        return any(isinstance(m, dict) and m.get("id") == entity_id for m in claim.get("members") or [])
    return claim_policy_holder_id(claim) == entity_id


ENTITIES = {
    "employer": ("/employer", "employer_id", "TPA-NEST-1", "TPA-EP-5"),
    "member": ("/member", "id", "TPA-NEST-3", "TPA-EP-7"),
    "policy_holder": ("/policy_holder", "id", "TPA-NEST-2", "TPA-EP-6"),
}


def kinds(*which):
    return [pytest.param(k, marks=requirement(*[ENTITIES[k][i] for i in which]), id=k) for k in ENTITIES]


@pytest.mark.parametrize("kind", kinds(2, 3))
def test_nested_claims_belong_to_the_entity(tpa, kind):
    """Every claim under /{kind}/{id}/claims belongs to that entity"""
    path, key, nest, ep = ENTITIES[kind]
    for entity in tpa.all_items(path, MAX_ENTITIES):
        entity_id = entity[key]
        walk = tpa.walk(f"{path}/{entity_id}/claims", PER_PAGE)
        assert not walk.problems, f"{ep}: {path}/{entity_id}/claims: {walk.problems[0]}"
        strangers = [c.get("id") for c in walk.items if not belongs(kind, entity_id, c)]
        assert not strangers, f"{nest}: {path}/{entity_id}/claims lists claims of others: {strangers[:5]}"


@requirement("TPA-NEST-4")
@pytest.mark.parametrize("kind", list(ENTITIES))
def test_nested_list_is_complete(tpa, kind):
    """A nested claims list holds exactly the claims of /claims that belong to the entity"""
    path, key, _, _ = ENTITIES[kind]
    claims = tpa.walk("/claims", PER_PAGE)
    assert not claims.problems, f"TPA-EP-1: {claims.problems[0]}"
    for entity in tpa.all_items(path, MAX_ENTITIES):
        entity_id = entity[key]
        expected = [c["id"] for c in claims.items if belongs(kind, entity_id, c)]
        got = tpa.walk(f"{path}/{entity_id}/claims", PER_PAGE).ids
        assert sorted(got) == sorted(expected), (
            f"TPA-NEST-4: {path}/{entity_id}/claims has {len(got)} claims, /claims has {len(expected)} of it"
        )


@requirement("TPA-NEST-5")
@pytest.mark.parametrize("kind", list(ENTITIES))
def test_listed_ids_are_accepted(tpa, kind):
    """Every id a list endpoint gives is accepted by the nested claims path (200)"""
    path, key, _, _ = ENTITIES[kind]
    for entity in tpa.all_items(path, MAX_ENTITIES):
        response = tpa.get(f"{path}/{entity[key]}/claims", {"per_page": 1})
        assert response.status_code == 200, f"TPA-NEST-5: {path}/{entity[key]}/claims answered {response.status_code}"


@requirement("TPA-EP-9", "TPA-ERR-5")
@pytest.mark.parametrize("kind", list(ENTITIES))
@pytest.mark.parametrize("bad", ["unknown", "not-an-integer"])
def test_unknown_id_is_404(tpa, kind, bad):
    """A nested path with an id that names nothing (or is not an integer) gets 404 with a message"""
    path, key, _, _ = ENTITIES[kind]
    known = {e[key] for e in tpa.all_items(path)}
    entity_id = (max(known, default=0) + 1000003) if bad == "unknown" else "abc"
    response = tpa.get(f"{path}/{entity_id}/claims")
    assert response.status_code in (404, 403) if bad == "unknown" else response.status_code == 404, (
        f"TPA-EP-9: {path}/{entity_id}/claims answered {response.status_code}, expected 404"
    )
    problems = error_findings(response)
    assert not problems, f"TPA-ERR-5: {problems[0]}"
