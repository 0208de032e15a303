"""AB2D (Claims Data to Part D Sponsors) simulator: an Okta-like token endpoint and the bulk export
API v1 (STU3), v2 (R4) and v3 (R4, allow-listed contracts), as AB2D's code builds it.

Three of the seed's fictitious sponsors (PDP-100/Z0000, PDP-1000/Z0001 on the v3 allow-list, and
PDP-2000/Z0002 whose jobs fail), deterministic synthetic EOBs in each version's allowed subset,
one running job per client, files rolled over at `file_limit`, gzip on Accept-Encoding, 72 h
expiry, six downloads per file. Time scales with `token_lifetime`, `job_seconds` and
`retry_after`; size with `claims_per_beneficiary` and `beneficiary_scale`. Fault profiles are in
`faults.py`.
"""

from payercert.simulation import SimulatorPackage

from .app import Ab2dSimulator, create
from .faults import FAULTS

# `certify --target local`: hour-long tokens as AB2D's, 3-second ones for the client the expiry
# tests ask for (`short_token_client`), jobs of about a second, a job time limit of 4 seconds standing
# for AB2D's 30 hours, a small export split over a few files.
CERTIFY_OPTIONS = {
    "token_lifetime": 3600,
    "short_token_lifetime": 3,
    "job_seconds": 1.0,
    "job_time_limit": 4.0,
    "retry_after": 1,
    "claims_per_beneficiary": 2,
    "beneficiary_scale": 0.6,
    "file_limit": 128 * 1024,
}

SIMULATOR = SimulatorPackage(FAULTS, create, CERTIFY_OPTIONS)

__all__ = ["SIMULATOR", "FAULTS", "CERTIFY_OPTIONS", "create", "Ab2dSimulator"]
