"""Admin lists of tables that grow without end (export items, API calls): on PostgreSQL the
page count comes from the planner's row estimate once the list is large, instead of a
`COUNT(*)` that reads every matching row on each page view.

The count is first taken up to `EXACT_UP_TO` rows (a `COUNT(*)` over a `LIMIT`, so it never reads
more): a small or narrowly filtered list shows its true size in one query. Above it the figure
is PostgreSQL's estimate, good to a few per cent after ANALYZE, which is what a pager needs;
other databases (SQLite, a company's own install) count exactly.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpRequest
from django.utils.functional import cached_property

from integrations.core.access import scope_to_request

EXACT_UP_TO = 20_000


def planner_row_estimate(queryset: Any) -> int | None:
    """The planner's estimate of the rows `queryset` returns (PostgreSQL), else None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        queryset: Any = self.object_list
        if not hasattr(queryset, "query") or connections[queryset.db].vendor != "postgresql":
            return int(super().count)
        counted = int(queryset.order_by().values("pk")[: EXACT_UP_TO + 1].count())
        if counted <= EXACT_UP_TO:
            return counted
        # An estimate below what was just counted (a filter the planner misjudges) is not shown.
        return max(planner_row_estimate(queryset) or 0, counted)


class RecentRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A filter by a related row (a connection, a run) whose choices are read from the related
    table: the rows of it the user may see, in its admin's order, at most `SHOWN` of them (and
    the chosen one). Django's `RelatedOnlyFieldListFilter` reads the distinct values of the
    listed table instead, which at hundreds of thousands of items costs a scan on every page
    view; any other row is still reached by its link (`?run__id__exact=…`). A related table
    whose admin is not scoped to connections keeps Django's way."""

    SHOWN = 30

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, Any]]:
        related_model = field.related_model
        scoped_by = getattr(
            model_admin.admin_site._registry.get(related_model), "connection_field", None
        )
        if scoped_by is None:
            return super().field_choices(field, request, model_admin)
        rows = scope_to_request(related_model._default_manager.all(), request, field=scoped_by)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rows = rows.order_by(*ordering)
        choices = [(str(row.pk), str(row)) for row in rows[: self.SHOWN]]
        chosen = self.lookup_val[-1] if self.lookup_val else ""
        if chosen.isdigit() and all(pk != chosen for pk, _ in choices):
            choices += [(str(row.pk), str(row)) for row in rows.filter(pk=int(chosen))]
        return choices
