"""Background tasks (django-q2). They take ids, claim their work, and are safe to run twice."""

from __future__ import annotations

import logging

from django.utils import timezone

from integrations.connections.models import Connection
from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync import masterdata_sync
from integrations.masterdata.sync.start import sync_start

logger = logging.getLogger(__name__)


def sync_run(sync_run_id: int) -> None:
    """Run one queued SyncRun. A second delivery finds it no longer queued and does nothing."""
    claimed = SyncRun.objects.filter(id=sync_run_id, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    run = SyncRun.objects.get(id=sync_run_id)
    try:
        masterdata_sync(
            connection_id=run.connection_id,
            kinds=run.kinds or [run.kind],
            full=run.full,
            sync_run_id=run.pk,
        )
    except Exception as exc:
        logger.exception("Sync run %s failed", sync_run_id)
        SyncRun.objects.filter(id=sync_run_id).update(
            status=SyncRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:5000],
            finished_at=timezone.now(),
        )


def sync_scheduled(kinds: list[str], full: bool = False) -> int:
    """The one scheduled task: queue a run of `kinds` for every connected connection.
    Returns how many runs it queued or found queued."""
    count = 0
    for connection in Connection.objects.filter(status=Connection.Status.CONNECTED):
        sync_start(connection=connection, kinds=kinds, full=full, triggered_by="schedule")
        count += 1
    return count
