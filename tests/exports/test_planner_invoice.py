"""Purchase-invoice mode: card purchases as supplier invoices, refunds as credit notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner import InvoicePlan, JournalPlan, PlanFailure, plan_item
from tests.exports.planner_factories import REFERENCE, demo_config, item, line, tax

ADOBE: dict[str, Any] = {
    "id": "v-1", "name": "Adobe", "code": "ADOBE", "externalId": "50012",
    "defaultCurrency": "EUR", "taxRegistrationNumber": "IE6364992H",
}  # fmt: skip


def invoice_config(**changes: Any) -> Any:
    return demo_config(card_expenses_as_invoices=True, **changes)


def invoice_rows(plan: InvoicePlan) -> list[tuple[str, Decimal, str | None, str]]:
    return [
        (x.account_number, x.amount, x.vat_code_id, "-".join(s.value for s in x.subaccount))
        for x in plan.invoice.lines
    ]


def test_card_purchase_becomes_a_gross_supplier_invoice_on_the_matched_vendor() -> None:
    plan = plan_item(
        item(
            lines=[
                line(
                    "700.00",
                    "equipment",
                    supplier="59.99",
                    supplier_currency="EUR",
                    tax_=tax("86", "0.25", type="reverse"),
                    tags={"DEPARTMENT": "20"},
                )
            ],
            supplier_total="59.99",
            supplier_currency="EUR",
            vendor=ADOBE,
            supplier="Adobe",
            note="Creative Cloud March",
        ),
        invoice_config(),
    )

    assert isinstance(plan, InvoicePlan), plan
    invoice = plan.invoice
    assert invoice.document_type == "Invoice"
    assert invoice.supplier_number == "50012"
    assert invoice.supplier_reference == REFERENCE
    assert invoice.payment_method == "PLEO"
    assert invoice.cash_account == "1925"
    assert invoice.tax_calculation_mode == "Gross"
    assert invoice.currency_id == "NOK"
    assert invoice.branch_number == "1"
    assert invoice.financial_period == "202603"
    assert str(invoice.date) == "2026-03-14"
    assert invoice.description == (
        f"{REFERENCE} Adobe \u2013 Jane Doe \u2013 Creative Cloud March (EUR 59.99)"
    )
    assert invoice_rows(plan) == [("6540", Decimal("700.00"), "86", "20-000")]
    assert len(invoice.lines[0].description) <= 30
    assert plan.sources.supplier == "vendor 'Adobe' (matched by vendor code ADOBE)"


def test_split_card_purchase_gives_one_gross_line_per_category() -> None:
    plan = plan_item(
        item(
            lines=[
                line("500.00", "office", tax_=tax("1", "0.25", amount="100.00")),
                line(
                    "230.00",
                    "meals",
                    tax_=tax("11", "0.15", amount="30.00"),
                    tags={"PROJECT": "100"},
                ),
            ],
            vendor=ADOBE,
        ),
        invoice_config(),
    )

    assert isinstance(plan, InvoicePlan), plan
    assert invoice_rows(plan) == [
        ("6800", Decimal("500.00"), "1", "00-000"),
        ("7350", Decimal("230.00"), "11", "00-100"),
    ]


@pytest.mark.parametrize("kind", ["refund", "chargeback"])
@pytest.mark.parametrize("sign", ["-", ""])
def test_refunds_become_credit_notes_with_positive_amounts(kind: str, sign: str) -> None:
    plan = plan_item(
        item(kind, lines=[line(f"{sign}500.00", tax_=tax("1", "0.25"))], vendor=ADOBE),
        invoice_config(),
    )

    assert isinstance(plan, InvoicePlan), plan
    assert plan.invoice.document_type == "CreditAdj"
    assert invoice_rows(plan) == [("6540", Decimal("500.00"), "1", "00-000")]


@pytest.mark.parametrize(
    ("vendor", "supplier", "expected", "how"),
    [
        pytest.param(
            {"name": "Target", "code": "target", "externalId": "99999"}, None, "50020",
            "vendor 'Target' (matched by vendor code target)", id="vendor code, any case",
        ),
        pytest.param(
            {"name": "Adobe", "code": "NOPE", "externalId": "50012"}, None, "50012",
            "vendor 'Adobe' (matched by supplier number 50012)", id="Visma supplier number",
        ),
        pytest.param(
            {"name": "Target", "taxRegistrationNumber": "DE123456789"}, None, "50020",
            "vendor 'Target' (matched by VAT registration id DE123456789)",
            id="VAT registration id, spaces ignored",
        ),
        pytest.param(
            None, {"name": "Adobe", "taxIdentifier": "IE6364992H"}, "50012",
            "vendor 'Adobe' (matched by VAT registration id IE6364992H)",
            id="legacy item: supplier tax identifier",
        ),
        pytest.param(
            {"name": "Renamed Co", "code": "OLDCO", "taxRegistrationNumber": "IE6364992H"},
            None, "50012", "vendor 'Renamed Co' (matched by VAT registration id IE6364992H)",
            id="code matches an inactive supplier, VAT id an active one: the active one",
        ),
        pytest.param(
            {"name": "Unknown shop"}, None, "50000", "the default vendor", id="no match",
        ),
    ],
)  # fmt: skip
def test_vendor_matching(
    vendor: dict[str, Any] | None, supplier: dict[str, Any] | None, expected: str, how: str
) -> None:
    if supplier is not None:
        it = item(vendor=None, supplier=supplier["name"], supplier_tax_id=supplier["taxIdentifier"])
    else:
        it = item(vendor=vendor)
    plan = plan_item(it, invoice_config())

    assert isinstance(plan, InvoicePlan), plan
    assert plan.invoice.supplier_number == expected
    assert plan.sources.supplier == how


@pytest.mark.parametrize(
    "kind", ["fee", "atm_withdrawal", "personal_spend", "cashback", "out_of_pocket", "mileage"]
)
def test_other_types_still_go_to_journals_in_invoice_mode(kind: str) -> None:
    plan = plan_item(item(kind, lines=[line("50.00", "fees")], vendor=ADOBE), invoice_config())

    assert isinstance(plan, JournalPlan), plan


def test_invoice_mode_without_payment_method_fails() -> None:
    result = plan_item(item(vendor=ADOBE), invoice_config(invoice_payment_method=None))

    assert result == PlanFailure(
        "missing_configuration",
        "No payment method for purchase invoices: choose one in Export settings",
        FixTarget(FixPage.EXPORT_SETTINGS, "invoice_payment_method"),
    )


def test_invoice_mode_without_match_or_default_vendor_fails_with_vendor_unknown() -> None:
    result = plan_item(
        item(vendor={"name": "Unknown shop"}), invoice_config(default_vendor_number=None)
    )

    assert result == PlanFailure(
        "vendor_unknown",
        "Vendor 'Unknown shop' has no active supplier in Visma.net and no default vendor is "
        "set: choose a default vendor on the Accounts page or create the supplier in Visma.net",
        FixTarget(FixPage.VENDORS),
    )


def test_invoice_mode_without_wallet_account_fails() -> None:
    result = plan_item(item(vendor=ADOBE), invoice_config(wallet_accounts={}))

    assert result == PlanFailure(
        "missing_configuration",
        "No Pleo Wallet account for NOK: set it on the Accounts page",
        FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
    )


@pytest.mark.parametrize(
    "vendor",
    [
        {"name": "Old Co", "code": "OLDCO", "taxRegistrationNumber": "NO999999999MVA"},
        {"name": "Old Co", "externalId": "50099"},
        {"name": "Old Co", "taxRegistrationNumber": "NO 999999999 MVA"},
    ],
    ids=["by vendor code", "by supplier number", "by VAT registration id"],
)
def test_vendor_matching_only_an_inactive_supplier_fails_instead_of_the_default_vendor(
    vendor: dict[str, Any],
) -> None:
    result = plan_item(item(vendor=vendor), invoice_config())

    assert isinstance(result, PlanFailure), result
    assert result.reason_type == "vendor_unknown"
    assert result.message.startswith("Vendor 'Old Co' matches supplier 50099 (by ")
    assert result.message.endswith(
        "which is inactive in Visma.net: reactivate the supplier in Visma.net or change the "
        "vendor on the expense in Pleo"
    )
