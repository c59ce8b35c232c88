"""Finding a document we may have created already, before anything is sent again.

After a create whose outcome is unknown (timeout, lost answer, crash while `sending`), the
document is looked up in Visma.net by the item's deterministic reference. A match is adopted only
when its figures are the planned ones too: the reference *and* the amount *and* the date. A
document with our reference but other figures is not ours to adopt (edited in Visma.net, or an
older booking of the same expense): the item fails loudly, naming both, and nothing is sent —
adopting it would report the wrong document to Pleo, sending again could book the expense twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from integrations.connections.fixes import FixTarget
from integrations.exports.services.context import RunContext
from integrations.pleo.enums import FailureReason
from integrations.visma.types import (
    JournalTransaction,
    JournalTransactionInput,
    SupplierInvoiceInput,
)

VALIDATION = FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE

# A finder is given the moment from which to list (the create's send time less a margin), or
# None to list without it. Visma.net may ignore the filter: matching is done here either way.
Finder = Callable[[datetime | None], str | None]


class CreateRefused(Exception):
    """The document cannot be created (Visma.net refused it, or a conflicting one exists)."""

    def __init__(
        self, reason_type: FailureReason, message: str, fix: FixTarget | None = None
    ) -> None:
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message
        self.fix = fix


def _sums(lines: Iterable[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    debit = credit = Decimal(0)
    for line_debit, line_credit in lines:
        debit += line_debit
        credit += line_credit
    return debit, credit


def _conflict(kind: str, number: str, reference: str, found: str, planned: str) -> CreateRefused:
    return CreateRefused(
        VALIDATION,
        f"Visma.net already holds {kind} {number} with this expense's reference {reference}, "
        f"but for {found} where this expense is {planned}: it was not taken as this expense's "
        f"document and nothing was booked. Check {kind} {number} in Visma.net; if it is not "
        "this expense, change its reference there and export the expense again.",
    )


def _amounts(debit_credit: tuple[Decimal, Decimal]) -> str:
    debit, credit = debit_credit
    return f"debits {debit}, credits {credit}"


def _figures(debit_credit: tuple[Decimal, Decimal], day: date | None) -> str:
    return f"{_amounts(debit_credit)} on {day.isoformat() if day else 'no date'}"


def journal_finder(
    ctx: RunContext, *, reference: str, journal: JournalTransactionInput, by_line: bool
) -> Finder:
    """A journal booked with `reference`: as its own transaction (the description starts with
    the reference), or, when `by_line`, as lines of a shared journal (the lines' reference)."""
    planned = _sums((line.debit, line.credit) for line in journal.lines)

    def find(since: datetime | None) -> str | None:
        # Reference: GET /v2/journaltransaction?periodId=…&lastModifiedDateTime=…
        # (JournalTransactionV2_GetAllJournalTransactions): the period's batches changed since
        # the create was sent, every page of them.
        for tx in ctx.visma.journal_transactions_find(
            financial_period=journal.financial_period, modified_since=since
        ):
            if tx.description.startswith(reference):
                return _adopt_whole(tx, reference, planned, journal.transaction_date)
            if by_line and any(line.reference_number == reference for line in tx.lines):
                return _adopt_lines(tx, reference, planned, journal.financial_period)
        return None

    return find


def _adopt_whole(
    tx: JournalTransaction, reference: str, planned: tuple[Decimal, Decimal], day: date
) -> str:
    found = _sums((line.debit, line.credit) for line in tx.lines)
    if found != planned or tx.transaction_date != day:
        raise _conflict(
            "journal transaction",
            tx.batch_number,
            reference,
            _figures(found, tx.transaction_date),
            _figures(planned, day),
        )
    return tx.batch_number


def _adopt_lines(
    tx: JournalTransaction, reference: str, planned: tuple[Decimal, Decimal], period: str
) -> str:
    # The expense's lines inside a shared journal (booked earlier with one journal per export):
    # a shared journal is dated by its latest expense, so its period is what must agree.
    found = _sums(
        (line.debit, line.credit) for line in tx.lines if line.reference_number == reference
    )
    if found != planned or tx.financial_period != period:
        raise _conflict(
            "journal transaction",
            tx.batch_number,
            reference,
            f"{_amounts(found)} in period {tx.financial_period}",
            f"{_amounts(planned)} in period {period}",
        )
    return tx.batch_number


def invoice_finder(ctx: RunContext, *, reference: str, invoice: SupplierInvoiceInput) -> Finder:
    """A supplier invoice or credit note of the supplier whose supplier reference is ours."""
    lines_total = sum((line.amount for line in invoice.lines), start=Decimal(0))
    # In `Gross` mode the document's amount is the sum of its lines; in the other modes Visma.net
    # adds the VAT it computes, which we do not know here, so only the date is compared.
    gross = invoice.tax_calculation_mode == "Gross"

    def find(since: datetime | None) -> str | None:
        # Reference: GET /v1/supplierInvoice?supplier=…&documentType=…&lastModifiedDateTime=…
        # &lastModifiedDateTimeCondition=>= (SupplierInvoice_GetAllInvoices), every page.
        for found in ctx.visma.supplier_invoices_find(
            supplier_number=invoice.supplier_number,
            document_type=invoice.document_type,
            modified_since=since,
        ):
            if found.supplier_reference != reference:
                continue
            amount_ok = not gross or abs(found.amount) == abs(lines_total)
            if not amount_ok or found.date != invoice.date:
                when = found.date.isoformat() if found.date else "no date"
                raise _conflict(
                    f"supplier {invoice.document_type.lower()}",
                    found.reference_number,
                    reference,
                    f"{found.amount} {found.currency_id} on {when}",
                    f"{lines_total} {invoice.currency_id} on {invoice.date.isoformat()}",
                )
            return found.reference_number
        return None

    return find
