"""Arkansas Medicaid WebBBS CAQH CORE 2.2.0 web service simulator: SOAP 1.2 RealTime and MTOM batch,
MIME form-data, WS-Security UsernameToken, a batch repository per trading partner, and the X12
answers of the payer. Validation is the codec's `check_message`, the rules `payercert validate` applies.
"""
from .app import WebbbsSimulator, create
from .faults import FAULTS

__all__ = ["FAULTS", "create", "WebbbsSimulator"]
