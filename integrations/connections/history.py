"""The audit history shown on the export settings page: who changed what, and when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Bookkeeping columns that change on every save and tell a reader nothing.
_IGNORED = frozenset({"id", "updated_at", "connection"})


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    user: str
    action: str  # created | changed
    changes: tuple[str, ...]


def _show(value: Any) -> str:
    if value is True:
        return "on"
    if value is False:
        return "off"
    if value in (None, ""):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {v}" for k, v in sorted(value.items())) or "—"
    return str(value)


# The export settings page's own labels (connections.forms.ExportSettingsForm).
_LABELS = {
    "transfer_attachments": "Transfer attachments (receipts) to Visma.net",
    "one_journal_per_export": "One journal transaction per export",
    "card_expenses_as_invoices": "Book card expenses as purchase invoices",
    "auto_release_invoices": "Release purchase invoices automatically",
    "invoice_payment_method": "Purchase-invoice payment method",
    "closed_period_policy": "When an expense falls in a closed period",
    "journal_batch_max_lines": "Lines per journal transaction at most",
}


def _label(model: Any, name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # a field removed since: show its name
        return name.replace("_", " ").capitalize()


def _value(model: Any, name: str, value: Any) -> str:
    """A choice by its label ("Fail the item", not "fail")."""
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except Exception:
        choices = {}
    return str(choices.get(value, _show(value))) if value not in (None, "") else _show(value)


def history_entries(records: Iterable[Any], *, limit: int = 50) -> list[HistoryEntry]:
    """Newest first. Saves that changed nothing a reader cares about are left out."""
    entries: list[HistoryEntry] = []
    for record in list(records)[: limit * 2]:
        model = record.instance_type
        changes: list[str] = []
        if record.history_type == "~" and record.prev_record is not None:
            for change in record.diff_against(record.prev_record).changes:
                if change.field in _IGNORED:
                    continue
                old = _value(model, change.field, change.old)
                new = _value(model, change.field, change.new)
                changes.append(f"{_label(model, change.field)}: {old} → {new}")
            if not changes:
                continue
            action = "changed"
        else:
            action = "created"
            for field in model._meta.fields:
                if field.name in _IGNORED or field.primary_key:
                    continue
                value = _value(model, field.name, getattr(record, field.attname))
                changes.append(f"{_label(model, field.name)}: {value}")
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=user.get_username() if user is not None else "system",
                action=action,
                changes=tuple(changes),
            )
        )
        if len(entries) >= limit:
            break
    return entries
