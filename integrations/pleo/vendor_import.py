"""Pleo's vendor CSV import jobs (pleo-external-vendors-api-openapi.yml, `/v1/vendors/csv-import/
jobs…`): many vendors created by one uploaded file instead of one `POST /v1/vendors` each.

The flow: create the job, ask for the upload link, `PUT` the file there (an S3 presigned URL:
no Pleo token goes with it), run the job, read its status until it is COMPLETED or FAILED, then
read the rows it refused. What the spec leaves open is read robustly: the columns carry the
`VendorCreateRequest` property names; a row error's `rowNumber` may count the header or not, so
callers match errors by the external id in `rawData` first.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.core import errors
from integrations.pleo.base import PleoApiBase
from integrations.pleo.parsing import as_required_object, opt_str, required

JOBS = "/v1/vendors/csv-import/jobs"
# CsvImportJobStatusV1
FINISHED = ("COMPLETED", "FAILED")
# The columns of the file: VendorCreateRequest's properties, in this order.
COLUMNS = (
    "externalId",
    "code",
    "name",
    "defaultCurrency",
    "country",
    "registrationNumber",
    "taxRegistrationNumber",
)
# CsvFormatV1: said explicitly, so Pleo does not have to guess it from the data.
CSV_FORMAT = {
    "delimiter": ",",
    "quoteCharacter": '"',
    "recordSeparator": "\r\n",
    "ignoreEmptyLines": True,
    "skipHeaderRecord": True,
}
# The rows a job refused are read in pages of this size (the spec's `limit`).
ERRORS_PAGE = 100


@dataclass(frozen=True)
class CsvImportJob:
    """`CsvImportJobV1`."""

    id: str
    status: str  # CsvImportJobStatusV1
    error_code: str | None
    error_message: str | None
    rows_total: int | None
    rows_succeeded: int | None
    rows_failed: int | None
    rows_skipped: int | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CsvImportJob:
        obj = as_required_object(data, "CSV import job")
        where = f"CSV import job {obj.get('id')}"

        def count(name: str) -> int | None:
            value = obj.get(name)
            return int(value) if isinstance(value, int | float) else None

        return cls(
            id=str(required(obj, "id", where)),
            status=str(required(obj, "status", where)),
            error_code=opt_str(obj.get("errorCode")),
            error_message=opt_str(obj.get("errorMessage")),
            rows_total=count("rowsTotal"),
            rows_succeeded=count("rowsSucceeded"),
            rows_failed=count("rowsFailed"),
            rows_skipped=count("rowsSkipped"),
        )


@dataclass(frozen=True)
class CsvRowError:
    """`CsvRowImportErrorV1`: `raw_data` is the row as a JSON string of its cells."""

    row_number: int | None
    error_code: str
    error_message: str
    raw_data: str

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CsvRowError:
        obj = as_required_object(data, "CSV row import error")
        number = obj.get("rowNumber")
        return cls(
            row_number=int(number) if isinstance(number, int) else None,
            error_code=str(obj.get("errorCode") or ""),
            error_message=str(obj.get("errorMessage") or ""),
            raw_data=str(obj.get("rawData") or ""),
        )

    def cells(self) -> list[str]:
        """The row's cells, from `rawData` ('"70001","Müller GmbH"' or a JSON array)."""
        text = self.raw_data.strip()
        for candidate in (text, f"[{text}]"):
            try:
                parsed = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(parsed, list):
                return [str(cell) for cell in parsed]
        return next(csv.reader([text]), [])


def vendor_csv(rows: Iterable[Mapping[str, str | None]]) -> bytes:
    """The import file: a header of `COLUMNS`, then one record per vendor (UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(column) or "" for column in COLUMNS])
    return out.getvalue().encode("utf-8")


class PleoVendorImportApi(PleoApiBase):
    def vendor_import_job_create(self, *, filename: str) -> CsvImportJob:
        body = {
            "companyId": self.company_id,
            "originalFilename": filename,
            "type": "vendors",
            "csvFormat": CSV_FORMAT,
        }
        # Reference: pleo-external-vendors-api-openapi.yml, operationId createCsvImportJobV1
        # (201). Sent twice after a lost answer, it leaves an empty job behind and nothing else.
        return CsvImportJob.from_api(self.call_data("POST", JOBS, json=body, idempotent=True))

    def vendor_import_upload_url(self, job_id: str) -> str:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId
        # getCsvImportJobPresignedUrlV1 (200 PresignedUrlV1)
        data = self.call_data("POST", f"{JOBS}/{job_id}:get-presigned-url", idempotent=True)
        url = data.get("presignedUrl")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise errors.PermanentError(
                "Pleo gave no upload link for the vendor import", service=self.service
            )
        return url

    def presigned_upload(self, url: str, content: bytes, *, content_type: str) -> None:
        """`PUT` a file to a presigned link (S3's side, not Pleo's API): the link is the
        credential, so no bearer token goes with it."""
        self.request(
            "PUT",
            url,
            data=content,
            headers={"Content-Type": content_type},
            authenticate=False,
            idempotent=True,
        )

    def vendor_import_run(self, job_id: str) -> CsvImportJob:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId runCsvImportJobV1 (200)
        return CsvImportJob.from_api(self.call_data("POST", f"{JOBS}/{job_id}:run"))

    def vendor_import_job_get(self, job_id: str) -> CsvImportJob:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId getCsvImportJobV1
        return CsvImportJob.from_api(self.call_data("GET", f"{JOBS}/{job_id}"))

    def vendor_import_errors(self, job_id: str) -> list[CsvRowError]:
        # Reference: pleo-external-vendors-api-openapi.yml, operationId getCsvImportJobErrorsV1
        # (cursor-paged CsvRowImportErrorV1)
        return [
            CsvRowError.from_api(e)
            for e in self.paged("GET", f"{JOBS}/{job_id}/errors", params=[("limit", ERRORS_PAGE)])
        ]


def row_errors_by_key(
    errors: Sequence[CsvRowError], keys_in_file_order: Sequence[str]
) -> dict[str, CsvRowError]:
    """Each refused row's external id (the file's first column) → its error. `rawData` names the
    row; failing that, `rowNumber` read as the record's number in the file, the header being
    record 1. Which vendors were imported is decided by reading them back from Pleo, never from
    these errors: an error matched to the wrong row can only mislabel a failure."""
    known = set(keys_in_file_order)
    found: dict[str, CsvRowError] = {}
    for error in errors:
        cells = error.cells()
        key = cells[0] if cells and cells[0] in known else None
        if key is None and error.row_number is not None:
            index = error.row_number - 2
            if 0 <= index < len(keys_in_file_order):
                key = keys_in_file_order[index]
        if key is not None:
            found.setdefault(key, error)
    return found
