"""Vendor CSV import jobs of the Pleo sandbox.

Reference: specs/pleo/pleo-external-vendors-api-openapi.yml: `POST /v1/vendors/csv-import/jobs`
(CreateCsvImportJobRequestV1 → 201 DataResponseCsvImportJobV1), `…/{jobId}:get-presigned-url`
(PresignedUrlV1), `…/{jobId}:run`, `GET …/{jobId}`, `GET …/{jobId}/errors`
(CsvRowImportErrorV1, cursor-paged), `PUT …/{jobId}/metadata`, `PUT …/{jobId}/status`,
`POST …/jobs:search?company_id=`; statuses CsvImportJobStatusV1, job error codes
CsvImportErrorTypeV1, 404 IMPORT_JOB_NOT_FOUND, 409 INVALID_STATUS_TRANSITION.

What the spec leaves open, read here as follows (verify against Pleo's staging):
* the file goes to the presigned URL with `PUT` (an S3 presigned upload) and is then checked:
  UPLOADED, then READY_FOR_IMPORT with `columnNames` and `rowsTotal`, or FAILED with
  `errorCode` (FILE_EXTENSION_NOT_SUPPORTED, FILE_TOO_SMALL, INVALID_FILE_FORMAT);
* columns are found by header name, the VendorCreateRequest property names (`name`,
  `defaultCurrency`, `code`, `externalId`, `country`, `registrationNumber`,
  `taxRegistrationNumber`, any case); other columns are ignored; rows are checked like
  `POST /v1/vendors` and imported vendors are ACTIVE with an `externalId`, DRAFT without;
* `:run` queues the job (from UPLOADED, READY_FOR_IMPORT or QUEUED); the import happens in
  the background, so status reads answer QUEUED/PROCESSING (`_control/vendor-imports` `reads`,
  default 1) before one answers COMPLETED;
* a row whose `externalId` a vendor already has is refused (`VENDOR_ALREADY_EXISTS`, as the
  409 of `POST /v1/vendors`), or with `_control/vendor-imports` `{"existing": "update"}`
  updates that vendor (rowsSkipped when nothing changes).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from integrations.sandbox.common import sandbox_endpoint
from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.api import (
    ApiError,
    body_object,
    check_company,
    iso,
    paginate,
    pleo_api,
    respond,
)
from integrations.sandbox.pleo.models import (
    Company,
    CsvImportJob,
    CsvRowImportError,
    SandboxSettings,
    Vendor,
)
from integrations.sandbox.pleo.views_vendors import vendor_fields

NOT_FOUND = "IMPORT_JOB_NOT_FOUND"
COLUMNS = {
    "name": "name",
    "defaultcurrency": "defaultCurrency",
    "code": "code",
    "externalid": "externalId",
    "country": "country",
    "registrationnumber": "registrationNumber",
    "taxregistrationnumber": "taxRegistrationNumber",
}
RUNNABLE = (
    CsvImportJob.Status.UPLOADED,
    CsvImportJob.Status.READY_FOR_IMPORT,
    CsvImportJob.Status.QUEUED,
    CsvImportJob.Status.PROCESSING,
)
FINISHED = (CsvImportJob.Status.COMPLETED, CsvImportJob.Status.FAILED)
# CsvImportErrorTypeV1: the job-level error codes.
ERROR_TYPES = (
    "INVALID_FILE_FORMAT",
    "FILE_TOO_LARGE",
    "FILE_TOO_SMALL",
    "FILE_TYPE_NOT_SUPPORTED",
    "FILE_EXTENSION_NOT_SUPPORTED",
    "IMPORT_JOB_NOT_FOUND",
    "INVALID_STATUS_TRANSITION",
    "PROCESSING_FAILED",
)
UPLOAD_LINK_SECONDS = 3600


def job_shape(job: CsvImportJob) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(job.id),
        "companyId": str(job.company_id),
        "type": job.type,
        "status": job.status,
        "originalFilename": job.original_filename,
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
    }
    # Optional properties are plain (non-nullable) in the spec: present only when set.
    optional = {
        "csvFormat": job.csv_format,
        "metadata": job.metadata,
        "s3Key": job.s3_key,
        "columnNames": job.column_names,
        "errorCode": job.error_code,
        "errorMessage": job.error_message,
        "rowsTotal": job.rows_total,
        "rowsSucceeded": job.rows_succeeded,
        "rowsFailed": job.rows_failed,
        "rowsSkipped": job.rows_skipped,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def _error_shape(row: CsvRowImportError) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "csvImportJobId": str(row.job_id),
        "rowNumber": row.row_number,
        "errorCode": row.error_code,
        "errorMessage": row.error_message,
        "rawData": row.raw_data,
        "createdAt": iso(row.created_at),
    }


def _job_for(company: Company, job_id: str) -> CsvImportJob:
    message = f"CSV import job with ID {job_id} not found"
    try:
        key = uuid.UUID(str(job_id))
    except ValueError as exc:
        # getCsvImportJobV1, getCsvImportJobErrorsV1, getCsvImportJobPresignedUrlV1 and
        # runCsvImportJobV1 answer a jobId that is no UUID with 400 PARAMETER_VALIDATION_FAILED
        # (path `jobId`, format uuid), not 404.
        raise ApiError(
            400, "PARAMETER_VALIDATION_FAILED", "Validation failed for path parameters"
        ) from exc
    job = CsvImportJob.objects.filter(pk=key, company=company).first()
    if job is None:
        raise ApiError(404, NOT_FOUND, message)
    return job


def _transition_refused(job: CsvImportJob) -> ApiError:
    return ApiError(
        409,
        "INVALID_STATUS_TRANSITION",
        f"Cannot process CSV job in status {job.status}. "
        "Job must be in QUEUED or PROCESSING status.",
    )


# ---- API -----------------------------------------------------------------------------------


@pleo_api
def jobs_create(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    data = body_object(request)
    for field in ("companyId", "originalFilename", "type"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise ApiError(400, "VALIDATION_FAILED", "Validation failed for request parameters")
    check_company(company, data["companyId"])
    if data["type"] != "vendors":
        raise ApiError(400, "VALIDATION_FAILED", "Only CSV import jobs of type vendors exist here.")
    for field in ("csvFormat", "metadata"):
        if data.get(field) is not None and not isinstance(data[field], dict):
            raise ApiError(400, "VALIDATION_FAILED", f"{field} must be an object.")
    fmt = data.get("csvFormat")
    required = ("delimiter", "ignoreEmptyLines", "recordSeparator", "skipHeaderRecord")
    if fmt is not None and any(fmt.get(k) is None for k in required):
        raise ApiError(400, "VALIDATION_FAILED", f"csvFormat needs {', '.join(required)}.")
    job = CsvImportJob.objects.create(
        company=company,
        type=data["type"],
        original_filename=data["originalFilename"],
        csv_format=fmt,
        metadata=data.get("metadata"),
    )
    return respond({"data": job_shape(job)}, status=201)


@pleo_api
def job_detail(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    if request.method != "GET":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use GET.")
    return respond({"data": job_shape(_job_progress(_job_for(company, job_id)))})


@pleo_api
def job_errors(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    if request.method != "GET":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use GET.")
    job = _job_for(company, job_id)
    return respond(paginate(request, job.row_errors.all(), _error_shape))


@pleo_api
def job_presigned_url(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    job = _job_for(company, job_id)
    if job.status in FINISHED:
        raise _transition_refused(job)
    job.s3_key = f"uploads/{job.company_id}/{job.id}.csv"
    job.save(update_fields=["s3_key", "updated_at"])
    expires = int(clock.now().timestamp()) + UPLOAD_LINK_SECONDS
    path = reverse("sandbox-pleo-csv-upload", kwargs={"job_id": str(job.id)})
    query = f"?expires={expires}&signature={_upload_signature(str(job.id), expires)}"
    return respond({"data": {"presignedUrl": request.build_absolute_uri(path) + query}})


@pleo_api
def job_run(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    with transaction.atomic():
        job = CsvImportJob.objects.select_for_update().get(pk=_job_for(company, job_id).pk)
        if job.status not in RUNNABLE:
            raise _transition_refused(job)
        if job.status != CsvImportJob.Status.PROCESSING:
            job.status = CsvImportJob.Status.QUEUED
            job.reads_left = SandboxSettings.current().csv_import_reads
            job.save(update_fields=["status", "reads_left", "updated_at"])
    return respond({"data": job_shape(_job_progress(job, read=False))})


@pleo_api
def job_metadata(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    """`PUT …/metadata {metadata, strategy: REPLACE|MERGE}` (UpdateMetadataRequestV1)."""
    if request.method != "PUT":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use PUT.")
    job = _job_for(company, job_id)
    data = body_object(request)
    if not isinstance(data.get("metadata"), dict) or data.get("strategy") not in (
        "REPLACE",
        "MERGE",
    ):
        raise ApiError(400, "JSON_MAPPING_EXCEPTION", "Validation failed for request body")
    if data["strategy"] == "MERGE":
        job.metadata = {**(job.metadata or {}), **data["metadata"]}
    else:
        job.metadata = data["metadata"]
    job.save(update_fields=["metadata", "updated_at"])
    return respond({"data": job_shape(job)})


@pleo_api
def job_status(request: HttpRequest, company: Company, job_id: str) -> HttpResponse:
    """`PUT …/status {status, errorMessage?, errorType?}` (UpdateStatusRequestV1)."""
    if request.method != "PUT":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use PUT.")
    job = _job_for(company, job_id)
    data = body_object(request)
    if data.get("status") not in CsvImportJob.Status.values:
        raise ApiError(400, "JSON_MAPPING_EXCEPTION", "Validation failed for request body")
    # updateCsvImportJobStatusV1: `errorType` is a CsvImportErrorTypeV1 (an enum), so any other
    # value fails the body's mapping.
    if data.get("errorType") is not None and data["errorType"] not in ERROR_TYPES:
        raise ApiError(400, "JSON_MAPPING_EXCEPTION", "Validation failed for request body")
    if job.status in FINISHED:
        raise _transition_refused(job)
    job.status = data["status"]
    if job.status == CsvImportJob.Status.FAILED:
        job.error_code = data.get("errorType") or "PROCESSING_FAILED"
        job.error_message = data.get("errorMessage")
    job.save()
    return respond({"data": job_shape(_job_progress(job, read=False))})


@pleo_api
def jobs_search(request: HttpRequest, company: Company) -> HttpResponse:
    if request.method != "POST":
        raise ApiError(405, "METHOD_NOT_ALLOWED", "Use POST.")
    if not request.GET.get("company_id"):
        raise ApiError(400, "VALIDATION_FAILED", "Validation failed for search query")
    check_company(company, request.GET["company_id"])
    data = body_object(request) if request.body else {}
    rows = CsvImportJob.objects.filter(company=company)
    if data.get("ids"):
        if not isinstance(data["ids"], list) or len(data["ids"]) > 100:
            raise ApiError(400, "VALIDATION_FAILED", "Validation failed for search query")
        try:
            rows = rows.filter(pk__in=[uuid.UUID(str(i)) for i in data["ids"]])
        except ValueError as exc:
            raise ApiError(400, "VALIDATION_FAILED", "ids must be UUIDs.") from exc
    if data.get("statuses"):
        # searchCsvImportJobsV1: `statuses` items are CsvImportJobStatusV1 values.
        statuses = data["statuses"]
        if not isinstance(statuses, list) or not set(statuses) <= set(CsvImportJob.Status.values):
            raise ApiError(400, "VALIDATION_FAILED", "Validation failed for search query")
        rows = rows.filter(status__in=statuses)
    if data.get("types"):
        rows = rows.filter(type__in=data["types"])
    return respond(paginate(request, rows, job_shape))


# ---- the upload (S3's part) ----------------------------------------------------------------


def _upload_signature(job_id: str, expires: int) -> str:
    key = f"{settings.SECRET_KEY}:sandbox-pleo-csv-upload".encode()
    return hmac.new(key, f"{job_id}:{expires}".encode(), hashlib.sha256).hexdigest()


@sandbox_endpoint("pleo")
def upload(request: HttpRequest, job_id: str) -> HttpResponse:
    """`PUT csv-uploads/{jobId}?expires&signature` with the file as the body: the presigned
    link is the credential, as with S3 (which answers 200 with an ETag, 403 when expired)."""
    if request.method != "PUT":
        return HttpResponse("Use PUT.", status=405, content_type="text/plain")
    expires = request.GET.get("expires", "")
    given = request.GET.get("signature", "")
    valid = expires.isdigit() and hmac.compare_digest(
        given, _upload_signature(job_id, int(expires))
    )
    if not valid or clock.now().timestamp() > int(expires):
        return HttpResponse("Request has expired.", status=403, content_type="text/plain")
    try:
        job = CsvImportJob.objects.filter(pk=uuid.UUID(job_id)).first()
    except ValueError:
        job = None
    if job is None or job.status not in (
        CsvImportJob.Status.UPLOAD_INITIATED,
        CsvImportJob.Status.UPLOADED,
        CsvImportJob.Status.READY_FOR_IMPORT,
    ):
        return HttpResponse("No upload expected.", status=403, content_type="text/plain")
    content = request.read()
    job.content = content
    job.status = CsvImportJob.Status.UPLOADED
    job.save()
    _file_check(job, content)
    response = HttpResponse(status=200)
    response["ETag"] = '"' + hashlib.md5(content, usedforsecurity=False).hexdigest() + '"'
    return response


def _failed(job: CsvImportJob, code: str, message: str) -> None:
    job.status = CsvImportJob.Status.FAILED
    job.error_code, job.error_message = code, message
    job.save()


def _records(job: CsvImportJob, content: bytes) -> list[tuple[int, list[str]]] | None:
    """The file's records with their record numbers in the file (the header is 1), or None
    after failing the job for a file it cannot read."""
    if not job.original_filename.lower().endswith(".csv"):
        _failed(job, "FILE_EXTENSION_NOT_SUPPORTED", "Only .csv files can be imported.")
        return None
    if not content.strip():
        _failed(job, "FILE_TOO_SMALL", "The uploaded file is empty.")
        return None
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        _failed(job, "INVALID_FILE_FORMAT", "Uploaded file is not a valid CSV format.")
        return None
    fmt = job.csv_format or {}
    options: dict[str, Any] = {"delimiter": fmt.get("delimiter") or _guess_delimiter(text)}
    if fmt.get("quoteCharacter"):
        options["quotechar"] = fmt["quoteCharacter"]
    if fmt.get("escapeCharacter"):
        options["escapechar"] = fmt["escapeCharacter"]
    try:
        records = list(enumerate(csv.reader(io.StringIO(text), strict=True, **options), 1))
    except (csv.Error, TypeError) as exc:
        _failed(job, "INVALID_FILE_FORMAT", f"Uploaded file is not a valid CSV format: {exc}")
        return None
    if fmt.get("ignoreEmptyLines", True):
        records = [(n, r) for n, r in records if any(cell.strip() for cell in r)]
    if not fmt.get("skipHeaderRecord", True):
        _failed(job, "INVALID_FILE_FORMAT", "Columns are read by header: skipHeaderRecord.")
        return None
    return records


def _guess_delimiter(text: str) -> str:
    # "If not provided … the parser will try to guess it" (CsvFormatV1).
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _file_check(job: CsvImportJob, content: bytes) -> None:
    records = _records(job, content)
    if records is None:
        return
    header = records[0][1] if records else []
    if "name" not in {h.strip().lower() for h in header}:
        _failed(job, "INVALID_FILE_FORMAT", "The file has no header row with a name column.")
        return
    job.column_names = [h.strip() for h in header]
    job.rows_total = len(records) - 1
    job.status = CsvImportJob.Status.READY_FOR_IMPORT
    job.save()


# ---- the import ----------------------------------------------------------------------------


def _job_progress(job: CsvImportJob, *, read: bool = True) -> CsvImportJob:
    """A status read of a queued job: PROCESSING while reads are left, then the import."""
    if not read or job.status not in (
        CsvImportJob.Status.QUEUED,
        CsvImportJob.Status.PROCESSING,
    ):
        return job
    if job.reads_left > 0:
        job.reads_left -= 1
        job.status = CsvImportJob.Status.PROCESSING
        job.save(update_fields=["reads_left", "status", "updated_at"])
        return job
    import_carry_out(job)
    job.refresh_from_db()
    return job


def import_carry_out(job: CsvImportJob) -> None:
    """Import every row: vendors created (or updated, per the switch), refusals recorded."""
    with transaction.atomic():
        job = CsvImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in FINISHED:
            return
        records = _records(job, bytes(job.content or b""))
        if records is None:
            return
        header = [COLUMNS.get(h.strip().lower()) for h in records[0][1]]
        update_existing = SandboxSettings.current().csv_import_existing == "update"
        company = job.company
        existing = {
            v.external_id: v
            for v in Vendor.objects.filter(company=company, external_id__isnull=False)
        }
        created: list[Vendor] = []
        fresh: set[str] = set()
        errors: list[CsvRowImportError] = []
        succeeded = skipped = 0
        for number, record in records[1:]:
            raw = ",".join(json.dumps(cell, ensure_ascii=False) for cell in record)
            values = {k: v.strip() for k, v in zip(header, record, strict=False) if k and v.strip()}
            if not values:
                skipped += 1
                continue
            try:
                fields = vendor_fields({**values, "companyId": str(company.id)})
            except ApiError as exc:
                errors.append(_row_error(job, number, exc.type, exc.message, raw))
                continue
            known = existing.get(fields["external_id"]) if fields["external_id"] else None
            if known is not None and not update_existing:
                errors.append(
                    _row_error(
                        job,
                        number,
                        "VENDOR_ALREADY_EXISTS",
                        f"A vendor with externalId {fields['external_id']} exists.",
                        raw,
                    )
                )
                continue
            if known is not None:
                changed = {k: v for k, v in fields.items() if getattr(known, k) != v}
                if not changed:
                    skipped += 1
                    continue
                for key, value in changed.items():
                    setattr(known, key, value)
                if fields["external_id"] not in fresh:
                    known.save()  # a vendor this file created is written with the others
                succeeded += 1
                continue
            state = Vendor.State.ACTIVE if fields["external_id"] else Vendor.State.DRAFT
            vendor = Vendor(company=company, state=state, **fields)
            created.append(vendor)
            if fields["external_id"]:
                existing[fields["external_id"]] = vendor
                fresh.add(fields["external_id"])
            succeeded += 1
        Vendor.objects.bulk_create(created, batch_size=1000)
        CsvRowImportError.objects.bulk_create(errors, batch_size=1000)
        job.rows_total = len(records) - 1
        job.rows_succeeded, job.rows_failed, job.rows_skipped = succeeded, len(errors), skipped
        job.status = CsvImportJob.Status.COMPLETED
        job.save()


def _row_error(
    job: CsvImportJob, number: int, code: str, message: str, raw: str
) -> CsvRowImportError:
    return CsvRowImportError(
        id=uuid.uuid4(),
        job=job,
        row_number=number,
        error_code=code,
        error_message=message,
        raw_data=raw,
    )
