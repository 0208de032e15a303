"""SFTP channel (sections 2, 6, 7.3): login, put to upload, dir and get in download, confinement
to /home/edi/<TPID>, refused credentials, SFTP only.

Target options: `sftp_response_wait` (seconds to wait for the answer to an upload; the document
promises answers by 7:00 am the next day, 3.4, so without it that test skips), and
`sftp_other_partner` (another Trading Partner ID whose home must be out of reach), `ftp_ports` (where
FTP and implicit FTPS would answer: 21 and 990 unless given). Account
`sftp_expired`: a Trading Partner whose password is older than 90 days.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from payercert.sshlib import asyncssh
from payercert.suites.webbbs.client import poll, segments
from payercert.suites.webbbs.sftp_client import (  # noqa: F401 (fixtures)
    SftpSession,
    login_refusal,
    sftp,
    sftp_endpoint,
    x12_270,
)


def _upload_270(sftp: SftpSession) -> tuple[str, str]:
    """Put a fresh 270 in upload; its name and its unique trace number (TRN02)."""
    trace = uuid.uuid4().hex[:20].upper()
    name = f"payercert-{trace}.x12"
    sftp.put(f"{sftp.home}/upload/{name}", x12_270(sftp.username, int(trace[:8], 16) % 10**9, trace))
    return name, trace


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-1")
def test_login_with_trading_partner_id_reaches_home(sftp):
    """The Trading Partner ID and password log in; /home/edi/<TPID> is there to work in."""
    assert sftp.isdir(sftp.home), f"{sftp.home} is not a folder after login"
    sftp.listdir(sftp.home)


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-1")
def test_wrong_password_refused(sftp_endpoint):
    """A login with the Trading Partner ID and a wrong password is refused."""
    wrong = sftp_endpoint.password.reveal() + "x"
    refusal = login_refusal(sftp_endpoint, sftp_endpoint.username, wrong)
    assert refusal is not None, "a wrong password logged in"


@pytest.mark.requirement("WEBBBS-PASSWORD-8")
def test_expired_password_refused(target, sftp_endpoint):
    """A password older than 90 days no longer logs in (7.3)."""
    account = target.require_account("sftp_expired")
    refusal = login_refusal(sftp_endpoint, account["username"], account["password"])
    assert refusal is not None, f"{account['username']}: a password past its 90 days logged in"


@pytest.mark.mutating
@pytest.mark.requirement("WEBBBS-SFTP-2")
def test_put_into_upload(sftp):
    """A batch file is put into /home/edi/<TPID>/upload (6.1.1)."""
    upload = f"{sftp.home}/upload"
    assert sftp.isdir(upload), f"{upload} is not a folder"
    try:
        _upload_270(sftp)
    except asyncssh.SFTPError as exc:
        pytest.fail(f"put of an X12 270 into {upload} refused: {exc}")


@pytest.mark.mutating
@pytest.mark.requirement("WEBBBS-SFTP-4")
def test_upload_that_is_not_x12_refused(sftp):
    """SFTP carries X12 batch files only: a file that is no interchange is not taken (2)."""
    upload = f"{sftp.home}/upload"
    if not sftp.isdir(upload):
        pytest.skip(f"{upload} is not a folder (WEBBBS-SFTP-2)")
    name = f"payercert-{uuid.uuid4().hex[:12]}.txt"
    path = f"{upload}/{name}"
    try:
        sftp.put(path, b"not an X12 interchange\n")
    except asyncssh.SFTPError:
        pass
    assert name not in sftp.listdir(upload), f"WEBBBS-SFTP-4: {path}: a file that is not X12 was kept in upload"


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-3")
def test_download_lists_and_gets(sftp):
    """dir lists /home/edi/<TPID>/download and get returns each file whole (6.1.2, 6.1.3)."""
    download = f"{sftp.home}/download"
    assert sftp.isdir(download), f"{download} is not a folder"
    files = sftp.sizes(download)
    if not files:
        pytest.skip(f"{download} holds no file to get")
    for name, size in sorted(files.items())[:3]:
        data = sftp.get(f"{download}/{name}")
        assert len(data) == size, f"get {name}: {len(data)} bytes, the listing says {size}"


@pytest.mark.mutating
@pytest.mark.requirement("WEBBBS-SFTP-3")
def test_upload_answered_in_download(target, sftp):
    """A 270 put in upload is answered by a 271 in download, naming the inquiry's trace number."""
    wait = target.target.options.get("sftp_response_wait")
    if not wait:
        pytest.skip("answers arrive by 7:00 am Eastern the next day (3.4): set options.sftp_response_wait to wait here")
    download = f"{sftp.home}/download"
    before = set(sftp.listdir(download))
    _name, trace = _upload_270(sftp)

    def answer() -> list[list[str]] | None:
        for new in sorted(set(sftp.listdir(download)) - before):
            segs = segments(sftp.get(f"{download}/{new}"))
            if any(s[:3] == ["TRN", "2", trace] for s in segs):
                return segs
        return None

    segs = poll(answer, float(wait), every=0.5)
    assert segs, f"no file in {download} answers the 270 with trace {trace} after {wait} s"
    st = next((s for s in segs if s[0] == "ST"), None)
    assert st is not None and st[1] == "271", f"the answer to a 270 is ST {st}, expected a 271"


def _outside_paths(target, sftp) -> list[tuple[str, set[str]]]:
    """Paths outside the home, each with the names a listing of it may show without leaking: the
    way down to the home itself (a server that jails each partner shows exactly that)."""
    other = target.target.options.get("sftp_other_partner", "TP999999")
    return [
        ("/", {"home"}),
        ("/home", {"edi"}),
        ("/home/edi", {sftp.username}),
        (f"{sftp.home}/..", {sftp.username}),
        (f"/home/edi/{other}", set()),
        (f"/home/edi/{other}/download", set()),
        ("/etc", set()),
        ("/tmp", set()),
    ]


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-8")
def test_paths_outside_home_refused(target, sftp):
    """Nothing outside /home/edi/<TPID> can be listed or read; other partners' homes included."""
    leaks = []
    for path, allowed in _outside_paths(target, sftp):
        try:
            shown = set(sftp.listdir(path))
        except asyncssh.SFTPError:
            continue
        if shown - allowed:
            leaks.append(f"dir {path} shows {sorted(shown - allowed)}")
    for path in ("/etc/passwd", f"{sftp.home}/../../../etc/passwd"):
        try:
            sftp.get(path)
            leaks.append(f"get {path} served a file")
        except asyncssh.SFTPError:
            pass
    assert not leaks, "outside the home: " + "; ".join(leaks)


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-6")
def test_no_shell_to_change_password(sftp):
    """Only SFTP is served: no shell or command (e.g. passwd), so no password change over SSH."""
    try:
        result = sftp.exec("passwd")
    except (asyncssh.ChannelOpenError, asyncssh.ProcessError):
        return
    assert result.exit_status not in (0, None) or result.exit_signal, (
        "WEBBBS-SFTP-6: the SSH server ran a command ('passwd')"
    )


@pytest.mark.smoke
@pytest.mark.requirement("WEBBBS-SFTP-5")
def test_no_ftp_or_ftps(target, sftp_endpoint):
    """FTP and FTPS were withdrawn (revisions 1.7, 1.9): the SFTP host answers no FTP greeting on the FTP
    ports (21 and implicit FTPS's 990, or the target's options.ftp_ports)."""
    greeted = []
    for port in target.target.options.get("ftp_ports", [21, 990]):
        try:
            with socket.create_connection((sftp_endpoint.host, port), timeout=5) as sock:
                sock.settimeout(5)
                greeting = sock.recv(64)
        except OSError:
            continue  # nothing listens there
        if greeting.startswith(b"220"):
            greeted.append(f"{sftp_endpoint.host}:{port} greets like FTP: {greeting[:40]!r}")
    assert not greeted, "WEBBBS-SFTP-5: " + "; ".join(greeted)
