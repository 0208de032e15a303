"""Known errata of a payer's document, named in the findings they explain.

A feed.yaml erratum may say when a finding is the erratum met again (`meets`): the requirement,
and a regular expression on the field name the finding points at (`key`) and/or on its message
(`message`). Such a finding keeps its requirement and severity; its message names the erratum,
and the reading that accepts the document's version where one does (`accepted_by`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from payercert.feeds import Feed

from .findings import Finding


def _matches(meet: dict, finding: Finding) -> bool:
    if meet.get("requirement") != finding.requirement:
        return False
    key = (finding.location.pointer or "").rsplit("/", 1)[-1]
    if "key" in meet and not re.search(meet["key"], key):
        return False
    return "message" not in meet or bool(re.search(meet["message"], finding.message))


def _note(erratum: dict) -> str:
    note = f"document erratum {erratum['id']} ({erratum['where']})"
    accepted = erratum.get("accepted_by") or {}
    if accepted:
        note += "; accepted with " + ", ".join(f"--reading {rid}={option}" for rid, option in accepted.items())
    return note


def annotate(feed: Feed, findings: list[Finding]) -> list[Finding]:
    errata = [e for e in feed.spec.get("errata", []) if isinstance(e, dict) and e.get("meets") and e.get("id")]
    if not errata:
        return findings
    out = []
    for finding in findings:
        for erratum in errata:
            if any(_matches(meet, finding) for meet in erratum["meets"]):
                finding = replace(finding, message=f"{finding.message} [{_note(erratum)}]")
                break
        out.append(finding)
    return out
