"""Pleo Export API v3: jobs, job events, export items, item status updates and receipt files."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from integrations.core import errors
from integrations.core.receipts import Receipt
from integrations.pleo.base import PleoApiBase
from integrations.pleo.enums import EXPORT_JOB_EVENTS
from integrations.pleo.types import (
    BrokenExportItem,
    ExportItem,
    ExportJob,
    ExportJobItem,
    ItemUpdate,
    ItemUpdateResult,
)

logger = logging.getLogger(__name__)

EXPORT_SPEC = "specs/pleo/pleo-export-api-v3-api-openapi.yml"
ITEMS_SPEC = "specs/pleo/pleo-export-items-v3-api-openapi.yml"

# PUT /v3/export-jobs/{jobId}/items takes at most 100 items (413 EXPORT_JOB_ITEMS_UPDATE_LIMIT).
ITEM_UPDATE_BATCH = 100
# Pleo's attachment limit (developers.pleo.io, exports/attachments): 30 MB per file.
MAX_FILE_BYTES = 30 * 1024 * 1024
_CHUNK = 64 * 1024


class PleoExportApi(PleoApiBase):
    def export_jobs_list(self, *, statuses: Sequence[str] = ("pending",)) -> list[ExportJob]:
        """All jobs in these states, in Pleo's order (the caller picks the oldest)."""
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId getExportJobsListV3
        params: list[tuple[str, Any]] = [("company_id", self.company_id)]
        params += [("statuses", status) for status in statuses]
        return [
            self.parsed(ExportJob.from_api, job, "an ExportJob")
            for job in self.paged("GET", "/v3/export-jobs", params=params)
        ]

    def export_job_create(
        self, accounting_entry_ids: Sequence[str], *, is_interactive: bool = False
    ) -> ExportJob:
        """A new pending job for these entries (to export them again after a fix). Pleo allows
        one running job per company: 409 `EXPORT_ALREADY_IN_PROGRESS` raises `Conflict`."""
        body = {
            "companyId": self.company_id,
            "accountingEntryIds": list(accounting_entry_ids),
            "isInteractive": is_interactive,
        }
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId createExportJobV3 (201)
        return self.parsed(
            ExportJob.from_api, self.call_data("POST", "/v3/export-jobs", json=body), "an ExportJob"
        )

    def export_job_get(self, job_id: str) -> ExportJob:
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId getExportJobByIdV3
        return self.parsed(
            ExportJob.from_api, self.call_data("GET", f"/v3/export-jobs/{job_id}"), "an ExportJob"
        )

    def export_job_event(
        self,
        job_id: str,
        event: str,
        *,
        failure_reason: str | None = None,
        failure_reason_type: str | None = None,
    ) -> None:
        """`started` claims the job; `completed`, `completed_with_errors` or `failed` ends it."""
        if event not in EXPORT_JOB_EVENTS:
            raise ValueError(f"Unknown export job event {event!r}")
        body: dict[str, Any] = {"jobId": job_id, "event": event}
        if failure_reason is not None:
            body["failureReason"] = failure_reason
        if failure_reason_type is not None:
            body["failureReasonType"] = failure_reason_type
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId createExportJobEventV3 (202)
        self.call("POST", "/v3/export-job-events", json=body)

    def export_items_iter(
        self, job_id: str, *, at_once: int = 1
    ) -> Iterator[ExportItem | BrokenExportItem]:
        """Every item of a job, all pages (`at_once` > 1: side by side, see `paged`). An item
        that cannot be parsed comes out as a `BrokenExportItem` so one bad expense does not
        stop the export."""
        # Reference: pleo-export-items-v3-api-openapi.yml, operationId getExportItemsV3
        params: list[tuple[str, Any]] = [("job_id", job_id)]
        for raw in self.paged("GET", "/v3/export-items", params=params, at_once=at_once):
            try:
                yield ExportItem.from_api(raw)
            except ValueError as exc:
                entry_id = raw.get("accountingEntryId")
                logger.warning(
                    "pleo: export item %s of job %s is broken: %s", entry_id, job_id, exc
                )
                yield BrokenExportItem(
                    accounting_entry_id=entry_id if isinstance(entry_id, str) else None,
                    error=str(exc),
                    raw=raw,
                )

    def export_job_items_list(
        self, job_id: str, *, status: str | None = None
    ) -> list[ExportJobItem]:
        """The export status Pleo holds for each entry of a job."""
        params: list[tuple[str, Any]] = [("status", status)] if status else []
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId getExportJobItemsV3
        return [
            self.parsed(ExportJobItem.from_api, item, "an ExportJobItem")
            for item in self.paged("GET", f"/v3/export-jobs/{job_id}/items", params=params)
        ]

    def export_items_update(self, job_id: str, updates: Sequence[ItemUpdate]) -> ItemUpdateResult:
        """Report item outcomes, at most 100 per call; Pleo's per-item errors are collected."""
        result = ItemUpdateResult()
        for start in range(0, len(updates), ITEM_UPDATE_BATCH):
            batch = updates[start : start + ITEM_UPDATE_BATCH]
            # Reference: pleo-export-api-v3-api-openapi.yml, operationId updateExportJobItemsV3
            # A PUT of the same statuses is safe to send again.
            body = self.call_json(
                "PUT",
                f"/v3/export-jobs/{job_id}/items",
                json=[update.to_api() for update in batch],
                idempotent=True,
            )
            failed: set[str] = set()
            for error in body.get("errors") or []:
                if not isinstance(error, dict):
                    continue
                entry_id = str(error.get("accountingEntryId") or "")
                failed.add(entry_id)
                result.errors.append(
                    (entry_id, str(error.get("type") or ""), str(error.get("message") or ""))
                )
            for item in body.get("data") or []:
                if isinstance(item, dict) and item.get("accountingEntryId") not in failed:
                    result.updated.append(str(item["accountingEntryId"]))
        return result

    def file_download(self, url: str) -> Receipt:
        """Download a receipt from the signed link of an export item's `files[].url`, into a
        spooled `Receipt` (in memory up to a megabyte, on disk beyond): close it once sent.

        The link carries its own signature, so no Authorization header is sent. Links expire
        24 h after the item was fetched: 403/404 raise `Forbidden`/`NotFound`, and the caller
        fetches the item again for a new link. Files over 30 MB raise `ValidationFailed` with code
        `receipt_file_size_limit_exceeded`.
        """
        # Reference: developers.pleo.io/docs/current/platform/exports/attachments
        response = self.request(
            "GET", url, headers={"Accept": "*/*"}, authenticate=False, stream=True
        )
        receipt = Receipt(response.headers.get("Content-Type") or "application/octet-stream")
        try:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_FILE_BYTES:
                raise self._too_large(url, int(length))
            for chunk in response.iter_content(_CHUNK):
                if receipt.size + len(chunk) > MAX_FILE_BYTES:
                    raise self._too_large(url, receipt.size + len(chunk))
                receipt.write(chunk)
        except BaseException:
            receipt.close()
            raise
        finally:
            response.close()
        return receipt

    def _too_large(self, url: str, size: int) -> errors.ValidationFailed:
        return errors.ValidationFailed(
            f"The receipt is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB ({size} bytes or more)",
            service=self.service,
            method="GET",
            url=url.split("?", 1)[0],
            code="receipt_file_size_limit_exceeded",
        )
