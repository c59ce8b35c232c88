"""Export API v3 of the Pleo sandbox: jobs, job events, job items and export items.

Reference: ../shared/specs/pleo/pleo-export-api-v3-api-openapi.yml and
pleo-export-items-v3-api-openapi.yml.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.pleo.api import (
    ApiError,
    body_array,
    body_object,
    check_company,
    methods,
    paginate,
    pleo_api,
    respond,
)
from integrations.sandbox.pleo.jobs import (
    RUNNING,
    job_create,
    job_event,
    job_for_company,
    job_items_update,
    jobs_expire_stale,
    known_entries,
)
from integrations.sandbox.pleo.models import Company, ExportJob, ExportJobItem
from integrations.sandbox.pleo.shapes import (
    export_item_shape,
    job_item_shape,
    job_shape,
)


def _statuses(request: HttpRequest) -> list[str]:
    values: list[str] = []
    for raw in request.GET.getlist("statuses"):
        values.extend(v for v in raw.split(",") if v)
    unknown = [v for v in values if v not in ExportJob.Status.values]
    if unknown:
        raise ApiError(400, "VALIDATION_FAILED", f"Unknown statuses: {', '.join(unknown)}.")
    return values


def _jobs_list(request: HttpRequest, company: Company) -> HttpResponse:
    check_company(company, request.GET.get("company_id"))
    jobs_expire_stale(company=company)
    rows = ExportJob.objects.filter(company=company)
    statuses = _statuses(request)
    if statuses:
        rows = rows.filter(status__in=statuses)
    return respond(paginate(request, rows, job_shape))


def _jobs_create(request: HttpRequest, company: Company) -> HttpResponse:
    data = body_object(request)
    entry_ids = data.get("accountingEntryIds")
    if not data.get("companyId") or not isinstance(entry_ids, list) or not entry_ids:
        raise ApiError(
            400, "VALIDATION_FAILED", "companyId and a non-empty accountingEntryIds are required."
        )
    check_company(company, data["companyId"])
    options = data.get("options") or {}
    items = known_entries(company=company, entry_ids=[str(e) for e in entry_ids])
    try:
        job = job_create(
            company=company,
            items=items,
            created_by=data.get("employeeId"),
            is_interactive=data.get("isInteractive") is not False,
            vendor_based_bookkeeping=bool(options.get("vendorBasedBookkeeping")),
        )
    except ValueError as exc:
        raise ApiError(400, "VALIDATION_FAILED", str(exc)) from exc
    return respond({"data": job_shape(job)}, status=201)


export_jobs = pleo_api(methods(get=_jobs_list, post=_jobs_create))


@pleo_api
def export_job_detail(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    if request.method != "GET":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use GET.")
    return respond({"data": job_shape(job_for_company(company=company, job_id=job_id))})


@pleo_api
def export_job_events(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    if not data.get("jobId") or not data.get("event"):
        raise ApiError(400, "VALIDATION_FAILED", "jobId and event are required.")
    job = job_for_company(company=company, job_id=data["jobId"])
    job_event(
        job=job,
        event=str(data["event"]),
        failure_reason=data.get("failureReason"),
        failure_reason_type=data.get("failureReasonType"),
    )
    return HttpResponse(status=202)


def _job_items_list(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    job = job_for_company(company=company, job_id=job_id)
    rows = job.items.all()
    status = request.GET.get("status")
    if status:
        if status not in ExportJobItem.Status.values:
            raise ApiError(400, "VALIDATION_FAILED", f"Unknown status {status!r}.")
        rows = rows.filter(status=status)
    return respond(paginate(request, rows, job_item_shape))


def _job_items_update(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    job = job_for_company(company=company, job_id=job_id)
    updates = body_array(request)
    updated, errors = job_items_update(job=job, updates=updates)
    return respond({"data": [job_item_shape(i) for i in updated], "errors": errors})


export_job_items = pleo_api(methods(get=_job_items_list, put=_job_items_update))


@pleo_api
def export_items(request: HttpRequest, company: Company) -> HttpResponse:
    """`GET /v3/export-items?job_id=`: only from running jobs; files as fresh signed links."""
    if request.method != "GET":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use GET.")
    job_id = request.GET.get("job_id")
    if not job_id:
        raise ApiError(400, "VALIDATION_FAILED", "job_id is required.")
    job = job_for_company(company=company, job_id=job_id)
    if job.status not in RUNNING:
        raise ApiError(
            422,
            "EXPORT_JOB_STATUS_UNPROCESSABLE",
            "Export Job is finished and can no longer be processed.",
        )

    def shape(item: ExportJobItem) -> dict[str, Any]:
        return export_item_shape(item, request)

    # A job's items are numbered 0, 1, 2, … as created (jobs.py), all at once, and never
    # removed: the job's number of items is their count.
    page = paginate(
        request, job.items.all(), shape, positions="position", total=job.number_of_items
    )
    return respond(page)
