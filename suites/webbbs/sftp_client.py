"""SFTP access to a WebBBS target (section 6) for the suite: a synchronous asyncssh session on a
private event loop, each operation written to a transcript attached to the report (redacted).

Fixtures (import them into a test module): `sftp_endpoint`, the target's endpoint or a skip;
`sftp`, a session logged in as the target's Trading Partner, closed after the test.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import allure
import pytest

from payercert.redact import REDACTOR
from payercert.sftp_endpoint import SftpEndpoint
from payercert.sshlib import asyncssh

TIMEOUT = 30.0  # seconds for one operation, login included


class SftpSession:
    def __init__(self, endpoint: SftpEndpoint, *, username: str | None = None, password: str | None = None):
        self.endpoint = endpoint
        self.username = username or endpoint.username
        self._password = password if password is not None else endpoint.password.reveal()
        self.transcript: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-session", daemon=True)
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    @property
    def sftp(self) -> asyncssh.SFTPClient:
        if self._sftp is None:
            raise RuntimeError("the SFTP session is not open")
        return self._sftp

    @property
    def conn(self) -> asyncssh.SSHClientConnection:
        if self._conn is None:
            raise RuntimeError("the SSH connection is not open")
        return self._conn

    @property
    def home(self) -> str:
        return f"/home/edi/{self.username}"

    # --- life cycle -------------------------------------------------------------------------------
    def open(self) -> SftpSession:
        self._thread.start()
        try:
            self._run(f"login {self.username}@{self.endpoint.host}:{self.endpoint.port}", self._connect())
        except BaseException:
            self.close()
            raise
        return self

    async def _connect(self) -> None:
        self._conn = await asyncssh.connect(
            self.endpoint.host,
            self.endpoint.port,
            username=self.username,
            password=self._password,
            known_hosts=self.endpoint.trusted_keys(),
            client_keys=None,
            agent_path=None,
            preferred_auth="password",
            connect_timeout=TIMEOUT,
        )
        self._sftp = await self._conn.start_sftp_client()

    def close(self) -> None:
        async def shutdown() -> None:
            if self._sftp is not None:
                self._sftp.exit()
            if self._conn is not None:
                self._conn.close()
                await self._conn.wait_closed()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(TIMEOUT)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(TIMEOUT)
        self._loop.close()
        self._attach()

    def __enter__(self) -> SftpSession:
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- operations -------------------------------------------------------------------------------
    def _run(self, what: str, coro: Awaitable[Any]) -> Any:
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        try:
            result = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, TIMEOUT), self._loop).result()
        except Exception as exc:
            self.transcript.append(f"{stamp} {what} -> {type(exc).__name__}: {exc}")
            raise
        shown = result if not isinstance(result, bytes) else f"{len(result)} bytes"
        self.transcript.append(f"{stamp} {what} -> {'ok' if result is None else shown}")
        return result

    def realpath(self, path: str) -> str:
        return self._run(f"realpath {path}", self.sftp.realpath(path))

    def isdir(self, path: str) -> bool:
        return self._run(f"isdir {path}", self.sftp.isdir(path))

    def listdir(self, path: str) -> list[str]:
        async def names() -> list[str]:
            return sorted(n for n in await self.sftp.listdir(path) if n not in (".", ".."))

        return self._run(f"dir {path}", names())

    def sizes(self, path: str) -> dict[str, int | None]:
        """Regular files of a folder and their sizes, as the listing reports them (None: it gives none)."""

        async def entries() -> dict[str, int | None]:
            return {
                os.fsdecode(e.filename): e.attrs.size  # (names come as str for a str path)
                for e in await self.sftp.readdir(path)
                if e.filename not in (".", "..") and e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
            }

        return self._run(f"dir {path}", entries())

    def stat(self, path: str) -> asyncssh.SFTPAttrs:
        return self._run(f"stat {path}", self.sftp.stat(path))

    def get(self, path: str) -> bytes:
        async def read() -> bytes:
            async with self.sftp.open(path, "rb") as fh:
                return await fh.read()

        return self._run(f"get {path}", read())

    def put(self, path: str, data: bytes) -> None:
        async def write() -> None:
            async with self.sftp.open(path, "wb") as fh:
                await fh.write(data)

        return self._run(f"put {path} ({len(data)} bytes)", write())

    def exec(self, command: str) -> Any:
        return self._run(f"exec {command}", self.conn.run(command, check=False))

    def _attach(self) -> None:
        if not self.transcript:
            return
        try:
            allure.attach(
                REDACTOR.text("\n".join(self.transcript)),
                name=f"sftp {self.username}@{self.endpoint.host}",
                attachment_type=allure.attachment_type.TEXT,
            )
        except Exception:  # outside a test there is nowhere to attach
            pass


def login_refusal(endpoint: SftpEndpoint, username: str, password: str) -> Exception | None:
    """Why a login with these credentials is refused, or None if it is accepted."""
    try:
        SftpSession(endpoint, username=username, password=password).open().close()
    except (asyncssh.PermissionDenied, asyncssh.DisconnectError) as exc:
        return exc
    return None


def x12_270(trading_partner: str, control: int, trace: str) -> bytes:
    """A 5010 270 inquiry from the Trading Partner to Arkansas Medicaid, as the bundle's sample."""
    now = datetime.now(UTC)
    isa = (
        f"ISA*00*          *00*          *ZZ*{trading_partner:<15}*30*716007869      *{now:%y%m%d}*{now:%H%M}*^*00501*"
        f"{control:09d}*0*P*:~"
    )
    segments = [
        f"GS*HS*{trading_partner}*716007869*{now:%Y%m%d}*{now:%H%M}*{control}*X*005010X279A1",
        "ST*270*0001*005010X279A1",
        f"BHT*0022*13*{trace[:30]}*{now:%Y%m%d}*{now:%H%M}",
        "HL*1**20*1",
        "NM1*PR*2*ARKANSAS MEDICAID*****PI*716007869",
        "HL*2*1*21*1",
        "NM1*1P*2*EXAMPLE CLINIC*****XX*1234567893",
        "HL*3*2*22*0",
        f"TRN*1*{trace}*9877281234",
        "NM1*IL*1*DOE*JANE****MI*1234567890",
        "DMG*D8*19700101",
        f"DTP*291*D8*{now:%Y%m%d}",
        "EQ*30",
        "SE*13*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return (isa + "".join(s + "~" for s in segments)).encode("ascii")


@pytest.fixture
def sftp_endpoint(target) -> SftpEndpoint:
    return target.require_sftp()


@pytest.fixture
def sftp(sftp_endpoint):
    with SftpSession(sftp_endpoint) as session:
        yield session
