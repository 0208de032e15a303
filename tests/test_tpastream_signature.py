"""`payercert validate` checks a claim webhook's TPAStream-Signature (RS256 JWT, exp) against the
public key TPA Stream publishes, in PEM or OpenSSH form (docs/sources/payers.md 2.9; TPA-HOOK-2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payercert.cli import app

WEBHOOK = Path(__file__).resolve().parents[1] / "specs" / "tpastream" / "samples" / "valid" / "claim-webhook.json"
PAGE = WEBHOOK.with_name("claims-page.json")


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PRIVATE, OTHER = _key(), _key()


@pytest.fixture
def keys(tmp_path):
    pub = PRIVATE.public_key()
    pem = tmp_path / "tpa.pem"
    pem.write_bytes(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    ssh = tmp_path / "tpa.pub"
    ssh.write_bytes(
        pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b" tpastream\n"
    )
    return {"pem": pem, "ssh": ssh}


def token(key=PRIVATE, **claims) -> str:
    return jwt.encode({"exp": int(time.time()) + 300, **claims}, key, algorithm="RS256")


def validate(*args: str, path: Path = WEBHOOK):
    result = CliRunner().invoke(app, ["validate", str(path), "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def signature_findings(result) -> list[dict]:
    return [f for f in json.loads(result.stdout)["files"][0]["findings"] if f["code"] == "SIGNATURE"]


@pytest.mark.parametrize("form", ["pem", "ssh"])
def test_good_signature_verifies_with_either_key_form(keys, form):
    result = validate("--signature", token(), "--public-key", str(keys[form]))
    assert result.exit_code == 0, result.stdout
    assert signature_findings(result) == []


def test_signature_from_a_file_or_a_captured_header_line(keys, tmp_path):
    sig = tmp_path / "sig.txt"
    sig.write_text(f"TPAStream-Signature: {token()}\n")
    result = validate("--signature", f"@{sig}", "--public-key", str(keys["pem"]))
    assert result.exit_code == 0 and signature_findings(result) == []


def _hs256_with_public_key_as_secret(public_pem: bytes) -> str:
    """The algorithm-confusion attack: HMAC-signed with the public key's bytes as the secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"exp": int(time.time()) + 300}).encode())
    mac = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


@pytest.mark.parametrize("case", ["other-key", "hs256-confusion", "alg-none", "no-exp", "garbage"])
def test_bad_signatures_are_findings_of_tpa_hook_2(keys, case):
    bad = {
        "other-key": lambda: token(OTHER),
        "hs256-confusion": lambda: _hs256_with_public_key_as_secret(keys["pem"].read_bytes()),
        "alg-none": lambda: jwt.encode({"exp": int(time.time()) + 300}, None, algorithm="none"),
        "no-exp": lambda: jwt.encode({"email": "a@b.c"}, PRIVATE, algorithm="RS256"),
        "garbage": lambda: "not-a-jwt",
    }[case]()
    result = validate("--signature", bad, "--public-key", str(keys["pem"]))
    assert result.exit_code == 1, result.stdout
    found = signature_findings(result)
    assert [(f["requirement"], f["severity"]) for f in found] == [("TPA-HOOK-2", "error")], found


def test_expired_signature_is_a_warning_not_an_error(keys):
    result = validate("--signature", token(exp=int(time.time()) - 60), "--public-key", str(keys["pem"]))
    assert result.exit_code == 0
    assert [f["severity"] for f in signature_findings(result)] == ["warning"]


@pytest.mark.parametrize(
    "args,path,message",
    [
        (("--signature", "x"), WEBHOOK, "needs both --signature and --public-key"),
        (("--signature", "x", "--public-key", "/nonexistent.pem"), WEBHOOK, "--public-key /nonexistent.pem"),
        (("--signature", "x", "--public-key", __file__), WEBHOOK, "not a PEM or OpenSSH public key"),
        (("--signature", "x", "--public-key", __file__), PAGE, "carries no signature"),
    ],
)
def test_unusable_signature_options_are_one_line_exit_2(args, path, message):
    result = CliRunner().invoke(app, ["validate", str(path), *args])
    assert result.exit_code == 2, result.stdout
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
