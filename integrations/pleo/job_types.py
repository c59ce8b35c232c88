"""Export jobs, the export status of their items, and the item updates we send back
(pleo-export-api-v3-api-openapi.yml: `ExportJobV3`, `ExportJobItemV3`, `UpdateExportJobItemV3`,
`ExportJobItemUpdateV3`). Re-exported from `integrations.pleo.types`; import them from there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.pleo.parsing import (
    as_required_object,
    iso_utc,
    opt_bool,
    opt_datetime,
    opt_int,
    opt_str,
    required,
)


@dataclass(frozen=True)
class ExportJob:
    id: str
    company_id: str
    status: str
    created_at: datetime | None
    expires_in: int | None  # seconds, counted from last_updated_at
    number_of_items: int | None
    failure_reason: str | None
    failure_reason_type: str | None
    is_interactive: bool | None = None
    vendor_based_bookkeeping: bool | None = None
    last_updated_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ExportJob:
        """Parse an `ExportJobV3` (also the data of the `v1.export-job.created` webhook)."""
        obj = as_required_object(data, "export job")
        job_id = str(required(obj, "id", "export job"))
        where = f"export job {job_id}"
        return cls(
            id=job_id,
            company_id=str(required(obj, "companyId", where)),
            status=str(required(obj, "status", where)),
            created_at=opt_datetime(obj.get("createdAt"), f"{where}: createdAt"),
            expires_in=opt_int(obj.get("expiresIn"), f"{where}: expiresIn"),
            number_of_items=opt_int(obj.get("numberOfItems"), f"{where}: numberOfItems"),
            failure_reason=opt_str(obj.get("failureReason")),
            failure_reason_type=opt_str(obj.get("failureReasonType")),
            is_interactive=opt_bool(obj.get("isInteractive"), f"{where}: isInteractive"),
            vendor_based_bookkeeping=opt_bool(
                obj.get("vendorBasedBookkeeping"), f"{where}: vendorBasedBookkeeping"
            ),
            last_updated_at=opt_datetime(obj.get("lastUpdatedAt"), f"{where}: lastUpdatedAt"),
            started_at=opt_datetime(obj.get("startedAt"), f"{where}: startedAt"),
            completed_at=opt_datetime(obj.get("completedAt"), f"{where}: completedAt"),
        )


@dataclass(frozen=True)
class ExportJobItem:
    """`ExportJobItemV3`: the export status Pleo keeps for one entry of a job."""

    accounting_entry_id: str
    export_job_id: str
    status: str
    external_id: str | None
    external_url: str | None
    failure_reason: str | None
    failure_reason_type: str | None
    exported_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ExportJobItem:
        obj = as_required_object(data, "export job item")
        return cls(
            accounting_entry_id=str(required(obj, "accountingEntryId", "export job item")),
            export_job_id=str(required(obj, "exportJobId", "export job item")),
            status=str(required(obj, "status", "export job item")),
            external_id=opt_str(obj.get("externalId")),
            external_url=opt_str(obj.get("externalUrl")),
            failure_reason=opt_str(obj.get("failureReason")),
            failure_reason_type=opt_str(obj.get("failureReasonType")),
            exported_at=opt_datetime(obj.get("exportedAt"), "export job item: exportedAt"),
        )


@dataclass(frozen=True)
class ItemUpdate:
    """One element of `PUT /v3/export-jobs/{jobId}/items` (`UpdateExportJobItemV3`)."""

    accounting_entry_id: str
    status: str  # successful | failed
    external_id: str | None = None
    external_url: str | None = None
    failure_reason_type: str | None = None
    failure_reason: str | None = None
    exported_at: datetime | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "accountingEntryId": self.accounting_entry_id,
            "status": self.status,
        }
        if self.external_id is not None:
            body["externalId"] = self.external_id
        if self.external_url is not None:
            body["externalUrl"] = self.external_url
        if self.failure_reason_type is not None:
            body["failureReasonType"] = self.failure_reason_type
        if self.failure_reason is not None:
            body["failureReason"] = self.failure_reason
        if self.exported_at is not None:
            body["exportedAt"] = iso_utc(self.exported_at)
        return body


@dataclass
class ItemUpdateResult:
    """What Pleo said to all batches of an item update.

    `errors` holds `(accountingEntryId, type, message)` from `ExportJobItemUpdateErrorV3`.
    """

    updated: list[str] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)
