"""Retry failed items with the current mappings.

A Pleo export job cannot be reopened once it has ended (item updates and events on a finished
job answer 422), so a retry asks Pleo for a new export job holding the failed accounting entries
(`POST /v3/export-jobs`) and lets it flow through the normal path: webhook or poll, claim,
fetch, plan with today's mappings, post, report. Items whose document was already booked are
not booked again: their rows remember the Visma.net number (see `export_item_upsert`), and only
the missing receipts, the release and the report are redone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from integrations.connections.models import Connection
from integrations.core import errors
from integrations.core.context import call_links
from integrations.core.remote_errors import RemoteOutcome, remote_error_text
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services.context import clients_for
from integrations.exports.services.runs import export_run_enqueue, export_run_register

_NOT_STARTED = "The retry could not be started: {error}"
_RETRY_FIXES = {
    RemoteOutcome.LATER: "Pleo did not answer, try again shortly: {error}",
    RemoteOutcome.SIGN_IN: _NOT_STARTED,
    RemoteOutcome.ACCESS: _NOT_STARTED,
    RemoteOutcome.NOT_FOUND: _NOT_STARTED,
    RemoteOutcome.REFUSED: _NOT_STARTED,
}


def retry_error_text(exc: errors.ApiError) -> str:
    """Why Pleo did not start the retry's new export job, for the page and the admin alike."""
    return remote_error_text(exc, service="Pleo", fixes=_RETRY_FIXES)


class ExportRetryError(Exception):
    """The retry could not be started; the message says why and what to do."""


@dataclass
class RetryResult:
    runs: list[ExportRun] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (item id, why)


def export_items_retry(*, item_ids: Iterable[int], by: str) -> RetryResult:
    """Export the given failed items again in a new Pleo job per connection."""
    result = RetryResult()
    wanted = {int(i) for i in item_ids}
    items = list(
        ExportItem.objects.filter(id__in=wanted).select_related("run", "connection").order_by("id")
    )
    for missing in sorted(wanted - {item.pk for item in items}):
        result.skipped.append((missing, "no such item"))
    by_connection: dict[int, list[ExportItem]] = {}
    for item in items:
        if item.status != ExportItem.Status.FAILED:
            result.skipped.append((item.pk, f"the item is {item.get_status_display().lower()}"))
        elif not item.run.is_finished:
            result.skipped.append((item.pk, "its export is still running"))
        else:
            by_connection.setdefault(item.connection_id, []).append(item)
    for connection_id, group in by_connection.items():
        connection = Connection.objects.get(id=connection_id)
        result.runs.append(_retry_connection(connection, group, by=by))
    if not result.runs and result.skipped:
        raise ExportRetryError(
            "Nothing to retry: " + "; ".join(f"item {i}: {why}" for i, why in result.skipped)
        )
    return result


def _retry_connection(connection: Connection, items: list[ExportItem], *, by: str) -> ExportRun:
    pleo, _ = clients_for(connection=connection)
    entry_ids = [item.accounting_entry_id for item in items]
    with call_links(connection_id=connection.pk):
        try:
            # Reference: POST /v3/export-jobs (createExportJobV3)
            job = pleo.export_job_create(entry_ids)
        except errors.Conflict as exc:
            raise ExportRetryError(
                "Pleo has an export running for this company: retry when it has finished."
            ) from exc
        except errors.ValidationFailed as exc:
            raise ExportRetryError(f"Pleo refused the new export job: {exc.message}") from exc
    run, created = export_run_register(connection=connection, job=job, retry_requested_by=by)
    if not created and not run.retry_requested_by:
        # The job's webhook arrived (and may have been processed) before Pleo answered us.
        ExportRun.objects.filter(id=run.pk).update(retry_requested_by=by[:150])
        run.retry_requested_by = by[:150]
    export_run_enqueue(run_id=run.pk)
    return run
