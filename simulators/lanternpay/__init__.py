"""LanternPay Provider API simulator: HAL root, OAuth/Basic, invoices adjudicated deterministically
by item code, cancellation, predeterminations, eligibility, contracts, and webhooks with the
documented auth modes and retry policy. Fault profiles are in `faults.py`.
"""
from .app import LanternPaySimulator, create
from .faults import FAULTS

# certify --target local: adjudication steps 50 ms apart, second-level retry delays at 1/20
# (10/20/30 s become 0.5/1/1.5 s), so a full run takes seconds.
CERTIFY_OPTIONS = {"step_delay": 0.05, "retry_scale": 0.05}

__all__ = ["CERTIFY_OPTIONS", "FAULTS", "LanternPaySimulator", "create"]
