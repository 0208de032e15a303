"""Start-up: how long `payercert --help` and validating a one-line AB2D file take, whole process,
against a bare `python -c pass` measured in the same run (pairs interleaved, best of N each), so
the ratio is what matters, not the machine. Run: `make bench` (or python bench/startup.py --runs N).

Validating one sample file is the most common use, and it is all start-up.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chart import mark

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "specs" / "ab2d" / "samples" / "valid" / "eob-stu3-seed.ndjson"


# As a user's machine runs it: Python writes the bytecode of a module it compiles, so only the
# first run after a change compiles (PYTHONDONTWRITEBYTECODE, set in some shells, would make every
# run compile every changed module).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
TARGETS = {"payercert --help": 4.0, "validate a one-line file": 6.0}  # times a bare Python start


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENV)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        one = Path(folder) / "one.ndjson"
        one.write_bytes(SAMPLE.read_bytes().splitlines(keepends=True)[0])
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "payercert --help": [sys.executable, "-m", "payercert", "--help"],
            "validate a one-line file": [sys.executable, "-m", "payercert", "validate", str(one)],
        }
        best = dict.fromkeys(commands, float("inf"))
        for command in commands.values():  # once unmeasured: the bytecode is written, the caches filled
            seconds(command)
        for _ in range(runs):  # interleaved: a busy moment costs every command alike
            for name, command in commands.items():
                best[name] = min(best[name], seconds(command))
    base = best["python -c pass"]
    print(f"start-up, best of {runs} (whole process)")
    for name, value in best.items():
        print(
            f"  {name:<26} {value * 1000:7.0f} ms  {value / base:5.1f}x python  {mark(value / base, TARGETS.get(name), 'x')}"
        )


if __name__ == "__main__":
    main()
