"""The demo company (chart, VAT categories, segments) and Pleo export items for planner tests.

Items are built as API payloads and parsed with `ExportItem.from_api`, so amounts go through
the same minor-unit conversion as in production (ISK has no decimals).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from integrations.core.money import to_minor
from integrations.exports.planner import CategoryTarget, ExportConfig, VatInfo, VendorRef
from integrations.exports.preflight import CashAccountState, MirrorSnapshot, PeriodState
from integrations.pleo.types import ExportItem

ENTRY_ID = "5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
REFERENCE = "PLEO-5954a1c23b"

# Pleo categories: (name, code, Visma account, default VAT category)
CATEGORIES: dict[str, tuple[str, str, str | None]] = {
    "equipment": ("Equipment", "6540", "1"),
    "office": ("Office supplies", "6800", "1"),
    "phone": ("Telephone", "6900", "1"),
    "travel": ("Travel", "7140", "13"),
    "mileage": ("Mileage", "7100", "0"),
    "per-diem": ("Per diem", "7150", "0"),
    "meals": ("Meals", "7350", "11"),
    "fees": ("Bank fees", "7770", "0"),
    "personal": ("Personal spend", "2915", None),
    "old": ("Old expenses", "6999", "1"),
    "bank": ("Bank", "1920", None),
}
# Visma.net chart of the demo company: number -> default VAT category (taxCategory)
VISMA_ACCOUNTS: dict[str, str | None] = {
    "1920": None, "1925": None, "1926": None, "2700": None, "2710": None, "2915": None,
    "6540": "1", "6800": "1", "6900": "1", "6999": "1", "7100": "0", "7140": "13",
    "7150": "0", "7350": "11", "7770": "0",
}  # fmt: skip


def demo_config(**changes: Any) -> ExportConfig:
    config = ExportConfig(
        base_currency="NOK",
        branch="1",
        wallet_accounts={"NOK": "1925", "ISK": "1926"},
        out_of_pocket_account="2915",
        tax_account="2710",
        output_vat_account="2700",
        default_vendor_number="50000",
        categories={
            f"cat-{key}": CategoryTarget(account, vat)
            for key, (_, account, vat) in CATEGORIES.items()
            if key != "phone"  # unmapped on purpose: found by its code, a Visma account
        },
        segment_ids=(1, 2),
        tag_segments={"DEPARTMENT": 1, "project": 2},
        segment_defaults={1: "00", 2: "000"},
        one_journal_per_export=False,
        card_expenses_as_invoices=False,
        invoice_payment_method="PLEO",
        transfer_attachments=True,
        # The sandbox's demo company: each category holds one VAT id (`vatCategoryLines`).
        vat_rates={
            "1": VatInfo(Decimal("25"), vat_id="IN25"),
            "11": VatInfo(Decimal("15"), vat_id="IN15"),
            "13": VatInfo(Decimal("12"), vat_id="IN12"),
            "0": VatInfo(Decimal("0"), vat_id="NOVAT"),
            "86": VatInfo(Decimal("25"), reverse_charge=True, vat_id="RC25"),
        },
        vendors=(
            VendorRef("50012", code="ADOBE", vat_registration_id="IE6364992H"),
            VendorRef("50020", code="TARGET", vat_registration_id="DE 123 456 789"),
            VendorRef("50099", code="OLDCO", vat_registration_id="NO999999999MVA", active=False),
        ),
        visma_accounts=VISMA_ACCOUNTS,
        segment_values={1: {"00", "10", "20", "30"}, 2: {"000", "100", "200"}},
    )
    return replace(config, **changes)


def demo_snapshot(**changes: Any) -> MirrorSnapshot:
    accounts = {number: True for number in VISMA_ACCOUNTS}
    accounts["6999"] = False
    open_ = PeriodState(closed_in_gl=False, closed_in_ap=False, active=True)
    snapshot = MirrorSnapshot(
        accounts=accounts,
        vat_categories={"0": True, "1": True, "11": True, "13": True, "86": True, "5": False},
        segment_values={
            (1, "00"): True,
            (1, "10"): True,
            (1, "20"): True,
            (1, "30"): True,
            (2, "000"): True,
            (2, "100"): True,
            (2, "200"): False,
        },
        suppliers={"50000": True, "50012": True, "50020": True, "50099": False},
        vats={"IN25": True, "IN15": True, "IN12": True, "NOVAT": True, "RC25": True, "OLD": False},
        cash_accounts={
            "1920": CashAccountState(active=True, currency="NOK"),
            "1925": CashAccountState(active=True, currency="NOK"),
            "1926": CashAccountState(active=True, currency="ISK"),
        },
        periods={
            "202512": PeriodState(closed_in_gl=True, closed_in_ap=True, active=True),
            "202601": PeriodState(closed_in_gl=True, closed_in_ap=True, active=True),
            "202602": PeriodState(closed_in_gl=False, closed_in_ap=True, active=True),
            "202603": open_,
            "202604": open_,
            "202605": PeriodState(closed_in_gl=False, closed_in_ap=False, active=False),
        },
    )
    return replace(snapshot, **changes)


# -- export item payloads --------------------------------------------------------------------


def money(value: str | Decimal, currency: str) -> dict[str, Any]:
    return {"currency": currency, "value": to_minor(Decimal(value), currency)}


def amounts(
    wallet: str | Decimal, currency: str = "NOK", supplier: str | None = None,
    supplier_currency: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "inSupplierCurrency": money(
            supplier if supplier is not None else wallet, supplier_currency or currency
        ),
        "inWalletCurrency": money(wallet, currency),
    }


def account(category: str) -> dict[str, Any]:
    name, code, _ = CATEGORIES.get(category, (category.title(), category, None))
    return {"id": f"cat-{category}", "name": name, "code": code, "identifier": code}


def tax(
    code: str | None, rate: str | None = None, *, type: str = "inclusive",
    amount: str | None = None, currency: str = "NOK",
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": f"tax-{code}",
        "code": code,
        "rate": float(rate) if rate is not None else None,
        "type": type,
        "amount": amounts(amount, currency) if amount is not None else None,
    }


def line(
    gross: str, category: str | None = "equipment", *, currency: str = "NOK",
    tax_: dict[str, Any] | None = None, tags: dict[str, str] | None = None,
    supplier: str | None = None, supplier_currency: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "accountingEntryLineId": f"line-{gross}-{category}",
        "lineAmount": amounts(gross, currency, supplier, supplier_currency),
        "account": account(category) if category is not None else None,
        "tags": [
            {"id": f"tag-{code}", "code": code, "groupCode": group}
            for group, code in (tags or {}).items()
        ],
        "tax": tax_,
    }


def item(
    type: str = "card_purchase", lines: list[dict[str, Any]] | None = None, *,
    total: str | None = None, currency: str = "NOK", supplier_total: str | None = None,
    supplier_currency: str | None = None, sub_type: str | None = None,
    entry_id: str = ENTRY_ID, date: str = "2026-03-14T10:15:00Z",
    supplier: str | None = "Clas Ohlson", user: str | None = "Jane Doe",
    note: str | None = "Printer ink", vendor: dict[str, Any] | None = None,
    contra: dict[str, Any] | None = None, files: int = 1,
    supplier_tax_id: str | None = None, **extra: Any,
) -> ExportItem:  # fmt: skip
    lines = lines if lines is not None else [line("500.00", tax_=tax("1", "0.25", amount="100.00"))]
    if total is None:
        minor = sum(entry["lineAmount"]["inWalletCurrency"]["value"] for entry in lines)
        total = str(Decimal(minor).scaleb(-2 if currency != "ISK" else 0))
    payload: dict[str, Any] = {
        "accountingEntryId": entry_id,
        "companyId": "company-1",
        "type": type,
        "subType": sub_type,
        "date": date,
        "amount": amounts(total, currency, supplier_total, supplier_currency),
        "accountingEntryLines": lines,
        "note": note,
        "files": [
            {"url": f"https://files.example/{i}.jpg", "type": "image/jpeg", "size": 1000}
            for i in range(files)
        ],
        "supplier": (
            {"name": supplier, "country": "NO", "taxIdentifier": supplier_tax_id}
            if supplier
            else None
        ),
        "vendor": vendor,
        "user": {"id": "user-1", "name": user, "code": "E042"} if user else None,
        "contraAccount": contra,
        "additionalInformation": {"reconciliationId": "4113617"},
        "_links": {"web": {"exportItem": "https://app.pleo.io/export/x"}},
        **extra,
    }
    return ExportItem.from_api(payload)
