"""Validator throughput: `payercert validate` on a generated LTSS NDJSON file, whole process.

Prints entries/s and MB/s against a parse-only baseline (json.loads on every line, in this process),
so the ratio is what matters, not the machine; each is the best of three interleaved rounds. Run:
`make bench` (or python bench/run.py --entries N; default 500,000).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from chart import draw, mark


def write_file(path: Path, entries: int) -> None:
    rnd = random.Random(1)
    today = date(2026, 11, 20)
    with path.open("w") as fh:
        for i in range(entries):
            entry = {
                "TransactionId": f"{rnd.getrandbits(32):08x}-0000-4000-8000-{i:012d}",
                "ServiceIdentifier": "PERSUP15",
                "ClientLtssId": "A1234567890",
                "ProviderMa": "A12345678",
                "ServiceDate": (today - timedelta(days=rnd.randint(0, 300))).strftime("%m-%d-%Y"),
                "Units": rnd.randint(1, 8),
            }
            fh.write(json.dumps(entry) + "\n")


TARGET = 0.5  # the validator at half json.loads' parse-only rate or better
REPEAT = 3  # each rate is the best of three interleaved rounds: other work on the machine only slows a run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ndjson"
        write_file(path, args.entries)
        size_mb = path.stat().st_size / 1e6
        parse = whole = float("inf")
        for _ in range(REPEAT):
            started = time.perf_counter()
            with path.open() as fh:
                for line in fh:
                    json.loads(line)
            parse = min(parse, time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "payercert", "validate", str(path), "--as-of", "2026-11-20", "--format", "json"],
                stdout=subprocess.DEVNULL,
                check=False,
            )
            whole = min(whole, time.perf_counter() - started)
    print(f"{args.entries} entries, {size_mb:.1f} MB")
    print(f"parse only (json.loads):  {args.entries / parse:>10.0f} entries/s  {size_mb / parse:6.1f} MB/s")
    print(f"payercert validate (CLI): {args.entries / whole:>10.0f} entries/s  {size_mb / whole:6.1f} MB/s")
    print(f"ratio validate/parse: {parse / whole:.2f}  {mark(parse / whole, TARGET, 'x', at_least=True)}")
    rates = {"json.loads parse-only": args.entries / parse, "payercert validate (CLI)": args.entries / whole}
    draw("ltss", f"LTSS billing entries NDJSON, {args.entries:,} entries", "entries/s", rates, "json.loads parse-only")


if __name__ == "__main__":
    main()
