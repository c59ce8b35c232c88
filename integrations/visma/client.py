"""The Visma.net ERP API client: master data, suppliers, journal transactions, supplier
invoices and attachments, each method naming its spec path and operationId.

Spec: `/work/shared/specs/visma-net/openapi-subset.json` (snapshot of 24 April 2025). Behaviour
notes: /work/shared/notes/visma-net-api.md. Documents live in `documents.py`, the shared seam
(auth, errors, paging) in `base.py`, Visma Connect in `auth.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.core import errors
from integrations.core.pagination import MAX_PAGES, PaginationError
from integrations.visma.auth import VismaConnect
from integrations.visma.base import location_id, modified_params, path_segment
from integrations.visma.documents import VismaDocuments
from integrations.visma.dto import supplier_dto
from integrations.visma.types import (
    Account,
    Branch,
    CashAccount,
    CreditTerm,
    Currency,
    Dimension,
    FinancialPeriod,
    PaymentMethod,
    Supplier,
    SupplierClass,
    SupplierInput,
    Vat,
    VatCategory,
    VatZone,
)

__all__ = ["VismaClient", "VismaConnect", "location_id"]


class VismaClient(VismaDocuments):
    """Service "visma"; see `VismaApi` for construction and error handling."""

    # -- general ledger master data --------------------------------------------------------

    def accounts_list(self, *, modified_since: datetime | None = None) -> list[Account]:
        # Reference: GET /v1/account (Account_GetAll); no paging parameters.
        return self._parse(self._list("/v1/account", modified_params(modified_since)), Account)

    def vat_categories_list(self, *, modified_since: datetime | None = None) -> list[VatCategory]:
        # Reference: GET /v1/vatCategory (VatCategory_GetAllVatCategories); no paging.
        rows = self._list("/v1/vatCategory", modified_params(modified_since))
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
            f"/v1/dimension/{path_segment(dimension_id)}", {"expandSegmentsValues": "true"}
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
            body = self._get(
                "/v1/creditTerm", {"pageNumber": page_number, "pageSize": self.page_size}
            )
            records = body.get("records") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise errors.PermanentError(
                    "Visma.net answered /v1/creditTerm without a records list",
                    service=self.service,
                )
            terms.extend(CreditTerm.from_api(r) for r in records)
            total = body.get("totalCount")
            size = body.get("pageSize") or self.page_size
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
        params: dict[str, Any] = modified_params(modified_since)
        if name:
            params["name"] = name
        if vat_registration_id:
            params["vatRegistrationId"] = vat_registration_id
        if corporate_id:
            params["corporateId"] = corporate_id
        return self._parse(self._paged("/v1/supplier", params), Supplier)

    def supplier_get(self, number: str) -> Supplier:
        # Reference: GET /v1/supplier/{supplierCd} (Supplier_GetBysupplierCd)
        return Supplier.from_api(self._get(f"/v1/supplier/{path_segment(number)}"))

    def supplier_create(self, supplier: SupplierInput) -> str:
        # Reference: POST /v1/supplier (Supplier_Post) → 201, number in Location.
        response = self.request("POST", "/v1/supplier", json=supplier_dto(supplier))
        return location_id(response)

    def supplier_update(self, number: str, supplier: SupplierInput) -> None:
        # Reference: PUT /v1/supplier/{supplierCd} (Supplier_PutBysupplierCd) → 204.
        self.request(
            "PUT",
            f"/v1/supplier/{path_segment(number)}",
            json=supplier_dto(supplier, for_update=True),
        )

    def supplier_classes_list(self) -> list[SupplierClass]:
        # Reference: GET /v1/supplier/supplierClass (Supplier_GetAllSupplierClasses)
        return self._parse(self._list("/v1/supplier/supplierClass"), SupplierClass)
