"""Invoices for the suites: the document's Medibank example, corrected, with fresh claim ids."""

from __future__ import annotations

import copy
import json
import uuid

from payercert.feeds import load_feed

SAMPLE = load_feed("lanternpay").root / "samples" / "valid" / "doc-invoice-request-medibank.corrected.json"


def invoice(items: list[str], *, invoice_number: str | None = None, ids: list[str] | None = None) -> dict:
    base = json.loads(SAMPLE.read_text(encoding="utf-8"))
    claim = base["claims"][0]
    base["invoiceNumber"] = invoice_number or "PC-" + uuid.uuid4().hex[:10]
    base["claims"] = []
    for n, item in enumerate(items):
        c = copy.deepcopy(claim)
        c["itemCode"] = item
        c["billerClaimId"] = ids[n] if ids else "PC-" + uuid.uuid4().hex[:12]
        base["claims"].append(c)
    return base
