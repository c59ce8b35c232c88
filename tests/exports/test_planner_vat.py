"""VAT in journals (DESIGN §5): which journals are VAT transactions and which lines carry the VAT
id (`vatId`) and the VAT category (`vatCodeId`), one journal per expense and one per export.

Rows are (account, VAT category, VAT id). Demo chart: 1925 Pleo Wallet, 2915 out of pocket,
2710 input VAT, 2700 output VAT; VAT categories 1 → IN25, 11 → IN15, 13 → IN12, 0 → NOVAT,
86 → RC25 (reverse charge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from integrations.exports.planner import JournalPlan, merge_journal_plans, plan_item
from integrations.visma.dto import journal_transaction_dto
from tests.exports.planner_factories import demo_config, item, line, tax

Row = tuple[str, str | None, str | None]


@dataclass
class Case:
    id: str
    kwargs: dict[str, Any]
    vat_transaction: bool
    rows: list[Row]


CASES = [
    Case(
        "VAT: net line with VAT id and category, VAT line with the VAT id, wallet neither",
        dict(lines=[line("500.00", tax_=tax("1", "0.25", amount="100.00"))]),
        True,
        [("6540", "1", "IN25"), ("2710", None, "IN25"), ("1925", None, None)],
    ),
    Case(
        "VAT from the category's default VAT category",
        dict(lines=[line("123.45", "office")]),
        True,
        [("6800", "1", "IN25"), ("2710", None, "IN25"), ("1925", None, None)],
    ),
    Case(
        "no VAT (category 0): unchanged, no flag and no VAT id",
        dict(type="fee", lines=[line("25.00", "fees")], supplier="Pleo"),
        False,
        [("7770", "0", None), ("1925", None, None)],
    ),
    Case(
        "no VAT category at all: unchanged",
        dict(type="personal_spend", lines=[line("89.00", "personal")]),
        False,
        [("2915", None, None), ("1925", None, None)],
    ),
    Case(
        "split: each line its own category and VAT id, a VAT-free line taxable at 0 %",
        dict(
            lines=[
                line("500.00", "office", tax_=tax("1", "0.25", amount="100.00")),
                line("230.00", "meals", tax_=tax("11", "0.15", amount="30.00")),
                line("100.00", "fees"),
            ]
        ),
        True,
        [
            ("6800", "1", "IN25"),
            ("2710", None, "IN25"),
            ("7350", "11", "IN15"),
            ("2710", None, "IN15"),
            ("7770", "0", "NOVAT"),
            ("1925", None, None),
        ],
    ),
    Case(
        "reverse charge: the reverse VAT's id on the expense and on both VAT lines",
        dict(lines=[line("700.00", "equipment", tax_=tax("86", "0.25", type="reverse"))]),
        True,
        [
            ("6540", "86", "RC25"),
            ("2710", None, "RC25"),
            ("2700", None, "RC25"),
            ("1925", None, None),
        ],
    ),
    Case(
        "refund: the same fields on the reversed lines",
        dict(type="refund", lines=[line("-500.00", tax_=tax("1", "0.25", amount="-100.00"))]),
        True,
        [("6540", "1", "IN25"), ("2710", None, "IN25"), ("1925", None, None)],
    ),
    Case(
        "refund with reverse charge",
        dict(type="refund", lines=[line("-700.00", tax_=tax("86", "0.25", type="reverse"))]),
        True,
        [
            ("6540", "86", "RC25"),
            ("2710", None, "RC25"),
            ("2700", None, "RC25"),
            ("1925", None, None),
        ],
    ),
    Case(
        "out of pocket with VAT: the out-of-pocket line neither",
        dict(type="out_of_pocket", lines=[line("345.00", "meals", tax_=tax("11", "0.15"))]),
        True,
        [("7350", "11", "IN15"), ("2710", None, "IN15"), ("2915", None, None)],
    ),
    Case(
        "reimbursement: no VAT, unchanged",
        dict(type="direct_reimbursement", lines=[line("200.00", None)]),
        False,
        [("2915", None, None), ("1925", None, None)],
    ),
]


def rows(lines: Any) -> list[Row]:
    return [(x.account_number, x.vat_code_id, x.vat_id) for x in lines]


def _plan(case: Case, entry_id: str | None = None, **config: Any) -> JournalPlan:
    kwargs = dict(case.kwargs)
    if entry_id is not None:
        kwargs["entry_id"] = entry_id
    plan = plan_item(item(**kwargs), demo_config(**config))
    assert isinstance(plan, JournalPlan), plan
    return plan


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_journal_per_expense(case: Case) -> None:
    plan = _plan(case)

    assert plan.transaction.create_vat_transaction is case.vat_transaction
    assert rows(plan.transaction.lines) == case.rows
    # What goes over the wire: the flag only on VAT transactions, the fields only where set.
    body = journal_transaction_dto(plan.transaction)
    assert ("createVatTransaction" in body) is case.vat_transaction
    if case.vat_transaction:
        assert body["createVatTransaction"] == {"value": True}
    sent = [
        (
            x["accountNumber"]["value"],
            x.get("vatCodeId", {}).get("value"),
            x.get("vatId", {}).get("value"),
        )
        for x in body["journalTransactionLines"]
    ]
    assert sent == case.rows


NO_VAT_ENTRY = "ffffffff-0000-4000-8000-00000000000f"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_journal_per_export_keeps_each_lines_fields(case: Case) -> None:
    """Merged with a VAT-free expense: the case's lines keep their VAT fields, the other
    expense's lines stay plain, and the journal is a VAT transaction when any item is one."""
    plain = plan_item(
        item("fee", lines=[line("25.00", "fees")], entry_id=NO_VAT_ENTRY),
        demo_config(one_journal_per_export=True),
    )
    assert isinstance(plain, JournalPlan)
    plan = _plan(case, one_journal_per_export=True)

    [merged] = merge_journal_plans([plain, plan], max_lines=500)

    assert merged.transaction.create_vat_transaction is case.vat_transaction
    assert rows(merged.transaction.lines) == [("7770", "0", None), ("1925", None, None), *case.rows]
    body = journal_transaction_dto(merged.transaction)
    assert ("createVatTransaction" in body) is case.vat_transaction


def test_merged_journal_of_plain_expenses_is_not_a_vat_transaction() -> None:
    plans = [
        plan_item(
            item("fee", lines=[line(amount, "fees")], entry_id=f"{n}aaaaaaa-0000-4000-8000-0000000000{n}0"),
            demo_config(one_journal_per_export=True),
        )
        for n, amount in ((1, "10.00"), (2, "20.00"))
    ]  # fmt: skip
    assert all(isinstance(p, JournalPlan) for p in plans)

    [merged] = merge_journal_plans([p for p in plans if isinstance(p, JournalPlan)], max_lines=50)

    assert merged.transaction.create_vat_transaction is False
    assert all(x.vat_id is None for x in merged.transaction.lines)


def test_category_without_purchase_vat_leaves_the_vat_id_empty() -> None:
    """The planner does not invent a VAT id; preflight names the fix (test_preflight)."""
    config = demo_config()
    rates = dict(config.vat_rates)
    rates["1"] = type(rates["1"])(rates["1"].rate, vat_id=None)
    plan = plan_item(
        item(lines=[line("500.00", tax_=tax("1", "0.25", amount="100.00"))]),
        demo_config(vat_rates=rates),
    )

    assert isinstance(plan, JournalPlan)
    assert plan.transaction.create_vat_transaction is True
    assert rows(plan.transaction.lines) == [
        ("6540", "1", None),
        ("2710", None, None),
        ("1925", None, None),
    ]
