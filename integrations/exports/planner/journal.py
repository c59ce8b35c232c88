"""Journal mode: the accounting table of DESIGN §5, one balanced transaction per item."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from integrations.core.money import quantize
from integrations.exports.planner.lines import (
    ItemAmounts,
    default_subaccount,
    item_amounts,
    line_subaccount,
    line_vat,
    out_of_pocket_account,
    output_vat_account,
    resolve_account,
    tax_account,
    wallet_account,
)
from integrations.exports.planner.spend_types import Booking, exported_spend_type
from integrations.exports.planner.text import JOURNAL_LINE_DESCRIPTION_MAX, truncate
from integrations.exports.planner.types import (
    AccountUse,
    ExportConfig,
    PlanError,
    PlanSources,
    SegmentUse,
)
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportItem
from integrations.visma.types import JournalLineInput, SubaccountSegment

TO_COMPANY_SUB_TYPES = frozenset({"reimbursement_to_company", "reimbursement_to_employee_refund"})


class JournalBuilder:
    """Collects lines and where their accounts and segments came from."""

    def __init__(self, *, reference: str, description: str, currency: str) -> None:
        self.reference = reference
        self.description = truncate(description, JOURNAL_LINE_DESCRIPTION_MAX)
        self.currency = currency
        self.lines: list[JournalLineInput] = []
        self._accounts: dict[str, AccountUse] = {}
        self._segments: dict[tuple[int, str], SegmentUse] = {}
        self._vat: dict[str, str] = {}
        self.carries_vat = False

    def add(
        self, account: AccountUse, amount: Decimal, *, debit: bool,
        subaccount: tuple[SubaccountSegment, ...] = (), segments: tuple[SegmentUse, ...] = (),
        vat_code_id: str | None = None, vat_id: str | None = None, vat_line: bool = False,
    ) -> None:  # fmt: skip
        if amount == 0:
            return
        if amount < 0:  # a line against the item's direction goes to the other side
            amount, debit = -amount, not debit
        zero = quantize(Decimal(0), self.currency)
        amount = quantize(amount, self.currency)
        self.lines.append(
            JournalLineInput(
                account_number=account.account_number,
                debit=amount if debit else zero,
                credit=zero if debit else amount,
                description=self.description,
                reference_number=self.reference,
                subaccount=subaccount,
                vat_code_id=vat_code_id,
                vat_id=vat_id,
            )
        )
        self.carries_vat = self.carries_vat or vat_line
        self._accounts.setdefault(account.account_number, account)
        for use in segments:
            self._segments.setdefault((use.segment_id, use.value), use)

    def note_vat(self, category: str, source: str) -> None:
        self._vat.setdefault(category, source)

    def sources(self) -> PlanSources:
        return PlanSources(
            accounts=tuple(self._accounts.values()),
            segments=tuple(self._segments.values()),
            vat_categories=tuple(self._vat.items()),
        )

    def finish(self) -> tuple[JournalLineInput, ...]:
        """The balanced lines; VAT ids only when the journal has a VAT amount to report.

        A journal without VAT is sent exactly as before: no VAT ids, no VAT-transaction flag.
        """
        assert_balanced(self.lines)
        if self.carries_vat:
            return tuple(self.lines)
        return tuple(replace(line, vat_id=None) for line in self.lines)


def assert_balanced(lines: list[JournalLineInput] | tuple[JournalLineInput, ...]) -> None:
    debit = sum((line.debit for line in lines), Decimal(0))
    credit = sum((line.credit for line in lines), Decimal(0))
    if not lines or debit != credit:
        # Every path above balances by construction; reaching this is a bug, never a setup gap.
        raise PlanError(
            FailureReason.UNEXPECTED_FAILURE,
            f"The planned journal does not balance (debit {debit}, credit {credit}): "
            "nothing was posted; report this to support",
        )


def journal_lines(item: ExportItem, config: ExportConfig, builder: JournalBuilder) -> None:
    """Fill `builder` with the lines the item's type calls for."""
    booking = exported_spend_type(item.type).booking
    if booking is Booking.SPEND_FROM_WALLET:
        _spend(item, config, builder, wallet_account(config, builder.currency), expense_debit=True)
    elif booking is Booking.RETURNED_TO_WALLET:
        _spend(item, config, builder, wallet_account(config, builder.currency), expense_debit=False)
    elif booking is Booking.SPEND_BY_EMPLOYEE:
        _spend(item, config, builder, out_of_pocket_account(config), expense_debit=True)
    elif booking is Booking.REIMBURSEMENT:
        _reimbursement(item, config, builder)
    elif booking is Booking.WALLET_TOPUP:
        _wallet_transfer(item, config, builder, into_wallet=True)
    elif booking is Booking.WALLET_UNLOAD:
        _wallet_transfer(item, config, builder, into_wallet=False)


def _spend(
    item: ExportItem, config: ExportConfig, builder: JournalBuilder, counter: AccountUse,
    *, expense_debit: bool,
) -> None:  # fmt: skip
    """Expense lines (net) and VAT on one side, the gross total on the counter account."""
    amounts = item_amounts(item)
    balance_sub, balance_segments = default_subaccount(config)
    for line, gross in zip(item.lines, amounts.lines, strict=True):
        account = resolve_account(line.account, config)
        vat = line_vat(line, account, gross, amounts.currency, config)
        subaccount, segments = line_subaccount(line.tags, config)
        if vat.category is not None and vat.source is not None:
            builder.note_vat(vat.category, vat.source)
        # DESIGN §5 (Visma help "About VAT entries from the general ledger", GL301000): the
        # taxable line carries the VAT id and the VAT category, each VAT line the VAT id only;
        # the wallet or out-of-pocket line neither. Reverse charge puts the reverse VAT's id on
        # both the input and the output VAT line.
        vat_id = vat.vat_id if vat.category else None
        if vat.reverse_charge:
            # Nothing was paid for the VAT: the expense is the full amount, and input VAT
            # (deductible) and output VAT (owed) cancel out.
            builder.add(account.use, gross, debit=expense_debit, subaccount=subaccount,
                        segments=segments, vat_code_id=vat.category, vat_id=vat_id)  # fmt: skip
            if vat.amount != 0:
                builder.add(tax_account(config), vat.amount, debit=expense_debit,
                            subaccount=balance_sub, segments=balance_segments,
                            vat_id=vat_id, vat_line=True)  # fmt: skip
                builder.add(output_vat_account(config), vat.amount, debit=not expense_debit,
                            subaccount=balance_sub, segments=balance_segments,
                            vat_id=vat_id, vat_line=True)  # fmt: skip
        else:
            builder.add(account.use, gross - vat.amount, debit=expense_debit,
                        subaccount=subaccount, segments=segments, vat_code_id=vat.category,
                        vat_id=vat_id)  # fmt: skip
            if vat.amount != 0:
                # No vatCodeId here: it marks a taxable base, and the VAT amount is not one.
                builder.add(tax_account(config), vat.amount, debit=expense_debit,
                            subaccount=balance_sub, segments=balance_segments,
                            vat_id=vat_id, vat_line=True)  # fmt: skip
    builder.add(counter, amounts.total, debit=not expense_debit, subaccount=balance_sub,
                segments=balance_segments)  # fmt: skip


def _reimbursement(item: ExportItem, config: ExportConfig, builder: JournalBuilder) -> None:
    """Settling employee expenses: out-of-pocket against the wallet (or the contra account)."""
    amounts = item_amounts(item)
    to_company = item.sub_type in TO_COMPANY_SUB_TYPES
    # Items without a sub type predate the sub types, when every reimbursement went to the
    # employee.
    payer: AccountUse
    if item.type == "external_reimbursement" and item.contra_account is not None:
        # Paid outside Pleo: the contra account says which bank account the money moved on.
        payer = resolve_account(item.contra_account, config, kind="Contra account").use
    else:
        payer = wallet_account(config, amounts.currency)
    employee = out_of_pocket_account(config)
    sub, segments = default_subaccount(config)
    builder.add(employee, amounts.total, debit=not to_company, subaccount=sub, segments=segments)
    builder.add(payer, amounts.total, debit=to_company, subaccount=sub, segments=segments)


def _wallet_transfer(
    item: ExportItem, config: ExportConfig, builder: JournalBuilder, *, into_wallet: bool
) -> None:
    """Top-up: the wallet receives from the line's account; unload: the reverse."""
    amounts: ItemAmounts = item_amounts(item)
    wallet = wallet_account(config, amounts.currency)
    sub, segments = default_subaccount(config)
    builder.add(wallet, amounts.total, debit=into_wallet, subaccount=sub, segments=segments)
    for line, amount in zip(item.lines, amounts.lines, strict=True):
        ref = line.account if line.account is not None else item.contra_account
        source = resolve_account(ref, config, kind="Account").use
        builder.add(source, amount, debit=not into_wallet, subaccount=sub, segments=segments)
