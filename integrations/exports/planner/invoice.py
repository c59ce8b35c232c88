"""Invoice mode: card purchases as supplier invoices, their refunds as credit notes."""

from __future__ import annotations

from collections.abc import Callable

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner.lines import (
    ACCOUNTS_PAGE,
    EXPORT_SETTINGS_PAGE,
    item_amounts,
    line_subaccount,
    line_vat,
    resolve_account,
    wallet_account,
)
from integrations.exports.planner.spend_types import exported_spend_type
from integrations.exports.planner.text import INVOICE_LINE_DESCRIPTION_MAX, truncate
from integrations.exports.planner.types import (
    AccountUse,
    ExportConfig,
    PlanError,
    PlanSources,
    SegmentUse,
    VendorRef,
)
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportItem
from integrations.visma.types import InvoiceLineInput


def _norm(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def match_vendor(item: ExportItem, config: ExportConfig) -> tuple[str, str]:
    """The supplier number and how it was found.

    Order of Pleo's accounts-payable guide: vendor code, then the Visma supplier number Pleo
    keeps as the vendor's external id, then the VAT registration id. Items without a vendor
    (legacy, or jobs without vendor-based bookkeeping) fall back to the supplier's code and
    tax identifier. The first active supplier matched wins; a vendor that matches only inactive
    suppliers fails the item (DESIGN §5): moving it to the default vendor would book the
    expense on the wrong supplier without a word. Only an expense that matches no supplier at
    all goes to the default vendor.
    """
    vendor, supplier = item.vendor, item.supplier
    code = vendor.code if vendor is not None else (supplier.code if supplier else None)
    number = vendor.external_id if vendor is not None else None
    tax_id = (
        vendor.tax_registration_number
        if vendor is not None and vendor.tax_registration_number
        else (supplier.tax_identifier if supplier else None)
    )
    name = (vendor.name if vendor else None) or (supplier.name if supplier else None) or "?"
    criteria: list[tuple[str, Callable[[VendorRef], bool]]] = []
    if code:
        criteria.append(
            (f"vendor code {code}", lambda v: bool(v.code) and _norm(v.code) == _norm(code))
        )
    if number:
        criteria.append((f"supplier number {number}", lambda v: _norm(v.number) == _norm(number)))
    if tax_id:
        criteria.append((
            f"VAT registration id {tax_id}",
            lambda v: bool(v.vat_registration_id) and _norm(v.vat_registration_id) == _norm(tax_id),
        ))  # fmt: skip
    inactive: tuple[str, VendorRef] | None = None
    for how, matches in criteria:
        found = [v for v in config.vendors if matches(v)]
        active = next((v for v in found if v.active), None)
        if active is not None:
            return active.number, f"vendor '{name}' (matched by {how})"
        if found and inactive is None:
            inactive = (how, found[0])
    if inactive is not None:
        how, match = inactive
        raise PlanError(
            FailureReason.VENDOR_UNKNOWN,
            f"Vendor '{name}' matches supplier {match.number} (by {how}), which is inactive in "
            "Visma.net: reactivate the supplier in Visma.net or change the vendor on the "
            "expense in Pleo",
            FixTarget(FixPage.VENDORS),
        )
    if config.default_vendor_number:
        return config.default_vendor_number, "the default vendor"
    raise PlanError(
        FailureReason.VENDOR_UNKNOWN,
        f"Vendor '{name}' has no active supplier in Visma.net and no default vendor is set: "
        f"choose a default vendor on the {ACCOUNTS_PAGE} page or create the supplier in Visma.net",
        FixTarget(FixPage.VENDORS),
    )


def invoice_parts(
    item: ExportItem, config: ExportConfig, *, description: str
) -> tuple[str, str, AccountUse, tuple[InvoiceLineInput, ...], PlanSources]:
    """Document type, supplier, cash account, gross lines and sources of one invoice."""
    document_type = exported_spend_type(item.type).invoice_document_type
    assert document_type is not None  # plan_item sends only types with one here
    amounts = item_amounts(item)
    cash = wallet_account(config, amounts.currency)
    if not config.invoice_payment_method:
        # Without our payment method Visma.net would pay the invoice a second time.
        raise PlanError(
            FailureReason.MISSING_CONFIGURATION,
            f"No payment method for purchase invoices: choose one in {EXPORT_SETTINGS_PAGE}",
            FixTarget(FixPage.EXPORT_SETTINGS, "invoice_payment_method"),
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
            FailureReason.UNEXPECTED_FAILURE,
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
