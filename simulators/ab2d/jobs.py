"""Sponsors, export jobs and their files, as AB2D's job service keeps them (docs/sources/ab2d.md 1.1, 1.4-1.6)."""

from __future__ import annotations

import gzip
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Sponsor:
    name: str
    contract: str
    client_id: str
    client_secret: str
    beneficiaries: int
    v3_allowed: bool
    attested: date
    failing: bool = False  # its claims source fails: every job of it ends FAILED
    stuck: bool = False  # its claims source never answers: every job of it runs until the job time limit
    token_lifetime: int | None = None  # seconds; None: the simulator's lifetime


@dataclass
class Job:
    uuid: str
    client_id: str
    contract: str
    version: str
    request_url: str
    created: datetime
    started: float  # simulator clock
    since: datetime | None = None
    until: datetime | None = None
    service_dates: list = field(default_factory=list)
    status: str = "IN_PROGRESS"  # IN_PROGRESS, SUCCESSFUL, FAILED, CANCELLED (JobStatus)
    last_poll: float | None = None
    completed: datetime | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    gzipped: dict[str, bytes] = field(default_factory=dict)  # AB2D stores files as .gz (Aggregator)
    downloads: Counter = field(default_factory=Counter)

    def progress(self, now: float, duration: float) -> int:
        """X-Progress percentage: advances with time, 99 at most until the job is done."""
        return max(0, min(99, int(100 * (now - self.started) / duration))) if duration > 0 else 99


def split_files(contract: str, lines: list[bytes], limit: int) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """`<contract>_<NNNN>.ndjson` files rolled over at `limit` bytes (job.file.rollover.ndjson; docs/sources/ab2d.md 1.4).
    A job with no data still has one (empty) file."""
    files: list[list[bytes]] = [[]]
    size = 0
    for line in lines:
        if files[-1] and size + len(line) + 1 > limit:
            files.append([])
            size = 0
        files[-1].append(line + b"\n")
        size += len(line) + 1
    plain = {f"{contract}_{n:04d}.ndjson": b"".join(chunk) for n, chunk in enumerate(files, 1)}
    return plain, {name: gzip.compress(data, mtime=0) for name, data in plain.items()}
