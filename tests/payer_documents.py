"""The payers' own documents, for the tests that hold the spec bundles to them word for word.

The documents are not part of the repository (each feed.yaml names its document by file name):
point PAYERCERT_PAYER_DOCUMENTS at a folder holding them to run those comparisons; without it they
are skipped and say why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VARIABLE = "PAYERCERT_PAYER_DOCUMENTS"


def payer_document(name: str) -> Path | None:
    folder = os.environ.get(VARIABLE)
    path = Path(folder) / name if folder else None
    return path if path is not None and path.is_file() else None


def require_payer_document(name: str) -> Path:
    path = payer_document(name)
    if path is None:
        pytest.skip(f"the payer document {name} is not at hand (set {VARIABLE} to the folder holding it)")
    return path
