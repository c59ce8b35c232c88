"""Many rows, each with its own new values, written by primary key in few statements.

Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` expression for every row and field,
which costs about a millisecond of Python per row: tens of seconds for the tens of thousands of
mirror rows a first master-data sync records. `rows_update` sends the same change as one
`UPDATE … FROM (VALUES …)` per batch (PostgreSQL, and SQLite since 3.33), the values prepared by
each field as Django would save them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

BATCH = 500


def rows_update(
    model: type[models.Model],
    rows: Sequence[models.Model],
    fields: Sequence[str],
    *,
    batch: int = BATCH,
) -> int:
    """Write `fields` of every row in `rows` (saved rows of `model`), `batch` rows per UPDATE.
    Returns how many rows the statements matched."""
    if not rows or not fields:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    pk = meta.pk
    assert pk is not None and pk.column
    targets: list[models.Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.column, name
        targets.append(field)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    # The VALUES columns are column1 (the primary key), column2, … in PostgreSQL and SQLite.
    # PostgreSQL types a VALUES column from its values (text, or integer): each is cast to its
    # column's type. SQLite converts by the column's affinity on store, and a CAST there would
    # read a date as the number it begins with.
    cast = connection.vendor == "postgresql"
    assignments = ", ".join(
        f"{quote(str(field.column))} = "
        + (f"CAST(v.column{n} AS {field.db_type(connection)})" if cast else f"v.column{n}")
        for n, field in enumerate(targets, start=2)
    )
    placeholders = "(" + ", ".join(["%s"] * (len(targets) + 1)) + ")"
    matched = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = []
            for row in chunk:
                params.append(pk.get_db_prep_value(row.pk, connection))
                params.extend(
                    field.get_db_prep_save(getattr(row, field.attname), connection)
                    for field in targets
                )
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 - names quoted, values bound
                f"FROM (VALUES {', '.join([placeholders] * len(chunk))}) AS v "
                f"WHERE {table}.{quote(pk.column)} = v.column1",
                params,
            )
            matched += max(cursor.rowcount, 0)
    return matched
