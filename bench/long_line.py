"""Memory of `payercert validate` on a file holding one very long NDJSON line, against the line's size.

A long line must be a finding, never a memory spike: payercert reads past a line of 64 MiB or more in
chunks. This measures the peak resident memory of the whole process (ru_maxrss of the child) on a
line of --megabytes (default 200), for a kind with the fast NDJSON path (AB2D EOB) and one read by
the generic reader (a LanternPay webhook sequence), next to a bare `import payercert.cli` as the
yardstick, and prints the growth over the yardstick as a multiple of the line.

    .venv/bin/python bench/long_line.py [--megabytes 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EOB = ROOT / "specs" / "ab2d" / "samples" / "valid" / "eob-stu3-seed.ndjson"


def peak_kb(*args: str) -> int:
    """The peak resident memory (KiB) of one `python -m payercert ARGS`, measured by a wrapper process
    of its own (a process's children's ru_maxrss is the largest child so far)."""
    wrapper = (
        "import resource, subprocess, sys; "
        "subprocess.run([sys.executable, '-m', 'payercert', *sys.argv[1:]], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def long_lines(folder: Path, megabytes: int) -> dict[str, Path]:
    pad = "y" * 1000
    count = megabytes * 1000
    eob = json.loads(EOB.read_text().splitlines()[0])
    files = {
        "ab2d eob-stu3 (fast path)": (
            folder / "eob.ndjson",
            json.dumps(eob) + "\n" + json.dumps({**eob, "extension": [{"url": "u", "valueString": pad}] * count}),
        ),
        "lanternpay webhook-sequence (generic reader)": (
            folder / "webhooks.ndjson",
            json.dumps({"id": "i", "created": 1, "type": "t", "data": {"pad": [pad] * count}, "_links": {}}),
        ),
    }
    for path, text in files.values():
        path.write_text(text + "\n", encoding="utf-8")
    return {name: path for name, (path, _) in files.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = long_lines(Path(tmp), args.megabytes)
        base = peak_kb("--help")
        print(f"yardstick (payercert --help): {base / 1024:.0f} MiB peak")
        for name, path in files.items():
            kind = ["--feed", "lanternpay", "--kind", "webhook-sequence"] if "webhook" in name else []
            peak = peak_kb("validate", "--format", "json", *kind, str(path))
            line = path.stat().st_size / 1024
            print(
                f"{name}: line {line / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB, growth {(peak - base) / line:.2f}x the line"
            )


if __name__ == "__main__":
    main()
