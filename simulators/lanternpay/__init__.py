"""LanternPay Provider API simulator: HAL root, OAuth/Basic, invoices adjudicated deterministically
by item code, cancellation, predeterminations, eligibility, contracts, and webhooks with the
documented auth modes and retry policy. Fault profiles are in `faults.py`.

`handler.py` is the other side: a biller's reference webhook handler, with its own fault profiles,
which the webhook-handler suite certifies (`payercert simulate lanternpay --suite webhook-handler`).
"""

from payercert.simulation import SimulatorPackage, SuiteSimulator

from .app import LanternPaySimulator, create
from .faults import FAULTS
from .handler import HANDLER_FAULTS, ReferenceHandler, create_handler

# certify --target local: adjudication steps 50 ms apart, second-level retry delays at 1/20
# (10/20/30 s become 0.5/1/1.5 s), so a full run takes seconds.
CERTIFY_OPTIONS = {"step_delay": 0.05, "retry_scale": 0.05}

# certify --suite webhook-handler --target local: the reference handler, Custom Http Header mode;
# a latency limit of 0.3 s, which the `slow` fault exceeds by 0.2 s on every event it applies.
SUITES = {
    "webhook-handler": SuiteSimulator(
        HANDLER_FAULTS, create_handler, {"auth": "header", "latency_s": 0.3, "slow_s": 0.5}
    )
}

SIMULATOR = SimulatorPackage(FAULTS, create, CERTIFY_OPTIONS, SUITES)

__all__ = [
    "SIMULATOR",
    "CERTIFY_OPTIONS",
    "FAULTS",
    "HANDLER_FAULTS",
    "LanternPaySimulator",
    "ReferenceHandler",
    "SUITES",
    "create",
    "create_handler",
]
