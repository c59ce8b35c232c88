"""Document inputs → Visma.net update DTOs (the bodies of POST and PUT).

The DtoValue convention (spec schemas `DtoValueOf*`, notes §3): every scalar is wrapped as
`{"field": {"value": x}}`, a nested object twice (`"mainAddress": {"value": {"city":
{"value": ...}}}`); line arrays, the line `operation` and the `subaccount` segment array
(`SegmentUpdateDto`) are plain. Field names are those of JournalTransactionUpdateDto,
JournalTransactionLineUpdateDto, SupplierInvoiceUpdateDto, SupplierInvoiceLineUpdateDto and
SupplierUpdateDto in the spec. Absent optional values are left out: PUT is a partial update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from integrations.core.money import quantize
from integrations.visma.types import (
    AccountInput,
    JournalTransactionInput,
    SubaccountSegment,
    SupplierInput,
    SupplierInvoiceInput,
)


def wrap(value: Any) -> dict[str, Any]:
    return {"value": value}


def money(amount: Decimal, currency: str) -> float:
    """A JSON number rounded to the currency's minor unit (2 places for most currencies).

    `DtoValueOfDecimal` is a JSON number (`format: double`); the float must read back as the
    same decimal, which holds for amounts far beyond any expense, and we check it."""
    rounded = quantize(amount, currency)
    number = float(rounded)
    if Decimal(repr(number)) != rounded:
        raise ValueError(f"{amount} {currency} cannot be sent as an exact JSON number")
    return number


def number(value: Decimal) -> float:
    """A JSON number for a non-money decimal (an exchange rate), as precise as a double."""
    return float(value)


# The spec types `DtoValueOfDateTime.value` as `format: date-time` (RFC 3339), which needs a
# zone; Visma.net's own examples send `2026-03-14T00:00:00` without one. Midnight UTC keeps the
# calendar date in every zone at or east of UTC (all Visma.net markets), so we send the
# spec's form.
DATE_SUFFIX = "T00:00:00Z"


def visma_date(value: date) -> str:
    """A document date as a `DtoValueOfDateTime` value: `2026-03-14T00:00:00Z`."""
    return f"{value.isoformat()}{DATE_SUFFIX}"


def subaccount(segments: Sequence[SubaccountSegment]) -> list[dict[str, Any]]:
    return [{"segmentId": s.segment_id, "segmentValue": s.value} for s in segments]


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        body[key] = wrap(value)


def journal_transaction_dto(jt: JournalTransactionInput) -> dict[str, Any]:
    """JournalTransactionUpdateDto for `POST /v2/journaltransaction`.

    The period goes in `financialPeriod` (YYYYMM), not `postPeriod` (MMYYYY). Each line carries
    the Pleo reference in `referenceNumber` (the planner puts it there and in the descriptions),
    so a batch whose create response was lost can be found again by `journal_transactions_find`.
    """
    body: dict[str, Any] = {
        "transactionDate": wrap(visma_date(jt.transaction_date)),
        "financialPeriod": wrap(jt.financial_period),
        "description": wrap(jt.description),
        "currencyId": wrap(jt.currency_id),
        "hold": wrap(jt.hold),
    }
    _put(body, "branch", jt.branch)
    if jt.create_vat_transaction:
        # Sent only when true: a journal without VAT goes out exactly as before.
        body["createVatTransaction"] = wrap(True)
    if jt.exchange_rate is not None:
        body["exchangeRate"] = wrap(number(jt.exchange_rate))
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(jt.lines, start=1):
        item: dict[str, Any] = {
            "operation": "Insert",
            "lineNumber": wrap(index),
            "accountNumber": wrap(line.account_number),
            "referenceNumber": wrap(line.reference_number),
            "transactionDescription": wrap(line.description),
            "debitAmountInCurrency": wrap(money(line.debit, jt.currency_id)),
            "creditAmountInCurrency": wrap(money(line.credit, jt.currency_id)),
        }
        if line.subaccount:
            item["subaccount"] = subaccount(line.subaccount)
        _put(item, "vatCodeId", line.vat_code_id)
        _put(item, "vatId", line.vat_id)
        lines.append(item)
    body["journalTransactionLines"] = lines
    return body


def supplier_invoice_dto(inv: SupplierInvoiceInput) -> dict[str, Any]:
    """SupplierInvoiceUpdateDto for `POST /v1/supplierInvoice`.

    Lines are quantity 1 at `unitCostInCurrency`; with `taxCalculationMode` Gross Visma.net
    extracts the VAT from that amount. `validateLineDetails` makes Visma.net report a bad line
    instead of silently dropping it. The Pleo reference travels in `supplierReference`.
    """
    body: dict[str, Any] = {
        "documentType": wrap(inv.document_type),
        "supplierNumber": wrap(inv.supplier_number),
        "date": wrap(visma_date(inv.date)),
        "financialPeriod": wrap(inv.financial_period),
        "supplierReference": wrap(inv.supplier_reference),
        "description": wrap(inv.description),
        "currencyId": wrap(inv.currency_id),
        "taxCalculationMode": wrap(inv.tax_calculation_mode),
        "hold": wrap(inv.hold),
        "validateLineDetails": wrap(True),
    }
    _put(body, "branchNumber", inv.branch_number)
    _put(body, "paymentMethod", inv.payment_method)
    _put(body, "cashAccount", inv.cash_account)
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(inv.lines, start=1):
        item: dict[str, Any] = {
            "operation": "Insert",
            "lineNumber": wrap(index),
            "transactionDescription": wrap(line.description),
            "quantity": wrap(1),
            "unitCostInCurrency": wrap(money(line.amount, inv.currency_id)),
            "accountNumber": wrap(line.account_number),
        }
        if line.subaccount:
            item["subaccount"] = subaccount(line.subaccount)
        _put(item, "vatCodeId", line.vat_code_id)
        _put(item, "branchNumber", inv.branch_number)
        lines.append(item)
    body["invoiceLines"] = lines
    return body


def supplier_dto(s: SupplierInput, *, for_update: bool = False) -> dict[str, Any]:
    """SupplierUpdateDto for `POST /v1/supplier` and `PUT /v1/supplier/{supplierCd}`.

    Without a number Visma.net numbers the supplier itself; with one, `overrideNumberSeries`
    lets our number win over the class's auto-numbering. On update the number is in the path
    and is not sent.
    """
    body: dict[str, Any] = {}
    if s.number and not for_update:
        body["number"] = wrap(s.number)
        body["overrideNumberSeries"] = wrap(True)
    body["name"] = wrap(s.name)
    body["status"] = wrap(s.status)
    body["supplierClassId"] = wrap(s.supplier_class_id)
    _put(body, "currencyId", s.currency_id)
    _put(body, "creditTermsId", s.credit_terms_id)
    _put(body, "paymentMethodId", s.payment_method_id)
    _put(body, "cashAccount", s.cash_account)
    _put(body, "vatZoneId", s.vat_zone_id)
    _put(body, "vatRegistrationId", s.vat_registration_id)
    _put(body, "corporateId", s.corporate_id)
    address: dict[str, Any] = {}
    _put(address, "addressLine1", s.address_line1)
    _put(address, "addressLine2", s.address_line2)
    _put(address, "postalCode", s.postal_code)
    _put(address, "city", s.city)
    _put(address, "countryId", s.country_id)
    if address:
        # DtoValueOfAddressUpdateDto: the object itself is wrapped, and each of its fields.
        body["mainAddress"] = wrap(address)
    return body


def account_dto(a: AccountInput) -> dict[str, Any]:
    """AccountUpdateDto for `POST /v1/account`: every field wrapped; an absent account class or
    currency is left out (Visma.net then uses none and the base currency)."""
    body: dict[str, Any] = {
        "accountCD": wrap(a.number),
        "description": wrap(a.description),
        "type": wrap(a.type),
        "active": wrap(True),
        "useDefaultSub": wrap(a.use_default_sub),
        "postOption": wrap(a.post_option),
    }
    _put(body, "accountClass", a.account_class or None)
    _put(body, "currency", a.currency or None)
    return body
