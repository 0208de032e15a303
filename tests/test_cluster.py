"""`payercert validate DIR --scheduler`: files spread over a Dask distributed cluster give the
findings and the summary a local run gives (tests use a LocalCluster of two worker processes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from distributed import LocalCluster

from payercert import cluster
from payercert.errors import PayercertError
from payercert.validators.engine import Options

SAMPLES = Path(__file__).resolve().parents[1] / "specs"


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


def _folder(tmp_path: Path) -> Path:
    """Valid and invalid samples of two feeds, some unusable, in one folder with a subfolder."""
    folder = tmp_path / "day"
    for feed in ("ab2d", "lanternpay"):
        for kind in ("valid", "invalid"):
            shutil.copytree(SAMPLES / feed / "samples" / kind, folder / feed / kind)
    return folder


def _validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "payercert", "validate", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("fmt", ["json", "junit"])
def test_a_cluster_finds_what_a_local_run_finds(scheduler, tmp_path, fmt):
    folder = _folder(tmp_path)
    here = _validate(str(folder), "--format", fmt)
    there = _validate(str(folder), "--format", fmt, "--scheduler", scheduler)
    assert there.stderr == "" and there.returncode == here.returncode == 2  # some samples are unusable
    assert there.stdout == here.stdout
    assert str(folder / "ab2d" / "invalid") in there.stdout  # the names given, not the workers' paths


def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(PayercertError, match=r"^--scheduler tcp://127.0.0.1:1: cannot reach the Dask scheduler"):
        cluster.validate_on_cluster([Path("x.ndjson")], Options(), "tcp://127.0.0.1:1")


def test_standard_input_is_not_sent_to_a_cluster(scheduler):
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "validate", "-", "--scheduler", scheduler],
        input="{}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "the workers read files, not this process's standard input" in done.stderr
