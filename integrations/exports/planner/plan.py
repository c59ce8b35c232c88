"""`plan_item`: one Pleo export item → a journal plan, an invoice plan or a failure."""

from __future__ import annotations

from datetime import date

from integrations.core.money import CurrencyError
from integrations.exports.planner.invoice import invoice_parts
from integrations.exports.planner.journal import JournalBuilder, journal_lines
from integrations.exports.planner.spend_types import exported_spend_type
from integrations.exports.planner.text import header_description, item_description, item_reference
from integrations.exports.planner.types import (
    ExportConfig,
    InvoicePlan,
    JournalPlan,
    PlanError,
    PlanFailure,
)
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportItem
from integrations.visma.types import JournalTransactionInput, SupplierInvoiceInput


def financial_period(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}"


def plan_item(item: ExportItem, config: ExportConfig) -> JournalPlan | InvoicePlan | PlanFailure:
    """Pure: the same item and configuration always give the same plan."""
    try:
        return _plan(item, config)
    except PlanError as exc:
        return exc.failure()
    except CurrencyError as exc:
        return PlanFailure(FailureReason.VALIDATION_FAILURE, f"{exc}: correct the expense in Pleo")


def _plan(item: ExportItem, config: ExportConfig) -> JournalPlan | InvoicePlan:
    spend = exported_spend_type(item.type)  # or the item fails: not a type we export
    reference = item_reference(item.accounting_entry_id)
    text = item_description(item)
    day = item.date.date()
    files = item.files if config.transfer_attachments else ()

    if config.card_expenses_as_invoices and spend.invoice_document_type:
        document_type, supplier, cash, lines, sources = invoice_parts(
            item, config, description=text
        )
        invoice = SupplierInvoiceInput(
            document_type=document_type,
            supplier_number=supplier,
            date=day,
            financial_period=financial_period(day),
            supplier_reference=reference,
            description=header_description(reference, text),
            currency_id=item.amount.in_wallet.currency,
            lines=lines,
            branch_number=config.branch,
            payment_method=config.invoice_payment_method,
            cash_account=cash.account_number,
            tax_calculation_mode="Gross",
        )
        return InvoicePlan(
            reference=reference,
            invoice=invoice,
            files=files,
            item_id=item.accounting_entry_id,
            sources=sources,
        )

    builder = JournalBuilder(
        reference=reference, description=text, currency=item.amount.in_wallet.currency
    )
    journal_lines(item, config, builder)
    transaction = JournalTransactionInput(
        transaction_date=day,
        financial_period=financial_period(day),
        description=header_description(reference, text),
        currency_id=builder.currency,
        lines=builder.finish(),
        branch=config.branch,
        create_vat_transaction=builder.carries_vat,
    )
    return JournalPlan(
        reference=reference,
        transaction=transaction,
        files=files,
        item_id=item.accounting_entry_id,
        sources=builder.sources(),
    )
