"""The campaign's export items and what must become of each.

Items are the export benchmark's mix (card purchases, split purchases over two categories,
out-of-pocket expenses; one PDF receipt each, every other one tagged, VAT on every line), with
ids drawn from the seed, and one in nine a refund. One item in `PLANTED_EVERY` books on a Pleo category that has no Visma
account and is not mapped: it must fail with `account_unknown` and book nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from benchmarks.export_items import PleoCompany, export_item

PLANTED_EVERY = 23
# One item in REFUND_EVERY is a card purchase's refund (a credit note in invoice mode), sent with
# negative amounts as Pleo may send them: the type gives the direction, never the sign.
REFUND_EVERY = 9
PLANTED_REASON = "account_unknown"
UNMAPPED_ACCOUNT = {"name": "Unmapped campaign category", "code": "9990", "identifier": "9990"}


@dataclass(frozen=True)
class Expected:
    """What must be true of one item once the work has settled."""

    entry_id: str
    receipts: int
    has_vat: bool
    failure_type: str = ""  # empty: booked once, reported successful


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _negate(node: Any) -> None:
    """Every money `value` below `node` made negative."""
    if isinstance(node, dict):
        if isinstance(node.get("value"), int) and "currency" in node:
            node["value"] = -abs(node["value"])
        for child in node.values():
            _negate(child)
    elif isinstance(node, list):
        for child in node:
            _negate(child)


def campaign_item(company: PleoCompany, index: int, rng: random.Random) -> tuple[Any, Expected]:
    """Item `index` of the campaign (unique receipt name), and its expected outcome."""
    item = export_item(company, index)
    item["accountingEntryId"] = _uuid(rng)
    for line in item["accountingEntryLines"]:
        line["accountingEntryLineId"] = _uuid(rng)
    if index % REFUND_EVERY == 4 and item["type"] == "card_purchase":
        item["type"] = "refund"
        item["note"] = f"Refund {index}"
        _negate(item)
    failure = ""
    if index % PLANTED_EVERY == PLANTED_EVERY - 1:
        item["accountingEntryLines"][0]["account"] = {"id": _uuid(rng), **UNMAPPED_ACCOUNT}
        failure = PLANTED_REASON
    has_vat = any(
        (line.get("tax") or {}).get("amount", {}).get("inWalletCurrency", {}).get("value")
        for line in item["accountingEntryLines"]
    )
    expected = Expected(
        entry_id=item["accountingEntryId"],
        receipts=len(item["files"]),
        has_vat=bool(has_vat),
        failure_type=failure,
    )
    return item, expected
