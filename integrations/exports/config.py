"""The export configuration and the mirror snapshot of a connection, read from the mappings and
the mirror (masterdata) into the planner's plain types. Exports reads masterdata here; masterdata
never imports exports."""

from __future__ import annotations

from decimal import Decimal

from integrations.connections.models import Connection, ExportSettings
from integrations.exports.planner import CategoryTarget, ExportConfig, VatInfo, VendorRef
from integrations.exports.preflight import CashAccountState, MirrorSnapshot, PeriodState
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    VismaAccount,
    VismaCashAccount,
    VismaFinancialPeriod,
    VismaSegmentValue,
    VismaSupplier,
    VismaVat,
    VismaVatCategory,
)
from integrations.masterdata.setup import validation as v
from integrations.masterdata.setup.selectors import (
    account_mapping_for_connection,
    base_currency_for_connection,
    export_settings_for_connection,
    vat_facts_for_connection,
)
from integrations.masterdata.vat import purchase_vat_id


def category_targets_for_connection(*, connection: Connection) -> dict[str, CategoryTarget]:
    """Pleo category (by its id, code and external id) → Visma.net account and VAT category.

    A Pleo category our sync created from a Visma.net account maps to that account unless a
    finance user mapped it otherwise; explicit mappings win.
    """
    targets: dict[str, CategoryTarget] = {}
    for account in VismaAccount.objects.filter(connection=connection).exclude(pleo_id=""):
        target = CategoryTarget(
            account_number=account.number, default_vat_category=account.tax_category or None
        )
        targets[account.pleo_id] = target
    for mapping in CategoryMapping.objects.filter(connection=connection):
        target = CategoryTarget(
            account_number=mapping.visma_account_number,
            default_vat_category=mapping.default_vat_category or None,
        )
        targets[mapping.pleo_account_id] = target
        if mapping.pleo_account_code:
            targets[mapping.pleo_account_code] = target
    return targets


def export_config_for_connection(*, connection: Connection) -> ExportConfig:
    """Everything the planner needs about a connection, read once per export run."""
    mapping = account_mapping_for_connection(connection=connection)
    settings = export_settings_for_connection(connection=connection) or ExportSettings(
        connection=connection
    )
    segments = v.subaccount_segments(connection=connection)
    seg_settings = {
        s.segment_id: s
        for s in SegmentSetting.objects.filter(connection=connection, segment__in=segments)
    }
    tag_segments: dict[str, int] = {}
    segment_defaults: dict[int, str] = {}
    for segment in segments:
        setting = seg_settings.get(segment.pk)
        if setting is None:
            continue
        if setting.synced:
            tag_segments[segment.tag_group_code] = segment.segment_id
        if setting.default_value:
            segment_defaults[segment.segment_id] = setting.default_value
    vats = vat_facts_for_connection(connection=connection)
    vat_rates = {
        c.vat_category_id: VatInfo(
            rate=c.rate if c.rate is not None else Decimal(0),
            reverse_charge=c.reverse_charge,
            vat_id=purchase_vat_id(c.vat_ids or [], vats, reverse_charge=c.reverse_charge),
        )
        for c in VismaVatCategory.objects.filter(connection=connection)
    }
    segment_values: dict[int, set[str]] = {}
    for segment_id, value_id in VismaSegmentValue.objects.filter(segment__in=segments).values_list(
        "segment__segment_id", "value_id"
    ):
        segment_values.setdefault(segment_id, set()).add(value_id)
    vendors = tuple(
        VendorRef(
            number=s.number,
            code=s.number,
            vat_registration_id=s.vat_registration_id or None,
            active=s.active,
        )
        for s in VismaSupplier.objects.filter(connection=connection)
    )
    return ExportConfig(
        base_currency=base_currency_for_connection(connection=connection),
        branch=connection.visma_branch_number or None,
        wallet_accounts=dict(mapping.wallet_accounts or {}) if mapping else {},
        out_of_pocket_account=(mapping.out_of_pocket_account or None) if mapping else None,
        tax_account=(mapping.tax_account or None) if mapping else None,
        output_vat_account=(mapping.output_vat_account or None) if mapping else None,
        default_vendor_number=(mapping.default_vendor_number or None) if mapping else None,
        categories=category_targets_for_connection(connection=connection),
        segment_ids=tuple(s.segment_id for s in segments),
        tag_segments=tag_segments,
        segment_defaults=segment_defaults,
        one_journal_per_export=settings.one_journal_per_export,
        card_expenses_as_invoices=settings.card_expenses_as_invoices,
        invoice_payment_method=settings.invoice_payment_method or None,
        transfer_attachments=settings.transfer_attachments,
        vat_rates=vat_rates,
        vendors=vendors,
        visma_accounts={
            number: tax_category or None
            for number, tax_category in VismaAccount.objects.filter(
                connection=connection
            ).values_list("number", "tax_category")
        },
        segment_values={k: frozenset(vals) for k, vals in segment_values.items()},
    )


def mirror_snapshot_for_connection(*, connection: Connection) -> MirrorSnapshot:
    """Which accounts, VAT categories, segment values, suppliers and periods exist and are
    usable, for the preflight check just before posting."""
    values = VismaSegmentValue.objects.filter(
        segment__connection=connection, segment__dimension_id=v.SUBACCOUNT_DIMENSION
    ).values_list("segment__segment_id", "value_id", "active")
    return MirrorSnapshot(
        accounts=dict(
            VismaAccount.objects.filter(connection=connection).values_list("number", "active")
        ),
        vat_categories=dict(
            VismaVatCategory.objects.filter(connection=connection).values_list(
                "vat_category_id", "active"
            )
        ),
        segment_values={(seg, value): active for seg, value, active in values},
        suppliers=dict(
            VismaSupplier.objects.filter(connection=connection).values_list("number", "active")
        ),
        vats=dict(VismaVat.objects.filter(connection=connection).values_list("vat_id", "active")),
        cash_accounts={
            number: CashAccountState(active=active, currency=currency or None)
            for number, active, currency in VismaCashAccount.objects.filter(
                connection=connection
            ).values_list("number", "active", "currency")
        },
        periods={
            p.period_id: PeriodState(
                closed_in_gl=p.closed_in_gl, closed_in_ap=p.closed_in_ap, active=p.active
            )
            for p in VismaFinancialPeriod.objects.filter(connection=connection)
        },
    )
