"""Derived data kept in the user's cache (`$XDG_CACHE_HOME/payercert`, else `~/.cache/payercert`) as
msgpack: parsed feed documents, compiled line-checker programs. Every `payercert` run would otherwise
redo them before its first line. An entry is keyed by what it was derived from (paths, sizes and
modification times), so a changed source is simply a new key. A value msgpack cannot hold as it is
is never stored; a cache that cannot be read or written is passed by: it only ever saves time."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import msgspec

MISSING = object()


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "payercert"


def key_of(*sources: Path | str) -> str:
    """A key for data derived from these files (path, size, mtime) and strings."""
    parts = []
    for source in sources:
        if isinstance(source, Path):
            stat = source.stat()
            parts.append(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}")
        else:
            parts.append(source)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def load(kind: str, key: str) -> Any:
    """The stored value, or MISSING."""
    try:
        return msgspec.msgpack.decode((cache_dir() / f"{kind}-{key}.msgpack").read_bytes())
    except (OSError, msgspec.DecodeError):
        return MISSING


def store(kind: str, key: str, value: Any, same=lambda a, b: a == b) -> None:
    """Keep `value` when msgpack gives it back the same (`same`)."""
    try:
        packed = msgspec.msgpack.encode(value)
        if not same(msgspec.msgpack.decode(packed), value):
            return
        path = cache_dir() / f"{kind}-{key}.msgpack"
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when something is stored: most runs only read

        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(packed)
        os.replace(tmp.name, path)  # whole or not at all, whoever else is writing it
    except (OSError, TypeError, msgspec.EncodeError):
        pass
