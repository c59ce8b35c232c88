"""The "Create vendor in Visma.net" form: choices come from the mirror of this connection."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.connections.models import Connection
from integrations.masterdata.models import (
    VismaCashAccount,
    VismaCreditTerm,
    VismaCurrency,
    VismaPaymentMethod,
    VismaSupplierClass,
    VismaVatZone,
)
from integrations.masterdata.selectors import base_currency_for_connection
from integrations.masterdata.vendors import VendorData, wallet_cash_account

BLANK = [("", "—")]


def _choices(rows: Any, key: str, *, blank: bool = True) -> list[tuple[str, str]]:
    options = [(getattr(r, key), f"{getattr(r, key)} — {r.description}".rstrip(" —")) for r in rows]
    return (BLANK if blank else []) + options


class VendorForm(forms.Form):
    name = forms.CharField(max_length=255)
    address_line1 = forms.CharField(label="Address", max_length=255, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    country_id = forms.CharField(
        label="Country", max_length=2, required=False, help_text="Two letters, e.g. NO."
    )
    supplier_class_id = forms.ChoiceField(label="Vendor class")
    credit_terms_id = forms.ChoiceField(label="Credit terms", required=False)
    payment_method_id = forms.ChoiceField(label="Payment method", required=False)
    cash_account = forms.ChoiceField(
        label="Cash account", required=False, help_text="Defaults to the Pleo Wallet account."
    )
    vat_zone_id = forms.ChoiceField(label="VAT zone", required=False)
    currency_id = forms.ChoiceField(label="Currency", required=False)
    corporate_id = forms.CharField(label="Corporate id", max_length=50, required=False)
    vat_registration_id = forms.CharField(
        label="VAT registration id", max_length=50, required=False
    )

    def __init__(self, *args: Any, connection: Connection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = {"connection": connection, "active": True}
        f = self.fields
        f["supplier_class_id"].choices = _choices(  # type: ignore[attr-defined]
            VismaSupplierClass.objects.filter(**scope), "supplier_class_id"
        )
        f["credit_terms_id"].choices = _choices(  # type: ignore[attr-defined]
            VismaCreditTerm.objects.filter(**scope), "credit_terms_id"
        )
        f["payment_method_id"].choices = _choices(  # type: ignore[attr-defined]
            VismaPaymentMethod.objects.filter(**scope, use_in_ap=True), "payment_method_id"
        )
        f["cash_account"].choices = _choices(  # type: ignore[attr-defined]
            VismaCashAccount.objects.filter(**scope), "number"
        )
        f["vat_zone_id"].choices = _choices(  # type: ignore[attr-defined]
            VismaVatZone.objects.filter(**scope), "vat_zone_id"
        )
        f["currency_id"].choices = _choices(  # type: ignore[attr-defined]
            VismaCurrency.objects.filter(**scope), "currency_id"
        )
        base = base_currency_for_connection(connection=connection)
        if not self.is_bound:
            self.initial.setdefault("currency_id", base or "")
            self.initial.setdefault(
                "cash_account", wallet_cash_account(connection=connection, currency=base)
            )

    def vendor_data(self) -> VendorData:
        return VendorData.from_mapping(self.cleaned_data)
