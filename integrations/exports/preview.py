"""Preview of a pending Pleo export job: what would be posted to Visma.net, and what stops it.

Reads only. The job is not claimed, no `started` event is sent, nothing is stored and nothing is
sent to Visma.net: the items are read from Pleo (`GET /v3/export-items` works on pending jobs),
planned and checked against the mirror exactly as the exporter will do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from integrations.connections.clients import connection_pleo_client
from integrations.connections.fixes import FixLink, fix_link
from integrations.connections.models import Connection, ExportSettings
from integrations.core.context import call_links
from integrations.exports.config import (
    export_config_for_connection,
    mirror_snapshot_for_connection,
)
from integrations.exports.planner import (
    ExportConfig,
    InvoicePlan,
    JournalPlan,
    PlanFailure,
    merge_journal_plans,
    plan_item,
)
from integrations.exports.preflight import MirrorSnapshot, period_check, preflight_problems
from integrations.exports.selectors import expense_type_label
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import BrokenExportItem, ExportItem, ExportJob


@dataclass(frozen=True)
class Problem:
    reason_type: str
    message: str
    fix: FixLink | None


@dataclass(frozen=True)
class PlannedLine:
    account: str
    debit: Decimal
    credit: Decimal
    vat: str
    subaccount: str
    description: str


@dataclass(frozen=True)
class PlannedDocument:
    kind: str  # "journal" | "invoice"
    reference: str
    financial_period: str
    date: str
    description: str
    currency: str
    lines: tuple[PlannedLine, ...]
    # Supplier invoices only.
    document_type: str = ""
    supplier_number: str = ""
    payment_method: str = ""
    cash_account: str = ""
    files: int = 0


@dataclass(frozen=True)
class PreviewItem:
    accounting_entry_id: str
    expense_type: str
    date: datetime | None
    amount: Decimal | None
    currency: str
    supplier: str
    user: str
    document: PlannedDocument | None
    problems: tuple[Problem, ...]

    @property
    def ready(self) -> bool:
        return self.document is not None and not self.problems

    @property
    def expense_type_label(self) -> str:
        return expense_type_label(self.expense_type) if self.expense_type else ""


@dataclass(frozen=True)
class Preview:
    job: ExportJob
    items: tuple[PreviewItem, ...]
    one_journal_per_export: bool
    merged_journals: int  # how many journals the ready items make in one-journal mode

    @property
    def ready_count(self) -> int:
        return sum(1 for item in self.items if item.ready)

    @property
    def problem_count(self) -> int:
        return sum(1 for item in self.items if not item.ready)


def export_jobs_pending(*, connection: Connection) -> list[ExportJob]:
    """Pleo's pending export jobs of the connection's company."""
    client = connection_pleo_client(connection=connection)
    with call_links(connection_id=connection.pk):
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId getExportJobsListV3
        return client.export_jobs_list(statuses=("pending",))


def export_job_preview(*, connection: Connection, job_id: str) -> Preview:
    """Plan and preflight every item of a pending job without touching either service."""
    client = connection_pleo_client(connection=connection)
    config = export_config_for_connection(connection=connection)
    snapshot = mirror_snapshot_for_connection(connection=connection)
    settings = ExportSettings.objects.filter(connection=connection).first()
    policy = settings.closed_period_policy if settings else "fail"
    max_lines = settings.journal_batch_max_lines if settings else 500
    with call_links(connection_id=connection.pk):
        # Reference: pleo-export-api-v3-api-openapi.yml, operationId getExportJobByIdV3
        job = client.export_job_get(job_id)
        # Reference: pleo-export-items-v3-api-openapi.yml, operationId getExportItemsV3
        raw_items = list(client.export_items_iter(job_id))
    items: list[PreviewItem] = []
    journals: list[JournalPlan] = []
    for raw in raw_items:
        preview, plan = _item_preview(
            raw, connection=connection, config=config, snapshot=snapshot, policy=policy
        )
        items.append(preview)
        if preview.ready and isinstance(plan, JournalPlan):
            journals.append(plan)
    merged = (
        len(merge_journal_plans(journals, max_lines=max_lines))
        if config.one_journal_per_export and journals
        else 0
    )
    return Preview(
        job=job,
        items=tuple(items),
        one_journal_per_export=config.one_journal_per_export,
        merged_journals=merged,
    )


def _problem(connection: Connection, failure: PlanFailure) -> Problem:
    return Problem(
        reason_type=failure.reason_type,
        message=failure.message,
        fix=fix_link(connection_id=connection.pk, fix=failure.fix),
    )


def _item_preview(
    raw: ExportItem | BrokenExportItem,
    *,
    connection: Connection,
    config: ExportConfig,
    snapshot: MirrorSnapshot,
    policy: str,
) -> tuple[PreviewItem, JournalPlan | InvoicePlan | None]:
    if isinstance(raw, BrokenExportItem):
        failure = PlanFailure(
            FailureReason.VALIDATION_FAILURE, f"Pleo sent an item that cannot be read: {raw.error}"
        )
        empty = PreviewItem(
            accounting_entry_id=raw.accounting_entry_id or "?",
            expense_type=str(raw.raw.get("type") or ""),
            date=None,
            amount=None,
            currency="",
            supplier="",
            user="",
            document=None,
            problems=(_problem(connection, failure),),
        )
        return empty, None
    planned = plan_item(raw, config)
    problems: list[PlanFailure] = []
    plan: JournalPlan | InvoicePlan | None = None
    if isinstance(planned, PlanFailure):
        problems.append(planned)
    else:
        plan = planned
        problems.extend(preflight_problems(plan, snapshot))
        checked = period_check(plan, snapshot, closed_period_policy=policy)
        if isinstance(checked, PlanFailure):
            problems.append(checked)
        else:
            plan = checked  # possibly moved to the first open period
    supplier = raw.vendor.name if raw.vendor and raw.vendor.name else None
    if not supplier and raw.supplier:
        supplier = raw.supplier.name
    preview = PreviewItem(
        accounting_entry_id=raw.accounting_entry_id,
        expense_type=raw.type,
        date=raw.date,
        amount=raw.amount.in_wallet.value,
        currency=raw.amount.in_wallet.currency,
        supplier=supplier or "",
        user=(raw.user.name or "") if raw.user else "",
        document=_document(plan) if plan is not None else None,
        problems=tuple(_problem(connection, p) for p in problems),
    )
    return preview, plan


def _subaccount(segments: tuple[object, ...]) -> str:
    return "-".join(str(getattr(s, "value", "")) for s in segments)


def _document(plan: JournalPlan | InvoicePlan) -> PlannedDocument:
    if isinstance(plan, JournalPlan):
        t = plan.transaction
        return PlannedDocument(
            kind="journal",
            reference=plan.reference,
            financial_period=t.financial_period,
            date=t.transaction_date.isoformat(),
            description=t.description,
            currency=t.currency_id,
            lines=tuple(
                PlannedLine(
                    account=line.account_number,
                    debit=line.debit,
                    credit=line.credit,
                    vat=line.vat_code_id or "",
                    subaccount=_subaccount(line.subaccount),
                    description=line.description,
                )
                for line in t.lines
            ),
            files=len(plan.files),
        )
    inv = plan.invoice
    # A credit note reduces the supplier balance: show its lines on the credit side.
    credit_note = inv.document_type == "CreditAdj"
    return PlannedDocument(
        kind="invoice",
        reference=plan.reference,
        financial_period=inv.financial_period,
        date=inv.date.isoformat(),
        description=inv.description,
        currency=inv.currency_id,
        lines=tuple(
            PlannedLine(
                account=line.account_number,
                debit=Decimal(0) if credit_note else line.amount,
                credit=line.amount if credit_note else Decimal(0),
                vat=line.vat_code_id or "",
                subaccount=_subaccount(line.subaccount),
                description=line.description,
            )
            for line in inv.lines
        ),
        document_type=inv.document_type,
        supplier_number=inv.supplier_number,
        payment_method=inv.payment_method or "",
        cash_account=inv.cash_account or "",
        files=len(plan.files),
    )
