"""VAT from the general ledger and the VAT report (`vatTransactions` in the control state).

Visma help, "About VAT entries from the general ledger" (GL301000, help.visma.net
…/accounting/gl-vat-entry-from-gl-con) and "Post transactions with VAT directly in general
ledger" (docs.vismasoftware.no …/post-transactions-with-vat-directly-in-general-ledger):
* VAT is recorded from a journal only when it is created with "Create VAT transactions"
  (API: `createVatTransaction`); only then do the VAT ID and VAT category columns (`vatId`,
  `vatCodeId`) count. A journal without it updates GL balances and nothing else.
* The function must be enabled in Enable/disable functionalities (CS100000), "VAT entry from
  general ledger".
* A VAT transaction has at least three entries: the document amount (e.g. the wallet), the
  VAT amount (the VAT account, with the VAT ID) and the taxable amount (the expense account,
  with the VAT category). "Enter the VAT code on the income/expense line and VAT ID on the VAT
  line."
Released supplier invoices reach the VAT report through their lines' VAT categories.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integrations.sandbox.visma.api import VismaError, amount
from integrations.sandbox.visma.models import (
    Company,
    JournalTransaction,
    SupplierInvoice,
    Vat,
)
from integrations.sandbox.visma.rules import cached, categories_of, vats_of

HUNDRED = Decimal(100)


def _vats(company: Company) -> dict[str, Vat]:
    return vats_of(company)


def _category_vats(company: Company) -> dict[str, list[Vat]]:
    def load() -> dict[str, list[Vat]]:
        return {
            category_id: sorted(category.vats.all(), key=lambda v: v.vat_id)
            for category_id, category in categories_of(company).items()
        }

    return cached(company, "category_vats", load)


def _vat_accounts(vats: dict[str, Vat]) -> set[str]:
    return {a for v in vats.values() for a in (v.payable_account, v.claimable_account) if a}


@dataclass
class _Classified:
    taxable: list[dict[str, Any]]
    vat_lines: list[dict[str, Any]]


def _classify(lines: list[dict[str, Any]], vat_accounts: set[str]) -> _Classified:
    """Taxable lines carry a VAT category (`vatCodeId`); VAT lines carry a VAT id without a
    category, or sit on a VAT's GL account; the rest are document-amount lines."""
    taxable, vat_lines = [], []
    for line in lines:
        if line.get("vat_code_id"):
            taxable.append(line)
        elif line.get("vat_id") or line.get("account_number") in vat_accounts:
            vat_lines.append(line)
    return _Classified(taxable=taxable, vat_lines=vat_lines)


def _signed(line: dict[str, Any]) -> Decimal:
    return Decimal(line.get("debit") or 0) - Decimal(line.get("credit") or 0)


def _taxable_vat_ids(line: dict[str, Any], category_vats: dict[str, list[Vat]]) -> list[str]:
    """The VAT ids a taxable line is taxed with: its own `vatId`, else its category's VATs."""
    if line.get("vat_id"):
        return [line["vat_id"]]
    return [v.vat_id for v in category_vats.get(line["vat_code_id"], [])]


def _is_output_side(line: dict[str, Any], vat: Vat, base: Decimal) -> bool:
    """Reverse charge books the same VAT twice: input (claimable) and output (payable)."""
    if vat.payable_account:
        return bool(line.get("account_number") == vat.payable_account)
    # No payable account known: the side whose sign is against the taxable amount is output.
    return (_signed(line) < 0) != (base < 0)


def journal_vat_check(
    company: Company,
    lines: list[dict[str, Any]],
    *,
    currency: Any,
    create_vat_transaction: bool,
    skip_vat_amount_validation: bool,
) -> None:
    """Refuse a VAT transaction Visma.net would refuse. Journals without the flag are not
    checked here: their VAT fields record nothing (see the module docstring)."""
    if not create_vat_transaction:
        return
    if not company.vat_entry_from_gl:
        raise VismaError(
            "VAT transactions cannot be created: the functionality 'VAT entry from general "
            "ledger' is not enabled in Enable/disable functionalities (CS100000)."
        )
    vats = _vats(company)
    category_vats = _category_vats(company)
    parts = _classify(lines, _vat_accounts(vats))
    for line in parts.vat_lines:
        if not line.get("vat_id"):
            raise VismaError(
                f"Line {line['line_number']}: VAT ID is required on a VAT line (account "
                f"{line.get('account_number')} is a VAT account and the line has no VAT "
                "category)."
            )
    if skip_vat_amount_validation:
        return
    quantum = Decimal(1).scaleb(-currency.decimal_precision)
    base: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    for line in parts.taxable:
        for vat_id in _taxable_vat_ids(line, category_vats):
            base[vat_id] += _signed(line)
            count[vat_id] += 1
    booked: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in parts.vat_lines:
        vat = vats[line["vat_id"]]
        output = vat.reverse_vat and _is_output_side(line, vat, base[vat.vat_id])
        booked[(vat.vat_id, "output" if output else "input")] += _signed(line)
    for vat_id in sorted(set(base) | {key[0] for key in booked}):
        vat = vats[vat_id]
        expected = base[vat_id] * vat.rate / HUNDRED
        # Each line is rounded once to the currency's decimals.
        tolerance = quantum * max(1, count[vat_id])
        sides = [("input", expected)] + ([("output", -expected)] if vat.reverse_vat else [])
        for side, wanted in sides:
            got = booked[(vat_id, side)]
            if abs(got - wanted) > tolerance:
                label = f"{side} " if vat.reverse_vat else ""
                raise VismaError(
                    f"The {label}VAT amount {abs(got).quantize(quantum)} for VAT '{vat_id}' "
                    f"differs from {abs(wanted).quantize(quantum)} ({vat.rate.normalize()} % of "
                    f"the taxable amount {abs(base[vat_id]).quantize(quantum)}). Correct the "
                    "VAT amount or set skipVatAmountValidation."
                )


# ---- the VAT report ---------------------------------------------------------------------------


def _entry(**fields: Any) -> dict[str, Any]:
    return fields


def _journal_entries(
    j: JournalTransaction, vats: dict[str, Vat], category_vats: dict[str, list[Vat]]
) -> list[dict[str, Any]]:
    lines = [
        {
            "line_number": line.line_number,
            "account_number": line.account_number,
            "reference_number": line.reference_number,
            "vat_code_id": line.vat_code_id,
            "vat_id": line.vat_id,
            "debit": line.debit,
            "credit": line.credit,
        }
        for line in j.lines.all()
    ]
    parts = _classify(lines, _vat_accounts(vats))
    # Pair each VAT line with the taxable lines of the same VAT id and reference (one expense);
    # the group's taxable amount is shared among its VAT lines of one side by VAT amount.
    taxable: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    category: dict[tuple[str, str], str] = {}
    for line in parts.taxable:
        for vat_id in _taxable_vat_ids(line, category_vats):
            key = (line["reference_number"], vat_id)
            taxable[key] += _signed(line)
            category.setdefault(key, line["vat_code_id"])
    sided: list[tuple[dict[str, Any], Vat, str]] = []
    side_total: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    side_count: dict[tuple[str, str, str], int] = defaultdict(int)
    for line in parts.vat_lines:
        vat = vats.get(line["vat_id"])
        if vat is None:
            continue
        key = (line["reference_number"], vat.vat_id)
        output = vat.reverse_vat and _is_output_side(line, vat, taxable[key])
        side = "output" if output else "input"
        sided.append((line, vat, side))
        side_total[(*key, side)] += _signed(line)
        side_count[(*key, side)] += 1
    entries = []
    rate = j.exchange_rate
    for line, vat, side in sided:
        key = (line["reference_number"], vat.vat_id)
        total = side_total[(*key, side)]
        share = _signed(line) / total if total else Decimal(1) / side_count[(*key, side)]
        # Amounts from the company's side: input VAT positive when debited, output VAT
        # positive when credited.
        sign = -1 if side == "output" else 1
        vat_amount = sign * _signed(line)
        base = taxable[key] * share
        entries.append(
            _entry(
                module="GL",
                documentType="JournalTransaction",
                documentNumber=j.batch_number,
                lineNumber=line["line_number"],
                referenceNumber=line["reference_number"] or None,
                vatId=vat.vat_id,
                vatCategoryId=category.get(key),
                reverseVat=vat.reverse_vat,
                side=side,
                currencyId=j.currency_id,
                taxableAmountInCurrency=amount(base.quantize(Decimal("0.01"))),
                vatAmountInCurrency=amount(vat_amount),
                taxableAmount=amount((base * rate).quantize(Decimal("0.01"))),
                vatAmount=amount((vat_amount * rate).quantize(Decimal("0.01"))),
                date=j.transaction_date.isoformat(),
                financialPeriod=j.financial_period,
                released=j.released,
            )
        )
    return entries


def _invoice_entries(
    inv: SupplierInvoice, category_vats: dict[str, list[Vat]]
) -> list[dict[str, Any]]:
    entries = []
    sign = Decimal(-1) if inv.document_type == "CreditAdj" else Decimal(1)
    for line in inv.lines.all():
        vats = category_vats.get(line.vat_code_id, [])
        charged = sum((v.rate for v in vats if not v.reverse_vat), start=Decimal(0))
        # Gross lines include the VAT charged by the supplier; reverse-charge VAT is
        # self-assessed on top (the same rule as the invoice's own VAT total).
        base = (
            line.cost * HUNDRED / (HUNDRED + charged)
            if inv.tax_calculation_mode == "Gross"
            else line.cost
        )
        base = (sign * base).quantize(Decimal("0.01"))
        for vat in vats:
            vat_amount = (base * vat.rate / HUNDRED).quantize(Decimal("0.01"))
            for side in ("input", "output") if vat.reverse_vat else ("input",):
                entries.append(
                    _entry(
                        module="AP",
                        documentType=inv.document_type,
                        documentNumber=inv.reference_number,
                        lineNumber=line.line_number,
                        referenceNumber=inv.supplier_reference or None,
                        vatId=vat.vat_id,
                        vatCategoryId=line.vat_code_id,
                        reverseVat=vat.reverse_vat,
                        side=side,
                        currencyId=inv.currency_id,
                        taxableAmountInCurrency=amount(base),
                        vatAmountInCurrency=amount(vat_amount),
                        taxableAmount=amount((base * inv.exchange_rate).quantize(Decimal("0.01"))),
                        vatAmount=amount(
                            (vat_amount * inv.exchange_rate).quantize(Decimal("0.01"))
                        ),
                        date=inv.date.isoformat(),
                        financialPeriod=inv.financial_period,
                        released=True,
                    )
                )
    return entries


def vat_transactions(company: Company) -> list[dict[str, Any]]:
    """What Visma.net's VAT report holds: one entry per VAT line of each journal created as a
    VAT transaction, and per VAT of each line of each released supplier invoice."""
    vats = _vats(company)
    category_vats = _category_vats(company)
    entries: list[dict[str, Any]] = []
    journals = company.journals.filter(create_vat_transaction=True).prefetch_related("lines")
    for j in journals.order_by("id"):
        entries.extend(_journal_entries(j, vats, category_vats))
    invoices = company.invoices.filter(status__in=("Open", "Closed")).prefetch_related("lines")
    for inv in invoices.order_by("id"):
        entries.extend(_invoice_entries(inv, category_vats))
    return entries
