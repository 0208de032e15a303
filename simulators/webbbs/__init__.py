"""Arkansas Medicaid WebBBS simulator: the CAQH CORE 2.2.0 web services and the SFTP channel.

- `app.py`: SOAP 1.2 RealTime and MTOM batch, MIME form-data, WS-Security UsernameToken, a batch
  repository per trading partner and the X12 answers of the payer, validated with the codec's
  `check_message` (the rules `payercert validate` applies); fault profiles in `faults.py`.
- `sftp.py`: the SFTP channel (section 6), run beside the HTTPS app through `start_extra`, sharing
  its trading-partner accounts and clock (one login for every channel); faults in `sftp_faults.py`.

`create()` takes any fault name of FAULTS: an SFTP fault leaves the web services conforming, and a
web service fault leaves the SFTP server conforming.
"""

from __future__ import annotations

from typing import Any

from payercert.simulation import SimulatorPackage

from .app import WebbbsSimulator
from .app import create as _create_app
from .faults import FAULTS as SOAP_FAULTS
from .sftp import SftpSimulator, start_extra
from .sftp_faults import SFTP_FAULTS

FAULTS = SOAP_FAULTS + SFTP_FAULTS
_SFTP_NAMES = {f.name for f in SFTP_FAULTS}


def create(fault: str | None = None, **options: Any) -> WebbbsSimulator:
    return _create_app(None if fault in _SFTP_NAMES else fault, **options)


SIMULATOR = SimulatorPackage(FAULTS, create, start_extra=start_extra)

__all__ = [
    "SIMULATOR",
    "FAULTS",
    "SOAP_FAULTS",
    "SFTP_FAULTS",
    "create",
    "start_extra",
    "SftpSimulator",
    "WebbbsSimulator",
]
