"""The one mirror reader: read a Visma.net list since its cursor, write the rows that changed,
mark what a full read no longer returns as inactive, save the cursor.

A list is described by a `MirrorList` (its client call, its key and a mapping from the remote
record to mirror fields); the sync-kind registry names the lists a kind reads. Writes are
changed-only and in bulk: each chunk of records loads its existing rows in one query, compares
in memory, then inserts the new rows and updates only the changed ones, so a re-read of an
unchanged list writes no row at all. Mirror rows are never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from integrations.connections.models import Connection
from integrations.masterdata.models import SyncCursor
from integrations.visma.client import VismaClient

# Visma.net stamps lastModifiedDateTime when the transaction commits, which can be a little after
# our previous read started: read a few minutes back so nothing falls in between.
OVERLAP = timedelta(minutes=5)
# Records compared and written per round: one SELECT, at most one INSERT and one UPDATE batch.
CHUNK = 1000


@dataclass(frozen=True)
class MirrorList:
    """One Visma.net list and how it is mirrored.

    `fetch(client, since)` is the client call (`since` is None for a whole read); `fields(record)`
    maps a record to the mirror model's fields (without `raw`, which `keep_raw` adds). A mapping
    that needs what another list holds gets it from `context(connection)`, computed once per
    read, as `fields(record, context)`.
    `record_type` names the cursor of a list read by `lastModifiedDateTime`; a list without one
    is read whole every time. `only_when_empty`: read only while the mirror holds none of it (a
    fallback another kind relies on, e.g. the base currency for vendors)."""

    model: type[models.Model]
    key_field: str
    key: Callable[[Any], Any]
    fields: Callable[..., dict[str, Any]]
    fetch: Callable[[VismaClient, datetime | None], Sequence[Any]]
    record_type: str = ""
    keep_raw: bool = True
    deactivate_missing: bool = True
    only_when_empty: bool = False
    context: Callable[[Connection], Any] | None = None


@dataclass
class MirrorOutcome:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    def add(self, other: MirrorOutcome) -> None:
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated


def raw_json(record: object) -> dict[str, Any]:
    raw = getattr(record, "raw", None)
    if not isinstance(raw, dict):
        return {}
    # Visma.net puts the page's counters on every record of a list (`metadata.totalCount`,
    # `maxPageSize`): they belong to the read, not to the record, and would make an unchanged
    # record differ between a whole read and a delta read.
    record_only = {key: value for key, value in raw.items() if key != "metadata"}
    # The client parses numbers as Decimal; the JSON column wants plain JSON.
    return dict(json.loads(json.dumps(record_only, cls=DjangoJSONEncoder)))


def cursor_since(*, connection: Connection, record_type: str, full: bool) -> datetime | None:
    if full:
        return None
    cursor = SyncCursor.objects.filter(connection=connection, record_type=record_type).first()
    return cursor.read_started_at - OVERLAP if cursor else None


def cursor_save(*, connection: Connection, record_type: str, started_at: datetime) -> None:
    SyncCursor.objects.update_or_create(
        connection=connection,
        record_type=record_type,
        defaults={"read_started_at": started_at},
    )


def _stored(field: models.Field[Any, Any], value: Any) -> Any:
    """The value as the column will give it back, so an unchanged record compares equal."""
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return number.quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, models.DateTimeField) and isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value.astimezone(timezone.get_default_timezone())
    return value


def _changed(row: models.Model, wanted: Mapping[str, Any], meta: dict[str, Any]) -> list[str]:
    return [
        name
        for name, value in wanted.items()
        if _stored(meta[name], getattr(row, name)) != _stored(meta[name], value)
    ]


def mirror_store(
    *,
    model: type[models.Model],
    scope: Mapping[str, Any],
    key_field: str,
    items: Iterable[tuple[Any, dict[str, Any]]],
) -> MirrorOutcome:
    """Upsert `(key, fields)` pairs under `scope` (e.g. `{"connection": c}`), writing only the
    rows that are new or whose fields differ."""
    outcome = MirrorOutcome()
    manager = model._default_manager
    meta = {f.name: f for f in model._meta.concrete_fields}
    has_synced_at = "synced_at" in meta
    pending = list(items)
    for start in range(0, len(pending), CHUNK):
        chunk = dict(pending[start : start + CHUNK])  # a key twice in one read: the last wins
        outcome.read += len(chunk)
        existing = {
            getattr(row, key_field): row
            for row in manager.filter(**scope, **{f"{key_field}__in": list(chunk)})
        }
        now = timezone.now()
        new: list[models.Model] = []
        changed_rows: list[models.Model] = []
        changed_fields: set[str] = set()
        for key, wanted in chunk.items():
            row = existing.get(key)
            if row is None:
                new.append(model(**scope, **{key_field: key}, **wanted))
                continue
            names = _changed(row, wanted, meta)
            if not names:
                outcome.unchanged += 1
                continue
            for name in names:
                setattr(row, name, wanted[name])
            changed_rows.append(row)
            changed_fields.update(names)
        if new:
            manager.bulk_create(new, batch_size=CHUNK)
            outcome.created += len(new)
        if changed_rows:
            if has_synced_at:
                for row in changed_rows:
                    row.synced_at = now  # type: ignore[attr-defined]
                changed_fields.add("synced_at")
            manager.bulk_update(changed_rows, sorted(changed_fields), batch_size=CHUNK)
            outcome.updated += len(changed_rows)
    return outcome


def mirror_deactivate_missing(
    *, model: type[models.Model], scope: Mapping[str, Any], key_field: str, seen: Iterable[Any]
) -> int:
    """Mark active rows under `scope` whose key is not in `seen` inactive (one read of the
    active keys, then updates by primary key for those gone only)."""
    keep = set(seen)
    manager = model._default_manager
    gone = [
        pk
        for pk, key in manager.filter(**scope, active=True).values_list("pk", key_field)
        if key not in keep
    ]
    changes: dict[str, Any] = {"active": False}
    if any(f.name == "synced_at" for f in model._meta.concrete_fields):
        changes["synced_at"] = timezone.now()
    for start in range(0, len(gone), CHUNK):
        manager.filter(pk__in=gone[start : start + CHUNK]).update(**changes)
    return len(gone)


def mirror_list_fields(spec: MirrorList, record: Any, context: Any = None) -> dict[str, Any]:
    fields = spec.fields(record) if spec.context is None else spec.fields(record, context)
    if spec.keep_raw:
        fields["raw"] = raw_json(record)
    return fields


def mirror_read(
    spec: MirrorList, *, client: VismaClient, connection: Connection, full: bool
) -> MirrorOutcome:
    """Read since the cursor → write the changed rows → deactivate the missing (whole reads
    only) → save the cursor."""
    scope = {"connection": connection}
    if spec.only_when_empty and spec.model._default_manager.filter(**scope).exists():
        return MirrorOutcome()
    started = timezone.now()
    since = (
        cursor_since(connection=connection, record_type=spec.record_type, full=full)
        if spec.record_type
        else None
    )
    records = spec.fetch(client, since)
    context = spec.context(connection) if spec.context is not None else None
    outcome = mirror_store(
        model=spec.model,
        scope=scope,
        key_field=spec.key_field,
        items=((spec.key(r), mirror_list_fields(spec, r, context)) for r in records),
    )
    if since is None and spec.deactivate_missing:
        outcome.deactivated = mirror_deactivate_missing(
            model=spec.model,
            scope=scope,
            key_field=spec.key_field,
            seen=(spec.key(r) for r in records),
        )
    if spec.record_type:
        cursor_save(connection=connection, record_type=spec.record_type, started_at=started)
    return outcome
