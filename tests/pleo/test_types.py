from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from integrations.pleo.types import (
    ChartAccount,
    ExportItem,
    ExportJob,
    ItemUpdate,
    Money,
    Subscription,
    Tag,
    TagGroup,
    TaxCode,
    Vendor,
)
from tests.pleo.pleo_fixtures import COMPANY, ENTRY, EXPORT_JOB, LINE, export_item


def test_export_item_is_parsed_with_minor_units_converted() -> None:
    item = ExportItem.from_api(export_item())

    assert item.accounting_entry_id == ENTRY
    assert item.company_id == COMPANY
    assert item.type == "card_purchase"
    assert item.date == datetime(2025, 12, 10, 15, 46, 34, tzinfo=UTC)
    assert item.amount.in_supplier == Money("EUR", Decimal("74.20"))
    assert item.amount.in_wallet == Money("NOK", Decimal("862.50"))
    (line,) = item.lines
    assert line.line_id == LINE
    assert line.net_amount is not None and line.net_amount.in_wallet.value == Decimal("690.00")
    assert line.account is not None and line.account.code == "6800"
    assert [(t.group_code, t.code) for t in line.tags] == [("DEPT", "ENG")]
    assert line.tax is not None
    assert line.tax.rate == Decimal("0.25")
    assert line.tax.type == "inclusive"
    assert line.tax.amount is not None and line.tax.amount.in_wallet.value == Decimal("172.50")
    assert (line.tax.ingoing_tax_account, line.tax.outgoing_tax_account) == ("2710", "2700")
    assert item.files[0].url.startswith("https://files.pleo.io/")
    assert item.files[0].size == 13010
    assert item.vendor is not None and item.vendor.external_id == "20045"
    assert item.supplier is not None and item.supplier.category_code == "5943"
    assert item.contra_account is not None and item.contra_account.code == "1940"
    assert item.user is not None and item.user.code == "E042"
    assert item.team is not None and item.team.name == "Engineering"
    assert item.bookkeeping_method == "journal"
    assert item.reconciliation_id == "BOOK-2025-0042"
    assert item.web_url == "https://app.pleo.io/export/59540a1e"
    assert item.raw["note"] == "Printer ink"


@pytest.mark.parametrize(
    ("currency", "minor", "expected"),
    [
        ("SEK", 89696, Decimal("896.96")),
        ("ISK", 1500, Decimal("1500")),
        ("KWD", 1234, Decimal("1.234")),
    ],
)
def test_money_uses_the_iso_exponent(currency: str, minor: int, expected: Decimal) -> None:
    assert Money.from_api({"currency": currency, "value": minor}).value == expected


def test_negative_amounts_keep_their_sign() -> None:
    assert Money.from_api({"currency": "EUR", "value": -7420}).value == Decimal("-74.20")


def test_legacy_item_without_vendor_bookkeeping_or_net_amount_parses() -> None:
    raw = export_item(vendor=None, bookkeeping=None, contraAccount=None, files=None)
    raw["accountingEntryLines"][0].pop("netAmount")
    raw["accountingEntryLines"][0]["tax"] = None

    item = ExportItem.from_api(raw)

    assert item.vendor is None and item.bookkeeping_method is None and item.files == ()
    assert item.lines[0].net_amount is None and item.lines[0].tax is None


def _broken(mutate: Any) -> str:
    raw = export_item()
    mutate(raw)
    with pytest.raises(ValueError) as info:
        ExportItem.from_api(raw)
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.pop("companyId"), "companyId"),
        (lambda r: r.update(date="10/12/2025"), "date"),
        (lambda r: r.update(accountingEntryLines=[]), "accountingEntryLines"),
        (lambda r: r["amount"]["inWalletCurrency"].pop("value"), "amount.inWalletCurrency.value"),
        (
            lambda r: r["amount"]["inWalletCurrency"].update(value=12.5),
            "amount.inWalletCurrency.value",
        ),
        (
            lambda r: r["amount"]["inSupplierCurrency"].update(currency="UNDEFINED"),
            "amount.inSupplierCurrency",
        ),
        (
            lambda r: r["accountingEntryLines"][0].pop("lineAmount"),
            "accountingEntryLines[0].lineAmount",
        ),
        (
            lambda r: r["accountingEntryLines"][0]["tax"].update(type="flat"),
            "accountingEntryLines[0].tax.type",
        ),
        (lambda r: r["accountingEntryLines"][0]["tags"][0].pop("groupCode"), "tags[0].groupCode"),
        (lambda r: r["files"][0].pop("url"), "files[0].url"),
    ],
)
def test_broken_item_raises_value_error_naming_the_field(mutate: Any, field: str) -> None:
    message = _broken(mutate)
    assert field in message
    if field != "companyId":
        assert ENTRY in message


def test_export_job_is_parsed() -> None:
    job = ExportJob.from_api(EXPORT_JOB)

    assert (job.id, job.company_id, job.status) == (EXPORT_JOB["id"], COMPANY, "pending")
    assert job.created_at == datetime(2025, 12, 10, 16, 0, tzinfo=UTC)
    assert (job.expires_in, job.number_of_items, job.vendor_based_bookkeeping) == (3600, 1, True)
    assert job.failure_reason_type is None


def test_item_update_serialises_only_what_it_has() -> None:
    ok = ItemUpdate(
        ENTRY,
        "successful",
        external_id="GL000123",
        exported_at=datetime(2025, 12, 10, 16, 5, 7, 123456, tzinfo=UTC),
    )
    failed = ItemUpdate(
        ENTRY, "failed", failure_reason_type="account_unknown", failure_reason="No account"
    )

    assert ok.to_api() == {
        "accountingEntryId": ENTRY,
        "status": "successful",
        "externalId": "GL000123",
        "exportedAt": "2025-12-10T16:05:07Z",
    }
    assert failed.to_api() == {
        "accountingEntryId": ENTRY,
        "status": "failed",
        "failureReasonType": "account_unknown",
        "failureReason": "No account",
    }


def test_reference_records_are_parsed() -> None:
    account = ChartAccount.from_api(
        {
            "id": "a1",
            "companyId": COMPANY,
            "externalId": "6800",
            "name": "Office",
            "archived": False,
            "code": "6800",
            "taxCodeExternalId": "1",
        }
    )
    tax = TaxCode.from_api(
        {
            "id": "t1",
            "companyId": COMPANY,
            "name": "Input VAT 25%",
            "rate": 0.25,
            "type": "inclusive",
            "archived": True,
            "code": "1",
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:00:00Z",
        }
    )
    group = TagGroup.from_api({"id": "g1", "code": "DEPT", "name": "Department", "archived": False})
    tag = Tag.from_api({"id": "x1", "groupId": "g1", "code": "ENG", "archived": False})
    vendor = Vendor.from_api(
        {
            "id": "v1",
            "companyId": COMPANY,
            "name": "Acme",
            "defaultCurrency": "NOK",
            "state": "DRAFT",
        }
    )
    subscription = Subscription.from_api(
        {
            "id": "s1",
            "endpointUrl": "https://app.example/hook",
            "eventTypes": ["v1.export-job.created"],
            "status": "ACTIVE",
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:00:00Z",
        }
    )

    assert (account.external_id, account.tax_code_external_id, account.archived) == (
        "6800",
        "1",
        False,
    )
    assert (tax.rate, tax.archived, tax.ingoing_tax_account) == (Decimal("0.25"), True, None)
    assert (group.code, tag.group_id, tag.name) == ("DEPT", "g1", None)
    assert (vendor.state, vendor.external_id, vendor.default_currency) == ("DRAFT", None, "NOK")
    assert subscription.event_types == ("v1.export-job.created",)


def test_reference_record_without_id_is_refused() -> None:
    with pytest.raises(ValueError, match="id is missing"):
        Vendor.from_api({"companyId": COMPANY, "name": "Acme", "state": "ACTIVE"})
