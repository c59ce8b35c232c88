"""Queue a sync run: record the intent, then hand its id to the worker after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from integrations.connections.models import Connection
from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync_kinds import kinds_expand, sync_kind_for

TASK = "integrations.masterdata.tasks.sync_run"
# A run still "running" after this long lost its worker (django-q2 `retry` is 30 minutes):
# it no longer blocks a new one.
STALE_AFTER = timedelta(hours=1)


def sync_run_active(*, connection: Connection, kind: str) -> SyncRun | None:
    """The queued or running run of this kind, if there is a live one."""
    return (
        SyncRun.objects.filter(
            connection=connection,
            kind=kind,
            status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING],
            queued_at__gte=timezone.now() - STALE_AFTER,
        )
        .order_by("-queued_at")
        .first()
    )


def sync_start(
    *, connection: Connection, kinds: Iterable[str], full: bool = False, triggered_by: str = ""
) -> SyncRun:
    """Queue a run of the given kinds; an identical run already queued or running is returned
    instead of queueing a second one."""
    expanded = kinds_expand(kinds)
    kind = sync_kind_for(expanded)
    with transaction.atomic():
        active = sync_run_active(connection=connection, kind=kind)
        if active is not None and active.full == full:
            return active
        run = SyncRun.objects.create(
            connection=connection,
            kind=kind,
            kinds=expanded,
            full=full,
            triggered_by=triggered_by[:150],
        )
        run_id = run.pk
        transaction.on_commit(lambda: async_task(TASK, run_id, task_name=f"sync-run-{run_id}"))
    return run
