"""The audit history shown at the bottom of each setup page, read from django-simple-history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Bookkeeping columns that change on every save and say nothing to a reader.
_IGNORED_FIELDS = frozenset({"id", "updated_at", "connection"})
_CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    action: str  # created | changed | deleted
    subject: str
    changes: tuple[str, ...]
    reason: str


def _show(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {v}" for k, v in sorted(value.items())) or "—"
    return str(value)


def history_entries(
    records: Iterable[Any], *, subject: Any = None, limit: int = 50
) -> list[HistoryEntry]:
    """Newest first: who changed what and when.

    `records` is a history queryset; `subject(record) -> str` names the row a record belongs to
    (for tables with many rows per connection, such as category mappings).
    """
    entries: list[HistoryEntry] = []
    for record in list(records)[:limit]:
        changes: list[str] = []
        previous = record.prev_record if record.history_type == "~" else None
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in _IGNORED_FIELDS:
                    continue
                changes.append(f"{change.field}: {_show(change.old)} → {_show(change.new)}")
            if not changes:
                continue  # a save that changed nothing a reader cares about
        elif record.history_type == "+":
            for field in record.instance_type._meta.fields:
                if field.name in _IGNORED_FIELDS or field.primary_key:
                    continue
                value = getattr(record, field.attname, None)
                if value not in (None, "", {}, False):
                    changes.append(f"{field.name}: {_show(value)}")
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=user.get_username() if user is not None else "system",
                action=_CHANGE_TYPES.get(record.history_type, record.history_type),
                subject=subject(record) if subject is not None else "",
                changes=tuple(changes),
                reason=record.history_change_reason or "",
            )
        )
    return entries
