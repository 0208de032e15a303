"""What `payercert validate` reads: files, folders (every file below, in name order, hidden ones
left out), glob patterns (expanded here for a shell that did not, `**` included), and `-` for
standard input (spooled to a private temporary file, so it is read as a file is)."""

from __future__ import annotations

import glob
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

STDIN = "-"
GLOB_CHARS = set("*?[")


def expand(arguments: list[Path], stack: ExitStack) -> list[tuple[Path, str]]:
    """(path to read, name to report) for every input the arguments name, in order."""
    out: list[tuple[Path, str]] = []
    for argument in arguments:
        text = str(argument)
        if text == STDIN:
            out.append((_spooled_stdin(stack), STDIN))
        elif argument.is_dir():
            out.extend((path, str(path)) for path in _walk(argument))
        elif not argument.exists() and GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True)) or [text]  # no match: reported as missing
            out.extend((Path(m), m) for m in matches)
        else:
            out.append((argument, text))
    return out


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def _spooled_stdin(stack: ExitStack) -> Path:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="payercert-stdin-")))
    path = folder / "stdin"
    with path.open("wb") as out:
        import shutil

        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return path
