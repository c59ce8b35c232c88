"""One validation per setting, judged by the Visma.net mirror: the setup pages and the JSON API
(through the services) and the setup overview (on the stored values) call the same function, so
what can be saved is never then called broken, and the other way round.

| setting                                        | its validation                             |
|------------------------------------------------|--------------------------------------------|
| Pleo Wallet, tax, output VAT, Out-of-pocket    | `account_mapping_validate` (each account:  |
| accounts; default vendor                       | `account_problem`, `supplier_problem`)     |
| tags: synced segments and default values       | `segment_settings_validate`                |
| categories: account and default tax code       | `category_mappings_validate`               |
| export settings: payment method, Pleo Wallet   | `connections.export_settings.              |
| as cash account, journal lines, closed periods | export_settings_problems`, by the mirror's |
|                                                | lists (`setup/export_settings.py`)         |
| branch                                         | `connections.branch.branch_problem`        |
| base currency                                  | `masterdata.selectors.                     |
|                                                | base_currency_for_connection`              |
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from integrations.connections.models import Connection
from integrations.masterdata.models import (
    VismaAccount,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaVatCategory,
)

# Visma.net AccountDto.type values (openapi-subset.json, AccountDto). Money sitting in the wallet
# and VAT owed or reclaimable live on the balance sheet, never on a profit-and-loss account.
BALANCE_SHEET_TYPES = frozenset({"Asset", "Liability"})
SUBACCOUNT_DIMENSION = "SUBACCOUNT"


def is_balance_sheet(account_type: str) -> bool:
    """Bank, wallet, payables and VAT accounts: expenses are booked against them, never on them,
    so their Pleo categories need no mapping."""
    return account_type in BALANCE_SHEET_TYPES


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def currency_problem(code: str) -> str | None:
    if not _CURRENCY.match(code or ""):
        return f"{code!r} is not a currency code (three capital letters, e.g. NOK)."
    return None


def account_problem(
    *,
    connection: Connection,
    number: str,
    role: str,
    balance_sheet: bool = False,
    currency: str | None = None,
) -> str | None:
    """Why account `number` cannot serve as `role` (e.g. "the NOK wallet account"), or None."""
    account = VismaAccount.objects.filter(connection=connection, number=number).first()
    if account is None:
        return (
            f"Account {number} does not exist in Visma.net (it is not in the synced chart of "
            "accounts; sync accounts if it was created recently)."
        )
    if not account.active:
        return f"Account {number} is inactive in Visma.net and cannot be used as {role}."
    if balance_sheet and account.type and account.type not in BALANCE_SHEET_TYPES:
        return (
            f"Account {number} is an {account.type} account; {role} must be a balance-sheet "
            "account (type Asset or Liability)."
        )
    if currency and account.currency and account.currency.upper() != currency.upper():
        return (
            f"Account {number} is kept in {account.currency}; {role} must be in {currency} "
            "or have no fixed currency."
        )
    return None


def supplier_problem(*, connection: Connection, number: str) -> str | None:
    supplier = VismaSupplier.objects.filter(connection=connection, number=number).first()
    if supplier is None:
        return f"Supplier {number} does not exist in Visma.net (sync vendors if it is new)."
    if not supplier.active:
        return (
            f"Supplier {number} ({supplier.name}) is not active in Visma.net "
            f"(status {supplier.status or 'inactive'})."
        )
    return None


def vat_category_problem(*, connection: Connection, vat_category_id: str) -> str | None:
    category = VismaVatCategory.objects.filter(
        connection=connection, vat_category_id=vat_category_id
    ).first()
    if category is None:
        return f"VAT category {vat_category_id} does not exist in Visma.net."
    if not category.active:
        return f"VAT category {vat_category_id} is inactive in Visma.net."
    return None


def segment_value_problem(*, segment: VismaSegment, value_id: str) -> str | None:
    value = VismaSegmentValue.objects.filter(segment=segment, value_id=value_id).first()
    name = segment.description or f"segment {segment.segment_id}"
    if value is None:
        return f"{value_id} is not a value of {name} in Visma.net."
    if not value.active:
        return f"{value_id} is an inactive value of {name} in Visma.net."
    return None


def subaccount_segments(*, connection: Connection) -> list[VismaSegment]:
    return list(
        VismaSegment.objects.filter(
            connection=connection, dimension_id=SUBACCOUNT_DIMENSION
        ).order_by("segment_id")
    )


# -- one validation per setting -------------------------------------------------------------


@dataclass(frozen=True)
class AccountMappingInput:
    wallet_accounts: Mapping[str, str]  # wallet currency -> Visma.net account number
    tax_account: str
    out_of_pocket_account: str = ""
    output_vat_account: str = ""
    default_vendor_number: str = ""


def account_mapping_validate(
    *, connection: Connection, data: AccountMappingInput
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {
        "wallet_accounts": [],
        "tax_account": [],
        "out_of_pocket_account": [],
        "output_vat_account": [],
        "default_vendor_number": [],
    }
    if not data.wallet_accounts:
        errors["wallet_accounts"].append(
            "Give the Pleo Wallet account for at least one wallet currency."
        )
    for currency, number in data.wallet_accounts.items():
        problem = currency_problem(currency)
        if problem is None:
            if not number:
                problem = f"Choose the Pleo Wallet account for {currency}."
            else:
                problem = account_problem(
                    connection=connection,
                    number=number,
                    role=f"the {currency} Pleo Wallet account",
                    balance_sheet=True,
                    currency=currency,
                )
        if problem:
            errors["wallet_accounts"].append(f"{currency}: {problem}")
    if not data.tax_account:
        errors["tax_account"].append("Choose the tax account (the standard input VAT account).")
    checks = (
        ("tax_account", data.tax_account, "the tax account"),
        ("output_vat_account", data.output_vat_account, "the output VAT account"),
        ("out_of_pocket_account", data.out_of_pocket_account, "the Out-of-pocket account"),
    )
    for name, number, role in checks:
        if number:
            problem = account_problem(
                connection=connection, number=number, role=role, balance_sheet=True
            )
            if problem:
                errors[name].append(problem)
    if data.default_vendor_number:
        problem = supplier_problem(connection=connection, number=data.default_vendor_number)
        if problem:
            errors["default_vendor_number"].append(problem)
    return errors


@dataclass(frozen=True)
class SegmentSettingInput:
    segment_id: int  # of the SUBACCOUNT dimension
    synced: bool
    default_value: str = ""


def segment_settings_validate(
    *, connection: Connection, items: Sequence[SegmentSettingInput]
) -> dict[str, list[str]]:
    segments = {s.segment_id: s for s in subaccount_segments(connection=connection)}
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for item in items:
        key = f"segment_{item.segment_id}"
        problems = errors.setdefault(key, [])
        if item.segment_id in seen:
            problems.append(f"Segment {item.segment_id} is given twice.")
            continue
        seen.add(item.segment_id)
        segment = segments.get(item.segment_id)
        if segment is None:
            problems.append(
                f"Segment {item.segment_id} is not a segment of the {SUBACCOUNT_DIMENSION} "
                "dimension in Visma.net (sync tags if it is new)."
            )
            continue
        if item.synced and not segment.active:
            problems.append(f"Segment {segment.description} is no longer active in Visma.net.")
        if item.default_value:
            problem = segment_value_problem(segment=segment, value_id=item.default_value)
            if problem:
                problems.append(problem)
        elif item.synced:
            problems.append(
                f"Choose the default {segment.description} for expenses without a "
                f"{segment.description} tag."
            )
    return errors


@dataclass(frozen=True)
class CategoryMappingInput:
    pleo_account_id: str
    visma_account_number: str  # blank: remove the mapping
    default_vat_category: str = ""
    pleo_account_name: str = ""
    pleo_account_code: str = ""


def category_mappings_validate(
    *, connection: Connection, items: Sequence[CategoryMappingInput]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in items:
        key = f"category_{item.pleo_account_id}"
        problems = errors.setdefault(key, [])
        label = item.pleo_account_name or item.pleo_account_code or item.pleo_account_id
        if not item.pleo_account_id:
            problems.append("A Pleo category id is missing.")
            continue
        if item.pleo_account_id in seen:
            problems.append(f"Category {label} is given twice.")
            continue
        seen.add(item.pleo_account_id)
        if not item.visma_account_number:
            if item.default_vat_category:
                problems.append(f"{label}: choose the Visma.net account for the tax code too.")
            continue
        problem = account_problem(
            connection=connection,
            number=item.visma_account_number,
            role=f"the account of category {label}",
        )
        if problem:
            problems.append(f"{label}: {problem}")
        if item.default_vat_category:
            problem = vat_category_problem(
                connection=connection, vat_category_id=item.default_vat_category
            )
            if problem:
                problems.append(f"{label}: {problem}")
    return errors
