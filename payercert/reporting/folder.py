"""A run's reports folder."""

from __future__ import annotations

import shutil
from pathlib import Path


def fresh_results(reports: Path) -> None:
    """Two runs never mix: the previous run's results and certificate go (the history stays), so a
    run that stops before its end leaves no certificate that is not its own."""
    for name in ("allure-results", "allure-report"):
        shutil.rmtree(reports / name, ignore_errors=True)
    for name in ("certificate.json", "certificate.html", "run.json"):
        (reports / name).unlink(missing_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
