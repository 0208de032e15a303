"""`payercert report` (and the end of `certify`): the Allure HTML report and the certificate HTML.

A missing Node.js never loses anything: the raw results and the certificate are already on
disk; the user is told in one line how to get the HTML report.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from payercert.errors import EXIT_OK, EXIT_USAGE, PayercertError

from ..errors import ReportRenderError, ReportToolMissing
from .allure_html import render
from .allure_results import CATEGORIES
from .certificate import write_certificate


def render_html_report(reports: Path, history: Path | None, console: Console, single_file: bool = False) -> bool:
    """Render the Allure report (a folder, or with `single_file` one HTML file); say so plainly when
    it cannot be. True when it was rendered."""
    results = reports / "allure-results"
    history_dir = history or reports / "history"
    history_dir.mkdir(parents=True, exist_ok=True)
    try:
        with console.status("rendering the HTML report"):
            report = render(
                [results],
                reports / "allure-report",
                name="payercert certification",
                history_path=history_dir / "allure-history.jsonl",
                categories=CATEGORIES,
                say=lambda line: console.print(line, highlight=False),
                single_file=single_file,
            )
    except ReportToolMissing as exc:
        console.print(f"[yellow]HTML report not rendered:[/yellow] {exc}", highlight=False)
        return False
    except ReportRenderError as exc:
        console.print(f"[yellow]HTML report not rendered:[/yellow] {exc}", highlight=False)
        return False
    if single_file:
        console.print(f"report: {report.index}", soft_wrap=True, highlight=False)
    else:  # a browser will not let a page opened from disk load the report's data
        console.print(
            f"report: {report.output_dir} (open it with `payercert report --serve --reports {reports}`)",
            soft_wrap=True,
            highlight=False,
        )
    return True


def render_reports(reports: Path, history: Path | None, console: Console, single_file: bool = False) -> int:
    certificate = reports / "certificate.json"
    if not (reports / "allure-results").is_dir() or not certificate.is_file():
        raise PayercertError(f"{reports} holds no certify run: run `payercert certify --reports {reports}` first")
    write_certificate(json.loads(certificate.read_text(encoding="utf-8")), reports)
    console.print(f"certificate: {reports / 'certificate.html'}")
    return EXIT_OK if render_html_report(reports, history, console, single_file) else EXIT_USAGE
