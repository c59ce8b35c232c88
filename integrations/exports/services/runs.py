"""Export runs: register Pleo jobs, claim them one at a time per connection (oldest first),
send `started` once, fetch the items, and drive the run through posting and reporting.

A run is claimed with a conditional update under a lock on its connection row, so two workers
never hold runs of one connection at once. A run whose worker stopped (its heartbeat is older
than `STALE_AFTER`) is taken over and continued from the steps its rows recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from integrations.connections.models import Connection
from integrations.core import errors
from integrations.core.bulk import rows_insert
from integrations.core.context import call_links
from integrations.core.http import api_calls_buffered
from integrations.core.pagination import PagesUneven
from integrations.exports.models import (
    AttachmentUpload,
    ExportItem,
    ExportItemOutcome,
    ExportRun,
    Step,
)
from integrations.exports.notify import run_failures_notify_later
from integrations.exports.services.attachments import file_key
from integrations.exports.services.context import (
    STALE_AFTER,
    FetchIncomplete,
    JobFailed,
    RunContext,
    RunDeferred,
    RunLost,
    RunParked,
    auth_failure_type,
    clients_for,
    job_failure_reason,
    run_context_build,
    worker_name,
)
from integrations.exports.services.remote import Action, remote_action
from integrations.pleo.enums import FailureReason, JobFailureReason
from integrations.pleo.types import BrokenExportItem, ExportJob
from integrations.pleo.types import ExportItem as PleoExportItem

logger = logging.getLogger(__name__)

TASK = "integrations.exports.tasks.export_run_process"
# A run failing unexpectedly is tried again after 1, 2, 4, 8 minutes, then parked.
MAX_RUN_ATTEMPTS = 5
# Fetched items are stored this many at a time (one insert for the entries new to the connection).
FETCH_CHUNK = 200
RUN_ATTEMPT_BACKOFF_SECONDS = 60
Status = ExportRun.Status


# -- registering jobs ------------------------------------------------------------------------


def export_run_register(
    *, connection: Connection, job: ExportJob, retry_requested_by: str = ""
) -> tuple[ExportRun, bool]:
    """One run per Pleo job (unique job id): a repeated webhook or poll finds the same row."""
    run, created = ExportRun.objects.get_or_create(
        pleo_job_id=job.id,
        defaults={
            "connection": connection,
            "job_payload": _job_json(job),
            "created_at": job.created_at or timezone.now(),
            "items_total": job.number_of_items or 0,
            "retry_requested_by": retry_requested_by[:150],
        },
    )
    return run, created


def _job_json(job: ExportJob) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(job).items()}


def export_run_enqueue(*, run_id: int, delay_seconds: float = 0) -> None:
    """Queue the processing task after the current transaction commits."""
    if delay_seconds > 0:
        # django-q2 has no delayed task: a one-off schedule runs it when due.
        Schedule.objects.create(
            name=f"export-run-{run_id}-{timezone.now().timestamp():.0f}",
            func=TASK,
            args=repr((run_id,)),
            schedule_type=Schedule.ONCE,
            repeats=1,
            next_run=timezone.now() + timedelta(seconds=delay_seconds),
        )
        return
    transaction.on_commit(lambda: async_task(TASK, run_id, task_name=f"export-run-{run_id}"))


def export_job_created_handler(*, connection_id: int, event: dict[str, Any]) -> None:
    """`v1.export-job.created`: record the job and queue its processing."""
    data = event.get("data")
    job = ExportJob.from_api(data if isinstance(data, dict) else event)
    connection = Connection.objects.get(id=connection_id)
    if (
        job.company_id
        and connection.pleo_company_id
        and job.company_id != connection.pleo_company_id
    ):
        raise ValueError(
            f"Export job {job.id} belongs to company {job.company_id}, not to connection "
            f"{connection_id}"
        )
    run, _ = export_run_register(connection=connection, job=job)
    export_run_enqueue(run_id=run.pk)


def export_jobs_poll(*, connection: Connection) -> list[ExportRun]:
    """The backstop for lost webhooks: register Pleo's pending jobs and queue the new ones."""
    pleo, _ = clients_for(connection=connection)
    created: list[ExportRun] = []
    with call_links(connection_id=connection.pk):
        # Reference: GET /v3/export-jobs?statuses=pending (through PleoClient.export_jobs_list)
        jobs = pleo.export_jobs_list(statuses=("pending",))
    for job in sorted(jobs, key=lambda j: (j.created_at is None, j.created_at)):
        run, was_created = export_run_register(connection=connection, job=job)
        if was_created or run.status == Status.PENDING:
            export_run_enqueue(run_id=run.pk)
        if was_created:
            created.append(run)
    return created


# -- claiming --------------------------------------------------------------------------------


def _stale_before() -> Any:
    return timezone.now() - STALE_AFTER


def export_run_claim_next(*, connection_id: int, worker: str) -> ExportRun | None:
    """The run this worker should process now for the connection, claimed; None when another
    live worker holds one (it continues with the next when done) or nothing is waiting."""
    now = timezone.now()
    with transaction.atomic():
        # The connection row lock serialises claims of one connection across workers.
        Connection.objects.select_for_update().filter(id=connection_id).first()
        active = (
            ExportRun.objects.filter(
                connection_id=connection_id, status__in=ExportRun.ACTIVE_STATUSES
            )
            .order_by("created_at", "id")
            .first()
        )
        if active is not None:
            if active.not_before and active.not_before > now:
                return None
            released = not active.claimed_by
            stale = active.heartbeat_at is None or active.heartbeat_at < _stale_before()
            if not (released or stale):
                return None
            taken = ExportRun.objects.filter(
                id=active.pk, claimed_by=active.claimed_by, heartbeat_at=active.heartbeat_at
            ).update(claimed_by=worker, heartbeat_at=now, not_before=None)
            if not taken:
                return None
            if not released:
                logger.warning("Export run %s taken over from %s", active.pk, active.claimed_by)
            return ExportRun.objects.get(id=active.pk)
        pending = ExportRun.objects.filter(
            connection_id=connection_id, status=Status.PENDING
        ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        if db_connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        candidate = pending.order_by("created_at", "id").first()
        if candidate is None:
            return None
        claimed = ExportRun.objects.filter(id=candidate.pk, status=Status.PENDING).update(
            status=Status.CLAIMED, claimed_by=worker, claimed_at=now, heartbeat_at=now
        )
        if not claimed:
            return None
    run = ExportRun.objects.get(id=candidate.pk)
    run.claimed_first = True
    return run


def _release(run: ExportRun, *, worker: str, **changes: Any) -> None:
    ExportRun.objects.filter(id=run.pk, claimed_by=worker).update(
        claimed_by="", heartbeat_at=None, **changes
    )


# -- processing ------------------------------------------------------------------------------


def export_run_process(*, run_id: int, worker: str | None = None) -> list[int]:
    """Process the connection's runs, oldest first, starting whenever none is held by a live
    worker. Returns the ids of the runs this call worked on. Safe to run twice at once."""
    worker = worker or worker_name()
    run = ExportRun.objects.filter(id=run_id).first()
    if run is None:
        return []
    worked: list[int] = []
    while True:
        claimed = export_run_claim_next(connection_id=run.connection_id, worker=worker)
        if claimed is None:
            return worked
        worked.append(claimed.pk)
        if not export_run_drive(run=claimed, worker=worker):
            return worked


def export_run_drive(*, run: ExportRun, worker: str) -> bool:
    """Take a claimed run as far as it goes; False when it stopped early (deferred, lost)."""
    ctx = run_context_build(run=run, worker=worker)
    # The run's ApiCall rows are written in batches, and whatever is left when it stops.
    with api_calls_buffered(), call_links(connection_id=run.connection_id, export_run_id=run.pk):
        try:
            handled = _drive_handled(ctx)
        except RunLost:
            # Also while failing the job: the new holder decides what happens to it.
            logger.warning("Export run %s: another worker took over", run.pk)
            return False
    ended = ctx.run
    if ended.is_finished and (ended.items_failed or ended.status in _JOB_FAILED):
        # The finance contacts hear of failures; the task sends once however often it runs.
        run_failures_notify_later(run_id=run.pk)
    return handled


# A run that ended in one of these failed as a whole.
_JOB_FAILED = (Status.FAILED, Status.PARKED)


def _drive_handled(ctx: RunContext) -> bool:
    try:
        _drive(ctx)
    except RunDeferred as deferred:
        _defer(ctx, deferred.seconds, deferred.reason)
        return False
    except RunParked as parked:
        _park(ctx, parked.reason_type, parked.message)
    except JobFailed as failure:
        _fail_job(ctx, failure.reason_type, failure.message)
    except errors.ApiError as exc:
        action = remote_action(exc)
        if action.action is Action.REAUTHORISE:
            _fail_job(ctx, auth_failure_type(exc), f"{exc.service}: {exc.message}")
        elif action.action is Action.DEFER:
            _defer(ctx, action.wait_seconds, str(exc))
            return False
        else:
            # Refused where no step handled it: kept and tried again like any other failure.
            if _attempt_failed(ctx, exc):
                return True
            raise
    except Exception as exc:
        # A bug or an unexpected answer: keep the run's steps and try again later; after
        # MAX_RUN_ATTEMPTS in a row the run is parked so later jobs are not held back.
        if _attempt_failed(ctx, exc):
            return True
        raise
    return True


def _attempt_failed(ctx: RunContext, exc: Exception) -> bool:
    """Record an unexpected failure; True when the run was parked (closed), False when it was
    handed back to be tried again after a growing wait."""
    run = ctx.run
    message = f"{type(exc).__name__}: {exc}"[:5000]
    attempts = run.failed_attempts + 1
    ExportRun.objects.filter(id=run.pk).update(failed_attempts=attempts)
    run.failed_attempts = attempts
    if attempts < MAX_RUN_ATTEMPTS:
        wait = RUN_ATTEMPT_BACKOFF_SECONDS * 2 ** (attempts - 1)
        logger.warning(
            "Export run %s failed (attempt %d of %d), again in %ds: %s",
            run.pk,
            attempts,
            MAX_RUN_ATTEMPTS,
            wait,
            message,
        )
        _release(
            run,
            worker=ctx.worker,
            last_error=message,
            not_before=timezone.now() + timedelta(seconds=wait),
        )
        export_run_enqueue(run_id=run.pk, delay_seconds=wait)
        return False
    remote = isinstance(exc, errors.ApiError | FetchIncomplete | ValueError)
    reason = (
        f"Stopped after {attempts} failed attempts; the last one: {message}. The expenses go "
        "back to Pleo's export queue; what was booked is found again by the next export."
    )
    _park(
        ctx,
        JobFailureReason.VALIDATION_FAILURE if remote else JobFailureReason.INTEGRATION_UNUSABLE,
        reason,
    )
    return True


def _park(ctx: RunContext, reason_type: JobFailureReason, reason: str) -> None:
    """Close the run as parked with its reason; Pleo is told the job failed, so its expenses go
    back to the export queue and the next job can start."""
    logger.error("Export run %s parked: %s", ctx.run.pk, reason)
    _fail_job(ctx, reason_type, reason, status=Status.PARKED)


def _drive(ctx: RunContext) -> None:
    from integrations.exports.services.poster import export_run_post
    from integrations.exports.services.reporting import export_run_finish, export_run_report

    run = ctx.run
    steps: list[tuple[str, Callable[[RunContext], None], str]] = [
        (Status.CLAIMED, export_run_start, Status.FETCHING),
        (Status.FETCHING, export_run_fetch, Status.POSTING),
        (Status.POSTING, export_run_post, Status.REPORTING),
        (Status.REPORTING, export_run_report, ""),
    ]
    for status, step, following in steps:
        if run.status != status:
            continue
        step(ctx)
        ctx.beat()
        if following:
            _advance(ctx, following)
    if run.status == Status.REPORTING:
        export_run_finish(ctx)
        _release(run, worker=ctx.worker)


def _advance(ctx: RunContext, status: str) -> None:
    # A step that got through clears the count of failed attempts.
    updated = ExportRun.objects.filter(id=ctx.run.pk, claimed_by=ctx.worker).update(
        status=status, failed_attempts=0
    )
    if not updated:
        raise RunLost(f"Run {ctx.run.pk} was taken over")
    ctx.run.status = status
    ctx.run.failed_attempts = 0


def _defer(ctx: RunContext, seconds: float, reason: str) -> None:
    seconds = max(1.0, seconds)
    logger.info("Export run %s continues in %.0fs: %s", ctx.run.pk, seconds, reason)
    _release(
        ctx.run,
        worker=ctx.worker,
        not_before=timezone.now() + timedelta(seconds=seconds),
        last_error=reason[:5000],
    )
    export_run_enqueue(run_id=ctx.run.pk, delay_seconds=seconds)


def _fail_job(
    ctx: RunContext, reason_type: JobFailureReason, message: str, *, status: str = Status.FAILED
) -> None:
    """Tell Pleo the job failed (its items become abandoned) and close the run."""
    from integrations.exports.services.reporting import job_event_send

    run = ctx.run
    ExportRun.objects.filter(id=run.pk).update(
        failure_reason_type=reason_type, failure_reason=message[:5000], last_error=message[:5000]
    )
    try:
        job_event_send(ctx, "failed", failure_reason=message[:500], failure_reason_type=reason_type)
    except errors.ApiError as exc:
        logger.warning("Export run %s: could not tell Pleo the job failed: %s", run.pk, exc)
    ExportRun.objects.filter(id=run.pk).update(
        status=status, finished_at=timezone.now(), claimed_by="", heartbeat_at=None
    )
    run.status = status


# -- start and fetch -------------------------------------------------------------------------


def export_run_start(ctx: RunContext) -> None:
    """Send `started` once. A crash after sending but before recording leaves the job
    `in_progress` in Pleo: then it is not sent again.

    A run claimed for the first time (from `pending`) whose job was registered as pending sends
    `started` straight away: no worker can have sent it before, and Pleo refuses the event with
    422 `INVALID_EXPORT_JOB_STATUS_CHANGE` for a job that is no longer pending (started by
    someone else, cancelled, expired), which is when the job is read to see why. Any other run
    (taken over, tried again) may have sent it already, so its job is read first, as Pleo asks
    for a resumed job ("resume in_progress jobs without re-sending started", how to detect and
    claim export jobs)."""
    run = ctx.run
    if run.started_event_sent_at is not None:
        return
    registered_pending = run.job_payload.get("status") in (None, "", "pending")
    if run.claimed_first and registered_pending:
        _started_send(ctx)
    else:
        # Reference: GET /v3/export-jobs/{jobId}
        job = ctx.pleo.export_job_get(run.pleo_job_id)
        if job.status == "pending":
            _started_send(ctx)
        else:
            _job_running_check(job)
    now = timezone.now()
    ExportRun.objects.filter(id=run.pk).update(started_event_sent_at=now)
    run.started_event_sent_at = now


def _started_send(ctx: RunContext) -> None:
    run = ctx.run
    ctx.guard()
    try:
        # Reference: POST /v3/export-job-events {"event": "started"}
        ctx.pleo.export_job_event(run.pleo_job_id, "started")
    except errors.ValidationFailed:
        # 422 INVALID_EXPORT_JOB_STATUS_CHANGE: started meanwhile, or ended; look again.
        # Reference: GET /v3/export-jobs/{jobId}
        job = ctx.pleo.export_job_get(run.pleo_job_id)
        if job.status == "pending":
            raise
        _job_running_check(job)


def _job_running_check(job: ExportJob) -> None:
    """A job that is not pending goes on only while it is `in_progress`."""
    if job.status != "in_progress":
        raise JobFailed(
            job_failure_reason(job.failure_reason_type),
            f"Pleo reports the job as {job.status}"
            + (f": {job.failure_reason}" if job.failure_reason else ""),
        )


def export_run_fetch(ctx: RunContext) -> None:
    """Every page of items into `ExportItem` rows; safe to repeat after a crash.

    The entries fetched must be as many as the job's `numberOfItems`: a job whose items were
    not all read is never posted nor reported `completed` (its missing expenses would be left
    out without a word); the run stops here and is tried again, then parked.

    The pages are read side by side, as many at once as the run's calls (by offset, see
    `PleoApiBase.paged`). Pleo does not promise that offset pages line up with its cursor:
    when they do not (a page of the wrong size, or not every item read), the job's items are
    read again page after page by cursor before the job counts as unreadable."""
    run = ctx.run
    expected = _expected_items(ctx)
    at_once = ctx.concurrency
    total: int | None = None
    if at_once > 1:
        try:
            total = _items_read(ctx, at_once=at_once)
        except PagesUneven as exc:
            logger.warning("Export run %s: %s; reading by cursor", run.pk, exc)
        if total is not None and expected is not None and total != expected:
            logger.warning(
                "Export run %s: %s of %s items read by offset; reading by cursor",
                run.pk,
                total,
                expected,
            )
            total = None
    if total is None:
        total = _items_read(ctx, at_once=1)
    if expected is not None and total != expected:
        raise FetchIncomplete(
            f"Pleo listed {total} items for export job {run.pleo_job_id}, which holds "
            f"{expected}: the job is not exported until all its items can be read"
        )
    ExportRun.objects.filter(id=run.pk).update(items_total=total, fetched_at=timezone.now())
    run.items_total = total


def _items_read(ctx: RunContext, *, at_once: int) -> int:
    """Store every item of the job as read; returns how many distinct entries it holds."""
    run = ctx.run
    entries: set[str] = set()
    unnamed = 0
    chunk: list[PleoExportItem] = []
    uploads = ctx.export_settings.transfer_attachments
    # Reference: GET /v3/export-items?job_id=… (PleoClient.export_items_iter)
    for entry in ctx.pleo.export_items_iter(run.pleo_job_id, at_once=at_once):
        if entry.accounting_entry_id:
            entries.add(entry.accounting_entry_id)
        else:
            unnamed += 1
        if isinstance(entry, BrokenExportItem):
            _broken_item_store(run, entry)
            continue
        chunk.append(entry)
        if len(chunk) >= FETCH_CHUNK:
            export_items_store(run=run, entries=chunk, uploads=uploads)
            chunk = []
    export_items_store(run=run, entries=chunk, uploads=uploads)
    return len(entries) + unnamed


def _expected_items(ctx: RunContext) -> int | None:
    """The job's `numberOfItems`, as registered (webhook or poll), else as Pleo shows it now."""
    known = ctx.run.job_payload.get("number_of_items")
    if isinstance(known, int):
        return known
    # Reference: GET /v3/export-jobs/{jobId}
    return ctx.pleo.export_job_get(ctx.run.pleo_job_id).number_of_items


def _broken_item_store(run: ExportRun, entry: BrokenExportItem) -> None:
    if not entry.accounting_entry_id:
        ExportRun.objects.filter(id=run.pk).update(
            last_error=f"An item without an accounting entry id was skipped: {entry.error}"[:5000]
        )
        return
    item = export_item_upsert(
        run=run, payload=entry.raw, item_type=str(entry.raw.get("type") or "")
    )
    if item.status == ExportItem.Status.PENDING and not item.visma_number:
        ExportItem.objects.filter(id=item.pk).update(
            status=ExportItem.Status.FAILED,
            failure_reason_type=FailureReason.VALIDATION_FAILURE,
            failure_reason=f"Pleo sent this expense in a form that cannot be read: {entry.error}",
            fix_page="",
            fix_field="",
        )


def export_items_store(
    *, run: ExportRun, entries: list[PleoExportItem], uploads: bool = False
) -> None:
    """Store fetched items: entries never seen on this connection in one insert, the others
    (an entry exported again, or fetched again after a crash) one by one through
    `export_item_upsert`, which keeps what an earlier run booked.

    With `uploads`, the new items' receipt rows (`AttachmentUpload`, pending) are inserted
    with them, in one insert for the chunk, rather than one by one by the thread that moves each
    receipt; a row of an entry stored before is created when its receipt is moved."""
    if not entries:
        return
    ids = [entry.accounting_entry_id for entry in entries]
    known = set(
        ExportItem.objects.filter(
            connection_id=run.connection_id, accounting_entry_id__in=ids
        ).values_list("accounting_entry_id", flat=True)
    )
    # An entry listed twice in the chunk is stored once, as first listed.
    firsts: dict[str, PleoExportItem] = {}
    for entry in entries:
        if entry.accounting_entry_id not in known:
            firsts.setdefault(entry.accounting_entry_id, entry)
    fresh = list(firsts.values())
    rows_insert(
        ExportItem,
        [
            ExportItem(
                run=run,
                connection_id=run.connection_id,
                accounting_entry_id=entry.accounting_entry_id,
                payload=entry.raw,
                item_type=entry.type,
            )
            for entry in fresh
        ],
        ignore_conflicts=True,
    )
    stored = dict(
        ExportItem.objects.filter(
            run=run, accounting_entry_id__in=[entry.accounting_entry_id for entry in fresh]
        ).values_list("accounting_entry_id", "id")
    )
    if uploads:
        rows_insert(
            AttachmentUpload,
            [
                AttachmentUpload(
                    item_id=stored[entry.accounting_entry_id],
                    file_key=file_key(file.url),
                    size=file.size,
                    content_type=file.type or "",
                )
                for entry in fresh
                if entry.accounting_entry_id in stored
                for file in entry.files
            ],
            ignore_conflicts=True,
        )
    for entry in entries:
        if entry.accounting_entry_id not in stored:
            export_item_upsert(run=run, payload=entry.raw, item_type=entry.type)


def export_item_upsert(*, run: ExportRun, payload: dict[str, Any], item_type: str) -> ExportItem:
    """Store an item of this run, one row per accounting entry and connection.

    An entry seen in an earlier run (exported again in Pleo, or a retry) keeps what was booked:
    a document that exists is never created again, only its missing receipts and the report are
    redone. An entry that failed without a document is planned afresh with today's mappings.
    """
    entry_id = str(payload["accountingEntryId"])
    with transaction.atomic():
        item, created = ExportItem.objects.select_for_update().get_or_create(
            connection_id=run.connection_id,
            accounting_entry_id=entry_id,
            defaults={"run": run, "payload": payload, "item_type": item_type},
        )
        if created:
            return item
        if item.run_id != run.pk:
            # The run it leaves keeps the item's final state there, and a link to this run.
            outcome = ExportItemOutcome.of(item, next_run=run)
            ExportItemOutcome.objects.filter(run_id=item.run_id, item=item).delete()
            outcome.save()
        item.payload = payload
        item.item_type = item_type
        if item.run_id != run.pk:
            item.run = run
            # A new run looks an unknown create up again, with its own count of failures.
            item.lookup_failures = 0
            item.pleo_reported_at = None
            item.reported_status = ""
            item.failure_reason_type = ""
            item.failure_reason = ""
            item.fix_page = ""
            item.fix_field = ""
            if item.visma_number:
                # Booked earlier: finish what is missing (receipts, release), report again.
                item.step = Step.CREATED
                item.status = ExportItem.Status.PLANNED
            elif item.step in (Step.SENDING, Step.UNKNOWN):
                item.status = ExportItem.Status.PLANNED  # resolved by a lookup before sending
            else:
                item.step = Step.FETCHED
                item.status = ExportItem.Status.PENDING
                item.document = None
                item.line_number = None
        item.save()
    return item


# -- resuming --------------------------------------------------------------------------------


def export_runs_resume() -> list[int]:
    """Queue runs whose worker is gone (stale heartbeat), released runs that are due, and
    pending runs nobody picked up. Run by a schedule and at start-up."""
    now = timezone.now()
    stale = Q(status__in=ExportRun.ACTIVE_STATUSES) & (
        Q(heartbeat_at__lt=_stale_before())
        | (Q(claimed_by="") & (Q(not_before__isnull=True) | Q(not_before__lte=now)))
    )
    waiting = Q(status=Status.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    queued: list[int] = []
    seen: set[int] = set()
    for run in ExportRun.objects.filter(stale | waiting).order_by("created_at", "id"):
        if run.connection_id in seen:
            continue
        seen.add(run.connection_id)
        export_run_enqueue(run_id=run.pk)
        queued.append(run.pk)
    return queued
