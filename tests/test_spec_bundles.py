"""What every feed's spec bundle must hold, whatever the feed."""

import os
import re

import pytest
import yaml
from payer_documents import VARIABLE as PAYER_DOCUMENTS
from payer_documents import payer_document
from spec_helpers import x_requirements

from payercert.feeds import discover, load_feed

FEEDS = discover()


def test_all_five_feeds_have_a_bundle():
    assert set(FEEDS) >= {"ltss", "tpastream", "ab2d", "webbbs", "lanternpay"}


@pytest.mark.parametrize("feed_id", FEEDS)
def test_catalogue_is_well_formed(feed_id):
    feed = load_feed(feed_id)
    assert feed.requirements, f"{feed_id} has no requirement"
    raw_ids = [r["id"] for r in yaml.safe_load((feed.root / "feed.yaml").read_text(encoding="utf-8"))["requirements"]]
    assert len(raw_ids) == len(set(raw_ids)) == len(feed.requirements), f"{feed_id}: a requirement id is repeated"
    prefix = {r.split("-")[0] for r in feed.requirements}
    assert len(prefix) == 1, f"{feed_id}: requirement ids use several prefixes {prefix}"
    for req in feed.requirements.values():
        assert req.text.strip() and req.section.strip(), req.id
        assert req.applies_to in ("server", "client", "both", "manual"), req.id
        if req.reading:
            assert req.reading in feed.readings, f"{req.id} names unknown reading {req.reading}"
    for rid, reading in feed.readings.items():
        assert reading["default"] in reading["options"], f"{rid}: default is not one of its options"
    assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", feed.doc), (
        f"{feed_id}: source.doc {feed.doc!r} is no seed file name"
    )
    if os.environ.get(PAYER_DOCUMENTS):  # where the payers' documents are at hand (tests/payer_documents.py)
        assert payer_document(feed.doc) is not None, f"{feed_id}: {feed.doc} is not among the payer documents"


@pytest.mark.parametrize("feed_id", FEEDS)
def test_every_x_requirement_names_a_catalogue_id(feed_id):
    feed = load_feed(feed_id)
    documents = list(feed.root.glob("schemas/*.json")) + list(feed.root.glob("*.yaml"))
    named = set()
    for path in documents:
        text = path.read_text(encoding="utf-8")
        named |= set(x_requirements(yaml.safe_load(text)))
    assert named <= set(feed.requirements), f"{feed_id}: unknown ids {sorted(named - set(feed.requirements))}"
