"""Export job rules of the Pleo sandbox: creation, events, item updates and expiry.

Reference: ../shared/specs/pleo/pleo-export-api-v3-api-openapi.yml and the export workflow
guide (one running job per company, 1 h expiry after the last update, ≤100 item updates).
"""

from __future__ import annotations

import base64
import binascii
import copy
import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.api import ApiError
from integrations.sandbox.pleo.files import file_entry, file_store
from integrations.sandbox.pleo.models import Company, ExportJob, ExportJobItem, StoredFile
from integrations.sandbox.pleo.shapes import job_shape
from integrations.sandbox.pleo.webhooks import webhook_emit

RUNNING = (ExportJob.Status.PENDING, ExportJob.Status.IN_PROGRESS)
JOB_EXPIRES_IN = 3600
ITEM_UPDATE_LIMIT = 100
EVENTS = ("started", "failed", "completed", "completed_with_errors")
JOB_FAILURE_TYPES = frozenset(
    {
        "invalid_configuration", "missing_configuration", "authentication_failure",
        "accounting_system_authentication_failure", "pleo_rate_limit",
        "accounting_system_rate_limit", "service_unreachable", "accounting_system_unreachable",
        "validation_failure", "authorization_failure", "integration_unusable", "job_expired",
        "service_timeout", "accounting_system_timeout", "canceled_by_user",
    }
)  # fmt: skip
ITEM_FAILURE_TYPES = frozenset(
    {
        "receipt_upload_failure", "receipt_download_failure", "receipt_file_size_limit_exceeded",
        "receipt_conversion_failure", "unexpected_failure", "invalid_configuration",
        "missing_configuration", "accounting_system_authentication_failure",
        "accounting_system_rate_limit", "accounting_system_unreachable", "validation_failure",
        "accounting_system_validation_failure", "authorization_failure",
        "accounting_system_timeout", "vendor_unknown", "account_unknown", "tax_code_unknown",
        "tag_unknown",
    }
)  # fmt: skip
ITEM_STATUSES = frozenset(s.value for s in ExportJobItem.Status)
# Item states the integration cannot report back any more.
ITEM_OPEN = (ExportJobItem.Status.PENDING, ExportJobItem.Status.IN_PROGRESS)


def jobs_expire_stale(*, company: Company | None = None) -> int:
    """Fail running jobs not touched within `expiresIn` seconds (checked lazily on access).

    Reference: ExportJobV3.expiresIn ("calculated since the last action … reflected in the
    `lastUpdatedAt` attribute") and failure type `job_expired` ("Job not updated within expiry
    time limit"), export-api-v3 spec.
    """
    now = clock.now()
    running = ExportJob.objects.filter(status__in=RUNNING)
    if company is not None:
        running = running.filter(company=company)
    expired = 0
    for job in running.only("pk", "last_updated_at", "expires_in"):
        deadline = job.last_updated_at + timedelta(seconds=job.expires_in)
        if deadline <= now and job_expire(job=job, at=deadline):
            expired += 1
    return expired


def job_expire(*, job: ExportJob, at: datetime) -> bool:
    """Expire a running job as Pleo does: failed, `job_expired`, open items abandoned; from
    then on events answer 422 INVALID_EXPORT_JOB_STATUS_CHANGE and item updates and item reads
    422 EXPORT_JOB_STATUS_UNPROCESSABLE. False when the job was no longer running."""
    with transaction.atomic():
        changed = ExportJob.objects.filter(pk=job.pk, status__in=RUNNING).update(
            status=ExportJob.Status.FAILED,
            failure_reason_type="job_expired",
            failure_reason="Job not updated within expiry time limit.",
            expired_at=at,
            completed_at=at,
        )
        if changed:
            ExportJobItem.objects.filter(job_id=job.pk, status__in=ITEM_OPEN).update(
                status=ExportJobItem.Status.ABANDONED
            )
    return bool(changed)


def job_for_company(*, company: Company, job_id: str) -> ExportJob:
    jobs_expire_stale(company=company)
    try:
        return ExportJob.objects.get(pk=uuid.UUID(str(job_id)), company=company)
    except (ValueError, ExportJob.DoesNotExist) as exc:
        raise ApiError(404, "EXPORT_NOT_FOUND", "Export job not found.") from exc


# ---- creation ------------------------------------------------------------------------------


def _money_ok(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("inSupplierCurrency"), dict)
        and isinstance(value.get("inWalletCurrency"), dict)
    )


def export_item_prepare(*, company: Company, raw: Any, index: int) -> dict[str, Any]:
    """Complete an ExportItemV3 given to the control API: generated ids, links, stored files."""
    if not isinstance(raw, dict):
        raise ValueError(f"items[{index}] must be an object.")
    item = copy.deepcopy(raw)
    missing = [f for f in ("type", "date", "amount") if item.get(f) in (None, "")]
    lines = item.get("accountingEntryLines")
    if not isinstance(lines, list) or not lines:
        missing.append("accountingEntryLines")
        lines = []
    if missing:
        raise ValueError(f"items[{index}] lacks {', '.join(missing)}.")
    if parse_datetime(str(item["date"])) is None:
        raise ValueError(f"items[{index}].date must be a date-time such as 2026-04-22T10:00:00Z.")
    if not _money_ok(item["amount"]):
        raise ValueError(f"items[{index}].amount needs inSupplierCurrency and inWalletCurrency.")
    entry_id = str(item.get("accountingEntryId") or uuid.uuid4())
    item["accountingEntryId"] = str(uuid.UUID(entry_id))
    item["companyId"] = str(company.id)
    for n, line in enumerate(lines):
        if not isinstance(line, dict) or not _money_ok(line.get("lineAmount")):
            raise ValueError(f"items[{index}].accountingEntryLines[{n}] needs a lineAmount.")
        line.setdefault("accountingEntryLineId", str(uuid.uuid4()))
        if line.get("netAmount") is None:
            if line.get("tax"):
                raise ValueError(
                    f"items[{index}].accountingEntryLines[{n}] has tax, so give its netAmount."
                )
            line["netAmount"] = copy.deepcopy(line["lineAmount"])
    info = item.setdefault("additionalInformation", {})
    if not isinstance(info, dict):
        raise ValueError(f"items[{index}].additionalInformation must be an object.")
    # Pleo's reconciliation ("book") ids are short numbers, e.g. "4113617".
    info.setdefault("reconciliationId", str(random.randint(1_000_000, 9_999_999)))
    links = f"https://app.pleo.io/export/items/{item['accountingEntryId']}"
    item.setdefault("_links", {"web": {"exportItem": links}, "mobile": {}, "api": {}})
    item["files"] = [_file_prepare(f, index) for f in (item.get("files") or [])]
    return item


def _file_prepare(entry: Any, index: int) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"items[{index}].files entries must be objects.")
    if entry.get("fileId") and "content_base64" not in entry:
        # A receipt stored once (`_control/files`) and shared by many items: large jobs
        # without sending the same bytes thousands of times.
        key = _uuid_or_none(entry["fileId"])
        stored = StoredFile.objects.filter(pk=key).first() if key else None
        if stored is None:
            raise ValueError(f"items[{index}].files: no stored file {entry['fileId']!r}.")
        return file_entry(stored)
    if "content_base64" not in entry:
        if not entry.get("url"):
            raise ValueError(f"items[{index}].files entries need url, fileId or content_base64.")
        return entry
    try:
        content = base64.b64decode(str(entry["content_base64"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"items[{index}].files content_base64 is not base64.") from exc
    return file_store(
        name=str(entry.get("name") or "receipt"),
        content_type=str(entry.get("type") or "application/octet-stream"),
        content=content,
    )


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def job_create(
    *,
    company: Company,
    items: Sequence[dict[str, Any]],
    created_by: str | None = None,
    is_interactive: bool = True,
    vendor_based_bookkeeping: bool = False,
) -> ExportJob:
    """A pending job holding the given (prepared) export items; delivers v1.export-job.created.

    Raises ApiError 409 EXPORT_ALREADY_IN_PROGRESS while the company has a running job.
    """
    jobs_expire_stale(company=company)
    now = clock.now()
    with transaction.atomic():
        # Lock the company row so two creations cannot both see "no running job".
        Company.objects.select_for_update().get(pk=company.pk)
        if ExportJob.objects.filter(company=company, status__in=RUNNING).exists():
            raise ApiError(
                409,
                "EXPORT_ALREADY_IN_PROGRESS",
                "Export Job already in progress for this company.",
            )
        job = ExportJob.objects.create(
            company=company,
            created_at=now,
            last_updated_at=now,
            created_by=uuid.UUID(created_by) if created_by else None,
            is_interactive=is_interactive,
            vendor_based_bookkeeping=vendor_based_bookkeeping,
            expires_in=JOB_EXPIRES_IN,
            number_of_items=len(items),
        )
        seen: set[str] = set()
        rows: list[ExportJobItem] = []
        for position, payload in enumerate(items):
            entry_id = payload["accountingEntryId"]
            if entry_id in seen:
                raise ValueError(f"accountingEntryId {entry_id} appears twice in the job.")
            seen.add(entry_id)
            rows.append(
                ExportJobItem(
                    job=job, position=position, accounting_entry_id=entry_id, payload=payload
                )
            )
        ExportJobItem.objects.bulk_create(rows, batch_size=500)
        webhook_emit(company=company, event_type="v1.export-job.created", data=job_shape(job))
    return job


def known_entries(*, company: Company, entry_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The latest export item of each accounting entry the company has had in any job."""
    found: list[dict[str, Any]] = []
    unknown: list[str] = []
    for entry_id in entry_ids:
        try:
            key = uuid.UUID(str(entry_id))
        except ValueError:
            unknown.append(str(entry_id))
            continue
        row = (
            ExportJobItem.objects.filter(job__company=company, accounting_entry_id=key)
            .order_by("-job__created_at")
            .first()
        )
        if row is None:
            unknown.append(str(entry_id))
        else:
            found.append(copy.deepcopy(row.payload))
    if unknown:
        raise ApiError(
            400, "VALIDATION_FAILED", f"Unknown accounting entries: {', '.join(unknown)}."
        )
    return found


# ---- events and item updates ---------------------------------------------------------------


def job_event(
    *, job: ExportJob, event: str, failure_reason: str | None, failure_reason_type: str | None
) -> None:
    if event not in EVENTS:
        raise ApiError(400, "VALIDATION_FAILED", f"Unknown event {event!r}.")
    if failure_reason_type is not None and failure_reason_type not in JOB_FAILURE_TYPES:
        raise ApiError(
            400, "VALIDATION_FAILED", f"Unknown failureReasonType {failure_reason_type!r}."
        )
    allowed_from = {
        "started": (ExportJob.Status.PENDING,),
        "failed": RUNNING,
        "completed": (ExportJob.Status.IN_PROGRESS,),
        "completed_with_errors": (ExportJob.Status.IN_PROGRESS,),
    }[event]
    now = clock.now()
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in allowed_from:
            raise ApiError(
                422, "INVALID_EXPORT_JOB_STATUS_CHANGE", "Export Job status change failed"
            )
        locked.last_updated_at = now
        if event == "started":
            locked.status = ExportJob.Status.IN_PROGRESS
            locked.started_at = now
            locked.items.filter(status=ExportJobItem.Status.PENDING).update(
                status=ExportJobItem.Status.IN_PROGRESS
            )
        else:
            locked.status = event
            locked.completed_at = now
            if event == "failed":
                locked.failure_reason = failure_reason
                locked.failure_reason_type = failure_reason_type
                locked.items.filter(status__in=ITEM_OPEN).update(
                    status=ExportJobItem.Status.ABANDONED
                )
        locked.save()


def _parse_moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ApiError(400, "VALIDATION_FAILED", f"exportedAt {value!r} is not a date-time.")
    return parsed


def job_items_update(
    *, job: ExportJob, updates: Sequence[Any]
) -> tuple[list[ExportJobItem], list[dict[str, str]]]:
    """Apply `UpdateExportJobItemV3`s; returns the updated items and the per-entry errors."""
    if len(updates) > ITEM_UPDATE_LIMIT:
        raise ApiError(
            413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT", "Number of items to update is more than 100."
        )
    for n, update in enumerate(updates):
        if not isinstance(update, dict) or not update.get("accountingEntryId"):
            raise ApiError(400, "VALIDATION_FAILED", f"[{n}].accountingEntryId is required.")
        if update.get("status") not in ITEM_STATUSES:
            raise ApiError(400, "VALIDATION_FAILED", f"[{n}].status is not an item status.")
        reason_type = update.get("failureReasonType")
        if reason_type is not None and reason_type not in ITEM_FAILURE_TYPES:
            raise ApiError(400, "VALIDATION_FAILED", f"[{n}].failureReasonType is unknown.")
    updated: list[ExportJobItem] = []
    errors: list[dict[str, str]] = []
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in RUNNING:
            raise ApiError(422, "EXPORT_JOB_STATUS_UNPROCESSABLE", "Export job is finished.")
        # One read of the batch's items (the (job, accountingEntryId) index), one bulk write.
        keys = {str(u["accountingEntryId"]): _uuid_or_none(u["accountingEntryId"]) for u in updates}
        found = {
            str(item.accounting_entry_id): item
            for item in ExportJobItem.objects.filter(
                job=locked, accounting_entry_id__in=[k for k in keys.values() if k]
            )
        }
        for update in updates:
            entry_id = str(update["accountingEntryId"])
            key = keys[entry_id]
            item = found.get(str(key)) if key else None
            if item is None:
                errors.append(
                    {
                        "accountingEntryId": entry_id,
                        "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
                        "message": "Accounting entry is not part of this export job.",
                    }
                )
                continue
            if update["status"] == ExportJobItem.Status.ABANDONED:
                errors.append(
                    {
                        "accountingEntryId": entry_id,
                        "type": "EXPORT_ENTRY_STATUS_UPDATE_FAILED",
                        "message": "Items cannot be marked abandoned.",
                    }
                )
                continue
            item.status = update["status"]
            item.exported_at = _parse_moment(update.get("exportedAt")) or (
                clock.now() if item.status == ExportJobItem.Status.SUCCESSFUL else None
            )
            item.external_id = update.get("externalId")
            item.external_url = update.get("externalUrl")
            item.failure_reason = update.get("failureReason")
            item.failure_reason_type = update.get("failureReasonType")
            updated.append(item)
        _items_store(list({item.pk: item for item in updated}.values()))
        # Progressive item updates keep the job alive (ExportJobV3.expiresIn, lastUpdatedAt).
        locked.last_updated_at = clock.now()
        locked.save(update_fields=["last_updated_at"])
    return updated, errors


STORED_FIELDS = (
    "status",
    "exported_at",
    "external_id",
    "external_url",
    "failure_reason",
    "failure_reason_type",
)


def _items_store(items: Sequence[ExportJobItem]) -> None:
    """Write a batch's outcomes with one prepared UPDATE run per item (`executemany`):
    `bulk_update` builds a CASE per field and row, which costs far more than the writes."""
    if not items:
        return
    meta = ExportJobItem._meta
    columns = [f for f in meta.concrete_fields if f.name in STORED_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    # Only the model's own table and column names go into the text; values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(str(meta.pk.column if meta.pk else 'id'))} = %s"
    )
    rows = [
        [f.get_db_prep_save(getattr(item, f.attname), connection) for f in columns] + [item.pk]
        for item in items
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
