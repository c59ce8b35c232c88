"""The Visma.net ERP API client: master data, suppliers, journal transactions, supplier
invoices and attachments, each method naming its spec path and operationId.

Spec: `../shared/specs/visma-net/openapi-subset.json` (snapshot of 24 April 2025). Behaviour
notes: ../shared/notes/visma-net-api.md. Documents live in `documents.py`, the shared seam
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
from integrations.visma.dto import account_dto, supplier_dto
from integrations.visma.types import (
    Account,
    AccountInput,
    Branch,
    CashAccount,
    CreditTerm,
    Currency,
    Dimension,
    FinancialPeriod,
    Organization,
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
        return self._parse(
            self._list("/v1/account", modified_params(modified_since)), Account, "/v1/account"
        )

    def account_get(self, number: str) -> Account | None:
        # Reference: GET /v1/account/{accountCd} (Account_GetByaccountCd); None when unknown.
        path = f"/v1/account/{path_segment(number)}"
        try:
            body = self._get(path)
        except errors.NotFound:
            return None
        return self._one(body, Account, path)

    def account_create(self, account: AccountInput) -> str:
        # Reference: POST /v1/account (Account_Post) → 201, the account number in Location.
        response = self.request("POST", "/v1/account", json=account_dto(account))
        return location_id(response)

    def vat_categories_list(self, *, modified_since: datetime | None = None) -> list[VatCategory]:
        # Reference: GET /v1/vatCategory (VatCategory_GetAllVatCategories); no paging.
        rows = self._list("/v1/vatCategory", modified_params(modified_since))
        return self._parse(rows, VatCategory, "/v1/vatCategory")

    def vats_list(self) -> list[Vat]:
        # Reference: GET /v1/vat (Vat_GetAllVats); no paging.
        return self._parse(self._list("/v1/vat"), Vat, "/v1/vat")

    def vat_zones_list(self) -> list[VatZone]:
        # Reference: GET /v1/vatZone (VatZone_GetVatZones); paged.
        return self._parse(self._paged("/v1/vatZone"), VatZone, "/v1/vatZone")

    def dimensions_list(self) -> list[str]:
        # Reference: GET /v1/dimension (Dimension_GetDimensionList) → array of ids.
        body = self._get("/v1/dimension")
        if not isinstance(body, list) or not all(isinstance(i, str | int) for i in body):
            raise self.unexpected_answer("/v1/dimension", "is not a list of ids")
        return [str(item) for item in body]

    def dimension_get(self, dimension_id: str) -> Dimension:
        # Reference: GET /v1/dimension/{dimensionId} (Dimension_GetDimensionBydimensionId)
        path = f"/v1/dimension/{path_segment(dimension_id)}"
        return self._one(self._get(path, {"expandSegmentsValues": "true"}), Dimension, path)

    def branches_list(self) -> list[Branch]:
        # Reference: GET /v1/branch (Branch_GetAllBranches); expandCurrency for the currency.
        return self._parse(
            self._list("/v1/branch", {"expandCurrency": "true"}), Branch, "/v1/branch"
        )

    def organizations_list(self) -> list[Organization]:
        # Reference: GET /v1/organization (Organization_GetAll): the company the token reaches.
        return self._parse(self._list("/v1/organization", {}), Organization, "/v1/organization")

    def financial_periods_list(self) -> list[FinancialPeriod]:
        # Reference: GET /v1/financialPeriod (FinancialPeriod_GetAll)
        return self._parse(
            self._list("/v1/financialPeriod"), FinancialPeriod, "/v1/financialPeriod"
        )

    def currencies_list(self) -> list[Currency]:
        # Reference: GET /v1/currency (Currency_GetAll)
        return self._parse(self._list("/v1/currency"), Currency, "/v1/currency")

    def cash_accounts_list(self) -> list[CashAccount]:
        # Reference: GET /v1/cashaccount (CashAccount_GetAll)
        return self._parse(self._list("/v1/cashaccount"), CashAccount, "/v1/cashaccount")

    def payment_methods_list(self) -> list[PaymentMethod]:
        # Reference: GET /v1/paymentmethod (PaymentMethod_GetAllPaymentMethod)
        return self._parse(self._list("/v1/paymentmethod"), PaymentMethod, "/v1/paymentmethod")

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
                raise self.unexpected_answer("/v1/creditTerm", "has no records list")
            terms.extend(self._parse(records, CreditTerm, "/v1/creditTerm"))
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
        return self._parse(self._paged("/v1/supplier", params), Supplier, "/v1/supplier")

    def supplier_get(self, number: str) -> Supplier:
        # Reference: GET /v1/supplier/{supplierCd} (Supplier_GetBysupplierCd)
        path = f"/v1/supplier/{path_segment(number)}"
        return self._one(self._get(path), Supplier, path)

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
        return self._parse(
            self._list("/v1/supplier/supplierClass"), SupplierClass, "/v1/supplier/supplierClass"
        )
