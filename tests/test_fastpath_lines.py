"""The block reader of validators/fastpath.py (`pieces`) gives the lines a readline loop gives, for any block
size, long lines and byte ranges included."""

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from payercert.validators import fastpath


def by_readline(data: bytes, start: int, end: int | None, max_line: int):
    fh, pos, out = io.BytesIO(data), start, []
    fh.seek(start)
    while end is None or pos < end:
        raw = fh.readline(max_line)
        if not raw:
            break
        pos += len(raw)
        if raw.endswith(b"\n"):
            out.append((raw[:-1], True))
        elif len(raw) == max_line:
            out.append((None, True))
            while True:  # the rest of the long line
                chunk = fh.readline(max_line)
                pos += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
        else:
            out.append((raw, False))
    return out


pieces = st.lists(st.sampled_from([b"a", b"bc", b"\n", b"{}", b"\n\n", b"x" * 9]), max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=pieces, block=st.integers(1, 12), max_line=st.integers(2, 12), cut=st.integers(0, 100))
def test_block_reader_matches_readline(data, block, max_line, cut):
    old = fastpath.BLOCK, fastpath.MAX_LINE
    fastpath.BLOCK, fastpath.MAX_LINE = block, max_line
    try:
        bounds = fastpath_bounds(data, cut)
        got, want = [], []
        for start, end in bounds:
            fh = io.BytesIO(data)
            fh.seek(start)
            got += lines_of(fastpath.pieces(fh, start, end))
            want += by_readline(data, start, end, max_line)
        assert got == want
        assert got == by_readline(data, 0, None, max_line)
    finally:
        fastpath.BLOCK, fastpath.MAX_LINE = old


def lines_of(pieces):
    """The pieces as lines: a run of whole lines split at its line feeds."""
    out = []
    for piece in pieces:
        if isinstance(piece, memoryview):
            out += [(line, True) for line in bytes(piece).split(b"\n")[:-1]]
        else:
            out.append(piece)
    return out


def fastpath_bounds(data: bytes, cut: int):
    """Two ranges split at the line start after `cut` (as _boundaries splits a file for --jobs)."""
    nl = data.find(b"\n", min(cut, len(data)))
    middle = len(data) if nl < 0 else nl + 1
    return [(0, middle), (middle, len(data))]
