"""The fast reading of a regular interchange's envelope (validators/x12.py `_read_envelopes`: the
envelope segments found, the others counted) gives what the segment-by-segment reading gives, on
interchanges changed the ways real files differ: segments indented, padded, empty or on lines of
their own, a segment whose name starts like an envelope segment's (STC, GENERAL), counts that are
wrong, an interchange cut off, text after the IEA."""

from __future__ import annotations

from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from payercert.validators import x12

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "x12"
SAMPLE = (CORPUS / "lfh-837-demo.example1.837").read_text(encoding="utf-8").replace("\n", "")
SEGMENTS = [s for s in SAMPLE.split("~") if s]
EXTRA = ["STC*A1:20*20130101", "GENERAL*X", "SEX", "NM1*QC*1*DOE", "SE*3*0001", "ST*837*0002*005010X222A1", "GE*2*1"]
LAYOUT = ["", "\n", "\r\n", " ", "\t", "\n  ", " \n", "\u00a0", "\x0b"]


@st.composite
def interchanges(draw) -> str:
    segments = list(SEGMENTS[1:])
    for _ in range(draw(st.integers(0, 4))):  # segments added, dropped or cut
        at = draw(st.integers(0, len(segments)))
        choice = draw(st.sampled_from(["add", "add", "drop", "cut", "blank"]))
        if choice == "add":
            segments.insert(at, draw(st.sampled_from(EXTRA)))
        elif choice == "drop" and segments:
            del segments[min(at, len(segments) - 1)]
        elif choice == "cut":
            segments = segments[:at]
        else:
            segments.insert(at, "")
    layout = LAYOUT if draw(st.booleans()) else LAYOUT[:3]  # half the files lay segments out with line ends only
    before = draw(st.lists(st.sampled_from(layout), min_size=len(segments), max_size=len(segments)))
    after = draw(st.lists(st.sampled_from(LAYOUT[:3]), min_size=len(segments), max_size=len(segments)))
    body = "".join(f"{b}{seg}~{a}" for seg, b, a in zip(segments, before, after, strict=True))
    return SEGMENTS[0] + "~" + body + draw(st.sampled_from(["", "\nISA*trailing", "  "]))


@settings(max_examples=400, deadline=None)
@given(interchanges())
def test_the_fast_reading_reads_what_the_segment_by_segment_reading_reads(chunk):
    elements, sep, term, pos, _ = x12.read_isa(chunk, tolerant=True)
    fast = x12._regular_envelopes(chunk, sep, term, pos)
    slow = x12.parse_interchange(chunk, tolerant=True)
    event("read the fast way" if fast is not None else "read segment by segment")
    if fast is None:
        return  # not regular: the segment-by-segment reading is the one used
    assert not slow.deviations  # a regular interchange has nothing to read past
    envelope, closed, rest = fast
    assert envelope == list(x12._envelope_of(slow.segments))
    assert closed == (bool(slow.segments) and slow.segments[-1][0] == "IEA")
    assert rest == slow.rest


def test_the_sample_is_read_the_fast_way():
    elements, sep, term, pos, _ = x12.read_isa(SAMPLE, tolerant=True)
    assert x12._regular_envelopes(SAMPLE, sep, term, pos) is not None
    assert x12.check_payload(SAMPLE) == []
