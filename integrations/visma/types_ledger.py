"""General-ledger master data read from Visma.net: accounts, VAT, dimensions, branches,
financial periods, currencies (see `types`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from integrations.visma._parse import Fields


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
    account_class: str | None = None
    use_default_sub: bool = False
    post_option: str | None = None
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
            account_class=f.opt_str("accountClass"),
            use_default_sub=f.flag("useDefaultSub"),
            post_option=f.opt_str("postOption"),
            raw=data,
        )


@dataclass(frozen=True)
class AccountInput:
    """What `POST /v1/account` (AccountUpdateDto) is sent: the fields of the chart of accounts
    window (GL202500) that Pleo's help asks for when creating the Pleo accounts by hand."""

    number: str
    description: str
    type: str  # Asset | Liability | Income | Expense
    account_class: str | None = None
    use_default_sub: bool = False
    post_option: str = "Summary"  # Summary | Detail
    currency: str | None = None


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
    # `glAccounts` (VatGlAccountsDto): the VAT claimable account books input VAT, the VAT
    # payable account output VAT.
    claimable_account: str | None = None
    payable_account: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Vat:
        f = Fields(data, "Visma VAT")
        accounts = f.obj("glAccounts")
        return cls(
            claimable_account=accounts.nested_str("vatClaimableAccount", "number")
            if accounts
            else None,
            payable_account=accounts.nested_str("vatPayableAccount", "number")
            if accounts
            else None,
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
class Organization:
    """ExtendedOrganizationDto (`GET /v1/organization`): the company a token reaches."""

    name: str
    base_currency: str | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Organization:
        f = Fields(data, "Visma organization")
        return cls(name=f.text("name"), base_currency=f.opt_str("baseCurrency"), raw=data)


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
