"""Journal transactions, supplier invoices and attachments read from Visma.net, and the
document inputs the exporter builds (see `types`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations.visma._parse import Fields


@dataclass(frozen=True)
class AttachmentRef:
    """AttachmentDto as listed on documents."""

    id: str
    name: str
    revision: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AttachmentRef:
        f = Fields(data, "Visma attachment")
        return cls(id=f.req_str("id"), name=f.text("name"), revision=f.opt_int("revision") or 0)


@dataclass(frozen=True)
class Attachment:
    """`GET /v1/attachment/{attachmentId}` (the spec types the body only as an object; the
    fields read are those of AttachmentDto)."""

    id: str
    name: str
    revision: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Attachment:
        ref = AttachmentRef.from_api(data)
        return cls(id=ref.id, name=ref.name, revision=ref.revision, raw=data)


def _attachments(f: Fields) -> tuple[AttachmentRef, ...]:
    return tuple(AttachmentRef.from_api(a) for a in f.items("attachments"))


@dataclass(frozen=True)
class JournalTransactionLine:
    """JournalTransactionLineDto; `debit`/`credit` are the amounts in the batch currency."""

    line_number: int
    account_number: str
    debit: Decimal
    credit: Decimal
    reference_number: str
    description: str
    vat_code_id: str | None
    subaccount: str | None
    attachments: tuple[AttachmentRef, ...]

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> JournalTransactionLine:
        f = Fields(data, "Visma journal transaction line")
        return cls(
            line_number=f.req_int("lineNumber"),
            account_number=f.req_str("accountNumber"),
            debit=f.req_decimal("debitAmountInCurrency", Decimal(0)),
            credit=f.req_decimal("creditAmountInCurrency", Decimal(0)),
            reference_number=f.text("referenceNumber"),
            # We write `transactionDescription`; `description` is the read-side fallback.
            description=f.text("transactionDescription") or f.text("description"),
            vat_code_id=f.nested_str("vatCode", "id"),
            subaccount=f.nested_str("subaccount", "subaccountNumber"),
            attachments=_attachments(f),
        )


@dataclass(frozen=True)
class JournalTransaction:
    """JournalTransactionDto (`GET /v2/journaltransaction`)."""

    batch_number: str
    status: str
    description: str
    financial_period: str
    transaction_date: date | None
    currency_id: str
    lines: tuple[JournalTransactionLine, ...]
    attachments: tuple[AttachmentRef, ...]
    branch: str | None = None
    module: str | None = None
    hold: bool = False
    last_modified: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> JournalTransaction:
        f = Fields(data, "Visma journal transaction")
        batch = f.req_str("batchNumber")
        f.record = f"Visma journal transaction {batch}"
        try:
            lines = tuple(
                JournalTransactionLine.from_api(line) for line in f.items("journalTransactionLines")
            )
        except ValueError as exc:
            raise ValueError(f"{f.record}: {exc}") from exc
        return cls(
            batch_number=batch,
            status=f.text("status"),
            description=f.text("description"),
            financial_period=f.text("financialPeriod"),
            transaction_date=f.opt_date("transactionDate"),
            currency_id=f.text("currencyId"),
            lines=lines,
            attachments=_attachments(f),
            branch=f.opt_str("branch"),
            module=f.opt_str("module"),
            hold=f.flag("hold"),
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class SupplierInvoice:
    """SupplierInvoiceDto (`GET /v1/supplierInvoice`)."""

    document_type: str
    reference_number: str
    status: str
    supplier_number: str
    supplier_reference: str
    description: str
    amount: Decimal
    currency_id: str
    financial_period: str
    attachments: tuple[AttachmentRef, ...]
    date: date | None = None
    branch_number: str | None = None
    hold: bool = False
    last_modified: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SupplierInvoice:
        f = Fields(data, "Visma supplier invoice")
        reference = f.req_str("referenceNumber")
        f.record = f"Visma supplier invoice {reference}"
        supplier = f.obj("supplier")
        return cls(
            document_type=f.req_str("documentType"),
            reference_number=reference,
            status=f.text("status"),
            supplier_number=supplier.text("number") if supplier else "",
            supplier_reference=f.text("supplierReference"),
            description=f.text("description"),
            amount=f.req_decimal("amount", Decimal(0)),
            currency_id=f.text("currencyId"),
            financial_period=f.text("financialPeriod"),
            attachments=_attachments(f),
            date=f.opt_date("date"),
            branch_number=f.nested_str("branchNumber", "number"),
            hold=f.flag("hold"),
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class ActionResult:
    """ReleaseJournalTransactionActionResultDto: `result` is Queued|InProcess|Failed|Done."""

    action_id: str
    result: str
    error: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ActionResult:
        f = Fields(data, "Visma action result")
        return cls(
            action_id=f.text("actionId"),
            result=f.req_str("actionResult"),
            error=f.opt_str("errorInfo"),
        )


# -- document inputs (the client wraps them into update DTOs, see dto.py) -------------------


@dataclass(frozen=True)
class SubaccountSegment:
    segment_id: int
    value: str


@dataclass(frozen=True)
class JournalLineInput:
    account_number: str
    debit: Decimal
    credit: Decimal
    description: str
    reference_number: str
    subaccount: tuple[SubaccountSegment, ...] = ()
    vat_code_id: str | None = None
    vat_id: str | None = None


@dataclass(frozen=True)
class JournalTransactionInput:
    transaction_date: date
    financial_period: str  # YYYYMM
    description: str
    currency_id: str
    lines: tuple[JournalLineInput, ...]
    branch: str | None = None
    hold: bool = False
    exchange_rate: Decimal | None = None
    # A VAT transaction (GL301000 "Create VAT transactions"): the only kind of journal whose VAT
    # reaches Visma.net's VAT report; its lines then carry `vat_id` (see the planner).
    create_vat_transaction: bool = False


@dataclass(frozen=True)
class InvoiceLineInput:
    account_number: str
    amount: Decimal  # unit cost, quantity 1; gross when the tax mode is Gross
    description: str
    subaccount: tuple[SubaccountSegment, ...] = ()
    vat_code_id: str | None = None


@dataclass(frozen=True)
class SupplierInvoiceInput:
    document_type: str  # "Invoice" | "CreditAdj"
    supplier_number: str
    date: date
    financial_period: str  # YYYYMM
    supplier_reference: str
    description: str
    currency_id: str
    lines: tuple[InvoiceLineInput, ...]
    branch_number: str | None = None
    payment_method: str | None = None
    cash_account: str | None = None
    tax_calculation_mode: str = "Gross"
    hold: bool = False


@dataclass(frozen=True)
class SupplierInput:
    name: str
    supplier_class_id: str
    status: str = "Active"
    number: str | None = None
    currency_id: str | None = None
    credit_terms_id: str | None = None
    payment_method_id: str | None = None
    cash_account: str | None = None
    vat_zone_id: str | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_id: str | None = None
