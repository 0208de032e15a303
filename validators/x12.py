"""ASC X12 5010 envelopes: interchanges split on FS (0x1C), the ISA read with its own delimiters, and
the control numbers and counts of ISA/IEA, GS/GE, ST/SE checked, and ST01/GS08 against the PayloadType."""
from __future__ import annotations

from .findings import Finding, Location, Severity

FS = b"\x1c"


def split_interchanges(payload: bytes) -> list[bytes]:
    return [chunk for chunk in payload.split(FS) if chunk.strip(b"\r\n \t")]


def parse_interchange(chunk: bytes) -> list[list[str]]:
    """The segments of one interchange; ValueError when its ISA is unusable (not 106 fixed-width characters)."""
    text = chunk.decode("latin-1").lstrip("\r\n")
    if len(text) < 106 or not text.startswith("ISA"):
        raise ValueError("no 106-character ISA")
    element, terminator = text[3], text[105]
    isa = text[:106].split(element)
    widths = [3, 2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1]
    if len(isa) != 17 or [len(e) for e in isa[:16]] != widths or terminator in (element, text[104]) or terminator.isalnum():
        raise ValueError("ISA is not 106 characters of fixed-width elements")
    return [s.strip("\r\n").split(element) for s in text.split(terminator) if s.strip("\r\n")]


def _f(requirement: str, message: str, where: str) -> Finding:
    return Finding(requirement, Severity.ERROR, message, None, Location(pointer=where))


def check_interchange(chunk: bytes, payload_type: str | None = None, spec: dict | None = None) -> list[Finding]:
    try:
        segments = parse_interchange(chunk)
    except ValueError as exc:
        return [_f("WEBBBS-X12-1", str(exc), "x12:ISA#1")]
    out: list[Finding] = []
    isa = segments[0]
    if isa[12] != "00501":
        out.append(_f("WEBBBS-X12-4", f"ISA12 is {isa[12]}, not 00501", "x12:ISA#1"))
    groups, gs, sets, st, st_at = 0, None, 0, None, 0
    expect = ((spec or {}).get("x12_payloads") or {}).get(payload_type or "") or {}
    for index, seg in enumerate(segments):
        tag = seg[0]
        if tag == "GS":
            gs, sets, groups = seg, 0, groups + 1
            if expect.get("gs08") and (len(seg) < 9 or seg[8] != expect["gs08"]):
                out.append(_f("WEBBBS-X12-5", f"GS08 is not {expect['gs08']}", f"x12:GS#{groups}"))
        elif tag == "ST":
            st, st_at, sets = seg, index, sets + 1
            if expect.get("st01") and seg[1] != expect["st01"]:
                out.append(_f("WEBBBS-X12-5", f"ST01 is not {expect['st01']}", "x12:ST"))
        elif tag == "SE":
            if st is None or len(seg) < 3 or seg[1] != str(index - st_at + 1) or seg[2] != st[2]:
                out.append(_f("WEBBBS-X12-2", "SE01/SE02 do not close their ST", "x12:SE"))
            st = None
        elif tag == "GE":
            if gs is None or len(seg) < 3 or seg[1] != str(sets) or seg[2] != gs[6]:
                out.append(_f("WEBBBS-X12-3", "GE01/GE02 do not close their GS", "x12:GE"))
            gs = None
        elif tag == "IEA":
            if len(seg) < 3 or seg[1] != str(groups) or seg[2] != isa[13]:
                out.append(_f("WEBBBS-X12-3", "IEA01/IEA02 do not close the ISA", "x12:IEA"))
    if segments[-1][0] != "IEA":
        out.append(_f("WEBBBS-X12-3", "no IEA closes the interchange", "x12:IEA"))
    return out
