from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from integrations.visma.dto import (
    journal_transaction_dto,
    money,
    supplier_dto,
    supplier_invoice_dto,
)
from tests.visma.payloads import INVOICE_INPUT, JT_INPUT, SUPPLIER_INPUT


def test_journal_transaction_wraps_scalars_and_keeps_lines_plain() -> None:
    body = journal_transaction_dto(JT_INPUT)

    assert body["transactionDate"] == {"value": "2026-03-14T00:00:00Z"}
    assert body["financialPeriod"] == {"value": "202603"}
    assert "postPeriod" not in body
    assert body["branch"] == {"value": "1"}
    assert body["hold"] == {"value": False}
    assert "exchangeRate" not in body
    first, second = body["journalTransactionLines"]
    assert first == {
        "operation": "Insert",
        "lineNumber": {"value": 1},
        "accountNumber": {"value": "6540"},
        "referenceNumber": {"value": "PLEO-8f3c"},
        "transactionDescription": {"value": "Clas Ohlson"},
        "debitAmountInCurrency": {"value": 500.11},
        "creditAmountInCurrency": {"value": 0.0},
        "subaccount": [{"segmentId": 1, "segmentValue": "10"}],
        "vatCodeId": {"value": "1"},
    }
    assert "subaccount" not in second
    assert "vatCodeId" not in second
    # What goes over the wire: plain JSON numbers with the cents.
    assert '"debitAmountInCurrency": {"value": 500.11}' in json.dumps(body)


def test_amounts_follow_the_currency_exponent() -> None:
    assert money(Decimal("1234.5"), "JPY") == 1235.0
    assert money(Decimal("1.2345"), "KWD") == 1.235
    with pytest.raises(ValueError, match="exact JSON number"):
        money(Decimal("123456789012345678.25"), "NOK")


def test_exchange_rate_is_sent_when_given() -> None:
    body = journal_transaction_dto(dataclasses.replace(JT_INPUT, exchange_rate=Decimal("11.4567")))
    assert body["exchangeRate"] == {"value": 11.4567}


def test_supplier_invoice_dto_uses_the_update_dto_names() -> None:
    body = supplier_invoice_dto(INVOICE_INPUT)

    assert body["documentType"] == {"value": "Invoice"}
    assert body["supplierNumber"] == {"value": "50012"}
    assert body["date"] == {"value": "2026-03-14T00:00:00Z"}
    assert body["financialPeriod"] == {"value": "202603"}
    assert body["supplierReference"] == {"value": "PLEO-8f3c"}
    assert body["taxCalculationMode"] == {"value": "Gross"}
    assert body["branchNumber"] == {"value": "1"}
    assert body["paymentMethod"] == {"value": "PLEO"}
    assert body["cashAccount"] == {"value": "1925"}
    assert body["validateLineDetails"] == {"value": True}
    assert body["invoiceLines"] == [
        {
            "operation": "Insert",
            "lineNumber": {"value": 1},
            "transactionDescription": {"value": "Adobe CC March"},
            "quantity": {"value": 1},
            "unitCostInCurrency": {"value": 59.99},
            "accountNumber": {"value": "6540"},
            "subaccount": [{"segmentId": 1, "segmentValue": "10"}],
            "vatCodeId": {"value": "1"},
            "branchNumber": {"value": "1"},
        }
    ]


def test_supplier_dto_wraps_the_address_twice_and_omits_absent_fields() -> None:
    body = supplier_dto(SUPPLIER_INPUT)

    assert body["name"] == {"value": "Adobe Systems Software Ireland Ltd"}
    assert body["status"] == {"value": "Active"}
    assert body["supplierClassId"] == {"value": "1"}
    assert body["vatZoneId"] == {"value": "EU"}
    assert body["mainAddress"] == {
        "value": {
            "addressLine1": {"value": "4-6 Riverwalk"},
            "city": {"value": "Dublin"},
            "countryId": {"value": "IE"},
        }
    }
    assert "number" not in body
    assert "corporateId" not in body
    assert "creditTermsId" not in body


def test_supplier_number_is_ours_on_create_and_in_the_path_on_update() -> None:
    numbered = dataclasses.replace(
        SUPPLIER_INPUT, number="P-1", address_line1=None, city=None, country_id=None
    )
    created = supplier_dto(numbered)
    assert created["number"] == {"value": "P-1"}
    assert created["overrideNumberSeries"] == {"value": True}
    assert "mainAddress" not in created
    updated = supplier_dto(numbered, for_update=True)
    assert "number" not in updated
    assert "overrideNumberSeries" not in updated
