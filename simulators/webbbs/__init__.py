"""Arkansas Medicaid WebBBS simulator.

The SFTP channel (`sftp.py`, section 6) runs beside the HTTPS app through `start_extra`; its
fault profiles are in `sftp_faults.py`. The CORE web services (SOAP and MIME) are not served by
this package yet: every HTTP request gets 503, the document's answer when "CORE web services are
down" (4.1).
"""
from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse

from .sftp import SftpSimulator, start_extra
from .sftp_faults import SFTP_FAULTS

FAULTS = SFTP_FAULTS


class WebBbsSimulator:
    def __init__(self, fault: str | None = None, **_options: Any) -> None:
        self.fault = fault
        self.app = Starlette(routes=[])
        self.app.add_exception_handler(404, lambda _request, _exc: PlainTextResponse(
            "CORE web services are down", status_code=503))

    def local_target(self, base_url: str) -> dict[str, Any]:
        return {"urls": {"soap_realtime": base_url + "/soap/coreservice.svc/realtime"}, "credentials": {}}


def create(fault: str | None = None, **options: Any) -> WebBbsSimulator:
    return WebBbsSimulator(fault, **options)


__all__ = ["FAULTS", "SFTP_FAULTS", "create", "start_extra", "SftpSimulator"]
