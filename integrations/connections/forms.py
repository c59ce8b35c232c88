"""Forms of the connection pages. They check shape; the services check meaning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from integrations.connections.export_settings import PaymentMethodChoice
from integrations.connections.models import ExportSettings
from integrations.visma.types import Branch


class ConnectionCreateForm(forms.Form):
    name = forms.CharField(
        max_length=200, help_text="Usually the company's name, e.g. “Nordlys AS”."
    )


class PleoConnectForm(forms.Form):
    company_id = forms.CharField(
        max_length=100,
        required=False,
        label="Pleo company id",
        help_text="Only needed when Pleo does not tell it on sign-in (Pleo → Settings → Company).",
    )


class VismaTenantForm(forms.Form):
    tenant_id = forms.CharField(
        max_length=100,
        required=False,
        label="Visma.net company tenant id",
        help_text=(
            "Needed to connect as a service integration: the Company tenant id, not a Customer "
            "tenant id. To sign in instead, leave it empty and choose the company at Visma.net."
        ),
    )


class BranchForm(forms.Form):
    branch_number = forms.ChoiceField(label="Branch")

    def __init__(self, *args: Any, branches: Sequence[Branch] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["branch_number"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (b.number, f"{b.number} — {b.name}{'' if b.active else ' (inactive)'}")
            for b in branches
        ]


class ExportSettingsForm(forms.Form):
    transfer_attachments = forms.BooleanField(
        required=False, label="Transfer attachments (receipts) to Visma.net"
    )
    one_journal_per_export = forms.BooleanField(
        required=False,
        label="One journal transaction per export",
        help_text="Off: one journal transaction per expense.",
    )
    card_expenses_as_invoices = forms.BooleanField(
        required=False, label="Book card expenses as purchase invoices"
    )
    auto_release_invoices = forms.BooleanField(
        required=False, label="Release purchase invoices automatically"
    )
    invoice_payment_method = forms.ChoiceField(
        required=False,
        label="Purchase-invoice payment method",
        help_text="The Pleo card method, so Visma.net does not pay the invoices again.",
    )
    closed_period_policy = forms.ChoiceField(
        choices=ExportSettings.ClosedPeriodPolicy.choices,
        widget=forms.RadioSelect,
        label="When an expense falls in a closed period",
    )
    export_concurrency = forms.IntegerField(
        required=False,
        label="Remote calls under way at once",
        help_text="Documents, receipts and releases of separate expenses, and the master-data "
        "sync's writes to Pleo, go out side by side, 1 to 16; Visma.net's call budget paces "
        "them whatever the number.",
        widget=forms.NumberInput(attrs={"min": 1, "max": 16}),
    )

    def __init__(
        self,
        *args: Any,
        payment_methods: Sequence[PaymentMethodChoice] = (),
        invoices_on: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["invoice_payment_method"]
        assert isinstance(field, forms.ChoiceField)
        choices: list[tuple[str, str]] = [("", "— choose —")]
        for method in payment_methods:
            label = f"{method.id} — {method.description}"
            if not method.active:
                label += " (inactive)"
            elif method.may_pay_twice:
                label += " (Visma.net may pay twice)"
            choices.append((method.id, label))
        current = self.initial.get("invoice_payment_method") or ""
        if current and all(current != value for value, _ in choices):
            # Keep showing a stored method Visma.net no longer lists (or could not list).
            choices.append((current, f"{current} (not listed by Visma.net)"))
        field.choices = choices
        # Disabled fields keep their stored value whatever is posted (Django ignores the data).
        for name in ("auto_release_invoices", "invoice_payment_method"):
            self.fields[name].disabled = not invoices_on
