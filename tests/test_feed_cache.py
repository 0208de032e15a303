"""feed.yaml is read through a msgpack copy in the user's cache (payercert/feeds.py read_spec): the copy
says what the YAML says, a changed file is read again, and a cache that cannot be used is passed by."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from payercert.feeds import read_spec

MINIMAL = "title: T\nsource: {doc: d.txt, title: D, version: '1'}\nrequirements:\n  - {id: A-1, level: MUST, text: t, source: {section: '1'}}\n"


def _feed(tmp_path: Path, text: str) -> Path:
    """A feed.yaml of the smallest valid shape, with `text` on top."""
    path = tmp_path / "feed.yaml"
    path.write_text(text + MINIMAL, encoding="utf-8")
    return path


def test_the_cached_copy_is_the_document_and_a_change_is_read_again(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _feed(tmp_path, "id: x\ntest_data: {n: 3, ok: true, none: null}\n")
    first = read_spec(path)
    assert first == yaml.safe_load(path.read_text()) and len(list((tmp_path / "cache").rglob("feed-*"))) == 1
    assert read_spec(path) == first  # from the copy
    path.write_text("id: y\n" + MINIMAL, encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert read_spec(path)["id"] == "y"


def test_a_document_msgpack_would_change_is_never_cached(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _feed(tmp_path, "id: x\ntest_data: {go_live: 2021-06-01}\n")
    assert str(read_spec(path)["test_data"]["go_live"]) == "2021-06-01" and not list(tmp_path.rglob("feed-*"))
    assert read_spec(path) == yaml.safe_load(path.read_text())


def test_an_unusable_cache_is_passed_by(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = _feed(tmp_path, "id: z\n")
    assert read_spec(path) == yaml.safe_load(path.read_text())
