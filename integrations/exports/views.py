"""The Exports pages for finance staff (support staff may read them): runs with a live progress
bar, a run's results and failures grouped by cause, the retry button, and the preview of a
pending Pleo job before anything is posted."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from integrations.connections.models import Connection
from integrations.core import errors
from integrations.core.access import connection_member_required
from integrations.core.remote_errors import RemoteOutcome, remote_error_text
from integrations.core.roles import finance_required
from integrations.exports import selectors
from integrations.exports import services as export_services
from integrations.exports.forms import ExportFilterForm
from integrations.exports.models import ExportRun
from integrations.exports.preview import export_job_preview, export_jobs_pending
from integrations.exports.search import export_items_search

logger = logging.getLogger(__name__)


@finance_required
@require_GET
def exports_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "exports/index.html",
        {"connections": selectors.connections_with_runs(user=request.user)},
    )


@finance_required
@require_GET
def exports_index_runs(request: HttpRequest) -> HttpResponse:
    """Every connection's runs alone: the Exports page asks for them every few seconds."""
    return render(
        request,
        "exports/_index_box.html",
        {"connections": selectors.connections_with_runs(user=request.user)},
    )


@connection_member_required
@finance_required
@require_GET
def connection_exports(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    form = ExportFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else None
    found: list[selectors.ItemRow] = []
    more = False
    if filters is not None and filters.active:
        items, more = export_items_search(connection=connection, filters=filters)
        found = [selectors.item_row(item) for item in items]
    return render(
        request,
        "exports/connection.html",
        {
            "connection": connection,
            "runs": selectors.runs_for_connection(connection=connection),
            "form": form,
            "searched": filters is not None and filters.active,
            "found": found,
            "more": more,
        },
    )


@connection_member_required
@finance_required
@require_GET
def connection_runs(request: HttpRequest, connection_id: int) -> HttpResponse:
    """The runs table alone: the Exports page asks for it every few seconds, so new runs and
    their states appear without a reload."""
    connection = get_object_or_404(Connection, pk=connection_id)
    return render(
        request,
        "exports/_runs_box.html",
        {"connection": connection, "runs": selectors.runs_for_connection(connection=connection)},
    )


@connection_member_required(model=ExportRun, kwarg="run_id")
@finance_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(selectors.runs_with_counts(), pk=run_id)
    return render(
        request,
        "exports/run.html",
        {
            "connection": run.connection,
            "run": run,
            "row": selectors.run_row(run),
            "rows": selectors.run_item_rows(run=run),
            "groups": selectors.run_failure_groups(run=run),
        },
    )


@connection_member_required(model=ExportRun, kwarg="run_id")
@finance_required
@require_GET
def run_status(request: HttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(ExportRun, pk=run_id)
    return JsonResponse(selectors.run_status(run=run))


@connection_member_required(model=ExportRun, kwarg="run_id")
@finance_required
@require_POST
def run_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ExportRun, pk=run_id)
    try:
        wanted = [int(value) for value in request.POST.getlist("item")]
    except ValueError:
        messages.error(request, "The items to retry were not understood.")
        return redirect("exports:run", run_id=run.pk)
    item_ids = selectors.failed_items_of_run(run=run, item_ids=wanted)
    if not item_ids:
        messages.error(request, "None of these items has failed: nothing to retry.")
        return redirect("exports:run", run_id=run.pk)
    try:
        result = export_services.export_items_retry(
            item_ids=item_ids, by=request.user.get_username()
        )
    except export_services.ExportRetryError as exc:
        messages.error(request, str(exc))
    except errors.ApiError as exc:
        messages.error(request, export_services.retry_error_text(exc))
    else:
        started = len(item_ids) - len(result.skipped)
        noun = "item" if started == 1 else "items"
        jobs = ", ".join(run.pleo_job_id for run in result.runs)
        messages.success(
            request,
            f"Retry of {started} {noun} started with the current mappings (new Pleo job {jobs}).",
        )
        for item_id, why in result.skipped:
            messages.warning(request, f"Item {item_id} was not retried: {why}.")
    return redirect("exports:run", run_id=run.pk)


_SIGN_IN_AGAIN = "Pleo refused the connection's sign-in ({error}): connect Pleo again."
_NOT_READ = "Pleo could not be read: {error}"
_JOB_READ_FIXES = {
    RemoteOutcome.SIGN_IN: _SIGN_IN_AGAIN,
    RemoteOutcome.ACCESS: _SIGN_IN_AGAIN,
    RemoteOutcome.NOT_FOUND: "Pleo does not know this export job (it may have expired or "
    "finished).",
    RemoteOutcome.LATER: _NOT_READ,
    RemoteOutcome.REFUSED: _NOT_READ,
}


def _remote_error(exc: errors.ApiError) -> str:
    return remote_error_text(exc, service="Pleo", fixes=_JOB_READ_FIXES)


@connection_member_required
@finance_required
@require_GET
def pending_jobs(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    jobs = []
    error = ""
    try:
        jobs = export_jobs_pending(connection=connection)
    except errors.ApiError as exc:
        logger.warning("exports: pending jobs of connection %s: %s", connection.pk, exc)
        error = _remote_error(exc)
    return render(
        request,
        "exports/pending.html",
        {"connection": connection, "jobs": jobs, "error": error},
    )


@connection_member_required
@finance_required
@require_GET
def pending_job_preview(request: HttpRequest, connection_id: int, job_id: str) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    preview = None
    error = ""
    try:
        preview = export_job_preview(connection=connection, job_id=job_id)
    except errors.ApiError as exc:
        logger.warning("exports: preview of job %s: %s", job_id, exc)
        error = _remote_error(exc)
    return render(
        request,
        "exports/preview.html",
        {"connection": connection, "job_id": job_id, "preview": preview, "error": error},
    )
