"""Checks of chosen values against the Visma.net mirror, each returning the reason a value is
refused (or None). Used by the services, the overview (to tell "broken" from "done") and the
export configuration."""

from __future__ import annotations

import re

from integrations.connections.models import Connection
from integrations.masterdata.models import (
    VismaAccount,
    VismaPaymentMethod,
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


def payment_method_problem(*, connection: Connection, payment_method_id: str) -> str | None:
    method = VismaPaymentMethod.objects.filter(
        connection=connection, payment_method_id=payment_method_id
    ).first()
    if method is None:
        return f"Payment method {payment_method_id} does not exist in Visma.net."
    if not method.active:
        return f"Payment method {payment_method_id} is inactive in Visma.net."
    if not method.use_in_ap:
        return (
            f"Payment method {payment_method_id} is not enabled for accounts payable in "
            "Visma.net, so purchase invoices cannot use it."
        )
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
