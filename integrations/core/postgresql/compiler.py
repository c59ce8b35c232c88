from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.compiler import (
    SQLAggregateCompiler,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLUpdateCompiler,
)
from django.db.backends.postgresql.compiler import SQLInsertCompiler as PostgresInsertCompiler
from django.db.models.sql.compiler import SQLInsertCompiler as BaseInsertCompiler

__all__ = [
    "SQLAggregateCompiler",
    "SQLCompiler",
    "SQLDeleteCompiler",
    "SQLInsertCompiler",
    "SQLUpdateCompiler",
]


class SQLInsertCompiler(PostgresInsertCompiler):
    def assemble_as_sql(self, fields: Any, value_rows: Any) -> Any:
        if self.connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"):
            return super().assemble_as_sql(fields, value_rows)
        # See the package's docstring: VALUES rows, not UNNEST arrays, under client binding.
        return BaseInsertCompiler.assemble_as_sql(self, fields, value_rows)
