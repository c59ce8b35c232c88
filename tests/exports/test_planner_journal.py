"""Journal mode, one table row per Pleo type and case: the exact lines expected.

Rows are (account, debit, credit, VAT category, subaccount "segment1-segment2").
Demo chart: 1925 Pleo Wallet NOK, 1926 Pleo Wallet ISK, 1920 bank, 2915 out of pocket,
2710 input VAT, 2700 output VAT; VAT 1 = 25 %, 11 = 15 %, 13 = 12 %, 0, 86 reverse charge 25 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner import JournalPlan, plan_item
from tests.exports.planner_factories import (
    REFERENCE,
    demo_config,
    item,
    line,
    tax,
)

Row = tuple[str, str, str, str | None, str]
DEFAULT_SUB = "00-000"


@dataclass
class Case:
    id: str
    kwargs: dict[str, Any]
    rows: list[Row]
    config: dict[str, Any] = field(default_factory=dict)


def vat25(gross: str, vat: str | None = None, **kw: Any) -> dict[str, Any]:
    return tax("1", "0.25", amount=vat, **kw)


CASES = [
    Case(
        "card_purchase: net on the category, VAT on the tax account, gross on the wallet",
        dict(lines=[line("500.00", tags={"DEPARTMENT": "10"}, tax_=vat25("500.00", "100.00"))]),
        [
            ("6540", "400.00", "0", "1", "10-000"),
            ("2710", "100.00", "0", None, DEFAULT_SUB),
            ("1925", "0", "500.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: VAT computed from Pleo's rate when no amount is given",
        dict(lines=[line("123.45", tax_=vat25("123.45"))]),
        [
            ("6540", "98.76", "0", "1", DEFAULT_SUB),
            ("2710", "24.69", "0", None, DEFAULT_SUB),
            ("1925", "0", "123.45", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: no tax on the line, the category's default VAT category applies",
        dict(lines=[line("123.45", "office")]),
        [
            ("6800", "98.76", "0", "1", DEFAULT_SUB),
            ("2710", "24.69", "0", None, DEFAULT_SUB),
            ("1925", "0", "123.45", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: the Pleo tax code wins over the category's default VAT category",
        dict(lines=[line("224.00", "office", tax_=tax("13", "0.12"))]),
        [
            ("6800", "200.00", "0", "13", DEFAULT_SUB),
            ("2710", "24.00", "0", None, DEFAULT_SUB),
            ("1925", "0", "224.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: unmapped category whose code is a Visma account, with its VAT",
        dict(lines=[line("625.00", "phone")]),
        [
            ("6900", "500.00", "0", "1", DEFAULT_SUB),
            ("2710", "125.00", "0", None, DEFAULT_SUB),
            ("1925", "0", "625.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase split: three categories, three VAT rates, tags per line",
        dict(
            lines=[
                line("500.00", "office", tax_=vat25("500.00", "100.00"), tags={"department": "20"}),
                line(
                    "230.00",
                    "meals",
                    tax_=tax("11", "0.15", amount="30.00"),
                    tags={"PROJECT": "100", "DEPARTMENT": "30"},
                ),
                line("112.00", "travel", tax_=tax("13", "0.12"), tags={"OTHER": "X"}),
            ]
        ),
        [
            ("6800", "400.00", "0", "1", "20-000"),
            ("2710", "100.00", "0", None, DEFAULT_SUB),
            ("7350", "200.00", "0", "11", "30-100"),
            ("2710", "30.00", "0", None, DEFAULT_SUB),
            ("7140", "100.00", "0", "13", DEFAULT_SUB),
            ("2710", "12.00", "0", None, DEFAULT_SUB),
            ("1925", "0", "842.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase split: a discount line against the direction goes to the other side",
        dict(
            lines=[
                line("500.00", "office", tax_=vat25("500.00", "100.00")),
                line("-100.00", "office", tax_=vat25("-100.00", "-20.00")),
            ]
        ),
        [
            ("6800", "400.00", "0", "1", DEFAULT_SUB),
            ("2710", "100.00", "0", None, DEFAULT_SUB),
            ("6800", "0", "80.00", "1", DEFAULT_SUB),
            ("2710", "0", "20.00", None, DEFAULT_SUB),
            ("1925", "0", "400.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: lines short of the wallet amount by rounding, the last line absorbs it",
        dict(
            lines=[line("333.33", "fees"), line("333.33", "fees"), line("333.33", "fees")],
            total="1000.00",
        ),
        [
            ("7770", "333.33", "0", "0", DEFAULT_SUB),
            ("7770", "333.33", "0", "0", DEFAULT_SUB),
            ("7770", "333.34", "0", "0", DEFAULT_SUB),
            ("1925", "0", "1000.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase in EUR paid from the NOK wallet: booked in NOK",
        dict(
            lines=[
                line(
                    "862.50",
                    "office",
                    supplier="74.20",
                    supplier_currency="EUR",
                    tax_=vat25("862.50", "172.50"),
                )
            ],
            supplier_total="74.20",
            supplier_currency="EUR",
        ),
        [
            ("6800", "690.00", "0", "1", DEFAULT_SUB),
            ("2710", "172.50", "0", None, DEFAULT_SUB),
            ("1925", "0", "862.50", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase with reverse-charge VAT: gross expense, input and output VAT cancel",
        dict(
            lines=[
                line(
                    "700.00",
                    "equipment",
                    supplier="59.99",
                    supplier_currency="EUR",
                    tax_=tax("86", "0.25", type="reverse"),
                )
            ],
            supplier_total="59.99",
            supplier_currency="EUR",
        ),
        [
            ("6540", "700.00", "0", "86", DEFAULT_SUB),
            ("2710", "175.00", "0", None, DEFAULT_SUB),
            ("2700", "0", "175.00", None, DEFAULT_SUB),
            ("1925", "0", "700.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "card_purchase: reverse charge known from the VAT category, amount from Pleo",
        dict(lines=[line("400.00", "equipment", tax_=tax("86", amount="100.00"))]),
        [
            ("6540", "400.00", "0", "86", DEFAULT_SUB),
            ("2710", "100.00", "0", None, DEFAULT_SUB),
            ("2700", "0", "100.00", None, DEFAULT_SUB),
            ("1925", "0", "400.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "fee: no VAT (category 0), no VAT line",
        dict(type="fee", lines=[line("25.00", "fees")], supplier="Pleo", note=None),
        [("7770", "25.00", "0", "0", DEFAULT_SUB), ("1925", "0", "25.00", None, DEFAULT_SUB)],
    ),
    Case(
        "atm_withdrawal",
        dict(type="atm_withdrawal", lines=[line("1000.00", "fees")]),
        [("7770", "1000.00", "0", "0", DEFAULT_SUB), ("1925", "0", "1000.00", None, DEFAULT_SUB)],
    ),
    Case(
        "personal_spend: the employee owes it (category on 2915)",
        dict(type="personal_spend", lines=[line("89.00", "personal")]),
        [("2915", "89.00", "0", None, DEFAULT_SUB), ("1925", "0", "89.00", None, DEFAULT_SUB)],
    ),
    Case(
        "refund with a negative amount: reversed, absolute values",
        dict(type="refund", lines=[line("-500.00", tax_=vat25("-500.00", "-100.00"))]),
        [
            ("6540", "0", "400.00", "1", DEFAULT_SUB),
            ("2710", "0", "100.00", None, DEFAULT_SUB),
            ("1925", "500.00", "0", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "refund with a positive amount: the same lines (direction from the type)",
        dict(type="refund", lines=[line("500.00", tax_=vat25("500.00", "100.00"))]),
        [
            ("6540", "0", "400.00", "1", DEFAULT_SUB),
            ("2710", "0", "100.00", None, DEFAULT_SUB),
            ("1925", "500.00", "0", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "refund with reverse charge: everything reversed",
        dict(type="refund", lines=[line("-700.00", tax_=tax("86", "0.25", type="reverse"))]),
        [
            ("6540", "0", "700.00", "86", DEFAULT_SUB),
            ("2710", "0", "175.00", None, DEFAULT_SUB),
            ("2700", "175.00", "0", None, DEFAULT_SUB),
            ("1925", "700.00", "0", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "chargeback",
        dict(type="chargeback", lines=[line("-123.45", "office")]),
        [
            ("6800", "0", "98.76", "1", DEFAULT_SUB),
            ("2710", "0", "24.69", None, DEFAULT_SUB),
            ("1925", "123.45", "0", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "cashback",
        dict(type="cashback", lines=[line("50.00", "fees")], supplier="Pleo"),
        [("7770", "0", "50.00", "0", DEFAULT_SUB), ("1925", "50.00", "0", None, DEFAULT_SUB)],
    ),
    Case(
        "out_of_pocket: credit the out-of-pocket account",
        dict(
            type="out_of_pocket",
            lines=[
                line(
                    "345.00",
                    "meals",
                    tax_=tax("11", "0.15", amount="45.00"),
                    tags={"DEPARTMENT": "10", "PROJECT": "100"},
                )
            ],
        ),
        [
            ("7350", "300.00", "0", "11", "10-100"),
            ("2710", "45.00", "0", None, DEFAULT_SUB),
            ("2915", "0", "345.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "mileage",
        dict(type="mileage", lines=[line("403.50", "mileage")], supplier=None),
        [("7100", "403.50", "0", "0", DEFAULT_SUB), ("2915", "0", "403.50", None, DEFAULT_SUB)],
    ),
    Case(
        "per_diem",
        dict(type="per_diem", lines=[line("800.00", "per-diem")], supplier=None),
        [("7150", "800.00", "0", "0", DEFAULT_SUB), ("2915", "0", "800.00", None, DEFAULT_SUB)],
    ),
    Case(
        "external_reimbursement to the employee",
        dict(
            type="external_reimbursement",
            sub_type="reimbursement_to_employee",
            lines=[line("1148.50", None)],
        ),
        [("2915", "1148.50", "0", None, DEFAULT_SUB), ("1925", "0", "1148.50", None, DEFAULT_SUB)],
    ),
    Case(
        "external_reimbursement to the employee from the contra account given",
        dict(
            type="external_reimbursement",
            sub_type="reimbursement_to_employee",
            lines=[line("1148.50", None)],
            contra={"id": "cat-bank", "name": "Bank", "code": "1920"},
        ),
        [("2915", "1148.50", "0", None, DEFAULT_SUB), ("1920", "0", "1148.50", None, DEFAULT_SUB)],
    ),
    Case(
        "direct_reimbursement to the employee (negative amount, from the wallet)",
        dict(
            type="direct_reimbursement",
            sub_type="reimbursement_to_employee",
            lines=[line("-1148.50", None)],
        ),
        [("2915", "1148.50", "0", None, DEFAULT_SUB), ("1925", "0", "1148.50", None, DEFAULT_SUB)],
    ),
    Case(
        "direct_reimbursement without a sub type: to the employee",
        dict(type="direct_reimbursement", lines=[line("200.00", None)]),
        [("2915", "200.00", "0", None, DEFAULT_SUB), ("1925", "0", "200.00", None, DEFAULT_SUB)],
    ),
    Case(
        "direct_reimbursement to the company",
        dict(
            type="direct_reimbursement",
            sub_type="reimbursement_to_company",
            lines=[line("89.00", None)],
        ),
        [("2915", "0", "89.00", None, DEFAULT_SUB), ("1925", "89.00", "0", None, DEFAULT_SUB)],
    ),
    Case(
        "external_reimbursement to the employee, refunded by the employee",
        dict(
            type="external_reimbursement",
            sub_type="reimbursement_to_employee_refund",
            lines=[line("-89.00", None)],
        ),
        [("2915", "0", "89.00", None, DEFAULT_SUB), ("1925", "89.00", "0", None, DEFAULT_SUB)],
    ),
    Case(
        "wallet_topup: the wallet receives from the line's account",
        dict(type="wallet_topup", lines=[line("10000.00", "bank")], supplier=None, user=None),
        [
            ("1925", "10000.00", "0", None, DEFAULT_SUB),
            ("1920", "0", "10000.00", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "wallet_unload: the money goes back to the line's account",
        dict(type="wallet_unload", lines=[line("-2000.00", "bank")], supplier=None, user=None),
        [("1925", "0", "2000.00", None, DEFAULT_SUB), ("1920", "2000.00", "0", None, DEFAULT_SUB)],
    ),
    Case(
        "ISK wallet (no decimals): VAT rounded to whole krónur",
        dict(lines=[line("1499", "office", currency="ISK", tax_=tax("1", "0.25"))], currency="ISK"),
        [
            ("6800", "1199", "0", "1", DEFAULT_SUB),
            ("2710", "300", "0", None, DEFAULT_SUB),
            ("1926", "0", "1499", None, DEFAULT_SUB),
        ],
    ),
    Case(
        "a synced tag group that is not a selected segment is ignored; no segments configured",
        dict(lines=[line("100.00", "fees", tags={"DEPARTMENT": "10"})]),
        [("7770", "100.00", "0", "0", ""), ("1925", "0", "100.00", None, "")],
        config=dict(segment_ids=()),
    ),
]


def rows(plan: JournalPlan) -> list[tuple[str, Decimal, Decimal, str | None, str]]:
    return [
        (
            line.account_number,
            line.debit,
            line.credit,
            line.vat_code_id,
            "-".join(s.value for s in line.subaccount),
        )
        for line in plan.transaction.lines
    ]


def expected(case: Case) -> list[tuple[str, Decimal, Decimal, str | None, str]]:
    return [(a, Decimal(d), Decimal(c), v, s) for a, d, c, v, s in case.rows]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_journal_lines(case: Case) -> None:
    plan = plan_item(item(**case.kwargs), demo_config(**case.config))

    assert isinstance(plan, JournalPlan), plan
    assert rows(plan) == expected(case)
    lines = plan.transaction.lines
    assert sum(x.debit for x in lines) == sum(x.credit for x in lines)
    assert all(x.reference_number == REFERENCE for x in lines)
    assert all((x.debit == 0) != (x.credit == 0) for x in lines)  # one side per line


def test_isk_amounts_have_no_decimals() -> None:
    plan = plan_item(
        item(lines=[line("1499", "office", currency="ISK")], currency="ISK"), demo_config()
    )

    assert isinstance(plan, JournalPlan)
    assert plan.transaction.currency_id == "ISK"
    assert all(x.debit.as_tuple().exponent == 0 for x in plan.transaction.lines)
    assert all(x.credit.as_tuple().exponent == 0 for x in plan.transaction.lines)


def test_foreign_currency_amount_is_kept_in_the_description() -> None:
    plan = plan_item(
        item(
            lines=[line("862.50", "office", supplier="74.20", supplier_currency="EUR")],
            supplier_total="74.20",
            supplier_currency="EUR",
        ),
        demo_config(),
    )

    assert isinstance(plan, JournalPlan)
    text = "Clas Ohlson \u2013 Jane Doe \u2013 Printer ink (EUR 74.20)"
    assert plan.transaction.description == f"{REFERENCE} {text}"
    assert plan.transaction.lines[0].description == text
    assert plan.transaction.currency_id == "NOK"


def test_header_fields_come_from_the_item_and_config() -> None:
    plan = plan_item(item(date="2026-01-31T22:30:00Z"), demo_config(branch="2"))

    assert isinstance(plan, JournalPlan)
    assert plan.reference == REFERENCE
    assert plan.item_id == "5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert str(plan.transaction.transaction_date) == "2026-01-31"
    assert plan.transaction.financial_period == "202601"
    assert plan.transaction.branch == "2"
    assert plan.transaction.hold is False


def test_plan_names_the_settings_behind_its_accounts_and_segments() -> None:
    plan = plan_item(item(lines=[line("500.00", "old", tags={"DEPARTMENT": "10"})]), demo_config())

    assert isinstance(plan, JournalPlan)
    use = plan.sources.account_use("6999")
    assert use is not None and (use.what, use.fix) == (
        "category 'Old expenses'",
        FixTarget(FixPage.CATEGORIES, "account_cat-old"),
    )
    wallet = plan.sources.account_use("1925")
    assert wallet is not None and wallet.what == "the Pleo Wallet account for NOK"
    segment = plan.sources.segment_use(1, "10")
    assert segment is not None and segment.what == "tag '10' of group 'DEPARTMENT'"
    assert plan.sources.vat_source("1") == "the default VAT category of category 'Old expenses'"


def test_files_follow_the_attachment_setting() -> None:
    with_files = plan_item(item(files=2), demo_config())
    without = plan_item(item(files=2), demo_config(transfer_attachments=False))

    assert isinstance(with_files, JournalPlan) and isinstance(without, JournalPlan)
    assert [f.url for f in with_files.files] == [
        "https://files.example/0.jpg",
        "https://files.example/1.jpg",
    ]
    assert without.files == ()


def test_planning_is_deterministic() -> None:
    assert plan_item(item(), demo_config()) == plan_item(item(), demo_config())
