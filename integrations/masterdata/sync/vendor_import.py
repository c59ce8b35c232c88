"""Many new vendors at once go to Pleo through one vendor CSV import job instead of one
`POST /v1/vendors` each (DESIGN §8); a few stay on the per-vendor calls.

Which vendors were imported is decided by reading them back from Pleo by external id, never
from the job's counters: a vendor found is recorded as created (then archived or activated as
the supplier requires), one not found fails with the row error Pleo gave for it, or the job's
failure. So a job that outlived our wait, or a run that stopped half-way, is repaired by the
next sync (its search finds what the job imported) and never creates a vendor twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.utils import timezone

from integrations.core import errors
from integrations.masterdata.sync.diff import Op
from integrations.masterdata.sync.push import each_side_by_side, error_reason
from integrations.pleo.client import PleoClient
from integrations.pleo.reference_api import VENDOR_SEARCH_LIST
from integrations.pleo.types import Vendor
from integrations.pleo.vendor_import import CsvImportJob, row_errors_by_key, vendor_csv

# More new vendors than this in one sync go through a CSV import job.
VENDOR_IMPORT_THRESHOLD = 50
# How long a sync waits for Pleo to finish an import, polling its status with growing pauses.
IMPORT_WAIT_SECONDS = 600.0
# A short first pause: a job of a few thousand rows is often done within a second, and a
# pause longer than the job is time the sync only waits.
POLL_FIRST_SECONDS = 0.2
POLL_GROWTH = 1.5
POLL_MAX_SECONDS = 5.0
# The statuses from which a job still has to be run (CsvImportJobStatusV1).
NOT_STARTED = ("UPLOAD_INITIATED", "UPLOADED", "READY_FOR_IMPORT")

Outcome = tuple[Op, str | None, str | None]


def _row(op: Op) -> dict[str, str | None]:
    f = op.desired.fields
    return {
        "externalId": f["externalId"],
        "code": f["code"],
        "name": f["name"],
        "defaultCurrency": f["defaultCurrency"],
        "country": f["country"],
        "registrationNumber": f["registrationNumber"],
        "taxRegistrationNumber": f["taxRegistrationNumber"],
    }


def _run_and_wait(pleo: PleoClient, job_id: str) -> CsvImportJob:
    try:
        job = pleo.vendor_import_run(job_id)
    except errors.ApiError:
        # A lost answer, or a job Pleo already failed when it checked the file: its status says.
        job = pleo.vendor_import_job_get(job_id)
        if job.status in NOT_STARTED:
            raise
    deadline = time.monotonic() + IMPORT_WAIT_SECONDS
    pause = POLL_FIRST_SECONDS
    while not job.finished:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"job {job_id} still {job.status} after {IMPORT_WAIT_SECONDS:.0f} s; the next "
                "sync finds the vendors it imports"
            )
        pleo.sleep(pause)
        pause = min(pause * POLL_GROWTH, POLL_MAX_SECONDS)
        job = pleo.vendor_import_job_get(job_id)
    return job


def _settle(pleo: PleoClient, op: Op, vendor: Vendor) -> str:
    """An imported vendor is ACTIVE; make it what the supplier says. Returns its id."""
    if op.desired.archived and vendor.state != "ARCHIVED":
        # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors/{id}:archive
        pleo.vendor_archive(vendor.id)
    elif not op.desired.archived and vendor.state != "ACTIVE":
        # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors/{id}:activate
        pleo.vendor_activate(
            vendor.id,
            external_id=op.desired.fields["externalId"],
            code=op.desired.fields["code"],
        )
    return vendor.id


def vendors_import(*, pleo: PleoClient, ops: Sequence[Op], concurrency: int = 1) -> list[Outcome]:
    """Create the vendors of `ops` (all CREATE, each with a currency) by one CSV import job;
    the reads back and the archives or activations that follow go up to `concurrency` at
    once."""
    keys = [op.desired.key for op in ops]
    failure: str | None = None
    row_errors = {}
    job_id = ""
    try:
        # Reference: pleo-external-vendors-api-openapi.yml createCsvImportJobV1,
        # getCsvImportJobPresignedUrlV1, runCsvImportJobV1, getCsvImportJobV1
        job = pleo.vendor_import_job_create(filename=f"vendors-{timezone.now():%Y%m%d-%H%M%S}.csv")
        job_id = job.id
        pleo.presigned_upload(
            pleo.vendor_import_upload_url(job.id),
            vendor_csv(_row(op) for op in ops),
            content_type="text/csv",
        )
        job = _run_and_wait(pleo, job.id)
        if job.status == "FAILED":
            failure = (
                f"Pleo's vendor CSV import job {job.id} failed: "
                f"{job.error_code or 'no error code'}: {job.error_message or 'no message'}"
            )
        elif job.rows_failed or job.rows_failed is None:
            # Reference: pleo-external-vendors-api-openapi.yml getCsvImportJobErrorsV1
            row_errors = row_errors_by_key(pleo.vendor_import_errors(job.id), keys)
    except Exception as exc:
        where = f" job {job_id}" if job_id else ""
        failure = f"Pleo's vendor CSV import{where} did not finish: {error_reason(exc)}"
    # Reference: pleo-external-vendors-api-openapi.yml POST /v1/vendors:search, by at most
    # 100 external ids a search (VendorSearchRequestV1): the searches go out side by side.
    chunks = [keys[i : i + VENDOR_SEARCH_LIST] for i in range(0, len(keys), VENDOR_SEARCH_LIST)]
    found: dict[str, Vendor] = {}
    unread: dict[str, str] = {}

    def searched(chunk: list[str], vendors: list[Vendor] | None, error: str | None) -> None:
        if error is not None:
            reason = failure or f"the vendors Pleo imported could not be read: {error}"
            unread.update(dict.fromkeys(chunk, reason))
            return
        found.update((v.external_id, v) for v in vendors or () if v.external_id)

    each_side_by_side(
        chunks,
        lambda chunk: pleo.vendors_search(external_ids=chunk),
        concurrency=concurrency,
        finished=searched,
    )
    outcomes: list[Outcome] = []
    to_settle: list[tuple[Op, Vendor]] = []
    for op in ops:
        if op.desired.key in unread:
            outcomes.append((op, None, unread[op.desired.key]))
            continue
        vendor = found.get(op.desired.key)
        if vendor is not None:
            to_settle.append((op, vendor))
            continue
        refused = row_errors.get(op.desired.key)
        if refused is not None:
            row = f" (row {refused.row_number})" if refused.row_number is not None else ""
            reason = (
                f"refused by Pleo's vendor CSV import{row}: "
                f"{refused.error_code or 'error'}: {refused.error_message}"
            )
        else:
            reason = failure or f"not imported by Pleo's vendor CSV import job {job_id}"
        outcomes.append((op, None, reason))
    each_side_by_side(
        to_settle,
        lambda pair: _settle(pleo, *pair),
        concurrency=concurrency,
        finished=lambda pair, vendor_id, error: outcomes.append((pair[0], vendor_id, error)),
    )
    return outcomes
