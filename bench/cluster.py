"""AB2D export files validated on a Dask distributed cluster (`validate DIR --scheduler`): a
LocalCluster of one single-threaded worker process per core of this machine, the whole
`payercert validate --format json` process timed (as bench/ab2d.py times it), against orjson parse-only of the same files on one core as
the yardstick of the same run. Prints MB/s, MB/s per worker core, and what a 1 TB day costs.

    pip install -e '.[bench,cluster]'; python bench/cluster.py [FILES] [LINES]  (default 8 x 6000 lines)

The files are generated as bench/ab2d.py generates its file (distinct ids, dates, diagnoses), a
different stretch of lines each, so no two files are alike.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from ab2d import generate
from distributed import LocalCluster

TB = 10**12


def parse_only(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        with path.open("rb") as stream:
            for line in stream:
                orjson.loads(line)
    return time.perf_counter() - started


def main(count: int, lines: int) -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        day = Path(folder) / "day"
        day.mkdir()
        files = []
        for n in range(count):
            path = day / f"part-{n}.ndjson"
            generate(path, lines, start=n * lines)
            files.append(path)
        size = sum(p.stat().st_size for p in files)
        base = min(parse_only(files) for _ in range(3))
        with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            walls = []
            for _ in range(3):
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "payercert", "validate", str(day), "--format", "json"]
                    + ["--scheduler", cluster.scheduler_address],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                walls.append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"validate --scheduler exited {done.returncode}: {done.stdout[-1500:]}")
    wall = min(walls)
    rate = size / wall
    per_core = rate / cores
    print(f"{count} files, {size / 1e6:.0f} MB of AB2D STU3 NDJSON, a LocalCluster of {cores} worker cores")
    print(f"orjson parse-only, one core   {size / base / 1e6:8.1f} MB/s")
    print(f"validate --scheduler          {rate / 1e6:8.1f} MB/s  ({base / wall:.2f}x the parse on one core)")
    print(f"per worker core               {per_core / 1e6:8.1f} MB/s")
    core_minutes = TB / per_core / 60
    print(f"a 1 TB day                    {core_minutes:8.0f} core-minutes: {core_minutes / 64:.0f} min on 64 cores")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=int, nargs="?", default=8)
    parser.add_argument("lines", type=int, nargs="?", default=6000)
    arguments = parser.parse_args()
    main(arguments.files, arguments.lines)
