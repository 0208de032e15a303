"""A payload's detached signature: a JWT sent in a header beside the body (e.g. a
webhook's signature header), checked against the sender's public key.

What to check comes from the kind's `signature:` block in feed.yaml: the header, the only
algorithm allowed, whether `exp` is required, and the requirement a failure breaks. The key may be
PEM or an OpenSSH public key line (`ssh-rsa AAAA...`), the form some payers publish.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization

from .findings import Finding, Location, Severity, UnusableInput


def load_public_key(path: Path):
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnusableInput(f"--public-key {path}: {exc.strerror or exc}") from None
    try:
        if raw.lstrip().startswith(b"ssh-"):
            return serialization.load_ssh_public_key(raw.strip())
        return serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise UnusableInput(f"--public-key {path}: not a PEM or OpenSSH public key ({exc})") from None


def read_token(value: str) -> str:
    """The signature as given: the token itself, `@file`, or a header line `Name: token`."""
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnusableInput(f"--signature {value}: cannot be read ({exc})") from None
    value = value.strip()
    if ":" in value.split(".", 1)[0]:  # "X-Signature: eyJ..." copied from a capture
        value = value.split(":", 1)[1].strip()
    return value


def check_signature(spec: dict, token: str, key, at: datetime | None = None) -> list[Finding]:
    """Findings for one signature token against the kind's `signature:` spec."""
    requirement, header = spec["requirement"], spec.get("header", "signature")
    where = Location(pointer=f"header {header}")
    allowed = spec.get("algorithms", ["RS256"])

    def finding(message: str, severity: Severity = Severity.ERROR) -> list[Finding]:
        return [Finding(requirement, severity, f"{header}: {message}", "SIGNATURE", where)]

    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError as exc:
        return finding(f"not a JWT ({exc})")
    if alg not in allowed:
        return finding(f"signed with {alg!r}; only {', '.join(allowed)} is accepted")
    try:
        claims = jwt.decode(token, key, algorithms=allowed, options={"verify_exp": False, "verify_aud": False})
    except jwt.InvalidSignatureError:
        return finding("the signature does not verify with the given public key")
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        return finding(f"cannot be verified ({exc})")
    if "exp" not in claims:
        return finding("has no exp claim") if spec.get("exp") == "required" else []
    if not isinstance(claims["exp"], (int, float)):
        return finding(f"exp {claims['exp']!r} is not a NumericDate")
    now = at or datetime.now(UTC)
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if expires <= now:
        # a captured webhook is usually past its exp: worth saying, not a defect of the capture
        return finding(
            f"expired at {expires:%Y-%m-%dT%H:%M:%SZ}; a receiver must refuse it after that", Severity.WARNING
        )
    return []
