"""Invoice mode: card purchases as supplier invoices, their refunds as credit notes."""

from __future__ import annotations

from integrations.exports.planner.lines import (
    ACCOUNTS_PAGE,
    EXPORT_SETTINGS_PAGE,
    item_amounts,
    line_subaccount,
    line_vat,
    resolve_account,
    wallet_account,
)
from integrations.exports.planner.text import INVOICE_LINE_DESCRIPTION_MAX, truncate
from integrations.exports.planner.types import (
    AccountUse,
    ExportConfig,
    PlanError,
    PlanSources,
    SegmentUse,
    VendorRef,
)
from integrations.pleo.types import ExportItem
from integrations.visma.types import InvoiceLineInput

# DESIGN §5: card purchases become `Invoice`; money the merchant gives back becomes `CreditAdj`.
INVOICE_DOCUMENT_TYPES = {"card_purchase": "Invoice", "refund": "CreditAdj", "chargeback": "CreditAdj"}  # fmt: skip


def _norm(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def match_vendor(item: ExportItem, config: ExportConfig) -> tuple[str, str]:
    """The supplier number and how it was found.

    Order of Pleo's accounts-payable guide: vendor code, then the Visma supplier number Pleo
    keeps as the vendor's external id, then the VAT registration id. Items without a vendor
    (legacy, or jobs without vendor-based bookkeeping) fall back to the supplier's code and
    tax identifier. Only active Visma suppliers are candidates.
    """
    active: list[VendorRef] = [v for v in config.vendors if v.active]
    vendor, supplier = item.vendor, item.supplier
    code = vendor.code if vendor is not None else (supplier.code if supplier else None)
    number = vendor.external_id if vendor is not None else None
    tax_id = (
        vendor.tax_registration_number
        if vendor is not None and vendor.tax_registration_number
        else (supplier.tax_identifier if supplier else None)
    )
    name = (vendor.name if vendor else None) or (supplier.name if supplier else None) or "?"
    if code:
        found = next((v for v in active if v.code and _norm(v.code) == _norm(code)), None)
        if found is not None:
            return found.number, f"vendor '{name}' (matched by vendor code {code})"
    if number:
        found = next((v for v in active if _norm(v.number) == _norm(number)), None)
        if found is not None:
            return found.number, f"vendor '{name}' (matched by supplier number {number})"
    if tax_id:
        found = next(
            (v for v in active if v.vat_registration_id and _norm(v.vat_registration_id) == _norm(tax_id)),
            None,
        )  # fmt: skip
        if found is not None:
            return found.number, f"vendor '{name}' (matched by VAT registration id {tax_id})"
    if config.default_vendor_number:
        return config.default_vendor_number, "the default vendor"
    raise PlanError(
        "vendor_unknown",
        f"Vendor '{name}' has no active supplier in Visma.net and no default vendor is set: "
        f"choose a default vendor on the {ACCOUNTS_PAGE} page or create the supplier in Visma.net",
    )


def invoice_parts(
    item: ExportItem, config: ExportConfig, *, description: str
) -> tuple[str, str, AccountUse, tuple[InvoiceLineInput, ...], PlanSources]:
    """Document type, supplier, cash account, gross lines and sources of one invoice."""
    document_type = INVOICE_DOCUMENT_TYPES[item.type]
    amounts = item_amounts(item)
    cash = wallet_account(config, amounts.currency)
    if not config.invoice_payment_method:
        # Without our payment method Visma.net would pay the invoice a second time.
        raise PlanError(
            "missing_configuration",
            f"No payment method for purchase invoices: choose one in {EXPORT_SETTINGS_PAGE}",
        )
    supplier_number, how = match_vendor(item, config)
    accounts: dict[str, AccountUse] = {cash.account_number: cash}
    segments: dict[tuple[int, str], SegmentUse] = {}
    vat_sources: dict[str, str] = {}
    lines: list[InvoiceLineInput] = []
    for line, gross in zip(item.lines, amounts.lines, strict=True):
        account = resolve_account(line.account, config)
        vat = line_vat(line, account, gross, amounts.currency, config)
        subaccount, uses = line_subaccount(line.tags, config)
        if vat.category is not None and vat.source is not None:
            vat_sources.setdefault(vat.category, vat.source)
        accounts.setdefault(account.number, account.use)
        for use in uses:
            segments.setdefault((use.segment_id, use.value), use)
        # Gross with the VAT category: Visma.net splits the VAT out itself (`Gross` mode).
        lines.append(
            InvoiceLineInput(
                account_number=account.number,
                amount=gross,
                description=truncate(description, INVOICE_LINE_DESCRIPTION_MAX),
                subaccount=subaccount,
                vat_code_id=vat.category,
            )
        )
    if sum(line.amount for line in lines) != amounts.total:
        raise PlanError(
            "unexpected_failure",
            "The planned invoice lines do not add up to the expense amount: nothing was "
            "posted; report this to support",
        )
    sources = PlanSources(
        accounts=tuple(accounts.values()),
        segments=tuple(segments.values()),
        vat_categories=tuple(vat_sources.items()),
        supplier=how,
    )
    return document_type, supplier_number, cash, tuple(lines), sources
