"""The WebBBS SFTP channel: the simulator's server directly (conforming and each fault profile), the
answers it puts in download, the target plumbing (payercert.toml `sftp` table, the local
`start_extra` hook), and the SFTP suite catching every SFTP fault by its requirement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from payercert.errors import ConfigError, PayercertError
from payercert.feeds import load_feed
from payercert.secrets import Secret
from payercert.session import LocalTargets
from payercert.sftp_endpoint import local_sftp_endpoint, sftp_endpoint
from payercert.simulation import merge_local_target
from payercert.simulators.webbbs.batch_files import Responder
from payercert.simulators.webbbs.partners import EXPIRED_PARTNER, OTHER_PARTNER, TRADING_PARTNER, strong_password
from payercert.simulators.webbbs.sftp import SftpSimulator, start_extra
from payercert.simulators.webbbs.sftp_faults import SFTP_FAULTS
from payercert.sshlib import asyncssh
from payercert.suites.webbbs.client import segments
from payercert.suites.webbbs.sftp_client import SftpSession, login_refusal, x12_270

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "specs" / "webbbs" / "samples" / "valid"


@pytest.fixture
def sim(request):
    fault = getattr(request, "param", None)
    simulator = SftpSimulator(fault).start()
    yield simulator
    simulator.stop()


def endpoint(sim: SftpSimulator):
    return local_sftp_endpoint(sim.local_target()["sftp"])


def session(sim: SftpSimulator, username: str = TRADING_PARTNER) -> SftpSession:
    return SftpSession(endpoint(sim), username=username, password=sim.accounts[username].password).open()


def answers_in(sim: SftpSimulator, username: str = TRADING_PARTNER) -> dict[str, str]:
    download = sim.home(username) / "download"
    return {p.name: p.read_text("latin-1") for p in download.iterdir() if not p.name.startswith("earlier-")}


# --- login and password age (7.3) -------------------------------------------------------------------
def test_login_lands_in_the_partners_home(sim):
    s = session(sim)
    try:
        assert s.realpath(".") == f"/home/edi/{TRADING_PARTNER}"
        assert s.listdir(".") == ["download", "upload"]
    finally:
        s.close()


def test_wrong_password_and_unknown_partner_refused(sim):
    ep = endpoint(sim)
    assert isinstance(login_refusal(ep, TRADING_PARTNER, ep.password.reveal() + "x"), asyncssh.PermissionDenied)
    assert isinstance(login_refusal(ep, "TP404404", ep.password.reveal()), asyncssh.PermissionDenied)
    assert login_refusal(ep, TRADING_PARTNER, ep.password.reveal()) is None


def test_password_refused_from_its_90th_day_on_the_moved_clock(sim):
    ep = endpoint(sim)
    sim.clock.advance(days=89, hours=23)
    assert login_refusal(ep, TRADING_PARTNER, ep.password.reveal()) is None
    sim.clock.advance(hours=1)
    assert isinstance(login_refusal(ep, TRADING_PARTNER, ep.password.reveal()), asyncssh.PermissionDenied)


def test_expired_account_refused(sim):
    account = sim.local_target()["accounts"]["sftp_expired"]
    assert account["username"] == EXPIRED_PARTNER
    assert login_refusal(endpoint(sim), account["username"], account["password"]) is not None


def test_generated_passwords_meet_section_7():
    spec = load_feed("webbbs").spec["password_rules"]
    for password in {strong_password() for _ in range(20)}:
        assert len(password) >= spec["min_length"]
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


def test_host_key_is_new_each_start_and_nothing_outlives_stop():
    first, second = SftpSimulator(), SftpSimulator()
    try:
        assert first.known_hosts.split()[-1] != second.known_hosts.split()[-1]
    finally:
        first.stop(), second.stop()
    assert not first.root.exists() and not second.root.exists()


# --- confinement and folders (6) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/home",
        "/home/edi",
        "..",
        f"/home/edi/{OTHER_PARTNER}",
        f"/home/edi/{OTHER_PARTNER}/download",
        "/etc",
        "upload/../../..",
    ],
)
def test_paths_outside_home_refused(sim, path):
    s = session(sim)
    try:
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s.listdir(path)
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s.get(f"/home/edi/{OTHER_PARTNER}/download/earlier-batch.271.x12")
    finally:
        s.close()


def test_download_is_read_only_and_folders_fixed(sim):
    s = session(sim)
    try:
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s.put("download/x.x12", x12_270(TRADING_PARTNER, 5, "T5"))
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s._run("mkdir", s._sftp.mkdir("upload/sub"))
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s._run("symlink", s._sftp.symlink("/etc/passwd", "upload/link"))
        with pytest.raises(asyncssh.SFTPPermissionDenied):
            s._run("rename", s._sftp.rename("download/earlier-batch.271.x12", "upload/x.x12"))
    finally:
        s.close()


def test_only_sftp_is_served(sim):
    s = session(sim)
    try:
        with pytest.raises(asyncssh.ChannelOpenError):
            s.exec("passwd")
    finally:
        s.close()


# --- uploads and their answers (3.4) ----------------------------------------------------------------
def test_270_put_in_upload_is_answered_by_a_271(sim):
    s = session(sim)
    try:
        s.put("upload/inquiry.x12", x12_270(TRADING_PARTNER, 42, "TRACE42"))
        assert "inquiry.x12" in s.listdir("upload")
        names = [n for n in s.listdir("download") if n.startswith("inquiry.x12.")]
        assert len(names) == 1 and names[0].endswith(".271")
        segs = segments(s.get(f"download/{names[0]}"))
    finally:
        s.close()
    isa, gs, st = segs[0], segs[1], segs[2]
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("30", "716007869", "ZZ", TRADING_PARTNER)
    assert len("*".join(isa)) + 1 == 106
    assert (gs[1], gs[2], gs[3], gs[8]) == ("HB", "716007869", TRADING_PARTNER, "005010X279A1")
    assert st[1] == "271"
    assert ["TRN", "2", "TRACE42", "9877281234"] in segs and ["EB", "1", "", "30", "", "MEDICAID"] in segs
    se = next(x for x in segs if x[0] == "SE")
    assert int(se[1]) == segs.index(se) - segs.index(st) + 1 and se[2] == st[2]
    ge, iea = segs[-2], segs[-1]
    assert ge[1:] == ["1", gs[6]] and iea[1:] == ["1", isa[13]]


def test_276_answered_by_a_277_and_each_interchange_of_a_file_answered():
    responder = Responder()
    data = (SAMPLES / "x12-276.x12").read_bytes() + b"\x1c" + (SAMPLES / "x12-batch-two-270.x12").read_bytes()
    kinds = [a.kind for a in responder.answer(data)]
    assert kinds == ["277", "271", "271"]
    segs = segments(responder.answer((SAMPLES / "x12-276.x12").read_bytes())[0].text.encode())
    assert any(s[0] == "STC" and s[1] == "A1:20" for s in segs)


@pytest.mark.parametrize(
    "breakage,kind,check",
    [
        (lambda t: t.replace("IEA*1*000000031", "IEA*1*000000099"), "TA1", lambda s: s[1][4:6] == ["R", "001"]),
        (lambda t: t.replace("IEA*1*000000031", "IEA*2*000000031"), "TA1", lambda s: s[1][4:6] == ["R", "021"]),
        (lambda t: t[:60], "TA1", lambda s: s[1][4:6] == ["R", "023"]),
        (
            lambda t: t.replace("SE*13*0001", "SE*12*0001"),
            "999",
            lambda s: ["IK5", "R", "4"] in s and s[-4][:2] == ["AK9", "R"],
        ),
        (lambda t: t.replace("GE*1*1", "GE*2*1"), "999", lambda s: s[-4][:2] == ["AK9", "R"]),
    ],
    ids=["iea-control", "iea-count", "truncated", "se-count", "ge-count"],
)
def test_broken_interchange_gets_a_negative_ack_only(breakage, kind, check):
    text = (SAMPLES / "x12-270.x12").read_text()
    answers = Responder().answer(breakage(text).encode())
    assert [a.kind for a in answers] == [kind]
    assert check(segments(answers[0].text.encode()))


def test_837_accepted_gets_no_positive_ack():
    text = (SAMPLES / "x12-270.x12").read_text().replace("ST*270", "ST*837").replace("GS*HS", "GS*HC")
    assert Responder().answer(text.encode()) == []


def test_upload_that_is_not_x12_refused_and_removed(sim):
    s = session(sim)
    try:
        with pytest.raises(asyncssh.SFTPFailure, match="not an ASC X12"):
            s.put("upload/notes.txt", b"PK\x03\x04 a zip archive")
        assert "notes.txt" not in s.listdir("upload")
        assert answers_in(sim) == {}
    finally:
        s.close()


# --- fault profiles ---------------------------------------------------------------------------------
def test_every_sftp_fault_names_a_catalogue_requirement():
    feed = load_feed("webbbs")
    assert len({f.name for f in SFTP_FAULTS}) == len(SFTP_FAULTS) >= 3
    for fault in SFTP_FAULTS:
        assert fault.breaks in feed.requirements, fault


@pytest.mark.parametrize("sim", ["sftp-upload-dir-missing"], indirect=True)
def test_fault_upload_dir_missing(sim):
    s = session(sim)
    try:
        assert s.listdir(".") == ["download"]
        with pytest.raises(asyncssh.SFTPError):
            s.put("upload/inquiry.x12", x12_270(TRADING_PARTNER, 1, "T1"))
    finally:
        s.close()


@pytest.mark.parametrize("sim", ["sftp-expired-password-accepted"], indirect=True)
def test_fault_expired_password_accepted(sim):
    account = sim.local_target()["accounts"]["sftp_expired"]
    assert login_refusal(endpoint(sim), account["username"], account["password"]) is None


@pytest.mark.parametrize("sim", ["sftp-outside-home-served"], indirect=True)
def test_fault_outside_home_served_stays_inside_the_simulator(sim):
    s = session(sim)
    try:
        assert s.listdir("/home/edi") == sorted([TRADING_PARTNER, OTHER_PARTNER, EXPIRED_PARTNER])
        assert s.get(f"/home/edi/{OTHER_PARTNER}/download/earlier-batch.271.x12").startswith(b"ISA")
        with pytest.raises(asyncssh.SFTPNoSuchFile):  # the machine's own files stay out of reach
            s.get("/etc/passwd")
    finally:
        s.close()


@pytest.mark.parametrize("sim", ["sftp-any-password-accepted"], indirect=True)
def test_fault_any_password_accepted(sim):
    assert login_refusal(endpoint(sim), TRADING_PARTNER, "Wrong-passw0rd!") is None


@pytest.mark.parametrize("sim", ["sftp-no-response-file"], indirect=True)
def test_fault_no_response_file(sim):
    s = session(sim)
    try:
        s.put("upload/inquiry.x12", x12_270(TRADING_PARTNER, 7, "T7"))
    finally:
        s.close()
    assert answers_in(sim) == {}


# --- target plumbing --------------------------------------------------------------------------------
def test_config_sftp_table_builds_an_endpoint(tmp_path, monkeypatch):
    spec = load_feed("webbbs").spec
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    creds = {"username": "TP000001", "password": Secret("Pw-0f-the-TP!", "password")}
    ep = sftp_endpoint(spec, {"host_key": key}, creds, tmp_path, "target t", production=True)
    assert (ep.host, ep.port, ep.username) == ("fts.mmis.arkansas.gov", 22, "TP000001")
    assert ep.known_hosts == f"fts.mmis.arkansas.gov {key}" and "Pw-0f" not in repr(ep)
    monkeypatch.setenv("SFTP_PW", "Other-pw-1!")
    ep = sftp_endpoint(
        spec, {"host": "h", "port": 2222, "password": "env:SFTP_PW", "host_key": key}, creds, tmp_path, "t"
    )
    assert ep.password.reveal() == "Other-pw-1!" and ep.known_hosts.startswith("[h]:2222 ")
    assert sftp_endpoint(spec, None, creds, tmp_path, "t") is None
    with pytest.raises(ConfigError, match="give host"):  # the document's host is production's
        sftp_endpoint(spec, {"host_key": key}, creds, tmp_path, "t", production=False)


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"host_key": "not a key"}, "not an OpenSSH public key"),
        ({"known_hosts": "missing_known_hosts"}, "does not exist"),
        ({"hostkey": "x"}, "unknown key"),
        ({"password": "plain-text-pw"}, "env:NAME"),
    ],
)
def test_config_sftp_table_errors_are_one_line(tmp_path, raw, message):
    creds = {"username": "TP000001", "password": Secret("Pw-0f-the-TP!", "password")}
    with pytest.raises(PayercertError, match=message) as info:
        sftp_endpoint(load_feed("webbbs").spec, {"host": "h", **raw}, creds, tmp_path, "target t")
    assert "\n" not in str(info.value)


def test_merge_local_target_keeps_the_apps_entries():
    local = {"urls": {"a": "u"}, "credentials": {"k": "v"}, "secrets": ["s1"], "options": {"x": 1}}
    merged = merge_local_target(
        local, {"sftp": {"host": "h"}, "secrets": ["s2"], "options": {"y": 2}, "accounts": {"b": {}}}
    )
    assert merged == {
        "urls": {"a": "u"},
        "credentials": {"k": "v"},
        "secrets": ["s1", "s2"],
        "options": {"x": 1, "y": 2},
        "sftp": {"host": "h"},
        "accounts": {"b": {}},
    }


def test_local_target_starts_and_stops_the_sftp_server():
    local = LocalTargets(None)
    try:
        target = local.target(load_feed("webbbs"), {})
        assert target.sftp is not None and target.sftp.port > 0
        assert "sftp_expired" in target.accounts and target.options["sftp_response_wait"]
        assert login_refusal(target.sftp, target.sftp.username, target.sftp.password.reveal()) is None
        port = target.sftp.port
    finally:
        local.close()
    with pytest.raises(OSError):
        __import__("socket").create_connection(("127.0.0.1", port), timeout=2).close()


def test_start_extra_yields_a_local_target_and_cleans_up():
    with start_extra("sftp-no-response-file") as extra:
        assert set(extra) == {"sftp", "accounts", "secrets", "options"}
        assert extra["sftp"]["password"] in extra["secrets"]
        assert extra["sftp"]["known_hosts"].startswith(f"[127.0.0.1]:{extra['sftp']['port']} ssh-ed25519 ")


# --- the suite against each profile ----------------------------------------------------------------
def _suite(tmp_path: Path, fault: str | None) -> dict[str, str]:
    reports = tmp_path / (fault or "conforming")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "suites" / "webbbs" / "test_sftp.py"),
        "-q",
        "-p",
        "no:randomly",
        "--payercert-target",
        "local",
        "--payercert-reports",
        str(reports),
    ]
    if fault:
        cmd += ["--payercert-fault", fault]
    subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    certificate = json.loads((reports / "certificate.json").read_text())
    feed = next(f for f in certificate["feeds"] if f["feed"] == "webbbs")
    return {r["id"]: r["status"] for r in feed["requirements"]}


SFTP_REQUIREMENTS = [
    "WEBBBS-SFTP-1",
    "WEBBBS-SFTP-2",
    "WEBBBS-SFTP-3",
    "WEBBBS-SFTP-4",
    "WEBBBS-SFTP-5",
    "WEBBBS-SFTP-6",
    "WEBBBS-SFTP-8",
    "WEBBBS-PASSWORD-8",
]


def test_sftp_suite_passes_the_conforming_server(tmp_path):
    statuses = _suite(tmp_path, None)
    assert {r: statuses[r] for r in SFTP_REQUIREMENTS} == {r: "passed" for r in SFTP_REQUIREMENTS}


@pytest.mark.parametrize("fault", SFTP_FAULTS, ids=[f.name for f in SFTP_FAULTS])
def test_sftp_suite_catches_each_fault_by_its_requirement(tmp_path, fault):
    statuses = _suite(tmp_path, fault.name)
    assert statuses[fault.breaks] in ("failed", "error"), f"{fault.name}: {fault.breaks} is {statuses[fault.breaks]}"
