"""What WebBBS does with a batch file put in a Trading Partner's upload folder.

A file is one or more ASC X12 5010 interchanges (ISA...IEA, several separated by FS 0x1C as in
3.6). Each interchange is checked at the envelope level by validators/x12.py, the rules `payercert
validate` applies (ISA width and delimiters, version 00501, IEA, GS/GE and ST/SE counts and control
numbers: WEBBBS-X12-1..4). The answers that appear in download follow 3.4:
- acknowledgments are negative only (WEBBBS-X12-7): a TA1 for an interchange whose ISA/IEA
  envelope is broken, a 999 rejecting a functional group whose GE or SE counts are wrong;
- a 270 gets a 271 and a 276 a 277 (synthetic: the request's loops echoed, an active-coverage EB
  or an accepted STC added); other accepted transactions (837, ...) get no file here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from payercert.validators import x12
from payercert.validators.x12 import Interchange

RECEIVER_ID = "716007869"  # feed.yaml core.receiver_id
ISA_LENGTH = x12.ISA_LENGTH
ISA_ELEMENTS = 17  # "ISA" and its 16 elements
ANSWERS = {"270": ("271", "HB"), "276": ("277", "HN")}


class NotX12(ValueError):
    """The file is not an ASC X12 batch file at all (no ISA at its start)."""


@dataclass
class Answer:
    kind: str  # "271", "277", "TA1", "999"
    text: str


@dataclass
class Responder:
    """Builds answers with the payer's own interchange control numbers."""

    clock: Callable[[], datetime] = datetime.now
    _numbers: count = field(default_factory=lambda: count(1))

    def answer(self, data: bytes) -> list[Answer]:
        if not data.lstrip().startswith(b"ISA"):
            raise NotX12("not an ASC X12 batch file: an upload starts with an ISA segment")
        answers = []
        for text in x12.split_interchanges(data):  # the envelope rules of validators/x12.py
            text = text.strip(" ")
            try:
                ic = x12.parse_interchange(text)
            except x12.X12SyntaxError:
                answers.append(
                    self._ta1(text, "023" if len(text) < ISA_LENGTH else "024")
                )  # premature end / invalid content
                continue
            answers += self._answer_interchange(ic)
        return answers

    # --- one interchange ------------------------------------------------------------------------
    def _answer_interchange(self, ic: Interchange) -> list[Answer]:
        problems = x12.check_interchange(ic, {})
        where = {p.location: p for p in problems}
        if not ic.segments or ic.segments[-1][0] != "IEA":
            return [self._ta1_for(ic, "023")]  # premature end of the interchange
        if any(p.problem == "version" and p.location.startswith("x12:ISA") for p in problems):
            return [self._ta1_for(ic, "017")]  # invalid interchange version (ISA12 is not 00501)
        if any(loc.startswith("x12:IEA#") for loc in where):
            iea = ic.segments[-1]
            return [self._ta1_for(ic, "001" if iea[2:3] != [_control(ic)] else "021")]  # control number / group count
        answers, set_number = [], 0
        for number, (gs, sets, ge) in enumerate(_groups(ic), 1):
            bad = []
            for st, _body, _se in sets:
                set_number += 1
                if f"x12:SE#{set_number}" in where:
                    bad.append(st)
            if ge is None or f"x12:GE#{number}" in where or bad:
                answers.append(self._reject_999(ic, gs, sets, ge, bad))
                continue
            for st, body, _se in sets:
                if st[1] in ANSWERS:
                    answers.append(self._response(ic, gs, st, body))
        return answers

    def _response(self, ic: Interchange, gs: list[str], st: list[str], body: list[list[str]]) -> Answer:
        kind, functional_id = ANSWERS[st[1]]
        now = self.clock()
        out = []
        for seg in body:
            tag = seg[0]
            if tag == "BHT":
                seg = [
                    "BHT",
                    seg[1],
                    "11" if kind == "271" else "08",
                    *seg[3:4],
                    now.strftime("%Y%m%d"),
                    now.strftime("%H%M"),
                ]
            elif tag == "TRN" and seg[1:2] == ["1"]:
                seg = ["TRN", "2", *seg[2:]]  # 2 = referenced transaction trace number
            elif tag == "EQ":  # 271: answer each inquiry with active coverage (EB01 1) for that service type
                seg = ["EB", "1", "", seg[1] if len(seg) > 1 else "30", "", "MEDICAID"]
            elif tag == "DTP" and seg[1:2] == ["291"]:
                continue  # the 271 sample of the spec bundle carries no plan date
            out.append(seg)
            if kind == "277" and tag == "TRN":
                amount = next((s[2] for s in body if s[0] == "AMT" and len(s) > 2), "0")
                out.append(["STC", f"A1{ic.component_sep}20", now.strftime("%Y%m%d"), "WQ", amount])
        transaction = [["ST", kind, st[2], *st[3:]], *out]
        transaction.append(["SE", str(len(transaction) + 1), st[2]])
        return Answer(kind, self._envelope(ic, gs, functional_id, gs[8] if len(gs) > 8 else "", [transaction]))

    def _reject_999(self, ic, gs, sets, ge, bad) -> Answer:
        ak2 = []
        for st in bad:
            ak2 += [["AK2", st[1], st[2], *st[3:4]], ["IK5", "R", "4"]]  # 4: number of included segments wrong
        accepted = len(sets) - len(bad)
        code = "4" if ge is None or ge[1:3] != [str(len(sets)), gs[6]] else "5"
        transaction = [
            ["ST", "999", "0001", "005010X231A1"],
            ["AK1", gs[1], gs[6], *gs[8:9]],
            *ak2,
            ["AK9", "R", str(len(sets)), str(len(sets)), str(accepted), code],
        ]
        transaction.append(["SE", str(len(transaction) + 1), "0001"])
        return Answer("999", self._envelope(ic, gs, "FA", "005010X231A1", [transaction]))

    def _ta1_for(self, ic: Interchange, note: str) -> Answer:
        ta1 = ["TA1", _control(ic), ic.isa[9], ic.isa[10], "R", note]
        return Answer("TA1", self._interchange(ic.isa, ic.element_sep, ic.component_sep, ic.terminator, [ta1]))

    def _ta1(self, text: str, note: str) -> Answer:
        """A TA1 for an interchange whose ISA cannot be read: the fields are taken as far as they go."""
        isa = text[:ISA_LENGTH].split(text[3]) if len(text) > 3 else ["ISA"]
        isa = [*isa, *[""] * ISA_ELEMENTS][:ISA_ELEMENTS]
        isa[13] = isa[13].strip() if isa[13].strip().isdigit() and len(isa[13].strip()) == 9 else "000000000"
        isa[6], isa[5] = (isa[6].strip() or "UNKNOWN"), (isa[5].strip() or "ZZ")
        ta1 = ["TA1", isa[13], isa[9].strip() or "000000", isa[10].strip() or "0000", "R", note]
        return Answer("TA1", self._interchange(isa, "*", ":", "~", [ta1]))

    # --- envelopes --------------------------------------------------------------------------------
    def _envelope(
        self, ic: Interchange, gs: list[str], functional_id: str, version: str, transactions: list[list[list[str]]]
    ) -> str:
        now = self.clock()
        group_control = str(next(self._numbers))
        body = [
            [
                "GS",
                functional_id,
                RECEIVER_ID,
                gs[2],
                now.strftime("%Y%m%d"),
                now.strftime("%H%M"),
                group_control,
                "X",
                version,
            ]
        ]
        for transaction in transactions:
            body += transaction
        body.append(["GE", str(len(transactions)), group_control])
        return self._interchange(ic.isa, ic.element_sep, ic.component_sep, ic.terminator, body)

    def _interchange(
        self, request_isa: list[str], element: str, component: str, terminator: str, body: list[list[str]]
    ) -> str:
        """An ISA from the payer back to the submitter (sender and receiver swapped), the body, an IEA."""
        now = self.clock()
        control = f"{next(self._numbers):09d}"
        isa = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "30",
            RECEIVER_ID.ljust(15),
            request_isa[5].strip().ljust(2)[:2],
            request_isa[6].strip().ljust(15)[:15],
            now.strftime("%y%m%d"),
            now.strftime("%H%M"),
            "^",
            "00501",
            control,
            "0",
            (request_isa[15].strip() or "P")[:1],
            component,
        ]
        groups = sum(1 for seg in body if seg[0] == "GS")
        segments = [isa, *body, ["IEA", str(groups), control]]
        return "".join(element.join(seg) + terminator for seg in segments)


def _control(ic: Interchange) -> str:
    return ic.isa[13]


Segment = list[str]
TransactionSet = tuple[Segment, list[Segment], Segment]  # ST, the segments between, SE


def _groups(ic: Interchange) -> list[tuple[Segment, list[TransactionSet], Segment | None]]:
    """(GS, [(ST, body, SE)], GE) for each functional group of the interchange."""
    groups: list[tuple[Segment, list[TransactionSet], Segment | None]] = []
    gs: Segment | None = None
    sets: list[TransactionSet] = []
    st: Segment | None = None
    body: list[Segment] = []
    for seg in ic.segments[:-1]:
        tag = seg[0]
        if tag == "GS":
            gs, sets = seg, []
        elif tag == "ST":
            st, body = seg, []
        elif tag == "SE" and st is not None:
            sets.append((st, body, seg))
            st = None
        elif tag == "GE" and gs is not None:
            groups.append((gs, sets, seg))
            gs = None
        elif st is not None:
            body.append(seg)
    if gs is not None:
        groups.append((gs, sets, None))
    return groups
