"""Renderers for file findings: a table for people, JSON, JUnit XML and SARIF 2.1.0 for machines."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from payercert import __version__

from .findings import FileReport, Severity

if TYPE_CHECKING:
    from rich.console import Console


def summary(reports: list[FileReport]) -> dict:
    by_requirement = Counter(f.requirement for r in reports for f in r.findings if f.severity is Severity.ERROR)
    for r in reports:
        by_requirement.update({req: n for (req, sev), n in r.omitted.items() if sev == Severity.ERROR.value})
    return {
        "files": len(reports),
        "records": sum(r.records for r in reports),
        "errors": sum(r.errors for r in reports),
        "warnings": sum(r.warnings for r in reports),
        "unusable": sum(1 for r in reports if r.unusable),
        "by_requirement": dict(sorted(by_requirement.items())),
    }


def as_json(reports: list[FileReport]) -> str:
    """Indented as json.dumps(indent=2) would, in C: a big file's report lists thousands of findings."""
    import msgspec

    document = {"files": [r.as_dict() for r in reports], "summary": summary(reports)}
    return msgspec.json.format(msgspec.json.encode(document), indent=2).decode()


def as_table(reports: list[FileReport], console: Console) -> None:
    from rich.table import Table  # only for people: the machine formats need none of rich

    for report in reports:
        title = f"{report.path}  [dim]{report.feed or '?'} / {report.kind or '?'} · {report.records} record(s)[/dim]"
        if report.unusable:
            console.print(f"[bold red]unusable[/bold red] {report.unusable}", soft_wrap=True, highlight=False)
            continue
        if not report.findings:
            console.print(f"[green]✔[/green] {title}: no findings")
        else:
            table = Table(title=title, title_justify="left", show_lines=False)
            for col in ("location", "severity", "code", "requirement", "message"):
                table.add_column(col, overflow="fold")
            for f in report.findings:
                style = "red" if f.severity is Severity.ERROR else "yellow"
                table.add_row(
                    str(f.location), f"[{style}]{f.severity.value}[/{style}]", f.code or "", f.requirement, f.message
                )
            console.print(table)
        for (req, sev), n in sorted(report.omitted.items()):
            console.print(f"  [dim]{n} more {sev}(s) of {req} not listed[/dim]")
        for note in report.notes:
            console.print(f"  [dim]note: {note}[/dim]")
        for skipped in report.skipped_checks:
            console.print(f"  [dim]skipped: {skipped}[/dim]")
    s = summary(reports)
    console.print(
        f"{s['files']} file(s), {s['records']} record(s): {s['errors']} error(s), "
        f"{s['warnings']} warning(s), {s['unusable']} unusable"
    )


def as_junit(reports: list[FileReport]) -> str:
    from xml.etree import ElementTree as ET  # only for this format

    suites = ET.Element("testsuites", name="payercert validate")
    for report in reports:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=report.path,
            tests="1",
            failures=str(1 if report.errors else 0),
            errors=str(1 if report.unusable else 0),
        )
        case = ET.SubElement(suite, "testcase", classname=f"{report.feed}.{report.kind}", name=report.path)
        if report.unusable:
            ET.SubElement(case, "error", message=report.unusable)
        elif report.errors:
            text = "\n".join(
                f"{f.location} [{f.code or '-'}] {f.requirement}: {f.message}"
                for f in report.findings
                if f.severity is Severity.ERROR
            )
            ET.SubElement(case, "failure", message=f"{report.errors} error(s)").text = text
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def as_sarif(reports: list[FileReport]) -> str:
    rules: dict[str, dict] = {}
    results = []
    for report in reports:
        for f in report.findings:
            rules.setdefault(f.requirement, {"id": f.requirement, "shortDescription": {"text": f.requirement}})
            region = {"startLine": f.location.line or 1}
            if f.location.column:
                region["startColumn"] = f.location.column
            result = {
                "ruleId": f.requirement,
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": report.path}, "region": region}}],
            }
            if f.code:
                result["properties"] = {"payerCode": f.code}
            results.append(result)
    notifications = [{"level": "error", "message": {"text": r.unusable}} for r in reports if r.unusable]
    run = {
        "tool": {"driver": {"name": "payercert", "version": __version__, "rules": list(rules.values())}},
        "results": results,
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
    }
    return json.dumps(
        {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}, indent=2
    )
