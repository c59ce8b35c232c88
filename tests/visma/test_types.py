from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from integrations.visma.types import (
    Account,
    ActionResult,
    Branch,
    Currency,
    Dimension,
    FinancialPeriod,
    JournalTransaction,
    Supplier,
    SupplierInvoice,
    VatCategory,
)


def test_account_parses_the_read_dto() -> None:
    account = Account.from_api(
        {
            "accountID": 512,
            "accountCD": "6540",
            "description": "Inventar",
            "type": "Expense",
            "active": True,
            "taxCategory": "1",
            "lastModifiedDateTime": "2026-01-10T09:12:00.11",
        }
    )
    assert account.number == "6540"
    assert account.account_id == 512
    assert account.tax_category == "1"
    assert account.currency is None
    assert account.last_modified == datetime(2026, 1, 10, 9, 12, 0, 110000, tzinfo=UTC)


def test_broken_account_names_the_missing_field() -> None:
    with pytest.raises(ValueError, match="Visma account: field 'accountCD' is missing"):
        Account.from_api({"accountID": 1, "description": "x"})
    with pytest.raises(ValueError, match="'accountID' must be an integer"):
        Account.from_api({"accountCD": "1000", "accountID": "abc"})
    with pytest.raises(ValueError, match="expected a JSON object"):
        Account.from_api([])  # type: ignore[arg-type]


def test_vat_category_takes_the_rate_in_force_today() -> None:
    category = VatCategory.from_api(
        {
            "vatCategoryId": "1",
            "description": "Input VAT 25%",
            "active": True,
            "vatCategoryLines": [
                {
                    "vatId": "IV25",
                    "type": "Vat",
                    "vatRates": [
                        {"vatRate": 22.0, "startDate": "2010-01-01T00:00:00"},
                        {"vatRate": 25.0, "startDate": "2020-01-01T00:00:00"},
                        {"vatRate": 27.5, "startDate": "2099-01-01T00:00:00"},
                    ],
                }
            ],
        },
        today=date(2026, 3, 14),
    )
    assert category.lines[0].rate == Decimal("25.0")
    assert category.rate == Decimal("25.0")
    assert category.reverse_charge is False


def test_supplier_flattens_referenced_entities() -> None:
    supplier = Supplier.from_api(
        {
            "internalId": 77,
            "number": "50012",
            "name": "Adobe",
            "status": "OnHold",
            "supplierClass": {"id": "1", "description": "Domestic"},
            "paymentMethod": {"id": "PLEO"},
            "vatZone": {"id": "EU"},
            "mainAddress": {"addressLine1": "Riverwalk", "city": "Dublin", "country": {"id": "IE"}},
        }
    )
    assert supplier.active is False
    assert supplier.supplier_class_id == "1"
    assert supplier.payment_method_id == "PLEO"
    assert supplier.country_id == "IE"
    assert supplier.credit_terms_id is None


@pytest.mark.parametrize("period", ["202603", "032026", "3", "03"])
def test_financial_period_id_from_any_period_format(period: str) -> None:
    fp = FinancialPeriod.from_api(
        {
            "year": 2026,
            "period": period,
            "startDate": "2026-03-01T00:00:00",
            "endDate": "2026-03-31T00:00:00",
            "active": True,
            "closedInGeneralLedger": True,
        }
    )
    assert fp.period_id == "202603"
    assert fp.start_date == date(2026, 3, 1)
    assert fp.closed_in_gl is True
    assert fp.closed_in_ap is False


def test_journal_transaction_lines_and_money_are_decimal() -> None:
    jt = JournalTransaction.from_api(
        {
            "batchNumber": "000123",
            "status": "Balanced",
            "financialPeriod": "202603",
            "transactionDate": "2026-03-14T00:00:00",
            "currencyId": "NOK",
            "journalTransactionLines": [
                {
                    "lineNumber": 1,
                    "accountNumber": "6540",
                    "debitAmountInCurrency": 500.1,
                    "creditAmountInCurrency": 0,
                    "referenceNumber": "PLEO-8f3c",
                    "transactionDescription": "Clas Ohlson",
                    "vatCode": {"id": "1"},
                    "subaccount": {"subaccountNumber": "00-10"},
                }
            ],
            "attachments": [{"id": "3f2a", "name": "r.pdf", "revision": 1}],
        }
    )
    line = jt.lines[0]
    assert line.debit == Decimal("500.1")
    assert line.credit == Decimal("0")
    assert line.vat_code_id == "1"
    assert line.subaccount == "00-10"
    assert jt.transaction_date == date(2026, 3, 14)
    assert jt.attachments[0].revision == 1
    with pytest.raises(
        ValueError, match=r"journal transaction 9: .*line: field 'accountNumber' is missing"
    ):
        JournalTransaction.from_api(
            {"batchNumber": "9", "journalTransactionLines": [{"lineNumber": 1}]}
        )


def test_supplier_invoice_and_others() -> None:
    inv = SupplierInvoice.from_api(
        {
            "documentType": "CreditAdj",
            "referenceNumber": "000045",
            "supplier": {"number": "50012"},
            "amount": 59.99,
            "branchNumber": {"number": "1"},
        }
    )
    assert (inv.supplier_number, inv.amount, inv.branch_number) == ("50012", Decimal("59.99"), "1")
    assert ActionResult.from_api({"actionId": "a", "actionResult": "Done"}).result == "Done"
    assert Currency.from_api({"id": "JPY", "decimalPrecision": 0}).decimal_precision == 0
    assert Branch.from_api({"number": "1", "currency": {"id": "NOK"}}).currency == "NOK"
    dim = Dimension.from_api(
        {
            "id": "SUBACCOUNT",
            "segments": [
                {
                    "segmentId": 1,
                    "length": 2,
                    "validate": True,
                    "segmentValues": [{"valueId": "10", "active": True}],
                }
            ],
        }
    )
    assert dim.segments[0].values[0].value_id == "10"
    with pytest.raises(ValueError, match="must be a number"):
        SupplierInvoice.from_api(
            {"documentType": "Invoice", "referenceNumber": "1", "amount": "abc"}
        )
