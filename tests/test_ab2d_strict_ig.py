"""`payercert certify --strict-ig`: every reading with an `ig` option is checked the Bulk Data IG's way.
The AB2D simulator behaves as AB2D is built, so it must fail exactly the IG-only readings."""

from __future__ import annotations

import pytest
from certify_runs import certify

from payercert.certify import flag_readings
from payercert.errors import ConfigError
from payercert.feeds import load_feed

pytestmark = pytest.mark.timeout(300)
# AB2D's documented deviations from the IG (docs/sources/ab2d.md 0.5), each checked by a requirement under its
# reading; the empty 401 and 403 bodies are named by the rule they break (ERR-4), not by the refusals' own
DEVIATIONS = {
    "AB2D-MANIFEST-1",
    "AB2D-ERR-4",
    "AB2D-DOWNLOAD-5",
    "AB2D-CANCEL-2",
    "AB2D-CANCEL-3",
    "AB2D-ERR-3",
}


def test_ig_readings_are_every_reading_with_an_ig_option():
    """--strict-ig is AB2D's own run option (specs/ab2d/__init__.py), a flag that picks option ig."""
    readings = flag_readings(["ab2d"], {"strict-ig": None})
    feed = load_feed("ab2d")
    assert set(readings) == {rid for rid, r in feed.readings.items() if "ig" in r["options"]}
    assert "AB2D-R-TRANSACTION-TIME" in readings and "AB2D-R-TOKEN-LIFETIME" not in readings


def test_conforming_simulator_fails_the_ig_only_readings(tmp_path):
    result = certify(
        tmp_path / "reports", "--feed", "ab2d", "--target", "local", "--strict-ig", env={"PAYERCERT_EXAMPLES": "4"}
    )
    assert result.code == 1, result.stdout[-2000:] + result.stderr[-2000:]
    feed = load_feed("ab2d")
    failed = result.failed_requirements("ab2d")
    assert DEVIATIONS <= failed, f"not caught under --strict-ig: {sorted(DEVIATIONS - failed)}"
    ig_checked = {r.id for r in feed.requirements.values() if r.reading and "ig" in feed.readings[r.reading]["options"]}
    assert failed <= ig_checked, f"failed beyond the IG readings: {sorted(failed - ig_checked)}"


def test_a_feed_flag_belongs_to_a_chosen_feed():
    with pytest.raises(ConfigError, match=r"^--strict-ig is no option of ltss \(feed options: .*--strict-ig"):
        flag_readings(["ltss"], {"strict-ig": None})
    assert flag_readings(["ltss", "ab2d"], {"strict-ig": None}) == flag_readings(["ab2d"], {"strict-ig": None})
