"""Admin lists of tables that grow without end (export items, API calls): on PostgreSQL the
page count comes from the planner's row estimate once the list is large, instead of a
`COUNT(*)` that reads every matching row on each page view.

Below `EXACT_UP_TO` estimated rows (and on other databases) the count is exact: a small or
narrowly filtered list shows its true size. Above it the figure is PostgreSQL's estimate, good
to a few per cent after ANALYZE, which is what a pager needs.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

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
        queryset = self.object_list
        if hasattr(queryset, "query"):
            estimate = planner_row_estimate(queryset)
            if estimate is not None and estimate > EXACT_UP_TO:
                return estimate
        return int(super().count)
