"""Visma.net → the local mirror: one `MirrorList` per Visma.net list (its client call and the
mapping of a record to mirror fields), read by `mirror.mirror_read`. The sync-kind registry names
the lists each kind reads. Incremental by `lastModifiedDateTime` where Visma.net offers it
(accounts, VAT categories, suppliers), whole lists elsewhere; a whole read also marks what
Visma.net no longer returns as inactive (mirror rows are never deleted)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Q
from django.utils import timezone

from integrations.connections.models import Connection
from integrations.masterdata.models import (
    SegmentSetting,
    SyncCursor,
    VismaAccount,
    VismaBranch,
    VismaCashAccount,
    VismaCreditTerm,
    VismaCurrency,
    VismaFinancialPeriod,
    VismaPaymentMethod,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaSupplierClass,
    VismaVat,
    VismaVatCategory,
    VismaVatZone,
)
from integrations.masterdata.sync.mirror import (
    MirrorList,
    cursor_save,
    mirror_deactivate_missing,
    mirror_list_fields,
    mirror_store,
)
from integrations.visma.client import VismaClient
from integrations.visma.types import (
    Account,
    Dimension,
    Supplier,
    Vat,
    VatCategory,
)

# -- general ledger -------------------------------------------------------------------------


def _account_fields(a: Account) -> dict[str, Any]:
    return {
        "account_id": a.account_id,
        "description": a.description or "",
        "type": a.type or "",
        "active": a.active,
        "tax_category": a.tax_category or "",
        "currency": a.currency or "",
        "remote_modified_at": a.last_modified,
    }


ACCOUNTS = MirrorList(
    model=VismaAccount,
    key_field="number",
    key=lambda a: a.number,
    fields=_account_fields,
    # Reference: specs/visma-net/openapi-subset.json GET /v1/account
    fetch=lambda client, since: client.accounts_list(modified_since=since),
    record_type="accounts",
)


def account_store(*, connection: Connection, account: Account) -> VismaAccount:
    """Mirror one account just created in Visma.net (the Accounts page), as the list read
    would."""
    row, _ = VismaAccount.objects.update_or_create(
        connection=connection,
        number=account.number,
        defaults=mirror_list_fields(ACCOUNTS, account),
    )
    return row


def _vat_fields(v: Vat) -> dict[str, Any]:
    return {
        "description": v.description or "",
        "type": v.type or "",
        "reverse_vat": v.reverse_vat,
        "claimable_account": v.claimable_account or "",
        "payable_account": v.payable_account or "",
        "active": v.not_valid_after is None or v.not_valid_after > timezone.now(),
        "remote_modified_at": v.last_modified,
    }


# Every VAT, on every tax-code sync (one unfiltered read: the list is short): a VAT's end date
# (`notValidAfter`) changes without touching its categories, and journals name VATs.
VATS = MirrorList(
    model=VismaVat,
    key_field="vat_id",
    key=lambda v: v.id,
    fields=_vat_fields,
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vat (Vat_GetAllVats)
    fetch=lambda client, since: client.vats_list(),
)


def reverse_vat_ids(connection: Connection) -> set[str]:
    """Reverse charge is a property of the VAT (`reverseVat`), not of the category."""
    return set(
        VismaVat.objects.filter(connection=connection)
        .filter(Q(reverse_vat=True) | Q(type__iexact="reversevat"))
        .values_list("vat_id", flat=True)
    )


def _vat_category_fields(c: VatCategory, reverse_ids: set[str]) -> dict[str, Any]:
    rates = [line.rate for line in c.lines if line.rate is not None]
    reverse = any(
        line.vat_id in reverse_ids or line.type.lower() == "reversevat" for line in c.lines
    )
    return {
        "description": c.description or "",
        "active": c.active,
        "rate": max(rates) if rates else None,
        "reverse_charge": reverse,
        "vat_ids": list(dict.fromkeys(line.vat_id for line in c.lines)),
        "remote_modified_at": c.last_modified,
    }


VAT_CATEGORIES = MirrorList(
    model=VismaVatCategory,
    key_field="vat_category_id",
    key=lambda c: c.id,
    fields=_vat_category_fields,
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatCategory
    fetch=lambda client, since: client.vat_categories_list(modified_since=since),
    record_type="vat_categories",
    context=reverse_vat_ids,  # VATS is read first (the registry's order)
)

# -- suppliers --------------------------------------------------------------------------------


def _supplier_fields(s: Supplier) -> dict[str, Any]:
    return {
        "internal_id": s.internal_id,
        "name": s.name or s.number,
        "status": s.status or "",
        "active": s.active,
        "supplier_class_id": s.supplier_class_id or "",
        "payment_method_id": s.payment_method_id or "",
        "credit_terms_id": s.credit_terms_id or "",
        "vat_zone_id": s.vat_zone_id or "",
        "currency_id": s.currency_id or "",
        "cash_account": s.cash_account or "",
        "vat_registration_id": s.vat_registration_id or "",
        "corporate_id": s.corporate_id or "",
        "address_line1": s.address_line1 or "",
        "postal_code": s.postal_code or "",
        "city": s.city or "",
        "country_id": (s.country_id or "")[:2],
        "remote_modified_at": s.last_modified,
    }


SUPPLIERS = MirrorList(
    model=VismaSupplier,
    key_field="number",
    key=lambda s: s.number,
    fields=_supplier_fields,
    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier
    fetch=lambda client, since: client.suppliers_list(modified_since=since),
    record_type="suppliers",
)


def supplier_store(*, connection: Connection, supplier: Supplier) -> VismaSupplier:
    """Mirror one supplier just read or created (the vendor flow), as the list read would."""
    row, _ = VismaSupplier.objects.update_or_create(
        connection=connection,
        number=supplier.number,
        defaults=mirror_list_fields(SUPPLIERS, supplier),
    )
    return row


# -- the short lists (each one unfiltered read) -------------------------------------------------

CURRENCIES = MirrorList(
    model=VismaCurrency,
    key_field="currency_id",
    key=lambda c: c.id,
    fields=lambda c: {
        "description": c.description or "",
        "is_base": c.is_base,
        "decimal_precision": c.decimal_precision,
        "active": True,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/currency
    fetch=lambda client, since: client.currencies_list(),
)
# The vendor's default currency falls back to the company's base currency: a vendor sync reads
# the currencies only while the mirror has none.
CURRENCIES_IF_NONE = dataclasses.replace(CURRENCIES, only_when_empty=True)

PAYMENT_METHODS = MirrorList(
    model=VismaPaymentMethod,
    key_field="payment_method_id",
    key=lambda m: m.id,
    fields=lambda m: {
        "description": m.description or "",
        "active": m.active,
        "use_in_ap": m.use_in_ap,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/paymentmethod
    fetch=lambda client, since: client.payment_methods_list(),
)

BRANCHES = MirrorList(
    model=VismaBranch,
    key_field="number",
    key=lambda b: b.number,
    fields=lambda b: {
        "name": b.name or "",
        "is_main": b.is_main,
        "active": b.active,
        "currency": b.currency or "",
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/branch
    fetch=lambda client, since: client.branches_list(),
)

FINANCIAL_PERIODS = MirrorList(
    model=VismaFinancialPeriod,
    key_field="period_id",
    key=lambda p: p.period_id,
    fields=lambda p: {
        "year": p.year,
        "period": p.period,
        "start_date": p.start_date,
        "end_date": p.end_date,
        "active": p.active,
        "closed_in_gl": p.closed_in_gl,
        "closed_in_ap": p.closed_in_ap,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/financialperiod
    fetch=lambda client, since: client.financial_periods_list(),
    # Periods carry their own `active` flag and are never deactivated by absence.
    deactivate_missing=False,
)

SUPPLIER_CLASSES = MirrorList(
    model=VismaSupplierClass,
    key_field="supplier_class_id",
    key=lambda sc: sc.id,
    fields=lambda sc: {
        "description": sc.description or "",
        "payment_method_id": sc.payment_method_id or "",
        "active": True,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplierClass
    fetch=lambda client, since: client.supplier_classes_list(),
)

CREDIT_TERMS = MirrorList(
    model=VismaCreditTerm,
    key_field="credit_terms_id",
    key=lambda t: t.id,
    fields=lambda t: {"description": t.description or "", "active": True},
    # Reference: specs/visma-net/openapi-subset.json GET /v1/creditTerm
    fetch=lambda client, since: client.credit_terms_list(),
)

CASH_ACCOUNTS = MirrorList(
    model=VismaCashAccount,
    key_field="number",
    key=lambda ca: ca.number,
    fields=lambda ca: {
        "description": ca.description or "",
        "currency": ca.currency or "",
        "active": True,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/cashaccount
    fetch=lambda client, since: client.cash_accounts_list(),
)

VAT_ZONES = MirrorList(
    model=VismaVatZone,
    key_field="vat_zone_id",
    key=lambda z: z.id,
    fields=lambda z: {
        "description": z.description or "",
        "default_vat_category": z.default_vat_category or "",
        "active": True,
    },
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatZone
    fetch=lambda client, since: client.vat_zones_list(),
)

# -- dimensions: segments and their values (nested, so a reader of their own) ---------------


def _dimension_store(*, connection: Connection, dimension: Dimension) -> None:
    scope = {"connection": connection, "dimension_id": dimension.id}
    mirror_store(
        model=VismaSegment,
        scope=scope,
        key_field="segment_id",
        items=[
            (
                s.segment_id,
                {
                    "description": s.description or "",
                    "length": s.length or 0,
                    "validate": s.validate,
                    "active": True,
                    "raw": {"dimension": dimension.id, "segmentId": s.segment_id},
                },
            )
            for s in dimension.segments
        ],
    )
    mirror_deactivate_missing(
        model=VismaSegment,
        scope=scope,
        key_field="segment_id",
        seen=[s.segment_id for s in dimension.segments],
    )
    rows = {row.segment_id: row for row in VismaSegment.objects.filter(**scope)}
    for s in dimension.segments:
        segment = rows[s.segment_id]
        mirror_store(
            model=VismaSegmentValue,
            scope={"segment": segment},
            key_field="value_id",
            items=[
                (
                    v.value_id,
                    {
                        "description": v.description or "",
                        "active": v.active,
                        "remote_modified_at": v.last_modified,
                    },
                )
                for v in s.values
            ],
        )
        mirror_deactivate_missing(
            model=VismaSegmentValue,
            scope={"segment": segment},
            key_field="value_id",
            seen=[v.value_id for v in s.values],
        )


def segments_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    """All dimensions on a full read (the Tags page lists every segment); otherwise only the
    dimensions whose segments are synced — one read each, usually just SUBACCOUNT."""
    started = timezone.now()
    first = not SyncCursor.objects.filter(connection=connection, record_type="dimensions").exists()
    if full or first:
        # Reference: specs/visma-net/openapi-subset.json GET /v1/dimension
        dimension_ids = client.dimensions_list()
    else:
        dimension_ids = sorted(
            set(
                SegmentSetting.objects.filter(connection=connection, synced=True).values_list(
                    "segment__dimension_id", flat=True
                )
            )
        )
    for dimension_id in dimension_ids:
        # Reference: specs/visma-net/openapi-subset.json GET /v1/dimension/{dimensionId}
        _dimension_store(connection=connection, dimension=client.dimension_get(dimension_id))
    cursor_save(connection=connection, record_type="dimensions", started_at=started)
    return len(dimension_ids)
