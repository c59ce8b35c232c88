"""Many rows, each with its own new values, written by primary key in few statements.

Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` expression for every row and field,
which costs about a millisecond of Python per row: tens of seconds for the tens of thousands of
mirror rows a first master-data sync records. `rows_update` sends the same change as one
`UPDATE … FROM (VALUES …)` per batch (PostgreSQL, and SQLite since 3.33), the values prepared by
each field as Django would save them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def _assignments(
    connection: Any, meta: Any, changes: Mapping[str, Any]
) -> tuple[list[str], list[Any]]:
    """`column = %s` for each change, and its value prepared by its field as `update()` would.
    Plain values only (a model instance stands for its key)."""
    quote = connection.ops.quote_name
    sets: list[str] = []
    params: list[Any] = []
    for name, value in changes.items():
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.column, name
        assert not hasattr(value, "resolve_expression"), name
        if isinstance(value, models.Model):
            value = value.pk
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    return sets, params


def row_update(model: type[models.Model], pk: Any, changes: Mapping[str, Any]) -> int:
    """`model.objects.filter(pk=pk).update(**changes)`, written straight: the ORM spends
    about half a millisecond of Python building each such statement, and a saved row's
    `save(update_fields=…)` more (signals, every field's pre-save). No signal is sent and no
    `auto_now` field is touched unless named. Returns how many rows it wrote (0 or 1)."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    assert meta.pk is not None
    sets, params = _assignments(connection, meta, changes)
    params.append(meta.pk.get_db_prep_value(pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608 - names quoted
            f"WHERE {quote(str(meta.pk.column))} = %s",
            params,
        )
        return max(cursor.rowcount, 0)


def row_update_while(
    model: type[models.Model],
    pk: Any,
    changes: Mapping[str, Any],
    *,
    holder: type[models.Model],
    holder_pk: Any,
    holds: Mapping[str, Any],
) -> int:
    """`row_update`, written only while the `holder` row `holder_pk` still has every value of
    `holds`: the check and the write in one statement
    (`UPDATE … WHERE pk = … AND EXISTS (SELECT 1 FROM holder WHERE …)`).

    The ORM builds such a statement (a filter across a relation) as a subquery, with about a
    millisecond of Python each time. Returns how many rows it wrote (0 or 1).
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta, holder_meta = model._meta, holder._meta
    assert meta.pk is not None and holder_meta.pk is not None
    sets, params = _assignments(connection, meta, changes)
    params.append(meta.pk.get_db_prep_value(pk, connection))
    checks = [f"{quote(str(holder_meta.pk.column))} = %s"]
    params.append(holder_meta.pk.get_db_prep_value(holder_pk, connection))
    for name, value in holds.items():
        field = holder_meta.get_field(name)
        assert isinstance(field, models.Field) and field.column, name
        if value is None:
            checks.append(f"{quote(field.column)} IS NULL")
            continue
        checks.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_value(field.get_prep_value(value), connection))
    table, holder_table = quote(meta.db_table), quote(holder_meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 - names quoted, values bound
            f"WHERE {quote(str(meta.pk.column))} = %s AND EXISTS "
            f"(SELECT 1 FROM {holder_table} WHERE {' AND '.join(checks)})",
            params,
        )
        return max(cursor.rowcount, 0)
