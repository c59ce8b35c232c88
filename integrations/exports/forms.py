"""The Exports list's filters and search, as a form: what a person typed is validated here and
only then turned into a query."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from integrations.exports.planner.spend_types import SPEND_TYPES
from integrations.exports.search import ItemFilters

SPEND_TYPE_CHOICES = [("", "Any spend type")] + [
    (row.name, row.label) for row in SPEND_TYPES.values()
]


class ExportFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        strip=True,
        help_text="A Pleo id (expense or export job), a note or a supplier.",
    )
    failed = forms.BooleanField(label="Failed only", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    person = forms.CharField(label="Person", required=False, max_length=200, strip=True)
    spend_type = forms.ChoiceField(label="Spend type", required=False, choices=SPEND_TYPE_CHOICES)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> ItemFilters:
        """The filters asked for; call after `is_valid()` returned True."""
        data = self.cleaned_data
        return ItemFilters(
            text=data.get("q") or "",
            failed_only=bool(data.get("failed")),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            person=data.get("person") or "",
            spend_type=data.get("spend_type") or "",
        )
