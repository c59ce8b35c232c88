"""Reporting item outcomes to Pleo and ending the job (DESIGN §4 step 9).

Outcomes go in batches of at most 100 (`PUT /v3/export-jobs/{id}/items`), and each batch is
recorded on its items (`pleo_reported_at`) as soon as Pleo has answered, so a crash resends at
most the one batch in flight: the same statuses again, which Pleo accepts as they are.
"""

from __future__ import annotations

import logging
import time

from django.utils import timezone

from integrations.core import errors
from integrations.core.remote_errors import RemoteOutcome, remote_outcome
from integrations.exports.models import ExportItem, ExportRun, Step
from integrations.exports.services.context import JobFailed, RunContext, job_failure_reason
from integrations.exports.services.progress import run_counts_update
from integrations.pleo.client import ITEM_UPDATE_BATCH
from integrations.pleo.types import ItemUpdate

logger = logging.getLogger(__name__)

# failureReason is shown to finance staff in Pleo; the spec gives no limit, we keep it readable.
PLEO_REASON_MAX = 1000
# While a run posts, whatever is ready is reported at least this often. Pleo expires a job an
# hour after its last update (`expiresIn`); this keeps a slow export well inside that.
REPORT_EVERY_SECONDS = 10 * 60


def item_update_for(item: ExportItem) -> ItemUpdate:
    """What Pleo is told about one item. A booked item that failed later (a receipt) carries
    its Visma.net number too, so finance staff can find the document."""
    if item.status == ExportItem.Status.FAILED:
        return ItemUpdate(
            accounting_entry_id=item.accounting_entry_id,
            status="failed",
            external_id=item.visma_number or None,
            external_url=item.visma_url or None,
            failure_reason_type=item.failure_reason_type or "unexpected_failure",
            failure_reason=(item.failure_reason or "The export failed")[:PLEO_REASON_MAX],
        )
    return ItemUpdate(
        accounting_entry_id=item.accounting_entry_id,
        status="successful",
        external_id=item.visma_number,
        external_url=item.visma_url or None,
        exported_at=timezone.now(),
    )


def export_run_report(ctx: RunContext, *, full_batches_only: bool = False) -> None:
    """Send the outcomes not yet reported, batch by batch. While the run is still posting
    (`full_batches_only`), only full batches of 100 go, so the batches stay as few as possible;
    at the end everything goes."""
    run = ctx.run
    pending = list(
        run.items.filter(
            pleo_reported_at__isnull=True,
            status__in=(ExportItem.Status.POSTED, ExportItem.Status.FAILED),
        ).order_by("id")
    )
    if full_batches_only:
        pending = pending[: len(pending) - len(pending) % ITEM_UPDATE_BATCH]
    for start in range(0, len(pending), ITEM_UPDATE_BATCH):
        batch = pending[start : start + ITEM_UPDATE_BATCH]
        updates = [item_update_for(item) for item in batch]
        ctx.guard()
        try:
            # Reference: PUT /v3/export-jobs/{jobId}/items (updateExportJobItemsV3), ≤100 items
            result = ctx.pleo.export_items_update(run.pleo_job_id, updates)
        except errors.ApiError as exc:
            _job_refusal_check(ctx, exc)
            raise
        _batch_record(batch, updates, result.errors)
        ctx.beat()
    ctx.reported_at = time.monotonic()
    run_counts_update(run)


def _batch_record(
    batch: list[ExportItem], updates: list[ItemUpdate], refusals: list[tuple[str, str, str]]
) -> None:
    """What Pleo took, in one update per outcome (not one per item); a status Pleo refused is
    kept on its item with Pleo's answer, since sending it again would be refused again."""
    refused = {entry_id: f"{kind}: {message}" for entry_id, kind, message in refusals}
    now = timezone.now()
    taken: dict[str, list[int]] = {"successful": [], "failed": []}
    for item, update in zip(batch, updates, strict=True):
        if item.accounting_entry_id in refused:
            ExportItem.objects.filter(id=item.pk).update(
                pleo_reported_at=now,
                reported_status=update.status,
                last_error=f"Pleo refused the status: {refused[item.accounting_entry_id]}",
            )
        else:
            taken[update.status].append(item.pk)
    if taken["successful"]:
        ExportItem.objects.filter(id__in=taken["successful"]).update(
            pleo_reported_at=now,
            reported_status="successful",
            status=ExportItem.Status.SUCCESSFUL,
            step=Step.REPORTED,
        )
    if taken["failed"]:
        ExportItem.objects.filter(id__in=taken["failed"]).update(
            pleo_reported_at=now, reported_status="failed"
        )


def export_run_report_due(ctx: RunContext, *, finished: int) -> None:
    """Called while posting: report as items finish, in full batches of 100, and at least every
    REPORT_EVERY_SECONDS whatever is ready, so Pleo shows progress and never expires the job
    (one hour after its last update) during a long or throttled export."""
    ctx.unreported += finished
    if ctx.unreported >= ITEM_UPDATE_BATCH:
        export_run_report(ctx, full_batches_only=True)
        ctx.unreported %= ITEM_UPDATE_BATCH
    elif ctx.unreported and time.monotonic() - ctx.reported_at >= REPORT_EVERY_SECONDS:
        export_run_report(ctx)
        ctx.unreported = 0


def _job_refusal_check(ctx: RunContext, exc: errors.ApiError) -> None:
    """Pleo refused an update of the job for good (a 4xx other than auth and rate limits):
    when the job is no longer running (expired, cancelled), close the run with Pleo's reason
    instead of trying again forever. Its booked items keep their documents, so the next job
    holding them adopts them without booking again."""
    if remote_outcome(exc) in (RemoteOutcome.LATER, RemoteOutcome.SIGN_IN, RemoteOutcome.ACCESS):
        return
    # Reference: GET /v3/export-jobs/{jobId}
    job = ctx.pleo.export_job_get(ctx.run.pleo_job_id)
    if job.status in ("pending", "in_progress"):
        return
    raise JobFailed(
        job_failure_reason(job.failure_reason_type),
        f"Pleo no longer takes updates for this job: it is {job.status}"
        + (f" ({job.failure_reason})" if job.failure_reason else "")
        + f". Pleo answered: {exc.message}",
    )


def job_event_send(
    ctx: RunContext,
    event: str,
    *,
    failure_reason: str | None = None,
    failure_reason_type: str | None = None,
) -> None:
    """Send a final job event once; a job Pleo already shows as finished is left alone."""
    run = ctx.run
    ctx.guard()
    try:
        # Reference: POST /v3/export-job-events (createExportJobEventV3)
        ctx.pleo.export_job_event(
            run.pleo_job_id,
            event,
            failure_reason=failure_reason,
            failure_reason_type=failure_reason_type,
        )
    except errors.ValidationFailed:
        # 422 INVALID_EXPORT_JOB_STATUS_CHANGE: we sent it before a crash, or the job expired.
        # Reference: GET /v3/export-jobs/{jobId}
        job = ctx.pleo.export_job_get(run.pleo_job_id)
        if job.status in ("pending", "in_progress"):
            raise
        if job.status == "failed" and event != "failed":
            # Expired or cancelled before we could end it: the run closes with Pleo's reason.
            raise JobFailed(
                job_failure_reason(job.failure_reason_type),
                "Pleo ended the job as failed before it was completed"
                + (f": {job.failure_reason}" if job.failure_reason else ""),
            ) from None
        logger.info("Export run %s: Pleo already shows the job as %s", run.pk, job.status)
    ExportRun.objects.filter(id=run.pk).update(finished_event_sent_at=timezone.now())


def export_run_finish(ctx: RunContext) -> None:
    """`completed` when every item was booked, else `completed_with_errors`; close the run."""
    run = ctx.run
    run_counts_update(run)
    failed = run.items.filter(status=ExportItem.Status.FAILED).exists()
    event = ExportRun.Status.COMPLETED_WITH_ERRORS if failed else ExportRun.Status.COMPLETED
    if run.finished_event_sent_at is None:
        job_event_send(ctx, event)
    ExportRun.objects.filter(id=run.pk).update(status=event, finished_at=timezone.now())
    run.status = event
