"""feed.yaml is checked against specs/feed.schema.json on load: every bundled feed passes, and a
mistake is reported with the file, the line and the key, never silently ignored."""

from __future__ import annotations

import pytest

from payercert.errors import ConfigError
from payercert.feeds import discover, load_feed, read_spec

LTSS = (load_feed("ltss").root / "feed.yaml").read_text(encoding="utf-8")


def test_every_bundled_feed_passes():
    assert discover(), "no feed found"
    for feed_id in discover():
        assert load_feed(feed_id).requirements


def _error(tmp_path, text: str) -> str:
    path = tmp_path / "feed.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_spec(path)
    return str(caught.value).replace(str(path), "feed.yaml")


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_misspelt_top_level_key(tmp_path):
    text = LTSS.replace("\ntimezone:", "\ntimezon:", 1)
    message = _error(tmp_path, text)
    assert message.startswith(f"feed.yaml:{_line_of(text, 'timezon:')}: timezon: unknown key (known here: "), message


def test_misspelt_requirement_key(tmp_path):
    text = LTSS.replace("applies_to:", "applies-to:", 1)
    line = _line_of(text, "applies-to:")
    message = _error(tmp_path, text)
    assert message.startswith(f"feed.yaml:{line}: requirements[0].applies-to: unknown key"), message


def test_wrong_level_names_the_value_and_the_choices(tmp_path):
    text = LTSS.replace("level: MUST", "level: MUSTN'T", 1)
    message = _error(tmp_path, text)
    line = _line_of(text, "MUSTN'T")
    assert message == f'feed.yaml:{line}: requirements[0].level: "MUSTN\'T" is not one of MUST, SHOULD, MAY', message


def test_missing_key(tmp_path):
    text = LTSS.replace("\ntitle: Maryland LTSS DDA Provider Upload API\n", "\n", 1)
    assert _error(tmp_path, text) == "feed.yaml:1: (top): 'title' is missing"


def test_unparsable_yaml(tmp_path):
    text = LTSS.replace("kinds:\n", "kinds: [\n", 1)
    assert _error(tmp_path, text).startswith("feed.yaml:"), "the line of a YAML syntax error"
    assert "not valid YAML" in _error(tmp_path, text)
