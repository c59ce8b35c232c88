"""Each rule Visma.net applies to what it receives answers 400 in Visma's error format."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.sandbox.visma.conftest import (
    Visma,
    assert_visma_error,
    invoice_body,
    journal_body,
    w,
)


def _line(body: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(body)
    line = body["journalTransactionLines"][index]
    for key, value in changes.items():
        if value is None:
            line.pop(key, None)
        else:
            line[key] = value
    return body


def _both_lines(amount: float) -> dict[str, Any]:
    body = _line(journal_body(), 0, debitAmountInCurrency=w(amount))
    return body


JOURNAL_CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("unwrapped scalar", lambda: journal_body(description="Pleo 8f3c"),
     "Field 'description' must be an object of the form"),
    ("unwrapped line field", lambda: _line(journal_body(), 0, accountNumber="6540"),
     "Line 1: Field 'accountNumber' must be an object"),
    ("wrapped line array", lambda: journal_body(
        journalTransactionLines={"value": journal_body()["journalTransactionLines"]}),
     "journalTransactionLines must be a plain array"),
    ("wrapped subaccount", lambda: _line(
        journal_body(), 0, subaccount={"value": [{"segmentId": 1, "segmentValue": "10"}]}),
     "subaccount must be a plain array"),
    ("unbalanced", lambda: _both_lines(499.99),
     "out of balance: debit 499.99 and credit 500.00 (NOK)"),
    ("unknown account", lambda: _line(journal_body(), 0, accountNumber=w("9999")),
     "Line 1: Account '9999' was not found."),
    ("inactive account", lambda: _line(journal_body(), 0, accountNumber=w("6999")),
     "Line 1: Account '6999' is inactive."),
    ("unknown VAT category", lambda: _line(journal_body(), 0, vatCodeId=w("77")),
     "Line 1: VAT category '77' was not found (vatCodeId)."),
    ("unknown segment", lambda: _line(
        journal_body(), 0, subaccount=[{"segmentId": 3, "segmentValue": "X"}]),
     "Subaccount segment 3 does not exist"),
    ("unknown segment value", lambda: _line(
        journal_body(), 0, subaccount=[{"segmentId": 1, "segmentValue": "99"}]),
     "Value '99' was not found in subaccount segment 1 (DEPARTMENT)."),
    ("inactive segment value", lambda: _line(
        journal_body(), 0, subaccount=[{"segmentId": 2, "segmentValue": "200"}]),
     "Value '200' of subaccount segment 2 (PROJECT) is inactive."),
    ("period closed in GL", lambda: journal_body(
        transactionDate=w("2026-01-14T00:00:00"), financialPeriod=w("202601")),
     "Financial period 202601 is closed in General Ledger."),
    ("nonexistent period", lambda: journal_body(financialPeriod=w("202901")),
     "Financial period 202901 does not exist."),
    ("missing transaction date", lambda: {
        k: v for k, v in journal_body().items() if k != "transactionDate"},
     "TransactionDate is required."),
    ("one line", lambda: journal_body(
        journalTransactionLines=journal_body()["journalTransactionLines"][:1]),
     "at least two lines"),
    ("line without account", lambda: _line(journal_body(), 1, accountNumber=None),
     "Line 2: AccountNumber is required."),
    ("decimals beyond the currency", lambda: _line(_line(
        journal_body(currencyId=w("ISK")), 0, debitAmountInCurrency=w(500.5)),
        1, creditAmountInCurrency=w(500.5)),
     "has more decimals than ISK allows (0)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [pytest.param(make, message, id=name) for name, make, message in JOURNAL_CASES],
)
def test_journal_rejections(visma: Visma, body: Callable[[], dict[str, Any]], message: str) -> None:
    assert_visma_error(visma.post("/v2/journaltransaction", body()), 400, message)
    assert visma.control("get", "state").json()["journalTransactions"] == []


def _invoice_without(field: str) -> dict[str, Any]:
    return {k: v for k, v in invoice_body().items() if k != field}


INVOICE_CASES: list[tuple[str, Callable[[], dict[str, Any]], str]] = [
    ("missing documentType", lambda: _invoice_without("documentType"), "DocumentType is required."),
    ("missing supplierNumber", lambda: _invoice_without("supplierNumber"),
     "SupplierNumber is required."),
    ("no lines", lambda: _invoice_without("invoiceLines"), "at least one line"),
    ("unknown supplier", lambda: invoice_body(supplierNumber=w("59999")),
     "Supplier '59999' was not found."),
    ("inactive supplier", lambda: invoice_body(supplierNumber=w("50004")),
     "Supplier '50004' is inactive."),
    ("unwrapped scalar", lambda: invoice_body(supplierReference="PLEO-1"),
     "Field 'supplierReference' must be an object"),
    ("unknown VAT category", lambda: invoice_body(invoiceLines=[
        {**invoice_body()["invoiceLines"][0], "vatCodeId": w("77")}]),
     "VAT category '77' was not found"),
    ("unknown account", lambda: invoice_body(invoiceLines=[
        {**invoice_body()["invoiceLines"][0], "accountNumber": w("1234")}]),
     "Account '1234' was not found."),
    ("nonexistent period", lambda: invoice_body(financialPeriod=w("203001")),
     "Financial period 203001 does not exist."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [pytest.param(make, message, id=name) for name, make, message in INVOICE_CASES],
)
def test_invoice_rejections(visma: Visma, body: Callable[[], dict[str, Any]], message: str) -> None:
    assert_visma_error(visma.post("/v1/supplierInvoice", body()), 400, message)
    assert visma.control("get", "state").json()["supplierInvoices"] == []


def test_invoice_in_period_closed_in_ap_only(visma: Visma) -> None:
    changed = visma.control(
        "patch", "records/financialPeriod/202604", {"closedInSupplierLedger": True}
    )
    assert changed.status_code == 200 and changed.json()["closedInSupplierLedger"] is True
    assert_visma_error(
        visma.post("/v1/supplierInvoice", invoice_body(financialPeriod=w("202604"))),
        400,
        "Financial period 202604 is closed in Supplier Ledger.",
    )
    # The same period is still open for journals (closed in AP, not in GL).
    answer = visma.post(
        "/v2/journaltransaction",
        journal_body(transactionDate=w("2026-04-02T00:00:00"), financialPeriod=w("202604")),
    )
    assert answer.status_code == 201


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"supplierClassId": w("1")}, "Name is required."),
        ({"name": w("New AS")}, "SupplierClassId is required."),
        ({"name": "New AS", "supplierClassId": w("1")}, "Field 'name' must be an object"),
        ({"name": w("New AS"), "supplierClassId": w("9")}, "supplierClassId '9' was not found."),
        (
            {"name": w("New AS"), "supplierClassId": w("1"), "number": w("50001")},
            "Supplier '50001' already exists.",
        ),
    ],
)
def test_supplier_rejections(visma: Visma, body: dict[str, Any], message: str) -> None:
    assert_visma_error(visma.post("/v1/supplier", body), 400, message)
    assert len(visma.control("get", "state").json()["suppliers"]) == 4


def test_not_json_is_rejected(visma: Visma) -> None:
    answer = visma.client.post(
        "/sandbox/visma/v2/journaltransaction",
        data=b"{nope",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {visma.token}",
    )
    assert_visma_error(answer, 400, "not valid JSON")
