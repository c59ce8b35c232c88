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
    every_minutes: int | None = None  # how often the schedule that syncs it next runs

    @property
    def every_text(self) -> str:
        """ "every hour", "every day", "every 15 minutes"; "" when not scheduled."""
        minutes = self.every_minutes
        if not minutes:
            return ""
        if minutes % 1440 == 0:
            days = minutes // 1440
            return "every day" if days == 1 else f"every {days} days"
        if minutes % 60 == 0:
            hours = minutes // 60
            return "every hour" if hours == 1 else f"every {hours} hours"
        return f"every {minutes} minutes"


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
    # One row per group of kinds, shared by every connection (`sync_scheduled` syncs each
    # connected connection in turn); only interval schedules say how often they run.
    schedules = [
        (_schedule_kinds(kwargs), next_run, minutes if kind == Schedule.MINUTES else None)
        for kwargs, next_run, kind, minutes in Schedule.objects.filter(func=TASK)
        .exclude(repeats=0)
        .values_list("kwargs", "next_run", "schedule_type", "minutes")
    ]
    scheduled = connection.status == Connection.Status.CONNECTED
    times: list[SyncTime] = []
    for kind in SYNC_KINDS:
        last = next(
            (r for r in runs if run_covers(run_kind=r.kind, run_kinds=r.kinds, kind=kind.name)),
            None,
        )
        upcoming = sorted(
            (
                (at, every)
                for kinds, at, every in schedules
                if at is not None and (kind.name in kinds or ALL in kinds)
            ),
            key=lambda pair: pair[0],
        )
        first = upcoming[0] if upcoming and scheduled else None
        times.append(
            SyncTime(
                kind=kind.name,
                label=kind.label,
                last=last,
                next_at=first[0] if first else None,
                scheduled=scheduled,
                every_minutes=first[1] if first else None,
            )
        )
    return times
