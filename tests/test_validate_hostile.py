"""Hostile input to `payercert validate` gets a one-line reason and exit 2, never a crash or a hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def validate(*paths, cwd):
    return subprocess.run(
        [sys.executable, "-m", "payercert", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=50,
        stdin=subprocess.DEVNULL,
    )


def test_fifo_device_folder_and_missing_file(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")  # opening it for reading would wait for a writer forever
    (tmp_path / "zero.json").symlink_to("/dev/zero")  # reading it never ends
    (tmp_path / "folder").mkdir()
    done = validate("pipe.json", "zero.json", "folder", "missing.json", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "")
    assert done.stdout.splitlines()[:4] == [
        "unusable pipe.json: not a regular file (a FIFO, socket or device), not read",
        "unusable zero.json: not a regular file (a FIFO, socket or device), not read",
        "unusable folder: a folder, not a file",
        "unusable missing.json: no such file",
    ]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000])
def test_deep_nesting(tmp_path, text):
    (tmp_path / "deep.json").write_text(text)
    for args in (["deep.json"], ["deep.json", "--feed", "lanternpay"]):
        done = validate(*args, cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, ""), done.stderr
        assert (
            done.stdout.splitlines()[0]
            == "unusable deep.json: JSON nested deeper than the reader follows (about 1,000 levels)"
        )
