"""Allure raw results, written redacted: allure-pytest writes `MASKED` parameters and failure
traces in plain text (docs/sources/tools.md 4.4), so the file writer itself redacts
every result, container and attachment before a byte reaches disk.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import allure_commons
import pytest
from allure_commons.logger import AllureFileLogger
from attr import asdict

from payercert.feeds import Feed, Requirement
from payercert.redact import REDACTOR

from .allure_html import Category
from .certificate import TestOutcome

SEVERITY = {"MUST": "critical", "SHOULD": "normal", "MAY": "minor"}

CATEGORIES: list[Category] = [
    {"name": "Transport failures", "statuses": ["broken"], "message_regex": r"^(?:[\w.]+\.)?TransportError\b"},
    # timing or evidence too weak to judge (payercert.errors.CannotTell): run again, not a defect
    {"name": "Inconclusive (cannot tell)", "statuses": ["broken"], "message_regex": r"^(?:[\w.]+\.)?CannotTell\b"},
    {"name": "Payer non-conformance", "statuses": ["failed"], "message_regex": None},
    {"name": "Harness errors", "statuses": ["broken"], "message_regex": None},
]


class RedactingFileLogger(AllureFileLogger):
    def _report_item(self, item):
        data = _redacted(asdict(item, filter=lambda _, v: v or v is False))
        target = self._report_dir / item.file_pattern.format(prefix=uuid.uuid4())
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)

    @allure_commons.hookimpl
    def report_attached_data(self, body, file_name):
        data = body.encode("utf-8") if isinstance(body, str) else body
        super().report_attached_data(REDACTOR.bytes(data), file_name)

    @allure_commons.hookimpl
    def report_attached_file(self, source, file_name):
        super().report_attached_data(REDACTOR.bytes(Path(source).read_bytes()), file_name)


def _redacted(value):
    if isinstance(value, str):
        return REDACTOR.text(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def install_redacting_writer(add_cleanup) -> None:
    """Swap allure-pytest's file writer for the redacting one (same folder) for this session.

    allure-pytest unregisters its own writer at exit, so the original is put back first.
    """
    manager = allure_commons.plugin_manager
    for plugin in list(manager.get_plugins()):
        if type(plugin) is AllureFileLogger:
            redacting = RedactingFileLogger(plugin._report_dir, clean=False)
            manager.unregister(plugin)
            manager.register(redacting)

            def restore(original=plugin, ours=redacting):
                manager.unregister(ours)
                manager.register(original)

            add_cleanup(restore)


def label_marks(feed: Feed, requirements: list[Requirement], doc_url: str | None) -> list[pytest.MarkDecorator]:
    """Allure labels for one test: epic = feed, feature = area, story = requirement."""
    marks = [pytest.mark.allure_label(feed.title, label_type="epic")]
    if requirements:
        first = requirements[0]
        marks.append(pytest.mark.allure_label(first.area, label_type="feature"))
        worst = min(requirements, key=lambda r: ("MUST", "SHOULD", "MAY").index(r.level))
        marks.append(pytest.mark.allure_label(SEVERITY[worst.level], label_type="severity"))
    for req in requirements:
        marks.append(pytest.mark.allure_label(f"{req.id} {req.text}"[:200], label_type="story"))
        marks.append(pytest.mark.allure_label(req.id, label_type="tag"))
        url = doc_url or f"file://{feed.root / 'feed.yaml'}"
        marks.append(pytest.mark.allure_link(url, link_type="link", name=f"{req.doc} § {req.section}"))
    return marks


def write_environment(results: Path, properties: dict[str, str]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={REDACTOR.text(str(v))}" for k, v in properties.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (results / "executor.json").write_text(json.dumps({"name": "payercert", "type": "payercert"}), encoding="utf-8")


def report_exchange_check(outcome: TestOutcome, feed: Feed) -> None:
    """An exchange check's finding as an Allure result of its own, labelled like a test of its
    requirement, so that the Allure report and the certificate count the same failures."""
    from allure_commons import plugin_manager
    from allure_commons.model2 import Label, Status, StatusDetails, TestResult
    from allure_commons.utils import md5, now, uuid4

    requirement = feed.requirements.get(outcome.requirements[0])
    labels = [Label("epic", feed.title), Label("tag", outcome.requirements[0])]
    if requirement is not None:
        labels += [
            Label("feature", requirement.area),
            Label("story", f"{requirement.id} {requirement.text}"[:200]),
            Label("severity", SEVERITY[requirement.level]),
        ]
    moment = now()
    result = TestResult(
        uuid=uuid4(),
        historyId=md5(outcome.nodeid),
        fullName=outcome.nodeid,
        name=outcome.title,
        status=Status.FAILED if outcome.status == "failed" else Status.BROKEN,
        statusDetails=StatusDetails(message=outcome.message),
        labels=labels,
        start=moment,
        stop=moment,
    )
    plugin_manager.hook.report_result(result=result)
