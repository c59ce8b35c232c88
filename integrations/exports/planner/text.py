"""References and descriptions written on Visma.net documents."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from integrations.pleo.types import ExportItem, Money

# The Visma.net spec (openapi-v1-20250424.json) gives no maxLength for a journal line's
# `referenceNumber`; the "Ref. no." of Visma.net's GL lines is 15 characters, so a reference
# longer than that could be cut and no longer found. We stay within 15 for every document:
# "PLEO-" + 10 hex characters. The same value goes into `supplierReference` on invoices.
REFERENCE_MAX_LENGTH = 15
REFERENCE_PREFIX = "PLEO-"
_REFERENCE_HEX = REFERENCE_MAX_LENGTH - len(REFERENCE_PREFIX)

# The spec states lengths only for supplier invoice lines ("Transaction descr. … up to 30
# characters", `SupplierInvoiceLineDto.transactionDescription`). Headers and journal lines have
# no stated limit; we keep to 255 so a long note cannot make Visma.net refuse the document.
HEADER_DESCRIPTION_MAX = 255
JOURNAL_LINE_DESCRIPTION_MAX = 255
INVOICE_LINE_DESCRIPTION_MAX = 30

_SEPARATOR = " \u2013 "  # an en dash, as DESIGN writes it
_HEX = re.compile(r"^[0-9a-f]+$")


def item_reference(accounting_entry_id: str) -> str:
    """A deterministic reference for an item, on every line and in the description.

    Pleo accounting entry ids are random (version 4) UUIDs, so their first 10 hex characters
    carry 40 random bits. Two expenses share a reference with probability n²/2⁴¹ over n
    expenses (about 0.5 % over 100,000, a company's lifetime); the reference is only used to
    find the document after a lost response, within one financial period and together with the
    amount and date, where a false match needs a collision among a few thousand documents
    (about 10⁻⁸). Ids that are not hex (never seen from Pleo) are hashed instead.
    """
    compact = accounting_entry_id.replace("-", "").lower()
    if len(compact) < _REFERENCE_HEX or not _HEX.match(compact):
        compact = hashlib.sha256(accounting_entry_id.encode()).hexdigest()
    return REFERENCE_PREFIX + compact[:_REFERENCE_HEX]


def merged_reference(item_ids: Sequence[str]) -> str:
    """A deterministic reference for a journal holding several items, from their ids in order."""
    digest = hashlib.sha256("\n".join(item_ids).encode()).hexdigest()
    return REFERENCE_PREFIX + digest[:_REFERENCE_HEX]


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def format_money(money: Money) -> str:
    # Plain digits and a decimal point: the same in every language a finance team reads.
    return f"{money.currency} {abs(money.value):f}"


def item_description(item: ExportItem) -> str:
    """Supplier, user and note joined by en dashes, skipping missing parts, with the supplier-currency amount."""
    supplier = None
    if item.vendor is not None and item.vendor.name:
        supplier = item.vendor.name
    elif item.supplier is not None and item.supplier.name:
        supplier = item.supplier.name
    user = item.user.name if item.user is not None else None
    parts = [p.strip() for p in (supplier, user, item.note) if p and p.strip()]
    text = _SEPARATOR.join(parts) or item.type.replace("_", " ")
    amount = item.amount
    if amount.in_supplier.currency != amount.in_wallet.currency:
        text += f" ({format_money(amount.in_supplier)})"
    return text


def header_description(reference: str, text: str, *, suffix: str = "") -> str:
    """The reference first, so it survives truncation and is searchable in Visma.net."""
    tail = f" {suffix}" if suffix else ""
    room = HEADER_DESCRIPTION_MAX - len(reference) - 1 - len(tail)
    return f"{reference} {truncate(text, room)}{tail}"
