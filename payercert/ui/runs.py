"""The certifications the web app starts: each one a `payercert certify` child process writing its
reports, its events (payercert/events.py) and its output under its own folder.

A child process, not a thread: a run is pytest's whole session (its plugins, its modules, its
Hypothesis database), which one process holds once; the app stays responsive and a stopped run
stops the way Ctrl-C stops it in a terminal. Secrets the user typed reach the child's environment
only, never a file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ..certify_request import CertifyRequest


@dataclass
class Run:
    id: str
    request: CertifyRequest  # with the run's own reports, history and events
    folder: Path
    started: float
    process: subprocess.Popen | None = None
    stopped_by_user: bool = False

    @property
    def events(self) -> Path:
        assert self.request.events is not None  # Runs.start gives every run its events file
        return self.request.events

    @property
    def reports(self) -> Path:
        return self.request.reports

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def elapsed(self) -> float:
        """Seconds from the start to now, or to the run's last event once it has ended."""
        if self.running or not self.events.is_file():
            return time.time() - self.started
        return self.events.stat().st_mtime - self.started

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def output_tail(self, lines: int = 12) -> str:
        path = self.folder / "output.log"
        return (
            "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
            if path.is_file()
            else ""
        )

    def certificate(self) -> dict | None:
        path = self.reports / "certificate.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


class Runs:
    """Every run this app started, newest first; at most one runs at a time (a run takes the
    machine's cores, and two runs against one sandbox would see each other's data)."""

    def __init__(self, root: Path, history: Path, config: Path | None):
        self.root = root
        self.history = history
        self.config = config
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def all(self) -> list[Run]:
        return sorted(self._runs.values(), key=lambda r: r.started, reverse=True)

    def get(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    def active(self) -> Run | None:
        return next((r for r in self._runs.values() if r.running), None)

    def start(self, request: CertifyRequest, secrets: dict[str, str]) -> Run:
        """Start a certification; `secrets` maps environment variables to the values typed."""
        with self._lock:
            if self.active() is not None:
                raise RuntimeError("a certification is already running: wait for it or stop it")
            run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            while run_id in self._runs:
                run_id += "x"
            folder = self.root / run_id
            own = replace(
                request,
                reports=folder / "reports",
                history=self.history,
                events=folder / "events.jsonl",
                config=self.config if request.target != "local" else None,
            )
            run = Run(run_id, own, folder, time.time())
            folder.mkdir(parents=True, exist_ok=True)
            args = [sys.executable, "-m", "payercert", "certify", *own.arguments()]
            with (folder / "output.log").open("wb") as output:
                run.process = subprocess.Popen(
                    args,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, **secrets},
                )
            self._runs[run_id] = run
            return run

    def stop(self, run: Run) -> None:
        """Stop as Ctrl-C does: the run ends at once, says it was stopped and writes no certificate."""
        if run.running and run.process is not None:
            run.stopped_by_user = True
            run.process.send_signal(signal.SIGINT)

    def close(self) -> None:
        for run in self._runs.values():
            if run.running and run.process is not None:
                run.process.send_signal(signal.SIGINT)
                try:
                    run.process.wait(10)
                except subprocess.TimeoutExpired:
                    run.process.kill()
