"""The audit history shown at the bottom of each setup page, read from django-simple-history,
in the pages' own words: each field under the label its form shows, each account, VAT category,
supplier or Pleo category by its name rather than its number or id."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class FieldWords:
    """How a field reads in the history: its label, and how a value is named (given the
    value and the history record), or None to leave the field out."""

    label: str | None
    name: Callable[[Any, Any], str] | None = None


@dataclass(frozen=True)
class Words:
    """The fields of one model in the pages' words; a field not listed reads as its name
    with spaces ("journal batch max lines" → "Journal batch max lines")."""

    fields: Mapping[str, FieldWords] = field(default_factory=dict)


def _plain(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    if value in (None, ""):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {_plain(v)}" for k, v in sorted(value.items())) or "—"
    return str(value)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _change(words: Words, name: str, value: Any, record: Any) -> tuple[str, str] | None:
    shown = words.fields.get(name)
    if shown is not None and shown.label is None:
        return None
    label = shown.label if shown is not None and shown.label else _label(name)
    if value in (None, ""):
        return label, "—"
    if shown is not None and shown.name is not None:
        return label, shown.name(value, record)
    return label, _plain(value)


def history_entries(
    records: Iterable[Any],
    *,
    subject: Callable[[Any], str] | None = None,
    words: Words | None = None,
    limit: int = 50,
) -> list[HistoryEntry]:
    """Newest first: who changed what and when.

    `records` is a history queryset; `subject(record) -> str` names the row a record belongs to
    (for tables with many rows per connection, such as category mappings).
    """
    words = words or Words()
    entries: list[HistoryEntry] = []
    for record in list(records)[:limit]:
        changes: list[str] = []
        previous = record.prev_record if record.history_type == "~" else None
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in _IGNORED_FIELDS:
                    continue
                old = _change(words, change.field, change.old, previous)
                new = _change(words, change.field, change.new, record)
                if old is None or new is None:
                    continue
                changes.append(f"{new[0]}: {old[1]} → {new[1]}")
            if not changes:
                continue  # a save that changed nothing a reader cares about
        elif record.history_type == "+":
            for model_field in record.instance_type._meta.fields:
                if model_field.name in _IGNORED_FIELDS or model_field.primary_key:
                    continue
                value = getattr(record, model_field.attname, None)
                if value in (None, "", {}, False):
                    continue
                shown = _change(words, model_field.name, value, record)
                if shown is not None:
                    changes.append(f"{shown[0]}: {shown[1]}")
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


def named(names: Mapping[str, str]) -> Callable[[Any, Any], str]:
    """A number shown with its name: "1920 Bank (NOK)"; a number no longer known as itself."""

    def name(value: Any, record: Any) -> str:
        text = str(value)
        known = names.get(text)
        return f"{text} {known}" if known else text

    return name


def named_per_key(names: Mapping[str, str]) -> Callable[[Any, Any], str]:
    """A map such as {currency: account number}, each number with its name."""
    one = named(names)

    def name(value: Any, record: Any) -> str:
        if not isinstance(value, dict):
            return one(value, record)
        return ", ".join(f"{k}: {one(v, record)}" for k, v in sorted(value.items())) or "—"

    return name
