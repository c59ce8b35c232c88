"""The Visma.net ERP API client: master data, journal transactions, supplier invoices.

Paths, parameters and DTO names come from the official spec
(`/work/shared/specs/visma-net/openapi-subset.json`, snapshot of 24 April 2025); each method
names its path and operationId. Behaviour notes: /work/shared/notes/visma-net-api.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote, unquote, urlsplit

import requests

from integrations.core import errors
from integrations.core.http import ApiClient, RemoteError
from integrations.core.pagination import MAX_PAGES, PaginationError, iter_page_numbers
from integrations.visma.auth import INTERACTIVE_SCOPES, SERVICE_SCOPES, VismaConnect
from integrations.visma.dto import journal_transaction_dto, supplier_dto, supplier_invoice_dto
from integrations.visma.types import (
    Account,
    ActionResult,
    Attachment,
    Branch,
    CashAccount,
    CreditTerm,
    Currency,
    Dimension,
    FinancialPeriod,
    JournalTransaction,
    JournalTransactionInput,
    PaymentMethod,
    Supplier,
    SupplierClass,
    SupplierInput,
    SupplierInvoice,
    SupplierInvoiceInput,
    Vat,
    VatCategory,
    VatZone,
)

__all__ = ["INTERACTIVE_SCOPES", "SERVICE_SCOPES", "VismaClient", "VismaConnect"]

T = TypeVar("T")

# Visma.net caps an oversize pageSize silently (the effective size is `metadata.maxPageSize`);
# 500 stays under the caps seen in practice.
PAGE_SIZE = 500

# Journal transactions are filed in the GL module; attachments are uploaded per module.
GL_MODULE = "GL"


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def _since(moment: datetime) -> str:
    """`lastModifiedDateTime` in the `yyyy-MM-ddTHH:mm:ss.FFF` form; aware values are turned
    into UTC, the zone `types` reads Visma.net's zone-less stamps in."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")


def _modified_params(modified_since: datetime | None) -> dict[str, str]:
    # The two are "mutually inclusive" in the spec: never send one without the other.
    if modified_since is None:
        return {}
    return {
        "lastModifiedDateTime": _since(modified_since),
        "lastModifiedDateTimeCondition": ">=",
    }


def location_id(response: requests.Response) -> str:
    """The id of a created resource: the last segment of the `Location` header (201, empty
    body). Without it the document exists but we cannot name it, so the caller must look it
    up before creating it again."""
    location = response.headers.get("Location", "")
    path = urlsplit(location).path.rstrip("/")
    last = unquote(path.rsplit("/", 1)[-1]) if path else ""
    if not last:
        raise errors.PermanentError(
            "Visma.net created the resource but sent no Location header to identify it",
            service=VismaClient.service,
            method=response.request.method or "",
            url=response.url,
            status=response.status_code,
            outcome_unknown=True,
        )
    return last


class VismaClient(ApiClient):
    service: ClassVar[str] = "visma"

    def __init__(
        self,
        *,
        base_url: str,
        auth: VismaConnect,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        super().__init__(base_url, session=session, sleep=sleep, max_wait=max_wait)
        self.auth = auth
        self._sent_token: str | None = None

    # -- ApiClient hooks -------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        token = self.auth.access_token()
        self._sent_token = token
        return {"Authorization": f"Bearer {token}"}

    def on_unauthorized(self) -> bool:
        # A 401 usually means the token died early (or was revoked): fetch a new one once.
        self.auth.invalidate(token=self._sent_token)
        return True

    def parse_error(self, response: requests.Response) -> RemoteError:
        """Visma.net error bodies come in three shapes (notes §5):
        `{"ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID"}`,
        `{"Message": ...}` and plain text. The message id is what Visma support asks for."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return RemoteError(text[:500] or response.reason or f"HTTP {response.status_code}")
        if isinstance(body, dict):
            if "ExceptionMessage" in body or "ExceptionFaultCode" in body:
                message = str(body.get("ExceptionMessage") or body.get("ExceptionType") or "")
                message_id = body.get("ExceptionMessageID")
                if message_id:
                    message = f"{message} [message id {message_id}]"
                code = body.get("ExceptionFaultCode") or body.get("ExceptionType") or ""
                return RemoteError(message[:500], str(code))
            if body.get("Message") or body.get("message"):
                return RemoteError(str(body.get("Message") or body.get("message"))[:500])
        return super().parse_error(response)

    # -- small helpers ---------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.request("GET", path, params=params)
        # Decimal, not float: amounts must keep their exact cents.
        return response.json(parse_float=Decimal)

    def _list(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self._get(path, params)
        if not isinstance(body, list):
            raise errors.PermanentError(
                f"Visma.net answered {path} with {type(body).__name__}, not a list",
                service=self.service,
                url=self.url(path),
            )
        return body

    def _paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        def fetch(page_number: int, page_size: int) -> list[dict[str, Any]]:
            query = {**(params or {}), "pageNumber": page_number, "pageSize": page_size}
            return self._list(path, query)

        return iter_page_numbers(fetch, page_size=PAGE_SIZE)

    @staticmethod
    def _parse(rows: list[dict[str, Any]] | Iterator[dict[str, Any]], cls: Any) -> list[Any]:
        return [cls.from_api(row) for row in rows]

    # -- general ledger master data --------------------------------------------------------

    def accounts_list(self, *, modified_since: datetime | None = None) -> list[Account]:
        # Reference: GET /v1/account (Account_GetAll); no paging parameters.
        return self._parse(self._list("/v1/account", _modified_params(modified_since)), Account)

    def vat_categories_list(self, *, modified_since: datetime | None = None) -> list[VatCategory]:
        # Reference: GET /v1/vatCategory (VatCategory_GetAllVatCategories); no paging.
        rows = self._list("/v1/vatCategory", _modified_params(modified_since))
        return self._parse(rows, VatCategory)

    def vats_list(self) -> list[Vat]:
        # Reference: GET /v1/vat (Vat_GetAllVats); no paging.
        return self._parse(self._list("/v1/vat"), Vat)

    def vat_zones_list(self) -> list[VatZone]:
        # Reference: GET /v1/vatZone (VatZone_GetVatZones); paged.
        return self._parse(self._paged("/v1/vatZone"), VatZone)

    def dimensions_list(self) -> list[str]:
        # Reference: GET /v1/dimension (Dimension_GetDimensionList) → array of ids.
        return [str(item) for item in self._list("/v1/dimension")]

    def dimension_get(self, dimension_id: str) -> Dimension:
        # Reference: GET /v1/dimension/{dimensionId} (Dimension_GetDimensionBydimensionId)
        body = self._get(
            f"/v1/dimension/{_segment(dimension_id)}", {"expandSegmentsValues": "true"}
        )
        return Dimension.from_api(body)

    def branches_list(self) -> list[Branch]:
        # Reference: GET /v1/branch (Branch_GetAllBranches); expandCurrency for the currency.
        return self._parse(self._list("/v1/branch", {"expandCurrency": "true"}), Branch)

    def financial_periods_list(self) -> list[FinancialPeriod]:
        # Reference: GET /v1/financialPeriod (FinancialPeriod_GetAll)
        return self._parse(self._list("/v1/financialPeriod"), FinancialPeriod)

    def currencies_list(self) -> list[Currency]:
        # Reference: GET /v1/currency (Currency_GetAll)
        return self._parse(self._list("/v1/currency"), Currency)

    def cash_accounts_list(self) -> list[CashAccount]:
        # Reference: GET /v1/cashaccount (CashAccount_GetAll)
        return self._parse(self._list("/v1/cashaccount"), CashAccount)

    def payment_methods_list(self) -> list[PaymentMethod]:
        # Reference: GET /v1/paymentmethod (PaymentMethod_GetAllPaymentMethod)
        return self._parse(self._list("/v1/paymentmethod"), PaymentMethod)

    def credit_terms_list(self) -> list[CreditTerm]:
        # Reference: GET /v1/creditTerm (CreditTerm_GetCreditTerms) → BasePaginationDtoOf-
        # CreditTermDto: the page is an envelope `{pageNumber, pageSize, totalCount, records}`.
        terms: list[CreditTerm] = []
        for page_number in range(1, MAX_PAGES + 1):
            body = self._get("/v1/creditTerm", {"pageNumber": page_number, "pageSize": PAGE_SIZE})
            records = body.get("records") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise errors.PermanentError(
                    "Visma.net answered /v1/creditTerm without a records list",
                    service=self.service,
                )
            terms.extend(CreditTerm.from_api(r) for r in records)
            total = body.get("totalCount")
            size = body.get("pageSize") or PAGE_SIZE
            if not records or len(records) < size:
                return terms
            if isinstance(total, int) and len(terms) >= total:
                return terms
        raise PaginationError(f"Stopped after {MAX_PAGES} pages of credit terms")

    # -- suppliers -------------------------------------------------------------------------

    def suppliers_list(
        self,
        *,
        modified_since: datetime | None = None,
        name: str | None = None,
        vat_registration_id: str | None = None,
        corporate_id: str | None = None,
    ) -> list[Supplier]:
        # Reference: GET /v1/supplier (Supplier_GetAll); paged.
        params: dict[str, Any] = _modified_params(modified_since)
        if name:
            params["name"] = name
        if vat_registration_id:
            params["vatRegistrationId"] = vat_registration_id
        if corporate_id:
            params["corporateId"] = corporate_id
        return self._parse(self._paged("/v1/supplier", params), Supplier)

    def supplier_get(self, number: str) -> Supplier:
        # Reference: GET /v1/supplier/{supplierCd} (Supplier_GetBysupplierCd)
        return Supplier.from_api(self._get(f"/v1/supplier/{_segment(number)}"))

    def supplier_create(self, supplier: SupplierInput) -> str:
        # Reference: POST /v1/supplier (Supplier_Post) → 201, number in Location.
        response = self.request("POST", "/v1/supplier", json=supplier_dto(supplier))
        return location_id(response)

    def supplier_update(self, number: str, supplier: SupplierInput) -> None:
        # Reference: PUT /v1/supplier/{supplierCd} (Supplier_PutBysupplierCd) → 204.
        self.request(
            "PUT",
            f"/v1/supplier/{_segment(number)}",
            json=supplier_dto(supplier, for_update=True),
        )

    def supplier_classes_list(self) -> list[SupplierClass]:
        # Reference: GET /v1/supplier/supplierClass (Supplier_GetAllSupplierClasses)
        return self._parse(self._list("/v1/supplier/supplierClass"), SupplierClass)

    # -- journal transactions --------------------------------------------------------------

    def journal_transaction_create(self, jt: JournalTransactionInput) -> str:
        # Reference: POST /v2/journaltransaction (JournalTransactionV2_Post) → 201, batch
        # number in Location. Not idempotent: never re-sent once it may have arrived.
        response = self.request("POST", "/v2/journaltransaction", json=journal_transaction_dto(jt))
        return location_id(response)

    def journal_transaction_get(self, number: str) -> JournalTransaction:
        # Reference: GET /v2/journaltransaction/{journalTransactionNumber}
        # (JournalTransactionV2_GetSpecificJournalTransactionsByjournalTransactionNumber)
        return JournalTransaction.from_api(self._get(f"/v2/journaltransaction/{_segment(number)}"))

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
            params["lastModifiedDateTime"] = _since(modified_since)
        if module:
            params["module"] = module
        batches: dict[str, dict[str, Any]] = {}
        for row in self._line_pages("/v2/journaltransaction", params):
            number = row.get("batchNumber")
            if not number:
                raise ValueError("Visma journal transaction: field 'batchNumber' is missing")
            merged = batches.get(number)
            if merged is None:
                batches[number] = {**row, "journalTransactionLines": _lines(row)}
                continue
            # One batch spread over two pages: keep each line once, in line order.
            known = {line.get("lineNumber") for line in merged["journalTransactionLines"]}
            merged["journalTransactionLines"].extend(
                line for line in _lines(row) if line.get("lineNumber") not in known
            )
            merged["journalTransactionLines"].sort(key=lambda line: line.get("lineNumber") or 0)
        return [JournalTransaction.from_api(row) for row in batches.values()]

    def _line_pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        # Page size and `totalCount` count journal lines, not batches, so a page holding a few
        # long batches is "short" without being the last: `iter_page_numbers` would stop
        # there. Count lines instead; stop on an empty page or once `totalCount` lines came.
        page_size = PAGE_SIZE
        lines_seen = 0
        for page_number in range(1, MAX_PAGES + 1):
            rows = self._list(path, {**params, "pageNumber": page_number, "pageSize": page_size})
            yield from rows
            if not rows:
                return
            metadata = rows[0].get("metadata") or {}
            max_size = metadata.get("maxPageSize")
            if isinstance(max_size, int) and 0 < max_size < page_size:
                page_size = max_size
            page_lines = sum(max(1, len(_lines(row))) for row in rows)
            lines_seen += page_lines
            total = metadata.get("totalCount")
            if isinstance(total, int):
                if lines_seen >= total:
                    return
            elif page_lines < page_size:
                return
        raise PaginationError(f"Stopped after {MAX_PAGES} pages of {path}")

    def journal_transaction_release(self, number: str) -> ActionResult:
        # Reference: POST /v2/journaltransaction/{journalTransactionNumber}/action/release
        # (JournalTransactionV2_ReleaseJournalTransactionByjournalTransactionNumber)
        # → 200 ReleaseJournalTransactionActionResultDto.
        response = self.request("POST", f"/v2/journaltransaction/{_segment(number)}/action/release")
        return _action_result(response)

    def journal_transaction_attach(
        self,
        number: str,
        *,
        filename: str,
        content: bytes,
        content_type: str,
        line_number: int | None = None,
    ) -> str:
        # Reference: POST /v2/journaltransaction/module/{module}/{journalTransactionNumber}/attachment
        # (JournalTransactionV2_AddHeaderAttachmentBymodulejournalTransactionNumber) and
        # .../{lineNumber}/attachment (..._AddLineAttachmentBymodulejournalTransactionNumberlineNumber)
        path = f"/v2/journaltransaction/module/{GL_MODULE}/{_segment(number)}"
        if line_number is not None:
            path += f"/{line_number}"
        return self._upload(f"{path}/attachment", filename, content, content_type)

    def _upload(self, path: str, filename: str, content: bytes, content_type: str) -> str:
        # multipart/form-data with one file part → 201, attachment id in Location. Sending the
        # same file again adds a revision rather than a second attachment, so a retry after a
        # lost answer does no harm.
        response = self.request(
            "POST",
            path,
            files={"file": (filename, content, content_type)},
            idempotent=True,
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
        body = self._get(f"/v1/supplierInvoice/{_segment(document_type)}/{_segment(number)}")
        return SupplierInvoice.from_api(body)

    def supplier_invoices_find(
        self,
        *,
        supplier_number: str | None = None,
        document_type: str | None = None,
        modified_since: datetime | None = None,
    ) -> list[SupplierInvoice]:
        # Reference: GET /v1/supplierInvoice (SupplierInvoice_GetAllInvoices); paged.
        params: dict[str, Any] = _modified_params(modified_since)
        if supplier_number:
            params["supplier"] = supplier_number
        if document_type:
            params["documentType"] = document_type
        return self._parse(self._paged("/v1/supplierInvoice", params), SupplierInvoice)

    def supplier_invoice_release(self, document_type: str, number: str) -> ActionResult:
        # Reference: POST /v1/supplierInvoice/{documentType}/{invoiceNumber}/action/release
        # (SupplierInvoice_ReleaseInvoiceByTypeBydocumentTypeinvoiceNumber). The spec declares
        # no 200 body here; Visma.net answers with an action result like the journal release.
        response = self.request(
            "POST",
            f"/v1/supplierInvoice/{_segment(document_type)}/{_segment(number)}/action/release",
        )
        return _action_result(response)

    def supplier_invoice_attach(
        self,
        document_type: str,
        number: str,
        *,
        filename: str,
        content: bytes,
        content_type: str,
    ) -> str:
        # Reference: POST /v1/supplierInvoice/documentType/{documentType}/{invoiceNumber}/attachment
        # (SupplierInvoice_CreateHeaderAttachmentByTypeBydocumentTypeinvoiceNumber)
        path = (
            f"/v1/supplierInvoice/documentType/{_segment(document_type)}/"
            f"{_segment(number)}/attachment"
        )
        return self._upload(path, filename, content, content_type)

    def attachment_get(self, attachment_id: str) -> Attachment:
        # Reference: GET /v1/attachment/{attachmentId} (Attachment_GetByattachmentId)
        return Attachment.from_api(self._get(f"/v1/attachment/{_segment(attachment_id)}"))


def _lines(row: dict[str, Any]) -> list[dict[str, Any]]:
    lines = row.get("journalTransactionLines")
    return list(lines) if isinstance(lines, list) else []


def _action_result(response: requests.Response) -> ActionResult:
    if not response.content.strip():
        # A success without a body: the action was carried out while we waited.
        return ActionResult(action_id="", result="Done", error=None)
    try:
        body = response.json()
    except ValueError as exc:
        raise errors.PermanentError(
            f"Visma.net answered the release with something that is not JSON: {exc}",
            service=VismaClient.service,
            url=response.url,
            status=response.status_code,
        ) from exc
    return ActionResult.from_api(body)
