"""Synthetic X12 5010 answers of the payer: 271 for a 270, 277 for a 276, 278 for a 278, 835 for an
837, and the negative acknowledgments (TA1 for an interchange the payer cannot accept, 999 for a
rejected group or transaction set).

An answer echoes what the request said: the interchange control number (ISA13), the group control
number (GS06), the transaction set control number (ST02), the BHT reference and the TRN trace.
Sender and receiver are swapped: the payer is 30*716007869, the trading partner ZZ*<TP ID>
(feed.yaml WEBBBS-X12-6, Figures 4 and 12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PAYER_ID = "716007869"


@dataclass
class Interchange:
    """One request interchange read with the delimiters its own ISA declares (X12 5010 ISA layout)."""

    raw: bytes
    element: str
    component: str
    terminator: str
    segments: list[list[str]] = field(default_factory=list)

    @classmethod
    def read(cls, raw: bytes) -> Interchange:
        text = raw.decode("latin-1").lstrip("\r\n")
        if len(text) < 106 or not text.startswith("ISA"):
            raise ValueError("no 106-character ISA")
        element, component, terminator = text[3], text[104], text[105]
        segments = [s.strip("\r\n").split(element) for s in text.split(terminator) if s.strip("\r\n")]
        return cls(raw, element, component, terminator, segments)

    def first(self, seg_id: str) -> list[str] | None:
        return next((s for s in self.segments if s[0] == seg_id), None)

    def all(self, seg_id: str) -> list[list[str]]:
        return [s for s in self.segments if s[0] == seg_id]

    @property
    def isa(self) -> list[str]:
        return self.segments[0]

    @property
    def control_number(self) -> str:
        return self.isa[13]

    @property
    def sender(self) -> str:
        return self.isa[6].strip()

    def value(self, seg_id: str, index: int, default: str = "") -> str:
        seg = self.first(seg_id)
        return seg[index] if seg is not None and len(seg) > index else default


class Writer:
    """Builds one interchange segment by segment, counting what the trailers must say."""

    def __init__(self, receiver: str, control: str, now: datetime, terminator: str = "~"):
        self.parts: list[str] = []
        self.t = terminator
        self.control = control
        isa = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "30",
            PAYER_ID.ljust(15),
            "ZZ",
            receiver.ljust(15)[:15],
            now.strftime("%y%m%d"),
            now.strftime("%H%M"),
            "^",
            "00501",
            control.rjust(9, "0")[:9],
            "0",
            "P",
            ":",
        ]
        self.parts.append("*".join(isa))
        self.now = now
        self.groups = 0
        self._group: list[str] | None = None
        self._sets = 0
        self._st_at = 0

    def group(self, functional_id: str, receiver: str, control: str, version: str) -> None:
        self._gs_control, self._sets = control, 0
        self.parts.append(
            "*".join(
                [
                    "GS",
                    functional_id,
                    PAYER_ID,
                    receiver,
                    self.now.strftime("%Y%m%d"),
                    self.now.strftime("%H%M"),
                    control,
                    "X",
                    version,
                ]
            )
        )
        self.groups += 1

    def transaction(self, st01: str, control: str, version: str | None, body: list[list[str]]) -> None:
        """One transaction set; `version` None leaves ST03 out (the 835 guide does not use it)."""
        start = len(self.parts)
        self.parts.append("*".join(["ST", st01, control, *([version] if version else [])]))
        self.parts.extend("*".join(s) for s in body)
        self.parts.append("*".join(["SE", str(len(self.parts) - start + 1), control]))
        self._sets += 1

    def end_group(self) -> None:
        self.parts.append("*".join(["GE", str(self._sets), self._gs_control]))

    def segment(self, *elements: str) -> None:
        self.parts.append("*".join(elements))

    def bytes(self) -> bytes:
        text = self.t.join(self.parts + ["*".join(["IEA", str(self.groups), self.control.rjust(9, "0")[:9]])])
        return (text + self.t).encode("ascii")


def _provider(req: Interchange) -> list[list[str]]:
    """The request's information receiver/provider NM1, or a neutral one."""
    for seg in req.all("NM1"):
        if len(seg) > 1 and seg[1] in ("1P", "41", "85"):
            return [seg]
    return [["NM1", "1P", "2", "PROVIDER", "", "", "", "", "XX", "0000000000"]]


def _subscriber(req: Interchange) -> list[str]:
    return next(
        (s for s in req.all("NM1") if len(s) > 1 and s[1] == "IL"),
        ["NM1", "IL", "1", "UNKNOWN", "MEMBER", "", "", "", "MI", "00000000000"],
    )


REMITTANCE_GUIDE = "005010X221A1"


def answer(req: Interchange, st01: str, now: datetime) -> bytes:
    """The X12 response of one accepted request interchange (one answer set per request set)."""
    gs, _st = req.first("GS") or [], req.first("ST") or []
    # an answer shares its request's guide (271 with 270, 277 with 276, 278 with 278), but an 835 has
    # its own, whichever 837 (professional, institutional, dental) it remits
    version = REMITTANCE_GUIDE if st01 == "835" else gs[8] if len(gs) > 8 else ""
    w = Writer(req.sender, req.control_number, now)
    functional = {"271": "HB", "277": "HN", "278": "HI", "835": "HP"}[st01]
    w.group(functional, req.sender, gs[6] if len(gs) > 6 else "1", version)
    for number, st_seg in enumerate(req.all("ST"), start=1):
        control = st_seg[2] if len(st_seg) > 2 else f"{number:04d}"
        w.transaction(st01, control, None if st01 == "835" else version, _body(st01, req, now))
    w.end_group()
    return w.bytes()


def _body(st01: str, req: Interchange, now: datetime) -> list[list[str]]:
    date, time = now.strftime("%Y%m%d"), now.strftime("%H%M")
    reference = req.value("BHT", 3, "0")
    trace = next((s for s in req.all("TRN")), ["TRN", "1", "0"])
    payer = ["NM1", "PR", "2", "ARKANSAS MEDICAID", "", "", "", "", "PI", PAYER_ID]
    if st01 == "271":
        return [
            ["BHT", "0022", "11", reference, date, time],
            ["HL", "1", "", "20", "1"],
            payer,
            ["HL", "2", "1", "21", "1"],
            *_provider(req),
            ["HL", "3", "2", "22", "0"],
            ["TRN", "2", *trace[2:]],
            _subscriber(req),
            ["EB", "1", "", "30", "", "MEDICAID"],
        ]
    if st01 == "277":
        return [
            ["BHT", "0010", "08", reference, date, time],
            ["HL", "1", "", "20", "1"],
            payer,
            ["HL", "2", "1", "21", "1"],
            *_provider(req),
            ["HL", "3", "2", "19", "1"],
            ["HL", "4", "3", "22", "0"],
            _subscriber(req),
            ["TRN", "2", *trace[2:]],
            ["STC", "A1:20", date, "", "0"],
        ]
    if st01 == "278":
        return [
            ["BHT", "0007", "11", reference, date, time],
            ["HL", "1", "", "20", "1"],
            payer,
            ["HL", "2", "1", "21", "1"],
            *_provider(req),
            ["HL", "3", "2", "22", "1"],
            _subscriber(req),
            ["HL", "4", "3", "EV", "0"],
            ["HCR", "A1"],
        ]
    # 835: one zero-paid remittance per claim (CLM) of the 837, traced by the 837's ISA13
    claims = [s for s in req.all("CLM")] or [["CLM", "0", "0"]]
    body = [
        ["BPR", "I", "0", "C", "NON", "", "", "", "", "", "", "", "", "", "", "", date],
        ["TRN", "1", req.control_number, "1" + PAYER_ID],
        ["DTM", "405", date],
        # the payer (loop 1000A: name, address, technical contact) and the payee (1000B), as the 835
        # guide requires them; the address and telephone number are fictitious
        ["N1", "PR", "ARKANSAS MEDICAID"],
        ["N3", "PO BOX 0000"],
        ["N4", "LITTLE ROCK", "AR", "72203"],
        ["PER", "BL", "EDI SUPPORT", "TE", "5555550100"],
        ["N1", "PE", "PROVIDER", "XX", "0000000000"],
        ["LX", "1"],
    ]
    patient = ["NM1", "QC", *_subscriber(req)[2:]]  # the claim's patient: the 837's subscriber
    for clm in claims:
        charge = clm[2] if len(clm) > 2 else "0"
        body += [
            ["CLP", clm[1] if len(clm) > 1 else "0", "4", charge, "0", "", "MC", req.control_number],
            ["CAS", "CO", "45", charge],
            patient,
        ]
    return body


def ta1(req_control: str, receiver: str, note_code: str, now: datetime) -> bytes:
    """A rejecting TA1 (interchange acknowledgment, code R) for the interchange `req_control`."""
    w = Writer(receiver, req_control, now)
    w.segment("TA1", req_control.rjust(9, "0")[:9], now.strftime("%y%m%d"), now.strftime("%H%M"), "R", note_code)
    return w.bytes()


def negative_999(req: Interchange, now: datetime) -> bytes:
    """A rejecting 999 (AK9*R: every transaction set of the request's first group rejected, IK5*R)."""
    gs = req.first("GS") or ["GS", "", "", "", "", "", "1", "", ""]
    w = Writer(req.sender, req.control_number, now)
    w.group("FA", req.sender, gs[6] if len(gs) > 6 else "1", "005010X231A1")
    body = [["AK1", gs[1] if len(gs) > 1 else "", gs[6] if len(gs) > 6 else "1", gs[8] if len(gs) > 8 else ""]]
    st_sets = req.all("ST") or [["ST", "", "0001"]]
    for st in st_sets:
        body.append(["AK2", st[1] if len(st) > 1 else "", st[2] if len(st) > 2 else ""])
        body.append(["IK5", "R", "5"])
    body.append(["AK9", "R", str(len(st_sets)), str(len(st_sets)), "0"])
    w.transaction("999", "0001", "005010X231A1", body)
    w.end_group()
    return w.bytes()
