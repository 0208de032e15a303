"""Many `payercert certify` runs forked from one process that has imported payercert, pytest and
the suites' libraries once. A fault's run of the matrix is a second of its own work; a fresh
interpreter would add most of another second of imports to each of some 300 runs.

The parent (the "zygote") is single-threaded and has run nothing: each child starts as a fresh
`payercert certify` process would, with the modules already loaded, its own environment, working
folder and output files. Requests and replies are JSON lines on the zygote's stdin and stdout.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

from certify_runs import CertifyResult

ZYGOTE = r"""
import json, os, select, signal, sys
import payercert.cli, payercert.certify, payercert.plugin, payercert.session, payercert.simulation
import hypothesis, schemathesis, httpx, starlette.applications, uvicorn, trustme, lxml.etree, jsonschema
import allure_pytest.plugin, xdist  # noqa: F401  the plugins pytest loads by entry point
from payercert.feeds import implemented_feeds
from payercert.simulation import load_simulator
for feed in implemented_feeds():
    load_simulator(feed)  # the simulator packages and their dependencies
from payercert.simulators.keys import signing_key
signing_key()  # made once here: every run forked from this process signs with it
import pytest
from payercert.certify import _suites_of
for feed in implemented_feeds():  # the suites collected once: a run's pytest finds their modules imported
    suites = _suites_of(feed)
    pytest.main([str(suites), "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal", "--import-mode=importlib",
                 "--rootdir", str(suites.parent), "--payercert-target", "local"])

replies = sys.stdout
children = {}
while True:
    ready, _, _ = select.select([sys.stdin], [], [], 0.05)
    if ready:
        line = sys.stdin.readline()
        if not line:
            break
        job = json.loads(line)
        replies.flush()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                os.chdir(job["cwd"])
                os.environ.clear()
                os.environ.update(job["env"])
                for fd, name, flags in ((0, os.devnull, os.O_RDONLY), (1, job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), (2, job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                    os.dup2(os.open(name, flags, 0o644), fd)
                sys.argv = ["payercert", "certify", *job["args"]]
                try:
                    payercert.cli.main()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(code)
        children[pid] = job["id"]
        replies.write(json.dumps({"id": job["id"], "pid": pid}) + "\n")
        replies.flush()
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            break
        replies.write(json.dumps({"id": children.pop(pid), "code": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()
"""


class ForkedCertify:
    """`certify(reports, *args, env=...)` as certify_runs.certify, run as a fork of the zygote."""

    def __init__(self) -> None:
        env = _environment({})
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        self.ids = itertools.count()
        self.waiting: dict[int, Future] = {}
        self.pids: dict[int, int] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def certify(self, reports: Path, *args: str, env: dict | None = None, timeout: float = 300) -> CertifyResult:
        reports.mkdir(parents=True, exist_ok=True)
        out, err = reports.parent / "stdout.txt", reports.parent / "stderr.txt"
        job_id = next(self.ids)
        done: Future = Future()
        job = {
            "id": job_id,
            "args": ["--reports", str(reports), "--no-html", *args],
            "env": _environment(env or {}),
            "cwd": str(reports.parent),
            "stdout": str(out),
            "stderr": str(err),
        }
        with self.lock:
            self.waiting[job_id] = done
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
        try:
            code = done.result(timeout)
        except TimeoutError:
            pid = self.pids.get(job_id)
            if pid:
                os.kill(pid, 9)
            raise
        return CertifyResult(code, out.read_text(errors="replace"), err.read_text(errors="replace"), reports)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            reply = json.loads(line)
            if "pid" in reply:
                self.pids[reply["id"]] = reply["pid"]
            else:
                self.waiting.pop(reply["id"]).set_result(reply["code"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


def _environment(extra: dict) -> dict:
    env = {**os.environ, "COLUMNS": "200", **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the suites' rewritten modules cached between runs
    return env
