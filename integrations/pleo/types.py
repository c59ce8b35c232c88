"""Typed records for what the Pleo API sends and what we send back, parsed at the edge.

Field names and enum values come from the Pleo OpenAPI specs kept with the project:
export items v3 (`pleo-export-items-v3-api-openapi.yml`, schema `ExportItemV3`), export jobs v3
(`pleo-export-api-v3-api-openapi.yml`, `ExportJobV3`, `UpdateExportJobItemV3`,
`ExportJobItemUpdateV3`), chart of accounts (`pleo-accounts-api-openapi.yml`,
`BookkeepingAccountRestModelV1`), tax codes (`TaxCodeModel`), tag groups (`TagGroupModel`),
tags (`TagModel`), vendors (`VendorResponse`) and subscriptions (`SubscriptionModel`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.core.money import from_minor
from integrations.pleo.enums import TAX_TYPES
from integrations.pleo.parsing import (
    as_list,
    as_object,
    as_required_object,
    opt_datetime,
    opt_decimal,
    opt_str,
    required,
)

# -- export items --------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    currency: str
    value: Decimal

    @classmethod
    def from_api(cls, data: Any, name: str = "money") -> Money:
        """`MoneyModel`: `value` is in the currency's minor unit (89696 SEK → 896.96)."""
        obj = as_required_object(data, name)
        currency = required(obj, "currency", name)
        raw = obj.get("value")
        if raw is None:
            raise ValueError(f"{name}.value is missing")
        if isinstance(raw, float):
            if not raw.is_integer():
                raise ValueError(f"{name}.value must be a whole number of minor units, got {raw}")
            raw = int(raw)
        try:
            value = from_minor(raw, str(currency))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
        return cls(currency=str(currency).upper(), value=value)


@dataclass(frozen=True)
class Amount:
    in_supplier: Money
    in_wallet: Money

    @classmethod
    def from_api(cls, data: Any, name: str = "amount") -> Amount:
        obj = as_required_object(data, name)
        return cls(
            in_supplier=Money.from_api(obj.get("inSupplierCurrency"), f"{name}.inSupplierCurrency"),
            in_wallet=Money.from_api(obj.get("inWalletCurrency"), f"{name}.inWalletCurrency"),
        )


@dataclass(frozen=True)
class ExportItemTag:
    id: str | None
    code: str
    group_code: str

    @classmethod
    def from_api(cls, data: Any, name: str = "tag") -> ExportItemTag:
        obj = as_required_object(data, name)
        return cls(
            id=opt_str(obj.get("id")),
            code=str(required(obj, "code", name)),
            group_code=str(required(obj, "groupCode", name)),
        )


@dataclass(frozen=True)
class ExportItemTax:
    id: str | None
    code: str | None
    rate: Decimal | None  # a fraction: 0.25 is 25 %
    type: str | None  # inclusive | exclusive | reverse
    amount: Amount | None
    ingoing_tax_account: str | None
    outgoing_tax_account: str | None

    @classmethod
    def from_api(cls, data: Any, name: str = "tax") -> ExportItemTax | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        tax_type = opt_str(obj.get("type"))
        if tax_type is not None and tax_type not in TAX_TYPES:
            raise ValueError(f"{name}.type {tax_type!r} is not one of {', '.join(TAX_TYPES)}")
        amount = obj.get("amount")
        return cls(
            id=opt_str(obj.get("id")),
            code=opt_str(obj.get("code")),
            rate=opt_decimal(obj.get("rate"), f"{name}.rate"),
            type=tax_type,
            amount=Amount.from_api(amount, f"{name}.amount") if amount is not None else None,
            ingoing_tax_account=opt_str(obj.get("ingoingTaxAccount")),
            outgoing_tax_account=opt_str(obj.get("outgoingTaxAccount")),
        )


@dataclass(frozen=True)
class ExportAccountRef:
    """`AccountV3` on a line or `ContraAccount` on the item."""

    id: str | None
    name: str | None
    code: str | None
    identifier: str | None

    @classmethod
    def from_api(cls, data: Any, name: str = "account") -> ExportAccountRef | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        return cls(
            id=opt_str(obj.get("id")),
            name=opt_str(obj.get("name")),
            code=opt_str(obj.get("code")),
            identifier=opt_str(obj.get("identifier")),
        )


@dataclass(frozen=True)
class ExportItemLine:
    line_id: str
    line_amount: Amount
    net_amount: Amount | None
    account: ExportAccountRef | None
    tags: tuple[ExportItemTag, ...]
    tax: ExportItemTax | None

    @classmethod
    def from_api(cls, data: Any, name: str = "line") -> ExportItemLine:
        obj = as_required_object(data, name)
        net = obj.get("netAmount")
        return cls(
            line_id=str(required(obj, "accountingEntryLineId", name)),
            line_amount=Amount.from_api(obj.get("lineAmount"), f"{name}.lineAmount"),
            net_amount=Amount.from_api(net, f"{name}.netAmount") if net is not None else None,
            account=ExportAccountRef.from_api(obj.get("account"), f"{name}.account"),
            tags=tuple(
                ExportItemTag.from_api(tag, f"{name}.tags[{i}]")
                for i, tag in enumerate(as_list(obj.get("tags"), f"{name}.tags"))
                if tag is not None
            ),
            tax=ExportItemTax.from_api(obj.get("tax"), f"{name}.tax"),
        )


@dataclass(frozen=True)
class ExportFile:
    url: str
    type: str | None  # usually a MIME type
    size: int | None

    @classmethod
    def from_api(cls, data: Any, name: str = "file") -> ExportFile:
        obj = as_required_object(data, name)
        size = obj.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise ValueError(f"{name}.size must be an integer, got {size!r}")
        return cls(url=str(required(obj, "url", name)), type=opt_str(obj.get("type")), size=size)


@dataclass(frozen=True)
class ExportSupplier:
    name: str | None
    code: str | None
    account: str | None
    category_code: str | None  # merchant category code (MCC)
    country: str | None
    tax_identifier: str | None

    @classmethod
    def from_api(cls, data: Any, name: str = "supplier") -> ExportSupplier | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        return cls(
            name=opt_str(obj.get("name")),
            code=opt_str(obj.get("code")),
            account=opt_str(obj.get("account")),
            category_code=opt_str(obj.get("categoryCode")),
            country=opt_str(obj.get("country")),
            tax_identifier=opt_str(obj.get("taxIdentifier")),
        )


@dataclass(frozen=True)
class ExportVendor:
    id: str | None
    name: str | None
    code: str | None
    external_id: str | None
    country: str | None
    default_currency: str | None
    registration_number: str | None
    tax_registration_number: str | None

    @classmethod
    def from_api(cls, data: Any, name: str = "vendor") -> ExportVendor | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        return cls(
            id=opt_str(obj.get("id")),
            name=opt_str(obj.get("name")),
            code=opt_str(obj.get("code")),
            external_id=opt_str(obj.get("externalId")),
            country=opt_str(obj.get("country")),
            default_currency=opt_str(obj.get("defaultCurrency")),
            registration_number=opt_str(obj.get("registrationNumber")),
            tax_registration_number=opt_str(obj.get("taxRegistrationNumber")),
        )


@dataclass(frozen=True)
class ExportPerson:
    """`ExportItemUserV3` or `TeamV3`."""

    id: str | None
    name: str | None
    code: str | None

    @classmethod
    def from_api(cls, data: Any, name: str = "user") -> ExportPerson | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        return cls(
            id=opt_str(obj.get("id")), name=opt_str(obj.get("name")), code=opt_str(obj.get("code"))
        )


@dataclass(frozen=True)
class ExportInvoiceInformation:
    """`InvoiceInformationV3`, present on invoice items."""

    invoice_number: str | None
    invoice_date: datetime | None
    due_date: datetime | None
    payment_date: datetime | None
    status: str | None

    @classmethod
    def from_api(
        cls, data: Any, name: str = "invoiceInformation"
    ) -> ExportInvoiceInformation | None:
        obj = as_object(data, name)
        if obj is None:
            return None
        return cls(
            invoice_number=opt_str(obj.get("invoiceNumber")),
            invoice_date=opt_datetime(obj.get("invoiceDate"), f"{name}.invoiceDate"),
            due_date=opt_datetime(obj.get("dueDate"), f"{name}.dueDate"),
            payment_date=opt_datetime(obj.get("paymentDate"), f"{name}.paymentDate"),
            status=opt_str(obj.get("status")),
        )


@dataclass(frozen=True)
class ExportItem:
    accounting_entry_id: str
    company_id: str
    type: str
    sub_type: str | None
    date: datetime  # the bookkeeping date-time
    amount: Amount
    lines: tuple[ExportItemLine, ...]
    note: str | None
    files: tuple[ExportFile, ...]
    supplier: ExportSupplier | None
    vendor: ExportVendor | None
    user: ExportPerson | None
    team: ExportPerson | None
    contra_account: ExportAccountRef | None
    bookkeeping_method: str | None  # journal | accounts_payable | none; None on legacy items
    reconciliation_id: str | None  # Pleo's "book ID"
    reconciled_entries: tuple[str, ...]
    web_url: str | None
    raw: dict[str, Any] = field(compare=False, repr=False)
    invoice: ExportInvoiceInformation | None = None
    service_period_from: datetime | None = None
    service_period_to: datetime | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ExportItem:
        """Parse an `ExportItemV3`. Raises ValueError naming the broken field."""
        obj = as_required_object(data, "export item")
        entry_id = str(required(obj, "accountingEntryId", "item"))
        where = f"item {entry_id}"
        item_type = str(required(obj, "type", where))
        date = opt_datetime(required(obj, "date", where), f"{where}: date")
        assert date is not None
        lines_data = obj.get("accountingEntryLines")
        if not isinstance(lines_data, list) or not lines_data:
            # Pleo documents at least one line per entry; without one nothing can be booked.
            raise ValueError(f"{where}: accountingEntryLines is missing or empty")
        info = as_object(obj.get("additionalInformation"), f"{where}: additionalInformation") or {}
        bookkeeping = as_object(obj.get("bookkeeping"), f"{where}: bookkeeping") or {}
        period = as_object(obj.get("servicePeriod"), f"{where}: servicePeriod") or {}
        return cls(
            accounting_entry_id=entry_id,
            company_id=str(required(obj, "companyId", where)),
            type=item_type,
            sub_type=opt_str(obj.get("subType")),
            date=date,
            amount=Amount.from_api(obj.get("amount"), f"{where}: amount"),
            lines=tuple(
                ExportItemLine.from_api(line, f"{where}: accountingEntryLines[{i}]")
                for i, line in enumerate(lines_data)
            ),
            note=opt_str(obj.get("note")),
            files=tuple(
                ExportFile.from_api(f, f"{where}: files[{i}]")
                for i, f in enumerate(as_list(obj.get("files"), f"{where}: files"))
                if f is not None
            ),
            supplier=ExportSupplier.from_api(obj.get("supplier"), f"{where}: supplier"),
            vendor=ExportVendor.from_api(obj.get("vendor"), f"{where}: vendor"),
            user=ExportPerson.from_api(obj.get("user"), f"{where}: user"),
            team=ExportPerson.from_api(obj.get("team"), f"{where}: team"),
            contra_account=ExportAccountRef.from_api(
                obj.get("contraAccount"), f"{where}: contraAccount"
            ),
            bookkeeping_method=opt_str(bookkeeping.get("method")),
            reconciliation_id=opt_str(info.get("reconciliationId")),
            reconciled_entries=tuple(
                str(e)
                for e in as_list(info.get("reconciledEntries"), f"{where}: reconciledEntries")
            ),
            web_url=_web_url(obj.get("_links")),
            raw=obj,
            invoice=ExportInvoiceInformation.from_api(
                info.get("invoiceInformation"), f"{where}: invoiceInformation"
            ),
            service_period_from=opt_datetime(period.get("from"), f"{where}: servicePeriod.from"),
            service_period_to=opt_datetime(period.get("to"), f"{where}: servicePeriod.to"),
        )


def _web_url(links: Any) -> str | None:
    # `LinksResponse`: {"web": {"exportItem": "https://…"}, "mobile": {…}, "api": {…}}
    if not isinstance(links, dict) or not isinstance(links.get("web"), dict):
        return None
    web = links["web"]
    url = web.get("exportItem") or next(iter(web.values()), None)
    return str(url) if url else None


@dataclass(frozen=True)
class BrokenExportItem:
    """An export item that could not be parsed; the exporter fails it instead of stopping."""

    accounting_entry_id: str | None
    error: str
    raw: dict[str, Any] = field(compare=False, repr=False)


# Jobs and reference data live in their own modules to keep this one readable; import them from
# here.
from integrations.pleo.job_types import (  # noqa: E402
    ExportJob,
    ExportJobItem,
    ItemUpdate,
    ItemUpdateResult,
)
from integrations.pleo.reference_types import (  # noqa: E402
    ChartAccount,
    Company,
    Subscription,
    Tag,
    TagGroup,
    TaxCode,
    Vendor,
)

__all__ = [
    "Amount",
    "BrokenExportItem",
    "ChartAccount",
    "Company",
    "ExportAccountRef",
    "ExportFile",
    "ExportInvoiceInformation",
    "ExportItem",
    "ExportItemLine",
    "ExportItemTag",
    "ExportItemTax",
    "ExportJob",
    "ExportJobItem",
    "ExportPerson",
    "ExportSupplier",
    "ExportVendor",
    "ItemUpdate",
    "ItemUpdateResult",
    "Money",
    "Subscription",
    "Tag",
    "TagGroup",
    "TaxCode",
    "Vendor",
]
