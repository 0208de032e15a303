"""Batch processing (3.7): uploads answered 202 with a receipt, PartialUpload for files that fail,
negative acknowledgments only, results separated by FS with FilesPending, receipt confirmations;
and the lifecycle as a state machine."""

import hypothesis.strategies as st
import pytest
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from payercert.suites.webbbs.client import FS, segments, x12_270, x12_276

requirement = pytest.mark.requirement
pytestmark = pytest.mark.mutating


def broken_270(tp: str, control: int) -> bytes:
    """A 270 whose SE01 miscounts its segments (rejected at the transaction set: a negative 999)."""
    return x12_270(tp, control).replace(b"SE*13*", b"SE*99*")


def is_negative(ack: bytes) -> bool:
    segs = segments(ack)
    return any(s[0] == "AK9" and s[1] == "R" for s in segs) or any(s[0] == "TA1" and s[4] == "R" for s in segs)


@requirement("WEBBBS-BATCH-3")
@pytest.mark.parametrize("form", ["mtom", "mime"])
def test_upload_accepted_202(webbbs, form):
    """An accepted upload: HTTP 202, Success, X12_BatchReceiptConfirmation"""
    ex = webbbs.submit(x12_270(webbbs.tp, webbbs.control()), form=form)
    assert ex.msg is not None, ex.explain()
    assert (ex.status, ex.code, ex.msg.payload_type) == (202, "Success", "X12_BatchReceiptConfirmation"), (
        f"WEBBBS-BATCH-3: {ex.explain()}"
    )


@requirement("WEBBBS-BATCH-5")
def test_partial_upload_returns_failed_files(webbbs):
    """A file that is not an interchange fails to upload: PartialUpload, and it comes back in the payload"""
    bad = b"THIS IS NOT AN X12 INTERCHANGE"
    ex = webbbs.submit(x12_270(webbbs.tp, webbbs.control()) + FS + bad)
    assert ex.msg is not None and ex.code == "PartialUpload", f"WEBBBS-BATCH-5: {ex.explain()}"
    assert ex.msg.payload is not None and bad in ex.msg.payload.split(FS), (
        "WEBBBS-BATCH-5: the failed file is not returned"
    )


@requirement("WEBBBS-BATCH-7", "WEBBBS-BATCH-8", "WEBBBS-MTOM-2", "WEBBBS-MTOM-4")
def test_results_separated_and_pending(webbbs, target):
    """More results than one download carries: FS-separated whole interchanges, FilesPending, then the rest"""
    per_download = target.require_data("max_download_files")["max_download_files"]
    webbbs.drain_results()
    controls = [webbbs.control() for _ in range(per_download + 1)]
    ex = webbbs.submit(FS.join(x12_270(webbbs.tp, c) for c in controls))
    assert ex.code == "Success", ex.explain()
    first = webbbs.first_results()
    assert first.msg is not None, first.explain()
    assert not first.msg.payload_unresolved, "WEBBBS-MTOM-4: the Payload's xop:Include names no part"
    assert first.msg.payload_encoding == "xop", f"WEBBBS-MTOM-2: payload sent {first.msg.payload_encoding}, not MTOM"
    files = first.msg.payload.split(FS)
    assert all(segments(f) and segments(f)[-1][0] == "IEA" for f in files), (
        "WEBBBS-BATCH-7: the results are not whole interchanges separated by FS"
    )
    assert first.code == "FilesPending", (
        f"WEBBBS-BATCH-8: {len(controls)} results waiting, {len(files)} sent, {first.explain()}"
    )
    rest = webbbs.drain_results()
    got = {segments(f)[0][13] for f in files + rest}
    assert got == {f"{c:09d}" for c in controls}, "WEBBBS-BATCH-7: results do not answer every uploaded interchange"


@requirement("WEBBBS-X12-7", "WEBBBS-BATCH-9")
def test_acks_are_negative_only(webbbs):
    """Good interchanges get no acknowledgment; a rejected one gets a negative 999"""
    while webbbs.acks().msg.payload:  # noqa: B007 (earlier acks are not this test's)
        pass
    good = webbbs.submit(x12_270(webbbs.tp, webbbs.control()))
    assert good.code == "Success", good.explain()
    after_good = webbbs.acks()
    acks = [a for a in (after_good.msg.payload or b"").split(FS) if a]
    assert all(is_negative(a) for a in acks), "WEBBBS-X12-7: an accepting acknowledgment was filed"
    control = webbbs.control()
    bad = webbbs.submit(broken_270(webbbs.tp, control))
    assert bad.code == "Success", bad.explain()
    after_bad = webbbs.acks()
    acks = [a for a in (after_bad.msg.payload or b"").split(FS) if a]
    assert acks and all(is_negative(a) for a in acks), (
        f"WEBBBS-BATCH-9: no negative ack for a broken interchange: {after_bad.explain()}"
    )


@requirement("WEBBBS-BATCH-11")
@pytest.mark.parametrize(
    "method,form",
    [
        ("BatchResultsAckSubmitTransaction", "mtom"),
        ("BatchSubmitTransaction", "mtom"),
        ("BatchSubmitTransaction", "mime"),
    ],
)
def test_receipt_confirmation(webbbs, method, form):
    """X12_999_SubmissionRequest only logs the receipt: X12_Response_ConfirmReceiptReceived"""
    ex = webbbs.submit(b"ISA*RECEIPT CONFIRMED~", "X12_999_SubmissionRequest_005010X231A1", form=form, method=method)
    assert ex.msg is not None and ex.code == "Success", f"WEBBBS-BATCH-11: {ex.explain()}"
    assert ex.msg.payload_type == "X12_Response_ConfirmReceiptReceived", f"WEBBBS-BATCH-11: {ex.explain()}"


class BatchLifecycle(RuleBasedStateMachine):
    """Submit good and broken 270/276 batches in any order; every result and negative ack arrives once."""

    client = None

    def __init__(self) -> None:
        super().__init__()
        self.webbbs = BatchLifecycle.client
        self.expected: dict[str, set[str]] = {"271": set(), "277": set()}  # control numbers by answer
        self.rejected: set[str] = set()
        self.received: dict[str, set[str]] = {"271": set(), "277": set()}
        self.rejections_seen = 0

    @rule(kind=st.sampled_from(["270", "276"]), good=st.booleans())
    def submit(self, kind, good):
        control = self.webbbs.control()
        x12 = (x12_270 if kind == "270" else x12_276)(self.webbbs.tp, control)
        if not good:
            x12 = x12.replace(b"*0001~", b"*0002~", 1) if False else x12.replace(b"~SE*", b"~SE*9", 1)
        ptype = "X12_270_Request_005010X279A1" if kind == "270" else "X12_276_Request_005010X212"
        ex = self.webbbs.submit(x12, ptype)
        assert ex.status == 202 and ex.code == "Success", f"WEBBBS-BATCH-3: {ex.explain()}"
        (self.expected["271" if kind == "270" else "277"] if good else self.rejected).add(f"{control:09d}")

    @rule(kind=st.sampled_from(["271", "277"]))
    def poll_results(self, kind):
        for f in self.webbbs.drain_results(f"X12_005010_Request_Batch_Results_{kind}"):
            control = segments(f)[0][13]
            assert control not in self.received[kind], f"WEBBBS-BATCH-7: result {control} delivered twice"
            self.received[kind].add(control)

    @rule()
    def poll_acks(self):
        ex = self.webbbs.acks()
        assert ex.msg is not None and ex.code in ("Success", "FilesPending"), ex.explain()
        for ack in (ex.msg.payload or b"").split(FS):
            if ack:
                assert is_negative(ack), "WEBBBS-X12-7: an accepting acknowledgment"
                self.rejections_seen += 1

    @invariant()
    def only_submitted_results(self):
        for kind in ("271", "277"):
            stray = self.received[kind] - self.expected[kind]
            assert not stray, f"WEBBBS-BATCH-7: results {sorted(stray)} answer no accepted interchange"

    def teardown(self):
        for kind in ("271", "277"):
            self.poll_results(kind)
            missing = self.expected[kind] - self.received[kind]
            assert not missing, f"WEBBBS-BATCH-7: no {kind} for {sorted(missing)}"


@requirement("WEBBBS-BATCH-3", "WEBBBS-BATCH-7", "WEBBBS-X12-7")
def test_batch_lifecycle(webbbs):
    """Hypothesis state machine: submit, poll acks, poll results through FilesPending"""
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    for kind in ("271", "277"):
        webbbs.drain_results(f"X12_005010_Request_Batch_Results_{kind}")
    BatchLifecycle.client = webbbs
    run_state_machine_as_test(BatchLifecycle, settings=settings(max_examples=3, stateful_step_count=6, deadline=None))
