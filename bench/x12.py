"""X12 837P batch: payercert's envelope checks alone, pyx12 alone, and the two as `payercert validate`
runs them (envelopes, then pyx12's segment-level validation), all on the same generated file in one
run. Prints MB/s and the ratios: the envelope checks should cost next to nothing beside pyx12.

    python bench/x12.py [CLAIMS]   (default 2000 claims, one transaction set each)

The batch repeats the 837P of LinuxForHealth/x12's demo (tests/corpus/x12, Apache-2.0) with every
control number, claim id and patient name varied, so no two transaction sets are alike.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from chart import draw

from payercert.validators import x12

SOURCE = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "x12" / "lfh-837-demo.example1.837"
GUIDE = "005010X222A1"
REPEAT = 3


def transaction(template: list[str], n: int) -> list[str]:
    """The template's ST..SE with its control number, claim, patient and amounts made the n-th's."""
    out = []
    for segment in template:
        fields = segment.split("*")
        if fields[0] in ("ST", "SE"):
            fields[2] = f"{n:04d}"
        elif fields[0] == "CLM":
            fields[1] = f"{26463774 + n}"
        elif fields[0] == "NM1" and fields[1] == "QC" and len(fields) > 3:
            fields[3] = f"PATIENT{n:06d}"
        elif fields[0] == "BHT":
            fields[3] = f"{244579 + n}"
        out.append("*".join(fields))
    return out


def generate(path: Path, claims: int) -> None:
    # the demo declares 005010X222A2; pyx12 4.0.0 maps the 837P guide as 005010X222A1
    text = SOURCE.read_text(encoding="utf-8").replace("\n", "").replace("005010X222A2", GUIDE)
    segments = [s for s in text.split("~") if s]
    start = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    isa, gs, template = segments[0], segments[1], segments[start : end + 1]
    body = [isa, gs]
    for n in range(1, claims + 1):
        body += transaction(template, n)
    body += [f"GE*{claims}*{gs.split('*')[6]}", f"IEA*1*{isa.split('*')[13]}"]
    path.write_text("~".join(body) + "~\n", encoding="utf-8")


def pyx12_alone(path: Path) -> float:
    import pyx12.params
    import pyx12.x12n_document

    # its errors are logged (element errors only there): made, as payercert's run makes them, and dropped
    logger = logging.getLogger("pyx12")
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    started = time.perf_counter()
    with path.open(encoding="utf-8") as src, tempfile.TemporaryFile("w+") as report:
        pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), src, None, None, fd_json=report)
    return time.perf_counter() - started


def envelopes(payload: bytes) -> float:
    started = time.perf_counter()
    problems = x12.check_payload(payload, {"st01": "837", "gs01": "HC", "gs08": GUIDE})
    seconds = time.perf_counter() - started
    if problems:
        raise SystemExit(f"the generated batch has envelope problems: {problems[:3]}")
    return seconds


def ours(payload: bytes) -> float:
    """What `payercert validate` does with an X12 file read alone: its envelopes, the guide its groups
    declare, then pyx12's segment-level findings."""
    started = time.perf_counter()
    x12.check_payload(payload, {"st01": "837", "gs01": "HC", "gs08": GUIDE})
    guide = x12.declared_guide(payload)
    x12.segment_findings(payload, guide or GUIDE)
    return time.perf_counter() - started


def main(claims: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.837"
        generate(path, claims)
        payload = path.read_bytes()
        size = len(payload) / 1e6
        best = {
            "pyx12 alone": float("inf"),
            "envelopes + pyx12 (validate)": float("inf"),
            "envelopes alone": float("inf"),
        }
        for _ in range(REPEAT):  # interleaved: a busy moment costs every measurement alike
            best["pyx12 alone"] = min(best["pyx12 alone"], pyx12_alone(path))
            best["envelopes + pyx12 (validate)"] = min(best["envelopes + pyx12 (validate)"], ours(payload))
            best["envelopes alone"] = min(best["envelopes alone"], envelopes(payload))
    print(f"837P batch: {claims} transaction sets, {size:.1f} MB")
    for name, seconds in best.items():
        print(f"{name:<32} {size / seconds:8.2f} MB/s  {best['pyx12 alone'] / seconds:6.2f}x pyx12 alone")
    rates = {name: size / seconds for name, seconds in best.items()}
    draw("x12", f"X12 837P batch, {claims} transaction sets", "MB/s", rates, "pyx12 alone")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims", type=int, nargs="?", default=2000)
    main(parser.parse_args().claims)
