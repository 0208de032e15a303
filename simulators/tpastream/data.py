"""The TPA Stream simulator's synthetic data set: tenants, employers (with effective dates), members
and dependents, policy holders, medical claims with lines and date-of-service ranges, read marks.

Deterministic from a seed. Entities are small and kept whole; claims are kept as a compact index
(what filters and nested paths need) and built whole on demand, one `random.Random` per claim, so
100k claims cost little memory. Every built item is valid against specs/tpastream/schemas/.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")  # the document's offsets (-04:00 / -05:00)
FIRST = ["Johnny", "Jimmy", "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Linus"]
LAST = ["Appleseed", "Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Ritchie"]
COMPANIES = [
    "Fruit Tree Planting Services, LLC",
    "Dunder Mifflin Paper Company",
    "Initech",
    "Vandelay Industries",
    "Acme Anvils",
    "Globex Corporation",
    "Stark Textiles",
    "Wonka Confections",
]
PAYERS = [
    {
        "payer_id": 33,
        "name": "Horizon Blue Cross Blue Shield of New Jersey",
        "short_name": "Horizon BCBS NJ",
        "retriever": "horizon_bluecross.HorizonBlue",
        "logo_url": "https://s3.amazonaws.com/tpastream-public/horizon.jpg",
    },
    {"payer_id": 41, "name": "Aetna", "short_name": "Aetna", "retriever": "aetna.Aetna", "logo_url": None},
    {
        "payer_id": 57,
        "name": "Delta Dental",
        "short_name": "Delta Dental",
        "retriever": "delta.DeltaDental",
        "logo_url": None,
    },
]
TYPES = [("medical", 1), ("dental", 2), ("rx", 3), ("vision", 4), ("facility", 5)]
STATUSES = ["In Process", "Processed", "Rejected", "Adjusted", "Partially Approved"]
PROCEDURES = ["Office/outpatient Visit, Est", "Cleaning", "Eye exam", "X-ray", "Lab panel", "Prescription fill"]
LOGIN_PROBLEMS = ["valid", "valid", "valid", "invalid", "locked", "needs_two_factor"]


def timestamp(day: date, seconds: int) -> str:
    """RFC 3339 with microseconds and the US Eastern offset, like the document's."""
    local = datetime.combine(day, time(0), EASTERN) + timedelta(seconds=seconds, microseconds=seconds * 7919 % 999983)
    return local.isoformat()


def money(rnd: random.Random, high: int) -> float:
    return rnd.randint(0, high * 100) / 100


def daterange(start: date, days: int) -> dict:
    """PostgreSQL's canonical form: '[)' with end the day after the last day."""
    return {"bounds": "[)", "start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()}


@dataclass(frozen=True)
class ClaimIndex:
    """What filters and nested paths need of a claim, without building it."""

    id: int
    employer_id: int
    member_id: int
    policy_holder_id: int
    first_day: date  # first day of the date of service
    processed_on: date
    read: bool


class DataSet:
    def __init__(
        self, *, seed: int = 7, employers: int = 3, claims: int = 60, members_per_employer: int = 4, user_id: int = 4242
    ):
        self.seed = seed
        self.user_id = user_id
        rnd = random.Random(f"tpastream/{seed}")
        self.tenants = [
            {"tenant_id": 77001 + i, "name": name, "logo_url": f"https://s3.amazonaws.com/tpastream-public/t{i}.png"}
            for i, name in enumerate(["My TPA", "Second TPA"])
        ]
        self.employers: dict[int, dict] = {}
        self.members: dict[int, dict] = {}
        self.policy_holders: dict[int, dict] = {}
        self._member_employer: dict[int, int] = {}
        self._member_ph: dict[int, int] = {}
        dependent_id = 99001
        for e in range(employers):
            employer_id = 5555001 + e
            effective = date(2016, 1, 1) + timedelta(days=rnd.randint(0, 4 * 365))
            tenant = self.tenants[e % len(self.tenants)]
            created = effective - timedelta(days=rnd.randint(20, 200))
            name = COMPANIES[e % len(COMPANIES)] + ("" if e < len(COMPANIES) else f" #{e}")
            slug = f"emp{employer_id}"
            self.employers[employer_id] = {
                "accounts": [],
                "alegeus_key": None,
                "can_request_reimbursements": rnd.random() < 0.5,
                "can_use_portal": rnd.random() < 0.5,
                "createddate": timestamp(created, rnd.randint(0, 86399)),
                "datapath_key": str(rnd.randint(10000, 99999)),
                "easy_enroll_ssn_required": True,
                "effective_date": effective.isoformat(),
                "email_automation": True,
                "employer_id": employer_id,
                "generic_key": None,
                "is_demo": False,
                "modifieddate": timestamp(created + timedelta(days=30), rnd.randint(0, 86399)),
                "name": name,
                "onboard_field_send_reimbursement": "all",
                "onboard_url": f"https://www.easyenrollment.net/enroll/{slug}",
                "payers": [dict(p) for p in rnd.sample(PAYERS, rnd.randint(1, len(PAYERS)))],
                "send_new_claim_emails": False,
                "slug": slug,
                "support_email": None,
                "support_email_derived": "support@my-tpa.example",
                "support_phone": None,
                "support_phone_derived": "(800) 555-0100",
                "team_primary": None,
                "team_primary_id": None,
                "teams": [],
                "tenant": dict(tenant),
                "unread_count": 0,
                "wex_key": None,
            }
            for m in range(members_per_employer):
                member_id = 888001 + e * members_per_employer + m
                first, last = rnd.choice(FIRST), rnd.choice(LAST)
                dependents = []
                for _ in range(rnd.randint(0, 2)):
                    dependents.append(
                        {
                            "alegeus_key": None,
                            "createddate": timestamp(created, rnd.randint(0, 86399)),
                            "datapath_key": None,
                            "email": None,
                            "first_name": rnd.choice(FIRST),
                            "generic_key": None,
                            "id": dependent_id,
                            "last_name": last,
                            "modifieddate": timestamp(created, rnd.randint(0, 86399)),
                            "ssn": None,
                            "wex_key": None,
                        }
                    )
                    dependent_id += 1
                hired = effective - timedelta(days=rnd.randint(0, 900))
                self.members[member_id] = {
                    "id": member_id,
                    "email": f"{first.lower()}.{last.lower()}{member_id}@example.com",
                    "first_name": first,
                    "last_name": last,
                    "full_name": f"{first} {last}",
                    "employer_id": employer_id,
                    "employer": {"id": employer_id, "name": name, "reimbursement_policy": "off"},
                    "dependents": dependents,
                    "tenant": dict(tenant),
                    "ssn": f"{rnd.randint(100, 899)}-{rnd.randint(10, 99)}-{rnd.randint(1000, 9999)}",
                    "date_of_birth": (date(1950, 1, 1) + timedelta(days=rnd.randint(0, 18000))).isoformat(),
                    "hire_term_daterange": {"bounds": "[)", "start": hired.isoformat(), "end": None},
                    "unread_count": 0,
                    "archived": False,
                    "archived_date": None,
                    "createddate": timestamp(created, rnd.randint(0, 86399)),
                    "modifieddate": timestamp(created, rnd.randint(0, 86399)),
                    "system_key": {"datapath": str(member_id)},
                }
                ph_id = 700001 + e * members_per_employer + m
                problem = rnd.choice(LOGIN_PROBLEMS)
                self.policy_holders[ph_id] = {
                    "id": ph_id,
                    "first_name": first,
                    "last_name": last,
                    "username": f"{first.lower()}{ph_id}",
                    "login_problem": problem,
                    "login_correction_message": None if problem == "valid" else "Please update your credentials.",
                    "login_needs_correction": problem != "valid",
                    "disabled": False,
                    "is_interop_connected": False,
                    "payer": dict(rnd.choice(self.employers[employer_id]["payers"])),
                }
                self._member_employer[member_id] = employer_id
                self._member_ph[member_id] = ph_id
        self.claims: list[ClaimIndex] = []
        member_ids = sorted(self.members)[:-1] or sorted(self.members)  # the last member has no claims
        for i in range(claims):
            crnd = self._claim_random(i)
            member_id = member_ids[i % len(member_ids)] if i < len(member_ids) else crnd.choice(member_ids)
            employer_id = self._member_employer[member_id]
            effective = date.fromisoformat(self.employers[employer_id]["effective_date"])
            # the first claim of each employer's first member is before its effective date; then ~20 % are
            before = i < employers * members_per_employer and i % members_per_employer == 0
            offset = crnd.randint(-200, -1) if before else crnd.randint(-200, 900)
            first_day = effective + timedelta(days=offset)
            read = crnd.random() < 0.25 or i == 1
            self.claims.append(
                ClaimIndex(
                    476001 + i,
                    employer_id,
                    member_id,
                    self._member_ph[member_id],
                    first_day,
                    first_day + timedelta(days=crnd.randint(5, 60)),
                    read,
                )
            )
        self.by_id = {c.id: c for c in self.claims}
        for c in self.claims:
            if not c.read:
                self.employers[c.employer_id]["unread_count"] += 1
                self.members[c.member_id]["unread_count"] += 1

    def _claim_random(self, i: int) -> random.Random:
        return random.Random(f"tpastream/{self.seed}/claim/{i}")

    # --- facts the local target hands the suites -------------------------------------------------
    def read_claim_ids(self) -> list[int]:
        return [c.id for c in self.claims if c.read]

    def before_effective_ids(self, reading: str = "date-of-service") -> list[int]:
        return [c.id for c in self.claims if self.before_effective(c, reading)]

    def before_effective(self, c: ClaimIndex, reading: str) -> bool:
        effective = date.fromisoformat(self.employers[c.employer_id]["effective_date"])
        return (c.processed_on if reading == "processed-on" else c.first_day) < effective

    # --- building a whole claim --------------------------------------------------------------------
    def claim(self, claim_id: int) -> dict:
        return _build_claim(self, claim_id)


def _build_claim(data: DataSet, claim_id: int) -> dict:
    c = data.by_id[claim_id]
    i = claim_id - 476001
    rnd = data._claim_random(i)
    rnd.random()  # the index draws came first: keep the rest independent of them
    member = data.members[c.member_id]
    ph = data.policy_holders[c.policy_holder_id]
    type_name, type_id = rnd.choice(TYPES)
    lines: list[dict[str, Any]] = []
    day = c.first_day
    for n in range(rnd.randint(1, 3)):
        span = 1 if type_name != "facility" else rnd.randint(1, 5)
        billed = money(rnd, 900)
        line = {
            "amount_allowed": money(rnd, 500),
            "amount_billed": billed,
            "amount_not_covered": None,
            "amount_paid": money(rnd, 300),
            "amount_paid_other": None,
            "claim_medical_line_id": claim_id * 10 + n,
            "coinsurance_patient": money(rnd, 50),
            "copayment": rnd.choice([0.0, 10.0, 25.0]),
            "date_of_service": daterange(day, span),
            "diagnosis_code": None,
            "discount": None,
            "patient_responsibility": None,
            "procedure_code": None,
            "procedure_name": rnd.choice(PROCEDURES),
            "reduction": money(rnd, 100),
            "total_patient_responsibility": money(rnd, 200),
            "vendor_system_id": str(rnd.randint(0, 9)),
        }
        if type_name == "rx":
            kind = rnd.choice([1, 2])
            line.update(
                prescription_type_id=kind,
                prescription_type_str=["generic", "brand"][kind - 1],
                days_supply=30,
                quantity=30,
                national_drug_code=f"{rnd.randint(10000, 99999)}-0{n}",
            )
        lines.append(line)
        day += timedelta(days=rnd.randint(0, 2))
    last_day = max(date.fromisoformat(ln["date_of_service"]["end"]) for ln in lines)
    claim_range = (
        None if rnd.random() < 0.3 else {"bounds": "[)", "start": c.first_day.isoformat(), "end": last_day.isoformat()}
    )
    created = c.processed_on + timedelta(days=rnd.randint(0, 10))
    read_mark = (
        [{"user_id": data.user_id, "createddate": timestamp(created + timedelta(days=3), 3600)}] if c.read else []
    )
    tpafiles = [
        {
            "extension": rnd.choice([".png", ".pdf"]),
            "tpafile_id": claim_id * 100 + k,
            "url": f"/claim_medical/{claim_id}/tpafile/{claim_id * 100 + k}",
        }
        for k in range(rnd.randint(0, 2))
    ]
    status = rnd.choice(STATUSES)
    return {
        "amount_allowed": None,
        "amount_billed": money(rnd, 5000),
        "amount_not_covered": None,
        "amount_paid": None if status == "In Process" else money(rnd, 800),
        "amount_paid_other": None,
        "check_date": None,
        "check_number": None,
        "claim_medical_id": claim_id,
        "claim_medical_lines": lines,
        "claim_requests": [],
        "coinsurance_patient": money(rnd, 300),
        "copayment": 0.0,
        "createddate": timestamp(created, rnd.randint(0, 86399)),
        "dataobject_id": rnd.randint(1000, 9999),
        "date_of_service": claim_range,
        "dependents": [dict(d) for d in member["dependents"]],
        "discount": None,
        "eob_date": None,
        "group_name": None,
        "group_number": None,
        "id": claim_id,
        "last_updated_status": timestamp(created, 43200),
        "members": [
            {
                "email": member["email"],
                "employer_id": member["employer_id"],
                "employer": dict(member["employer"]),
                "full_name": member["full_name"],
                "id": member["id"],
            }
        ],
        "modifieddate": timestamp(created, 50000),
        "network": rnd.choice(["IN", "OUT", None]),
        "patient_account_number": None,
        "patient_name": rnd.choice(
            [member["full_name"]] + [f"{d['first_name']} {d['last_name']}" for d in member["dependents"]]
        ),
        "patient_responsibility": money(rnd, 4000),
        "policy_holder": {"fullname": f"{ph['first_name']} {ph['last_name']}", "policy_holder_id": ph["id"]},
        "policy_holder_fullname": f"{ph['first_name']} {ph['last_name']}",
        "policy_holder_id": ph["id"],
        "processed_on": c.processed_on.isoformat(),
        "read": read_mark,
        "read_all": list(read_mark),
        "reduction": 0.0,
        "remarks": None,
        "service_provider": rnd.choice(["Dr. Seuss", "City Clinic", "Main St Pharmacy"]),
        "service_provider_address": None,
        "service_provider_billing_address": None,
        "service_provider_billing_name": None,
        "service_provider_billing_npi_number": None,
        "service_provider_billing_number": None,
        "service_provider_billing_phone": None,
        "service_provider_npi_number": rnd.choice([None, 1234567893]),
        "service_provider_number": None,
        "status": status,
        "total_patient_responsibility": money(rnd, 300),
        "tpafiles": tpafiles,
        "type": None if rnd.random() < 0.1 else {"name": type_name, "type_id": type_id},
        "uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "vendor_system_id": f"xx{rnd.randint(100000, 999999)}",
    }


def pages_of(total: int, per_page: int) -> int:
    return math.ceil(total / per_page) if total else 0
