"""Finding expenses among a connection's exports: failed only, by the expense's date, by the
person who spent, by spend type, and a search by Pleo id, note or supplier.

The item's fields come from the payload Pleo sent (`ExportItemV3`), read in the database with
JSON key lookups so a connection with many thousands of items is filtered there, never in
Python; the page reads one bounded page of results in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from integrations.connections.models import Connection
from integrations.exports.models import ExportItem

RESULTS_LIMIT = 100


@dataclass(frozen=True)
class ItemFilters:
    text: str = ""
    failed_only: bool = False
    date_from: date | None = None
    date_to: date | None = None
    person: str = ""
    spend_type: str = ""

    @property
    def active(self) -> bool:
        return bool(
            self.text
            or self.failed_only
            or self.date_from
            or self.date_to
            or self.person
            or self.spend_type
        )


def _day(value: date) -> str:
    # Pleo's `date` is an ISO 8601 date-time ("2026-03-14T10:15:00Z"): its text sorts by time.
    return value.isoformat()


def export_items_matching(*, connection: Connection, filters: ItemFilters) -> QuerySet[ExportItem]:
    """The connection's items that match, newest first, with their run (one query)."""
    items = (
        ExportItem.objects.filter(connection=connection)
        .select_related("run")
        .annotate(
            # Cast: compared as text, not as JSON (which would parse the bound as JSON).
            expense_date=Cast(KT("payload__date"), output_field=TextField()),
            note_text=KT("payload__note"),
            supplier_name=KT("payload__supplier__name"),
            vendor_name=KT("payload__vendor__name"),
            person_name=KT("payload__user__name"),
        )
    )
    if filters.failed_only:
        items = items.filter(status=ExportItem.Status.FAILED)
    if filters.spend_type:
        items = items.filter(item_type=filters.spend_type)
    if filters.date_from:
        items = items.filter(expense_date__gte=_day(filters.date_from))
    if filters.date_to:
        items = items.filter(expense_date__lt=_day(filters.date_to + timedelta(days=1)))
    if filters.person:
        items = items.filter(person_name__icontains=filters.person)
    if filters.text:
        text = filters.text
        items = items.filter(
            Q(accounting_entry_id__icontains=text)
            | Q(run__pleo_job_id=text)
            | Q(note_text__icontains=text)
            | Q(supplier_name__icontains=text)
            | Q(vendor_name__icontains=text)
            | Q(visma_number=text)
        )
    return items.order_by("-created_at", "-id")


def export_items_search(
    *, connection: Connection, filters: ItemFilters, limit: int = RESULTS_LIMIT
) -> tuple[list[ExportItem], bool]:
    """At most `limit` matching items, and whether there were more."""
    found = list(export_items_matching(connection=connection, filters=filters)[: limit + 1])
    return found[:limit], len(found) > limit
