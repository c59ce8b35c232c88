"""Canned Visma.net answers shaped like the read DTOs of the official spec.

The contract tests validate each of these against the spec, so the client's parsers are tested
on data the real service may send.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from integrations.visma.types import (
    InvoiceLineInput,
    JournalLineInput,
    JournalTransactionInput,
    SubaccountSegment,
    SupplierInput,
    SupplierInvoiceInput,
)

ACCOUNT: dict[str, Any] = {
    "accountID": 512,
    "accountCD": "6540",
    "description": "Inventar",
    "type": "Expense",
    "active": True,
    "taxCategory": "1",
    "postOption": "Summary",
    "useDefaultSub": False,
    "lastModifiedDateTime": "2026-01-10T09:12:00.11Z",
    "metadata": {"totalCount": 1, "maxPageSize": 1000},
}

VAT_CATEGORY: dict[str, Any] = {
    "vatCategoryId": "1",
    "description": "Input VAT 25%",
    "active": True,
    "lastModifiedDateTime": "2025-11-01T10:00:00Z",
    "vatCategoryLines": [
        {
            "vatId": "IV25",
            "description": "Input VAT high rate",
            "type": "Vat",
            "calculateOn": "ExtractFromItemAmount",
            "vatRates": [{"vatRate": 25.0, "startDate": "2020-01-01T00:00:00Z"}],
        }
    ],
}

VAT: dict[str, Any] = {
    "vatId": "IV25",
    "vatCategoryId": "1",
    "description": "Input VAT high rate",
    "type": "Vat",
    "reverseVat": False,
    "deductibleVat": True,
    "pendingVat": False,
    "lastModifiedDateTime": "2025-11-01T10:00:00Z",
}

VAT_ZONE: dict[str, Any] = {
    "id": "EU",
    "description": "EU suppliers",
    "defaultVatCategory": "3",
    "metadata": {"totalCount": 1, "maxPageSize": 500},
}

DIMENSION: dict[str, Any] = {
    "id": "SUBACCOUNT",
    "length": 4,
    "description": "Subaccount",
    "segments": [
        {
            "segmentId": 1,
            "description": "Department",
            "length": 2,
            "validate": True,
            "isAutoNumber": False,
            "lastModified": "2025-10-01T08:00:00Z",
            "segmentValues": [
                {
                    "segmentId": 1,
                    "valueId": "10",
                    "description": "Sales",
                    "active": True,
                    "lastModified": "2025-10-01T08:00:00Z",
                },
                {"segmentId": 1, "valueId": "20", "description": "Support", "active": False},
            ],
        }
    ],
}


def supplier(number: str = "50012", *, total: int = 1) -> dict[str, Any]:
    return {
        "internalId": 77,
        "number": number,
        "name": "Adobe Systems Software Ireland Ltd",
        "status": "Active",
        "mainAddress": {
            "addressLine1": "4-6 Riverwalk",
            "postalCode": "D24",
            "city": "Dublin",
            "country": {"id": "IE", "name": "Ireland"},
        },
        "supplierClass": {"id": "1", "description": "Domestic"},
        "creditTerms": {"id": "30D", "description": "30 days"},
        "currencyId": "EUR",
        "paymentMethod": {"id": "PLEO", "description": "Pleo card"},
        "cashAccount": "1925",
        "vatRegistrationId": "IE6364992H",
        "corporateId": "6364992H",
        "vatZone": {"id": "EU", "description": "EU"},
        "lastModifiedDateTime": "2026-02-01T12:00:00Z",
        "metadata": {"totalCount": total, "maxPageSize": 500},
    }


SUPPLIER_CLASS: dict[str, Any] = {"id": "1", "description": "Domestic", "paymentMethodId": "PLEO"}

PAYMENT_METHOD: dict[str, Any] = {
    "paymentMethodID": "PLEO",
    "active": True,
    "meansOfPayment": "CreditCard",
    "description": "Pleo card",
    "useInAP": True,
}

CREDIT_TERMS_PAGE: dict[str, Any] = {
    "pageNumber": 1,
    "pageSize": 500,
    "totalCount": 1,
    "records": [{"termsId": "30D", "description": "30 days", "dueDay1": 30}],
}

CASH_ACCOUNT: dict[str, Any] = {"number": "1925", "description": "Pleo Wallet", "currency": "NOK"}

BRANCH: dict[str, Any] = {
    "branchId": 1,
    "number": "1",
    "name": "Main branch",
    "isMainBranch": True,
    "isActive": True,
    "currency": {"id": "NOK", "description": "Norwegian krone"},
}

FINANCIAL_PERIOD: dict[str, Any] = {
    "year": 2026,
    "period": "202603",
    "startDate": "2026-03-01T00:00:00Z",
    "endDate": "2026-03-31T00:00:00Z",
    "description": "March",
    "active": True,
    "closedInSupplierLedger": False,
    "closedInGeneralLedger": True,
}

CURRENCY: dict[str, Any] = {
    "id": "NOK",
    "description": "Norwegian krone",
    "symbol": "kr",
    "isBaseCurrency": True,
    "decimalPrecision": 2,
}


def jt_line(number: int, account: str, debit: float, credit: float) -> dict[str, Any]:
    return {
        "lineNumber": number,
        "accountNumber": account,
        "referenceNumber": "PLEO-8f3c",
        "debitAmount": debit,
        "debitAmountInCurrency": debit,
        "creditAmount": credit,
        "creditAmountInCurrency": credit,
        "transactionDescription": f"line {number}",
        "vatCode": {"id": "1", "description": "Input VAT 25%"},
        "subaccount": {"subaccountNumber": "10", "subaccountId": 3, "active": True},
        "module": "ModuleGL",
    }


def journal_transaction(
    batch: str = "000123", lines: list[dict[str, Any]] | None = None, *, total: int = 2
) -> dict[str, Any]:
    return {
        "module": "ModuleGL",
        "batchNumber": batch,
        "status": "Balanced",
        "hold": False,
        "transactionDate": "2026-03-14T00:00:00Z",
        "postPeriod": "032026",
        "financialPeriod": "202603",
        "currencyId": "NOK",
        "description": "Pleo 8f3c - Jane Doe",
        "branch": "1",
        "lastModifiedDateTime": "2026-03-14T10:00:00Z",
        "journalTransactionLines": lines
        if lines is not None
        else [jt_line(1, "6540", 500.1, 0), jt_line(2, "1925", 0, 500.1)],
        "attachments": [
            {"id": "0b7c6a3e-58a1-4f26-9b4e-0d0a2d9e1a11", "name": "receipt.pdf", "revision": 1}
        ],
        "metadata": {"totalCount": total, "maxPageSize": 1000},
    }


def supplier_invoice(reference: str = "000045", *, total: int = 1) -> dict[str, Any]:
    return {
        "documentType": "Invoice",
        "referenceNumber": reference,
        "status": "Balanced",
        "hold": False,
        "supplier": {"internalId": 77, "number": "50012", "name": "Adobe"},
        "supplierReference": "PLEO-8f3c",
        "description": "Adobe CC - Jane Doe",
        "amount": 59.99,
        "vatAmount": 12.0,
        "currencyId": "EUR",
        "financialPeriod": "202603",
        "postPeriod": "032026",
        "date": "2026-03-14T00:00:00Z",
        "branchNumber": {"number": "1", "name": "Main"},
        "attachments": [],
        "lastModifiedDateTime": "2026-03-14T10:00:00Z",
        "metadata": {"totalCount": total, "maxPageSize": 500},
    }


RELEASE_DONE: dict[str, Any] = {
    "actionId": "5f0e7a59-6d1e-4b4a-8f3b-7d2b9d3f9e10",
    "actionResult": "Done",
}

ATTACHMENT: dict[str, Any] = {
    "id": "0b7c6a3e-58a1-4f26-9b4e-0d0a2d9e1a11",
    "name": "receipt.pdf",
    "revision": 2,
}

JT_INPUT = JournalTransactionInput(
    transaction_date=date(2026, 3, 14),
    financial_period="202603",
    description="Pleo 8f3c - Jane Doe",
    currency_id="NOK",
    branch="1",
    lines=(
        JournalLineInput(
            account_number="6540",
            debit=Decimal("500.105"),
            credit=Decimal("0"),
            description="Clas Ohlson",
            reference_number="PLEO-8f3c",
            subaccount=(SubaccountSegment(segment_id=1, value="10"),),
            vat_code_id="1",
        ),
        JournalLineInput(
            account_number="1925",
            debit=Decimal("0"),
            credit=Decimal("500.11"),
            description="Pleo Wallet",
            reference_number="PLEO-8f3c",
        ),
    ),
)

INVOICE_INPUT = SupplierInvoiceInput(
    document_type="Invoice",
    supplier_number="50012",
    date=date(2026, 3, 14),
    financial_period="202603",
    supplier_reference="PLEO-8f3c",
    description="Adobe CC - Jane Doe",
    currency_id="EUR",
    branch_number="1",
    payment_method="PLEO",
    cash_account="1925",
    lines=(
        InvoiceLineInput(
            account_number="6540",
            amount=Decimal("59.99"),
            description="Adobe CC March",
            subaccount=(SubaccountSegment(segment_id=1, value="10"),),
            vat_code_id="1",
        ),
    ),
)

SUPPLIER_INPUT = SupplierInput(
    name="Adobe Systems Software Ireland Ltd",
    supplier_class_id="1",
    currency_id="EUR",
    payment_method_id="PLEO",
    cash_account="1925",
    vat_zone_id="EU",
    vat_registration_id="IE6364992H",
    address_line1="4-6 Riverwalk",
    city="Dublin",
    country_id="IE",
)
