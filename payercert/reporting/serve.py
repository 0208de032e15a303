"""`payercert report --serve`: a certify run's reports on a local web server.

Allure's report is a folder whose page loads each test's data as it is opened, which a browser
refuses to do for a page read from disk; Allure's own answer is `allure open`, a local web server.
This one serves the reports folder (the certificate beside the Allure report) on 127.0.0.1 only,
under a random path that the printed links carry, so that no other local user or web page can
guess its address.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..errors import EXIT_OK, PayercertError


class ReportServer:
    def __init__(self, reports: Path, port: int = 0) -> None:
        if not (reports / "certificate.html").is_file() and not (reports / "allure-report").is_dir():
            raise PayercertError(
                f"{reports} holds no rendered report: run `payercert report --reports {reports}` first"
            )
        self.token = secrets.token_urlsafe(16)
        self.app = Starlette(
            routes=[Mount(f"/{self.token}", StaticFiles(directory=reports, html=True))],
            middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"])],
        )
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PayercertError(f"cannot serve the reports on 127.0.0.1:{port}: {exc.strerror}") from None
        self.reports = reports
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/{self.token}/{path}"

    def links(self) -> list[tuple[str, str]]:
        """(what, URL) of each report the folder holds."""
        found = [("certificate", "certificate.html"), ("Allure report", "allure-report/index.html")]
        return [(what, self.url(path)) for what, path in found if (self.reports / path).is_file()]

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C)."""
        self.server.run(sockets=[self.socket])


def serve_reports(reports: Path, port: int, say: Callable[[str], None]) -> int:
    server = ReportServer(reports, port)
    for what, url in server.links():
        say(f"{what}: {url}")
    say("serving on 127.0.0.1 until Ctrl-C")
    server.run()
    return EXIT_OK
