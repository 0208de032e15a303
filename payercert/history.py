"""The runs history: every certify run adds one JSON line to `runs.jsonl` in its history folder
(`--history`, default REPORTS/history), so scheduled smoke runs leave their verdicts over time for
`payercert ui` to draw. A line holds verdicts and counts only, never a secret or a finding's text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RUNS = "runs.jsonl"


def record_run(history: Path, certificate: dict[str, Any], reports: Path, target: str, suite: str) -> None:
    feeds = certificate.get("feeds", [])
    entry = {
        "started": min((f["started"] for f in feeds), default=certificate.get("generated")),
        "finished": max((f["finished"] for f in feeds), default=certificate.get("generated")),
        "target": target,
        "suite": suite,
        "fault": next((f.get("fault") for f in feeds if f.get("fault")), None),
        "seed": certificate.get("seed"),
        "reports": str(reports.resolve()),
        "payercert_version": certificate.get("payercert_version"),
        "feeds": [
            {
                "feed": f["feed"],
                "verdict": f["verdict"],
                "must": f["coverage"]["levels"]["MUST"],
                "failed": sum(1 for r in f["requirements"] if r["status"] == "failed"),
            }
            for f in feeds
        ],
    }
    history.mkdir(parents=True, exist_ok=True)
    with (history / RUNS).open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\n")


def read_runs(history: Path) -> list[dict[str, Any]]:
    """The recorded runs, oldest first; a line that cannot be read is left out."""
    path = history / RUNS
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("feeds"), list):
            entries.append(entry)
    return entries
