"""WebBBS SFTP channel (document sections 2, 6 and 7): an asyncssh server on 127.0.0.1.

- Password login with the Trading Partner ID (WEBBBS-SFTP-1); a password older than 90 days is
  refused (7.3, WEBBBS-PASSWORD-8; the clock can be moved). Passwords cannot be changed over SSH
  (WEBBBS-SFTP-6): an expired account is told to use the website.
- Each session is confined to /home/edi/<TPID> (WEBBBS-SFTP-8), which holds `upload/` (put only,
  WEBBBS-SFTP-2) and `download/` (dir, get and delete, WEBBBS-SFTP-3). Nothing but SFTP is served: no
  shell, exec or SCP (WEBBBS-SFTP-4, -5).
- A file put in upload must be ASC X12 (it starts with ISA, WEBBBS-SFTP-7): anything else is refused
  when the client closes it, and removed. Each accepted file is answered in download as
  `batch_files.py` says (271/277, or a negative TA1/999 only). The document gives no file names for
  the answers: they are `<upload name>.<ISA13 of the answer>.<kind>`.

The host key is generated in memory at start. The folders live in a private temporary directory
(the chroot of every session, so even a fault profile never reaches the machine's own files),
removed at stop.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import posixpath
import shutil
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from payercert.sshlib import asyncssh

from .batch_files import NotX12, Responder
from .partners import EXPIRED_PARTNER, OTHER_PARTNER, TRADING_PARTNER, Partners, TradingPartner
from .partners import MAX_AGE as MAX_PASSWORD_AGE  # 7.3: "Passwords expire after 90 days"
from .sftp_faults import SFTP_FAULTS

WEBSITE = "https://fts.mmis.arkansas.gov"
SEEDED_FILE = "earlier-batch.271.x12"  # an answer from an earlier day, so download is never empty


class SftpSimulator:
    def __init__(self, fault: str | None = None, partners: Partners | None = None) -> None:
        self.fault = fault if fault in {f.name for f in SFTP_FAULTS} else None  # SOAP faults: conforming SFTP
        # the web services' accounts and clock when it runs beside them: one login for every channel (2)
        self.partners = partners if partners is not None else Partners()
        self.clock = self.partners.clock
        self.responder = Responder(clock=self.clock.now)
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.root = Path(tempfile.mkdtemp(prefix="webbbs-sftp-")).resolve()
        self.accounts = self.partners.by_id
        self.host, self.port = "127.0.0.1", 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        # where the local target stands in FTP's ports (21, 990): bound but never listening, so a
        # connection is refused; the ftp-greeting-served profile answers there like an FTP server
        self._ftp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._ftp.bind((self.host, 0))
        for tp in (TRADING_PARTNER, OTHER_PARTNER):
            self.add_account(tp)
            self.deliver(tp, SEEDED_FILE, self._seed_answer(tp))
        self.add_account(EXPIRED_PARTNER, age=MAX_PASSWORD_AGE + timedelta(days=1))

    def broken(self, name: str) -> bool:
        return self.fault == name

    # --- accounts and folders ---------------------------------------------------------------------
    def add_account(
        self, username: str, password: str | None = None, *, age: timedelta = timedelta()
    ) -> TradingPartner:
        account = self.accounts.get(username) or self.partners.add(username, age, password)
        home = self.home(username)
        (home / "download").mkdir(parents=True, exist_ok=True)
        if not self.broken("sftp-upload-dir-missing"):
            (home / "upload").mkdir(exist_ok=True)
        return account

    def home(self, username: str) -> Path:
        return self.root / "home" / "edi" / username

    def deliver(self, username: str, name: str, text: str) -> Path:
        path = self.home(username) / "download" / name
        path.write_text(text, encoding="latin-1")
        return path

    def _seed_answer(self, username: str) -> str:
        request = (
            f"ISA*00*          *00*          *ZZ*{username:<15}*30*716007869      *240115*1230*^*00501*"
            "000000001*0*P*:~GS*HS*{tp}*716007869*20240115*1230*1*X*005010X279A1~ST*270*0001*005010X279A1~"
            "BHT*0022*13*SEED0001*20240115*1230~HL*1**20*1~NM1*PR*2*ARKANSAS MEDICAID*****PI*716007869~"
            "HL*2*1*21*1~NM1*1P*2*EXAMPLE CLINIC*****XX*1234567893~HL*3*2*22*0~TRN*1*SEED-TRACE*9877281234~"
            "NM1*IL*1*DOE*JANE****MI*1234567890~EQ*30~SE*11*0001~GE*1*1~IEA*1*000000001~"
        ).replace("{tp}", username)
        return self.responder.answer(request.encode())[0].text

    # --- authentication (7.3) ---------------------------------------------------------------------
    def password_expired(self, account: TradingPartner) -> bool:
        return account.password_expired(self.clock.now())

    def login(self, username: str, password: str) -> str | None:
        """None when the login is accepted, else why it is refused (for the auth banner)."""
        account = self.accounts.get(username)
        if account is None:
            return "unknown Trading Partner ID or wrong password"
        if not hmac.compare_digest(account.password.encode(), password.encode()) and not self.broken(
            "sftp-any-password-accepted"
        ):
            return "unknown Trading Partner ID or wrong password"
        if self.password_expired(account) and not self.broken("sftp-expired-password-accepted"):
            return f"password expired (older than 90 days): change it at {WEBSITE}"
        return None

    # --- uploads ----------------------------------------------------------------------------------
    def receive(self, username: str, path: Path) -> None:
        """A file was closed in upload: refuse it unless X12, else put its answers in download."""
        try:
            answers = self.responder.answer(path.read_bytes())
        except NotX12 as exc:
            if self.broken("sftp-any-file-kept"):
                return
            path.unlink(missing_ok=True)
            raise asyncssh.SFTPFailure(f"{path.name}: {exc}") from None
        if self.broken("sftp-no-response-file"):
            return
        for answer in answers:
            control = answer.text[90:99]  # ISA13 of the answer
            self.deliver(username, f"{path.name}.{control}.{answer.kind}", answer.text)

    # --- serving ----------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> SftpSimulator:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._acceptor = self._loop.run_until_complete(
                    asyncssh.listen(
                        self.host,
                        0,
                        server_host_keys=[self.host_key],
                        server_factory=lambda: _Login(self),
                        sftp_factory=lambda chan: _Sftp(chan, self),
                        allow_scp=False,
                        process_factory=_passwd if self.broken("sftp-passwd-served") else None,
                        agent_forwarding=False,
                        x11_forwarding=False,
                        allow_pty=False,
                        login_timeout=30,
                    )
                )
                self.port = self._acceptor.get_port()
                if self.broken("ftp-greeting-served"):
                    self._loop.run_until_complete(asyncio.start_server(_ftp_greeting, sock=self._ftp))
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="webbbs-sftp", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or failure:
            raise RuntimeError(f"the SFTP simulator did not start: {failure[0] if failure else 'timeout'}")
        return self

    def stop(self) -> None:
        loop, acceptor, thread = self._loop, self._acceptor, self._thread
        if loop is not None and acceptor is not None and thread is not None:  # (the thread made the other two)

            async def close() -> None:
                acceptor.close()
                await acceptor.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
        self._ftp.close()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def known_hosts(self) -> str:
        """The known_hosts line a client trusts this server with (non-22 ports are bracketed)."""
        return f"[{self.host}]:{self.port} {self.host_key.export_public_key().decode().strip()}"

    def local_target(self) -> dict[str, Any]:
        main, expired = self.accounts[TRADING_PARTNER], self.accounts[EXPIRED_PARTNER]
        return {
            "sftp": {
                "host": self.host,
                "port": self.port,
                "username": main.username,
                "password": main.password,
                "known_hosts": self.known_hosts,
            },
            "accounts": {"sftp_expired": {"username": expired.username, "password": expired.password}},
            "secrets": [a.password for a in self.accounts.values()],
            "options": {
                "sftp_other_partner": OTHER_PARTNER,
                "sftp_response_wait": 5,
                "ftp_ports": [self._ftp.getsockname()[1]],
            },
        }


@contextmanager
def start_extra(fault: str | None = None, *, simulator: Any = None, **_options: Any) -> Iterator[dict[str, Any]]:
    """The local target's SFTP server, for as long as the certify run lasts, sharing the accounts of
    the web service `simulator` when given."""
    sim = SftpSimulator(fault, getattr(simulator, "partners", None)).start()
    try:
        yield sim.local_target()
    finally:
        sim.stop()


async def _ftp_greeting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What an FTP server says first (RFC 959 5.4: 220 on connection)."""
    writer.write(b"220 Arkansas Medicaid FTP service ready\r\n")
    await writer.drain()
    writer.close()


def _passwd(process: asyncssh.SSHServerProcess) -> None:
    """A shell that takes any command as a password change (the `sftp-passwd-served` profile)."""
    process.stdout.write("passwd: password updated successfully\n")
    process.exit(0)


class _Login(asyncssh.SSHServer):
    """Password authentication only, checked against the simulator's accounts and clock."""

    def __init__(self, sim: SftpSimulator) -> None:
        self.sim = sim
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        refused = self.sim.login(username, password)
        if refused and "expired" in refused and self.conn is not None:
            self.conn.send_auth_banner(refused + "\r\n")
        return refused is None


class _Sftp(asyncssh.SFTPServer):
    """One session: paths resolve against /home/edi/<TPID> and may not leave it."""

    def __init__(self, chan: asyncssh.SSHServerChannel, sim: SftpSimulator) -> None:
        super().__init__(chan, chroot=str(sim.root).encode())
        self.sim = sim
        self.username = chan.get_extra_info("username")
        self.home_path = f"/home/edi/{self.username}".encode()

    def _virtual(self, path: bytes) -> bytes:
        """The client's path made absolute (relative ones start at home) and normalized."""
        joined = posixpath.normpath(posixpath.join(self.home_path, path))
        return b"/" + joined.lstrip(b"/")

    def map_path(self, path: bytes) -> bytes:
        virtual = self._virtual(path)
        inside = virtual == self.home_path or virtual.startswith(self.home_path + b"/")
        if not inside and not self.sim.broken("sftp-outside-home-served"):
            raise asyncssh.SFTPPermissionDenied("outside your home folder /home/edi/" + self.username)
        return posixpath.join(str(self.sim.root).encode(), virtual.lstrip(b"/"))

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        """Like the default, but `..` shows the folder itself: its parent may be out of reach."""
        local = self.map_path(path)
        here = asyncssh.SFTPAttrs.from_local(os.lstat(local))
        for name in (b".", b".."):
            yield asyncssh.SFTPName(name, attrs=here)
        with os.scandir(local) as entries:
            for entry in entries:
                yield asyncssh.SFTPName(
                    os.fsencode(entry.name), attrs=asyncssh.SFTPAttrs.from_local(entry.stat(follow_symlinks=False))
                )

    def _in_upload(self, path: bytes) -> bool:
        return posixpath.dirname(self._virtual(path)) == self.home_path + b"/upload"

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT) and not self._in_upload(path):
            raise asyncssh.SFTPPermissionDenied("files are put in upload/ only")
        return super().open(path, pflags, attrs)

    def open56(self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs) -> object:
        if desired_access & (asyncssh.ACE4_WRITE_DATA | asyncssh.ACE4_APPEND_DATA) and not self._in_upload(path):
            raise asyncssh.SFTPPermissionDenied("files are put in upload/ only")
        return super().open56(path, desired_access, flags, attrs)

    def close(self, file_obj: object) -> None:
        super().close(file_obj)
        if getattr(file_obj, "mode", "rb") != "rb":  # a file written in upload/ is complete now
            written = cast(BinaryIO, file_obj)  # the local file SFTPServer.open() opened for writing
            self.sim.receive(self.username, Path(os.fsdecode(written.name)))

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._check_rename(oldpath, newpath)
        super().rename(oldpath, newpath)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self._check_rename(oldpath, newpath)
        super().posix_rename(oldpath, newpath)

    def _check_rename(self, oldpath: bytes, newpath: bytes) -> None:
        """Clients that put under a temporary name rename in upload/; nothing moves into download/."""
        if not (self._in_upload(oldpath) and self._in_upload(newpath)):
            raise asyncssh.SFTPPermissionDenied("files are renamed within upload/ only")

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        raise asyncssh.SFTPPermissionDenied("the folders of /home/edi/<TPID> are fixed")

    def rmdir(self, path: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("the folders of /home/edi/<TPID> are fixed")

    def symlink(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("links are not supported")

    def link(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPPermissionDenied("links are not supported")
