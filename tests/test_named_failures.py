"""A failure is named by the requirement whose rule failed, not by every requirement of the test that
happened to meet it (payercert/broken.py): a LanternPay webhook whose `created` is in milliseconds
breaks LP-WH-1 wherever a test receives one; the run fails LP-WH-1 alone, and the other requirements
of the tests it stopped are not verified, not failed."""

from __future__ import annotations

from certify_runs import certify


def test_a_webhook_fault_met_by_many_tests_fails_its_own_requirement_only(tmp_path):
    result = certify(tmp_path / "reports", "--feed", "lanternpay", "--fault", "created-in-milliseconds")
    assert result.code == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.failed_requirements("lanternpay") == {"LP-WH-1"}
    rows = {r["id"]: r for r in result.feed("lanternpay")["requirements"]}
    stopped = [
        t for r in rows.values() for t in r["tests"] if t["message"].startswith("not verified: the test stopped")
    ]
    assert stopped and all("LP-WH-1" in t["message"] for t in stopped)
