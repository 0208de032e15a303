"""Run `payercert certify` in a subprocess and read what it wrote: shared by the harness's tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CertifyResult:
    code: int
    stdout: str
    stderr: str
    reports: Path

    @property
    def certificate(self) -> dict:
        return json.loads((self.reports / "certificate.json").read_text())

    def feed(self, feed_id: str) -> dict:
        return next(f for f in self.certificate["feeds"] if f["feed"] == feed_id)

    def failed_requirements(self, feed_id: str) -> set[str]:
        return {r["id"] for r in self.feed(feed_id)["requirements"] if r["status"] in ("failed", "error")}


def certify(
    reports: Path, *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300
) -> CertifyResult:
    command = [sys.executable, "-m", "payercert", "certify", "--reports", str(reports), "--no-html", *args]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    # let the suites' rewritten modules be cached between the many runs of the matrix
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd or reports.parent,
        stdin=subprocess.DEVNULL,
    )
    return CertifyResult(done.returncode, done.stdout, done.stderr, reports)
