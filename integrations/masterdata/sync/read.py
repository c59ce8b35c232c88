"""Visma.net → the local mirror. Incremental by `lastModifiedDateTime` where Visma.net offers it
(accounts, VAT categories, suppliers), whole lists elsewhere; a full read also marks what Visma.net
no longer returns as inactive (mirror rows are never deleted)."""

from __future__ import annotations

import json
from collections.abc import Iterable
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
    VismaVatCategory,
    VismaVatZone,
)
from integrations.visma.client import VismaClient
from integrations.visma.types import Dimension, Supplier, VatCategory

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


def accounts_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    started = timezone.now()
    since = cursor_since(connection=connection, record_type="accounts", full=full)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/account
    records = client.accounts_list(modified_since=since)
    for a in records:
        VismaAccount.objects.update_or_create(
            connection=connection,
            number=a.number,
            defaults={
                "account_id": a.account_id,
                "description": a.description or "",
                "type": a.type or "",
                "active": a.active,
                "tax_category": a.tax_category or "",
                "currency": a.currency or "",
                "remote_modified_at": a.last_modified,
                "raw": _raw(a),
            },
        )
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


def vat_categories_read(*, client: VismaClient, connection: Connection, full: bool) -> int:
    started = timezone.now()
    since = cursor_since(connection=connection, record_type="vat_categories", full=full)
    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatCategory
    records = client.vat_categories_list(modified_since=since)
    reverse_ids: set[str] = set()
    if records:
        # Reverse charge is a property of the VAT id (GET /v1/vat `reverseVat`), not of the
        # category: read it only when there is a category to classify.
        # Reference: specs/visma-net/openapi-subset.json GET /v1/vat
        reverse_ids = {
            v.id for v in client.vats_list() if v.reverse_vat or v.type.lower() == "reversevat"
        }
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


def currencies_read(*, client: VismaClient, connection: Connection) -> int:
    # Reference: specs/visma-net/openapi-subset.json GET /v1/currency
    records = client.currencies_list()
    for c in records:
        VismaCurrency.objects.update_or_create(
            connection=connection,
            currency_id=c.id,
            defaults={
                "description": c.description or "",
                "is_base": c.is_base,
                "decimal_precision": c.decimal_precision,
                "active": True,
                "raw": _raw(c),
            },
        )
    _deactivate_missing(
        VismaCurrency.objects.filter(connection=connection), "currency_id", [c.id for c in records]
    )
    return len(records)


def reference_read(*, client: VismaClient, connection: Connection) -> int:
    """The short lists the pages and the exporter choose from; each is one unfiltered read."""
    count = currencies_read(client=client, connection=connection)

    # Reference: specs/visma-net/openapi-subset.json GET /v1/paymentmethod
    methods = client.payment_methods_list()
    for m in methods:
        VismaPaymentMethod.objects.update_or_create(
            connection=connection,
            payment_method_id=m.id,
            defaults={
                "description": m.description or "",
                "active": m.active,
                "use_in_ap": m.use_in_ap,
                "raw": _raw(m),
            },
        )
    _deactivate_missing(
        VismaPaymentMethod.objects.filter(connection=connection),
        "payment_method_id",
        [m.id for m in methods],
    )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/branch
    branches = client.branches_list()
    for b in branches:
        VismaBranch.objects.update_or_create(
            connection=connection,
            number=b.number,
            defaults={
                "name": b.name or "",
                "is_main": b.is_main,
                "active": b.active,
                "currency": b.currency or "",
                "raw": _raw(b),
            },
        )
    _deactivate_missing(
        VismaBranch.objects.filter(connection=connection), "number", [b.number for b in branches]
    )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/financialperiod
    periods = client.financial_periods_list()
    for p in periods:
        VismaFinancialPeriod.objects.update_or_create(
            connection=connection,
            period_id=p.period_id,
            defaults={
                "year": p.year,
                "period": p.period,
                "start_date": p.start_date,
                "end_date": p.end_date,
                "active": p.active,
                "closed_in_gl": p.closed_in_gl,
                "closed_in_ap": p.closed_in_ap,
                "raw": _raw(p),
            },
        )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/supplierClass
    classes = client.supplier_classes_list()
    for sc in classes:
        VismaSupplierClass.objects.update_or_create(
            connection=connection,
            supplier_class_id=sc.id,
            defaults={
                "description": sc.description or "",
                "payment_method_id": sc.payment_method_id or "",
                "active": True,
                "raw": _raw(sc),
            },
        )
    _deactivate_missing(
        VismaSupplierClass.objects.filter(connection=connection),
        "supplier_class_id",
        [c.id for c in classes],
    )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/creditTerm
    terms = client.credit_terms_list()
    for t in terms:
        VismaCreditTerm.objects.update_or_create(
            connection=connection,
            credit_terms_id=t.id,
            defaults={"description": t.description or "", "active": True, "raw": _raw(t)},
        )
    _deactivate_missing(
        VismaCreditTerm.objects.filter(connection=connection),
        "credit_terms_id",
        [t.id for t in terms],
    )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/cashaccount
    cash = client.cash_accounts_list()
    for ca in cash:
        VismaCashAccount.objects.update_or_create(
            connection=connection,
            number=ca.number,
            defaults={
                "description": ca.description or "",
                "currency": ca.currency or "",
                "active": True,
                "raw": _raw(ca),
            },
        )
    _deactivate_missing(
        VismaCashAccount.objects.filter(connection=connection), "number", [c.number for c in cash]
    )

    # Reference: specs/visma-net/openapi-subset.json GET /v1/vatZone
    zones = client.vat_zones_list()
    for z in zones:
        VismaVatZone.objects.update_or_create(
            connection=connection,
            vat_zone_id=z.id,
            defaults={
                "description": z.description or "",
                "default_vat_category": z.default_vat_category or "",
                "active": True,
                "raw": _raw(z),
            },
        )
    _deactivate_missing(
        VismaVatZone.objects.filter(connection=connection), "vat_zone_id", [z.id for z in zones]
    )
    return (
        count
        + len(methods)
        + len(branches)
        + len(periods)
        + len(classes)
        + len(terms)
        + len(cash)
        + len(zones)
    )
