"""The pure part of the sync: what Pleo should hold versus what it holds → the writes to make.

No I/O here. Records are matched by a key the caller normalises (externalId for accounts and
vendors, code for tax codes, tag groups and tags); nothing is ever deleted: a record Visma.net made
inactive is archived, one it re-activated is un-archived.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Desired:
    """A record as Pleo should hold it, built from the mirror."""

    key: str
    fields: Mapping[str, Any]
    archived: bool
    label: str = ""
    ref: int | None = None  # the mirror row's primary key

    @cached_property
    def state_hash(self) -> str:
        # Asked once to choose what may need a write and again to record what was written.
        return state_hash(self.fields, archived=self.archived)


@dataclass(frozen=True)
class Current:
    """A record as Pleo holds it now, with the same field names as `Desired.fields`."""

    key: str
    pleo_id: str
    fields: Mapping[str, Any]
    archived: bool


@dataclass(frozen=True)
class Op:
    action: Action
    desired: Desired
    pleo_id: str | None = None
    changed_fields: tuple[str, ...] = field(default=())


def _norm(value: Any) -> Any:
    # Pleo answers "" or null for an empty optional field; either means "not set".
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"not serialisable: {value!r}")


def state_hash(fields: Mapping[str, Any], *, archived: bool) -> str:
    body = {k: _norm(v) for k, v in fields.items()} | {"__archived": archived}
    text = json.dumps(body, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


def changed_fields(desired: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k, v in desired.items() if _norm(v) != _norm(current.get(k))))


def needs_push(desired: Desired, *, pleo_id: str, pushed_hash: str) -> bool:
    """Whether the record may differ from what we last wrote to Pleo."""
    return not pleo_id or pushed_hash != desired.state_hash


def _index(current: Iterable[Current]) -> dict[str, Current]:
    found: dict[str, Current] = {}
    for record in current:
        held = found.get(record.key)
        # Two Pleo records with one key: prefer the live one, so we update it instead of
        # un-archiving a stale twin.
        if held is None or (held.archived and not record.archived):
            found[record.key] = record
    return found


def diff_records(desired: Sequence[Desired], current: Iterable[Current]) -> list[Op]:
    """One operation per desired record, in the order given."""
    by_key = _index(current)
    ops: list[Op] = []
    for want in desired:
        have = by_key.get(want.key)
        if have is None:
            ops.append(Op(Action.CREATE, want))
            continue
        changed = changed_fields(want.fields, have.fields)
        if want.archived and not have.archived:
            action = Action.ARCHIVE
        elif not want.archived and have.archived:
            action = Action.UNARCHIVE
        elif changed:
            action = Action.UPDATE
        else:
            action = Action.UNCHANGED
        ops.append(Op(action, want, pleo_id=have.pleo_id, changed_fields=changed))
    return ops
