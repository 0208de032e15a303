"""Local certification of every feed, whole process: side by side (the default, one process per
feed) without and with the HTML report, against the same run one feed after another (`--jobs 1`)
as the yardstick measured in the same sitting. Run: `make bench` (or python bench/certify.py).

The HTML report's renderer is installed before the first timing (its one-time install is not a
run's cost). The verdicts of the runs must agree: a faster run that certifies differently is wrong.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chart import mark

TARGETS = {"side by side, no HTML": 25.0, "side by side, with HTML": 35.0}  # seconds, on 2 cores


def certify(reports: Path, *extra: str) -> tuple[float, list[tuple[str, str]]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "payercert", "certify", "--target", "local", "--reports", str(reports), *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"certify {' '.join(extra)} exited {done.returncode}:\n{done.stdout[-2000:]}")
    certificate = json.loads((reports / "certificate.json").read_text(encoding="utf-8"))
    return wall, [(f["feed"], f["verdict"]) for f in certificate["feeds"]]


def main() -> None:
    from payercert.reporting.allure_html import ensure_allure

    ensure_allure(say=print)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        runs = {
            "one feed after another (--jobs 1), no HTML": ("--jobs", "1", "--no-html"),
            "side by side, no HTML": ("--no-html",),
            "side by side, with HTML": (),
        }
        walls, verdicts = {}, {}
        for n, (name, extra) in enumerate(runs.items()):
            walls[name], verdicts[name] = certify(root / str(n), *extra)
    if len({tuple(v) for v in verdicts.values()}) != 1:
        raise SystemExit(f"the runs certify differently: {verdicts}")
    yardstick = walls["one feed after another (--jobs 1), no HTML"]
    print(f"{'local certification of every feed':<48} {'wall':>8} {'vs --jobs 1':>12}  target")
    for name, wall in walls.items():
        print(f"{name:<48} {wall:7.1f}s {yardstick / wall:11.2f}x  {mark(wall, TARGETS.get(name), ' s')}")


if __name__ == "__main__":
    main()
