"""Typed Visma.net records, parsed at the edge, and the document inputs the exporter builds.

Read records come from the read DTOs in `components.schemas` of the Visma.net spec
(`/work/shared/specs/visma-net/openapi-subset.json`): the DTO name is given on each class.
`from_api` raises `ValueError` naming the record and field when a record cannot be used.
Money is `Decimal`; Visma.net date-times without a zone are read as UTC (see `_parse`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from integrations.visma._parse import Fields

# -- read records --------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """AccountDto (`GET /v1/account`)."""

    number: str
    account_id: int
    description: str
    type: str
    active: bool
    tax_category: str | None
    currency: str | None
    last_modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Account:
        f = Fields(data, "Visma account")
        return cls(
            number=f.req_str("accountCD"),
            account_id=f.req_int("accountID"),
            description=f.text("description"),
            type=f.text("type"),
            active=f.flag("active"),
            tax_category=f.opt_str("taxCategory"),
            currency=f.opt_str("currency"),
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class VatCategoryLine:
    """VatCategoryLineDto; `rate` is the percentage in force today (VatRateLineDto)."""

    vat_id: str
    description: str
    type: str
    rate: Decimal | None

    @classmethod
    def from_api(cls, data: dict[str, Any], *, today: date | None = None) -> VatCategoryLine:
        f = Fields(data, "Visma VAT category line")
        return cls(
            vat_id=f.req_str("vatId"),
            description=f.text("description"),
            type=f.text("type"),
            rate=_rate_in_force(f, today or timezone.now().date()),
        )


def _rate_in_force(f: Fields, today: date) -> Decimal | None:
    # A VAT id keeps its history of rates; the one in force has the latest start on or before
    # today (a rate without a start date has always applied).
    best: tuple[date, Decimal] | None = None
    for item in f.items("vatRates"):
        rate_line = Fields(item, f"{f.record}.vatRates")
        rate = rate_line.opt_decimal("vatRate")
        if rate is None:
            continue
        start = rate_line.opt_date("startDate") or date.min
        if start <= today and (best is None or start >= best[0]):
            best = (start, rate)
    return best[1] if best else None


@dataclass(frozen=True)
class VatCategory:
    """VatCategoryDto (`GET /v1/vatCategory`)."""

    id: str
    description: str
    active: bool
    lines: tuple[VatCategoryLine, ...]
    last_modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def rate(self) -> Decimal | None:
        """The category's rate: the sum of its lines' rates in force (most have one line)."""
        rates = [line.rate for line in self.lines if line.rate is not None]
        return sum(rates, Decimal(0)) if rates else None

    @property
    def reverse_charge(self) -> bool:
        # "ReverseVat" is reverse charge; "Use" is the self-assessed (use) tax of the same kind.
        return any(line.type in ("ReverseVat", "Use") for line in self.lines)

    @classmethod
    def from_api(cls, data: dict[str, Any], *, today: date | None = None) -> VatCategory:
        f = Fields(data, "Visma VAT category")
        return cls(
            id=f.req_str("vatCategoryId"),
            description=f.text("description"),
            active=f.flag("active"),
            lines=tuple(
                VatCategoryLine.from_api(line, today=today) for line in f.items("vatCategoryLines")
            ),
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class Vat:
    """VatInformationDto (`GET /v1/vat`)."""

    id: str
    description: str
    type: str
    reverse_vat: bool
    deductible_vat: bool
    pending_vat: bool
    category_id: str | None
    not_valid_after: datetime | None
    last_modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Vat:
        f = Fields(data, "Visma VAT")
        return cls(
            id=f.req_str("vatId"),
            description=f.text("description"),
            type=f.text("type"),
            reverse_vat=f.flag("reverseVat"),
            deductible_vat=f.flag("deductibleVat"),
            pending_vat=f.flag("pendingVat"),
            category_id=f.opt_str("vatCategoryId"),
            not_valid_after=f.opt_datetime("notValidAfter"),
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class VatZone:
    """VatZoneDto (`GET /v1/vatZone`)."""

    id: str
    description: str
    default_vat_category: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> VatZone:
        f = Fields(data, "Visma VAT zone")
        return cls(
            id=f.req_str("id"),
            description=f.text("description"),
            default_vat_category=f.opt_str("defaultVatCategory"),
            raw=data,
        )


@dataclass(frozen=True)
class SegmentValue:
    """DtoSegmentValue."""

    value_id: str
    description: str
    active: bool
    last_modified: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SegmentValue:
        f = Fields(data, "Visma segment value")
        return cls(
            value_id=f.req_str("valueId"),
            description=f.text("description"),
            active=f.flag("active"),
            last_modified=f.opt_datetime("lastModified"),
        )


@dataclass(frozen=True)
class Segment:
    """DtoSegment (with `segmentValues` when asked with `expandSegmentsValues=true`)."""

    segment_id: int
    description: str
    length: int
    validate: bool
    values: tuple[SegmentValue, ...]
    auto_number: bool = False

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Segment:
        f = Fields(data, "Visma segment")
        return cls(
            segment_id=f.req_int("segmentId"),
            description=f.text("description"),
            length=f.opt_int("length") or 0,
            validate=f.flag("validate"),
            values=tuple(SegmentValue.from_api(v) for v in f.items("segmentValues")),
            auto_number=f.flag("isAutoNumber"),
        )


@dataclass(frozen=True)
class Dimension:
    """DtoDimension (`GET /v1/dimension/{dimensionId}`)."""

    id: str
    description: str
    segments: tuple[Segment, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Dimension:
        f = Fields(data, "Visma dimension")
        return cls(
            id=f.req_str("id"),
            description=f.text("description"),
            segments=tuple(Segment.from_api(s) for s in f.items("segments")),
            raw=data,
        )


@dataclass(frozen=True)
class Supplier:
    """SupplierDto (`GET /v1/supplier`)."""

    number: str
    internal_id: int | None
    name: str
    status: str
    active: bool
    supplier_class_id: str | None
    payment_method_id: str | None
    credit_terms_id: str | None
    vat_zone_id: str | None
    currency_id: str | None
    cash_account: str | None
    vat_registration_id: str | None
    corporate_id: str | None
    address_line1: str | None
    postal_code: str | None
    city: str | None
    country_id: str | None
    last_modified: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Supplier:
        f = Fields(data, "Visma supplier")
        address = f.obj("mainAddress")
        status = f.text("status")
        return cls(
            number=f.req_str("number"),
            internal_id=f.opt_int("internalId"),
            name=f.text("name"),
            status=status,
            active=status == "Active",
            supplier_class_id=f.nested_str("supplierClass", "id"),
            payment_method_id=f.nested_str("paymentMethod", "id"),
            credit_terms_id=f.nested_str("creditTerms", "id"),
            vat_zone_id=f.nested_str("vatZone", "id"),
            currency_id=f.opt_str("currencyId"),
            cash_account=f.opt_str("cashAccount"),
            vat_registration_id=f.opt_str("vatRegistrationId"),
            corporate_id=f.opt_str("corporateId"),
            address_line1=address.opt_str("addressLine1") if address else None,
            postal_code=address.opt_str("postalCode") if address else None,
            city=address.opt_str("city") if address else None,
            country_id=address.nested_str("country", "id") if address else None,
            last_modified=f.opt_datetime("lastModifiedDateTime"),
            raw=data,
        )


@dataclass(frozen=True)
class SupplierClass:
    """SupplierClassDto (`GET /v1/supplier/supplierClass`)."""

    id: str
    description: str
    payment_method_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> SupplierClass:
        f = Fields(data, "Visma supplier class")
        return cls(
            id=f.req_str("id"),
            description=f.text("description"),
            payment_method_id=f.opt_str("paymentMethodId"),
            raw=data,
        )


@dataclass(frozen=True)
class PaymentMethod:
    """PaymentMethodDto (`GET /v1/paymentmethod`)."""

    id: str
    description: str
    active: bool
    use_in_ap: bool
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PaymentMethod:
        f = Fields(data, "Visma payment method")
        return cls(
            id=f.req_str("paymentMethodID"),
            description=f.text("description"),
            active=f.flag("active"),
            use_in_ap=f.flag("useInAP"),
            raw=data,
        )


@dataclass(frozen=True)
class CreditTerm:
    """CreditTermDto (records of `GET /v1/creditTerm`)."""

    id: str
    description: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CreditTerm:
        f = Fields(data, "Visma credit term")
        return cls(id=f.req_str("termsId"), description=f.text("description"), raw=data)


@dataclass(frozen=True)
class CashAccount:
    """CashAccountDto (`GET /v1/cashaccount`)."""

    number: str
    description: str
    currency: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CashAccount:
        f = Fields(data, "Visma cash account")
        return cls(
            number=f.req_str("number"),
            description=f.text("description"),
            currency=f.opt_str("currency"),
            raw=data,
        )


@dataclass(frozen=True)
class Branch:
    """BranchDto (`GET /v1/branch`)."""

    number: str
    name: str
    is_main: bool
    active: bool
    currency: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Branch:
        f = Fields(data, "Visma branch")
        return cls(
            number=f.req_str("number"),
            name=f.text("name"),
            is_main=f.flag("isMainBranch"),
            active=f.flag("isActive"),
            currency=f.nested_str("currency", "id"),
            raw=data,
        )


@dataclass(frozen=True)
class FinancialPeriod:
    """FinancialPeriodDto (`GET /v1/financialPeriod`); `period_id` is YYYYMM."""

    period_id: str
    year: int
    period: int
    start_date: date
    end_date: date
    active: bool
    closed_in_gl: bool
    closed_in_ap: bool
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> FinancialPeriod:
        f = Fields(data, "Visma financial period")
        year = f.req_int("year")
        number = _period_number(f.req_str("period"), year, f)
        return cls(
            period_id=f"{year:04d}{number:02d}",
            year=year,
            period=number,
            start_date=f.req_date("startDate"),
            end_date=f.req_date("endDate"),
            active=f.flag("active"),
            closed_in_gl=f.flag("closedInGeneralLedger"),
            closed_in_ap=f.flag("closedInSupplierLedger"),
            raw=data,
        )


def _period_number(text: str, year: int, f: Fields) -> int:
    # The spec only says "the period no and the year": accept "202603" (YYYYMM, the format
    # of `periodId`), "032026" (MMYYYY, the `postPeriod` format) and a bare "3"/"03".
    digits = "".join(ch for ch in text if ch.isdigit())
    number: int | None = None
    if len(digits) <= 2 and digits:
        number = int(digits)
    elif len(digits) == 6 and digits.startswith(f"{year:04d}"):
        number = int(digits[4:])
    elif len(digits) == 6 and digits.endswith(f"{year:04d}"):
        number = int(digits[:2])
    if number is None or not 1 <= number <= 99:
        raise ValueError(f"{f.record}: field 'period' {text!r} is not a period of {year}")
    return number


@dataclass(frozen=True)
class Currency:
    """CurrencyDto (`GET /v1/currency`)."""

    id: str
    description: str
    is_base: bool
    decimal_precision: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Currency:
        f = Fields(data, "Visma currency")
        precision = f.opt_int("decimalPrecision")
        return cls(
            id=f.req_str("id"),
            description=f.text("description"),
            is_base=f.flag("isBaseCurrency"),
            decimal_precision=2 if precision is None else precision,
            raw=data,
        )


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
