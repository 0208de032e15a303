"""X12 as real systems write it: a byte order mark, one segment per line with indentation, an ISA
whose elements are not padded. A validator reads past each, reports it once, and goes on to find
the defects behind it; the strict reading a server applies still refuses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from payercert.feeds import load_feed
from payercert.validators import x12
from payercert.validators.core_checks import x12_findings

SAMPLE = (Path(__file__).resolve().parents[1] / "specs" / "webbbs" / "samples" / "valid" / "x12-270.x12").read_text()
SPEC = load_feed("webbbs").spec
IDS = SPEC["x12_payloads"]["X12_270_Request_005010X279A1"]


def findings(text: str) -> list[tuple[str, str, str]]:
    return [(f.requirement, f.severity.value, f.message) for f in x12_findings(text.encode(), SPEC, IDS, False)]


def unpadded(text: str) -> str:
    isa, rest = text[:106], text[106:]
    elements = isa[:105].split(isa[3])
    return isa[3].join(e.strip() if i in (6, 8) else e for i, e in enumerate(elements)) + isa[105] + rest


def test_the_sample_is_clean():
    assert findings(SAMPLE) == []


def test_byte_order_mark_reported_once_and_read_past():
    assert findings("\ufeff" + SAMPLE) == [("WEBBBS-X12-1", "error", "a UTF-8 byte order mark comes before the ISA")]


def test_a_defect_behind_the_byte_order_mark_is_still_found():
    broken = SAMPLE.replace("005010X279A1~", "004010X092A1~", 1)
    found = findings("\ufeff" + broken)
    assert found[0][2] == "a UTF-8 byte order mark comes before the ISA"
    assert any("GS08" in message for _, _, message in found[1:]), found


def test_one_segment_per_line_with_indentation():
    laid_out = SAMPLE.replace("~", "~\n    ")
    assert findings(laid_out) == [
        ("WEBBBS-X12-1", "warning", "segments are indented or padded with spaces or tabs (read as layout)")
    ]
    assert findings(SAMPLE.replace("~", "~\r\n")) == []  # line breaks after the terminator are no finding


def test_unpadded_isa_reported_once_and_read_by_its_separators():
    found = findings(unpadded(SAMPLE))
    assert len(found) == 1 and found[0][:2] == ("WEBBBS-X12-1", "error"), found
    assert "read by its separators" in found[0][2]


def test_the_strict_reading_still_refuses():
    with pytest.raises(x12.X12SyntaxError):
        x12.parse_interchange(unpadded(SAMPLE))
    with pytest.raises(x12.X12SyntaxError, match="must open with ISA"):
        x12.parse_interchange("\ufeff" + SAMPLE)


# --- one defect, its consequences attached -----------------------------------------------------------

REMITTANCE = (Path(__file__).resolve().parent / "corpus" / "x12" / "pyx12-835_mult_loops.txt").read_text()


def test_a_file_read_alone_is_checked_against_the_guide_its_groups_declare():
    """No PayloadType: pyx12 checks the segments against the GS08 guide (835, 005010X221A1)."""
    assert x12.declared_guide(REMITTANCE) == "005010X221A1"
    assert x12_findings(REMITTANCE.encode(), SPEC, None, False) == []
    broken = REMITTANCE.replace("CLP*2005555A*4*", "CLP*2005555A*X*", 1)  # CLP02 no claim status code
    assert any(f.requirement == "WEBBBS-X12-8" for f in x12_findings(broken.encode(), SPEC, None, False))


def test_segments_a_bad_segment_leaves_unplaced_are_counted_on_it():
    broken = REMITTANCE.replace("SVC*", "SVX*", 1)
    (root,) = x12_findings(broken.encode(), SPEC, None, False)
    assert root.message.startswith("Segment SVX*") and "(+4 consequent findings" in root.message
    every = x12_findings(broken.encode(), SPEC, None, False, all_errors=True)
    assert len(every) == 5 and all(f.message.startswith(f"consequence of {root.location.pointer}") for f in every[1:])


def test_a_cut_off_interchange_leaves_its_set_and_group_open():
    cut = SAMPLE[: SAMPLE.index("SE*")]
    assert [(r, m) for r, _, m in findings(cut)] == [
        ("WEBBBS-X12-2", "the transaction set this ST opens has no SE"),
        ("WEBBBS-X12-3", "the group this GS opens has no GE"),
        ("WEBBBS-X12-3", "no IEA closes the interchange"),
    ]


def test_an_element_error_pyx12_only_logs_is_reported_in_its_words():
    """pyx12 reports some element errors only in its log: they are findings too, never a vague line."""
    st = REMITTANCE[REMITTANCE.index("ST*835*") :].split("~", 1)[0]
    broken = REMITTANCE.replace(st, "ST*835*" + st.split("*")[2] + "*005010X221A1", 1)  # ST03: not used by the 835
    messages = [f.message for f in x12_findings(broken.encode(), SPEC, None, False)]
    assert messages == ['Data element "Implementation Convention Reference" (ST03) is marked as Not Used']
