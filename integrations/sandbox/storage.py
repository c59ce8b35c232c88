"""How the stand-ins keep file contents (receipts, CSV imports) in their database.

PostgreSQL compresses a large value before storing it, with pglz unless the column says
otherwise. A receipt of about 100 KB that compresses well (a generated PDF, the benchmark's)
costs pglz about a millisecond of the server's CPU on every upload, as much as the rest of the
upload's statements together; lz4 (PostgreSQL 14 and later, when built with it) compresses it
some twenty times faster and reads it back as fast. A file that does not compress (a scanned
JPEG) is stored as it is by both. What is stored and answered does not change: only the
stand-in's own cost, which would otherwise be counted against the integration's wall time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def lz4_available(connection: BaseDatabaseWrapper) -> bool:
    """True on a PostgreSQL server that can compress values with lz4."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def lz4_compressed(
    *columns: tuple[str, str],
) -> Callable[[Any, BaseDatabaseSchemaEditor], None]:
    """A `RunPython` function: the `(table, column)` pairs compress new values with lz4 where
    the server can; elsewhere (SQLite, a server without lz4) nothing changes."""

    def forwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if not lz4_available(schema_editor.connection):
            return
        quote = schema_editor.quote_name
        for table, column in columns:
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION lz4"
            )

    return forwards
