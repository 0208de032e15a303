"""TPA Stream REST API simulator: the document's GET endpoints over a seeded synthetic data set.

Basic auth (e-mail + secret API key), a per-user IP CIDR allow-list (127.0.0.1/32 for the local
target's credentials), Flask-SQLAlchemy pagination, hide_read / hide_before_effective_date, the
nested claims paths and the error payload, and signed claim webhooks with TPA Stream's delivery rules
(`webhooks.py`). Size: `employers`, `claims`
and `members_per_employer` options (default 3 / 60 / 4; 100k claims are built lazily).
Fault profiles are in `faults.py`.
"""

from payercert.simulation import SimulatorPackage, SuiteSimulator

from .app import TpaStreamSimulator, create
from .faults import FAULTS
from .receiver import RECEIVER_FAULTS, ReferenceReceiver, create_receiver

# certify --target local: the webhook retry policy in seconds (a first retry after 0.2 s, retries for
# 3 s) instead of TPA Stream's 4 hours
CERTIFY_OPTIONS = {"webhook_first_retry_s": 0.2, "webhook_retry_window_s": 3.0}

# certify --suite webhook-receiver --target local: the reference receiver (`receiver.py`)
SUITES = {"webhook-receiver": SuiteSimulator(RECEIVER_FAULTS, create_receiver)}

SIMULATOR = SimulatorPackage(FAULTS, create, CERTIFY_OPTIONS, SUITES)

__all__ = [
    "SIMULATOR",
    "CERTIFY_OPTIONS",
    "FAULTS",
    "RECEIVER_FAULTS",
    "SUITES",
    "create",
    "create_receiver",
    "ReferenceReceiver",
    "TpaStreamSimulator",
]
