"""Plans as JSON and back: the exact document sent is kept on the row, so a resumed run sends
what was recorded (and support staff can read it), not a re-plan with changed mappings."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations.exports.planner import InvoicePlan, JournalPlan, MergedJournal
from integrations.visma.types import (
    InvoiceLineInput,
    JournalLineInput,
    JournalTransactionInput,
    SubaccountSegment,
    SupplierInvoiceInput,
)


def to_json(value: Any) -> Any:
    """Dataclasses, dates and decimals as plain JSON values (decimals as strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def plan_json(plan: JournalPlan | InvoicePlan | MergedJournal) -> dict[str, Any]:
    if isinstance(plan, JournalPlan):
        return {
            "kind": "journal",
            "reference": plan.reference,
            "transaction": to_json(plan.transaction),
            "files": to_json(plan.files),
            "sources": to_json(plan.sources),
        }
    if isinstance(plan, InvoicePlan):
        return {
            "kind": "invoice",
            "reference": plan.reference,
            "invoice": to_json(plan.invoice),
            "files": to_json(plan.files),
            "sources": to_json(plan.sources),
        }
    return {
        "kind": "merged_journal",
        "reference": plan.reference,
        "transaction": to_json(plan.transaction),
        "line_owners": list(plan.line_owners),
    }


def _segments(rows: Any) -> tuple[SubaccountSegment, ...]:
    return tuple(SubaccountSegment(segment_id=int(s["segment_id"]), value=s["value"]) for s in rows)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def journal_from_json(data: dict[str, Any]) -> JournalTransactionInput:
    lines = tuple(
        JournalLineInput(
            account_number=line["account_number"],
            debit=Decimal(line["debit"]),
            credit=Decimal(line["credit"]),
            description=line["description"],
            reference_number=line["reference_number"],
            subaccount=_segments(line.get("subaccount") or ()),
            vat_code_id=line.get("vat_code_id"),
            vat_id=line.get("vat_id"),
        )
        for line in data["lines"]
    )
    return JournalTransactionInput(
        transaction_date=date.fromisoformat(data["transaction_date"]),
        financial_period=data["financial_period"],
        description=data["description"],
        currency_id=data["currency_id"],
        lines=lines,
        branch=data.get("branch"),
        hold=bool(data.get("hold")),
        exchange_rate=_decimal(data.get("exchange_rate")),
        create_vat_transaction=bool(data.get("create_vat_transaction")),
    )


def invoice_from_json(data: dict[str, Any]) -> SupplierInvoiceInput:
    lines = tuple(
        InvoiceLineInput(
            account_number=line["account_number"],
            amount=Decimal(line["amount"]),
            description=line["description"],
            subaccount=_segments(line.get("subaccount") or ()),
            vat_code_id=line.get("vat_code_id"),
        )
        for line in data["lines"]
    )
    return SupplierInvoiceInput(
        document_type=data["document_type"],
        supplier_number=data["supplier_number"],
        date=date.fromisoformat(data["date"]),
        financial_period=data["financial_period"],
        supplier_reference=data["supplier_reference"],
        description=data["description"],
        currency_id=data["currency_id"],
        lines=lines,
        branch_number=data.get("branch_number"),
        payment_method=data.get("payment_method"),
        cash_account=data.get("cash_account"),
        tax_calculation_mode=data.get("tax_calculation_mode") or "Gross",
        hold=bool(data.get("hold")),
    )
