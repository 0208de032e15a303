"""What a certify run is asked to do, and the command line that asks it (the wizard prints it, the
web app runs it, a failure's replay line is made from it)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass
class CertifyRequest:
    feeds: list[str] = field(default_factory=list)
    target: str = "local"
    suite: str = "full"
    config: Path | None = None
    reports: Path = Path("reports")
    allow_mutations: bool = False
    fault: str | None = None
    history: Path | None = None
    readings: dict[str, str] = field(default_factory=dict)
    html: bool = True
    verbose: bool = False
    examples: int | None = None
    # Feeds' own run options (payercert.contract.RunOption) by name: a flag's value is None.
    options: dict[str, str | None] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()  # only these requirements' tests (a check, not a certification)
    seed: int | None = None  # Hypothesis seed; None: 0 on the local target, a new one elsewhere
    events: Path | None = None  # JSON lines of the run's progress (payercert/events.py)
    waivers: dict[str, str] = field(default_factory=dict)  # requirement id -> the written reason, this run only
    jobs: int = 0  # feeds certified side by side on the local target, one process each (0: all, 1: one process)
    part: bool = False  # one feed's part of a side-by-side run (payercert/side_by_side.py)

    def arguments(self) -> list[str]:
        """The `payercert certify` arguments that make this request."""
        args = [a for feed in self.feeds for a in ("--feed", feed)] + ["--target", self.target, "--suite", self.suite]
        if self.config is not None:
            args += ["--config", str(self.config)]
        if self.reports != Path("reports"):
            args += ["--reports", str(self.reports)]
        if self.history is not None:
            args += ["--history", str(self.history)]
        if self.allow_mutations:
            args.append("--allow-mutations")
        if self.fault:
            args += ["--fault", self.fault]
        args += [a for rid, option in sorted(self.readings.items()) for a in ("--reading", f"{rid}={option}")]
        args += [a for rid, reason in sorted(self.waivers.items()) for a in ("--waive", f"{rid}={reason}")]
        if not self.html:
            args.append("--no-html")
        if self.examples:
            args += ["--examples", str(self.examples)]
        args += [a for rid in self.requirements for a in ("--requirement", rid)]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        for name, value in self.options.items():
            args += [f"--{name}", *([value] if value is not None else [])]
        if self.events is not None:
            args += ["--events", str(self.events)]
        if self.jobs:
            args += ["--jobs", str(self.jobs)]
        if self.part:
            args.append("--part")
        return args

    def command_line(self) -> str:
        """The command a user types for this request (a watcher's events file left out)."""
        return shlex.join(["payercert", "certify", *replace(self, events=None).arguments()])
