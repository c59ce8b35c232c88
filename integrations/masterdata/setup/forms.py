"""Forms of the setup pages. They only collect values: the dropdowns come from the mirror and the
services decide whether a value is acceptable (so the page and the API refuse alike)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from integrations.connections.models import AccountMapping, Connection
from integrations.masterdata.models import (
    SegmentSetting,
    VismaAccount,
    VismaSegment,
    VismaSupplier,
    VismaVatCategory,
)
from integrations.masterdata.setup.pleo_push import PleoCategory
from integrations.masterdata.setup.services import (
    AccountMappingInput,
    CategoryMappingInput,
    SegmentSettingInput,
)

Choices = list[tuple[str, str]]
# Between a number and its name in every choice: "4010 \N{EN DASH} Travel".
DASH = " \N{EN DASH} "


def _with_current(choices: Choices, current: Iterable[str]) -> Choices:
    """Keep a value that is no longer offered (e.g. an account made inactive) visible, so the
    page shows what is stored and the service can say why it is refused."""
    offered = {value for value, _ in choices}
    extra = [(c, f"{c} (not available in Visma.net)") for c in current if c and c not in offered]
    return choices + extra


def account_choices(
    *, connection: Connection, current: Iterable[str] = (), details: bool = True
) -> Choices:
    """Options "<number> DASH <description>"; with `details`, the account's type and currency
    follow, as the Accounts page needs them ("... (Asset, NOK)")."""
    choices: Choices = [("", "—")]
    for a in VismaAccount.objects.filter(connection=connection, active=True).order_by("number"):
        extra = ", ".join(x for x in (a.type, a.currency) if x) if details else ""
        choices.append(
            (a.number, f"{a.number}{DASH}{a.description}" + (f" ({extra})" if extra else ""))
        )
    return _with_current(choices, current)


def supplier_choices(*, connection: Connection, current: Iterable[str] = ()) -> Choices:
    choices: Choices = [("", "—")]
    for s in VismaSupplier.objects.filter(connection=connection, active=True).order_by("number"):
        choices.append((s.number, f"{s.number}{DASH}{s.name}"))
    return _with_current(choices, current)


def vat_category_choices(*, connection: Connection, current: Iterable[str] = ()) -> Choices:
    choices: Choices = [("", "— no tax —")]
    for c in VismaVatCategory.objects.filter(connection=connection, active=True).order_by(
        "vat_category_id"
    ):
        choices.append((c.vat_category_id, vat_category_label(c)))
    return _with_current(choices, current)


def _percent(rate: Decimal) -> str:
    # normalize() alone writes 20 as "2E+1".
    return format(rate.normalize(), "f")


def vat_category_label(category: VismaVatCategory) -> str:
    """ "1 DASH Input VAT 25 %": the rate is added only when the description does not say it."""
    label = f"{category.vat_category_id}{DASH}{category.description}".rstrip(DASH)
    if category.rate is not None:
        rate = _percent(category.rate)
        if not re.search(rf"(?<![\d.,]){re.escape(rate)}([.,]0+)?\s*%", category.description):
            label += f" ({rate} %)"
    if category.reverse_charge:
        label += ", reverse charge"
    return label


def _select(choices: Choices, *, label: str, help_text: str = "") -> forms.CharField:
    # aria-label: in the Tags and Categories tables the field stands in a cell, without a
    # <label>; screen readers (and browser tests) still find it by its label.
    return forms.CharField(
        required=False,
        label=label,
        help_text=help_text,
        widget=forms.Select(choices=choices, attrs={"aria-label": label}),
    )


class AccountsForm(forms.Form):
    """One Pleo Wallet row per currency, plus a row to add a currency."""

    def __init__(
        self,
        *args: Any,
        connection: Connection,
        currencies: Sequence[str],
        mapping: AccountMapping | None,
        **kwargs: Any,
    ) -> None:
        wallets = dict(mapping.wallet_accounts or {}) if mapping else {}
        initial = {
            "tax_account": mapping.tax_account if mapping else "",
            "output_vat_account": mapping.output_vat_account if mapping else "",
            "out_of_pocket_account": mapping.out_of_pocket_account if mapping else "",
            "default_vendor_number": mapping.default_vendor_number if mapping else "",
        }
        self.currencies = list(currencies)
        for currency in self.currencies:
            initial[f"wallet_{currency}"] = wallets.get(currency, "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        current_accounts = [*wallets.values(), *(v for v in initial.values() if v)]
        accounts = account_choices(connection=connection, current=current_accounts)
        for currency in self.currencies:
            self.fields[f"wallet_{currency}"] = _select(
                accounts,
                label=f"Pleo Wallet account ({currency})",
                help_text=f"The balance-sheet account holding the {currency} Pleo wallet. "
                "Leave empty to remove this currency.",
            )
        self.fields["new_currency"] = forms.CharField(
            required=False,
            label="Add a wallet currency",
            help_text="Three letters, e.g. EUR, for a further Pleo wallet currency.",
        )
        self.fields["new_wallet_account"] = _select(accounts, label="Its Pleo Wallet account")
        self.fields["out_of_pocket_account"] = _select(
            accounts,
            label="Out-of-pocket account",
            help_text="The employee liability account. Needed only when reimbursable spend "
            "(out-of-pocket, mileage, per diem, reimbursements) is exported.",
        )
        self.fields["tax_account"] = _select(
            accounts,
            label="Tax account",
            help_text="The existing standard input VAT account in Visma.net.",
        )
        self.fields["output_vat_account"] = _select(
            accounts,
            label="Output VAT account",
            help_text="Credited for reverse-charge VAT (purchases from abroad); the tax account "
            "is debited with the same amount.",
        )
        self.fields["default_vendor_number"] = _select(
            supplier_choices(connection=connection, current=[initial["default_vendor_number"]]),
            label="Default vendor",
            help_text="Needed only when card expenses are booked as purchase invoices: used for "
            "expenses whose vendor matches no Visma.net supplier.",
        )

    def wallet_fields(self) -> list[forms.BoundField]:
        return [self[f"wallet_{c}"] for c in self.currencies]

    def clean_new_currency(self) -> str:
        return str(self.cleaned_data.get("new_currency") or "").strip().upper()

    def to_input(self) -> AccountMappingInput:
        data = self.cleaned_data
        wallets: dict[str, str] = {}
        for currency in self.currencies:
            if data.get(f"wallet_{currency}"):
                wallets[currency] = data[f"wallet_{currency}"]
        if data.get("new_currency") or data.get("new_wallet_account"):
            wallets[data.get("new_currency") or "?"] = data.get("new_wallet_account") or ""
        return AccountMappingInput(
            wallet_accounts=wallets,
            tax_account=data.get("tax_account") or "",
            out_of_pocket_account=data.get("out_of_pocket_account") or "",
            output_vat_account=data.get("output_vat_account") or "",
            default_vendor_number=data.get("default_vendor_number") or "",
        )


class TagsForm(forms.Form):
    """Per segment of the SUBACCOUNT dimension: sync as a tag group, and its default value."""

    def __init__(
        self,
        *args: Any,
        segments: Sequence[VismaSegment],
        settings: dict[int, SegmentSetting],
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any] = {}
        for segment in segments:
            setting = settings.get(segment.pk)
            initial[f"synced_{segment.segment_id}"] = bool(setting and setting.synced)
            initial[f"default_{segment.segment_id}"] = setting.default_value if setting else ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.segments = list(segments)
        for segment in self.segments:
            values: Choices = [("", "—")] + [
                (value.value_id, f"{value.value_id} {value.description}")
                for value in segment.values.filter(active=True).order_by("value_id")
            ]
            synced_label = f"Sync {segment.description} as a Pleo tag group"
            self.fields[f"synced_{segment.segment_id}"] = forms.BooleanField(
                required=False,
                label=synced_label,
                widget=forms.CheckboxInput(attrs={"aria-label": synced_label}),
            )
            self.fields[f"default_{segment.segment_id}"] = _select(
                _with_current(values, [initial[f"default_{segment.segment_id}"]]),
                label=f"Default {segment.description}",
                help_text="Used when an expense has no tag in this group.",
            )

    def rows(self) -> list[tuple[VismaSegment, forms.BoundField, forms.BoundField]]:
        return [
            (s, self[f"synced_{s.segment_id}"], self[f"default_{s.segment_id}"])
            for s in self.segments
        ]

    def to_input(self) -> list[SegmentSettingInput]:
        return [
            SegmentSettingInput(
                segment_id=s.segment_id,
                synced=bool(self.cleaned_data.get(f"synced_{s.segment_id}")),
                default_value=self.cleaned_data.get(f"default_{s.segment_id}") or "",
            )
            for s in self.segments
        ]


class CategoriesForm(forms.Form):
    """Per Pleo category: the Visma.net account and the default VAT category."""

    def __init__(
        self,
        *args: Any,
        connection: Connection,
        categories: Sequence[PleoCategory],
        initial_rows: dict[str, tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        initial: dict[str, str] = {}
        for category in categories:
            account, vat = initial_rows.get(category.pleo_account_id, ("", ""))
            initial[f"account_{category.pleo_account_id}"] = account
            initial[f"vat_{category.pleo_account_id}"] = vat
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        accounts = account_choices(
            connection=connection, current=[a for a, _ in initial_rows.values()], details=False
        )
        vats = vat_category_choices(
            connection=connection, current=[t for _, t in initial_rows.values()]
        )
        # Fields are named by the Pleo account id, so a list that changed between showing the
        # page and saving it cannot shift a choice onto another category.
        for category in self.categories:
            label = category.name or category.code or category.pleo_account_id
            key = category.pleo_account_id
            self.fields[f"account_{key}"] = _select(accounts, label=f"Account for {label}")
            self.fields[f"vat_{key}"] = _select(vats, label=f"Default tax code for {label}")

    def rows(self) -> list[tuple[PleoCategory, forms.BoundField, forms.BoundField]]:
        return [
            (c, self[f"account_{c.pleo_account_id}"], self[f"vat_{c.pleo_account_id}"])
            for c in self.categories
        ]

    def to_input(self) -> list[CategoryMappingInput]:
        return [
            CategoryMappingInput(
                pleo_account_id=c.pleo_account_id,
                visma_account_number=self.cleaned_data.get(f"account_{c.pleo_account_id}") or "",
                default_vat_category=self.cleaned_data.get(f"vat_{c.pleo_account_id}") or "",
                pleo_account_name=c.name,
                pleo_account_code=c.code,
            )
            for c in self.categories
            # Only rows the browser sent: a category that appeared in Pleo meanwhile is left
            # untouched rather than unmapped.
            if f"account_{c.pleo_account_id}" in self.data
        ]
