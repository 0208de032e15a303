"""Trading partners of the simulator, their passwords and its movable clock.

Passwords follow section 7 of the document: they age out after 90 days (7.3), and web service
clients get no warning period: from the 90th day on, nothing is uploaded or downloaded until the
password is changed (7.3.2). The clock can be moved so that aging is testable in seconds.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

MAX_AGE = timedelta(days=90)  # feed.yaml password_rules.max_age_days
# the document's sample Trading Partner ID (Tables 2-9), a second partner whose data must stay out of
# reach, and one whose password aged out
TRADING_PARTNER, OTHER_PARTNER, EXPIRED_PARTNER = "TP000001", "TP000002", "TP000003"


class Clock:
    """UTC now, shifted by whatever the simulator's operator moved it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta | None = None, **parts: float) -> None:
        self.offset += (delta or timedelta(0)) + timedelta(**parts)


@dataclass
class TradingPartner:
    tp_id: str
    password: str
    password_set: datetime
    history: list[str] = field(default_factory=list)  # the previous six (7.1)

    @property
    def username(self) -> str:
        return self.tp_id

    def password_expired(self, now: datetime) -> bool:
        """Aged on the 90th day (7.3.2: "notified that their password has aged on the 90th day")."""
        return now - self.password_set >= MAX_AGE


def strong_password() -> str:
    """A password meeting 7.1: upper, lower, digit and special characters, no dictionary word."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"Qx{core}7#"


class Partners:
    """The trading partner accounts: one login for every channel (web services, MIME and SFTP; section 2)."""

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or Clock()
        self.by_id: dict[str, TradingPartner] = {}

    def add(self, tp_id: str, age: timedelta = timedelta(0), password: str | None = None) -> TradingPartner:
        tp = TradingPartner(tp_id, password or strong_password(), self.clock.now() - age)
        self.by_id[tp_id] = tp
        return tp

    def authenticate(self, username: str | None, password: str | None) -> TradingPartner | None:
        tp = self.by_id.get(username or "")
        if tp is None or password is None or not secrets.compare_digest(tp.password.encode(), password.encode()):
            return None
        return tp
