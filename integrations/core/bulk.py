"""Many rows, each with its own new values, written by primary key in few statements.

Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` expression for every row and field,
which costs about a millisecond of Python per row: tens of seconds for the tens of thousands of
mirror rows a first master-data sync records. `rows_update` sends the same change as one
`UPDATE … FROM (VALUES …)` per batch (PostgreSQL, and SQLite since 3.33), the values prepared by
each field as Django would save them.

New rows that nobody reads back at once (the export's fetched items, the remote-call log) go in
through `rows_insert`: PostgreSQL's `COPY … FROM STDIN`, the values prepared by each field as
`bulk_create` would and written out by psycopg, with no SQL text to build or split. A 500-row
insert of remote-call log rows took about 30 ms that way against 70 to 160 ms as `VALUES` rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.backends.utils import CursorDebugWrapper

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


def rows_insert(
    model: type[models.Model],
    rows: Sequence[models.Model],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """`model.objects.bulk_create(rows, ignore_conflicts=…)` without reading keys back: the
    rows' primary keys stay unset. On PostgreSQL one `COPY`; elsewhere `bulk_create`.

    `COPY` has no `ON CONFLICT`: with `ignore_conflicts`, a copy that meets a unique row
    already stored (written by someone else meanwhile) is undone as a whole and the rows go
    through `bulk_create(ignore_conflicts=True)` instead, which skips the ones stored."""
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        model._default_manager.using(alias).bulk_create(rows, ignore_conflicts=ignore_conflicts)
        return
    meta = model._meta
    # As `bulk_create` for rows without a key: every stored column but the numbered key.
    fields = [
        f for f in meta.concrete_fields if not (f.generated or isinstance(f, models.AutoField))
    ]
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(meta.db_table)} "
        f"({', '.join(quote(str(f.column)) for f in fields)}) FROM STDIN"
    )
    values = [
        [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
        for row in rows
    ]
    # Inside the caller's transaction, a savepoint, so that a refused copy leaves it usable
    # for the fallback. Otherwise the copy is a statement of its own (all rows or none).
    inside = ignore_conflicts and connection.in_atomic_block
    try:
        with transaction.atomic(using=alias) if inside else nullcontext():
            _copy(connection, statement, values)
    except IntegrityError:
        if not ignore_conflicts:
            raise
        model._default_manager.using(alias).bulk_create(rows, ignore_conflicts=True)


def _copy(connection: Any, statement: str, values: list[list[Any]]) -> None:
    """Run `statement` (a `COPY … FROM STDIN`) with `values`, as Django runs a statement: its
    errors as Django's (`IntegrityError`), seen by the connection's execute wrappers and, when
    queries are logged, in the query log (a query counter counts it like any other)."""

    def copy_rows(sql: str, params: Any, many: bool, context: Any) -> None:
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row_values in values:
                copy.write_row(row_values)

    with connection.cursor() as cursor:
        logged = (
            cursor.debug_sql(statement) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        )
        with logged:
            cursor._execute_with_wrappers(statement, None, False, executor=copy_rows)


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
