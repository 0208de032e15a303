"""Deterministic synthetic ExplanationOfBenefit records in AB2D's "allowed subset" per API version.

Shapes follow the seed's sample (Download Data) and AB2D's trimmers (docs/sources/ab2d.md 1.9, 1.10): v1 is
STU3 (`item.service`, `precedence` forced to 0, `organization`, near-line code as a 4th type
coding), v2 is R4 (`item.productOrService`, C4BB identifier types and care-team roles, no
`provider` since AB2D-Libs PR #167), v3 is R4 with the IDR extension URLs and `use`, `outcome`,
`created`, `insurance` kept. Every record carries the current MBI extension. The same
(contract, index, version) always gives the same record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

BB = "https://bluebutton.cms.gov/resources"
EASTERN = timezone(timedelta(hours=-5))  # AB2D's offset (feed.yaml timezone)
# claim type -> (nch_clm_type_cd, display, FHIR claim type, near-line record code)
CLAIM_TYPES = {
    "carrier": ("71", "Local carrier non-DMEPOS claim", "professional", "O"),
    "dme": ("82", "DMEPOS claim", "professional", "M"),
    "inpatient": ("60", "Inpatient claim", "institutional", "V"),
    "outpatient": ("40", "Outpatient claim", "institutional", "W"),
    "snf": ("20", "Non swing bed Skilled Nursing Facility (SNF) claim", "institutional", "V"),
    "hha": ("10", "Home Health Agency (HHA) claim", "institutional", "W"),
    "hospice": ("50", "Hospice claim", "institutional", "V"),
}
ICD10 = [
    ("K659", "PERITONITIS, UNSPECIFIED"),
    ("E119", "TYPE 2 DIABETES MELLITUS WITHOUT COMPLICATIONS"),
    ("I10", "ESSENTIAL (PRIMARY) HYPERTENSION"),
    ("J449", "CHRONIC OBSTRUCTIVE PULMONARY DISEASE"),
    ("M545", "LOW BACK PAIN"),
    ("N179", "ACUTE KIDNEY FAILURE, UNSPECIFIED"),
]
HCPCS = ["99283", "99213", "99214", "G0439", "80053", "36415", "E0601"]
R4_ITEM_EXTENSION = f"{BB}/variables/carr_line_ansthsa_unit_cnt"  # one of the three v2 keeps (docs/sources/ab2d.md 1.9)


@dataclass(frozen=True)
class Beneficiary:
    patient_id: str
    mbi: str


def beneficiaries(contract: str, count: int) -> list[Beneficiary]:
    """A contract's enrollees: synthetic BFD ids (negative, as BFD's synthetic data) and MBIs."""
    digits = "".join(ch for ch in contract if ch.isdigit()) or "0"
    out = []
    for n in range(count):
        rng = random.Random(f"{contract}:bene:{n}")
        mbi = f"{rng.randint(1, 9)}S{rng.randint(0, 9)}{rng.randint(0, 9)}E{rng.randint(0, 9)}{rng.randint(0, 9)}DP{rng.randint(10, 99)}"
        out.append(Beneficiary(f"-1999{int(digits):05d}{n:05d}", mbi))
    return out


def claim_facts(contract: str, index: int, bene: Beneficiary, earliest: date) -> dict:
    """The version-independent facts of one claim: what every API version renders."""
    rng = random.Random(f"{contract}:claim:{index}")
    kind = rng.choice(list(CLAIM_TYPES))
    start = earliest + timedelta(days=rng.randint(0, 900))
    end = start + timedelta(days=rng.randint(0, 6) if kind in ("carrier", "dme") else rng.randint(1, 20))
    updated = datetime.combine(end + timedelta(days=rng.randint(3, 40)), datetime.min.time(), EASTERN) + timedelta(
        seconds=rng.randint(0, 86_399)
    )
    return {
        "kind": kind,
        "clm_id": str(10_000_000_000 + rng.randint(0, 8_999_999_999)),
        "group": str(30_000_000_000 + rng.randint(0, 8_999_999_999)),
        "bene": bene,
        "start": start,
        "end": end,
        "updated": updated,
        "diagnoses": rng.sample(ICD10, rng.randint(1, 4)),
        "items": [(rng.choice(HCPCS), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))],
        "npi": f"{rng.randint(1_000_000_000, 1_999_999_999)}",
        "status": "cancelled" if rng.random() < 0.1 else "active",
    }


def _mbi_extension(mbi: str) -> dict:
    return {
        "url": "http://hl7.org/fhir/StructureDefinition/elementdefinition-identifier",
        "valueIdentifier": {
            "system": "http://hl7.org/fhir/sid/us-mbi",
            "value": mbi,
            "extension": [{"url": f"{BB}/codesystem/identifier-currency", "valueCoding": {"code": "current"}}],
        },
    }


def _coding(system: str, code: str, display: str | None = None) -> dict:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _location() -> dict:
    return {
        "extension": [
            {
                "url": f"{BB}/variables/prvdr_state_cd",
                "valueCoding": {"system": f"{BB}/variables/prvdr_state_cd", "code": "99"},
            }
        ],
        "coding": [_coding(f"{BB}/variables/line_place_of_srvc_cd", "99", "Other Place of Service.")],
    }


def stu3(facts: dict) -> dict:
    code, display, fhir_type, near_line = CLAIM_TYPES[facts["kind"]]
    npi = {"identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": facts["npi"]}}
    period = {"start": facts["start"].isoformat(), "end": facts["end"].isoformat()}
    return {
        "resourceType": "ExplanationOfBenefit",
        "id": f"{facts['kind']}-{facts['clm_id']}",
        "meta": {"lastUpdated": facts["updated"].isoformat(timespec="milliseconds")},
        "extension": [
            {
                "url": f"{BB}/variables/nch_near_line_rec_ident_cd",
                "valueCoding": {"system": f"{BB}/variables/nch_near_line_rec_ident_cd", "code": near_line},
            },
            _mbi_extension(facts["bene"].mbi),
        ],
        "identifier": [
            {"system": f"{BB}/variables/clm_id", "value": facts["clm_id"]},
            {"system": f"{BB}/identifier/claim-group", "value": facts["group"]},
        ],
        "status": facts["status"],
        "type": {
            "coding": [
                _coding(f"{BB}/variables/nch_clm_type_cd", code, display),
                _coding(f"{BB}/codesystem/eob-type", facts["kind"].upper()),
                _coding("http://hl7.org/fhir/ex-claimtype", fhir_type, fhir_type.title()),
                _coding(f"{BB}/variables/nch_near_line_rec_ident_cd", near_line),
            ]
        },
        "patient": {"reference": f"Patient/{facts['bene'].patient_id}"},
        "billablePeriod": period,
        "provider": npi,
        "organization": npi,
        "careTeam": [
            {
                "sequence": 1,
                "provider": npi,
                "role": {"coding": [_coding("http://hl7.org/fhir/claimcareteamrole", "primary", "Primary provider")]},
            }
        ],
        "diagnosis": [
            {
                "sequence": n,
                "diagnosisCodeableConcept": {"coding": [_coding("http://hl7.org/fhir/sid/icd-10", icd, text)]},
            }
            for n, (icd, text) in enumerate(facts["diagnoses"], 1)
        ],
        "precedence": 0,  # AB2D forces 0 (docs/sources/ab2d.md 1.9): base STU3's >= 1 is the known deviation AB2D-DEV-1
        "item": [
            {
                "sequence": n,
                "careTeamLinkId": [1],
                "diagnosisLinkId": [1],
                "service": {"coding": [_coding(f"{BB}/codesystem/hcpcs", hcpcs)]},
                "servicedPeriod": period,
                "locationCodeableConcept": _location(),
                "quantity": {"value": qty},
            }
            for n, (hcpcs, qty) in enumerate(facts["items"], 1)
        ],
    }


def _r4_common(facts: dict) -> dict:
    code, display, fhir_type, _near = CLAIM_TYPES[facts["kind"]]
    uc = {"coding": [_coding("http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType", "uc", "Unique Claim ID")]}
    period = {"start": facts["start"].isoformat(), "end": facts["end"].isoformat()}
    npi = {"identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": facts["npi"]}}
    profile = "Professional-NonClinician" if fhir_type == "professional" else "Outpatient-Institutional"
    return {
        "resourceType": "ExplanationOfBenefit",
        "id": f"{facts['kind']}-{facts['clm_id']}",
        "meta": {
            "lastUpdated": facts["updated"].isoformat(timespec="milliseconds"),
            "profile": [f"http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-{profile}"],
        },
        "identifier": [
            {"type": uc, "system": f"{BB}/variables/clm_id", "value": facts["clm_id"]},
            {"type": uc, "system": f"{BB}/identifier/claim-group", "value": facts["group"]},
        ],
        "status": facts["status"],
        "type": {
            "coding": [
                _coding(f"{BB}/variables/nch_clm_type_cd", code, display),
                _coding(f"{BB}/codesystem/eob-type", facts["kind"].upper()),
                _coding("http://terminology.hl7.org/CodeSystem/claim-type", fhir_type, fhir_type.title()),
            ]
        },
        "patient": {"reference": f"Patient/{facts['bene'].patient_id}"},
        "billablePeriod": period,
        "careTeam": [
            {
                "sequence": 1,
                "provider": npi,
                "role": {
                    "coding": [
                        _coding(
                            "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole",
                            "performing",
                            "Performing provider",
                        )
                    ]
                },
            }
        ],
        "diagnosis": [
            {
                "sequence": n,
                "diagnosisCodeableConcept": {"coding": [_coding("http://hl7.org/fhir/sid/icd-10-cm", icd, text)]},
            }
            for n, (icd, text) in enumerate(facts["diagnoses"], 1)
        ],
        "item": [
            {
                "sequence": n,
                "careTeamSequence": [1],
                "diagnosisSequence": [1],
                "productOrService": {"coding": [_coding(f"{BB}/codesystem/hcpcs", hcpcs)]},
                "servicedPeriod": period,
                "locationCodeableConcept": _location(),
                "quantity": {"value": qty},
            }
            for n, (hcpcs, qty) in enumerate(facts["items"], 1)
        ],
    }


def r4(facts: dict) -> dict:
    eob = _r4_common(facts)
    near_line = CLAIM_TYPES[facts["kind"]][3]
    eob["extension"] = [
        {
            "url": f"{BB}/variables/nch_near_line_rec_ident_cd",
            "valueCoding": {"system": f"{BB}/variables/nch_near_line_rec_ident_cd", "code": near_line},
        },
        _mbi_extension(facts["bene"].mbi),
    ]
    if facts["kind"] == "carrier":
        for item in eob["item"]:
            item["extension"] = [{"url": R4_ITEM_EXTENSION, "valueQuantity": {"value": 0}}]
    return _ordered(eob)


def r4_v3(facts: dict) -> dict:
    eob = _r4_common(facts)
    near_line = CLAIM_TYPES[facts["kind"]][3]
    idr = "https://bluebutton.cms.gov/fhir"
    # v3 ids are IDR claim ids, not claim-type prefixed (docs/sources/ab2d.md 1.9: v3 only warns)
    eob["id"] = f"{facts['clm_id']}"
    eob["extension"] = [
        {
            "url": f"{idr}/StructureDefinition/CLM-NRLN-RIC-CD",
            "valueCoding": {"system": f"{idr}/CodeSystem/CLM-NRLN-RIC-CD", "code": near_line},
        },
        _mbi_extension(facts["bene"].mbi),
    ]
    eob.update(
        {
            "use": "claim",
            "outcome": "complete",
            "created": (facts["end"] + timedelta(days=2)).isoformat(),
            "insurance": [{"focal": True, "coverage": {"reference": f"Coverage/part-b-{facts['bene'].patient_id}"}}],
            "provider": {"identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": facts["npi"]}},
        }
    )
    return _ordered(eob)


def _ordered(eob: dict) -> dict:
    """resourceType first, as HAPI writes it (and as detection reads the first keys)."""
    return {"resourceType": eob.pop("resourceType"), **eob}


RENDER = {"v1": stu3, "v2": r4, "v3": r4_v3}
