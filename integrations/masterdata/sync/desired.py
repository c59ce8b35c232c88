"""Mirror rows → what Pleo should hold (pure: reads only the rows it is given).

Field names are the Pleo request fields (pleo-accounts-api-openapi.yml `CreateAccountRequest`,
pleo-tax-codes-api-openapi.yml, pleo-tag-groups/-tags, pleo-external-vendors `CreateVendorRequest`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from integrations.masterdata.models import (
    VismaAccount,
    VismaSegment,
    VismaSegmentValue,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.masterdata.sync.diff import Desired

RATE_PLACES = Decimal("0.000001")


def account_desired(
    account: VismaAccount, *, category_tax_codes: Mapping[str, str | None] | None = None
) -> Desired:
    """`category_tax_codes`: Pleo account id → the default tax code chosen for that category on
    the Categories page. That choice wins over the account's own VAT category, so the daily
    full reconcile does not undo it."""
    chosen = category_tax_codes or {}
    if account.pleo_id and account.pleo_id in chosen:
        tax_code = chosen[account.pleo_id]
    else:
        tax_code = account.tax_category or None
    return Desired(
        key=account.number,
        fields={
            "name": (account.description or account.number)[:255],
            "code": account.number,
            "taxCodeExternalId": tax_code,
        },
        archived=not account.active,
        label=f"account {account.number}",
        ref=account.pk,
    )


def rate_fraction(percent: Decimal | None) -> Decimal:
    """Visma.net gives percent (25), Pleo wants a fraction (0.25)."""
    return ((percent or Decimal(0)) / 100).quantize(RATE_PLACES).normalize()


def tax_code_desired(
    category: VismaVatCategory, *, ingoing_account: str | None, outgoing_account: str | None
) -> Desired:
    reverse = category.reverse_charge
    return Desired(
        key=category.vat_category_id,
        fields={
            "name": (category.description or category.vat_category_id)[:255],
            "code": category.vat_category_id,
            "rate": rate_fraction(category.rate),
            # Reverse charge: Pleo books both the input and the output VAT line.
            "type": "reverse" if reverse else "inclusive",
            "ingoingTaxAccount": (ingoing_account or None) if reverse else None,
            "outgoingTaxAccount": (outgoing_account or None) if reverse else None,
        },
        archived=not category.active,
        label=f"VAT category {category.vat_category_id}",
        ref=category.pk,
    )


def tag_group_desired(segment: VismaSegment, *, synced: bool) -> Desired:
    code = segment.tag_group_code
    return Desired(
        key=code.lower(),
        fields={"code": code, "name": (segment.description or code)[:255]},
        # A segment no longer chosen on the Tags page is archived in Pleo, never deleted.
        archived=not (segment.active and synced),
        label=f"segment {segment.dimension_id}/{segment.segment_id}",
        ref=segment.pk,
    )


def tag_desired(value: VismaSegmentValue) -> Desired:
    return Desired(
        key=value.value_id.lower(),
        fields={"code": value.value_id, "name": (value.description or value.value_id)[:255]},
        archived=not value.active,
        label=f"segment value {value.value_id}",
        ref=value.pk,
    )


def vendor_desired(supplier: VismaSupplier, *, base_currency: str | None) -> Desired:
    return Desired(
        key=supplier.number,
        fields={
            "name": supplier.name[:255],
            "code": supplier.number,
            "externalId": supplier.number,
            "defaultCurrency": (supplier.currency_id or base_currency or "").upper() or None,
            "country": (supplier.country_id or "").upper() or None,
            "registrationNumber": supplier.corporate_id or None,
            "taxRegistrationNumber": supplier.vat_registration_id or None,
            "state": "ACTIVE" if supplier.active else "ARCHIVED",
        },
        archived=not supplier.active,
        label=f"supplier {supplier.number}",
        ref=supplier.pk,
    )
