"""One journal per export: merging item plans, and the references and descriptions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integrations.exports.planner import (
    JournalPlan,
    MergedJournal,
    item_reference,
    merge_journal_plans,
    merged_reference,
    plan_item,
)
from integrations.exports.planner.text import (
    HEADER_DESCRIPTION_MAX,
    REFERENCE_MAX_LENGTH,
    item_description,
)
from tests.exports.planner_factories import demo_config, item, line, tax


def journal(entry_id: str, *lines: str, date: str = "2026-03-14T10:00:00Z") -> JournalPlan:
    """A card purchase with one VAT-free line per amount: len(lines) + 1 journal lines."""
    plan = plan_item(
        item(lines=[line(amount, "fees") for amount in lines], entry_id=entry_id, date=date),
        demo_config(one_journal_per_export=True),
    )
    assert isinstance(plan, JournalPlan), plan
    return plan


def summary(merged: MergedJournal) -> list[tuple[str, Decimal, Decimal, str]]:
    return [
        (x.account_number, x.debit, x.credit, owner)
        for x, owner in zip(merged.transaction.lines, merged.line_owners, strict=True)
    ]


def test_all_plans_in_one_balanced_journal_with_each_line_traceable() -> None:
    a = journal("aaaaaaaa-0000-4000-8000-000000000001", "100.00", date="2026-03-02T09:00:00Z")
    b = journal("bbbbbbbb-0000-4000-8000-000000000002", "40.00", "60.00")
    refund = plan_item(
        item("refund", lines=[line("-500.00", tax_=tax("1", "0.25", amount="-100.00"))],
             entry_id="cccccccc-0000-4000-8000-000000000003"),
        demo_config(),
    )  # fmt: skip
    assert isinstance(refund, JournalPlan)

    [merged] = merge_journal_plans([a, b, refund], max_lines=500)

    a_id, b_id, c_id = a.item_id, b.item_id, refund.item_id
    assert summary(merged) == [
        ("7770", Decimal("100.00"), 0, a_id),
        ("1925", 0, Decimal("100.00"), a_id),
        ("7770", Decimal("40.00"), 0, b_id),
        ("7770", Decimal("60.00"), 0, b_id),
        ("1925", 0, Decimal("100.00"), b_id),
        ("6540", 0, Decimal("400.00"), c_id),
        ("2710", 0, Decimal("100.00"), c_id),
        ("1925", Decimal("500.00"), 0, c_id),
    ]
    lines = merged.transaction.lines
    assert sum(x.debit for x in lines) == sum(x.credit for x in lines) == Decimal("700.00")
    # each line keeps its own item's reference
    assert [x.reference_number for x in lines] == [a.reference] * 2 + [b.reference] * 3 + [
        refund.reference
    ] * 3
    assert merged.item_ids == (a_id, b_id, c_id)
    assert merged.reference == merged_reference([a_id, b_id, c_id])
    assert merged.transaction.description == f"{merged.reference} Pleo export, 3 expenses"
    assert merged.transaction.financial_period == "202603"
    assert str(merged.transaction.transaction_date) == "2026-03-14"


def test_max_lines_splits_between_items_never_inside_one() -> None:
    a = journal("aaaaaaaa-0000-4000-8000-000000000001", "1.00")  # 2 lines
    b = journal("bbbbbbbb-0000-4000-8000-000000000002", "1.00", "2.00")  # 3 lines
    c = journal("cccccccc-0000-4000-8000-000000000003", "1.00")  # 2 lines
    big = journal("dddddddd-0000-4000-8000-000000000004", "1.00", "1.00", "1.00", "1.00", "1.00")

    merged = merge_journal_plans([a, b, c, big], max_lines=5)

    assert [m.item_ids for m in merged] == [
        (a.item_id, b.item_id),
        (c.item_id,),
        (big.item_id,),  # 6 lines: more than the limit, alone rather than split
    ]
    for m in merged:
        assert sum(x.debit for x in m.transaction.lines) == sum(
            x.credit for x in m.transaction.lines
        )
        assert len(m.line_owners) == len(m.transaction.lines)


def test_plans_of_different_periods_go_to_different_journals() -> None:
    march = journal("aaaaaaaa-0000-4000-8000-000000000001", "1.00")
    april = journal("bbbbbbbb-0000-4000-8000-000000000002", "1.00", date="2026-04-01T08:00:00Z")
    march2 = journal("cccccccc-0000-4000-8000-000000000003", "1.00")

    merged = merge_journal_plans([march, april, march2], max_lines=500)

    assert [(m.transaction.financial_period, m.item_ids) for m in merged] == [
        ("202603", (march.item_id, march2.item_id)),
        ("202604", (april.item_id,)),
    ]
    assert merged[1].transaction.description.endswith("Pleo export, 1 expense")


def test_merging_nothing_gives_nothing_and_max_lines_must_be_positive() -> None:
    assert merge_journal_plans([], max_lines=10) == []
    with pytest.raises(ValueError):
        merge_journal_plans([], max_lines=0)


def test_merged_reference_is_deterministic_and_order_sensitive() -> None:
    assert merged_reference(["a", "b"]) == merged_reference(["a", "b"])
    assert merged_reference(["a", "b"]) != merged_reference(["b", "a"])
    assert len(merged_reference(["a"])) == REFERENCE_MAX_LENGTH


# -- references and descriptions ----------------------------------------------------------


def test_item_reference_is_the_entry_id_prefix_within_the_field_length() -> None:
    assert item_reference("5954A1C2-3b4d-4e5f-8a9b-0c1d2e3f4a5b") == "PLEO-5954a1c23b"
    assert len(item_reference("5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b")) == REFERENCE_MAX_LENGTH
    odd = item_reference("not-a-uuid")
    assert odd.startswith("PLEO-") and len(odd) == REFERENCE_MAX_LENGTH
    assert odd == item_reference("not-a-uuid")
    assert odd != item_reference("not-a-uuid2")


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "Clas Ohlson \u2013 Jane Doe \u2013 Printer ink"),
        ({"note": None}, "Clas Ohlson \u2013 Jane Doe"),
        ({"user": None, "note": "  "}, "Clas Ohlson"),
        ({"supplier": None, "user": None, "note": None, "type": "per_diem"}, "per diem"),
        ({"vendor": {"name": "Clas Ohlson AS"}}, "Clas Ohlson AS \u2013 Jane Doe \u2013 Printer ink"),
    ],
)  # fmt: skip
def test_description_is_supplier_user_note(kwargs: dict[str, object], text: str) -> None:
    it = item(**kwargs)  # type: ignore[arg-type]

    assert item_description(it) == text


def test_long_notes_are_truncated_with_the_reference_kept() -> None:
    plan = plan_item(item(note="x" * 600), demo_config())

    assert isinstance(plan, JournalPlan)
    assert len(plan.transaction.description) == HEADER_DESCRIPTION_MAX
    assert plan.transaction.description.startswith(plan.reference + " Clas Ohlson")
    assert plan.transaction.description.endswith("…")
    assert all(len(x.description) <= 255 for x in plan.transaction.lines)
