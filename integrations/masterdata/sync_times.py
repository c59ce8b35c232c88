"""When each kind of master data was last synced for a connection, and when the schedules sync
it next (the django-q2 Schedule rows of `schedules.py`, which sync every connected
connection)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django_q.models import Schedule

from integrations.connections.models import Connection
from integrations.masterdata.models import SyncRun
from integrations.masterdata.schedules import TASK
from integrations.masterdata.sync_kinds import ALL, SYNC_KINDS, run_covers

# Recent runs looked at for the last sync of each kind.
RECENT_RUNS = 200


@dataclass(frozen=True)
class SyncTime:
    kind: str
    label: str
    last: SyncRun | None  # the latest finished run that synced this kind
    next_at: datetime | None  # the next scheduled sync of it; None when no schedule covers it
    scheduled: bool  # the connection is synced by the schedules at all (connected)


def _schedule_kinds(kwargs: str) -> list[str]:
    # django-q2 reads Schedule.kwargs with ast.literal_eval as well.
    try:
        value: Any = ast.literal_eval(kwargs or "{}")
    except (ValueError, SyntaxError):
        return []
    kinds = value.get("kinds") if isinstance(value, dict) else None
    return [str(k) for k in kinds] if isinstance(kinds, list) else []


def sync_times_for_connection(*, connection: Connection) -> list[SyncTime]:
    """Two queries: the connection's recent runs, and the sync schedules."""
    runs = list(
        SyncRun.objects.filter(connection=connection, finished_at__isnull=False).order_by(
            "-finished_at", "-id"
        )[:RECENT_RUNS]
    )
    schedules = [
        (_schedule_kinds(kwargs), next_run)
        for kwargs, next_run in Schedule.objects.filter(func=TASK)
        .exclude(repeats=0)
        .values_list("kwargs", "next_run")
    ]
    scheduled = connection.status == Connection.Status.CONNECTED
    times: list[SyncTime] = []
    for kind in SYNC_KINDS:
        last = next(
            (r for r in runs if run_covers(run_kind=r.kind, run_kinds=r.kinds, kind=kind.name)),
            None,
        )
        upcoming = [
            at for kinds, at in schedules if at is not None and (kind.name in kinds or ALL in kinds)
        ]
        times.append(
            SyncTime(
                kind=kind.name,
                label=kind.label,
                last=last,
                next_at=min(upcoming) if upcoming and scheduled else None,
                scheduled=scheduled,
            )
        )
    return times
