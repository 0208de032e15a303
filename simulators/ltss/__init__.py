"""LTSS DDA Provider Upload API simulator: password-grant token endpoint and billing entry upload.

Validation is the compiled `specs/ltss/rules.yaml`, the same rules `payercert validate` applies,
so the simulator cannot drift from the spec bundle. Fault profiles are in `faults.py`.
"""

from payercert.simulation import SimulatorPackage

from .app import LtssSimulator, create
from .faults import FAULTS

# certify --target local: tokens live an hour as the real ones do; the client `short_token_client`
# gets 4-second tokens, so that expiry (LTSS-AUTH-6) is tested in seconds, with room for a token
# to be used well inside its life although its whole-second exp may round one second away
CERTIFY_OPTIONS = {"token_lifetime": 3600, "short_token_lifetime": 4}

SIMULATOR = SimulatorPackage(FAULTS, create, CERTIFY_OPTIONS)

__all__ = ["SIMULATOR", "FAULTS", "CERTIFY_OPTIONS", "create", "LtssSimulator"]
