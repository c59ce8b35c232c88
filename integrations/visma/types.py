"""Typed Visma.net records, parsed at the edge, and the document inputs the exporter builds.

Read records come from the read DTOs in `components.schemas` of the Visma.net spec
(`../shared/specs/visma-net/openapi-subset.json`): the DTO name is given on each class.
`from_api` raises `ValueError` naming the record and field when a record cannot be used.
Money is `Decimal`; Visma.net date-times without a zone are read as UTC (see `_parse`).

The classes live in three modules by sub-domain; import them from here.
"""

from __future__ import annotations

from integrations.visma.types_documents import (
    ActionResult,
    Attachment,
    AttachmentRef,
    InvoiceLineInput,
    JournalLineInput,
    JournalTransaction,
    JournalTransactionInput,
    JournalTransactionLine,
    SubaccountSegment,
    SupplierInput,
    SupplierInvoice,
    SupplierInvoiceInput,
)
from integrations.visma.types_ledger import (
    Account,
    AccountInput,
    Branch,
    Currency,
    Dimension,
    FinancialPeriod,
    Organization,
    Segment,
    SegmentValue,
    Vat,
    VatCategory,
    VatCategoryLine,
    VatZone,
)
from integrations.visma.types_payables import (
    CashAccount,
    CreditTerm,
    PaymentMethod,
    Supplier,
    SupplierClass,
)

__all__ = [
    "Account",
    "AccountInput",
    "ActionResult",
    "Attachment",
    "AttachmentRef",
    "Branch",
    "CashAccount",
    "CreditTerm",
    "Currency",
    "Dimension",
    "FinancialPeriod",
    "InvoiceLineInput",
    "JournalLineInput",
    "JournalTransaction",
    "JournalTransactionInput",
    "JournalTransactionLine",
    "Organization",
    "PaymentMethod",
    "Segment",
    "SegmentValue",
    "SubaccountSegment",
    "Supplier",
    "SupplierClass",
    "SupplierInput",
    "SupplierInvoice",
    "SupplierInvoiceInput",
    "Vat",
    "VatCategory",
    "VatCategoryLine",
    "VatZone",
]
