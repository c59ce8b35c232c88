"""`masterdata_sync`: read Visma.net into the mirror, then push the mirror to Pleo, kind by kind.

A kind that cannot be read or pushed is recorded as a failure and the next kind still runs;
one bad record only fails itself. No database transaction is held across a remote call: every
mirror write and counter update commits on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from integrations.connections.models import Connection
from integrations.connections.services import connection_pleo_client, connection_visma_client
from integrations.core.context import call_links
from integrations.core.http import api_calls_buffered
from integrations.masterdata.models import SyncRun
from integrations.masterdata.sync.push import error_reason
from integrations.masterdata.sync.tally import Tally
from integrations.masterdata.sync_kinds import SYNC_KIND_BY_NAME, kinds_expand
from integrations.pleo.client import PleoClient
from integrations.visma.client import VismaClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    status: str
    counts: dict[str, int]
    failures: list[dict[str, str]]


def masterdata_sync(
    *,
    connection_id: int,
    kinds: Iterable[str],
    full: bool = False,
    sync_run_id: int | None = None,
    visma: VismaClient | None = None,
    pleo: PleoClient | None = None,
) -> SyncResult:
    """Sync the given kinds (accounts, tax_codes, tags, vendors, reference or all) for one
    connection. With `sync_run_id`, progress and the outcome are written to that SyncRun."""
    connection = Connection.objects.get(id=connection_id)
    todo = kinds_expand(kinds)
    tally = Tally(sync_run_id)
    broken_kinds = 0
    # The ApiCall rows of the run are written in batches, by whichever thread fills one.
    with call_links(connection_id=connection_id, sync_run_id=sync_run_id), api_calls_buffered():
        visma = visma or connection_visma_client(connection=connection)
        pleo = pleo or connection_pleo_client(connection=connection)
        for name in todo:
            kind = SYNC_KIND_BY_NAME[name]
            label = kind.label
            try:
                kind.read(client=visma, connection=connection, full=full)
            except Exception as exc:
                logger.warning("Reading %s from Visma.net failed: %s", name, exc)
                tally.fail(f"{label}: read from Visma.net", error_reason(exc), progress=False)
                broken_kinds += 1
                continue
            if kind.pusher is None:
                continue
            try:
                kind.push(pleo=pleo, connection=connection, tally=tally, full=full)
            except Exception as exc:
                logger.warning("Pushing %s to Pleo failed: %s", name, exc)
                tally.fail(f"{label}: write to Pleo", error_reason(exc), progress=False)
                broken_kinds += 1
    if broken_kinds and broken_kinds == len(todo):
        status = SyncRun.Status.FAILED
    elif tally.counts["failed"]:
        status = SyncRun.Status.PARTIALLY_FAILED
    else:
        status = SyncRun.Status.SUCCEEDED
    if sync_run_id is not None:
        tally.progress_done = tally.progress_total
        tally.save(force=True)
        SyncRun.objects.filter(id=sync_run_id).update(status=status, finished_at=timezone.now())
    return SyncResult(status=str(status), counts=dict(tally.counts), failures=list(tally.failures))
