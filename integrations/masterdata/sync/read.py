"""Visma.net → the local mirror. Incremental by `lastModifiedDateTime` where Visma.net offers it
(accounts, VAT categories, suppliers), whole lists elsewhere; a full read also marks what Visma.net
no longer returns as inactive (mirror rows are never deleted)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
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
from integrations.visma.client import VismaClient
from integrations.visma.types import Account, Dimension, Supplier, VatCategory

# Visma.net stamps lastModifiedDateTime when the transaction commits, which can be a little after
# our previous read started: read a few minutes back so nothing falls in between.
OVERLAP = timedelta(minutes=5)


def _raw(record: object) -> dict[str, Any]:
    raw = getattr(record, "raw", None)
    if not isinstance(raw, dict):
        return {}
    # The client parses numbers as Decimal; the JSON column wants plain JSON.
    return dict(json.loads(json.dumps(raw, cls=DjangoJSONEncoder)))


def cursor_since(*, connection: Connection, record_type: str, full: bool) -> datetime | None:
    if full:
        return None
    cursor = SyncCursor.objects.filter(connection=connection, record_type=record_type).first()
    return cursor.read_started_at - OVERLAP if cursor else None


def cursor_save(*, connection: Connection, record_type: str, started_at: datetime) -> None:
    SyncCursor.objects.update_or_create(
        connection=connection,
        record_type=record_type,
        defaults={"read_started_at": started_at},
    )


def _deactivate_missing(queryset: models.QuerySet[Any], key_field: str, seen: Iterable[str]) -> int:
    return (
        queryset.filter(active=True)
        .exclude(**{f"{key_field}__in": list(seen)})
        .update(active=False)
    )


def account_store(*, connection: Connection, account: Account) -> VismaAccount:
    row, _ = VismaAccount.objects.update_or_create(
        connection=connection,
        number=account.number,
        defaults={
            "account_id": account.account_id,
            "description": account.description or "",
            "type": account.type or "",
            "active": account.active,
            "tax_category": account.tax_category or "",
            "currency": account.currency or "",
            "remote_modified_at": account.last_modified,
            "raw": _raw(account),
        },
    )
    return row


def accounts_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    started = timezone.now()
    since = cursor_since(connection=connection, record_type="accounts", full=full)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/account
    records = client.accounts_list(modified_since=since)
    for a in records:
        account_store(connection=connection, account=a)
    if since is None:
        _deactivate_missing(
            VismaAccount.objects.filter(connection=connection),
            "number",
            [a.number for a in records],
        )
    cursor_save(connection=connection, record_type="accounts", started_at=started)
    return len(records)


def _category_reverse(category: VatCategory, reverse_vat_ids: set[str]) -> bool:
    return any(
        line.vat_id in reverse_vat_ids or line.type.lower() == "reversevat"
        for line in category.lines
    )


def vats_read(*, client: VismaClient, connection: Connection) -> set[str]:
    """Mirror every VAT (one unfiltered read: the list is short); the reverse VAT ids."""
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vat (Vat_GetAllVats)
    vats = client.vats_list()
    now = timezone.now()
    _mirror_list(
        connection=connection,
        model=VismaVat,
        key_field="vat_id",
        records=vats,
        key=lambda v: v.id,
        defaults=lambda v: {
            "description": v.description or "",
            "type": v.type or "",
            "reverse_vat": v.reverse_vat,
            "claimable_account": v.claimable_account or "",
            "payable_account": v.payable_account or "",
            "active": v.not_valid_after is None or v.not_valid_after > now,
            "remote_modified_at": v.last_modified,
        },
    )
    # Reverse charge is a property of the VAT (`reverseVat`), not of the category.
    return {v.id for v in vats if v.reverse_vat or v.type.lower() == "reversevat"}


def vat_categories_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    started = timezone.now()
    since = cursor_since(connection=connection, record_type="vat_categories", full=full)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatCategory
    records = client.vat_categories_list(modified_since=since)
    # The VATs are read on every tax-code sync, changed categories or not: a VAT's end date
    # (`notValidAfter`) changes without touching its categories, and journals name VATs.
    reverse_ids = vats_read(client=client, connection=connection)
    for c in records:
        rates = [line.rate for line in c.lines if line.rate is not None]
        VismaVatCategory.objects.update_or_create(
            connection=connection,
            vat_category_id=c.id,
            defaults={
                "description": c.description or "",
                "active": c.active,
                "rate": max(rates) if rates else None,
                "reverse_charge": _category_reverse(c, reverse_ids),
                "vat_ids": list(dict.fromkeys(line.vat_id for line in c.lines)),
                "remote_modified_at": c.last_modified,
                "raw": _raw(c),
            },
        )
    if since is None:
        _deactivate_missing(
            VismaVatCategory.objects.filter(connection=connection),
            "vat_category_id",
            [c.id for c in records],
        )
    cursor_save(connection=connection, record_type="vat_categories", started_at=started)
    return len(records)


def _dimension_store(*, connection: Connection, dimension: Dimension) -> None:
    seen_segments: list[int] = []
    for s in dimension.segments:
        segment, _ = VismaSegment.objects.update_or_create(
            connection=connection,
            dimension_id=dimension.id,
            segment_id=s.segment_id,
            defaults={
                "description": s.description or "",
                "length": s.length or 0,
                "validate": s.validate,
                "active": True,
                "raw": {"dimension": dimension.id, "segmentId": s.segment_id},
            },
        )
        seen_segments.append(s.segment_id)
        for v in s.values:
            VismaSegmentValue.objects.update_or_create(
                segment=segment,
                value_id=v.value_id,
                defaults={
                    "description": v.description or "",
                    "active": v.active,
                    "remote_modified_at": v.last_modified,
                },
            )
        _deactivate_missing(
            VismaSegmentValue.objects.filter(segment=segment),
            "value_id",
            [v.value_id for v in s.values],
        )
    VismaSegment.objects.filter(
        connection=connection, dimension_id=dimension.id, active=True
    ).exclude(segment_id__in=seen_segments).update(active=False)


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


def _supplier_defaults(s: Supplier) -> dict[str, Any]:
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
        "raw": _raw(s),
    }


def supplier_store(*, connection: Connection, supplier: Supplier) -> VismaSupplier:
    row, _ = VismaSupplier.objects.update_or_create(
        connection=connection, number=supplier.number, defaults=_supplier_defaults(supplier)
    )
    return row


def suppliers_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    started = timezone.now()
    since = cursor_since(connection=connection, record_type="suppliers", full=full)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplier
    records = client.suppliers_list(modified_since=since)
    for s in records:
        supplier_store(connection=connection, supplier=s)
    if since is None:
        _deactivate_missing(
            VismaSupplier.objects.filter(connection=connection),
            "number",
            [s.number for s in records],
        )
    cursor_save(connection=connection, record_type="suppliers", started_at=started)
    return len(records)


def _mirror_list(
    *,
    connection: Connection,
    model: type[models.Model],
    key_field: str,
    records: Sequence[Any],
    key: Callable[[Any], str],
    defaults: Callable[[Any], dict[str, Any]],
    deactivate_missing: bool = True,
) -> int:
    """Store one unfiltered Visma.net list: upsert each record, deactivate those gone."""
    for record in records:
        lookup: dict[str, Any] = {"connection": connection, key_field: key(record)}
        model._default_manager.update_or_create(
            defaults={**defaults(record), "raw": _raw(record)}, **lookup
        )
    if deactivate_missing:
        _deactivate_missing(
            model._default_manager.filter(connection=connection),
            key_field,
            [key(r) for r in records],
        )
    return len(records)


def currencies_read(*, client: VismaClient, connection: Connection) -> int:
    # Reference: specs/visma-net/openapi-subset.json GET /v1/currency
    return _mirror_list(
        connection=connection,
        model=VismaCurrency,
        key_field="currency_id",
        records=client.currencies_list(),
        key=lambda c: c.id,
        defaults=lambda c: {
            "description": c.description or "",
            "is_base": c.is_base,
            "decimal_precision": c.decimal_precision,
            "active": True,
        },
    )


def reference_read(*, client: VismaClient, connection: Connection) -> int:
    """The short lists the pages and the exporter choose from; each is one unfiltered read."""
    count = currencies_read(client=client, connection=connection)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/paymentmethod
    count += _mirror_list(
        connection=connection,
        model=VismaPaymentMethod,
        key_field="payment_method_id",
        records=client.payment_methods_list(),
        key=lambda m: m.id,
        defaults=lambda m: {
            "description": m.description or "",
            "active": m.active,
            "use_in_ap": m.use_in_ap,
        },
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/branch
    count += _mirror_list(
        connection=connection,
        model=VismaBranch,
        key_field="number",
        records=client.branches_list(),
        key=lambda b: b.number,
        defaults=lambda b: {
            "name": b.name or "",
            "is_main": b.is_main,
            "active": b.active,
            "currency": b.currency or "",
        },
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/financialperiod
    # Periods carry their own `active` flag and are never deactivated by absence.
    count += _mirror_list(
        connection=connection,
        model=VismaFinancialPeriod,
        key_field="period_id",
        records=client.financial_periods_list(),
        key=lambda p: p.period_id,
        defaults=lambda p: {
            "year": p.year,
            "period": p.period,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "active": p.active,
            "closed_in_gl": p.closed_in_gl,
            "closed_in_ap": p.closed_in_ap,
        },
        deactivate_missing=False,
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplierClass
    count += _mirror_list(
        connection=connection,
        model=VismaSupplierClass,
        key_field="supplier_class_id",
        records=client.supplier_classes_list(),
        key=lambda sc: sc.id,
        defaults=lambda sc: {
            "description": sc.description or "",
            "payment_method_id": sc.payment_method_id or "",
            "active": True,
        },
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/creditTerm
    count += _mirror_list(
        connection=connection,
        model=VismaCreditTerm,
        key_field="credit_terms_id",
        records=client.credit_terms_list(),
        key=lambda t: t.id,
        defaults=lambda t: {"description": t.description or "", "active": True},
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/cashaccount
    count += _mirror_list(
        connection=connection,
        model=VismaCashAccount,
        key_field="number",
        records=client.cash_accounts_list(),
        key=lambda ca: ca.number,
        defaults=lambda ca: {
            "description": ca.description or "",
            "currency": ca.currency or "",
            "active": True,
        },
    )
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatZone
    count += _mirror_list(
        connection=connection,
        model=VismaVatZone,
        key_field="vat_zone_id",
        records=client.vat_zones_list(),
        key=lambda z: z.id,
        defaults=lambda z: {
            "description": z.description or "",
            "default_vat_category": z.default_vat_category or "",
            "active": True,
        },
    )
    return count
