"""Journal transactions, supplier invoices and their attachments on Visma.net.

Creating a document is not idempotent: the base class never re-sends a POST that may have
arrived, and the Pleo reference on every document lets the caller find it after a lost answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests

from integrations.core import errors
from integrations.core.pagination import MAX_PAGES, PaginationError
from integrations.core.receipts import Receipt
from integrations.visma.base import (
    VismaApi,
    location_id,
    modified_params,
    path_segment,
    since_param,
)
from integrations.visma.dto import journal_transaction_dto, supplier_invoice_dto
from integrations.visma.types import (
    ActionResult,
    Attachment,
    JournalTransaction,
    JournalTransactionInput,
    SupplierInvoice,
    SupplierInvoiceInput,
)

# Journal transactions are filed in the GL module; attachments are uploaded per module.
GL_MODULE = "GL"


class VismaDocuments(VismaApi):
    # -- journal transactions --------------------------------------------------------------

    def journal_transaction_create(self, jt: JournalTransactionInput) -> str:
        # Reference: POST /v2/journaltransaction (JournalTransactionV2_Post) → 201, batch
        # number in Location. Not idempotent: never re-sent once it may have arrived.
        response = self.request("POST", "/v2/journaltransaction", json=journal_transaction_dto(jt))
        return location_id(response)

    def journal_transaction_get(self, number: str) -> JournalTransaction:
        # Reference: GET /v2/journaltransaction/{journalTransactionNumber}
        # (JournalTransactionV2_GetSpecificJournalTransactionsByjournalTransactionNumber)
        path = f"/v2/journaltransaction/{path_segment(number)}"
        return self._one(self._get(path), JournalTransaction, path)

    def journal_transactions_find(
        self,
        *,
        financial_period: str | None = None,
        modified_since: datetime | None = None,
        module: str | None = None,
    ) -> list[JournalTransaction]:
        """All batches of a period or changed since a moment, each with all its lines."""
        # Reference: GET /v2/journaltransaction (JournalTransactionV2_GetAllJournalTransactions)
        # `periodId` or `lastModifiedDateTime` is mandatory. This endpoint declares no
        # `lastModifiedDateTimeCondition`: it always means "modified since".
        if not financial_period and modified_since is None:
            raise ValueError("journal_transactions_find needs a financial period or a moment")
        params: dict[str, Any] = {}
        if financial_period:
            params["periodId"] = financial_period
        if modified_since is not None:
            params["lastModifiedDateTime"] = since_param(modified_since)
        if module:
            params["module"] = module
        batches: dict[str, dict[str, Any]] = {}
        for row in self._line_pages("/v2/journaltransaction", params):
            number = row.get("batchNumber")
            if not number or not isinstance(number, str | int):
                raise self.unexpected_answer(
                    "/v2/journaltransaction", "has a journal transaction without batchNumber"
                )
            number = str(number)
            merged = batches.get(number)
            if merged is None:
                batches[number] = {**row, "journalTransactionLines": _lines(row)}
                continue
            # One batch spread over two pages: keep each line once, in line order.
            known = {
                line.get("lineNumber")
                for line in merged["journalTransactionLines"]
                if line.get("lineNumber") is not None
            }
            merged["journalTransactionLines"].extend(
                line for line in _lines(row) if line.get("lineNumber") not in known
            )
            merged["journalTransactionLines"].sort(key=lambda line: line.get("lineNumber") or 0)
        return self._parse(list(batches.values()), JournalTransaction, "/v2/journaltransaction")

    def _line_pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        # Page size and `totalCount` count journal lines, not batches (notes §2), so a page of a
        # few long batches is "short" without being the last and `iter_page_numbers` would
        # stop there. Missing a batch here could post a document twice, so stop only when both
        # readings agree: fewer batches than the page size, and `totalCount` lines seen (or,
        # without a count, fewer lines than the page size). At worst this costs one empty page.
        page_size = self.page_size
        lines_seen = 0
        for page_number in range(1, MAX_PAGES + 1):
            rows = self._list(path, {**params, "pageNumber": page_number, "pageSize": page_size})
            yield from rows
            if not rows:
                return
            metadata = rows[0].get("metadata")
            if not isinstance(metadata, dict):
                metadata = {}
            max_size = metadata.get("maxPageSize")
            if isinstance(max_size, int) and 0 < max_size < page_size:
                page_size = max_size
            page_lines = sum(max(1, len(_lines(row))) for row in rows)
            lines_seen += page_lines
            total = metadata.get("totalCount")
            done = lines_seen >= total if isinstance(total, int) else page_lines < page_size
            if len(rows) < page_size and done:
                return
        raise PaginationError(f"Stopped after {MAX_PAGES} pages of {path}")

    def journal_transaction_release(self, number: str) -> ActionResult:
        # Reference: POST /v2/journaltransaction/{journalTransactionNumber}/action/release
        # (JournalTransactionV2_ReleaseJournalTransactionByjournalTransactionNumber)
        # → 200 ReleaseJournalTransactionActionResultDto.
        response = self.request(
            "POST", f"/v2/journaltransaction/{path_segment(number)}/action/release"
        )
        return _action_result(response)

    def journal_transaction_attach(
        self,
        number: str,
        *,
        filename: str,
        content: bytes | Receipt,
        content_type: str,
        line_number: int | None = None,
    ) -> str:
        # Reference: POST /v2/journaltransaction/module/{module}/{journalTransactionNumber}/attachment
        # (JournalTransactionV2_AddHeaderAttachmentBymodulejournalTransactionNumber) and
        # .../{lineNumber}/attachment (..._AddLineAttachmentBymodulejournalTransactionNumberlineNumber)
        path = f"/v2/journaltransaction/module/{GL_MODULE}/{path_segment(number)}"
        if line_number is not None:
            path += f"/{line_number}"
        return self._upload(f"{path}/attachment", filename, content, content_type)

    def _upload(self, path: str, filename: str, content: bytes | Receipt, content_type: str) -> str:
        # multipart/form-data with one file part → 201, attachment id in Location. A `Receipt`
        # is streamed from its spool (ApiClient), bytes are sent as they are. Sending the
        # same file again adds a revision rather than a second attachment; what two sends of
        # it that arrive together make is not documented (a timed-out upload may still be at
        # work when its resend arrives). So, like a create, an upload that may have arrived
        # is not sent again here: the error says its outcome is unknown, and the export looks
        # the file up on its document before sending it again.
        response = self.request(
            "POST",
            path,
            files={"file": (filename, content, content_type)},
            idempotent=False,
        )
        return location_id(response)

    # -- supplier invoices -----------------------------------------------------------------

    def supplier_invoice_create(self, invoice: SupplierInvoiceInput) -> str:
        # Reference: POST /v1/supplierInvoice (SupplierInvoice_Post) → 201, reference number
        # in Location. Not idempotent.
        response = self.request("POST", "/v1/supplierInvoice", json=supplier_invoice_dto(invoice))
        return location_id(response)

    def supplier_invoice_get(self, document_type: str, number: str) -> SupplierInvoice:
        # Reference: GET /v1/supplierInvoice/{documentType}/{invoiceNumber}
        # (SupplierInvoice_GetByTypeBydocumentTypeinvoiceNumber); the untyped path only finds
        # documents of type Invoice.
        path = f"/v1/supplierInvoice/{path_segment(document_type)}/{path_segment(number)}"
        return self._one(self._get(path), SupplierInvoice, path)

    def supplier_invoices_find(
        self,
        *,
        supplier_number: str | None = None,
        document_type: str | None = None,
        modified_since: datetime | None = None,
    ) -> list[SupplierInvoice]:
        # Reference: GET /v1/supplierInvoice (SupplierInvoice_GetAllInvoices); paged.
        params: dict[str, Any] = modified_params(modified_since)
        if supplier_number:
            params["supplier"] = supplier_number
        if document_type:
            params["documentType"] = document_type
        return self._parse(
            self._paged("/v1/supplierInvoice", params), SupplierInvoice, "/v1/supplierInvoice"
        )

    def supplier_invoice_release(self, document_type: str, number: str) -> ActionResult:
        # Reference: POST /v1/supplierInvoice/{documentType}/{invoiceNumber}/action/release
        # (SupplierInvoice_ReleaseInvoiceByTypeBydocumentTypeinvoiceNumber). The spec declares
        # no 200 body here; Visma.net answers with an action result like the journal release.
        response = self.request(
            "POST",
            f"/v1/supplierInvoice/{path_segment(document_type)}/{path_segment(number)}/action/release",
        )
        return _action_result(response)

    def supplier_invoice_attach(
        self,
        document_type: str,
        number: str,
        *,
        filename: str,
        content: bytes | Receipt,
        content_type: str,
    ) -> str:
        # Reference: POST /v1/supplierInvoice/documentType/{documentType}/{invoiceNumber}/attachment
        # (SupplierInvoice_CreateHeaderAttachmentByTypeBydocumentTypeinvoiceNumber)
        path = (
            f"/v1/supplierInvoice/documentType/{path_segment(document_type)}/"
            f"{path_segment(number)}/attachment"
        )
        return self._upload(path, filename, content, content_type)

    def attachment_get(self, attachment_id: str) -> Attachment:
        # Reference: GET /v1/attachment/{attachmentId} (Attachment_GetByattachmentId)
        path = f"/v1/attachment/{path_segment(attachment_id)}"
        return self._one(self._get(path), Attachment, path)


def _lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    lines = row.get("journalTransactionLines")
    if lines is None:
        return []
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise errors.UnexpectedAnswer(
            "Visma.net's answer to /v2/journaltransaction has journalTransactionLines that are "
            "not a list of lines",
            service="visma",
        )
    return list(lines)


def _action_result(response: requests.Response) -> ActionResult:
    if not response.content.strip():
        # A success without a body: the action was carried out while we waited.
        return ActionResult(action_id="", result="Done", error=None)
    try:
        return ActionResult.from_api(response.json())
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise errors.UnexpectedAnswer(
            f"Visma.net answered the release with something the API does not describe: {exc}",
            service="visma",
            url=response.url,
            status=response.status_code,
        ) from exc
