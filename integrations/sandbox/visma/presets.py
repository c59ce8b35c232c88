"""Seed data for the Visma.net sandbox: the `demo` preset and explicit records."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from integrations.sandbox.common import sandbox_reset_common
from integrations.sandbox.visma.models import (
    Account,
    AccountClass,
    Branch,
    CashAccount,
    Company,
    CreditTerm,
    Currency,
    Dimension,
    FinancialPeriod,
    PaymentMethod,
    Segment,
    SegmentValue,
    Supplier,
    SupplierClass,
    Vat,
    VatCategory,
    VatZone,
)

DEMO_TENANT = "demo-tenant"
# A second company for walking through setup from the start, and the customer's own tenant,
# which Visma Connect offers too but which holds no ERP company (its token answers 401). The
# second company has not done the preparation Pleo's help asks for (help.pleo.io 103000362409,
# "Preparation"): no Pleo Wallet or Pleo Out of pocket account and no default vendor.
SETUP_TENANT = "fjord-start-tenant"
CUSTOMER_TENANT = "demo-customer-tenant"
# (tenant id, name, type, corporate id)
DEMO_TENANTS = [
    (DEMO_TENANT, "Demo Norge AS", "Company", "912345670"),
    (SETUP_TENANT, "Fjord Start AS", "Company", "923456781"),
    (CUSTOMER_TENANT, "Demo Norge AS (customer)", "Customer", ""),
]
PRESETS = ("demo",)
# Account classes (GL202000), by the account number's first digit.
DEMO_ACCOUNT_CLASSES = {"1": "Assets", "2": "Liabilities and equity", "6": "Operating expenses",
                        "7": "Other operating expenses"}  # fmt: skip

# (number, description, type, tax category, currency, active, cash account)
DEMO_ACCOUNTS = [
    ("1920", "Bank", "Asset", "", "", True, True),
    ("1925", "Pleo Wallet NOK", "Asset", "", "", True, True),
    ("1926", "Pleo Wallet EUR", "Asset", "", "EUR", True, True),
    ("2400", "Accounts payable", "Liability", "", "", True, False),
    ("2700", "Output VAT", "Liability", "", "", True, False),
    ("2710", "Input VAT", "Liability", "", "", True, False),
    ("2915", "Pleo Out of pocket", "Liability", "", "", True, False),
    ("6540", "Equipment", "Expense", "1", "", True, False),
    ("6800", "Office supplies", "Expense", "1", "", True, False),
    ("6900", "Software and phone", "Expense", "1", "", True, False),
    ("6999", "Old expenses", "Expense", "1", "", False, False),
    ("7100", "Mileage", "Expense", "0", "", True, False),
    ("7140", "Travel", "Expense", "13", "", True, False),
    ("7150", "Per diem", "Expense", "0", "", True, False),
    ("7350", "Meals", "Expense", "11", "", True, False),
    ("7770", "Bank fees", "Expense", "0", "", True, False),
]
# (category, vat id, description, type, rate, reverse, payable account, claimable account):
# each category names its VAT in its category lines. Input VAT is claimed on 2710; the reverse
# VAT of category 86 is both claimed (2710) and owed (2700), so its net effect is zero.
DEMO_VATS = [
    ("1", "IN25", "Input VAT 25 %", "Vat", Decimal(25), False, "", "2710"),
    ("11", "IN15", "Input VAT 15 % (food)", "Vat", Decimal(15), False, "", "2710"),
    ("13", "IN12", "Input VAT 12 % (transport)", "Vat", Decimal(12), False, "", "2710"),
    ("0", "NOVAT", "No VAT", "ExemptVat", Decimal(0), False, "", ""),
    ("86", "RC25", "Reverse charge, services from abroad 25 %", "Vat", Decimal(25), True,
     "2700", "2710"),
]  # fmt: skip
DEMO_CATEGORIES = {
    "1": "Input VAT 25 %",
    "11": "Input VAT 15 %",
    "13": "Input VAT 12 %",
    "0": "No VAT",
    "86": "Reverse charge on services from abroad 25 %",
}
DEMO_SEGMENTS = [
    (1, "DEPARTMENT", 2, "00", [("00", "Default", True), ("10", "Sales", True),
                                ("20", "Engineering", True), ("30", "Administration", True)]),
    (2, "PROJECT", 3, "000", [("000", "Default", True), ("100", "Alpha", True),
                              ("200", "Beta", False)]),
]  # fmt: skip
DEMO_SUPPLIERS: list[dict[str, Any]] = [
    {"number": "50001", "name": "Pleo Default Vendor", "supplier_class_id": "1",
     "payment_method_id": "PLEO", "cash_account": "1925", "vat_zone_id": "NO",
     "currency_id": "NOK", "credit_terms_id": "0",
     "main_address": {"addressLine1": "Karl Johans gate 1", "postalCode": "0154",
                      "city": "Oslo", "countryId": "NO"}},
    {"number": "50002", "name": "CloudSoft Ltd", "supplier_class_id": "2",
     "payment_method_id": "MANUAL", "vat_zone_id": "EU", "currency_id": "EUR",
     "vat_registration_id": "IE1234567T", "credit_terms_id": "30",
     "main_address": {"addressLine1": "1 Grand Canal Square", "postalCode": "D02",
                      "city": "Dublin", "countryId": "IE"}},
    {"number": "50003", "name": "Nordisk Kontor AS", "supplier_class_id": "1",
     "payment_method_id": "MANUAL", "vat_zone_id": "NO", "currency_id": "NOK",
     "corporate_id": "912345674", "vat_registration_id": "NO912345674MVA",
     "credit_terms_id": "14",
     "main_address": {"addressLine1": "Storgata 10", "postalCode": "0155", "city": "Oslo",
                      "countryId": "NO"}},
    {"number": "50004", "name": "Old Supplier AS", "supplier_class_id": "1", "status": "Inactive",
     "payment_method_id": "MANUAL", "vat_zone_id": "NO", "currency_id": "NOK",
     "credit_terms_id": "30", "main_address": {"city": "Bergen", "countryId": "NO"}},
]  # fmt: skip
DEMO_CURRENCIES = [
    ("NOK", "Norwegian krone", "kr", True, 2),
    ("EUR", "Euro", "€", False, 2),
    ("SEK", "Swedish krona", "kr", False, 2),
    ("USD", "US dollar", "$", False, 2),
    ("ISK", "Icelandic króna", "kr", False, 0),
]
DEMO_CLOSED_GL = {"202601"}
# What the unprepared company lacks: accounts (and their cash accounts) and suppliers.
UNPREPARED_ACCOUNTS = {"1925", "1926", "2915"}
UNPREPARED_SUPPLIERS = {"50001"}


def visma_reset() -> None:
    """Empty the sandbox: every company with its data and tokens, the request log and faults."""
    Company.objects.all().delete()
    sandbox_reset_common("visma")


@transaction.atomic
def visma_seed(preset: str, *, keep_existing: bool = False) -> bool:
    """Seed a preset; False when `keep_existing` found all of it already there (nothing
    changed). With `keep_existing`, a tenant of the preset that is missing is added."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; known: {', '.join(PRESETS)}.")
    changed = False
    for tenant_id, name, tenant_type, corporate_id in DEMO_TENANTS:
        existing = Company.objects.filter(tenant_id=tenant_id).first()
        if existing is not None:
            if keep_existing:
                continue
            existing.delete()
        if tenant_type == "Company":
            _demo(tenant_id, name, corporate_id, prepared=tenant_id != SETUP_TENANT)
        else:
            Company.objects.create(tenant_id=tenant_id, name=name, tenant_type=tenant_type)
        changed = True
    return changed


def _demo(tenant_id: str, name: str, corporate_id: str, *, prepared: bool = True) -> None:
    skip_accounts = set() if prepared else UNPREPARED_ACCOUNTS
    skip_suppliers = set() if prepared else UNPREPARED_SUPPLIERS
    company = Company.objects.create(
        tenant_id=tenant_id, name=name, corporate_id=corporate_id,
        vat_registration_id=f"NO{corporate_id}MVA",
    )  # fmt: skip
    for class_id, class_description in DEMO_ACCOUNT_CLASSES.items():
        AccountClass.objects.create(
            company=company, class_id=class_id, description=class_description
        )
    for code, description, symbol, is_base, precision in DEMO_CURRENCIES:
        Currency.objects.create(
            company=company, code=code, description=description, symbol=symbol,
            is_base=is_base, decimal_precision=precision,
        )  # fmt: skip
    Branch.objects.create(
        company=company, branch_id=1, number="1", name=name, is_main=True, currency="NOK"
    )
    for index, (number, description, type_, tax, currency, active, cash) in enumerate(
        DEMO_ACCOUNTS, start=1
    ):
        if number in skip_accounts:
            continue
        Account.objects.create(
            company=company, account_id=100 + index, number=number, description=description,
            type=type_, tax_category=tax, currency=currency, active=active, cash_account=cash,
            account_class=number[0] if number[0] in DEMO_ACCOUNT_CLASSES else "",
        )  # fmt: skip
    for category_id, vat_id, description, type_, rate, reverse, payable, claimable in DEMO_VATS:
        vat = Vat.objects.create(
            company=company, vat_id=vat_id, description=description, type=type_, rate=rate,
            reverse_vat=reverse, payable_account=payable, claimable_account=claimable,
        )  # fmt: skip
        category = VatCategory.objects.create(
            company=company, category_id=category_id, description=DEMO_CATEGORIES[category_id]
        )
        category.vats.add(vat)
    for zone_id, description, default in (
        ("NO", "Domestic", "1"),
        ("EU", "EU, services bought from abroad", "86"),
        ("WORLD", "Outside the EU", "86"),
    ):
        VatZone.objects.create(
            company=company, zone_id=zone_id, description=description, default_vat_category=default
        )
    dimension = Dimension.objects.create(
        company=company, dimension_id="SUBACCOUNT", description="Subaccount"
    )
    for segment_id, description, length, default, values in DEMO_SEGMENTS:
        segment = Segment.objects.create(
            dimension=dimension, segment_id=segment_id, description=description, length=length,
            default_value=default,
        )  # fmt: skip
        for value_id, value_description, active in values:
            SegmentValue.objects.create(
                segment=segment, value_id=value_id, description=value_description, active=active
            )
    PaymentMethod.objects.create(
        company=company, method_id="PLEO", description="Pleo card", means_of_payment="CreditCard"
    )
    PaymentMethod.objects.create(
        company=company, method_id="MANUAL", description="Manual payment",
        means_of_payment="DirectDeposit",
    )  # fmt: skip
    SupplierClass.objects.create(
        company=company, class_id="1", description="Domestic", payment_method_id="MANUAL"
    )
    SupplierClass.objects.create(
        company=company, class_id="2", description="Foreign", payment_method_id="MANUAL"
    )
    for terms_id, description, days in (
        ("0", "Due immediately", 0), ("14", "14 days", 14), ("30", "30 days", 30)
    ):  # fmt: skip
        CreditTerm.objects.create(
            company=company, terms_id=terms_id, description=description, due_days=days
        )
    for number, description, currency in (
        ("1920", "Bank", "NOK"), ("1925", "Pleo Wallet NOK", "NOK"),
        ("1926", "Pleo Wallet EUR", "EUR"),
    ):  # fmt: skip
        if number in skip_accounts:
            continue
        CashAccount.objects.create(
            company=company, number=number, description=description, currency=currency
        )
    for year in (2025, 2026, 2027):
        for month in range(1, 13):
            period_id = f"{year}{month:02d}"
            FinancialPeriod.objects.create(
                company=company,
                period_id=period_id,
                year=year,
                start_date=date(year, month, 1),
                end_date=date(year, month, calendar.monthrange(year, month)[1]),
                description=calendar.month_name[month],
                closed_in_gl=period_id in DEMO_CLOSED_GL,
            )
    for offset, data in enumerate(DEMO_SUPPLIERS):
        if data["number"] in skip_suppliers:
            continue
        Supplier.objects.create(company=company, internal_id=1000 + offset, **data)
    company.next_internal_id = 1000 + len(DEMO_SUPPLIERS)
    company.save(update_fields=["next_internal_id"])
