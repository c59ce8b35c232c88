"""Every case the planner refuses: Pleo's failureReasonType and a message naming the fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner import PlanFailure, plan_item
from integrations.exports.planner.journal import JournalBuilder
from integrations.exports.planner.types import AccountUse, PlanError
from integrations.pleo.enums import EXPORT_ITEM_FAILURE_REASON_TYPES
from tests.exports.planner_factories import demo_config, item, line, tax


@dataclass
class Failing:
    id: str
    kwargs: dict[str, Any]
    reason: str
    message: str
    config: dict[str, Any] = field(default_factory=dict)
    fix: FixTarget | None = None  # the setup page and field that fix it


INVOICES = "Invoices are not exported by this integration: book this invoice in Visma.net "
INVOICES += "directly and mark it as exported in Pleo"

UNKNOWN_TAX_CODE_99 = (
    "Tax code '99' on this expense does not exist in Visma.net: choose another tax code on the "
    "expense in Pleo, or create the VAT category in Visma.net and sync tax codes on the Master "
    "data sync page"
)

FAILURES = [
    Failing("invoice", dict(type="invoice"), "validation_failure", INVOICES),
    Failing("invoice_payment", dict(type="invoice_payment"), "validation_failure", INVOICES),
    Failing("card_invoice", dict(type="card_invoice"), "validation_failure", INVOICES),
    Failing(
        "unknown type",
        dict(type="balance_amendment"),
        "validation_failure",
        "Pleo expense type 'balance_amendment' is not supported by this integration",
    ),
    Failing(
        "no wallet account for the currency",
        dict(lines=[line("100.00", currency="SEK")], currency="SEK"),
        "missing_configuration",
        "No Pleo Wallet account for SEK: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_SEK"),
    ),
    Failing(
        "no wallet account for a refund",
        dict(type="refund"),
        "missing_configuration",
        "No Pleo Wallet account for NOK: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
        config=dict(wallet_accounts={"ISK": "1926"}),
    ),
    Failing(
        "no wallet account for a top-up",
        dict(type="wallet_topup", lines=[line("100.00", "bank")]),
        "missing_configuration",
        "No Pleo Wallet account for NOK: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
        config=dict(wallet_accounts={}),
    ),
    Failing(
        "no wallet account for a reimbursement",
        dict(type="direct_reimbursement", lines=[line("100.00", None)]),
        "missing_configuration",
        "No Pleo Wallet account for NOK: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
        config=dict(wallet_accounts={}),
    ),
    *[
        Failing(
            f"no out-of-pocket account: {kind}",
            dict(type=kind, lines=[line("100.00", "per-diem")]),
            "missing_configuration",
            "No out-of-pocket account for employee expenses: set it on the Accounts page",
            fix=FixTarget(FixPage.ACCOUNTS, "out_of_pocket_account"),
            config=dict(out_of_pocket_account=None),
        )
        for kind in ("out_of_pocket", "mileage", "per_diem", "external_reimbursement")
    ],
    Failing(
        "no tax account while the line has VAT",
        dict(),
        "missing_configuration",
        "No tax account for input VAT: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "tax_account"),
        config=dict(tax_account=None),
    ),
    Failing(
        "no output VAT account for reverse charge",
        dict(lines=[line("700.00", tax_=tax("86", "0.25", type="reverse"))]),
        "missing_configuration",
        "No output VAT account for reverse-charge VAT: set it on the Accounts page",
        fix=FixTarget(FixPage.ACCOUNTS, "output_vat_account"),
        config=dict(output_vat_account=None),
    ),
    Failing(
        "category not mapped and not a Visma account",
        dict(lines=[line("100.00", "software")]),
        "account_unknown",
        "Category 'Software' has no Visma account: map it on the Categories page",
        fix=FixTarget(FixPage.CATEGORIES, "account_cat-software"),
    ),
    Failing(
        "line without a category",
        dict(lines=[line("100.00", None)]),
        "account_unknown",
        "Category is missing on this expense: choose one in Pleo and export again",
        fix=FixTarget(FixPage.CATEGORIES),
    ),
    Failing(
        "top-up without a source account",
        dict(type="wallet_topup", lines=[line("100.00", None)]),
        "account_unknown",
        "Account is missing on this expense: choose one in Pleo and export again",
        fix=FixTarget(FixPage.CATEGORIES),
    ),
    Failing(
        "external reimbursement from an unmapped contra account",
        dict(
            type="external_reimbursement",
            lines=[line("100.00", None)],
            contra={"id": "x", "name": "Savings", "code": "1999"},
        ),
        "account_unknown",
        "Contra account 'Savings' has no Visma account: map it on the Categories page",
        fix=FixTarget(FixPage.CATEGORIES, "account_x"),
    ),
    Failing(
        "unknown tax code and no default VAT category",
        dict(lines=[line("100.00", "personal", tax_=tax("99", "0.25"))]),
        "tax_code_unknown",
        UNKNOWN_TAX_CODE_99,
        fix=FixTarget(FixPage.SYNC),
    ),
    Failing(
        "unknown tax code on a category with a default VAT category: the code chosen stands",
        dict(lines=[line("250.00", "office", tax_=tax("99", "0.10", amount="22.73"))]),
        "tax_code_unknown",
        UNKNOWN_TAX_CODE_99,
        fix=FixTarget(FixPage.SYNC),
    ),
    Failing(
        "default VAT category unknown and nothing to compute from",
        dict(lines=[line("100.00", "office")]),
        "tax_code_unknown",
        "VAT category '1' (the default VAT category of category 'Office supplies') does not "
        "exist in Visma.net: choose another default VAT category for category 'Office "
        "supplies' on the Categories page",
        fix=FixTarget(FixPage.CATEGORIES, "vat_cat-office"),
        config=dict(vat_rates={}),
    ),
    Failing(
        "tag value unknown in Visma",
        dict(lines=[line("100.00", tags={"DEPARTMENT": "99"})]),
        "tag_unknown",
        "Tag '99' of group 'DEPARTMENT' does not exist in Visma.net (segment 1): sync tags on "
        "the Tags page or correct the tag in Pleo",
        fix=FixTarget(FixPage.TAGS, "synced_1"),
    ),
    Failing(
        "segment without tag and without default",
        dict(lines=[line("100.00", "fees")]),
        "missing_configuration",
        "Subaccount segment 2 has no tag on this expense and no default value: choose a "
        "default value on the Tags page",
        fix=FixTarget(FixPage.TAGS, "default_2"),
        config=dict(segment_defaults={1: "00"}),
    ),
    Failing(
        "lines do not add up to the amount",
        dict(lines=[line("100.00", "fees")], total="100.05"),
        "validation_failure",
        "The lines of this expense add up to NOK 100.00 but the expense amount is NOK 100.05: "
        "correct the split in Pleo",
    ),
    Failing(
        "zero amount",
        dict(lines=[line("0.00", "fees")]),
        "validation_failure",
        "The expense amount is zero: there is nothing to book",
    ),
    Failing(
        "line in another currency than the wallet",
        dict(lines=[line("100.00", "fees", currency="SEK")], total="100.00"),
        "validation_failure",
        "Line line-100.00-fees is in SEK but the expense was paid in NOK: correct the "
        "expense in Pleo",
    ),
]


@pytest.mark.parametrize("case", FAILURES, ids=[f.id for f in FAILURES])
def test_failures(case: Failing) -> None:
    result = plan_item(item(**case.kwargs), demo_config(**case.config))

    assert result == PlanFailure(case.reason, case.message, case.fix)
    assert case.reason in EXPORT_ITEM_FAILURE_REASON_TYPES


def test_an_unbalanced_journal_is_refused_as_unexpected() -> None:
    builder = JournalBuilder(reference="PLEO-1", description="x", currency="NOK")
    wallet = AccountUse(
        "1925", "the Pleo Wallet account for NOK", FixTarget(FixPage.ACCOUNTS, "wallet_NOK")
    )
    expense = AccountUse(
        "6540", "category 'Equipment'", FixTarget(FixPage.CATEGORIES, "account_cat-equipment")
    )
    builder.add(expense, Decimal("10.00"), debit=True)
    builder.add(wallet, Decimal("9.99"), debit=False)

    with pytest.raises(PlanError) as exc:
        builder.finish()

    assert exc.value.reason_type == "unexpected_failure"
    assert "does not balance (debit 10.00, credit 9.99)" in exc.value.message
