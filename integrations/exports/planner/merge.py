"""One journal per export: the lines of many item plans in as few balanced transactions as fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from integrations.exports.planner.journal import assert_balanced
from integrations.exports.planner.text import header_description, merged_reference
from integrations.exports.planner.types import JournalPlan
from integrations.visma.types import JournalLineInput, JournalTransactionInput


@dataclass(frozen=True)
class MergedJournal:
    reference: str
    transaction: JournalTransactionInput
    line_owners: tuple[str, ...]  # the item id of each line, in line order
    item_ids: tuple[str, ...] = ()


def merge_journal_plans(plans: Sequence[JournalPlan], *, max_lines: int) -> list[MergedJournal]:
    """Group plans into journals of at most `max_lines` lines, never splitting an item.

    A journal has one financial period, currency and branch, so plans are grouped by those
    first (in the order they first appear); an item with more lines than `max_lines` gets a
    journal of its own. Each item's lines keep its own reference, so every line stays
    traceable to its expense in Visma.net.
    """
    if max_lines < 1:
        raise ValueError("max_lines must be at least 1")
    groups: dict[tuple[str, str, str | None], list[JournalPlan]] = {}
    for plan in plans:
        t = plan.transaction
        groups.setdefault((t.financial_period, t.currency_id, t.branch), []).append(plan)

    merged: list[MergedJournal] = []
    for group in groups.values():
        chunk: list[JournalPlan] = []
        size = 0
        for plan in group:
            count = len(plan.transaction.lines)
            if chunk and size + count > max_lines:
                merged.append(_merge(chunk))
                chunk, size = [], 0
            chunk.append(plan)
            size += count
        if chunk:
            merged.append(_merge(chunk))
    return merged


def _merge(plans: list[JournalPlan]) -> MergedJournal:
    item_ids = tuple(p.item_id for p in plans)
    reference = merged_reference(item_ids)
    lines: list[JournalLineInput] = []
    owners: list[str] = []
    for plan in plans:
        lines.extend(plan.transaction.lines)
        owners.extend(plan.item_id for _ in plan.transaction.lines)
    assert_balanced(lines)
    first = plans[0].transaction
    count = len(plans)
    text = f"Pleo export, {count} expense{'s' if count != 1 else ''}"
    transaction = replace(
        first,
        # The latest expense date keeps every line inside the (shared) financial period.
        transaction_date=max(p.transaction.transaction_date for p in plans),
        description=header_description(reference, text),
        lines=tuple(lines),
        # One VAT-carrying item makes the whole journal a VAT transaction; each line keeps the
        # VAT fields its own item gave it, so the items without VAT add plain lines.
        create_vat_transaction=any(p.transaction.create_vat_transaction for p in plans),
    )
    return MergedJournal(
        reference=reference, transaction=transaction, line_owners=tuple(owners), item_ids=item_ids
    )
